import {
  EmptyState,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Chip from '@material-ui/core/Chip';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Application, Subscription } from '@internal/plugin-brom-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { LoadError } from '../common/LoadError';
import { useTableColumns } from '../common/tableLayout';
import { useBromSignal } from '../common/useBromSignal';

interface ConsumerRow {
  /** The application's id: material-table keeps its row state by it. */
  id: string;
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
  {
    title: 'Owner',
    field: 'application.owner',
    render: row => <EntityRefLink entityRef={row.application.owner} />,
  },
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
  const shownColumns = useTableColumns(columns, ['Title']);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const [applications, approved] = await Promise.all([
      api.listApplications({ limit: 500 }),
      api.listSubscriptions({ state: 'approved', limit: 500 }),
    ]);
    return applications.items
      .map(application => ({
        id: application.id,
        application,
        subscriptions: approved.items.filter(
          s => s.consumer === application.name,
        ),
      }))
      .filter(row => row.subscriptions.length > 0);
  }, [api]);
  useBromSignal(retry, { kind: 'change' });

  if (loading) return <Progress />;
  if (error) {
    return (
      <LoadError error={error} what="the consumer catalogue" onRetry={retry} />
    );
  }
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
      columns={shownColumns}
      data={value}
    />
  );
};
