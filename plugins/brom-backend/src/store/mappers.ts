import {
  Application,
  AuditEvent,
  Credential,
  NotificationType,
  NotificationTypeDeprecation,
  NotificationTypeVisibility,
  Subscription,
  SubscriptionState,
} from '@internal/plugin-brom-common';
import { Selectable } from 'kysely';
import {
  ApplicationRow,
  AuditEventRow,
  CredentialRow,
  NotificationTypeRow,
  SubscriptionRow,
} from './tables';

/** The external producer columns an application query joins in (`ep_…`), null when it is none. */
export interface ExternalProducerColumns {
  ep_upstream_uri?: string | null;
  ep_upstream_exchange?: string | null;
  ep_upstream_routing_key?: string | null;
  ep_upstream_queue?: string | null;
  ep_username?: string | null;
}

/**
 * The application of a row. `externalProducer` comes from the joined `ep_…` columns
 * (ApplicationStore joins them); rows read without them say null.
 */
export function toApplication(row: ApplicationRow & ExternalProducerColumns): Application {
  return {
    id: row.id,
    name: row.name,
    title: row.title,
    description: row.description,
    owner: row.owner,
    entityRef: row.entity_ref,
    settings: {
      messageTtlMs: row.message_ttl_ms,
      maxLength: row.max_length,
    },
    externalProducer: row.ep_upstream_uri
      ? {
          upstreamUri: row.ep_upstream_uri,
          upstreamExchange: row.ep_upstream_exchange ?? null,
          upstreamRoutingKey: row.ep_upstream_routing_key ?? null,
          upstreamQueue: row.ep_upstream_queue ?? null,
          username: row.ep_username ?? '',
        }
      : null,
    generation: row.generation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    queueDeletionConfirmedAt: row.queue_deletion_confirmed_at,
  };
}

export function toNotificationType(
  row: NotificationTypeRow,
  application: string,
): NotificationType {
  return {
    id: row.id,
    application,
    name: row.name,
    routingKeyPattern: row.routing_key_pattern,
    description: row.description,
    payloadSchema: row.payload_schema ? JSON.parse(row.payload_schema) : null,
    visibility: row.visibility as NotificationTypeVisibility,
    requiresApproval: Boolean(row.requires_approval),
    deprecation: toDeprecation(row),
    generation: row.generation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** The deprecation columns of a type row, under whatever prefix a join selected them. */
export interface DeprecationColumns {
  deprecated_at: string | null;
  deprecated_by: string | null;
  sunset_at: string | null;
  successor: string | null;
}

export function toDeprecation(row: DeprecationColumns): NotificationTypeDeprecation | null {
  if (!row.deprecated_at || !row.sunset_at) return null;
  return {
    deprecatedAt: row.deprecated_at,
    deprecatedBy: row.deprecated_by ?? '',
    sunsetAt: row.sunset_at,
    successor: row.successor,
  };
}

export function toSubscription(
  row: SubscriptionRow,
  names: {
    consumer: string;
    producer: string;
    notificationType: string;
    routingKeyPattern: string;
    deprecation: NotificationTypeDeprecation | null;
  },
): Subscription {
  return {
    id: row.id,
    consumer: names.consumer,
    producer: names.producer,
    notificationType: names.notificationType,
    routingKeyPattern: names.routingKeyPattern,
    state: row.state as SubscriptionState,
    justification: row.justification,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    reason: row.reason,
    notificationTypeDeprecation: names.deprecation,
    generation: row.generation,
    updatedAt: row.updated_at,
  };
}

export function toCredential(row: CredentialRow, application: string): Credential {
  return {
    id: row.id,
    application,
    username: row.username,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}

export function toAuditEvent(row: Selectable<AuditEventRow>): AuditEvent {
  return {
    id: Number(row.id),
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetKind: row.target_kind as AuditEvent['targetKind'],
    targetId: row.target_id,
    application: row.application,
    applicationId: row.application_id,
    before: row.before ? JSON.parse(row.before) : null,
    after: row.after ? JSON.parse(row.after) : null,
  };
}
