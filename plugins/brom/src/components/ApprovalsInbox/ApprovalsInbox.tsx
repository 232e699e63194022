import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import { Subscription } from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { formatTime } from '../common/time';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';

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
  const [deciding, setDeciding] = useState<{
    subscription: Subscription;
    decision: SubscriptionDecision;
  }>();
  const [decided, setDecided] = useState<Subscription>();

  if (loading && !value) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;

  const columns: TableColumn<Subscription>[] = [
    {
      title: 'Consumer',
      field: 'consumer',
      render: row => <ApplicationLink name={row.consumer} />,
    },
    {
      title: 'Notification type',
      field: 'notificationType',
      render: row => `${row.producer}/${row.notificationType}`,
    },
    {
      title: 'Routing key',
      field: 'routingKeyPattern',
      render: row => <code>{row.routingKeyPattern}</code>,
    },
    { title: 'Justification', field: 'justification' },
    { title: 'Requested by', field: 'requestedBy' },
    {
      title: 'Requested',
      field: 'requestedAt',
      render: row => formatTime(row.requestedAt),
    },
    {
      title: 'Actions',
      sorting: false,
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
  ];

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
          columns={columns}
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
