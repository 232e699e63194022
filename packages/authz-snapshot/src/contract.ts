/**
 * The HTTP contract between the backend's snapshot feed and the sidecars.
 *
 * `GET {portal}/api/brom/authz/snapshot?sidecar=<instance id>&waitSeconds=<n>` with
 * `If-None-Match: "<version the sidecar holds>"` and the sidecar's bearer token:
 * - `200` with the snapshot as JSON and `ETag: "<version>"` when the portal's version differs
 *   from the one named in `If-None-Match` (at once) or changes while the request waits;
 * - `304` with no body when `waitSeconds` pass without a change (the long-poll timeout).
 *
 * With `delta=1` the sidecar accepts a delta (`AuthzSnapshotDelta`, a body with `from`) instead
 * of the whole snapshot: the portal sends one when it still has the version named in
 * `If-None-Match` (same epoch), and the whole snapshot otherwise. The sidecar applies a delta
 * only to exactly the version it names; on any gap it asks again without `delta=1`.
 *
 * The `sidecar` parameter and `If-None-Match` together tell the backend which version each
 * sidecar serves, which is what lets the reconciler close a revoked credential's connections
 * only once every sidecar has dropped it.
 */
export const AUTHZ_SNAPSHOT_HTTP = {
  /** Path on the portal (the backend plugin `brom` is mounted at `/api/brom`). */
  path: '/api/brom/authz/snapshot',
  /** Query parameter: the sidecar's instance id. */
  sidecarParam: 'sidecar',
  /** Query parameter: the epoch of the snapshot the sidecar holds (see AuthzSnapshot.epoch). */
  epochParam: 'epoch',
  /** Query parameter: `1` when the sidecar accepts a delta from the version it holds. */
  deltaParam: 'delta',
  /** Query parameter: how long the backend may hold the request before answering 304. */
  waitSecondsParam: 'waitSeconds',
  /** Response header carrying the served version, `"<version>"`. */
  etagHeader: 'etag',
  /** Request header carrying the version the sidecar holds, `"<version>"`. */
  ifNoneMatchHeader: 'if-none-match',
  /** Status for a long poll that ended without a change. */
  notModifiedStatus: 304,
  /** Upper bound for `waitSeconds` both sides agree on; larger requests are clamped. */
  maxWaitSeconds: 60,
} as const;

/** The ETag (and If-None-Match value) for a snapshot version: the version in double quotes. */
export function formatAuthzSnapshotETag(version: number): string {
  return `"${version}"`;
}

/**
 * The version named by an ETag or If-None-Match value, or undefined when the value is absent or
 * not a quoted non-negative integer (a weak `W/` prefix is accepted, since proxies may add it).
 */
export function parseAuthzSnapshotETag(
  value: string | null | undefined,
): number | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}
