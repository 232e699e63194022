import {
  AuthzSnapshot,
  compileRoutingKeyPatterns,
} from '@internal/brom-authz-snapshot';

export interface CompiledApplication {
  readonly name: string;
  readonly write: ReadonlySet<string>;
  readonly read: ReadonlySet<string>;
  /** Per exchange, one predicate over all of the application's patterns for it. */
  readonly topicWrite: ReadonlyMap<string, (routingKey: string) => boolean>;
}

export interface CompiledCredential {
  readonly username: string;
  readonly application: CompiledApplication;
  readonly salt: Buffer;
  readonly hash: Buffer;
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
      const topicWrite = new Map<string, (routingKey: string) => boolean>();
      for (const entry of application.topicWrite) {
        if (keep(entry.exchange) && entry.routingKeyPatterns.length > 0) {
          topicWrite.set(
            entry.exchange,
            compileRoutingKeyPatterns(entry.routingKeyPatterns),
          );
        }
      }
      applications.set(application.name, {
        name: application.name,
        write: new Set(application.write.filter(keep)),
        read: new Set(application.read.filter(keep)),
        topicWrite,
      });
    }

    const credentials = new Map<string, CompiledCredential>();
    for (const credential of snapshot.credentials) {
      const application = applications.get(credential.application);
      if (!application) {
        // parseAuthzSnapshot refuses such a snapshot; an index is never wider than its input.
        continue;
      }
      credentials.set(credential.username, {
        username: credential.username,
        application,
        salt: Buffer.from(credential.salt, 'hex'),
        hash: Buffer.from(credential.hash, 'hex'),
        expiresAtMs:
          credential.expiresAt === null
            ? Infinity
            : Date.parse(credential.expiresAt),
      });
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
