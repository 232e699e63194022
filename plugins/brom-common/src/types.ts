/** A Kubernetes-style condition, as the reconciler reports it. */
export interface Condition {
  type: 'Ready';
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase machine-readable reason, e.g. `BrokerUnavailable`. */
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface ApplicationSettings {
  /** Messages older than this are dead-lettered (policy `message-ttl`). */
  messageTtlMs: number | null;
  /** Longest queue before the oldest messages are dead-lettered (policy `max-length`). */
  maxLength: number | null;
}

/**
 * Where an external producer's notifications come from: a queue or exchange on another
 * RabbitMQ, which a shovel moves into the producer's exchange. The upstream password is
 * never part of it: it is written, kept encrypted, and never read back.
 */
export interface ExternalProducer {
  /** `amqp://` or `amqps://` host, port and vhost, without credentials. */
  upstreamUri: string;
  /** The upstream exchange the shovel binds a queue of its own to; null when it reads a queue. */
  upstreamExchange: string | null;
  /** The binding key on the upstream exchange (`#`: everything). Null when it reads a queue. */
  upstreamRoutingKey: string | null;
  /** The upstream queue the shovel consumes; null when it reads an exchange. */
  upstreamQueue: string | null;
  /** The upstream user the shovel connects as. */
  username: string;
}

export interface Application {
  id: string;
  name: string;
  title: string;
  description: string;
  /** Group entity ref of the owning team, e.g. `group:default/team-a`. */
  owner: string;
  /** A catalog Component this application is, e.g. `component:default/orders`. */
  entityRef: string | null;
  settings: ApplicationSettings;
  /** Set when the application publishes on another RabbitMQ and a shovel brings its messages in. */
  externalProducer: ExternalProducer | null;
  generation: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  queueDeletionConfirmedAt: string | null;
}

export type NotificationTypeVisibility = 'public' | 'private';

/**
 * A producer's notice that a type is going away: new requests are refused, and the
 * subscriptions still live at `sunsetAt` end then.
 */
export interface NotificationTypeDeprecation {
  deprecatedAt: string;
  /** User entity ref of who deprecated it (or last moved its sunset). */
  deprecatedBy: string;
  /** When the remaining subscriptions end. */
  sunsetAt: string;
  /** Name of the type of the same producer that replaces it, if any. */
  successor: string | null;
}

export interface NotificationType {
  id: string;
  /** Name of the producing application. */
  application: string;
  name: string;
  routingKeyPattern: string;
  description: string;
  /** JSON Schema of the payload, when the producer gives one. */
  payloadSchema: Record<string, unknown> | null;
  visibility: NotificationTypeVisibility;
  requiresApproval: boolean;
  /** Set once the producer deprecated the type. */
  deprecation: NotificationTypeDeprecation | null;
  generation: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** The producer's owner (a group ref), given in lists. */
  producerOwner?: string;
}

export type SubscriptionState = 'requested' | 'approved' | 'rejected' | 'revoked';

export interface Subscription {
  id: string;
  /** Name of the consuming application. */
  consumer: string;
  /** Name of the producing application. */
  producer: string;
  /** Name of the notification type within the producer. */
  notificationType: string;
  routingKeyPattern: string;
  state: SubscriptionState;
  justification: string;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  /** The reason given with a rejection or revocation; the requester sees it. */
  reason: string | null;
  /** The type's deprecation, so that the consumer sees its sunset date and successor. */
  notificationTypeDeprecation: NotificationTypeDeprecation | null;
  generation: number;
  updatedAt: string;
  /**
   * Only in the answer to an approval (or to a request approved at once), and only when
   * something keeps the broker from binding the consumer's queue to the producer's exchange
   * right now.
   */
  blocked?: BindingBlock[];
  /** The consumer's owner (a group ref), given in lists. */
  consumerOwner?: string;
  /** The producer's owner (a group ref), given in lists: the team that decides. */
  producerOwner?: string;
}

/** Why a subscription's binding cannot be made now, e.g. a conflicting queue of the same name. */
export interface BindingBlock {
  /** The object in the way, e.g. `queue:brom.billing`. */
  key: string;
  /** `Conflict`, `InequivalentArguments` or `Unmanaged`. */
  reason: string;
  message: string;
}

/** Credential metadata; the secret is returned once at creation and never stored. */
export interface Credential {
  id: string;
  application: string;
  /** The broker username of this credential. */
  username: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** The one response that carries a secret: creating or rotating a credential. */
export interface IssuedCredential {
  credential: Credential;
  secret: string;
}

export interface AuditEvent {
  id: number;
  at: string;
  /** User entity ref of who did it. */
  actor: string;
  action: string;
  targetKind: 'application' | 'notificationType' | 'subscription' | 'credential';
  targetId: string;
  /** The name of the application whose history the event belongs to. */
  application: string;
  /**
   * The identity of that application: a name registered again after a deletion starts
   * a new history. Null for old events whose application could not be established.
   */
  applicationId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  /**
   * How many match over all pages. Lists that count at most `LIST_COUNT_BOUND` rows say
   * `totalCountBounded: true` when more match than that.
   */
  totalCount: number;
  offset: number;
  limit: number;
  /** Set when more match than `totalCount` says (the count stopped at its bound). */
  totalCountBounded?: boolean;
  /** Ask for the next page with `cursor=<this>`; absent on the last page. */
  nextCursor?: string;
}

/** The most rows a list counts; past it, `totalCount` is this bound and `totalCountBounded` set. */
export const LIST_COUNT_BOUND = 10_000;

export type SortOrder = 'asc' | 'desc';

/** Sync status of one broker object or subscription, as the reconciler last saw it. */
export interface ObjectStatus {
  key: string;
  kind: 'vhost' | 'exchange' | 'queue' | 'binding' | 'policy' | 'user' | 'permissions' | 'shovel';
  name: string;
  application: string | null;
  subscriptionId: string | null;
  desiredGeneration: number;
  condition: Condition;
  attempts: number;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
}

export interface ApplicationStatus {
  application: string;
  /** Plain-words summary, e.g. "3 of 4 objects ready; binding X failing: …". */
  summary: string;
  ready: boolean;
  objects: ObjectStatus[];
  /**
   * When the broker was last seen for this status: a full pass of the reconciler, or the
   * status's own check of the application's objects, whichever is later; null if never.
   */
  observedAt: string | null;
  /**
   * Objects BROM does not manage that touch the application's exchange or queue (e.g. a
   * binding from its exchange to a foreign queue). Shown to its owners and administrators
   * only; empty for others.
   */
  unmanaged: UnmanagedObject[];
}

/**
 * An object in BROM's vhost that BROM neither created nor adopted, as the last full pass of
 * the reconciler saw it: left alone, but reported.
 */
export interface UnmanagedObject {
  key: string;
  /** exchange, queue, policy, binding, or binding-with-arguments. */
  kind: string;
  name: string;
  /** The application whose exchange it reads from (a binding's source), if any. */
  sourceApplication: string | null;
  /** The application whose queue or exchange it ends in, or whose name it carries, if any. */
  destinationApplication: string | null;
  firstSeenAt: string;
}

/** Every unmanaged object in BROM's vhost, for administrators. */
export interface UnmanagedObjectList {
  /** When the reconciler last observed the whole vhost; null if never. */
  observedAt: string | null;
  items: UnmanagedObject[];
}

/** What the catalog module reads from BROM: live applications, types and approved subscriptions. */
export interface CatalogExport {
  version: number;
  /** The change-log position the export was read at (see `CatalogChanges`). */
  sequence?: number;
  broker: {
    vhost: string;
    /** Prefix of exchange and queue names; a producer `p` publishes to exchange `${prefix}p`. */
    prefix: string;
    /** AMQP URLs clients connect to (each node of a cluster, or one load balancer); empty when not configured. */
    amqpUrls: string[];
  };
  applications: Array<
    Pick<Application, 'name' | 'title' | 'description' | 'owner' | 'entityRef'>
  >;
  notificationTypes: Array<
    Pick<
      NotificationType,
      | 'application'
      | 'name'
      | 'routingKeyPattern'
      | 'description'
      | 'payloadSchema'
      | 'deprecation'
    >
  >;
  subscriptions: Array<Pick<Subscription, 'consumer' | 'producer' | 'notificationType'>>;
}

/** What changed for the catalog since a change-log position. */
export interface CatalogChanges {
  /** The position this answer reaches; the next call's `after`. */
  sequence: number;
  version: number;
  /** Too many changes, or an unknown position: read the whole export instead. */
  full: boolean;
  /** Applications whose entities may have changed (deleted ones too). */
  applications?: string[];
  /** The live rows of those applications only: their types, their queues' approved subscriptions. */
  export?: CatalogExport;
}

/** One queue as the broker's statistics saw it (rates in messages per second). */
export interface QueueHealth {
  name: string;
  /** False when the broker does not (yet) have the queue. */
  exists: boolean;
  messagesReady: number;
  messagesUnacknowledged: number;
  consumers: number;
  publishRate: number;
  deliverRate: number;
  ackRate: number;
  /**
   * When the portal last saw the queue's delivered count grow (to the refresh interval), or
   * null if it has not since it started watching.
   */
  lastDeliveryAt: string | null;
}

export interface ExchangeHealth {
  name: string;
  exists: boolean;
  /** Messages the application published to its exchange, per second. */
  publishRate: number;
  /**
   * Published messages no binding routed, per second: the exchange's publish-in rate minus
   * its publish-out rate, at least 0 (exact while each message reaches at most one queue).
   */
  unroutableRate: number;
}

export type QueueHealthWarningCode = 'backlog-without-consumer' | 'dead-letters';

export interface QueueHealthWarning {
  code: QueueHealthWarningCode;
  message: string;
}

/** What the broker's statistics say about an application's queues and exchange. */
export interface ApplicationHealth {
  application: string;
  /** When the statistics were read from the management API. */
  observedAt: string;
  queue: QueueHealth | null;
  deadLetterQueue: QueueHealth | null;
  exchange: ExchangeHealth | null;
  warnings: QueueHealthWarning[];
}

/** Why and where a message was dead-lettered: one entry of its `x-death` header. */
export interface DeadLetterDeath {
  /** `rejected`, `expired`, `maxlen` or `delivery_limit`. */
  reason: string;
  /** The queue it was dead-lettered from. */
  queue: string;
  /** When it was first dead-lettered for this reason from this queue (ISO 8601), if known. */
  time: string | null;
  /** How many times it was dead-lettered for this reason from this queue. */
  count: number;
  /** The exchange it had been published to. */
  exchange: string;
  /** The routing keys it had been published with. */
  routingKeys: string[];
}

/** One dead-lettered message as a peek shows it. */
export interface DeadLetterMessage {
  /** The routing key it arrived in the dead-letter queue with (its original one). */
  routingKey: string;
  /** Set when the message had been delivered from the dead-letter queue before (e.g. peeked). */
  redelivered: boolean;
  /** Its `x-death` entries, the latest first. */
  deaths: DeadLetterDeath[];
  /** AMQP properties other than the headers (content type, message id, timestamp, …). */
  properties: Record<string, unknown>;
  /** Headers other than `x-death`. */
  headers: Record<string, unknown>;
  /** Size of the whole payload in bytes. */
  payloadBytes: number;
  /** The payload's first bytes, as text when they are UTF-8, else base64. */
  payload: string;
  payloadEncoding: 'string' | 'base64';
  /** Whether `payload` holds only the first bytes of a longer payload. */
  payloadTruncated: boolean;
}

/** What a peek found in an application's dead-letter queue. */
export interface DeadLetterPeek {
  application: string;
  queue: string;
  /** Ready messages in the dead-letter queue before the peek. */
  messageCount: number;
  /** The first messages, at most as many as asked for. */
  messages: DeadLetterMessage[];
  /** Whether a replay of this queue is still moving messages. */
  replayRunning: boolean;
}

/** The answer to a replay: how many messages the shovel is moving back. */
export interface DeadLetterReplay {
  application: string;
  /** The dead-letter queue the messages leave. */
  from: string;
  /** The consumer's queue they go back to. */
  to: string;
  /** Messages the shovel moves (those ready when the replay started); 0 starts no shovel. */
  moving: number;
}

/** The answer to a purge. */
export interface DeadLetterPurge {
  application: string;
  queue: string;
  /** Messages the broker removed. */
  purged: number;
}
