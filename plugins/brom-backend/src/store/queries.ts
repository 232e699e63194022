import { Page } from '@internal/plugin-brom-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import {
  Expression,
  ExpressionBuilder,
  SelectQueryBuilder,
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
