import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import {
  Application,
  bromSubscriptionRequestPermission,
  Subscription,
} from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { describeError } from '../common/errors';
import { formatDate } from '../common/deprecation';
import { PermittedButton } from '../common/PermittedButton';
import {
  describeRequested,
  RequestSubscriptionDialog,
} from '../RequestSubscriptionDialog';

const LIVE: Subscription['state'][] = ['requested', 'approved'];

/** What the consumer should do about a subscription to a deprecated type. */
function advice(
  consumer: string,
  s: Subscription,
  movedAlready: boolean,
): string {
  const successor = s.notificationTypeDeprecation?.successor;
  if (!successor) {
    return `It has no successor; ${s.producer}’s owners can tell you what replaces it.`;
  }
  if (movedAlready) {
    return `${consumer} also subscribes to its successor ${s.producer}/${successor}; unsubscribe from ${s.notificationType} once you have moved.`;
  }
  return `Its successor is ${s.producer}/${successor}: request it before that date.`;
}

/**
 * Tells a consumer, at the top of its application, which of its subscriptions are to
 * deprecated notification types: the date they end, and the successor to move to.
 */
export const DeprecationBanner = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const { value, error, retry } = useAsyncRetry(
    () => api.listSubscriptions({ consumer: application.name, limit: 500 }),
    [api, application.name],
  );
  const [requesting, setRequesting] = useState<string>();
  const [notice, setNotice] = useState<string>();

  if (error) {
    return (
      <Alert
        severity="warning"
        action={
          <Button color="inherit" size="small" onClick={retry}>
            Try again
          </Button>
        }
      >
        Could not check this application’s subscriptions for deprecated
        notification types: {describeError(error)}
      </Alert>
    );
  }
  // Nothing to say while loading, or when nothing it receives is deprecated.
  const items = value?.items ?? [];
  const live = items.filter(s => LIVE.includes(s.state));
  const deprecated = live.filter(s => s.notificationTypeDeprecation);
  if (deprecated.length === 0 && !notice) return null;
  const subscribes = (producer: string, type: string) =>
    live.some(s => s.producer === producer && s.notificationType === type);

  return (
    <Box display="flex" flexDirection="column" style={{ gap: 8 }}>
      {notice && (
        <Alert severity="success" onClose={() => setNotice(undefined)}>
          {notice}
        </Alert>
      )}
      {deprecated.map(s => {
        const deprecation = s.notificationTypeDeprecation!;
        const ref = `${s.producer}/${s.notificationType}`;
        const successor = deprecation.successor;
        const movedAlready = successor
          ? subscribes(s.producer, successor)
          : false;
        return (
          <Alert
            key={s.id}
            severity="warning"
            role="status"
            data-testid="brom-deprecation-banner"
            action={
              successor && !movedAlready && !application.deletedAt ? (
                <PermittedButton
                  permission={bromSubscriptionRequestPermission}
                  application={application}
                  color="inherit"
                  size="small"
                  style={{ whiteSpace: 'nowrap' }}
                  onClick={() => {
                    setNotice(undefined);
                    setRequesting(`${s.producer}/${successor}`);
                  }}
                >
                  Request {successor}
                </PermittedButton>
              ) : undefined
            }
          >
            <AlertTitle>
              {ref} is deprecated: this subscription ends on{' '}
              {formatDate(deprecation.sunsetAt)}
            </AlertTitle>
            {advice(application.name, s, movedAlready)}
          </Alert>
        );
      })}
      {requesting && (
        <RequestSubscriptionDialog
          consumer={application.name}
          initialType={requesting}
          onClose={() => setRequesting(undefined)}
          onRequested={subscription => {
            setRequesting(undefined);
            setNotice(describeRequested(subscription));
            retry();
          }}
        />
      )}
    </Box>
  );
};
