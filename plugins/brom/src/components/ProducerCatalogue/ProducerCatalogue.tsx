import {
  EmptyState,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { NotificationType } from '@internal/plugin-brom-common';
import { useMemo, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { DeprecatedBadge, describeDeprecation } from '../common/deprecation';
import Tooltip from '@material-ui/core/Tooltip';
import { EntityOption } from '../common/EntityOption';
import { LoadError } from '../common/LoadError';
import {
  ACTIONS_CELL,
  BreakableName,
  useTableColumns,
} from '../common/tableLayout';
import {
  describeRequested,
  RequestSubscriptionDialog,
} from '../RequestSubscriptionDialog';
import { useBromSignal } from '../common/useBromSignal';

type CatalogueRow = NotificationType & { owner: string };

function matches(row: CatalogueRow, search: string) {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [
    row.application,
    row.name,
    row.description,
    row.routingKeyPattern,
  ].some(field => field.toLowerCase().includes(needle));
}

/** Every notification type the signed-in user may subscribe to, searchable by text and owner. */
export const ProducerCatalogue = () => {
  const api = useApi(bromApiRef);
  const catalogue = useAsyncRetry(async () => {
    const [types, applications] = await Promise.all([
      api.listNotificationTypes({ limit: 500 }),
      api.listApplications({ limit: 500 }),
    ]);
    const ownerOf = new Map(applications.items.map(a => [a.name, a.owner]));
    return types.items.map(t => ({
      ...t,
      owner: ownerOf.get(t.application) ?? '',
    }));
  }, [api]);
  useBromSignal(catalogue.retry, { kind: 'change' });
  const [search, setSearch] = useState('');
  const [owner, setOwner] = useState('');
  const [subscribingTo, setSubscribingTo] = useState<NotificationType>();
  const [requested, setRequested] = useState<{
    text: string;
    blocked: boolean;
  }>();

  const owners = useMemo(
    () =>
      [...new Set((catalogue.value ?? []).map(row => row.owner))]
        .filter(Boolean)
        .sort(),
    [catalogue.value],
  );

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo(
    (): TableColumn<CatalogueRow>[] => [
      {
        title: 'Producer',
        field: 'application',
        render: row => (
          <>
            <ApplicationLink name={row.application} />
            {row.owner && (
              <Typography variant="body2" component="div">
                <EntityRefLink entityRef={row.owner} />
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
            <DeprecatedBadge producer={row.application} deprecation={row.deprecation} />
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
                <Button size="small" variant="outlined" color="primary" disabled>
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

  if (catalogue.loading) return <Progress />;
  if (catalogue.error) {
    return (
      <LoadError
        error={catalogue.error}
        what="the producer catalogue"
        onRetry={catalogue.retry}
      />
    );
  }
  const rows = catalogue.value ?? [];
  if (rows.length === 0) {
    return (
      <EmptyState
        missing="content"
        title="No notification types yet"
        description="When a producer declares a notification type, it appears here for others to subscribe to. To publish your own, open one of your applications under “My applications” and add a notification type."
      />
    );
  }

  const shown = rows.filter(
    row => (!owner || row.owner === owner) && matches(row, search),
  );

  return (
    <>
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
      <Box display="flex" mb={2} style={{ gap: 16 }}>
        <TextField
          id="brom-catalogue-search"
          label="Search notification types"
          value={search}
          onChange={e => setSearch(e.target.value)}
          variant="outlined"
          size="small"
        />
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
          {owners.map(o => (
            <EntityOption key={o} entityRef={o} />
          ))}
        </TextField>
      </Box>
      <Table
        title={`Notification types (${shown.length})`}
        options={{ paging: shown.length > 20, pageSize: 20, search: false }}
        columns={shownColumns}
        data={shown}
        emptyContent={
          <Box p={2}>
            No notification type matches the search and owner you chose.
          </Box>
        }
      />
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
