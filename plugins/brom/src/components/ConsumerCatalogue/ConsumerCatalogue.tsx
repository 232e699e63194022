import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Application } from '@internal/plugin-brom-common';
import { useCallback } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { bromApiRef } from '../../api/BromApi';
import { ApplicationLink } from '../common/ApplicationLink';
import { ServerPageQuery, ServerTable } from '../common/ServerTable';
import { useBromSignalRefresh } from '../common/useBromSignal';

/** How many of a consumer's subscriptions its row names; the application page has them all. */
const SHOWN_SUBSCRIPTIONS = 8;

/** The types one consumer receives, asked of the server for its row alone. */
const Receives = ({ consumer }: { consumer: string }) => {
  const api = useApi(bromApiRef);
  const { value, loading, error } = useAsync(
    () =>
      api.listSubscriptions({
        consumer,
        state: 'approved',
        sort: 'producer',
        order: 'asc',
        limit: SHOWN_SUBSCRIPTIONS,
      }),
    [api, consumer],
  );
  if (loading) return <Typography variant="body2">Loading…</Typography>;
  if (error || !value) {
    return (
      <Typography variant="body2" color="error">
        Could not load: {error?.message}
      </Typography>
    );
  }
  const more = value.totalCount - value.items.length;
  return (
    <>
      {value.items.map(s => (
        <Chip
          key={s.id}
          size="small"
          label={`${s.producer}/${s.notificationType}`}
          title={s.routingKeyPattern}
        />
      ))}
      {more > 0 && (
        <ApplicationLink name={consumer}>and {more} more</ApplicationLink>
      )}
    </>
  );
};

const columns: TableColumn<Application>[] = [
  {
    title: 'Consumer',
    field: 'name',
    render: row => <ApplicationLink name={row.name} />,
  },
  { title: 'Title', field: 'title' },
  {
    title: 'Owner',
    field: 'owner',
    render: row => <EntityRefLink entityRef={row.owner} />,
  },
  {
    title: 'Receives',
    render: row => <Receives consumer={row.name} />,
  },
];

const SORT_KEYS = { name: 'name', title: 'title', owner: 'owner' };

/** Applications that receive notifications, each with the subscriptions approved for it. */
export const ConsumerCatalogue = () => {
  const api = useApi(bromApiRef);
  const refresh = useBromSignalRefresh({ kind: 'change' });
  const fetchPage = useCallback(
    (query: ServerPageQuery) =>
      api.listApplications({
        ...query,
        sort: query.sort as 'name' | 'title' | 'owner',
        consuming: true,
      }),
    [api],
  );
  return (
    <ServerTable
      refresh={refresh}
      title="Consumers"
      what="the consumer catalogue"
      columns={columns}
      secondary={['Title']}
      sortKeys={SORT_KEYS}
      defaultSort={{ sort: 'name', order: 'asc' }}
      fetchPage={fetchPage}
      searchLabel="Search consumers"
      empty={{
        missing: 'content',
        title: 'No consumers yet',
        description:
          'An application appears here once a subscription of it is approved. Find a notification type in the producer catalogue and choose “Subscribe”.',
      }}
      noMatch="No consumer matches the search."
    />
  );
};
