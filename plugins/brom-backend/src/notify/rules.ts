import { NotificationSeverity } from '@backstage/plugin-notifications-common';
import { DeliveredDomainEvent, DomainEventType } from '../service/events/DomainEvent';

/**
 * Topics of BROM's notifications: what users can turn off, one by one, in the notifications
 * plugin's settings (Settings → Notifications, origin `plugin:brom`).
 */
export const BROM_NOTIFICATION_TOPICS = {
  subscriptionRequests: 'BROM: subscription requests',
  subscriptionDecisions: 'BROM: subscription decisions',
  credentialExpiry: 'BROM: credential expiry',
  brokerStatus: 'BROM: broker status',
  queueDeletion: 'BROM: queue deletion',
  deprecations: 'BROM: deprecations and sunsets',
} as const;

/** What to tell whom about one event. */
export interface BromNotice {
  /** Entity refs (groups or users); the notifications backend resolves group members. */
  recipients: string[];
  title: string;
  description: string;
  /** A path in the portal, e.g. `/brom/approvals`. */
  link: string;
  topic: string;
  severity?: NotificationSeverity;
  /**
   * Distinguishes the notices of one event when a rule returns several (one per consumer,
   * say); part of the notification's scope, so it must be stable across deliveries.
   */
  key?: string;
}

/** Lookups a rule may need beyond the event itself. */
export interface NoticeContext {
  /** Owner group ref of the application named `name` (soft-deleted included), if it exists. */
  ownerOf(name: string): Promise<string | undefined>;
}

export type NoticeRule<T extends DomainEventType> = (
  event: Extract<DeliveredDomainEvent, { type: T }>,
  context: NoticeContext,
) => Promise<BromNotice | BromNotice[] | undefined>;

/** One optional rule per domain event type. */
export type NoticeRules = { [T in DomainEventType]?: NoticeRule<T> };

const applicationLink = (name: string) => `/brom/applications/${encodeURIComponent(name)}`;

async function owners(context: NoticeContext, application: string): Promise<string[]> {
  const owner = await context.ownerOf(application);
  return owner ? [owner] : [];
}

/**
 * Which domain events tell people something, and what. A new event type that should notify
 * someone needs one entry here (and, for a new category, a topic above).
 */
export const domainEventNotices: NoticeRules = {
  'subscription.requested': async (event, context) => {
    const { subscription } = event;
    // A type that needs no approval is approved in the same change: nothing waits.
    if (subscription.state !== 'requested') return undefined;
    return {
      recipients: await owners(context, subscription.producer),
      title: `${subscription.consumer} asks to subscribe to ${subscription.producer}/${subscription.notificationType}`,
      description: subscription.justification
        ? `Justification: ${subscription.justification}`
        : 'No justification given.',
      link: '/brom/approvals',
      topic: BROM_NOTIFICATION_TOPICS.subscriptionRequests,
    };
  },
  'subscription.approved': async (event, context) => {
    const { subscription } = event;
    if (event.automatic) return undefined;
    return {
      recipients: await owners(context, subscription.consumer),
      title: `Subscription of ${subscription.consumer} to ${subscription.producer}/${subscription.notificationType} approved`,
      description: `Messages with routing keys matching ${subscription.routingKeyPattern} now reach the queue of ${subscription.consumer}.`,
      link: applicationLink(subscription.consumer),
      topic: BROM_NOTIFICATION_TOPICS.subscriptionDecisions,
    };
  },
  'subscription.rejected': async (event, context) => {
    const { subscription } = event;
    return {
      recipients: await owners(context, subscription.consumer),
      title: `Subscription of ${subscription.consumer} to ${subscription.producer}/${subscription.notificationType} rejected`,
      description: `Reason: ${subscription.reason || 'none given'}`,
      link: applicationLink(subscription.consumer),
      topic: BROM_NOTIFICATION_TOPICS.subscriptionDecisions,
      severity: 'high',
    };
  },
  'subscription.revoked': async (event, context) => {
    const { subscription } = event;
    return {
      recipients: await owners(context, subscription.consumer),
      title: `Subscription of ${subscription.consumer} to ${subscription.producer}/${subscription.notificationType} revoked`,
      description: `Reason: ${subscription.reason || 'none given'}. No new messages of this type reach the queue.`,
      link: applicationLink(subscription.consumer),
      topic: BROM_NOTIFICATION_TOPICS.subscriptionDecisions,
      severity: 'high',
    };
  },
  'notificationType.deprecated': async (event, context) => {
    const { notificationType: type } = event;
    const deprecation = type.deprecation;
    if (!deprecation) return undefined;
    return perConsumer(event.subscriptions, context, consumer => ({
      title: `${type.application}/${type.name}, which ${consumer} receives, is deprecated`,
      description: `Its subscriptions end at ${deprecation.sunsetAt}.${successorText(
        deprecation.successor,
      )}`,
      link: applicationLink(consumer),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
      severity: 'high',
    }));
  },
  'notificationType.sunsetExtended': async (event, context) => {
    const { notificationType: type } = event;
    const deprecation = type.deprecation;
    if (!deprecation) return undefined;
    return perConsumer(event.subscriptions, context, consumer => ({
      title: `The sunset of ${type.application}/${type.name} moved to ${deprecation.sunsetAt}`,
      description: `Subscriptions of ${consumer} to it end then, not at ${
        event.previousSunsetAt
      }.${successorText(deprecation.successor)}`,
      link: applicationLink(consumer),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
    }));
  },
  'subscription.endedBySunset': async (event, context) => {
    const { subscription } = event;
    return {
      recipients: await owners(context, subscription.consumer),
      title: `Subscription of ${subscription.consumer} to ${subscription.producer}/${subscription.notificationType} ended at its sunset`,
      description: `No more messages of this type reach the queue.${successorText(
        event.successor,
      )}`,
      link: applicationLink(subscription.consumer),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
      severity: 'high',
    };
  },
};

function successorText(successor: string | null): string {
  return successor ? ` Its successor is ${successor}: request a subscription to it.` : '';
}

/** One notice per distinct consumer of `subscriptions`, to that consumer's owners. */
async function perConsumer(
  subscriptions: Array<{ consumer: string }>,
  context: NoticeContext,
  text: (consumer: string) => Omit<BromNotice, 'recipients' | 'key'>,
): Promise<BromNotice[]> {
  const consumers = [...new Set(subscriptions.map(s => s.consumer))].sort();
  const notices: BromNotice[] = [];
  for (const consumer of consumers) {
    notices.push({
      ...text(consumer),
      recipients: await owners(context, consumer),
      key: consumer,
    });
  }
  return notices;
}

/** The notices for `event` under `rules`: none, one or several. */
export async function noticesFor(
  rules: NoticeRules,
  event: DeliveredDomainEvent,
  context: NoticeContext,
): Promise<BromNotice[]> {
  const rule = rules[event.type] as NoticeRule<typeof event.type> | undefined;
  const notices = rule ? await rule(event as never, context) : undefined;
  if (!notices) return [];
  return Array.isArray(notices) ? notices : [notices];
}

export { applicationLink };
