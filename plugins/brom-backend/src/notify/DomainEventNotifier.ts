import { NotificationService } from '@backstage/plugin-notifications-node';
import { DeliveredDomainEvent } from '../service/events/DomainEvent';
import { DomainEventHandler } from '../service/events/DomainEventDispatcher';
import { BromNotice, NoticeContext, NoticeRules, domainEventNotices, noticesFor } from './rules';

/** Sends one notice through Backstage's notifications, deduplicated by `scope`. */
export async function sendNotice(
  notifications: NotificationService,
  notice: BromNotice,
  scope: string,
  options: { exclude?: string } = {},
): Promise<void> {
  if (notice.recipients.length === 0) return;
  await notifications.send({
    recipients: {
      type: 'entity',
      entityRef: notice.recipients,
      ...(options.exclude ? { excludeEntityRef: options.exclude } : {}),
    },
    payload: {
      title: notice.title,
      description: notice.description,
      link: notice.link,
      topic: notice.topic,
      severity: notice.severity ?? 'normal',
      scope,
    },
  });
}

/**
 * The `notifications` subscriber of the domain events: each event with a rule becomes one
 * notification to the rule's recipients, except the user who made the change.
 *
 * Exactly once: the dispatcher advances this subscriber's cursor only after the handler
 * resolves, so an event is delivered again if the replica dies between sending and
 * recording; the notification's scope names the event (`brom-event-<sequence>`), and the
 * notifications backend replaces a user's notification of the same scope and origin instead
 * of adding a second one. A rule with several notices (one per consumer) gives each a `key`,
 * appended to the scope.
 */
export function createNotificationHandler(options: {
  notifications: NotificationService;
  context: NoticeContext;
  rules?: NoticeRules;
}): DomainEventHandler {
  const rules = options.rules ?? domainEventNotices;
  return async (event: DeliveredDomainEvent) => {
    for (const notice of await noticesFor(rules, event, options.context)) {
      const scope = notice.key ? `${eventScope(event)}-${notice.key}` : eventScope(event);
      await sendNotice(options.notifications, notice, scope, { exclude: event.actor });
    }
  };
}

/** The notification scope of a domain event: unique per event, stable across deliveries. */
export function eventScope(event: Pick<DeliveredDomainEvent, 'sequence'>): string {
  return `brom-event-${event.sequence}`;
}
