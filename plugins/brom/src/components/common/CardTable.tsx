import { TableColumn } from '@backstage/core-components';
import { Page, SortOrder } from '@internal/plugin-brom-common';
import { ServerPageQuery, ServerTable } from './ServerTable';

/**
 * The table inside an application view card: a list the server pages and sorts (see
 * ServerTable), with the states every card shares: a progress bar on first load, the
 * backend's error with a way to try again, or an empty state that says what to do. A new
 * `fetchPage` (e.g. after a change made in the card) asks for the list again.
 */
export function CardTable<T extends { id: string }>(props: {
  /** What the table lists, for its error, e.g. "the subscribers". */
  what: string;
  fetchPage: (query: ServerPageQuery) => Promise<Page<T>>;
  /** Stable (memoised) columns; those titled in `secondary` are left out in narrow windows. */
  columns: TableColumn<T>[];
  secondary?: string[];
  /** Window width (px) below which `secondary` columns are left out; `md` by default. */
  narrowerThan?: number;
  /** The API's sort key for each column field that the server can sort by. */
  sortKeys: Record<string, string>;
  defaultSort: { sort: string; order: SortOrder };
  empty: { title: string; description: string; missing?: 'content' | 'data' };
  /** A new value asks for the page shown again (see ServerTable). */
  refresh?: number;
}) {
  return (
    <ServerTable
      title={props.what}
      hideTitle
      what={props.what}
      columns={props.columns}
      secondary={props.secondary}
      narrowerThan={props.narrowerThan}
      sortKeys={props.sortKeys}
      defaultSort={props.defaultSort}
      fetchPage={props.fetchPage}
      empty={props.empty}
      refresh={props.refresh}
    />
  );
}
