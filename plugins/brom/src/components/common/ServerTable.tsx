import {
  EmptyState,
  Progress,
  Table,
  TableColumn,
} from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TablePagination from '@material-ui/core/TablePagination';
import TableRow from '@material-ui/core/TableRow';
import TableSortLabel from '@material-ui/core/TableSortLabel';
import TextField from '@material-ui/core/TextField';
import { Page, SortOrder } from '@internal/plugin-brom-common';
import {
  createContext,
  ReactNode,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import useDebounce from 'react-use/esm/useDebounce';
import { LoadError } from './LoadError';
import { useTableColumns } from './tableLayout';

/** What a server-side list is asked for: the search, the order and one page of it. */
export interface ServerPageQuery {
  q?: string;
  sort: string;
  order: SortOrder;
  /** The key of the row the page continues after (the previous page's `nextCursor`). */
  cursor?: string;
  /** Set instead of `cursor` when the page is not the next of one already seen. */
  offset?: number;
  limit: number;
}

export const PAGE_SIZES = [20, 50, 100];

interface SortState {
  /** Sort key of the API by column field. */
  sortKeys: Record<string, string>;
  sort: string;
  order: SortOrder;
  onSort: (sort: string) => void;
}

const SortContext = createContext<SortState | undefined>(undefined);

const useHeaderStyles = makeStyles(theme => ({
  header: {
    padding: theme.spacing(1, 2, 1, 2.5),
    borderTop: `1px solid ${theme.palette.grey.A100}`,
    borderBottom: `1px solid ${theme.palette.grey.A100}`,
    fontWeight: theme.typography.fontWeightBold as number,
    wordBreak: 'normal',
    textTransform: 'uppercase',
  },
}));

/**
 * The table's header: a column the server can sort by is one button (one Tab stop) inside
 * a header cell that says its order with `aria-sort`; the others are plain text. Sorting
 * asks the server (see ServerTable) instead of reordering the rows of one page.
 */
const SortableHeader = (props: { columns: any[]; headerStyle?: object }) => {
  const classes = useHeaderStyles();
  const state = useContext(SortContext);
  const columns = props.columns
    .filter(column => !column.hidden)
    .sort((a, b) => a.tableData.columnOrder - b.tableData.columnOrder);
  return (
    <TableHead>
      <TableRow>
        {columns.map(column => {
          const key = column.field ? state?.sortKeys[column.field] : undefined;
          const active = !!key && state?.sort === key;
          let ariaSort: 'ascending' | 'descending' | 'none' | undefined;
          if (key) {
            ariaSort = 'none';
            if (active) {
              ariaSort = state?.order === 'asc' ? 'ascending' : 'descending';
            }
          }
          return (
            <TableCell
              key={column.tableData.id}
              className={classes.header}
              style={{ ...props.headerStyle, ...column.headerStyle }}
              aria-sort={ariaSort}
            >
              {key && state ? (
                <TableSortLabel
                  active={active}
                  direction={active ? state.order : 'asc'}
                  onClick={() => state.onSort(key)}
                >
                  {column.title}
                </TableSortLabel>
              ) : (
                column.title
              )}
            </TableCell>
          );
        })}
      </TableRow>
    </TableHead>
  );
};

export interface ServerTableProps<T extends { id: string }> {
  title: string;
  /** No title bar with the count (a card has its own title). */
  hideTitle?: boolean;
  /** Stable (memoised) columns; those titled in `secondary` are left out in narrow windows. */
  columns: TableColumn<T>[];
  secondary?: string[];
  narrowerThan?: number;
  /** The API's sort key for each column field that the server can sort by. */
  sortKeys: Record<string, string>;
  defaultSort: { sort: string; order: SortOrder };
  /** One page from the server; a new function (other filters) starts again at the first page. */
  fetchPage: (query: ServerPageQuery) => Promise<Page<T>>;
  /** What the table lists, for its error, e.g. "the producer catalogue". */
  what: string;
  /** Label of the search box; without it, no search. */
  searchLabel?: string;
  /** Filters beside the search box; `filtered` says whether any of them is set. */
  filters?: ReactNode;
  filtered?: boolean;
  /** Shown when the list is empty and nothing narrows it. */
  empty: { title: string; description: string; missing?: 'content' | 'data' };
  /** Shown when a search or filter matches nothing. */
  noMatch?: string;
  /** Widgets above the table (e.g. a success message). */
  children?: ReactNode;
  /** A new value asks for the page shown again, e.g. on a BROM signal (see useBromSignal). */
  refresh?: number;
}

/**
 * A list the server pages, searches and sorts (no list is fetched whole): the next page is
 * asked for by key (`nextCursor`), a jump by offset. It has the states every view shares: a
 * progress bar on first load, the backend's error with "Try again", and an empty state.
 */
export function ServerTable<T extends { id: string }>(
  props: ServerTableProps<T>,
) {
  const { fetchPage, defaultSort, sortKeys } = props;
  const columns = useTableColumns(
    props.columns,
    props.secondary,
    props.narrowerThan,
  );
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  useDebounce(() => setSearch(typed.trim()), 300, [typed]);
  const [sort, setSort] = useState(defaultSort);
  const [pageIndex, setPageIndex] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);

  // Cursors of the pages after those seen, for this search, order, size and fetcher.
  const cursors = useRef(new Map<number, string>());
  const listKey = useMemo(
    () => ({ fetchPage, search, sort, pageSize }),
    [fetchPage, search, sort, pageSize],
  );
  const [seenKey, setSeenKey] = useState(listKey);
  if (seenKey !== listKey) {
    cursors.current = new Map();
    setSeenKey(listKey);
    if (pageIndex !== 0) setPageIndex(0);
  }

  const result = useAsyncRetry(async () => {
    const cursor = cursors.current.get(pageIndex);
    const page = await fetchPage({
      q: search || undefined,
      sort: sort.sort,
      order: sort.order,
      limit: pageSize,
      ...(pageIndex === 0 || cursor
        ? { cursor }
        : { offset: pageIndex * pageSize }),
    });
    if (page.nextCursor) cursors.current.set(pageIndex + 1, page.nextCursor);
    return page;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [listKey, pageIndex, props.refresh]);

  // Keep the last page on screen while the next one loads.
  const [shown, setShown] = useState<Page<T>>();
  useEffect(() => {
    if (result.value) setShown(result.value);
  }, [result.value]);

  const sortState = useMemo(
    (): SortState => ({
      sortKeys,
      sort: sort.sort,
      order: sort.order,
      onSort: key =>
        setSort(current =>
          current.sort === key
            ? { sort: key, order: current.order === 'asc' ? 'desc' : 'asc' }
            : { sort: key, order: 'asc' },
        ),
    }),
    [sortKeys, sort],
  );
  const components = useMemo(() => ({ Header: SortableHeader }), []);

  const page = result.value ?? shown;
  const narrowed = !!search || !!props.filtered || !!typed;
  const searchId = `brom-search-${props.title
    .toLowerCase()
    .replace(/\W+/g, '-')}`;
  if (result.error) {
    return (
      <>
        {props.children}
        <LoadError
          error={result.error}
          what={props.what}
          onRetry={result.retry}
        />
      </>
    );
  }
  if (!page) return <Progress />;
  if (page.totalCount === 0 && !narrowed) {
    return (
      <>
        {props.children}
        <EmptyState
          missing={props.empty.missing ?? 'data'}
          title={props.empty.title}
          description={props.empty.description}
        />
      </>
    );
  }
  const count = page.totalCount;
  return (
    <>
      {props.children}
      {(props.searchLabel || props.filters) && (
        <Box display="flex" flexWrap="wrap" mb={2} style={{ gap: 16 }}>
          {props.searchLabel && (
            <TextField
              id={searchId}
              label={props.searchLabel}
              value={typed}
              onChange={e => setTyped(e.target.value)}
              variant="outlined"
              size="small"
              type="search"
            />
          )}
          {props.filters}
        </Box>
      )}
      <SortContext.Provider value={sortState}>
        <Table
          title={`${props.title} (${count}${
            page.totalCountBounded ? '+' : ''
          })`}
          isLoading={result.loading}
          options={{
            paging: false,
            search: false,
            sorting: false,
            toolbar: !props.hideTitle,
          }}
          components={components}
          columns={columns}
          data={page.items}
          emptyContent={
            <Box p={2}>
              {props.noMatch ??
                'Nothing matches the search and filters you chose.'}
            </Box>
          }
        />
      </SortContext.Provider>
      {count > PAGE_SIZES[0] && (
        <TablePagination
          component="div"
          count={count}
          page={pageIndex}
          rowsPerPage={pageSize}
          rowsPerPageOptions={PAGE_SIZES}
          labelDisplayedRows={({ from, to }) =>
            `${from}–${to} of ${
              page.totalCountBounded ? `more than ${count}` : count
            }`
          }
          onPageChange={(_event, next) => setPageIndex(next)}
          onRowsPerPageChange={event => setPageSize(Number(event.target.value))}
        />
      )}
    </>
  );
}
