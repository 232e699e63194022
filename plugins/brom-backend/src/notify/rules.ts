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
  deprecations: 'BROM: deprecated notification types',
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
}

/** Lookups a rule may need beyond the event itself. */
export interface NoticeContext {
  /** Owner group ref of the application named `name` (soft-deleted included), if it exists. */
  ownerOf(name: string): Promise<string | undefined>;
}

export type NoticeRule<T extends DomainEventType> = (
  event: Extract<DeliveredDomainEvent, { type: T }>,
  context: NoticeContext,
) => Promise<BromNotice | undefined>;

/** One optional rule per domain event type. */
export type NoticeRules = { [T in DomainEventType]?: NoticeRule<T> };

const applicationLink = (name: string) => `/brom/applications/${encodeURIComponent(name)}`;

const day = (iso: string) => iso.slice(0, 10);

/** The owners of each consumer of `subscriptions`, once each. */
async function consumerOwners(
  context: NoticeContext,
  subscriptions: Array<{ consumer: string }>,
): Promise<string[]> {
  const refs = new Set<string>();
  for (const { consumer } of subscriptions) {
    for (const owner of await owners(context, consumer)) refs.add(owner);
  }
  return [...refs];
}

/** The consumer's page when there is one consumer, otherwise the user's applications. */
function consumersLink(subscriptions: Array<{ consumer: string }>): string {
  const names = new Set(subscriptions.map(s => s.consumer));
  return names.size === 1 ? applicationLink([...names][0]) : '/brom/mine';
}

function successorWords(producer: string, successor: string | null | undefined): string {
  return successor
    ? `Its successor is ${producer}/${successor}; request it before then.`
    : 'It has no successor.';
}

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
  // The producer deprecated a type: the consumers with live subscriptions to it are told.
  'notificationType.deprecated': async (event, context) => {
    const type = event.notificationType;
    if (!type.deprecation || event.subscriptions.length === 0) return undefined;
    return {
      recipients: await consumerOwners(context, event.subscriptions),
      title: `${type.application}/${type.name} is deprecated: subscriptions end on ${day(type.deprecation.sunsetAt)}`,
      description: successorWords(type.application, type.deprecation.successor),
      link: consumersLink(event.subscriptions),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
    };
  },
  'notificationType.sunsetExtended': async (event, context) => {
    const type = event.notificationType;
    if (!type.deprecation || event.subscriptions.length === 0) return undefined;
    return {
      recipients: await consumerOwners(context, event.subscriptions),
      title: `${type.application}/${type.name} now ends on ${day(type.deprecation.sunsetAt)} (was ${day(event.previousSunsetAt)})`,
      description: successorWords(type.application, type.deprecation.successor),
      link: consumersLink(event.subscriptions),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
    };
  },
  'subscription.endedBySunset': async (event, context) => {
    const { subscription } = event;
    return {
      recipients: await owners(context, subscription.consumer),
      title: `Subscription of ${subscription.consumer} to ${subscription.producer}/${subscription.notificationType} ended at its sunset`,
      description: `${subscription.reason ?? ''} No new messages of this type reach the queue.`.trim(),
      link: applicationLink(subscription.consumer),
      topic: BROM_NOTIFICATION_TOPICS.deprecations,
      severity: 'high',
    };
  },
};

/** The notice for `event` under `rules`, if any. */
export function noticeFor(
  rules: NoticeRules,
  event: DeliveredDomainEvent,
  context: NoticeContext,
): Promise<BromNotice | undefined> {
  const rule = rules[event.type] as NoticeRule<typeof event.type> | undefined;
  return rule ? rule(event as never, context) : Promise.resolve(undefined);
}

export { applicationLink };
