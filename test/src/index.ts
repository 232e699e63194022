/**
 * The BROM test harness: a private RabbitMQ node per test run (or per suite)
 * and a PostgreSQL database per suite. See test/README.md.
 */

export { RabbitNode, startRabbitNode } from './rabbitmq/RabbitNode';
export type { RabbitNodeOptions } from './rabbitmq/RabbitNode';
export { RabbitCluster, startRabbitCluster } from './rabbitmq/RabbitCluster';
export type { RabbitClusterOptions } from './rabbitmq/RabbitCluster';
export { RabbitEndpoint } from './rabbitmq/RabbitEndpoint';
export type { Credentials, RabbitNodeInfo } from './rabbitmq/RabbitEndpoint';
export {
  RABBITMQ_ENV,
  getTestRabbit,
  parseRabbitNodeInfo,
  useDedicatedRabbitNode,
  useRabbitCluster,
  useRabbitVhost,
} from './rabbitmq/testRabbit';
export type { RabbitVhostFixture } from './rabbitmq/testRabbit';
export {
  POSTGRES_URL_ENV,
  createTestDatabase,
  useTestDatabase,
} from './postgres';
export type { TestDatabase, TestDatabaseConnection } from './postgres';
export { pollUntil, findFreePorts, isPortOpen } from './process';
export { watchStalls } from './stalls';
export type { StallReport, StallWatch } from './stalls';
export {
  BackendProcess,
  dropPluginDatabases,
} from './reconciler/__utils__/backendProcess';
/** Entry point of a backend with the catalog, BROM's catalog module, notifications and BROM. */
export const FULL_BACKEND_MAIN = require.resolve(
  './reconciler/__utils__/fullBackendMain',
);
export {
  ManagementProxy,
  faultsInARow,
} from './reconciler/__utils__/ManagementProxy';
export type {
  Fault,
  FaultRule,
  ProxiedRequest,
} from './reconciler/__utils__/ManagementProxy';
