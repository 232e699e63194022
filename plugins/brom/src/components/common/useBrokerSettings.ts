import { configApiRef, useApi } from '@backstage/core-plugin-api';

export interface BrokerSettings {
  /**
   * Where applications connect, e.g. `amqps://rabbitmq.example.org`: each node of a
   * cluster, or one address (a single node or a load balancer). Never empty.
   */
  amqpUrls: string[];
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
    amqpUrls: config.getOptionalStringArray('brom.broker.amqpUrls') ?? [
      config.getOptionalString('brom.broker.amqpUrl') ??
        'amqps://rabbitmq.example.org',
    ],
    vhost: config.getOptionalString('brom.broker.vhost') ?? 'brom',
    prefix: config.getOptionalString('brom.broker.prefix') ?? 'brom.',
  };
}
