import {
  Application,
  Credential,
  NotificationType,
  Subscription,
} from '@internal/plugin-brom-common';

/** Who made a change and when, common to every domain event. */
interface EventEnvelope<K extends string> {
  /** The aggregate the event belongs to; events of one aggregate are delivered in order. */
  aggregate: { kind: K; id: string };
  /** User entity ref of who made the change. */
  actor: string;
  at: string;
}

type ApplicationEvent<T extends string, X = {}> = EventEnvelope<'application'> & {
  type: T;
  application: Application;
} & X;

type NotificationTypeEvent<T extends string, X = {}> = EventEnvelope<'notificationType'> & {
  type: T;
  notificationType: NotificationType;
} & X;

type SubscriptionEvent<T extends string, X = {}> = EventEnvelope<'subscription'> & {
  type: T;
  subscription: Subscription;
} & X;

type CredentialEvent<T extends string, X = {}> = EventEnvelope<'credential'> & {
  type: T;
  /** Metadata only: a secret is never part of an event. */
  credential: Credential;
} & X;

/**
 * A change of the portal's state, recorded in the transaction that makes it and delivered to
 * subscribers after commit (see DomainEventDispatcher).
 */
export type DomainEvent =
  | ApplicationEvent<'application.registered'>
  | ApplicationEvent<'application.updated'>
  | ApplicationEvent<'application.deleted', { forced: boolean }>
  | ApplicationEvent<'application.queueDeletionConfirmed'>
  | NotificationTypeEvent<'notificationType.declared'>
  | NotificationTypeEvent<'notificationType.updated'>
  | NotificationTypeEvent<'notificationType.deleted', { forced: boolean }>
  /**
   * The producer deprecated the type (`notificationType.deprecation` holds the sunset date
   * and successor); `subscriptions` are the live ones at that moment, whose consumers are
   * to be told.
   */
  | NotificationTypeEvent<'notificationType.deprecated', { subscriptions: Subscription[] }>
  /** The producer moved the sunset of a deprecated type later. */
  | NotificationTypeEvent<
      'notificationType.sunsetExtended',
      { previousSunsetAt: string; subscriptions: Subscription[] }
    >
  | SubscriptionEvent<'subscription.requested', { reRequested: boolean }>
  | SubscriptionEvent<'subscription.approved', { automatic: boolean }>
  | SubscriptionEvent<'subscription.rejected'>
  | SubscriptionEvent<'subscription.revoked'>
  /**
   * The subscription's type reached its sunset: the subscription is revoked by
   * `brom:lifecycle` and its binding removed; `successor` names the type that replaces it.
   */
  | SubscriptionEvent<'subscription.endedBySunset', { successor: string | null }>
  | CredentialEvent<'credential.created'>
  | CredentialEvent<'credential.rotated', { shortened: Credential[] }>
  | CredentialEvent<'credential.revoked'>
  /**
   * The reconciler removed a deleted application's rows for good, once none of its broker
   * objects was left (only a full pass does). Subscriptions of other consumers to its types
   * went with it: `consumerIds` are those consumers, some of which may now have none.
   */
  | (EventEnvelope<'application'> & {
      type: 'application.finalized';
      application: Pick<Application, 'id' | 'name'>;
      consumerIds: string[];
    })
  /**
   * As `application.finalized`, for a deleted notification type and its subscriptions;
   * `producerId` is its application's id (the row that would name it is gone).
   */
  | (EventEnvelope<'notificationType'> & {
      type: 'notificationType.finalized';
      notificationType: Pick<NotificationType, 'id' | 'name' | 'application'>;
      producerId: string;
      consumerIds: string[];
    });

export type DomainEventType = DomainEvent['type'];

/** A domain event as delivered: with its position in the outbox. */
export type DeliveredDomainEvent = DomainEvent & { sequence: number };
