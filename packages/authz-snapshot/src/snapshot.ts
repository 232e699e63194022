import { routingKeyPatternProblem } from './routingKey';

export const AUTHZ_SNAPSHOT_FORMAT = 1;

/**
 * The authorisation policy the backend publishes and every sidecar enforces: applications,
 * their credentials (hashes only, never secrets) and the permissions derived from approved
 * subscriptions, at one state version.
 */
export interface AuthzSnapshot {
  format: 1;
  /** The portal's state version (a monotonic integer); sidecars refuse a lower one. */
  version: number;
  /**
   * Identifies the portal database the versions count in. Versions compare only within one
   * epoch: a portal restored from a backup or rebuilt starts counting again, and a sidecar
   * must take its snapshot rather than refuse it as "older" and keep serving stale access.
   */
  epoch?: string;
  /** ISO 8601 timestamp of when the backend built the snapshot. */
  generatedAt: string;
  /** The managed vhost; applications may use no other. */
  vhost: string;
  credentials: AuthzCredential[];
  applications: AuthzApplication[];
}

/**
 * One credential of an application. Each credential has a broker username of its own, so that
 * revoking one never touches the connections made with the other during rotation.
 *
 * Hash algorithm (`credentialHash` in `credentialHash.ts`, which the backend and the sidecar
 * both call with Node's SHA-256): `hash = lowercase hex( SHA-256( salt bytes || UTF-8 bytes of secret ) )`
 * where `salt` is 16 random bytes, written here as 32 lowercase hex characters. Secrets are
 * 256-bit random values, so a fast salted hash compared in constant time is the right choice;
 * a slow KDF would add nothing and turn a reconnect storm into a CPU storm.
 */
export interface AuthzCredential {
  /** Broker username of this credential (unique in the snapshot). */
  username: string;
  /** Name of the application the credential belongs to (must be in `applications`). */
  application: string;
  /** 16 bytes as 32 lowercase hex characters. */
  salt: string;
  /** SHA-256 as 64 lowercase hex characters; see the algorithm above. */
  hash: string;
  /** ISO 8601 timestamp after which the credential is refused, or null for no expiry. */
  expiresAt: string | null;
}

export interface AuthzTopicWrite {
  exchange: string;
  /** Routing-key patterns (see routingKey.ts) the application may publish to the exchange. */
  routingKeyPatterns: string[];
}

export interface AuthzApplication {
  /** Application name (unique in the snapshot). */
  name: string;
  /** Exchanges the application may publish to (resource `exchange`, permission `write`). */
  write: string[];
  /** Queues the application may consume from (resource `queue`, permission `read`). */
  read: string[];
  /** Routing keys the application may publish, per exchange (resource `topic`, `write`). */
  topicWrite: AuthzTopicWrite[];
}

/** A snapshot that does not conform to the format; `path` names the offending value. */
export class AuthzSnapshotError extends Error {
  /** JSONPath-like location, e.g. `$.credentials[2].salt`. */
  readonly path: string;

  constructor(path: string, message: string) {
    super(`Invalid authz snapshot at ${path}: ${message}`);
    this.name = 'AuthzSnapshotError';
    this.path = path;
  }
}

const SALT_HEX = /^[0-9a-f]{32}$/;
const HASH_HEX = /^[0-9a-f]{64}$/;
// Full ISO 8601 date-time with an explicit offset, as Date.prototype.toISOString writes it
// (and with any offset, since another writer may use one).
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new AuthzSnapshotError(path, message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function object(
  value: unknown,
  path: string,
  keys: readonly string[],
  optionalKeys: readonly string[] = [],
): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, `expected an object, got ${describe(value)}`);
  }
  const record = value as Json;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(record, key)) {
      fail(`${path}.${key}`, 'is required');
    }
  }
  // Unknown properties are refused rather than ignored: the snapshot is the policy, and a field
  // this sidecar does not understand may be one that narrows access.
  for (const key of Object.keys(record)) {
    if (!keys.includes(key) && !optionalKeys.includes(key)) {
      fail(`${path}.${key}`, 'is not a known property');
    }
  }
  return record;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) {
    fail(path, `expected an array, got ${describe(value)}`);
  }
  return value;
}

function nonEmptyString(value: unknown, path: string): string {
  if (typeof value !== 'string') {
    fail(path, `expected a string, got ${describe(value)}`);
  }
  if (value.length === 0) {
    fail(path, 'must not be empty');
  }
  return value;
}

function isoDateTime(value: unknown, path: string): string {
  const text = nonEmptyString(value, path);
  if (!ISO_DATE_TIME.test(text) || Number.isNaN(Date.parse(text))) {
    fail(path, `expected an ISO 8601 date-time, got ${JSON.stringify(text)}`);
  }
  return text;
}

function uniqueStrings(value: unknown, path: string): string[] {
  const items = array(value, path);
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const text = nonEmptyString(item, `${path}[${i}]`);
    if (seen.has(text)) {
      fail(`${path}[${i}]`, `duplicate ${JSON.stringify(text)}`);
    }
    seen.add(text);
  });
  return items as string[];
}

/**
 * One credential validated on its own (every check of {@link parseAuthzSnapshot} that does not
 * involve other entries); for applying deltas entry by entry.
 */
export function parseAuthzCredential(
  value: unknown,
  path: string,
): AuthzCredential {
  const record = object(value, path, [
    'username',
    'application',
    'salt',
    'hash',
    'expiresAt',
  ]);
  const salt = nonEmptyString(record.salt, `${path}.salt`);
  if (!SALT_HEX.test(salt)) {
    fail(`${path}.salt`, 'expected 16 bytes as 32 lowercase hex characters');
  }
  const hash = nonEmptyString(record.hash, `${path}.hash`);
  if (!HASH_HEX.test(hash)) {
    fail(`${path}.hash`, 'expected a SHA-256 as 64 lowercase hex characters');
  }
  return {
    username: nonEmptyString(record.username, `${path}.username`),
    application: nonEmptyString(record.application, `${path}.application`),
    salt,
    hash,
    expiresAt:
      record.expiresAt === null
        ? null
        : isoDateTime(record.expiresAt, `${path}.expiresAt`),
  };
}

function parseTopicWrite(value: unknown, path: string): AuthzTopicWrite {
  const record = object(value, path, ['exchange', 'routingKeyPatterns']);
  const routingKeyPatterns = uniqueStrings(
    record.routingKeyPatterns,
    `${path}.routingKeyPatterns`,
  );
  routingKeyPatterns.forEach((pattern, i) => {
    const problem = routingKeyPatternProblem(pattern);
    if (problem !== undefined) {
      fail(`${path}.routingKeyPatterns[${i}]`, problem);
    }
  });
  return {
    exchange: nonEmptyString(record.exchange, `${path}.exchange`),
    routingKeyPatterns,
  };
}

/**
 * One application validated on its own (every check of {@link parseAuthzSnapshot} that does not
 * involve other entries); for applying deltas entry by entry.
 */
export function parseAuthzApplication(
  value: unknown,
  path: string,
): AuthzApplication {
  const record = object(value, path, ['name', 'write', 'read', 'topicWrite']);
  const topicWrite = array(record.topicWrite, `${path}.topicWrite`).map(
    (item, i) => parseTopicWrite(item, `${path}.topicWrite[${i}]`),
  );
  const exchanges = new Set<string>();
  topicWrite.forEach((entry, i) => {
    if (exchanges.has(entry.exchange)) {
      fail(
        `${path}.topicWrite[${i}].exchange`,
        `duplicate ${JSON.stringify(entry.exchange)}`,
      );
    }
    exchanges.add(entry.exchange);
  });
  return {
    name: nonEmptyString(record.name, `${path}.name`),
    write: uniqueStrings(record.write, `${path}.write`),
    read: uniqueStrings(record.read, `${path}.read`),
    topicWrite,
  };
}

/**
 * Validates an untrusted value (typically `JSON.parse` of a feed response or the disk copy) and
 * returns it as a fresh AuthzSnapshot holding only the known properties. Throws
 * AuthzSnapshotError naming the first offending path. Besides types it checks what the sidecar
 * relies on: unique usernames and application names, credentials that name an application of
 * the snapshot, well-formed salts, hashes, timestamps and routing-key patterns.
 */
export function parseAuthzSnapshot(input: unknown): AuthzSnapshot {
  const record = object(
    input,
    '$',
    [
      'format',
      'version',
      'generatedAt',
      'vhost',
      'credentials',
      'applications',
    ],
    ['epoch'],
  );
  if (record.format !== AUTHZ_SNAPSHOT_FORMAT) {
    fail(
      '$.format',
      `unsupported format ${JSON.stringify(
        record.format,
      )}, expected ${AUTHZ_SNAPSHOT_FORMAT}`,
    );
  }
  const version = record.version;
  if (
    typeof version !== 'number' ||
    !Number.isSafeInteger(version) ||
    version < 0
  ) {
    fail('$.version', 'expected a non-negative safe integer');
  }
  const epoch =
    record.epoch === undefined
      ? undefined
      : nonEmptyString(record.epoch, '$.epoch');
  if (epoch !== undefined && epoch.length > 64) {
    fail('$.epoch', 'expected at most 64 characters');
  }
  const generatedAt = isoDateTime(record.generatedAt, '$.generatedAt');
  const vhost = nonEmptyString(record.vhost, '$.vhost');

  const applications = array(record.applications, '$.applications').map(
    (item, i) => parseAuthzApplication(item, `$.applications[${i}]`),
  );
  const applicationNames = new Set<string>();
  applications.forEach((application, i) => {
    if (applicationNames.has(application.name)) {
      fail(
        `$.applications[${i}].name`,
        `duplicate ${JSON.stringify(application.name)}`,
      );
    }
    applicationNames.add(application.name);
  });

  const credentials = array(record.credentials, '$.credentials').map(
    (item, i) => parseAuthzCredential(item, `$.credentials[${i}]`),
  );
  const usernames = new Set<string>();
  credentials.forEach((credential, i) => {
    if (usernames.has(credential.username)) {
      fail(
        `$.credentials[${i}].username`,
        `duplicate ${JSON.stringify(credential.username)}`,
      );
    }
    usernames.add(credential.username);
    if (!applicationNames.has(credential.application)) {
      fail(
        `$.credentials[${i}].application`,
        `names no application of the snapshot: ${JSON.stringify(
          credential.application,
        )}`,
      );
    }
  });

  return {
    format: AUTHZ_SNAPSHOT_FORMAT,
    version,
    ...(epoch !== undefined ? { epoch } : {}),
    generatedAt,
    vhost,
    credentials,
    applications,
  };
}
