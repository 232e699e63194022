import {
  EmptyState,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Subscription } from '@internal/plugin-brom-common';
import { useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { LoadError } from '../common/LoadError';
import {
  ACTIONS_CELL,
  BreakableName,
  useTableColumns,
} from '../common/tableLayout';
import { subscriptionRequestedColumn } from '../common/subscriptionColumns';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';
import { useBromSignal } from '../common/useBromSignal';

export interface ApprovalsInboxProps {
  /** Called after each decision, e.g. to update a count shown elsewhere. */
  onDecided?: () => void;
}

/** Subscription requests waiting for a decision from the owners of the requested producers. */
export const ApprovalsInbox = ({ onDecided }: ApprovalsInboxProps) => {
  const api = useApi(bromApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listApprovals({ limit: 500 }),
    [api],
  );
  useBromSignal(retry, { kind: 'change', typePrefix: 'subscription.' });
  const [deciding, setDeciding] = useState<{
    subscription: Subscription;
    decision: SubscriptionDecision;
  }>();
  const [decided, setDecided] = useState<Subscription>();

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<Subscription>[] => [
      {
        title: 'Consumer',
        field: 'consumer',
        render: row => <ApplicationLink name={row.consumer} />,
      },
      {
        title: 'Notification type',
        field: 'notificationType',
        render: row => (
          <>
            {row.producer}/{row.notificationType}
            <Typography variant="body2" component="div">
              <BreakableName name={row.routingKeyPattern} />
            </Typography>
          </>
        ),
      },
      { title: 'Justification', field: 'justification' },
      subscriptionRequestedColumn,
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row => (
          <Box display="flex" style={{ gap: 8 }}>
            <Button
              size="small"
              variant="outlined"
              color="primary"
              onClick={() =>
                setDeciding({ subscription: row, decision: 'approve' })
              }
            >
              Approve
            </Button>
            <Button
              size="small"
              variant="outlined"
              onClick={() =>
                setDeciding({ subscription: row, decision: 'reject' })
              }
            >
              Reject
            </Button>
          </Box>
        ),
      },
    ],
    [],
  );
  const shownColumns = useTableColumns(columns, ['Justification']);

  if (loading && !value) return <Progress />;
  if (error) {
    return <LoadError error={error} what="the approvals" onRetry={retry} />;
  }

  return (
    <>
      {decided && (
        <Box mb={2}>
          <Alert severity="success" onClose={() => setDecided(undefined)}>
            {decided.state === 'approved' ? 'Approved' : 'Rejected'}{' '}
            {decided.consumer} → {decided.producer}/{decided.notificationType}.
          </Alert>
        </Box>
      )}
      {!value || value.items.length === 0 ? (
        <EmptyState
          missing="data"
          title="No requests waiting for you"
          description="When another team asks to subscribe to a notification type of an application you own, the request appears here for you to approve or reject."
        />
      ) : (
        <Table
          title={`Waiting for your decision (${value.totalCount})`}
          options={{
            paging: value.items.length > 20,
            pageSize: 20,
            search: false,
          }}
          columns={shownColumns}
          data={value.items}
        />
      )}
      {deciding && (
        <SubscriptionDecisionDialog
          {...deciding}
          onClose={() => setDeciding(undefined)}
          onDecided={subscription => {
            setDeciding(undefined);
            setDecided(subscription);
            retry();
            onDecided?.();
          }}
        />
      )}
    </>
  );
};
