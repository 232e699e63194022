import {
  DesiredBinding,
  DesiredExchange,
  DesiredPolicy,
  DesiredQueue,
  ObservedBinding,
  ObservedTopology,
} from './types';

/** A live AMQP connection as the reconciler needs to see it. */
export interface BrokerConnection {
  name: string;
  user: string;
  vhost: string;
}

/** Names one broker object for a targeted read; its `key` is the planner's key. */
export type ObjectRef =
  | { kind: 'exchange' | 'queue' | 'policy'; key: string; name: string }
  | {
      kind: 'binding';
      key: string;
      source: string;
      destination: string;
      destinationType: 'queue' | 'exchange';
      routingKey: string;
    };

/**
 * The broker operations the applier needs: the only way the reconciler talks to RabbitMQ.
 * Implementations throw {@link BrokerRequestError} for HTTP answers and plain errors for
 * network failures and timeouts.
 */
export interface BrokerApi {
  /** Everything in the vhost: what a full pass plans against. */
  observe(vhost: string): Promise<ObservedTopology>;
  /**
   * The vhost and just the named objects (those that exist), for a pass that only looks at
   * what a change touched. Other objects may come along (e.g. bindings between the same pair).
   */
  observeObjects(vhost: string, objects: ObjectRef[]): Promise<ObservedTopology>;
  putVhost(vhost: string): Promise<void>;
  putExchange(vhost: string, exchange: DesiredExchange): Promise<void>;
  putQueue(vhost: string, queue: DesiredQueue): Promise<void>;
  putPolicy(vhost: string, policy: DesiredPolicy): Promise<void>;
  createBinding(vhost: string, binding: DesiredBinding): Promise<void>;
  deleteExchange(vhost: string, name: string): Promise<void>;
  deleteQueue(vhost: string, name: string): Promise<void>;
  deletePolicy(vhost: string, name: string): Promise<void>;
  deleteBinding(vhost: string, binding: ObservedBinding): Promise<void>;
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
  const message = error instanceof Error ? error.message : String(error);
  return { terminal: false, reason: 'BrokerUnavailable', message };
}
