import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzSnapshotError,
  parseAuthzSnapshot,
} from './snapshot';

/**
 * What changed between two snapshots of one epoch: the applications and credentials to put
 * (whole entries, replacing any of the same name or username) and those to remove. A sidecar
 * that holds version `from` applies it and holds `version`; the result is validated as a
 * whole snapshot, so a delta can never leave a sidecar with something a full snapshot could
 * not be. The portal sends one only to a sidecar that asked for deltas and named a version the
 * portal still has (see `AUTHZ_SNAPSHOT_HTTP.deltaParam`); otherwise it sends the snapshot.
 */
export interface AuthzSnapshotDelta {
  format: 1;
  /** The version the delta applies to: exactly the one the sidecar holds. */
  from: number;
  version: number;
  epoch?: string;
  generatedAt: string;
  vhost: string;
  applications: { put: AuthzApplication[]; remove: string[] };
  credentials: { put: AuthzCredential[]; remove: string[] };
}

/** A delta that does not apply to the snapshot held (another version or epoch). */
export class AuthzSnapshotDeltaGapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthzSnapshotDeltaGapError';
  }
}

/** True when a parsed feed body is a delta rather than a whole snapshot. */
export function isAuthzSnapshotDelta(input: unknown): boolean {
  return (
    typeof input === 'object' &&
    input !== null &&
    Object.prototype.hasOwnProperty.call(input, 'from')
  );
}

const DELTA_KEYS = [
  'format',
  'from',
  'version',
  'generatedAt',
  'vhost',
  'applications',
  'credentials',
];

function part(
  value: unknown,
  path: string,
): { put: unknown[]; remove: unknown[] } {
  if (
    typeof value !== 'object' ||
    value === null ||
    !Array.isArray((value as { put?: unknown }).put) ||
    !Array.isArray((value as { remove?: unknown }).remove) ||
    Object.keys(value).some(k => k !== 'put' && k !== 'remove')
  ) {
    throw new AuthzSnapshotError(
      path,
      'expected { put: [...], remove: [...] }',
    );
  }
  return value as { put: unknown[]; remove: unknown[] };
}

/**
 * What a delta changed, in the terms of the snapshot it made: the entries new or replaced (as
 * that validated snapshot holds them) and the names held before and gone now. A sidecar updates
 * its compiled index with it instead of compiling the whole snapshot again.
 */
export interface AuthzSnapshotChange {
  /** The version the delta applied to. */
  from: number;
  applications: { put: AuthzApplication[]; remove: string[] };
  credentials: { put: AuthzCredential[]; remove: string[] };
}

/**
 * The snapshot a sidecar holds after `input` (an untrusted delta, typically `JSON.parse` of a
 * feed response) is applied to `held`. Throws {@link AuthzSnapshotDeltaGapError} when the delta
 * is not for `held` (then the sidecar asks for the whole snapshot), AuthzSnapshotError when it
 * is malformed or its result is not a valid snapshot. `held` is left as it was.
 */
export function applyAuthzSnapshotDelta(
  held: AuthzSnapshot,
  input: unknown,
): AuthzSnapshot {
  return applyAuthzSnapshotDeltaWithChange(held, input).snapshot;
}

/**
 * {@link applyAuthzSnapshotDelta}, with what the delta changed. Every entry of `change.put` is
 * an entry of the returned (validated) snapshot, never an unvalidated one of `input`.
 */
export function applyAuthzSnapshotDeltaWithChange(
  held: AuthzSnapshot,
  input: unknown,
): { snapshot: AuthzSnapshot; change: AuthzSnapshotChange } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AuthzSnapshotError('$', 'expected an object');
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!DELTA_KEYS.includes(key) && key !== 'epoch') {
      throw new AuthzSnapshotError(`$.${key}`, 'is not a known property');
    }
  }
  if (record.format !== AUTHZ_SNAPSHOT_FORMAT) {
    throw new AuthzSnapshotError(
      '$.format',
      `expected ${AUTHZ_SNAPSHOT_FORMAT}`,
    );
  }
  if (record.from !== held.version || record.epoch !== held.epoch) {
    throw new AuthzSnapshotDeltaGapError(
      `delta from version ${String(record.from)} of epoch ${String(
        record.epoch,
      )} does not apply to the held version ${held.version} of epoch ${String(
        held.epoch,
      )}`,
    );
  }
  const applications = part(record.applications, '$.applications');
  const credentials = part(record.credentials, '$.credentials');
  // The merged entries, where the put ones landed in them, and the held names that went.
  const merge = <T extends object>(
    entries: T[],
    key: (entry: T) => string,
    change: { put: unknown[]; remove: unknown[] },
  ): { merged: T[]; putAt: number[]; removed: string[] } => {
    const gone = new Set(change.remove);
    const put = new Map(change.put.map(entry => [key(entry as T), entry as T]));
    const merged: T[] = [];
    const putAt: number[] = [];
    const removed: string[] = [];
    for (const entry of entries) {
      const k = key(entry);
      if (gone.has(k)) {
        if (!put.has(k)) removed.push(k);
        continue;
      }
      const replacement = put.get(k);
      if (replacement !== undefined) {
        putAt.push(merged.length);
        merged.push(replacement);
        put.delete(k);
      } else {
        merged.push(entry);
      }
    }
    for (const entry of put.values()) {
      putAt.push(merged.length);
      merged.push(entry);
    }
    return { merged, putAt, removed };
  };
  const apps = merge(held.applications, a => a.name, applications);
  const creds = merge(held.credentials, c => c.username, credentials);
  // Validated whole: unknown fields, duplicates, credentials of unknown applications, bad
  // hashes or patterns are refused exactly as in a full snapshot.
  const snapshot = parseAuthzSnapshot({
    format: record.format,
    version: record.version,
    ...(record.epoch !== undefined ? { epoch: record.epoch } : {}),
    generatedAt: record.generatedAt,
    vhost: record.vhost,
    applications: apps.merged,
    credentials: creds.merged,
  });
  // parseAuthzSnapshot keeps the order of the entries, so the validated ones are at the same
  // positions as the merged ones.
  return {
    snapshot,
    change: {
      from: held.version,
      applications: {
        put: apps.putAt.map(i => snapshot.applications[i]),
        remove: apps.removed,
      },
      credentials: {
        put: creds.putAt.map(i => snapshot.credentials[i]),
        remove: creds.removed,
      },
    },
  };
}

/**
 * One snapshot's entries as JSON text by name, from which the portal builds deltas (and
 * their bodies) without parsing anything again.
 */
export interface AuthzSnapshotEntries {
  version: number;
  epoch?: string;
  applications: Map<string, string>;
  credentials: Map<string, string>;
}

export function authzSnapshotEntries(
  snapshot: AuthzSnapshot,
): AuthzSnapshotEntries {
  return {
    version: snapshot.version,
    epoch: snapshot.epoch,
    applications: new Map(
      snapshot.applications.map(a => [a.name, JSON.stringify(a)]),
    ),
    credentials: new Map(
      snapshot.credentials.map(c => [c.username, JSON.stringify(c)]),
    ),
  };
}

/**
 * The body of the delta from `from` to `to` (a snapshot and its entries), as JSON text: linear
 * in the two snapshots' entry counts, and as large as what changed.
 */
export function authzSnapshotDeltaBody(
  from: AuthzSnapshotEntries,
  to: { snapshot: AuthzSnapshot; entries: AuthzSnapshotEntries },
): string {
  const diff = (before: Map<string, string>, after: Map<string, string>) => {
    const put: string[] = [];
    for (const [k, json] of after) if (before.get(k) !== json) put.push(json);
    const remove = [...before.keys()].filter(k => !after.has(k));
    return `{"put":[${put.join(',')}],"remove":${JSON.stringify(remove)}}`;
  };
  const { snapshot } = to;
  const head: Omit<AuthzSnapshotDelta, 'applications' | 'credentials'> = {
    format: AUTHZ_SNAPSHOT_FORMAT,
    from: from.version,
    version: snapshot.version,
    ...(snapshot.epoch !== undefined ? { epoch: snapshot.epoch } : {}),
    generatedAt: snapshot.generatedAt,
    vhost: snapshot.vhost,
  };
  return `${JSON.stringify(head).slice(0, -1)},"applications":${diff(
    from.applications,
    to.entries.applications,
  )},"credentials":${diff(from.credentials, to.entries.credentials)}}`;
}
