import { TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import TextField from '@material-ui/core/TextField';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { Subscription } from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { ServerPageQuery, ServerTable } from '../common/ServerTable';
import { ACTIONS_CELL, BreakableName } from '../common/tableLayout';
import {
  subscriptionRequestedColumn,
  subscriptionStateColumn,
} from '../common/subscriptionColumns';
import {
  SubscriptionDecision,
  SubscriptionDecisionDialog,
} from '../SubscriptionDecisionDialog';
import { useBromSignalRefresh } from '../common/useBromSignal';

type InboxState = 'requested' | 'decided' | 'approved' | 'rejected' | 'revoked';

/** The inbox's "Show" filter: what waits, or the history of what was decided. */
const INBOX_STATES: Record<InboxState, string> = {
  requested: 'Waiting for a decision',
  decided: 'Decided',
  approved: 'Approved',
  rejected: 'Rejected',
  revoked: 'Revoked',
};

const SORT_KEYS = {
  consumer: 'consumer',
  notificationType: 'producer',
  requestedAt: 'requestedAt',
};

export interface ApprovalsInboxProps {
  /** Called after each decision, e.g. to update a count shown elsewhere. */
  onDecided?: () => void;
}

/** Subscription requests waiting for a decision from the owners of the requested producers. */
export const ApprovalsInbox = ({ onDecided }: ApprovalsInboxProps) => {
  const api = useApi(bromApiRef);
  const refresh = useBromSignalRefresh({
    kind: 'change',
    typePrefix: 'subscription.',
  });
  const [state, setState] = useState<InboxState>('requested');
  const [deciding, setDeciding] = useState<{
    subscription: Subscription;
    decision: SubscriptionDecision;
  }>();
  const [decided, setDecided] = useState<Subscription>();
  // A new function after each decision, so the list is asked for again.
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listApprovals({
        ...query,
        sort: query.sort as
          | 'updatedAt'
          | 'requestedAt'
          | 'consumer'
          | 'producer',
        state,
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, state, decided],
  );

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<Subscription>[] => [
      {
        title: 'Consumer',
        field: 'consumer',
        render: row => (
          <>
            <ApplicationLink name={row.consumer} />
            {row.consumerOwner && (
              <Typography variant="body2" component="div">
                <EntityRefLink entityRef={row.consumerOwner} />
              </Typography>
            )}
          </>
        ),
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
      subscriptionStateColumn,
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row =>
          row.state !== 'requested' ? null : (
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
  const shownColumns = useMemo(
    () =>
      columns.filter(c =>
        state === 'requested' ? c.title !== 'State' : c.title !== 'Actions',
      ),
    [columns, state],
  );

  return (
    <>
      <ServerTable
        refresh={refresh}
        key={state}
        title={
          state === 'requested'
            ? 'Waiting for your decision'
            : 'Decided requests'
        }
        what="the approvals"
        columns={shownColumns}
        secondary={['Justification']}
        sortKeys={SORT_KEYS}
        defaultSort={{ sort: 'updatedAt', order: 'desc' }}
        fetchPage={fetchPage}
        searchLabel="Search requests"
        filtered={state !== 'requested'}
        filters={
          <TextField
            select
            SelectProps={{ native: true }}
            id="brom-inbox-state"
            label="Show"
            InputLabelProps={{ shrink: true }}
            value={state}
            onChange={e => setState(e.target.value as InboxState)}
            variant="outlined"
            size="small"
          >
            {Object.entries(INBOX_STATES).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </TextField>
        }
        empty={{
          title: 'No requests waiting for you',
          description:
            'When another team asks to subscribe to a notification type of an application you own, the request appears here for you to approve or reject. Choose “Decided” under “Show” for the requests decided before.',
        }}
        noMatch={
          state === 'requested'
            ? 'No waiting request matches the search.'
            : 'No decided request matches the search and the state you chose.'
        }
      >
        {decided && (
          <Box mb={2}>
            <Alert severity="success" onClose={() => setDecided(undefined)}>
              {decided.state === 'approved' ? 'Approved' : 'Rejected'}{' '}
              {decided.consumer} → {decided.producer}/{decided.notificationType}
              .
            </Alert>
          </Box>
        )}
      </ServerTable>
      {deciding && (
        <SubscriptionDecisionDialog
          {...deciding}
          onClose={() => setDeciding(undefined)}
          onDecided={subscription => {
            setDeciding(undefined);
            setDecided(subscription);
            onDecided?.();
          }}
        />
      )}
    </>
  );
};
