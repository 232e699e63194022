import {
  EmptyState,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { LoadError } from './LoadError';
import { useTableColumns } from './tableLayout';

/**
 * A card's table of a short list the backend sends whole (e.g. the unmanaged objects; lists
 * that grow with use page on the server through CardTable), with the states every card
 * shares: a progress bar on first load, the backend's error with a way to try again, or an
 * empty state that says what to do. Rows carry an `id` so the table keeps its state.
 */
export function ListCardTable<T extends { id: string | number }>(props: {
  loading: boolean;
  error?: Error;
  onRetry: () => void;
  /** What the table lists, for its error, e.g. "the subscribers". */
  what: string;
  items?: T[];
  /** Stable (memoised) columns; those titled in `secondary` are left out in narrow windows. */
  columns: TableColumn<T>[];
  secondary?: string[];
  /** Window width (px) below which `secondary` columns are left out; `md` by default. */
  narrowerThan?: number;
  empty: { title: string; description: string; missing?: 'content' | 'data' };
}) {
  const { loading, error, onRetry, what, items, empty } = props;
  const columns = useTableColumns(
    props.columns,
    props.secondary,
    props.narrowerThan,
  );
  if (loading && !items) return <Progress />;
  if (error) return <LoadError error={error} what={what} onRetry={onRetry} />;
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
