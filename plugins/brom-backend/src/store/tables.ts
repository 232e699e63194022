import { Generated } from 'kysely';

/** Kysely's view of the tables that `migrations/` creates. */
export interface BromTables {
  brom_state_version: { id: number; version: number | string; epoch: string };
  brom_applications: ApplicationRow;
  brom_external_producers: ExternalProducerRow;
  brom_notification_types: NotificationTypeRow;
  brom_subscriptions: SubscriptionRow;
  brom_credentials: CredentialRow;
  brom_audit_events: AuditEventRow;
  brom_sync_status: SyncStatusRow;
  brom_broker_observation: { vhost: string; observed_at: string };
  brom_unmanaged_objects: UnmanagedObjectRow;
  brom_sidecar_feed: { instance: string; version: number | string; seen_at: string };
  brom_domain_events: DomainEventRow;
  brom_domain_event_cursors: DomainEventCursorRow;
  brom_notification_records: NotificationRecordRow;
}

/** A notice already sent to people (see NotificationWatchStore). */
export interface NotificationRecordRow {
  key: string;
  application_id: string;
  detail: string | null;
  recorded_at: string;
}

export interface DomainEventRow {
  /** PostgreSQL returns a bigint as a string. */
  sequence: Generated<number | string>;
  type: string;
  aggregate_kind: string;
  aggregate_id: string;
  /** The whole event as JSON. */
  payload: string;
  recorded_at: string;
}

export interface DomainEventCursorRow {
  subscriber: string;
  position: number | string;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
}

/** An external producer's upstream; the password only ever encrypted (see `secretBox.ts`). */
export interface ExternalProducerRow {
  application_id: string;
  upstream_uri: string;
  upstream_exchange: string | null;
  upstream_routing_key: string | null;
  upstream_queue: string | null;
  username: string;
  password_encrypted: string;
  created_at: string;
  updated_at: string;
}

export interface ApplicationRow {
  id: string;
  name: string;
  title: string;
  description: string;
  owner: string;
  entity_ref: string | null;
  message_ttl_ms: number | null;
  max_length: number | null;
  generation: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  deleted_at: string | null;
  deleted_by: string | null;
  queue_deletion_confirmed_at: string | null;
  queue_deletion_confirmed_by: string | null;
  /**
   * The consumer queue names its dead-letter exchange in an argument, not in a policy
   * (decision 0028). PostgreSQL returns a boolean, SQLite 0 or 1.
   */
  queue_dead_letter_argument: boolean | number;
}

export interface NotificationTypeRow {
  id: string;
  application_id: string;
  name: string;
  routing_key_pattern: string;
  description: string;
  payload_schema: string | null;
  visibility: string;
  /** PostgreSQL returns a boolean, SQLite 0 or 1. */
  requires_approval: boolean | number;
  generation: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted_by: string | null;
  deprecated_at: string | null;
  deprecated_by: string | null;
  sunset_at: string | null;
  successor: string | null;
}

export interface SubscriptionRow {
  id: string;
  consumer_application_id: string;
  notification_type_id: string;
  state: string;
  justification: string;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  generation: number;
  updated_at: string;
  /** The type's approval rule when the request was made; PostgreSQL boolean, SQLite 0 or 1. */
  requires_approval: boolean | number;
}

export interface CredentialRow {
  id: string;
  application_id: string;
  username: string;
  salt: string;
  hash: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface AuditEventRow {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target_kind: string;
  target_id: string;
  application: string;
  /** The application's identity; NULL for rows from before it was recorded that no backfill could place. */
  application_id: string | null;
  before: string | null;
  after: string | null;
}

/** An object in the managed vhost that BROM did not create or adopt. */
export interface UnmanagedObjectRow {
  key: string;
  kind: string;
  name: string;
  /** The application whose exchange it reads from (a binding's source), if any. */
  source_application_id: string | null;
  /** The application whose queue or exchange it writes to (a binding's destination, an object of its name), if any. */
  destination_application_id: string | null;
  first_seen_at: string;
}

export interface SyncStatusRow {
  key: string;
  kind: string;
  name: string;
  application_id: string | null;
  subscription_id: string | null;
  managed: boolean | number;
  desired_generation: number;
  observed_generation: number;
  status: string;
  reason: string;
  message: string;
  last_transition_time: string;
  attempts: number;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
}
