import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzSnapshotError,
  parseAuthzApplication,
  parseAuthzCredential,
  parseAuthzSnapshot,
} from './snapshot';
import { LayeredMap } from './LayeredMap';

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

/** The delta's checks before its entries: an object of known keys and format, for `held`. */
function deltaRecord(
  held: { version: number; epoch?: string },
  input: unknown,
): Record<string, unknown> {
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
  return record;
}

function byKey<T>(
  entries: unknown[],
  key: (entry: unknown) => string,
): Map<string, T> {
  return new Map(entries.map(entry => [key(entry), entry as T]));
}

/**
 * The merged entries, where the put ones landed in them, and the held names that went. `put`
 * maps each put entry's name to it (the last of a name wins, at the first one's place).
 */
function merge<T extends object>(
  entries: readonly T[],
  key: (entry: T) => string,
  gone: ReadonlySet<unknown>,
  putByKey: ReadonlyMap<string, T>,
): { merged: T[]; putAt: number[]; removed: string[] } {
  const put = new Map(putByKey);
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
  const record = deltaRecord(held, input);
  const applications = part(record.applications, '$.applications');
  const credentials = part(record.credentials, '$.credentials');
  const apps = merge(
    held.applications,
    a => a.name,
    new Set(applications.remove),
    byKey(applications.put, a => (a as AuthzApplication).name),
  );
  const creds = merge(
    held.credentials,
    c => c.username,
    new Set(credentials.remove),
    byKey(credentials.put, c => (c as AuthzCredential).username),
  );
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
  return { snapshot, change: changeOf(held.version, snapshot, apps, creds) };
}

/** What a delta changed, as the entries of the snapshot it made (validated, in place). */
function changeOf(
  from: number,
  snapshot: AuthzSnapshot,
  apps: { putAt: number[]; removed: string[] },
  creds: { putAt: number[]; removed: string[] },
): AuthzSnapshotChange {
  return {
    from,
    applications: {
      put: apps.putAt.map(i => snapshot.applications[i]),
      remove: apps.removed,
    },
    credentials: {
      put: creds.putAt.map(i => snapshot.credentials[i]),
      remove: creds.removed,
    },
  };
}

/** A delta applied by an {@link AuthzSnapshotHolder}, held once committed. */
export interface PreparedAuthzSnapshotDelta {
  /** The head of the snapshot the delta makes (version, epoch, generation time, vhost). */
  head: AuthzSnapshotHead;
  /** What the delta changed, as the entries of the snapshot it makes. */
  change: AuthzSnapshotChange;
  /**
   * The whole snapshot the delta makes, built when asked for (linear in the snapshot's size;
   * the entries are in no particular order). Stays what it was after later commits.
   */
  snapshot(): AuthzSnapshot;
  /** Makes the delta's snapshot the held one. Only the holder's latest prepared delta may commit. */
  commit(): void;
}

/** A validated snapshot as the holder keeps it: its head and its entries by name. */
interface HeldState {
  head: AuthzSnapshotHead;
  applications: LayeredMap<string, AuthzApplication>;
  credentials: LayeredMap<string, AuthzCredential>;
}

/** The whole snapshot of a held state. */
function snapshotOfState(state: HeldState): AuthzSnapshot {
  return {
    ...state.head,
    credentials: [...state.credentials.values()],
    applications: [...state.applications.values()],
  };
}

/**
 * A validated snapshot held for deltas to apply to, with what checking one needs without going
 * through the whole snapshot again: the entries by name (in layered maps, so that a version
 * costs the change, not a copy) and how many credentials name each application.
 * {@link AuthzSnapshotHolder.prepare} gives what {@link applyAuthzSnapshotDeltaWithChange} gives
 * for the held snapshot (the same entries, change and refusals; entries in another order), but
 * validates only the entries the delta puts and checks the cross-entry rules (unique names and
 * usernames, every credential naming an application of the snapshot) only where the delta
 * touches them, and builds no whole snapshot unless asked to: a delta costs the holder about the
 * delta's size.
 */
export class AuthzSnapshotHolder {
  #state: HeldState;
  /** The held state's whole snapshot, once built. */
  #snapshot: AuthzSnapshot | undefined;
  /** Credentials of the held snapshot naming each application (only names with some). */
  readonly #credentialsPerApplication: Map<string, number>;
  #generation = 0;

  private constructor(snapshot: AuthzSnapshot) {
    this.#state = {
      head: authzSnapshotHead(snapshot),
      applications: LayeredMap.of(snapshot.applications.map(a => [a.name, a])),
      credentials: LayeredMap.of(
        snapshot.credentials.map(c => [c.username, c]),
      ),
    };
    this.#snapshot = snapshot;
    this.#credentialsPerApplication = new Map();
    for (const credential of snapshot.credentials) {
      this.#count(credential.application, 1);
    }
  }

  /** Holds `snapshot`, which must be a result of parseAuthzSnapshot (or of a delta). */
  static hold(snapshot: AuthzSnapshot): AuthzSnapshotHolder {
    return new AuthzSnapshotHolder(snapshot);
  }

  /** The held snapshot's head. */
  get head(): AuthzSnapshotHead {
    return this.#state.head;
  }

  /** The held snapshot, built whole the first time it is asked for after a commit. */
  get snapshot(): AuthzSnapshot {
    this.#snapshot ??= snapshotOfState(this.#state);
    return this.#snapshot;
  }

  #count(application: string, by: number): void {
    const n = (this.#credentialsPerApplication.get(application) ?? 0) + by;
    if (n === 0) this.#credentialsPerApplication.delete(application);
    else this.#credentialsPerApplication.set(application, n);
  }

  /**
   * The snapshot `input` (an untrusted delta) makes of the held one, not held until committed.
   * Throws what {@link applyAuthzSnapshotDeltaWithChange} throws for the held snapshot: a
   * refused delta is run through it to name the same offending path.
   */
  prepare(input: unknown): PreparedAuthzSnapshotDelta {
    const held = this.#state;
    const record = deltaRecord(held.head, input);
    let result: { state: HeldState; change: AuthzSnapshotChange };
    try {
      result = this.#apply(record);
    } catch (error) {
      // Refusals are rare: the whole path finds the same problem and names it the same way.
      applyAuthzSnapshotDeltaWithChange(this.snapshot, input);
      throw error;
    }
    const generation = ++this.#generation;
    const { state, change } = result;
    let made: AuthzSnapshot | undefined;
    return {
      head: state.head,
      change,
      snapshot: () => {
        made ??= snapshotOfState(state);
        return made;
      },
      commit: () => {
        if (generation !== this.#generation || this.#state !== held) {
          throw new Error('Only the latest prepared delta may be committed');
        }
        this.#commit(state, change);
        this.#snapshot = made;
      },
    };
  }

  #apply(record: Record<string, unknown>): {
    state: HeldState;
    change: AuthzSnapshotChange;
  } {
    const held = this.#state;
    const applications = part(record.applications, '$.applications');
    const credentials = part(record.credentials, '$.credentials');
    // The top-level fields, checked as a whole snapshot's are.
    const head = authzSnapshotHead(
      parseAuthzSnapshot({
        format: record.format,
        version: record.version,
        ...(record.epoch !== undefined ? { epoch: record.epoch } : {}),
        generatedAt: record.generatedAt,
        vhost: record.vhost,
        applications: [],
        credentials: [],
      }),
    );
    // The put entries that count (the last of a name), each validated on its own.
    const putApplications = new Map<string, AuthzApplication>();
    for (const [name, entry] of byKey<unknown>(
      applications.put,
      a => (a as AuthzApplication).name,
    )) {
      putApplications.set(
        name,
        parseAuthzApplication(entry, '$.applications.put'),
      );
    }
    const putCredentials = new Map<string, AuthzCredential>();
    for (const [username, entry] of byKey<unknown>(
      credentials.put,
      c => (c as AuthzCredential).username,
    )) {
      putCredentials.set(
        username,
        parseAuthzCredential(entry, '$.credentials.put'),
      );
    }
    const goneApplications = new Set(applications.remove);
    const goneCredentials = new Set(credentials.remove);
    // Unique names and usernames hold by construction: the held ones are unique, and each name
    // is either kept, replaced or removed, and put at most once.
    const hasApplication = (name: string) =>
      putApplications.has(name) ||
      (held.applications.has(name) && !goneApplications.has(name));
    for (const credential of putCredentials.values()) {
      if (!hasApplication(credential.application)) {
        fail('credential names no application of the snapshot');
      }
    }
    // Held credentials that go (removed or replaced), per application they named.
    const leaving = new Map<string, number>();
    for (const username of new Set<unknown>([
      ...goneCredentials,
      ...putCredentials.keys(),
    ])) {
      const credential =
        typeof username === 'string'
          ? held.credentials.get(username)
          : undefined;
      if (credential !== undefined) {
        leaving.set(
          credential.application,
          (leaving.get(credential.application) ?? 0) + 1,
        );
      }
    }
    // An application that goes must be named by no credential that stays.
    for (const name of goneApplications) {
      if (
        typeof name === 'string' &&
        !putApplications.has(name) &&
        (this.#credentialsPerApplication.get(name) ?? 0) >
          (leaving.get(name) ?? 0)
      ) {
        fail('an application that goes is named by a credential that stays');
      }
    }
    const apps = edit(held.applications, goneApplications, putApplications);
    const creds = edit(held.credentials, goneCredentials, putCredentials);
    return {
      state: { head, applications: apps.made, credentials: creds.made },
      change: {
        from: held.head.version,
        applications: {
          put: [...putApplications.values()],
          remove: apps.removed,
        },
        credentials: {
          put: [...putCredentials.values()],
          remove: creds.removed,
        },
      },
    };
  }

  #commit(state: HeldState, change: AuthzSnapshotChange): void {
    const before = this.#state.credentials;
    // Held credentials replaced or removed stop counting; the put ones start.
    for (const username of change.credentials.remove) {
      const credential = before.get(username);
      if (credential !== undefined) this.#count(credential.application, -1);
    }
    for (const credential of change.credentials.put) {
      const replaced = before.get(credential.username);
      if (replaced !== undefined) this.#count(replaced.application, -1);
      this.#count(credential.application, 1);
    }
    this.#state = state;
  }
}

/**
 * The held entries with `gone` removed and `put` put (a put wins over a removal of its name),
 * and the held names that went.
 */
function edit<T>(
  held: LayeredMap<string, T>,
  gone: ReadonlySet<unknown>,
  put: ReadonlyMap<string, T>,
): { made: LayeredMap<string, T>; removed: string[] } {
  const removed: string[] = [];
  const draft = held.edit();
  for (const key of gone) {
    if (typeof key === 'string' && !put.has(key) && draft.has(key)) {
      removed.push(key);
      draft.delete(key);
    }
  }
  for (const [key, entry] of put) {
    draft.set(key, entry);
  }
  return { made: draft.done(), removed };
}

function fail(message: string): never {
  throw new AuthzSnapshotError('$', message);
}

/**
 * One snapshot's entries as JSON text by name, from which the portal builds deltas (and
 * their bodies) without parsing anything again.
 */
export interface AuthzSnapshotEntries {
  version: number;
  epoch?: string;
  applications: ReadonlyMap<string, string>;
  credentials: ReadonlyMap<string, string>;
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

/** A snapshot's fields other than its entries. */
export type AuthzSnapshotHead = Omit<
  AuthzSnapshot,
  'applications' | 'credentials'
>;

/** A snapshot's head: its fields without its entries. */
export function authzSnapshotHead(snapshot: AuthzSnapshot): AuthzSnapshotHead {
  const { applications, credentials, ...head } = snapshot;
  return head;
}

/**
 * The whole snapshot with head `head` and entries `entries`, as JSON text: the entries in the
 * order of their names, so that one state gives one body however its entries were gathered.
 */
export function authzSnapshotBody(
  head: AuthzSnapshotHead,
  entries: AuthzSnapshotEntries,
): string {
  const inOrder = (texts: ReadonlyMap<string, string>) =>
    [...texts.keys()]
      .sort()
      .map(key => texts.get(key)!)
      .join(',');
  const fields: AuthzSnapshotHead = {
    format: head.format,
    version: head.version,
    ...(head.epoch !== undefined ? { epoch: head.epoch } : {}),
    generatedAt: head.generatedAt,
    vhost: head.vhost,
  };
  return `${JSON.stringify(fields).slice(0, -1)},"credentials":[${inOrder(
    entries.credentials,
  )}],"applications":[${inOrder(entries.applications)}]}`;
}

/** Names and usernames whose entries may differ between two snapshots: all others do not. */
export interface AuthzSnapshotKeys {
  applications: Iterable<string>;
  credentials: Iterable<string>;
}

/**
 * The body of the delta from `from` to `to` (a snapshot, or its head, and its entries), as
 * JSON text, as large as what changed. Without `keys` it compares every entry of both (linear
 * in their sizes); with `keys`, the names and usernames outside which the two are known to
 * hold the same entries, it compares only those (linear in the change).
 */
export function authzSnapshotDeltaBody(
  from: AuthzSnapshotEntries,
  to: { snapshot: AuthzSnapshotHead; entries: AuthzSnapshotEntries },
  keys?: AuthzSnapshotKeys,
): string {
  const diff = (
    before: ReadonlyMap<string, string>,
    after: ReadonlyMap<string, string>,
    only: Iterable<string> | undefined,
  ) => {
    const put: string[] = [];
    const remove: string[] = [];
    if (only === undefined) {
      for (const [k, json] of after) if (before.get(k) !== json) put.push(json);
      for (const k of before.keys()) if (!after.has(k)) remove.push(k);
    } else {
      for (const k of new Set(only)) {
        const json = after.get(k);
        if (json === undefined) {
          if (before.has(k)) remove.push(k);
        } else if (before.get(k) !== json) {
          put.push(json);
        }
      }
    }
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
    keys?.applications,
  )},"credentials":${diff(
    from.credentials,
    to.entries.credentials,
    keys?.credentials,
  )}}`;
}
