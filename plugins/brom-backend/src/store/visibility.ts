import { Expression, ExpressionBuilder, SqlBool } from 'kysely';

/** Who is reading: their ownership claims, and whether they administer BROM. */
export interface Viewer {
  claims: readonly string[];
  isAdmin: boolean;
}

/**
 * The one visibility rule of notification types: a private type is visible only to its
 * producer's owners (and administrators). Every read of a type or of a subscription to one
 * filters with this expression, so a hidden type reads as missing, never as forbidden.
 */
export function typeVisibleTo(
  eb: ExpressionBuilder<any, any>,
  viewer: Viewer,
  columns: { visibility: string; producerOwner: string },
): Expression<SqlBool> {
  if (viewer.isAdmin) return eb.and([]);
  return eb.or([
    eb(columns.visibility, '=', 'public'),
    ...(viewer.claims.length ? [eb(columns.producerOwner, 'in', [...viewer.claims])] : []),
  ]);
}

/**
 * A subscription is visible with its type, and to the consumer's owners, who asked for it
 * (the type may have turned private since).
 */
export function subscriptionVisibleTo(
  eb: ExpressionBuilder<any, any>,
  viewer: Viewer,
  columns: { visibility: string; producerOwner: string; consumerOwner: string },
): Expression<SqlBool> {
  if (viewer.isAdmin || viewer.claims.length === 0) return typeVisibleTo(eb, viewer, columns);
  return eb.or([
    typeVisibleTo(eb, viewer, columns),
    eb(columns.consumerOwner, 'in', [...viewer.claims]),
  ]);
}
