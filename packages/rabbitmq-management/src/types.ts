/*
 * Shapes of the JSON the RabbitMQ management API (3.10 and later) returns and
 * accepts. Only the fields callers use are typed; the API returns many more
 * (statistics, rates), and object types stay open with an index signature so
 * they are not lost when passed on.
 */

/** Arguments of queues, exchanges and bindings (`x-queue-type`, `x-dead-letter-exchange`, …). */
export type Arguments = Record<string, unknown>;

/** @public */
export interface Overview {
  management_version: string;
  rabbitmq_version: string;
  erlang_version?: string;
  cluster_name: string;
  node: string;
  object_totals?: {
    connections: number;
    channels: number;
    consumers: number;
    exchanges: number;
    queues: number;
  };
  /** Every listener of every node of the cluster. */
  listeners?: Listener[];
  [key: string]: unknown;
}

/** @public */
export interface Vhost {
  name: string;
  description?: string;
  tags?: string[];
  default_queue_type?: string;
  tracing?: boolean;
  [key: string]: unknown;
}

/** @public */
export interface VhostSettings {
  description?: string;
  /** Comma-separated in 3.10; newer versions also accept a list. */
  tags?: string;
  /** Honoured from RabbitMQ 3.11 on. */
  default_queue_type?: 'classic' | 'quorum' | 'stream';
  tracing?: boolean;
}

/** @public */
export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers' | string;

/** @public */
export interface Exchange {
  name: string;
  vhost: string;
  type: ExchangeType;
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Arguments;
  policy?: string;
  user_who_performed_action?: string;
  [key: string]: unknown;
}

/** @public */
export interface ExchangeSettings {
  type: ExchangeType;
  durable?: boolean;
  auto_delete?: boolean;
  internal?: boolean;
  arguments?: Arguments;
}

/** @public */
export interface Queue {
  name: string;
  vhost: string;
  /** `classic`, `quorum` or `stream`. */
  type: string;
  durable: boolean;
  auto_delete: boolean;
  /** null for quorum queues and streams. */
  exclusive?: boolean | null;
  arguments: Arguments;
  node?: string;
  state?: string;
  policy?: string | null;
  effective_policy_definition?: Record<string, unknown> | null;
  /**
   * Message counts come from the statistics database, which reports a new
   * queue a few seconds after it is declared: absent until then.
   */
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  /** Quorum queues: the nodes holding a replica, those of them running, and the leader's. */
  members?: string[];
  online?: string[];
  leader?: string;
  [key: string]: unknown;
}

/**
 * One message as `POST /api/queues/{vhost}/{name}/get` returns it.
 *
 * @public
 */
export interface QueueMessage {
  /** Size of the whole payload, however much of it `payload` holds. */
  payload_bytes: number;
  redelivered: boolean;
  exchange: string;
  routing_key: string;
  /** Ready messages left in the queue after this one was taken. */
  message_count: number;
  /** AMQP properties; `headers` among them. Absent properties are left out (3.10 sends `[]` for none). */
  properties: Record<string, unknown> | unknown[];
  payload: string;
  payload_encoding: 'string' | 'base64';
  [key: string]: unknown;
}

/** @public */
export interface QueueSettings {
  durable?: boolean;
  auto_delete?: boolean;
  arguments?: Arguments;
  /** Only honoured by clustered nodes; the queue leader's node. */
  node?: string;
}

/** @public */
export type BindingDestinationType = 'queue' | 'exchange';

/** @public */
export interface Binding {
  /** The source exchange; the empty string is the default exchange. */
  source: string;
  vhost: string;
  destination: string;
  destination_type: BindingDestinationType;
  routing_key: string;
  arguments: Arguments;
  /** Identifies the binding among those with the same source and destination; needed to delete it. */
  properties_key: string;
}

/** @public */
export interface BindingSettings {
  routing_key?: string;
  arguments?: Arguments;
}

/** @public */
export type PolicyApplyTo = 'queues' | 'exchanges' | 'all' | string;

/** @public */
export interface Policy {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': PolicyApplyTo;
  definition: Record<string, unknown>;
  priority: number;
}

/** @public */
export interface PolicySettings {
  pattern: string;
  definition: Record<string, unknown>;
  priority?: number;
  'apply-to'?: PolicyApplyTo;
}

/** @public */
export interface User {
  name: string;
  /** A list from 3.9 on. */
  tags: string[] | string;
  password_hash?: string;
  hashing_algorithm?: string;
  [key: string]: unknown;
}

/** @public */
export type UserSettings =
  | {
      password: string;
      /** Comma-separated, e.g. `administrator` or `monitoring,policymaker`; empty for none. */
      tags?: string;
    }
  | {
      password_hash: string;
      hashing_algorithm?: string;
      tags?: string;
    };

/** @public */
export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** @public */
export interface PermissionSettings {
  configure: string;
  write: string;
  read: string;
}

/** @public */
export interface TopicPermission {
  user: string;
  vhost: string;
  exchange: string;
  write: string;
  read: string;
}

/** @public */
export interface TopicPermissionSettings {
  exchange: string;
  write: string;
  read: string;
}

/** @public */
export interface Connection {
  name: string;
  user: string;
  vhost: string;
  node: string;
  state?: string;
  protocol?: string;
  peer_host?: string;
  peer_port?: number;
  client_properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * The document `GET /api/definitions` returns and `POST /api/definitions`
 * accepts. For a single vhost, the per-object `vhost` fields are absent.
 *
 * @public
 */
export interface Definitions {
  rabbit_version?: string;
  rabbitmq_version?: string;
  users?: Array<Record<string, unknown>>;
  vhosts?: Array<Record<string, unknown>>;
  permissions?: Array<Record<string, unknown>>;
  topic_permissions?: Array<Record<string, unknown>>;
  parameters?: Array<Record<string, unknown>>;
  global_parameters?: Array<Record<string, unknown>>;
  policies?: Array<Record<string, unknown>>;
  queues?: Array<Record<string, unknown>>;
  exchanges?: Array<Record<string, unknown>>;
  bindings?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/**
 * A listener of one node, as `GET /api/overview` reports them for the whole cluster.
 *
 * @public
 */
export interface Listener {
  node: string;
  /** `amqp`, `amqp/ssl`, `clustering`, `http`, `https`, … */
  protocol: string;
  /** The address it is bound to (`::` or `0.0.0.0` for every address). */
  ip_address: string;
  port: number;
  /** For `http`: the management listener's own settings, `ip` among them when it is bound to one. */
  socket_opts?: unknown;
  [key: string]: unknown;
}

/**
 * A dynamic shovel's definition: the `value` of its `shovel` runtime parameter
 * (AMQP 0-9-1 on both sides). Give exactly one of `src-exchange` and `src-queue`.
 * `src-uri` carries the upstream's credentials: the broker stores and returns
 * it as given, so treat a definition (and {@link ShovelParameter}) as a secret.
 *
 * @public
 */
export interface ShovelDefinition {
  'src-protocol'?: 'amqp091';
  'src-uri': string | string[];
  'src-exchange'?: string;
  'src-exchange-key'?: string;
  'src-queue'?: string;
  'src-prefetch-count'?: number;
  'dest-protocol'?: 'amqp091';
  /** `amqp:///<vhost>` (no host) is a direct connection to the node the shovel runs on. */
  'dest-uri': string | string[];
  'dest-exchange'?: string;
  'dest-exchange-key'?: string;
  'dest-queue'?: string;
  'ack-mode'?: 'on-confirm' | 'on-publish' | 'no-ack';
  /** Seconds between reconnection attempts. */
  'reconnect-delay'?: number;
  'src-delete-after'?: 'never' | 'queue-length' | number;
  [key: string]: unknown;
}

/** @public */
export interface ShovelParameter {
  name: string;
  vhost: string;
  component: 'shovel';
  value: ShovelDefinition;
  [key: string]: unknown;
}

/**
 * What the shovel plugin reports about a running (or trying) shovel, from
 * `GET /api/shovels/{vhost}`, which gathers the status of every node of the
 * cluster. `node` is where the shovel runs. The URIs here have their
 * credentials removed by the broker.
 *
 * @public
 */
export interface ShovelStatus {
  name: string;
  vhost: string;
  node: string;
  type: 'dynamic' | 'static' | string;
  /** `running`, `starting` (connecting, or waiting to reconnect) or `terminated`. */
  state: 'running' | 'starting' | 'terminated' | string;
  /** Why a shovel terminated (only then). */
  reason?: string;
  timestamp?: string;
  src_uri?: string;
  dest_uri?: string;
  [key: string]: unknown;
}
