import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Application,
  bromSubscriptionDecidePermission,
  Subscription,
} from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import { bromApiRef, SubscriptionListQuery } from '../../api/BromApi';
import { PermittedButton } from '../common/PermittedButton';
import { ApplicationLink } from '../common/ApplicationLink';
import { formatTime } from '../common/time';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';
import { CardTable } from '../common/CardTable';
import { ServerPageQuery } from '../common/ServerTable';
import { ACTIONS_CELL } from '../common/tableLayout';
import {
  subscriptionStateColumn,
  subscriptionRequestedColumn,
} from '../common/subscriptionColumns';
import { useBromSignalRefresh } from '../common/useBromSignal';

type SubscriptionSort = NonNullable<SubscriptionListQuery['sort']>;

/** The API's sort key for each column the server can sort by. */
const SUBSCRIPTION_SORT_KEYS = {
  consumer: 'consumer',
  producer: 'producer',
  requestedAt: 'requestedAt',
};

/** Who receives the application's notifications, and deciding on their requests. */
export const SubscribersCard = ({
  application,
}: {
  application: Application;
}) => {
  const api = useApi(bromApiRef);
  // Counts the decisions made here, so the list is asked for again after each.
  const [changes, setChanges] = useState(0);
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listSubscriptions({
        ...query,
        sort: query.sort as SubscriptionSort,
        producer: application.name,
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, application.name, changes],
  );
  const signalled = useBromSignalRefresh({
    kind: 'change',
    application: application.name,
  });
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
        refresh={signalled}
        fetchPage={fetchPage}
        sortKeys={SUBSCRIPTION_SORT_KEYS}
        defaultSort={{ sort: 'updatedAt', order: 'desc' }}
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
            setChanges(n => n + 1);
          }}
        />
      )}
    </InfoCard>
  );
};
