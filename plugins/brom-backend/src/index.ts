/**
 * The BROM backend plugin: REST API, store, permissions, audit, authz feed and reconciler.
 *
 * @packageDocumentation
 */
export { bromPlugin as default } from './plugin';
export {
  BromPermissionPolicy,
  bromPermissionPolicyModule,
} from './permissions/policy';
export {
  bromApplicationConditions,
  createBromApplicationConditionalDecision,
  isApplicationOwner,
} from './permissions/rules';
export {
  bromDomainEventsExtensionPoint,
  type BromDomainEventsExtensionPoint,
} from './service/events/extensionPoint';
export type { DomainEventHandler } from './service/events/DomainEventDispatcher';
export type {
  DeliveredDomainEvent,
  DomainEvent,
  DomainEventType,
} from './service/events/DomainEvent';
