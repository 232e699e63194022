import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { NotificationType } from '@internal/plugin-brom-common';
import { useCallback, useMemo, useState } from 'react';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { EntityOption } from '../common/EntityOption';
import { ServerPageQuery, ServerTable } from '../common/ServerTable';
import { useOwnedGroups } from '../common/useOwnedGroups';
import {
  ACTIONS_CELL,
  BreakableName,
  useTableColumns,
} from '../common/tableLayout';
import {
  describeRequested,
  RequestSubscriptionDialog,
} from '../RequestSubscriptionDialog';
import { useBromSignalRefresh } from '../common/useBromSignal';
import Tooltip from '@material-ui/core/Tooltip';
import { DeprecatedBadge, describeDeprecation } from '../common/deprecation';

/** The API's sort key for each column the server can sort by. */
const SORT_KEYS = { application: 'producer', name: 'name' };

/** Every notification type the signed-in user may subscribe to, searched and sorted by the server. */
export const ProducerCatalogue = () => {
  const api = useApi(bromApiRef);
  const refresh = useBromSignalRefresh({ kind: 'change' });
  const groups = useOwnedGroups();
  const [owner, setOwner] = useState('');
  const [subscribingTo, setSubscribingTo] = useState<NotificationType>();
  const [requested, setRequested] = useState<{ text: string; blocked: boolean }>();
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listNotificationTypes({
        ...query,
        sort: query.sort as 'producer' | 'name' | 'owner',
        owner: owner || undefined,
      }),
    [api, owner],
  );

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<NotificationType>[] => [
      {
        title: 'Producer',
        field: 'application',
        render: row => (
          <>
            <ApplicationLink name={row.application} />
            {row.producerOwner && (
              <Typography variant="body2" component="div">
                <EntityRefLink entityRef={row.producerOwner} />
              </Typography>
            )}
          </>
        ),
      },
      {
        title: 'Notification type',
        field: 'name',
        render: row => (
          <>
            {row.name}
            <DeprecatedBadge
              producer={row.application}
              deprecation={row.deprecation}
            />
            <Typography variant="body2" component="div">
              <BreakableName name={row.routingKeyPattern} />
            </Typography>
          </>
        ),
      },
      { title: 'Description', field: 'description' },
      {
        title: 'Approval',
        field: 'requiresApproval',
        render: row => (row.requiresApproval ? 'Owners approve' : 'Automatic'),
      },
      {
        title: 'Actions',
        sorting: false,
        cellStyle: ACTIONS_CELL,
        render: row =>
          row.deprecation ? (
            <Tooltip
              title={`Deprecated: it takes no new subscriptions. ${describeDeprecation(
                row.application,
                row.deprecation,
              )}`}
            >
              {/* A disabled button gets no pointer events; the span takes the hover for it. */}
              <span>
                <Button
                  size="small"
                  variant="outlined"
                  color="primary"
                  disabled
                >
                  Subscribe
                </Button>
              </span>
            </Tooltip>
          ) : (
            <Button
              size="small"
              variant="outlined"
              color="primary"
              onClick={() => {
                setRequested(undefined);
                setSubscribingTo(row);
              }}
            >
              Subscribe
            </Button>
          ),
      },
    ],
    [],
  );
  const shownColumns = useTableColumns(columns, ['Description', 'Approval']);

  return (
    <>
      <ServerTable
        refresh={refresh}
        title="Notification types"
        what="the producer catalogue"
        columns={shownColumns}
        sortKeys={SORT_KEYS}
        defaultSort={{ sort: 'producer', order: 'asc' }}
        fetchPage={fetchPage}
        searchLabel="Search notification types"
        filtered={!!owner}
        filters={
          groups.value?.length ? (
            <TextField
              select
              SelectProps={{ native: true }}
              id="brom-catalogue-owner"
              label="Owner"
              InputLabelProps={{ shrink: true }}
              value={owner}
              onChange={e => setOwner(e.target.value)}
              variant="outlined"
              size="small"
            >
              <option value="">All owners</option>
              {groups.value.map(o => (
                <EntityOption key={o} entityRef={o} />
              ))}
            </TextField>
          ) : undefined
        }
        empty={{
          missing: 'content',
          title: 'No notification types yet',
          description:
            'When a producer declares a notification type, it appears here for others to subscribe to. To publish your own, open one of your applications under “My applications” and add a notification type.',
        }}
        noMatch="No notification type matches the search and owner you chose."
      >
        {requested && (
          <Box mb={2}>
            <Alert
              severity={requested.blocked ? 'warning' : 'success'}
              onClose={() => setRequested(undefined)}
            >
              {requested.text}
            </Alert>
          </Box>
        )}
      </ServerTable>
      {subscribingTo && (
        <RequestSubscriptionDialog
          notificationType={subscribingTo}
          onClose={() => setSubscribingTo(undefined)}
          onRequested={subscription => {
            setSubscribingTo(undefined);
            setRequested({
              text: describeRequested(subscription),
              blocked: Boolean(subscription.blocked?.length),
            });
          }}
        />
      )}
    </>
  );
};
