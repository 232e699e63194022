import { configApiRef, useApi } from '@backstage/core-plugin-api';

export interface BrokerSettings {
  /** Where applications connect, e.g. `amqps://rabbitmq.example.org`. */
  amqpUrl: string;
  vhost: string;
  /** Prefix of every exchange and queue BROM manages. */
  prefix: string;
}

/**
 * The broker applications connect to. Read from `brom.broker` when the deployment makes
 * those keys visible to the frontend; otherwise BROM's defaults and a placeholder host.
 */
export function useBrokerSettings(): BrokerSettings {
  const config = useApi(configApiRef);
  return {
    amqpUrl:
      config.getOptionalString('brom.broker.amqpUrl') ??
      'amqps://rabbitmq.example.org',
    vhost: config.getOptionalString('brom.broker.vhost') ?? 'brom',
    prefix: config.getOptionalString('brom.broker.prefix') ?? 'brom.',
  };
}
