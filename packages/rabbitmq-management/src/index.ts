/**
 * A small typed client for the RabbitMQ management HTTP API, built on undici.
 *
 * @packageDocumentation
 */

export { ManagementClient } from './ManagementClient';
export type {
  BindingRef,
  DeleteExchangeOptions,
  DeleteOptions,
  DeleteQueueOptions,
  ListExchangesOptions,
  ListQueuesOptions,
  ManagementClientOptions,
  RateWindow,
} from './ManagementClient';
export {
  ManagementApiError,
  ManagementRequestError,
  isNotFoundError,
} from './errors';
export { encodeSegment } from './paths';
export type * from './types';
