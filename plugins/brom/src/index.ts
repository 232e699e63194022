/**
 * The BROM frontend plugin: self-service RabbitMQ notifications.
 *
 * @packageDocumentation
 */
export { bromPlugin, BromPage } from './plugin';
export { bromApiRef } from './api/BromApi';
export type { BromApi } from './api/BromApi';
export { BromClient } from './api/BromClient';
