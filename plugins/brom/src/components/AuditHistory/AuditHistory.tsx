import {
  EmptyState,
  InfoCard,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import TablePagination from '@material-ui/core/TablePagination';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { AuditEvent } from '@internal/plugin-brom-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { LoadError } from '../common/LoadError';
import { formatTime } from '../common/time';
import { useTableColumns } from '../common/tableLayout';
import { useBromSignal } from '../common/useBromSignal';

const PAGE_SIZES = [20, 50, 100];

/** What an event was about, by the names people know rather than ids. */
export function describeTarget(event: AuditEvent): string {
  const after = event.after ?? event.before ?? {};
  const text = (key: string) =>
    typeof after[key] === 'string' ? (after[key] as string) : undefined;
  switch (event.targetKind) {
    case 'application':
      return `Application ${text('name') ?? event.application}`;
    case 'notificationType':
      return `Notification type ${text('application') ?? event.application}/${
        text('name') ?? event.targetId
      }`;
    case 'subscription':
      return text('consumer')
        ? `Subscription ${text('consumer')} → ${text('producer')}/${text(
            'notificationType',
          )}`
        : `Subscription ${event.targetId}`;
    case 'credential':
      return `Credential ${text('username') ?? event.targetId}`;
    default:
      return event.targetId;
  }
}

const columns: TableColumn<AuditEvent>[] = [
  { title: 'Time', field: 'at', render: row => formatTime(row.at) },
  {
    title: 'Actor',
    field: 'actor',
    render: row => <EntityRefLink entityRef={row.actor} />,
  },
  { title: 'Action', field: 'action' },
  { title: 'Target', render: row => describeTarget(row) },
];

/** Who changed what in an application, newest first, a page at a time. */
export const AuditHistory = ({ application }: { application: string }) => {
  const api = useApi(bromApiRef);
  const shownColumns = useTableColumns(columns);
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      api.listAuditEvents({
        application,
        offset: page * pageSize,
        limit: pageSize,
      }),
    [api, application, page, pageSize],
  );
  useBromSignal(retry, { kind: 'change', application });

  const renderHistory = () => {
    if (loading && !value) return <Progress />;
    if (error) {
      return (
        <LoadError error={error} what="the audit history" onRetry={retry} />
      );
    }
    if (!value || value.totalCount === 0) {
      return (
        <EmptyState
          missing="data"
          title="No history yet"
          description="Every change to the application, its notification types, subscriptions and credentials is recorded here with who made it."
        />
      );
    }
    return (
      <>
        <Table
          isLoading={loading}
          options={{
            paging: false,
            search: false,
            toolbar: false,
            padding: 'dense',
          }}
          columns={shownColumns}
          data={value.items}
        />
        <TablePagination
          component="div"
          count={value.totalCount}
          page={page}
          rowsPerPage={pageSize}
          rowsPerPageOptions={PAGE_SIZES}
          onPageChange={(_event, next) => setPage(next)}
          onRowsPerPageChange={event => {
            setPageSize(Number(event.target.value));
            setPage(0);
          }}
        />
      </>
    );
  };

  return <InfoCard title="Audit history">{renderHistory()}</InfoCard>;
};
