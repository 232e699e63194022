import { ManagementClient } from '@internal/rabbitmq-management';
import {
  BrokerStatsSource,
  EXCHANGE_HEALTH_COLUMNS,
  ExchangeStatsRow,
  QUEUE_HEALTH_COLUMNS,
  QueueStatsRow,
} from './QueueHealthService';

/** The vhost's queues and exchanges, one columns-filtered request each. */
export function managementStatsSource(
  client: ManagementClient,
  vhost: string,
): BrokerStatsSource {
  return {
    listQueues: async () =>
      (await client.listQueues(vhost, {
        columns: QUEUE_HEALTH_COLUMNS,
      })) as unknown as QueueStatsRow[],
    listExchanges: async () =>
      (await client.listExchanges(vhost, {
        columns: EXCHANGE_HEALTH_COLUMNS,
      })) as unknown as ExchangeStatsRow[],
  };
}
