import {
  AuthzApplication,
  AuthzCredential,
  AuthzSnapshot,
  AuthzSnapshotChange,
  AuthzSnapshotHead,
  LayeredMap,
} from '@internal/brom-authz-snapshot';
import { HASH_BYTES, SALT_BYTES } from './hash';
import { TopicPatterns, compileTopicPatterns } from './topicMatcher';

/**
 * The names an application may use of one kind. An application has a few (a producer one
 * exchange, a consumer a queue and its dead-letter queue), and scanning a short array touches
 * less memory than hashing into a Set, which matters more than instructions once the broker's
 * requests have pushed the index out of the CPU caches. Long lists are Sets.
 */
export type NameList = readonly string[] | ReadonlySet<string>;

/** Longest list kept as an array. */
const SCAN_LIMIT = 8;

/** Shared by the applications that have no names of a kind (half publish nothing). */
const NO_NAMES: readonly string[] = [];
const NO_PATTERNS: readonly TopicPatterns[] = [];

function nameList(names: readonly string[]): NameList {
  if (names.length === 0) {
    return NO_NAMES;
  }
  return names.length <= SCAN_LIMIT ? names : new Set(names);
}

export function hasName(names: NameList, name: string): boolean {
  return Array.isArray(names)
    ? names.includes(name)
    : (names as ReadonlySet<string>).has(name);
}

export interface CompiledApplication {
  readonly name: string;
  readonly write: NameList;
  readonly read: NameList;
  /** Exchanges the application may publish routing keys to… */
  readonly topicExchanges: NameList;
  /** …and, at the same position (or by name when topicExchanges is a Set), their patterns. */
  readonly topicPatterns:
    | readonly TopicPatterns[]
    | ReadonlyMap<string, TopicPatterns>;
}

/** The compiled patterns for an exchange, or undefined when the application has none there. */
export function topicPatternsFor(
  application: CompiledApplication,
  exchange: string,
): TopicPatterns | undefined {
  const { topicExchanges, topicPatterns } = application;
  if (Array.isArray(topicExchanges)) {
    const at = topicExchanges.indexOf(exchange);
    return at === -1
      ? undefined
      : (topicPatterns as readonly TopicPatterns[])[at];
  }
  return (topicPatterns as ReadonlyMap<string, TopicPatterns>).get(exchange);
}

export interface CompiledCredential {
  readonly username: string;
  readonly application: CompiledApplication;
  /**
   * The salt (16 bytes) and hash (32 bytes) at `secretOffset` in a buffer the index's
   * credentials share: one allocation for all of them rather than two Buffer objects each.
   */
  readonly secrets: Buffer;
  readonly secretOffset: number;
  /** Epoch milliseconds; Infinity when the credential does not expire. */
  readonly expiresAtMs: number;
}

/**
 * Names the broker reserves (`amq.default` is the default exchange, `amq.topic` and friends
 * are shared by everyone). The portal never derives them, and the sidecar never grants them
 * even if a snapshot were to list one.
 */
function isReserved(name: string): boolean {
  return name.startsWith('amq.');
}

/** Bytes of one credential's salt and hash in a secrets buffer. */
const SECRET_SLOT = SALT_BYTES + HASH_BYTES;

/**
 * Slots of removed or replaced credentials an index may keep in its secrets buffers before an
 * update compiles the whole snapshot instead: the larger of this and the live credential count,
 * so the buffers hold at most about twice what the live credentials need.
 */
const DEAD_SLOT_ALLOWANCE = 1024;

/**
 * One application's compiled entry, and the reserved names it listed and was refused. Every
 * entry comes from this one object literal (and every credential from `compiledCredential`),
 * so entries of a full compile and of an update share their shape and the decider's property
 * reads stay monomorphic.
 */
function compileApplication(application: AuthzApplication): {
  compiled: CompiledApplication;
  reserved: string[];
} {
  const reserved: string[] = [];
  const keep = (name: string) => {
    if (isReserved(name)) {
      reserved.push(name);
      return false;
    }
    return true;
  };
  const exchanges: string[] = [];
  const patterns: TopicPatterns[] = [];
  for (const entry of application.topicWrite) {
    if (keep(entry.exchange) && entry.routingKeyPatterns.length > 0) {
      exchanges.push(entry.exchange);
      patterns.push(compileTopicPatterns(entry.routingKeyPatterns));
    }
  }
  const topicExchanges = nameList(exchanges);
  let topicPatterns: CompiledApplication['topicPatterns'] = NO_PATTERNS;
  if (!Array.isArray(topicExchanges)) {
    topicPatterns = new Map(exchanges.map((e, i) => [e, patterns[i]]));
  } else if (patterns.length > 0) {
    topicPatterns = patterns;
  }
  const compiled: CompiledApplication = {
    name: application.name,
    write: nameList(application.write.filter(keep)),
    read: nameList(application.read.filter(keep)),
    topicExchanges,
    topicPatterns,
  };
  return { compiled, reserved };
}

function compiledCredential(
  username: string,
  application: CompiledApplication,
  secrets: Buffer,
  secretOffset: number,
  expiresAtMs: number,
): CompiledCredential {
  return { username, application, secrets, secretOffset, expiresAtMs };
}

/**
 * Compiles credentials into one new secrets buffer. `application` resolves a credential's
 * application; one it does not resolve is left out (parseAuthzSnapshot refuses a snapshot with
 * such a credential, and an index is never wider than its input).
 */
function compileCredentials(
  credentials: readonly AuthzCredential[],
  application: (name: string) => CompiledApplication | undefined,
  add: (credential: CompiledCredential) => void,
): void {
  if (credentials.length === 0) {
    return;
  }
  const secrets = Buffer.alloc(credentials.length * SECRET_SLOT);
  let secretOffset = 0;
  for (const credential of credentials) {
    const owner = application(credential.application);
    if (!owner) {
      continue;
    }
    secrets.write(credential.salt, secretOffset, SALT_BYTES, 'hex');
    secrets.write(
      credential.hash,
      secretOffset + SALT_BYTES,
      HASH_BYTES,
      'hex',
    );
    add(
      compiledCredential(
        credential.username,
        owner,
        secrets,
        secretOffset,
        credential.expiresAt === null
          ? Infinity
          : Date.parse(credential.expiresAt),
      ),
    );
    secretOffset += SECRET_SLOT;
  }
}

/**
 * A snapshot compiled for answering the broker: maps keyed by username and name, sets, and
 * precompiled routing-key matchers. Immutable once built; the decider swaps whole indexes.
 *
 * A full snapshot is compiled whole (`compile`); a delta's change updates the index it applies
 * to (`apply`) into a new index that shares every compiled entry the change did not touch.
 */
export class AuthzIndex {
  readonly version: number;
  /** The portal database the version counts in (AuthzSnapshot.epoch). */
  readonly epoch: string | undefined;
  readonly generatedAtMs: number;
  readonly vhost: string;
  readonly credentials: LayeredMap<string, CompiledCredential>;
  /** Reserved names the snapshot listed and the index left out. */
  readonly ignoredReservedNames: readonly string[];
  /** Changes applied since the snapshot was last compiled whole (0 for a whole compile). */
  readonly changesSinceCompile: number;
  readonly #applications: LayeredMap<string, CompiledApplication>;
  /** The usernames of each application that has credentials. */
  readonly #usernames: LayeredMap<string, readonly string[]>;
  /** The reserved names each application listed, for the applications that listed some. */
  readonly #reserved: LayeredMap<string, readonly string[]>;
  /** Slots of the secrets buffers that no live credential uses any more (an upper bound). */
  readonly #deadSecretSlots: number;

  private constructor(options: {
    snapshot: AuthzSnapshotHead;
    credentials: LayeredMap<string, CompiledCredential>;
    applications: LayeredMap<string, CompiledApplication>;
    usernames: LayeredMap<string, readonly string[]>;
    reserved: LayeredMap<string, readonly string[]>;
    deadSecretSlots: number;
    changesSinceCompile: number;
  }) {
    const { snapshot } = options;
    this.version = snapshot.version;
    this.epoch = snapshot.epoch;
    this.generatedAtMs = Date.parse(snapshot.generatedAt);
    this.vhost = snapshot.vhost;
    this.credentials = options.credentials;
    this.ignoredReservedNames =
      options.reserved.size === 0
        ? NO_NAMES
        : [...options.reserved.values()].flat();
    this.changesSinceCompile = options.changesSinceCompile;
    this.#applications = options.applications;
    this.#usernames = options.usernames;
    this.#reserved = options.reserved;
    this.#deadSecretSlots = options.deadSecretSlots;
  }

  /** Compiles a snapshot that parseAuthzSnapshot has already validated. */
  static compile(options: { snapshot: AuthzSnapshot }): AuthzIndex {
    const { snapshot } = options;
    const applications = new Map<string, CompiledApplication>();
    const reserved = new Map<string, readonly string[]>();
    for (const application of snapshot.applications) {
      const compiled = compileApplication(application);
      applications.set(application.name, compiled.compiled);
      if (compiled.reserved.length > 0) {
        reserved.set(application.name, compiled.reserved);
      }
    }
    const credentials = new Map<string, CompiledCredential>();
    const usernames = new Map<string, string[]>();
    compileCredentials(
      snapshot.credentials,
      name => applications.get(name),
      credential => {
        credentials.set(credential.username, credential);
        const name = credential.application.name;
        const list = usernames.get(name);
        if (list) {
          list.push(credential.username);
        } else {
          usernames.set(name, [credential.username]);
        }
      },
    );
    return new AuthzIndex({
      snapshot,
      credentials: LayeredMap.of(credentials),
      applications: LayeredMap.of(applications),
      usernames: LayeredMap.of(usernames),
      reserved: LayeredMap.of(reserved),
      deadSecretSlots: 0,
      changesSinceCompile: 0,
    });
  }

  /**
   * The index of the snapshot a delta made from the snapshot of this index: `snapshot` is its
   * head (version, epoch, generation time, vhost) and `change` what the delta changed
   * (`applyAuthzSnapshotDeltaWithChange`, `AuthzSnapshotHolder`). Only the applications and
   * credentials it names are compiled, and the credentials of a replaced application are
   * pointed at its new entry; everything else is shared with this index, which stays as it
   * was. The maps are layered (`LayeredMap`), so an update costs about the change and the square
   * root of the index's size, not a copy of the index. Answers exactly as a whole compile of
   * the snapshot would. When removed credentials have left too much of the secrets buffers
   * unused, the live credentials' secrets are packed into a new buffer (a whole rebuild of the
   * credentials, from the index's own entries).
   */
  apply(options: {
    snapshot: AuthzSnapshotHead;
    change: AuthzSnapshotChange;
  }): AuthzIndex {
    const { snapshot, change } = options;
    if (change.from !== this.version || snapshot.epoch !== this.epoch) {
      throw new Error(
        `A change from version ${change.from} of epoch ${String(
          snapshot.epoch,
        )} does not apply to the index of version ${
          this.version
        } of epoch ${String(this.epoch)}`,
      );
    }
    // Compiled first: a pattern that does not compile leaves nothing half-made.
    const puts = change.applications.put.map(application => ({
      application,
      ...compileApplication(application),
    }));
    const applications = this.#applications.edit();
    const reserved = this.#reserved.edit();
    const credentials = this.credentials.edit();
    const usernames = this.#usernames.edit();
    // Username lists this update copied (and so may change); the others are shared.
    const copied = new Map<string, string[]>();
    const usernamesOf = (name: string): string[] => {
      let list = copied.get(name);
      if (list === undefined) {
        list = [...(usernames.get(name) ?? [])];
        copied.set(name, list);
        usernames.set(name, list);
      }
      return list;
    };
    let deadSecretSlots = this.#deadSecretSlots;
    const drop = (username: string) => {
      const credential = credentials.get(username);
      if (credential === undefined) {
        return;
      }
      credentials.delete(username);
      const name = credential.application.name;
      const list = usernamesOf(name);
      list.splice(list.indexOf(username), 1);
      if (list.length === 0) {
        usernames.delete(name);
        copied.delete(name);
      }
      deadSecretSlots++;
    };

    for (const username of change.credentials.remove) {
      drop(username);
    }
    for (const credential of change.credentials.put) {
      drop(credential.username);
    }
    for (const name of change.applications.remove) {
      applications.delete(name);
      reserved.delete(name);
      // A valid snapshot has no credential of an application it lacks, so the change removed
      // them all; were one left, it goes, as compile would leave it out.
      for (const username of [...(usernames.get(name) ?? [])]) {
        drop(username);
      }
    }
    for (const { application, compiled, reserved: names } of puts) {
      applications.set(application.name, compiled);
      if (names.length > 0) {
        reserved.set(application.name, names);
      } else {
        reserved.delete(application.name);
      }
      // The credentials the application keeps now point at its new entry.
      for (const username of usernames.get(application.name) ?? []) {
        const held = credentials.get(username)!;
        credentials.set(
          username,
          compiledCredential(
            held.username,
            compiled,
            held.secrets,
            held.secretOffset,
            held.expiresAtMs,
          ),
        );
      }
    }
    compileCredentials(
      change.credentials.put,
      name => applications.get(name),
      credential => {
        credentials.set(credential.username, credential);
        usernamesOf(credential.application.name).push(credential.username);
      },
    );

    const made = {
      snapshot,
      applications: applications.done(),
      reserved: reserved.done(),
      usernames: usernames.done(),
    };
    const live = credentials.done();
    if (deadSecretSlots > Math.max(live.size, DEAD_SLOT_ALLOWANCE)) {
      return new AuthzIndex({
        ...made,
        credentials: repackSecrets(live),
        deadSecretSlots: 0,
        changesSinceCompile: 0,
      });
    }
    return new AuthzIndex({
      ...made,
      credentials: live,
      deadSecretSlots,
      changesSinceCompile: this.changesSinceCompile + 1,
    });
  }
}

/** The credentials with their secrets copied into one new buffer of exactly their size. */
function repackSecrets(
  credentials: LayeredMap<string, CompiledCredential>,
): LayeredMap<string, CompiledCredential> {
  const secrets = Buffer.alloc(credentials.size * SECRET_SLOT);
  let secretOffset = 0;
  const packed: Array<[string, CompiledCredential]> = [];
  for (const [username, held] of credentials) {
    held.secrets.copy(
      secrets,
      secretOffset,
      held.secretOffset,
      held.secretOffset + SECRET_SLOT,
    );
    packed.push([
      username,
      compiledCredential(
        username,
        held.application,
        secrets,
        secretOffset,
        held.expiresAtMs,
      ),
    ]);
    secretOffset += SECRET_SLOT;
  }
  return LayeredMap.of(packed);
}
