import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Application,
  bromSubscriptionDecidePermission,
  Subscription,
} from '@internal/plugin-brom-common';
import { useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ApplicationLink } from '../common/ApplicationLink';
import { formatTime } from '../common/time';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';
import { CardTable } from '../common/CardTable';
import { ACTIONS_CELL } from '../common/tableLayout';
import {
  subscriptionStateColumn,
  subscriptionRequestedColumn,
} from '../common/subscriptionColumns';
import { useBromSignal } from '../common/useBromSignal';

/** Who receives the application's notifications, and deciding on their requests. */
export const SubscribersCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listSubscriptions({ producer: application.name, limit: 500 }),
    [api, application.name],
  );
  useBromSignal(retry, { kind: 'change', application: application.name });
  const [deciding, setDeciding] = useState<{
    subscription: Subscription;
    decision: SubscriptionDecision;
  }>();
  // Stable columns: material-table resets its state when they change.
  const columns = useMemo((): TableColumn<Subscription>[] => {
    const decide =
      (subscription: Subscription, decision: SubscriptionDecision) => () =>
        setDeciding({ subscription, decision });
    return [
      {
        title: 'Consumer',
        field: 'consumer',
        render: row => <ApplicationLink name={row.consumer} />,
      },
      { title: 'Notification type', field: 'notificationType' },
      subscriptionStateColumn,
      { title: 'Justification', field: 'justification' },
      subscriptionRequestedColumn,
      {
        title: 'Decided',
        field: 'decidedAt',
        render: row =>
          row.decidedAt ? (
            <>
              {formatTime(row.decidedAt)} by{' '}
              {row.decidedBy ? (
                <EntityRefLink entityRef={row.decidedBy} />
              ) : (
                'BROM'
              )}
            </>
          ) : (
            '—'
          ),
      },
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row => (
          <Box display="flex" style={{ gap: 8 }}>
            {row.state === 'requested' && (
              <>
                <PermittedButton
                  permission={bromSubscriptionDecidePermission}
                  application={application}
                  size="small"
                  color="primary"
                  onClick={decide(row, 'approve')}
                >
                  Approve
                </PermittedButton>
                <PermittedButton
                  permission={bromSubscriptionDecidePermission}
                  application={application}
                  size="small"
                  onClick={decide(row, 'reject')}
                >
                  Reject
                </PermittedButton>
              </>
            )}
            {row.state === 'approved' && (
              <PermittedButton
                permission={bromSubscriptionDecidePermission}
                application={application}
                size="small"
                onClick={decide(row, 'revoke')}
              >
                Revoke
              </PermittedButton>
            )}
          </Box>
        ),
      },
    ];
  }, [application]);

  return (
    <InfoCard title="Subscribers">
      <CardTable
        what="the subscribers"
        loading={loading}
        error={error}
        onRetry={retry}
        items={value?.items}
        columns={columns}
        secondary={['Justification', 'Requested', 'Decided']}
        narrowerThan={1440}
        empty={{
          missing: 'data',
          title: 'No subscribers yet',
          description:
            'Other teams find this application’s notification types in the producer catalogue. Their requests appear here and in your approvals inbox.',
        }}
      />
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
