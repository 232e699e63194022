import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzSnapshotEntries,
  AuthzSnapshotHead,
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

/**
 * The policy as the feed serves it: its entries as JSON text by name (from which deltas are
 * made), built whole from the desired state or from the previous version's entries by
 * replacing those of the applications a change touched. Both ways give the same entries for
 * the same state: one derivation (`policiesOf`) makes every entry.
 */
export class AuthzPolicy {
  readonly head: AuthzSnapshotHead;
  readonly entries: AuthzSnapshotEntries;
  readonly #byApplication: Map<string, Held>;
  /** When credentials with an expiry end (ms), by username, with their application. */
  readonly #expiries: Map<string, { at: number; applicationId: string }>;
  #nextExpiry: number | undefined;
  #body: string | undefined;

  private constructor(
    head: AuthzSnapshotHead,
    entries: AuthzSnapshotEntries,
    byApplication: Map<string, Held>,
    expiries: Map<string, { at: number; applicationId: string }>,
  ) {
    this.head = head;
    this.entries = entries;
    this.#byApplication = byApplication;
    this.#expiries = expiries;
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
    const head = headOf(options);
    const policy = new AuthzPolicy(
      head,
      {
        version: head.version,
        epoch: head.epoch,
        applications: new Map(),
        credentials: new Map(),
      },
      new Map(),
      new Map(),
    );
    policy.#put(policiesOf(state, options.prefix), previous?.entries);
    return policy;
  }

  /**
   * This policy with the entries of the applications `applicationIds` replaced by their
   * policy in `state` (which holds the whole state of those applications, and of no other);
   * an application no longer in `state` (deleted) loses its entries. Entries that did not
   * change keep their text, so the versions the feed remembers share it.
   */
  changed(
    applicationIds: string[],
    state: AuthzState,
    options: Head,
  ): AuthzPolicy {
    const head = headOf(options);
    const entries = { version: head.version, epoch: head.epoch };
    if (applicationIds.length === 0) {
      // Nothing to replace: the maps are never changed once built, so they are shared.
      return new AuthzPolicy(
        head,
        { ...this.entries, ...entries },
        this.#byApplication,
        this.#expiries,
      );
    }
    const next = new AuthzPolicy(
      head,
      {
        version: head.version,
        epoch: head.epoch,
        applications: new Map(this.entries.applications),
        credentials: new Map(this.entries.credentials),
      },
      new Map(this.#byApplication),
      new Map(this.#expiries),
    );
    // Every old entry first: a name freed by one application may be taken by another.
    for (const id of applicationIds) {
      const held = next.#byApplication.get(id);
      if (!held) continue;
      next.entries.applications.delete(held.name);
      for (const username of held.usernames) {
        next.entries.credentials.delete(username);
        next.#expiries.delete(username);
      }
      next.#byApplication.delete(id);
    }
    next.#put(policiesOf(state, options.prefix), this.entries);
    return next;
  }

  /**
   * Applications with a credential whose expiry `now` has reached: a whole build leaves such
   * credentials out, so a build from this policy re-reads their applications.
   */
  expiredBy(now: Date): string[] {
    const at = now.getTime();
    if (this.#nextExpiry === undefined) {
      this.#nextExpiry = Infinity;
      for (const expiry of this.#expiries.values()) {
        this.#nextExpiry = Math.min(this.#nextExpiry, expiry.at);
      }
    }
    if (at < this.#nextExpiry) return [];
    const ids = new Set<string>();
    for (const expiry of this.#expiries.values()) {
      if (expiry.at <= at) ids.add(expiry.applicationId);
    }
    return [...ids];
  }

  /** The whole snapshot as JSON text, written when first asked for. */
  body(): string {
    this.#body ??= authzSnapshotBody(this.head, this.entries);
    return this.#body;
  }

  #put(
    policies: ApplicationPolicy[],
    before?: Pick<AuthzSnapshotEntries, 'applications' | 'credentials'>,
  ) {
    // The text held before when it is the same, so that unchanged entries are shared.
    const text = (
      previous: Map<string, string> | undefined,
      key: string,
      value: object,
    ) => {
      const json = JSON.stringify(value);
      const old = previous?.get(key);
      return old === json ? old : json;
    };
    for (const p of policies) {
      const { name } = p.application;
      this.entries.applications.set(
        name,
        text(before?.applications, name, p.application),
      );
      for (const c of p.credentials) {
        this.entries.credentials.set(
          c.username,
          text(before?.credentials, c.username, c),
        );
        if (c.expiresAt !== null) {
          this.#expiries.set(c.username, {
            at: Date.parse(c.expiresAt),
            applicationId: p.id,
          });
        }
      }
      this.#byApplication.set(p.id, {
        name,
        usernames: p.credentials.map(c => c.username),
      });
    }
  }
}
