/**
 * The BROM frontend plugin: self-service RabbitMQ notifications.
 *
 * @packageDocumentation
 */
export { bromPlugin, BromPage, EntityBromContent } from './plugin';
export {
  BROM_APPLICATION_ANNOTATION,
  isBromApplicationAvailable,
} from './components/EntityBromContent/isBromApplicationAvailable';
export { bromApiRef } from './api/BromApi';
export type { ApplicationQuery, BromApi, PageQuery } from './api/BromApi';
export { BromClient } from './api/BromClient';
