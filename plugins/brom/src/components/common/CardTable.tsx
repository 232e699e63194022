import {
  EmptyState,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';

/**
 * The table inside an application view card, with the states every card shares: a
 * progress bar on first load, the backend's error, or an empty state that says what to do.
 */
export function CardTable<T extends object>(props: {
  loading: boolean;
  error?: Error;
  items?: T[];
  columns: TableColumn<T>[];
  empty: { title: string; description: string; missing?: 'content' | 'data' };
}) {
  const { loading, error, items, columns, empty } = props;
  if (loading && !items) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;
  if (!items || items.length === 0) {
    return (
      <EmptyState
        missing={empty.missing ?? 'data'}
        title={empty.title}
        description={empty.description}
      />
    );
  }
  return (
    <Table
      options={{ paging: false, search: false, toolbar: false }}
      columns={columns}
      data={items}
    />
  );
}
