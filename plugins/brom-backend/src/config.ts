import { Config } from '@backstage/config';

export interface BromConfig {
  /** Group refs whose members administer every application. */
  admins: string[];
  /** The vhost BROM manages. */
  vhost: string;
  /** Prefix of every broker object BROM manages. */
  prefix: string;
  /** The reconciler's own broker user; no application may take its name. */
  brokerUsername: string;
  reservedNames: string[];
  seedExampleData: boolean;
  /** The AMQP URL applications connect to, shown in docs and connection settings. */
  amqpUrl: string | null;
  /** Service principal subjects of the sidecars (their static external-access tokens). */
  sidecarSubjects: string[];
  broker: {
    managementUrl: string | null;
    username: string;
    password: string | null;
    queueType: 'quorum' | 'classic';
    policyPriority: number;
    requestTimeoutMs: number;
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
}

export function readBromConfig(config: Config): BromConfig {
  const brokerUsername =
    config.getOptionalString('brom.broker.username') ?? 'brom-reconciler';
  return {
    admins: config.getOptionalStringArray('brom.admins') ?? [],
    vhost: config.getOptionalString('brom.broker.vhost') ?? 'brom',
    prefix: config.getOptionalString('brom.broker.prefix') ?? 'brom.',
    brokerUsername,
    reservedNames: ['guest', 'admin', brokerUsername],
    seedExampleData: config.getOptionalBoolean('brom.seedExampleData') ?? false,
    amqpUrl: config.getOptionalString('brom.broker.amqpUrl') ?? null,
    sidecarSubjects: config.getOptionalStringArray('brom.authz.sidecarSubjects') ?? [
      'brom-sidecar',
    ],
    broker: {
      managementUrl: config.getOptionalString('brom.broker.managementUrl') ?? null,
      username: brokerUsername,
      password: config.getOptionalString('brom.broker.password') ?? null,
      queueType: readQueueType(config.getOptionalString('brom.broker.queueType')),
      policyPriority: config.getOptionalNumber('brom.broker.policyPriority') ?? 10,
      requestTimeoutMs: config.getOptionalNumber('brom.broker.requestTimeoutMs') ?? 10_000,
    },
    reconciler: {
      enabled: config.getOptionalBoolean('brom.reconciler.enabled') ?? true,
      resyncMs: (config.getOptionalNumber('brom.reconciler.resyncSeconds') ?? 60) * 1000,
      backoffBaseMs: config.getOptionalNumber('brom.reconciler.backoffBaseMs') ?? 1000,
      backoffCapMs: config.getOptionalNumber('brom.reconciler.backoffCapMs') ?? 300_000,
      concurrency: config.getOptionalNumber('brom.reconciler.concurrency') ?? 8,
      sidecarStaleMs:
        (config.getOptionalNumber('brom.reconciler.sidecarStaleSeconds') ?? 90) * 1000,
      revocationGraceMs:
        (config.getOptionalNumber('brom.reconciler.revocationGraceSeconds') ?? 15) * 1000,
    },
  };
}

function readQueueType(value: string | undefined): 'quorum' | 'classic' {
  if (value === undefined || value === 'quorum') return 'quorum';
  if (value === 'classic') return 'classic';
  throw new Error(`brom.broker.queueType must be quorum or classic, not ${value}`);
}
