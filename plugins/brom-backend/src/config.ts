import { Config } from '@backstage/config';
import {
  DEFAULT_DEAD_LETTER_BOUND,
  DeadLetterOverflow,
} from './reconciler/core/types';

export interface BromConfig {
  /** The vhost BROM manages. */
  vhost: string;
  /** Prefix of every broker object BROM manages. */
  prefix: string;
  /** The reconciler's own broker user; no application may take its name. */
  brokerUsername: string;
  reservedNames: string[];
  seedExampleData: boolean;
  /** Check every JSON response against openapi.yaml (the API tests do). */
  validateResponses: boolean;
  /**
   * Where applications connect, shown in docs and connection settings: one AMQP URL per
   * node of the cluster, or one load balancer's. Empty when not configured.
   */
  amqpUrls: string[];
  /** Service principal subjects of the sidecars (their static external-access tokens). */
  sidecarSubjects: string[];
  /**
   * `live`: the sidecar authorises every broker decision. `native`: the sidecar only
   * authenticates; the reconciler writes a broker user and permissions per live credential
   * and the broker authorises from them (docs/decisions/0017-native-authorisation-mode.md).
   */
  authzMode: 'live' | 'native';
  broker: {
    /** The management API of each node (the reconciler fails over between them), or of a load balancer. */
    managementUrls: string[];
    username: string;
    password: string | null;
    queueType: 'quorum' | 'classic';
    policyPriority: number;
    requestTimeoutMs: number;
  };
  notifications: {
    /** Send notifications and run the scheduled checks from this backend. */
    enabled: boolean;
    checkIntervalMs: number;
    expiryWarningDays: number[];
    notReadyAfterMs: number;
  };
  externalProducers: {
    /** Whether applications may be registered as external producers. */
    enabled: boolean;
    /** Base64 of the 32-byte AES-256-GCM key that seals upstream passwords; null when not set. */
    encryptionKey: string | null;
    /** Keys rotated out: they still open what they sealed until it is re-sealed. */
    previousEncryptionKeys: string[];
  };
  reconciler: {
    enabled: boolean;
    resyncMs: number;
    backoffBaseMs: number;
    backoffCapMs: number;
    concurrency: number;
    /** Sidecars not seen for this long no longer hold up revocations. */
    sidecarStaleMs: number;
    /** How long after a revocation its connections are still looked for. */
    revocationGraceMs: number;
  };
  /** The bound of every dead-letter queue (one shared policy, `brom._dead-letters`; decision 0025). */
  deadLetters: { maxLength: number; overflow: DeadLetterOverflow };
  lifecycle: {
    /** The least a sunset may lie ahead when a type is deprecated. */
    minimumSunsetDays: number;
    /** How often the sunset task runs. */
    sunsetCheckMs: number;
  };
}

export function readBromConfig(config: Config): BromConfig {
  if (process.env.NODE_ENV === 'production') {
    assertProductionConfig(config);
  }
  const brokerUsername =
    config.getOptionalString('brom.broker.username') ?? 'brom-reconciler';
  return {
    vhost: config.getOptionalString('brom.broker.vhost') ?? 'brom',
    prefix: config.getOptionalString('brom.broker.prefix') ?? 'brom.',
    brokerUsername,
    reservedNames: ['guest', 'admin', brokerUsername],
    seedExampleData: config.getOptionalBoolean('brom.seedExampleData') ?? false,
    validateResponses:
      config.getOptionalBoolean('brom.api.validateResponses') ?? false,
    amqpUrls: readUrls(config, 'brom.broker.amqpUrls', 'brom.broker.amqpUrl'),
    sidecarSubjects: config.getOptionalStringArray(
      'brom.authz.sidecarSubjects',
    ) ?? ['brom-sidecar'],
    authzMode: readAuthzMode(config.getOptionalString('brom.authz.mode')),
    broker: {
      managementUrls: readUrls(
        config,
        'brom.broker.managementUrls',
        'brom.broker.managementUrl',
      ),
      username: brokerUsername,
      password: config.getOptionalString('brom.broker.password') ?? null,
      queueType: readQueueType(
        config.getOptionalString('brom.broker.queueType'),
      ),
      policyPriority:
        config.getOptionalNumber('brom.broker.policyPriority') ?? 10,
      requestTimeoutMs:
        config.getOptionalNumber('brom.broker.requestTimeoutMs') ?? 10_000,
    },
    notifications: {
      enabled: config.getOptionalBoolean('brom.notifications.enabled') ?? true,
      checkIntervalMs:
        (config.getOptionalNumber('brom.notifications.checkIntervalSeconds') ??
          60) * 1000,
      expiryWarningDays: readWarningDays(config),
      notReadyAfterMs:
        (config.getOptionalNumber('brom.notifications.notReadyMinutes') ?? 10) *
        60_000,
    },
    externalProducers: {
      enabled:
        config.getOptionalBoolean('brom.externalProducers.enabled') ?? false,
      encryptionKey:
        config.getOptionalString('brom.externalProducers.encryptionKey') ??
        null,
      previousEncryptionKeys:
        config.getOptionalStringArray(
          'brom.externalProducers.previousEncryptionKeys',
        ) ?? [],
    },
    reconciler: {
      enabled: config.getOptionalBoolean('brom.reconciler.enabled') ?? true,
      resyncMs:
        (config.getOptionalNumber('brom.reconciler.resyncSeconds') ?? 60) *
        1000,
      backoffBaseMs:
        config.getOptionalNumber('brom.reconciler.backoffBaseMs') ?? 1000,
      backoffCapMs:
        config.getOptionalNumber('brom.reconciler.backoffCapMs') ?? 300_000,
      concurrency: config.getOptionalNumber('brom.reconciler.concurrency') ?? 8,
      sidecarStaleMs:
        (config.getOptionalNumber('brom.reconciler.sidecarStaleSeconds') ??
          90) * 1000,
      revocationGraceMs:
        (config.getOptionalNumber('brom.reconciler.revocationGraceSeconds') ??
          15) * 1000,
    },
    deadLetters: readDeadLetters(config),
    lifecycle: {
      minimumSunsetDays: readNonNegative(
        config,
        'brom.lifecycle.minimumSunsetDays',
        30,
      ),
      sunsetCheckMs:
        readNonNegative(config, 'brom.lifecycle.sunsetCheckSeconds', 300) *
        1000,
    },
  };
}

function readDeadLetters(config: Config): BromConfig['deadLetters'] {
  const maxLength =
    config.getOptionalNumber('brom.deadLetters.maxLength') ??
    DEFAULT_DEAD_LETTER_BOUND.maxLength;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new Error(
      `brom.deadLetters.maxLength must be a whole number of at least 1, not ${maxLength}`,
    );
  }
  const overflow =
    config.getOptionalString('brom.deadLetters.overflow') ??
    DEFAULT_DEAD_LETTER_BOUND.overflow;
  if (overflow !== 'drop-head' && overflow !== 'reject-publish') {
    throw new Error(
      `brom.deadLetters.overflow must be drop-head or reject-publish (what quorum queues honour), not ${overflow}`,
    );
  }
  return { maxLength, overflow };
}

function readNonNegative(
  config: Config,
  key: string,
  fallback: number,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${key} must be a number of at least 0, not ${value}`);
  }
  return value;
}

function readWarningDays(config: Config): number[] {
  const key = 'brom.notifications.expiryWarningDays';
  const days = config.getOptional<unknown>(key) ?? [14, 3, 1];
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    !days.every(d => typeof d === 'number' && Number.isFinite(d) && d > 0)
  ) {
    throw new Error(
      `${key} must be a non-empty list of positive numbers of days`,
    );
  }
  return days as number[];
}

/** A list of URLs, or the single-URL form of the same setting; not both. */
function readUrls(
  config: Config,
  listKey: string,
  singleKey: string,
): string[] {
  const list = config.getOptionalStringArray(listKey);
  const single = config.getOptionalString(singleKey);
  if (list !== undefined && single !== undefined) {
    throw new Error(`Set ${listKey} or ${singleKey}, not both`);
  }
  if (list !== undefined) return list;
  return single === undefined ? [] : [single];
}

function readAuthzMode(value: string | undefined): 'live' | 'native' {
  if (value === undefined || value === 'live') return 'live';
  if (value === 'native') return 'native';
  throw new Error(`brom.authz.mode must be live or native, not ${value}`);
}

function readQueueType(value: string | undefined): 'quorum' | 'classic' {
  if (value === undefined || value === 'quorum') return 'quorum';
  if (value === 'classic') return 'classic';
  throw new Error(
    `brom.broker.queueType must be quorum or classic, not ${value}`,
  );
}

/**
 * Secrets that app-config.yaml and `npm start` fall back to so that a development portal runs
 * without setup. They are public (they are in this repository), so production refuses each of
 * them in every secret setting.
 */
export const DEVELOPMENT_SECRETS: readonly string[] = [
  'development-only-sidecar-token-change-me',
  'brom-development-only',
  'no-broker-installed',
  'ZGV2ZWxvcG1lbnQtb25seS1rZXktMzItYnl0ZXMhISE=',
];

/**
 * Refuses configuration fit only for development: a secret that is missing or left at a
 * development default, or a sign-in provider that signs anyone in. The error names every
 * setting at fault, never a secret's value.
 */
export function assertProductionConfig(config: Config): void {
  const problems: string[] = [];
  const checkSecret = (path: string, value: string | undefined) => {
    if (!value) {
      problems.push(`${path} must be set`);
    } else if (DEVELOPMENT_SECRETS.includes(value)) {
      problems.push(`${path} is a development default`);
    }
  };

  for (const provider of ['guest', 'development']) {
    if (config.has(`auth.providers.${provider}`)) {
      problems.push(
        `auth.providers.${provider} signs in without credentials and must not be configured`,
      );
    }
  }

  const sidecarSubjects = config.getOptionalStringArray(
    'brom.authz.sidecarSubjects',
  ) ?? ['brom-sidecar'];
  (config.getOptionalConfigArray('backend.auth.externalAccess') ?? []).forEach(
    (access, index) => {
      const subject = access.getOptionalString('options.subject');
      if (
        access.getOptionalString('type') === 'static' &&
        subject &&
        sidecarSubjects.includes(subject)
      ) {
        checkSecret(
          `backend.auth.externalAccess[${index}].options.token`,
          access.getOptionalString('options.token'),
        );
      }
    },
  );

  if (config.getOptionalBoolean('brom.reconciler.enabled') ?? true) {
    checkSecret(
      'brom.broker.password',
      config.getOptionalString('brom.broker.password'),
    );
  }

  // Whether rows exist is checked at startup with the database (createPortalServices).
  if (config.getOptionalBoolean('brom.externalProducers.enabled') ?? false) {
    checkSecret(
      'brom.externalProducers.encryptionKey',
      config.getOptionalString('brom.externalProducers.encryptionKey'),
    );
  }

  const environment =
    config.getOptionalString('auth.environment') ?? 'development';
  if (config.has('auth.providers.feide')) {
    const path = `auth.providers.feide.${environment}.clientSecret`;
    checkSecret(path, config.getOptionalString(path));
  }
  if (config.has('auth.session.secret')) {
    checkSecret(
      'auth.session.secret',
      config.getOptionalString('auth.session.secret'),
    );
  }

  if (problems.length > 0) {
    throw new Error(
      `BROM refuses to start in production: ${problems.join('; ')}`,
    );
  }
}
