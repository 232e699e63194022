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
  };
}
