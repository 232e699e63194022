/**
 * Types of the reconciler's pure core. Plain TypeScript on purpose: the store produces a
 * `ReconcilerInput`, the applier consumes a `Plan`, and nothing in between does I/O.
 */

/** The store rows the reconciler derives the broker topology from, read in one transaction. */
export interface ReconcilerInput {
  /** The state version read in the same transaction as the rows. */
  version: number;
  applications: ReconcilerApplication[];
  notificationTypes: ReconcilerNotificationType[];
  subscriptions: ReconcilerSubscription[];
  /**
   * Credentials neither revoked nor expired, of applications not being deleted: a broker
   * user each in both authorisation modes, and its permissions in the native mode.
   */
  credentials?: ReconcilerCredential[];
}

/** A live credential: its broker username and whose it is. */
export interface ReconcilerCredential {
  id: string;
  applicationId: string;
  username: string;
}

export interface ReconcilerApplication {
  id: string;
  name: string;
  generation: number;
  deletedAt: string | null;
  /** Set when the owners accept that deleting the application discards queued messages. */
  queueDeletionConfirmedAt: string | null;
  settings: { messageTtlMs?: number | null; maxLength?: number | null };
  /**
   * Its consumer queue names its dead-letter exchange in the `x-dead-letter-exchange`
   * argument, and it has a policy of its own only when its settings set a TTL or a length
   * limit (applications registered since decision 0028). Unset or false: the policy names the
   * dead-letter exchange, as for every application registered before.
   */
  deadLetterArgument?: boolean;
  /** Set for an application whose messages a shovel brings in from another broker. */
  externalProducer?: ReconcilerExternalProducer | null;
}

/** An external producer's upstream, the password opened (it goes into the shovel's URI). */
export interface ReconcilerExternalProducer {
  upstreamUri: string;
  upstreamExchange: string | null;
  upstreamRoutingKey: string | null;
  upstreamQueue: string | null;
  username: string;
  password: string;
}

export interface ReconcilerNotificationType {
  id: string;
  applicationId: string;
  name: string;
  routingKeyPattern: string;
  generation: number;
  deletedAt: string | null;
}

export type SubscriptionState =
  | 'requested'
  | 'approved'
  | 'rejected'
  | 'revoked';

export interface ReconcilerSubscription {
  id: string;
  consumerApplicationId: string;
  notificationTypeId: string;
  state: SubscriptionState;
  generation: number;
}

export interface TopologyOptions {
  vhost: string;
  /** Prepended to every managed object name; `DEFAULT_NAME_PREFIX` unless configured. */
  prefix: string;
  /** Fixed at queue creation: changing it later makes existing queues inequivalent. */
  queueType: 'quorum' | 'classic';
  /** Priority of our policies, so operators can reason about overlap with their own. */
  policyPriority: number;
  /**
   * `live` (the default): the sidecar authorises every resource and routing key. `native`:
   * the sidecar only authenticates, and the broker authorises from the users and
   * permissions the reconciler writes (docs/decisions/0017-native-authorisation-mode.md).
   */
  authzMode?: 'live' | 'native';
  /**
   * The bound of every dead-letter queue, through a policy of its own per consumer: its
   * `max-length` and `overflow`. Defaults: {@link DEFAULT_DEAD_LETTER_BOUND}.
   */
  deadLetters?: { maxLength: number; overflow: DeadLetterOverflow };
}

/** Ten thousand messages, the oldest dropped first. */
export const DEFAULT_DEAD_LETTER_BOUND = {
  maxLength: 10_000,
  overflow: 'drop-head',
} as const satisfies TopologyOptions['deadLetters'];

export type BrokerObjectKind =
  | 'vhost'
  | 'exchange'
  | 'queue'
  | 'policy'
  | 'binding'
  | 'user'
  | 'permissions'
  | 'shovel';

/** JSON values as the management API carries them in `arguments` and policy definitions. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export type BrokerArguments = Record<string, JsonValue>;

/**
 * Whose object this is, for status: the application (producer for its exchange, consumer
 * for its queue, dead-lettering and policy) and, for bindings, the approved subscription.
 * `generation` is the generation of the row the object derives from (the subscription for
 * a binding, the application otherwise); status reports it as `observedGeneration`.
 */
export interface ObjectOwner {
  applicationId: string;
  subscriptionId: string | null;
  generation: number;
}

interface DesiredObjectBase {
  /** Stable identity, e.g. `queue:brom.billing`; what the store records as managed. */
  key: string;
  /** Keys of the objects this one needs; a conflict on one of them holds this one back. */
  dependsOn: string[];
}

export interface DesiredVhost extends DesiredObjectBase {
  kind: 'vhost';
  name: string;
  owner: null;
}

export interface DesiredExchange extends DesiredObjectBase {
  kind: 'exchange';
  name: string;
  type: 'topic' | 'fanout';
  durable: true;
  autoDelete: false;
  internal: false;
  arguments: BrokerArguments;
  owner: ObjectOwner;
}

export interface DesiredQueue extends DesiredObjectBase {
  kind: 'queue';
  name: string;
  /** `consumer` is the queue the application consumes; `dead-letter` holds what it rejected or let expire. */
  role: 'consumer' | 'dead-letter';
  durable: true;
  autoDelete: false;
  exclusive: false;
  arguments: BrokerArguments;
  owner: ObjectOwner;
}

/**
 * A consumer's queue policy (dead-letter exchange, TTL, length) or its dead-letter queue's
 * (length and overflow only: no `delivery-limit`, which would drop messages that peeks
 * return too often, and no dead-letter exchange).
 */
export interface PolicyDefinition {
  'dead-letter-exchange'?: string;
  'message-ttl'?: number;
  'max-length'?: number;
  overflow?: DeadLetterOverflow;
}

/** The overflow behaviours a quorum queue honours (3.10 takes `reject-publish-dlx` but drops the head). */
export type DeadLetterOverflow = 'drop-head' | 'reject-publish';

export interface DesiredPolicy extends DesiredObjectBase {
  kind: 'policy';
  name: string;
  /**
   * The one queue this policy is for (its anchored, escaped pattern matches nothing else),
   * or `null` for the shared dead-letter bound, whose pattern matches every dead-letter
   * queue BROM names and nothing else.
   */
  queue: string | null;
  pattern: string;
  applyTo: 'queues';
  priority: number;
  definition: PolicyDefinition;
  /** `null` for the shared dead-letter bound, which belongs to no application. */
  owner: ObjectOwner | null;
}

export interface DesiredBinding extends DesiredObjectBase {
  kind: 'binding';
  source: string;
  destination: string;
  destinationType: 'queue';
  routingKey: string;
  arguments: BrokerArguments;
  owner: ObjectOwner;
}

/**
 * The broker user of one live credential (native mode): the credential's username, no
 * usable internal password (the sidecar authenticates it), no tags.
 */
export interface DesiredUser extends DesiredObjectBase {
  kind: 'user';
  name: string;
  owner: ObjectOwner;
}

/** A topic permission: which routing keys the user may publish to (and bind from) one exchange. */
export interface TopicPermissionDefinition {
  exchange: string;
  write: string;
  read: string;
}

/**
 * Everything a credential's user may do in the vhost (native mode): its vhost permissions
 * (regular expressions over resource names) and its topic permissions (over routing keys).
 * One object, so that a topic permission is always in place before the write permission it
 * narrows, and is removed only after it.
 */
export interface DesiredPermissions extends DesiredObjectBase {
  kind: 'permissions';
  user: string;
  configure: string;
  write: string;
  read: string;
  /** By exchange name, sorted. */
  topic: TopicPermissionDefinition[];
  owner: ObjectOwner;
}

/**
 * A dynamic shovel (`shovel` runtime parameter) from an external producer's upstream into its
 * exchange. `definition` holds the upstream password inside `src-uri`: never log it; messages
 * about a shovel go through `redact`.
 */
export interface DesiredShovel extends DesiredObjectBase {
  kind: 'shovel';
  name: string;
  definition: Record<string, JsonValue>;
  /** Secrets inside `definition`, for redaction. */
  secrets: string[];
  owner: ObjectOwner;
}

export type DesiredObject =
  | DesiredVhost
  | DesiredExchange
  | DesiredQueue
  | DesiredPolicy
  | DesiredBinding
  | DesiredUser
  | DesiredPermissions
  | DesiredShovel;

/**
 * An application as `plan` needs to see it even after it stops contributing objects:
 * to attribute leftover broker objects to it (finalizers) and to know whether its owners
 * confirmed that its queues may be deleted with messages in them.
 */
export interface TopologyApplication {
  id: string;
  name: string;
  generation: number;
  deleted: boolean;
  queueDeletionConfirmed: boolean;
}

/** A deleted notification type and the binding keys its subscriptions would have had. */
export interface RetiredNotificationType {
  id: string;
  applicationId: string;
  bindingKeys: string[];
}

/** What the broker should hold for one vhost, derived from the store. */
export interface BrokerTopology {
  /** The store's state version this topology was derived from. */
  version: number;
  vhost: DesiredVhost;
  exchanges: DesiredExchange[];
  queues: DesiredQueue[];
  policies: DesiredPolicy[];
  bindings: DesiredBinding[];
  /** Native mode only; empty in live mode. */
  users: DesiredUser[];
  /** Native mode only; empty in live mode. */
  permissions: DesiredPermissions[];
  shovels: DesiredShovel[];
  applications: TopologyApplication[];
  deletedNotificationTypes: RetiredNotificationType[];
}

// Observed state, mirroring the RabbitMQ management API's JSON (GET /api/exchanges/{vhost},
// /api/queues/{vhost}, /api/bindings/{vhost}, /api/policies/{vhost}). Optional fields are
// the ones the API leaves out in some versions or while statistics are not yet available.

export interface ObservedVhost {
  name: string;
}

export interface ObservedExchange {
  name: string;
  vhost?: string;
  type: string;
  durable: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: BrokerArguments;
}

export interface ObservedQueue {
  name: string;
  vhost?: string;
  durable: boolean;
  auto_delete?: boolean;
  exclusive?: boolean;
  arguments?: BrokerArguments;
  /** `classic`, `quorum` or `stream`; older brokers only say it in `arguments`. */
  type?: string;
  /** Ready plus unacknowledged; absent while the broker has no statistics for the queue. */
  messages?: number;
}

export interface ObservedBinding {
  /** The empty string is the default exchange, whose implicit bindings nobody manages. */
  source: string;
  vhost?: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments?: BrokerArguments;
  /** What DELETE /api/bindings/… needs to name the binding. */
  properties_key: string;
}

export interface ObservedPolicy {
  name: string;
  vhost?: string;
  pattern: string;
  'apply-to'?: string;
  definition: Record<string, JsonValue>;
  priority?: number;
}

/** A broker user (GET /api/users); not vhost-scoped, so every user of the broker is listed. */
export interface ObservedUser {
  name: string;
  /** Empty when the user has no internal password. */
  password_hash?: string;
  /** A list from 3.9 on, a comma-separated string before. */
  tags: string[] | string;
}

/**
 * A user's vhost permissions joined with its topic permissions in the vhost (GET
 * /api/vhosts/{vhost}/permissions and /topic-permissions). `configure`, `write` and `read`
 * are absent when the user has topic permissions but no vhost permissions.
 */
export interface ObservedPermissions {
  user: string;
  configure?: string;
  write?: string;
  read?: string;
  topic: TopicPermissionDefinition[];
}

/**
 * A shovel: its runtime parameter (`value`, the URIs with credentials: never log it) and what
 * the shovel plugin reports of it (null when no node reports it).
 */
export interface ObservedShovel {
  name: string;
  vhost?: string;
  value: Record<string, JsonValue>;
  status: { state: string; node: string; reason?: string } | null;
}

/** What the management API returned for the vhost; `vhost: null` when it does not exist. */
export interface ObservedTopology {
  vhost: ObservedVhost | null;
  exchanges: ObservedExchange[];
  queues: ObservedQueue[];
  bindings: ObservedBinding[];
  policies: ObservedPolicy[];
  users: ObservedUser[];
  permissions: ObservedPermissions[];
  shovels: ObservedShovel[];
}

/** An observed object with the key it would have if we managed it. */
export type ObservedObject =
  | { kind: 'vhost'; key: string; observed: ObservedVhost }
  | { kind: 'exchange'; key: string; observed: ObservedExchange }
  | { kind: 'queue'; key: string; observed: ObservedQueue }
  | { kind: 'policy'; key: string; observed: ObservedPolicy }
  | { kind: 'binding'; key: string; observed: ObservedBinding }
  | { kind: 'user'; key: string; observed: ObservedUser }
  | { kind: 'permissions'; key: string; observed: ObservedPermissions }
  | { kind: 'shovel'; key: string; observed: ObservedShovel };
