import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzSnapshotEntries,
  AuthzSnapshotHead,
  LayeredMap,
  LayeredMapDraft,
  authzSnapshotBody,
} from '@internal/brom-authz-snapshot';
import { BromTransaction } from '../store/BromStore';
import { applicationObjectNames } from '../reconciler/core/naming';
import { routingKeyPatternsByApplication } from '../reconciler/core/topology';
import { AuthzState, DatabaseAuthzStateStore } from '../store/AuthzStateStore';

/** One application's part of the policy: its entry and its credentials' entries. */
interface ApplicationPolicy {
  id: string;
  application: AuthzApplication;
  credentials: AuthzCredential[];
}

/**
 * Derives the authorisation policy of the applications in `state`: a producer may write to
 * its exchange and publish keys matching its live types; a consumer may read its queue and
 * dead-letter queue (the queues the reconciler declares for every application with a
 * subscription); nobody gets `configure`. Linear in the state's size.
 */
function policiesOf(state: AuthzState, prefix: string): ApplicationPolicy[] {
  const patternsByApplication = routingKeyPatternsByApplication(
    state.notificationTypes,
  );
  const credentialsByApplication = new Map<string, AuthzCredential[]>();
  const nameById = new Map(state.applications.map(a => [a.id, a.name]));
  for (const c of state.credentials) {
    const application = nameById.get(c.applicationId);
    if (application === undefined) continue;
    const list = credentialsByApplication.get(c.applicationId) ?? [];
    list.push({
      username: c.username,
      application,
      salt: c.salt,
      hash: c.hash,
      expiresAt: c.expiresAt,
    });
    credentialsByApplication.set(c.applicationId, list);
  }
  return state.applications.map(app => {
    const names = applicationObjectNames(prefix, app.name);
    const patterns = patternsByApplication.get(app.id) ?? [];
    const isConsumer = state.consumerIds.has(app.id);
    return {
      id: app.id,
      application: {
        name: app.name,
        write: patterns.length ? [names.exchange] : [],
        read: isConsumer ? [names.queue, names.deadLetterQueue] : [],
        topicWrite: patterns.length
          ? [{ exchange: names.exchange, routingKeyPatterns: patterns }]
          : [],
      },
      credentials: credentialsByApplication.get(app.id) ?? [],
    };
  });
}

interface Head {
  version: number;
  epoch: string;
  vhost: string;
  prefix: string;
  now: Date;
}

function headOf(options: Head): AuthzSnapshotHead {
  return {
    format: AUTHZ_SNAPSHOT_FORMAT,
    version: options.version,
    epoch: options.epoch,
    generatedAt: options.now.toISOString(),
    vhost: options.vhost,
  };
}

/** The whole policy as a snapshot, from the desired state read in the caller's transaction. */
export async function buildAuthzSnapshot(
  tx: BromTransaction,
  options: Head,
): Promise<AuthzSnapshot> {
  const state = await DatabaseAuthzStateStore.create({ db: tx }).read(
    options.now.toISOString(),
  );
  const policies = policiesOf(state, options.prefix);
  return {
    ...headOf(options),
    credentials: policies
      .flatMap(p => p.credentials)
      .sort((a, b) => (a.username < b.username ? -1 : 1)),
    applications: policies.map(p => p.application),
  };
}

/** What the policy holds of one application, to replace it when the application changes. */
interface Held {
  name: string;
  usernames: string[];
}

/** When a credential with an expiry ends (ms), with its application. */
interface Expiry {
  at: number;
  applicationId: string;
}

/** The drafts of a policy's maps while it is being made. */
interface Drafts {
  applications: Draft<string>;
  credentials: Draft<string>;
  byApplication: Draft<Held>;
  expiries: Draft<Expiry>;
}

type Draft<V> = LayeredMapDraft<string, V> & { done(): LayeredMap<string, V> };

/** A policy's entries, in layered maps. */
type PolicyEntries = AuthzSnapshotEntries & {
  applications: LayeredMap<string, string>;
  credentials: LayeredMap<string, string>;
};

/** The names and usernames whose entries a build from the one before may have changed. */
export interface AuthzPolicyChanges {
  /** The version of the policy this one was made from. */
  from: number;
  keys: { applications: ReadonlySet<string>; credentials: ReadonlySet<string> };
}

/**
 * The policy as the feed serves it: its entries as JSON text by name (from which deltas are
 * made), built whole from the desired state or from the previous version's entries by
 * replacing those of the applications a change touched. Both ways give the same entries for
 * the same state: one derivation (`policiesOf`) makes every entry. The maps are layered
 * (`LayeredMap`): a version made from the one before shares its entries and costs about the
 * change, not a copy of the policy.
 */
export class AuthzPolicy {
  readonly head: AuthzSnapshotHead;
  readonly entries: PolicyEntries;
  /** For a policy made from the one before: which, and the keys it may have changed. */
  readonly changes: AuthzPolicyChanges | undefined;
  readonly #byApplication: LayeredMap<string, Held>;
  /** When credentials with an expiry end, by username. */
  readonly #expiries: LayeredMap<string, Expiry>;
  /** No credential of the policy expires before this (ms): a lower bound. */
  #nextExpiry: number;
  #body: string | undefined;

  private constructor(options: {
    head: AuthzSnapshotHead;
    maps: Drafts;
    changes?: AuthzPolicyChanges;
    nextExpiry: number;
  }) {
    const { head, maps } = options;
    this.head = head;
    this.entries = {
      version: head.version,
      epoch: head.epoch,
      applications: maps.applications.done(),
      credentials: maps.credentials.done(),
    };
    this.changes = options.changes;
    this.#byApplication = maps.byApplication.done();
    this.#expiries = maps.expiries.done();
    this.#nextExpiry = options.nextExpiry;
  }

  /**
   * The whole policy of `state` (every application's); entries unchanged since `previous`
   * keep its text.
   */
  static whole(
    state: AuthzState,
    options: Head,
    previous?: AuthzPolicy,
  ): AuthzPolicy {
    const maps: Drafts = {
      applications: LayeredMap.empty<string, string>().edit(),
      credentials: LayeredMap.empty<string, string>().edit(),
      byApplication: LayeredMap.empty<string, Held>().edit(),
      expiries: LayeredMap.empty<string, Expiry>().edit(),
    };
    const nextExpiry = put(
      maps,
      policiesOf(state, options.prefix),
      previous?.entries,
    );
    return new AuthzPolicy({ head: headOf(options), maps, nextExpiry });
  }

  /**
   * This policy with the entries of the applications `applicationIds` replaced by their
   * policy in `state` (which holds the whole state of those applications, and of no other);
   * an application no longer in `state` (deleted) loses its entries. Entries that did not
   * change keep their text, so the versions the feed remembers share it. This policy stays
   * as it was.
   */
  changed(
    applicationIds: string[],
    state: AuthzState,
    options: Head,
  ): AuthzPolicy {
    const maps: Drafts = {
      applications: this.entries.applications.edit(),
      credentials: this.entries.credentials.edit(),
      byApplication: this.#byApplication.edit(),
      expiries: this.#expiries.edit(),
    };
    const applications = new Set<string>();
    const credentials = new Set<string>();
    // Every old entry first: a name freed by one application may be taken by another.
    for (const id of applicationIds) {
      const held = maps.byApplication.get(id);
      if (!held) continue;
      applications.add(held.name);
      maps.applications.delete(held.name);
      for (const username of held.usernames) {
        credentials.add(username);
        maps.credentials.delete(username);
        maps.expiries.delete(username);
      }
      maps.byApplication.delete(id);
    }
    const policies = policiesOf(state, options.prefix);
    for (const p of policies) {
      applications.add(p.application.name);
      for (const c of p.credentials) credentials.add(c.username);
    }
    const nextExpiry = put(maps, policies, this.entries);
    return new AuthzPolicy({
      head: headOf(options),
      maps,
      changes: { from: this.head.version, keys: { applications, credentials } },
      nextExpiry: Math.min(this.#nextExpiry, nextExpiry),
    });
  }

  /**
   * Applications with a credential whose expiry `now` has reached: a whole build leaves such
   * credentials out, so a build from this policy re-reads their applications. Looks through the
   * credentials only once `now` reaches the earliest expiry it may hold.
   */
  expiredBy(now: Date): string[] {
    const at = now.getTime();
    if (at < this.#nextExpiry) return [];
    const ids = new Set<string>();
    let next = Infinity;
    for (const expiry of this.#expiries.values()) {
      if (expiry.at <= at) ids.add(expiry.applicationId);
      else next = Math.min(next, expiry.at);
    }
    // Nothing expired: none does before the earliest expiry held.
    if (ids.size === 0) this.#nextExpiry = next;
    return [...ids];
  }

  /** The whole snapshot as JSON text, written when first asked for. */
  body(): string {
    this.#body ??= authzSnapshotBody(this.head, this.entries);
    return this.#body;
  }
}

/**
 * Puts the entries of `policies` into `maps`; returns the earliest expiry among their
 * credentials (Infinity for none).
 */
function put(
  maps: Drafts,
  policies: ApplicationPolicy[],
  before?: AuthzSnapshotEntries,
): number {
  // The text held before when it is the same, so that unchanged entries are shared.
  const text = (
    previous: ReadonlyMap<string, string> | undefined,
    key: string,
    value: object,
  ) => {
    const json = JSON.stringify(value);
    const old = previous?.get(key);
    return old === json ? old : json;
  };
  let nextExpiry = Infinity;
  for (const p of policies) {
    const { name } = p.application;
    maps.applications.set(
      name,
      text(before?.applications, name, p.application),
    );
    for (const c of p.credentials) {
      maps.credentials.set(
        c.username,
        text(before?.credentials, c.username, c),
      );
      if (c.expiresAt !== null) {
        const at = Date.parse(c.expiresAt);
        nextExpiry = Math.min(nextExpiry, at);
        maps.expiries.set(c.username, { at, applicationId: p.id });
      }
    }
    maps.byApplication.set(p.id, {
      name,
      usernames: p.credentials.map(c => c.username),
    });
  }
  return nextExpiry;
}
