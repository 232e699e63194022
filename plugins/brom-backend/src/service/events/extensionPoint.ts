import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { DomainEventHandler } from './DomainEventDispatcher';

/**
 * Lets backend modules of BROM react to its domain events (notifications to people,
 * catalog deltas) after commit; see DomainEvents.subscribe.
 *
 * @public
 */
export interface BromDomainEventsExtensionPoint {
  subscribe(name: string, handler: DomainEventHandler): void;
}

/** @public */
export const bromDomainEventsExtensionPoint =
  createExtensionPoint<BromDomainEventsExtensionPoint>({ id: 'brom.domain-events' });
