import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Application,
  bromSubscriptionRequestPermission,
  Subscription,
} from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import { bromApiRef, SubscriptionListQuery } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ApplicationLink } from '../common/ApplicationLink';
import { useBrokerSettings } from '../common/useBrokerSettings';
import {
  describeRequested,
  RequestSubscriptionDialog,
} from '../RequestSubscriptionDialog';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';
import { CardTable } from '../common/CardTable';
import { ServerPageQuery } from '../common/ServerTable';
import { BreakableName, ACTIONS_CELL } from '../common/tableLayout';
import {
  subscriptionStateColumn,
  subscriptionRequestedColumn,
} from '../common/subscriptionColumns';
import { DeprecatedBadge } from '../common/deprecation';
import { useBromSignalRefresh } from '../common/useBromSignal';

type SubscriptionSort = NonNullable<SubscriptionListQuery['sort']>;

/** The API's sort key for each column the server can sort by. */
const SUBSCRIPTION_SORT_KEYS = {
  consumer: 'consumer',
  producer: 'producer',
  requestedAt: 'requestedAt',
};

/** What the application receives: its subscriptions as a consumer, in every state. */
export const ConsumerSubscriptionsCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const { prefix } = useBrokerSettings();
  const signalled = useBromSignalRefresh({
    kind: 'change',
    application: application.name,
  });
  // Counts the changes made here, so the list is asked for again after each.
  const [changes, setChanges] = useState(0);
  const retry = () => setChanges(n => n + 1);
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listSubscriptions({
        ...query,
        sort: query.sort as SubscriptionSort,
        consumer: application.name,
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, application.name, changes],
  );
  const [requesting, setRequesting] = useState<
    { again?: Subscription } | undefined
  >();
  const [notice, setNotice] = useState<string>();
  const [deciding, setDeciding] = useState<{
    subscription: Subscription;
    decision: SubscriptionDecision;
  }>();
  const live = !application.deletedAt;

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<Subscription>[] => [
      {
        title: 'Producer',
        field: 'producer',
        render: row => <ApplicationLink name={row.producer} />,
      },
      {
        title: 'Notification type',
        field: 'notificationType',
        render: row => (
          <>
            {row.notificationType}
            {(row.state === 'requested' || row.state === 'approved') && (
              <DeprecatedBadge
                producer={row.producer}
                deprecation={row.notificationTypeDeprecation}
              />
            )}
          </>
        ),
      },
      {
        title: 'Routing key',
        field: 'routingKeyPattern',
        render: row => <BreakableName name={row.routingKeyPattern} />,
      },
      {
        ...subscriptionStateColumn,
        render: row => (
          <>
            {subscriptionStateColumn.render!(row, 'row')}
            {row.state === 'requested' && row.producerOwner && (
              <Typography variant="body2" component="div">
                Waiting for <EntityRefLink entityRef={row.producerOwner} /> to
                decide
              </Typography>
            )}
          </>
        ),
      },
      { title: 'Justification', field: 'justification' },
      subscriptionRequestedColumn,
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row => {
          if (row.state === 'requested') {
            return (
              <PermittedButton
                permission={bromSubscriptionRequestPermission}
                application={application}
                size="small"
                onClick={() =>
                  setDeciding({ subscription: row, decision: 'withdraw' })
                }
              >
                Withdraw request
              </PermittedButton>
            );
          }
          if (row.state === 'approved') {
            return (
              <PermittedButton
                permission={bromSubscriptionRequestPermission}
                application={application}
                size="small"
                onClick={() =>
                  setDeciding({ subscription: row, decision: 'unsubscribe' })
                }
              >
                Unsubscribe
              </PermittedButton>
            );
          }
          return (
            <PermittedButton
              permission={bromSubscriptionRequestPermission}
              application={application}
              size="small"
              onClick={() => {
                setNotice(undefined);
                setRequesting({ again: row });
              }}
            >
              Request again
            </PermittedButton>
          );
        },
      },
    ],
    [application],
  );

  const shownColumns = useMemo(
    () => (live ? columns : columns.slice(0, -1)),
    [columns, live],
  );

  return (
    <InfoCard
      title="Subscriptions"
      subheader={`Received on queue ${prefix}${application.name}`}
      action={
        live && (
          <PermittedButton
            permission={bromSubscriptionRequestPermission}
            application={application}
            color="primary"
            variant="outlined"
            onClick={() => {
              setNotice(undefined);
              setRequesting({});
            }}
          >
            Request subscription
          </PermittedButton>
        )
      }
    >
      {notice && (
        <Box mb={2}>
          <Alert severity="success" onClose={() => setNotice(undefined)}>
            {notice}
          </Alert>
        </Box>
      )}
      <CardTable
        what="the subscriptions"
        refresh={signalled}
        fetchPage={fetchPage}
        sortKeys={SUBSCRIPTION_SORT_KEYS}
        defaultSort={{ sort: 'updatedAt', order: 'desc' }}
        columns={shownColumns}
        secondary={['Routing key', 'Justification', 'Requested']}
        narrowerThan={1440}
        empty={{
          missing: 'data',
          title: 'Receives no notifications',
          description:
            'Choose “Request subscription”, or find a notification type in the producer catalogue and choose “Subscribe”. The producer’s owners decide on your request.',
        }}
      />
      {requesting && (
        <RequestSubscriptionDialog
          consumer={application.name}
          initialType={
            requesting.again && {
              application: requesting.again.producer,
              name: requesting.again.notificationType,
            }
          }
          onClose={() => setRequesting(undefined)}
          onRequested={subscription => {
            setRequesting(undefined);
            setNotice(describeRequested(subscription));
            retry();
          }}
        />
      )}
      {deciding && (
        <SubscriptionDecisionDialog
          {...deciding}
          onClose={() => setDeciding(undefined)}
          onDecided={() => {
            setDeciding(undefined);
            retry();
          }}
        />
      )}
    </InfoCard>
  );
};
