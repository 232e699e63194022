import { SignalsService } from '@backstage/plugin-signals-node';
import { BROM_SIGNAL_CHANNEL, BromSignal } from '@internal/plugin-brom-common';
import { DeliveredDomainEvent } from '../service/events/DomainEvent';
import { DomainEventHandler } from '../service/events/DomainEventDispatcher';

/** Names of the applications an event concerns: whose pages show it. */
export function applicationsOf(event: DeliveredDomainEvent): string[] {
  switch (event.aggregate.kind) {
    case 'application':
      return 'application' in event ? [event.application.name] : [];
    case 'notificationType':
      return 'notificationType' in event ? [event.notificationType.application] : [];
    case 'subscription':
      return 'subscription' in event
        ? [...new Set([event.subscription.consumer, event.subscription.producer])]
        : [];
    case 'credential':
      return 'credential' in event ? [event.credential.application] : [];
    default:
      return [];
  }
}

/**
 * The `signals` subscriber of the domain events: after each committed change, tells open
 * pages on the BROM channel what changed, so they fetch again without a reload. The
 * message names the event type and applications only; pages read the data through the API,
 * with the user's own permissions.
 */
export function createSignalHandler(options: { signals: SignalsService }): DomainEventHandler {
  return async event => {
    await publishBromSignal(options.signals, {
      kind: 'change',
      type: event.type,
      applications: applicationsOf(event),
    });
  };
}

export async function publishBromSignal(signals: SignalsService, message: BromSignal) {
  await signals.publish<BromSignal>({
    recipients: { type: 'broadcast' },
    channel: BROM_SIGNAL_CHANNEL,
    message,
  });
}
