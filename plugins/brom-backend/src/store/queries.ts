import { InputError } from '@backstage/errors';
import { LIST_COUNT_BOUND, Page, SortOrder } from '@internal/plugin-brom-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import {
  Expression,
  ExpressionBuilder,
  Kysely,
  SelectQueryBuilder,
  sql,
  SqlBool,
} from 'kysely';
import { ApplicationQuery } from '../permissions/rules';

/** Which owners' applications a list may show: every owner, or those the criteria allow. */
export type OwnerFilter = PermissionCriteria<ApplicationQuery> | undefined;

/**
 * Compiles transformed permission criteria (allOf/anyOf/not over owner-in rules) into a
 * where-expression on an owner column, so conditional decisions filter in SQL.
 */
export function ownerCriteria(
  eb: ExpressionBuilder<any, any>,
  column: string,
  criteria: PermissionCriteria<ApplicationQuery>,
): Expression<SqlBool> {
  if (isAndCriteria(criteria)) {
    return eb.and(criteria.allOf.map(c => ownerCriteria(eb, column, c)));
  }
  if (isOrCriteria(criteria)) {
    return eb.or(criteria.anyOf.map(c => ownerCriteria(eb, column, c)));
  }
  if (isNotCriteria(criteria)) {
    return eb.not(ownerCriteria(eb, column, criteria.not));
  }
  // An empty IN list is invalid SQL on both dialects; an empty OR is Kysely's false.
  return criteria.ownerIn.length > 0
    ? eb(column, 'in', criteria.ownerIn)
    : eb.or([]);
}

/** LIKE escapes differ between PostgreSQL and SQLite; searching for wildcards is not useful. */
function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, '');
}

/** Case-insensitive substring search over the given columns. */
export function matchesSearch(q: string, columns: string[]) {
  const like = `%${escapeLike(q.toLowerCase())}%`;
  return (eb: ExpressionBuilder<any, any>) =>
    eb.or(columns.map(column => eb(eb.fn('lower', [column]), 'like', like)));
}

export async function countRows(
  query: SelectQueryBuilder<any, any, any>,
): Promise<number> {
  const [{ count }] = await query
    .select(eb => eb.fn.countAll<number>().as('count'))
    .execute();
  return Number(count);
}

export function emptyPage<T>(query: { offset: number; limit: number }): Page<T> {
  return { items: [], totalCount: 0, offset: query.offset, limit: query.limit };
}

/** How a list is asked for: one page in an order, after a cursor or at an offset. */
export interface SortedPageQuery<S extends string = string> {
  /** The list's default when absent. */
  sort?: S;
  order?: SortOrder;
  /** The previous page's `nextCursor`: continue after the row it names. */
  cursor?: string;
  offset: number;
  limit: number;
}

interface CursorContent {
  /** The sort and order the cursor was made for. */
  s: string;
  o: SortOrder;
  /** The key values of the last row of the page. */
  k: (string | number)[];
}

function encodeCursor(content: CursorContent): string {
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

function decodeCursor(cursor: string, sort: string, order: SortOrder, keys: number) {
  let content: CursorContent;
  try {
    content = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InputError('cursor is not one this API gave out; start again without it');
  }
  if (!content || typeof content.s !== 'string' || !Array.isArray(content.k)) {
    throw new InputError('cursor is not one this API gave out; start again without it');
  }
  if (content.s !== sort || content.o !== order) {
    throw new InputError(
      `cursor was made for sort=${content.s}&order=${content.o}; start again without it to sort by ${sort} ${order}`,
    );
  }
  if (
    content.k.length !== keys ||
    !content.k.every(v => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new InputError('cursor is not one this API gave out; start again without it');
  }
  return content.k;
}

/**
 * Rows strictly after `values` in the lexicographic order of `columns`, all in one direction:
 * (c1 > v1) or (c1 = v1 and c2 > v2) or ... The last column is unique, so no row repeats.
 */
function after(
  eb: ExpressionBuilder<any, any>,
  columns: string[],
  values: (string | number)[],
  order: SortOrder,
): Expression<SqlBool> {
  const op = order === 'asc' ? '>' : '<';
  return eb.or(
    columns.map((column, i) =>
      eb.and([
        ...columns.slice(0, i).map((prior, j) => eb(prior, '=', values[j])),
        eb(column, op, values[i]),
      ]),
    ),
  );
}

/**
 * How many rows the filtered query matches, counting at most `LIST_COUNT_BOUND` + 1 so a
 * count never reads more than that, whatever the size of the store.
 */
export async function boundedCount(
  db: Kysely<any>,
  base: SelectQueryBuilder<any, any, any>,
): Promise<{ totalCount: number; totalCountBounded: boolean }> {
  const [{ count }] = await db
    .selectFrom(
      base
        .select(sql<number>`1`.as('one'))
        .limit(LIST_COUNT_BOUND + 1)
        .as('bounded'),
    )
    .select(eb => eb.fn.countAll<number>().as('count'))
    .execute();
  const n = Number(count);
  return n > LIST_COUNT_BOUND
    ? { totalCount: LIST_COUNT_BOUND, totalCountBounded: true }
    : { totalCount: n, totalCountBounded: false };
}

/**
 * One page of a filtered query in the order of `keys` (a unique column last), by key: after
 * the cursor's row when the query has one (an index range scan, whatever the position), else
 * at the offset. The page says the cursor of the next one.
 */
export async function pageByKey<R>(
  db: Kysely<any>,
  base: SelectQueryBuilder<any, any, any>,
  select: (query: SelectQueryBuilder<any, any, any>) => SelectQueryBuilder<any, any, R>,
  sorts: Record<string, string[]>,
  defaults: { sort: string; order: SortOrder },
  given: SortedPageQuery,
): Promise<{ rows: R[]; page: Omit<Page<never>, 'items'> }> {
  const query = {
    ...given,
    sort: given.sort ?? defaults.sort,
    order: given.order ?? defaults.order,
  };
  const keys = sorts[query.sort];
  if (!keys) throw new InputError(`cannot sort by ${query.sort}`);
  if (query.cursor && query.offset > 0) {
    throw new InputError('give either cursor or offset, not both');
  }
  const count = await boundedCount(db, base);
  let rows = select(base).select(eb =>
    keys.map((column, i) => eb.ref(column).as(`page_key_${i}`)),
  );
  if (query.cursor) {
    const values = decodeCursor(query.cursor, query.sort, query.order, keys.length);
    rows = rows.where(eb => after(eb, keys, values, query.order));
  } else if (query.offset > 0) {
    rows = rows.offset(query.offset);
  }
  for (const column of keys) rows = rows.orderBy(column, query.order);
  const found = (await rows.limit(query.limit + 1).execute()) as (R &
    Record<string, string | number>)[];
  const more = found.length > query.limit;
  const shown = more ? found.slice(0, query.limit) : found;
  const last = shown[shown.length - 1];
  return {
    rows: shown,
    page: {
      ...count,
      offset: query.cursor ? 0 : query.offset,
      limit: query.limit,
      ...(more && last
        ? {
            nextCursor: encodeCursor({
              s: query.sort,
              o: query.order,
              k: keys.map((_, i) => last[`page_key_${i}`]),
            }),
          }
        : {}),
    },
  };
}
