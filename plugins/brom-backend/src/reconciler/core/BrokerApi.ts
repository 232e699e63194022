import {
  DesiredBinding,
  DesiredExchange,
  DesiredPolicy,
  DesiredQueue,
  ObservedBinding,
  ObservedExchange,
  ObservedPermissions,
  ObservedPolicy,
  ObservedQueue,
  ObservedUser,
  TopicPermissionDefinition,
  ObservedShovel,
} from './types';

/** A live AMQP connection as the reconciler needs to see it. */
export interface BrokerConnection {
  name: string;
  user: string;
  vhost: string;
}

/**
 * The broker operations the reconciler needs: the only way it talks to RabbitMQ. One read,
 * write and delete per object kind; the kind table (`kinds.ts`) decides which to call.
 * Implementations throw {@link BrokerRequestError} for HTTP answers and plain errors for
 * network failures and timeouts; reads of one object answer `undefined` when it is absent.
 */
export interface BrokerApi {
  hasVhost(vhost: string): Promise<boolean>;
  putVhost(vhost: string): Promise<void>;
  listExchanges(vhost: string): Promise<ObservedExchange[]>;
  getExchange(vhost: string, name: string): Promise<ObservedExchange | undefined>;
  putExchange(vhost: string, exchange: DesiredExchange): Promise<void>;
  deleteExchange(vhost: string, name: string): Promise<void>;
  listQueues(vhost: string): Promise<ObservedQueue[]>;
  /**
   * Those of the named queues that exist, with their message counts (a queue's own GET
   * omits a quorum queue's, which the deletion guard needs).
   */
  listQueuesNamed(vhost: string, names: string[]): Promise<ObservedQueue[]>;
  putQueue(vhost: string, queue: DesiredQueue): Promise<void>;
  deleteQueue(vhost: string, name: string): Promise<void>;
  listPolicies(vhost: string): Promise<ObservedPolicy[]>;
  getPolicy(vhost: string, name: string): Promise<ObservedPolicy | undefined>;
  putPolicy(vhost: string, policy: DesiredPolicy): Promise<void>;
  deletePolicy(vhost: string, name: string): Promise<void>;
  listBindings(vhost: string): Promise<ObservedBinding[]>;
  /** The bindings from `source` to `destination`, whatever their routing keys. */
  listBindingsBetween(
    vhost: string,
    source: string,
    destination: string,
    destinationType: 'queue' | 'exchange',
  ): Promise<ObservedBinding[]>;
  createBinding(vhost: string, binding: DesiredBinding): Promise<void>;
  deleteBinding(vhost: string, binding: ObservedBinding): Promise<void>;
  /** Every user of the broker (users are not vhost-scoped). */
  listUsers(): Promise<ObservedUser[]>;
  getUser(name: string): Promise<ObservedUser | undefined>;
  /** Creates the user, or resets it, with no internal password and no tags. */
  putUser(name: string): Promise<void>;
  deleteUser(name: string): Promise<void>;
  /** Each user's vhost permissions joined with its topic permissions in the vhost. */
  listPermissions(vhost: string): Promise<ObservedPermissions[]>;
  getPermissions(vhost: string, user: string): Promise<ObservedPermissions | undefined>;
  putVhostPermissions(
    vhost: string,
    user: string,
    permissions: { configure: string; write: string; read: string },
  ): Promise<void>;
  deleteVhostPermissions(vhost: string, user: string): Promise<void>;
  putTopicPermission(vhost: string, user: string, topic: TopicPermissionDefinition): Promise<void>;
  /** Removes the user's topic permissions on every exchange of the vhost. */
  deleteTopicPermissions(vhost: string, user: string): Promise<void>;
  /** Every shovel of the vhost: runtime parameters with the status the plugin reports. */
  listShovels(vhost: string): Promise<ObservedShovel[]>;
  getShovel(vhost: string, name: string): Promise<ObservedShovel | undefined>;
  /** Declares or replaces the shovel's runtime parameter. */
  putShovel(vhost: string, name: string, definition: Record<string, unknown>): Promise<void>;
  /** Deletes it through the node that runs it and waits until no node reports it. */
  deleteShovel(vhost: string, name: string): Promise<void>;
  /**
   * The user's open connections, from the broker's connection tracking: unlike the
   * statistics-based listings it shows a connection as soon as it is open.
   */
  listUserConnections(username: string): Promise<BrokerConnection[]>;
  /** Closes every connection of the user (`DELETE /api/connections/username/{name}`). */
  closeUserConnections(username: string, reason: string): Promise<void>;
}

/** The broker answered with an error status. */
export class BrokerRequestError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(message: string, status: number, body: string) {
    super(message);
    this.name = 'BrokerRequestError';
    this.status = status;
    this.body = body;
  }
}

/**
 * A broker user that still has open connections is not deleted: RabbitMQ closes a deleted
 * user's connections, and a user is deleted only when its credential's access ended, whose
 * connections the revocation enforcer closes (with the reason, once every sidecar has caught
 * up and, in the native mode, once its permissions are gone). The deletion is retried (with
 * backoff) until then.
 */
export class UserHasConnectionsError extends Error {
  readonly connections: number;

  constructor(username: string, connections: number) {
    super(
      `broker user ${username} still has ${connections} open connection(s); it is deleted once they close, since deleting it would close them`,
    );
    this.name = 'UserHasConnectionsError';
    this.connections = connections;
  }
}

/**
 * Sorts a write failure into terminal (the broker refuses the definition: PRECONDITION_FAILED
 * on a declare) or retryable (anything else, including 5xx, resets and timeouts).
 */
export function classifyWriteError(error: unknown): {
  terminal: boolean;
  reason: string;
  message: string;
} {
  if (error instanceof BrokerRequestError) {
    const text = `${error.body}`.toLowerCase();
    if ((error.status === 400 || error.status === 406) && text.includes('inequivalent')) {
      return {
        terminal: true,
        reason: 'InequivalentArguments',
        message: `the broker refused the definition: ${error.body.slice(0, 300)}`,
      };
    }
    if (error.status === 401 || error.status === 403) {
      return {
        terminal: false,
        reason: 'BrokerAccessDenied',
        message: `the broker refused the reconciler's user (HTTP ${error.status}); check brom.broker.username and password`,
      };
    }
    return {
      terminal: false,
      reason: 'BrokerError',
      message: `HTTP ${error.status}: ${error.body.slice(0, 300)}`,
    };
  }
  if (error instanceof UserHasConnectionsError) {
    return { terminal: false, reason: 'UserHasConnections', message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { terminal: false, reason: 'BrokerUnavailable', message };
}
