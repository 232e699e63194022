import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Chip from '@material-ui/core/Chip';
import { Application, Subscription } from '@internal/plugin-brom-common';
import useAsync from 'react-use/esm/useAsync';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';

interface ConsumerRow {
  application: Application;
  subscriptions: Subscription[];
}

const columns: TableColumn<ConsumerRow>[] = [
  {
    title: 'Consumer',
    field: 'application.name',
    render: row => <ApplicationLink name={row.application.name} />,
  },
  { title: 'Title', field: 'application.title' },
  { title: 'Owner', field: 'application.owner' },
  {
    title: 'Receives',
    sorting: false,
    render: row =>
      row.subscriptions.map(s => (
        <Chip
          key={s.id}
          size="small"
          label={`${s.producer}/${s.notificationType}`}
          title={s.routingKeyPattern}
        />
      )),
  },
];

/** Applications that receive notifications, each with the subscriptions approved for it. */
export const ConsumerCatalogue = () => {
  const api = useApi(bromApiRef);
  const { value, loading, error } = useAsync(async () => {
    const [applications, approved] = await Promise.all([
      api.listApplications({ limit: 500 }),
      api.listSubscriptions({ state: 'approved', limit: 500 }),
    ]);
    return applications.items
      .map(application => ({
        application,
        subscriptions: approved.items.filter(
          s => s.consumer === application.name,
        ),
      }))
      .filter(row => row.subscriptions.length > 0);
  }, [api]);

  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;
  if (!value || value.length === 0) {
    return (
      <EmptyState
        missing="content"
        title="No consumers yet"
        description="An application appears here once a subscription of it is approved. Find a notification type in the producer catalogue and choose “Subscribe”."
      />
    );
  }
  return (
    <Table
      title={`Consumers (${value.length})`}
      options={{ paging: value.length > 20, pageSize: 20, search: true }}
      columns={columns}
      data={value}
    />
  );
};
