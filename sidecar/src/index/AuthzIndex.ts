import { AuthzSnapshot } from '@internal/brom-authz-snapshot';
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

/**
 * A snapshot compiled for answering the broker: maps keyed by username and name, sets, and
 * precompiled routing-key matchers. Immutable once built; the decider swaps whole indexes.
 */
export class AuthzIndex {
  readonly version: number;
  /** The portal database the version counts in (AuthzSnapshot.epoch). */
  readonly epoch: string | undefined;
  readonly generatedAtMs: number;
  readonly vhost: string;
  readonly credentials: ReadonlyMap<string, CompiledCredential>;
  /** Reserved names the snapshot listed and the index left out. */
  readonly ignoredReservedNames: readonly string[];

  private constructor(options: {
    version: number;
    epoch: string | undefined;
    generatedAtMs: number;
    vhost: string;
    credentials: ReadonlyMap<string, CompiledCredential>;
    ignoredReservedNames: readonly string[];
  }) {
    this.version = options.version;
    this.epoch = options.epoch;
    this.generatedAtMs = options.generatedAtMs;
    this.vhost = options.vhost;
    this.credentials = options.credentials;
    this.ignoredReservedNames = options.ignoredReservedNames;
  }

  /** Compiles a snapshot that parseAuthzSnapshot has already validated. */
  static compile(options: { snapshot: AuthzSnapshot }): AuthzIndex {
    const { snapshot } = options;
    const ignoredReservedNames: string[] = [];
    const keep = (name: string) => {
      if (isReserved(name)) {
        ignoredReservedNames.push(name);
        return false;
      }
      return true;
    };

    const applications = new Map<string, CompiledApplication>();
    for (const application of snapshot.applications) {
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
      applications.set(application.name, {
        name: application.name,
        write: nameList(application.write.filter(keep)),
        read: nameList(application.read.filter(keep)),
        topicExchanges,
        topicPatterns,
      });
    }

    const credentials = new Map<string, CompiledCredential>();
    const secrets = Buffer.alloc(
      snapshot.credentials.length * (SALT_BYTES + HASH_BYTES),
    );
    let secretOffset = 0;
    for (const credential of snapshot.credentials) {
      const application = applications.get(credential.application);
      if (!application) {
        // parseAuthzSnapshot refuses such a snapshot; an index is never wider than its input.
        continue;
      }
      secrets.write(credential.salt, secretOffset, SALT_BYTES, 'hex');
      secrets.write(
        credential.hash,
        secretOffset + SALT_BYTES,
        HASH_BYTES,
        'hex',
      );
      credentials.set(credential.username, {
        username: credential.username,
        application,
        secrets,
        secretOffset,
        expiresAtMs:
          credential.expiresAt === null
            ? Infinity
            : Date.parse(credential.expiresAt),
      });
      secretOffset += SALT_BYTES + HASH_BYTES;
    }

    return new AuthzIndex({
      version: snapshot.version,
      epoch: snapshot.epoch,
      generatedAtMs: Date.parse(snapshot.generatedAt),
      vhost: snapshot.vhost,
      credentials,
      ignoredReservedNames,
    });
  }
}
