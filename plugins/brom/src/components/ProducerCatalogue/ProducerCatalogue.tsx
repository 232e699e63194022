import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { NotificationType } from '@internal/plugin-brom-common';
import useAsync from 'react-use/esm/useAsync';
import { bromApiRef } from '../../api/BromApi';

const columns: TableColumn<NotificationType>[] = [
  { title: 'Producer', field: 'application' },
  { title: 'Notification type', field: 'name' },
  {
    title: 'Routing key',
    field: 'routingKeyPattern',
    render: row => <code>{row.routingKeyPattern}</code>,
  },
  { title: 'Description', field: 'description' },
  {
    title: 'Approval',
    field: 'requiresApproval',
    render: row => (row.requiresApproval ? 'Owners approve' : 'Automatic'),
  },
];

/** Every notification type the signed-in user may subscribe to, searchable. */
export const ProducerCatalogue = () => {
  const api = useApi(bromApiRef);
  const { value, loading, error } = useAsync(
    () => api.listNotificationTypes({ limit: 500 }),
    [api],
  );
  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;
  if (!value || value.items.length === 0) {
    return (
      <EmptyState
        missing="content"
        title="No notification types yet"
        description="When a producer declares a notification type, it appears here for others to subscribe to."
      />
    );
  }
  return (
    <Table
      title={`Notification types (${value.totalCount})`}
      options={{ paging: value.items.length > 20, pageSize: 20, search: true }}
      columns={columns}
      data={value.items}
    />
  );
};
