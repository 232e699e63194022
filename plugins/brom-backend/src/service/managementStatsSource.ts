import { ManagementClient } from '@internal/rabbitmq-management';
import {
  BrokerStatsSource,
  EXCHANGE_HEALTH_COLUMNS,
  ExchangeStatsRow,
  QUEUE_HEALTH_COLUMNS,
  QueueStatsRow,
} from './QueueHealthService';

/**
 * The rates of the broker's last 5 s sample (its management agent samples every 5 s by
 * default). Asked without a window, RabbitMQ 3.10 answered 0 for an exchange taking a steady
 * 20 messages/s during about 3.5 s of every 5 (test/src/health/health.test.ts, probed with and
 * without the window), so a health read every few seconds could show a busy producer as idle
 * for a minute; with it the rate holds from one sample to the next.
 */
const RATES = { ageSeconds: 5, incrementSeconds: 5 };

/** The vhost's queues and exchanges, one columns-filtered request each. */
export function managementStatsSource(
  client: ManagementClient,
  vhost: string,
): BrokerStatsSource {
  return {
    listQueues: async () =>
      (await client.listQueues(vhost, {
        columns: QUEUE_HEALTH_COLUMNS,
        rates: RATES,
      })) as unknown as QueueStatsRow[],
    listExchanges: async () =>
      (await client.listExchanges(vhost, {
        columns: EXCHANGE_HEALTH_COLUMNS,
        rates: RATES,
      })) as unknown as ExchangeStatsRow[],
  };
}
