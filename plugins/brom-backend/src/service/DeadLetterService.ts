import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  Application,
  bromDeadLettersManagePermission,
  DeadLetterDeath,
  DeadLetterMessage,
  DeadLetterPeek,
  DeadLetterPurge,
  DeadLetterReplay,
} from '@internal/plugin-brom-common';
import {
  isNotFoundError,
  ManagementApiError,
  ManagementClient,
  Queue,
  QueueMessage,
} from '@internal/rabbitmq-management';
import {
  applicationObjectNames,
  ApplicationObjectNames,
} from '../reconciler/core/naming';
import { BromUnitOfWork } from '../store/BromRepositories';
import { Actor } from './Actor';
import { ApplicationAccess } from './ApplicationAccess';
import { recordAudit } from './AuditService';

/** The management API calls the dead-letter tools make, and nothing else. */
export type DeadLetterBroker = Pick<
  ManagementClient,
  | 'getQueue'
  | 'getMessages'
  | 'purgeQueue'
  | 'getShovelStatus'
  | 'getShovelParameter'
  | 'putShovel'
>;

/** Bytes of each payload a peek shows; `payloadBytes` gives the whole size. */
export const PEEK_PAYLOAD_BYTES = 2048;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Owners' (and administrators') tools for a consumer's dead-letter queue, through the
 * broker's own facilities (docs/decisions/0025-dead-letter-tools.md): a peek is the management
 * API's "get messages" with a requeueing ack mode, a replay is a dynamic shovel that moves the
 * messages back into the consumer's queue and deletes itself (what the management UI's "Move
 * messages" does), a purge is the API's purge. Each is audited under the application.
 */
export class DeadLetterService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #broker: DeadLetterBroker | undefined;
  readonly #vhost: string;
  readonly #prefix: string;
  readonly #clock: () => Date;
  /** Applications with a replay or purge being started in this process. */
  readonly #busy = new Set<string>();

  private constructor(options: {
    work: BromUnitOfWork;
    access: ApplicationAccess;
    broker: DeadLetterBroker | undefined;
    vhost: string;
    prefix: string;
    clock: () => Date;
  }) {
    this.#work = options.work;
    this.#access = options.access;
    this.#broker = options.broker;
    this.#vhost = options.vhost;
    this.#prefix = options.prefix;
    this.#clock = options.clock;
  }

  static create(options: {
    work: BromUnitOfWork;
    access: ApplicationAccess;
    /** Undefined without a management API: every tool then answers 503 after the checks. */
    broker: DeadLetterBroker | undefined;
    vhost: string;
    prefix: string;
    clock?: () => Date;
  }): DeadLetterService {
    return new DeadLetterService({
      ...options,
      clock: options.clock ?? (() => new Date()),
    });
  }

  /**
   * The first `count` messages of the dead-letter queue. Each is taken and put back at once
   * (`ack_requeue_true`): none is lost, but each is marked redelivered afterwards and a
   * quorum queue counts the delivery. Refused while a `delivery-limit` applies to the queue
   * (the broker would drop a message peeked too often). During a replay nothing is taken.
   */
  async peek(
    actor: Actor,
    name: string,
    count: number,
  ): Promise<DeadLetterPeek> {
    const { application, names, broker } = await this.#authorize(actor, name);
    const queue = await this.#deadLetterQueue(broker, application, names);
    const replayRunning = await this.#replayRunning(broker, names);
    let messages: QueueMessage[] = [];
    let messageCount = queue.messages_ready ?? 0;
    if (!replayRunning) {
      refuseIfDeliveryLimited(queue);
      messages = await brokerCall(() =>
        broker.getMessages(this.#vhost, names.deadLetterQueue, {
          count,
          ackmode: 'ack_requeue_true',
          truncate: PEEK_PAYLOAD_BYTES,
        }),
      );
      // The last message's count is what was left behind it: a count of this moment, unlike
      // the statistics'.
      if (messages.length > 0) {
        messageCount =
          messages[messages.length - 1].message_count + messages.length;
      } else {
        messageCount = 0;
      }
    }
    await this.#audit(actor, application, 'application.dead-letters-peeked', {
      queue: names.deadLetterQueue,
      shown: messages.length,
      messageCount,
    });
    return {
      application: application.name,
      queue: names.deadLetterQueue,
      messageCount,
      messages: messages.map(toDeadLetterMessage),
      replayRunning,
    };
  }

  /**
   * Moves the messages now in the dead-letter queue back to the consumer's queue: a dynamic
   * shovel from one to the other on the same node, confirming each message before it leaves
   * the dead-letter queue, which deletes itself once it has moved as many as the queue held
   * when the replay started (`src-delete-after` with that count, as the management UI's
   * "Move messages" does with `queue-length`). 409 while an earlier replay still runs.
   */
  async replay(actor: Actor, name: string): Promise<DeadLetterReplay> {
    const { application, names, broker } = await this.#authorize(actor, name);
    return this.#exclusively(application, async () => {
      await this.#refuseDuringReplay(broker, application, names);
      const deadLetters = await this.#deadLetterQueue(
        broker,
        application,
        names,
      );
      // The shovel would declare a missing destination as a classic queue, which the
      // reconciler could then never make the consumer's quorum queue.
      await brokerCall(() => broker.getQueue(this.#vhost, names.queue)).catch(
        error => {
          if (error instanceof NotFoundError) {
            throw new ConflictError(
              `The queue ${names.queue} of "${application.name}" is not on the broker; replay once the reconciler has created it`,
            );
          }
          throw error;
        },
      );
      const moving = await this.#readyCount(broker, deadLetters, names);
      if (moving > 0) {
        const local = `amqp:///${encodeURIComponent(this.#vhost)}`;
        await brokerCall(() =>
          broker.putShovel(this.#vhost, names.replayShovel, {
            'src-uri': local,
            'src-queue': names.deadLetterQueue,
            'dest-uri': local,
            'dest-queue': names.queue,
            'ack-mode': 'on-confirm',
            // The count just taken, not `queue-length`: the one-message peek that took it
            // returns its message asynchronously, and the shovel's own count (a passive
            // declare as it starts) could miss it and leave it behind.
            'src-delete-after': moving,
          }),
        );
      }
      await this.#audit(
        actor,
        application,
        'application.dead-letters-replayed',
        {
          from: names.deadLetterQueue,
          to: names.queue,
          moving,
          shovel: moving > 0 ? names.replayShovel : null,
        },
      );
      return {
        application: application.name,
        from: names.deadLetterQueue,
        to: names.queue,
        moving,
      };
    });
  }

  /**
   * Removes every ready message of the dead-letter queue. The API does not say how many it
   * removed: `purged` is the queue's count in the broker's statistics just before. 409 while
   * a replay runs.
   */
  async purge(actor: Actor, name: string): Promise<DeadLetterPurge> {
    const { application, names, broker } = await this.#authorize(actor, name);
    return this.#exclusively(application, async () => {
      // A replay's shovel waits for as many messages as the queue held when it started:
      // purging under it would leave it running, moving later dead letters.
      await this.#refuseDuringReplay(broker, application, names);
      const queue = await this.#deadLetterQueue(broker, application, names);
      // The statistics' count, which lags by seconds: counting with a peek would put a
      // message back only after the purge, which would then leave it.
      const purged = queue.messages_ready ?? 0;
      await brokerCall(() =>
        broker.purgeQueue(this.#vhost, names.deadLetterQueue),
      );
      await this.#audit(actor, application, 'application.dead-letters-purged', {
        queue: names.deadLetterQueue,
        purged,
      });
      return {
        application: application.name,
        queue: names.deadLetterQueue,
        purged,
      };
    });
  }

  /** 404, 403 and 409 (not a consumer) before the broker is asked anything; 503 without one. */
  async #authorize(actor: Actor, name: string) {
    const application = await this.#access.authorizeOn(
      actor,
      bromDeadLettersManagePermission,
      name,
    );
    const consumer =
      await this.#work.repositories.subscriptions.hasConsumerRows(
        application.id,
      );
    if (!consumer) {
      throw new ConflictError(
        `"${application.name}" has no dead-letter queue: it subscribes to nothing (only consumers have queues)`,
      );
    }
    if (!this.#broker) {
      throw new ServiceUnavailableError(
        'The dead-letter tools need the broker management API (brom.broker.managementUrl and password)',
      );
    }
    return {
      application,
      names: applicationObjectNames(this.#prefix, application.name),
      broker: this.#broker,
    };
  }

  async #deadLetterQueue(
    broker: DeadLetterBroker,
    application: Application,
    names: ApplicationObjectNames,
  ): Promise<Queue> {
    try {
      return await brokerCall(() =>
        broker.getQueue(this.#vhost, names.deadLetterQueue),
      );
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new ConflictError(
          `The dead-letter queue ${names.deadLetterQueue} of "${application.name}" is not on the broker yet; the reconciler creates it`,
        );
      }
      throw error;
    }
  }

  /**
   * Ready messages now: a one-message peek's count of what is behind it (plus itself), which
   * the queue answers at once, unlike the statistics, which lag by seconds. Where a
   * `delivery-limit` applies nothing is taken, and the statistics' count is all there is.
   */
  async #readyCount(
    broker: DeadLetterBroker,
    queue: Queue,
    names: ApplicationObjectNames,
  ): Promise<number> {
    if (deliveryLimitOf(queue) !== undefined) return queue.messages_ready ?? 0;
    const [first] = await brokerCall(() =>
      broker.getMessages(this.#vhost, names.deadLetterQueue, {
        count: 1,
        ackmode: 'ack_requeue_true',
        truncate: 1,
      }),
    );
    return first ? first.message_count + 1 : 0;
  }

  /** Whether a replay's shovel is still there: its parameter, or a node's status of it. */
  async #replayRunning(
    broker: DeadLetterBroker,
    names: ApplicationObjectNames,
  ): Promise<boolean> {
    return (await this.#replayState(broker, names)) !== undefined;
  }

  async #replayState(
    broker: DeadLetterBroker,
    names: ApplicationObjectNames,
  ): Promise<string | undefined> {
    const [statuses, parameter] = await Promise.all([
      brokerCall(() =>
        broker.getShovelStatus(this.#vhost, names.replayShovel),
      ).catch(error => {
        // The shovel status API is the shovel management plugin's.
        if (error instanceof NotFoundError) {
          throw new ServiceUnavailableError(
            `Dead-letter tools need the rabbitmq_shovel and rabbitmq_shovel_management plugins on the broker: ${error.message}`,
          );
        }
        throw error;
      }),
      brokerCall(() =>
        broker.getShovelParameter(this.#vhost, names.replayShovel),
      ).then(
        () => true,
        error => {
          if (error instanceof NotFoundError) return false;
          throw error;
        },
      ),
    ]);
    if (statuses.length > 0) {
      return statuses
        .map(s => `${s.state} on ${s.node}${s.reason ? ` (${s.reason})` : ''}`)
        .join(', ');
    }
    return parameter ? 'declared' : undefined;
  }

  async #refuseDuringReplay(
    broker: DeadLetterBroker,
    application: Application,
    names: ApplicationObjectNames,
  ): Promise<void> {
    const state = await this.#replayState(broker, names);
    if (state !== undefined) {
      throw new ConflictError(
        `A replay of "${application.name}"'s dead letters is still moving messages (shovel ${names.replayShovel}: ${state}); try again once it is done`,
      );
    }
  }

  /**
   * One replay or purge per application at a time in this process; across replicas the
   * shovel's presence on the broker is what refuses a second replay.
   */
  async #exclusively<T>(
    application: Application,
    fn: () => Promise<T>,
  ): Promise<T> {
    if (this.#busy.has(application.id)) {
      throw new ConflictError(
        `A replay or purge of "${application.name}"'s dead letters is being started; try again in a moment`,
      );
    }
    this.#busy.add(application.id);
    try {
      return await fn();
    } finally {
      this.#busy.delete(application.id);
    }
  }

  /**
   * The audit row of a tool's use. It changes nothing in BROM's state, so it is appended on
   * its own rather than in a write transaction (which would move the state version).
   */
  async #audit(
    actor: Actor,
    application: Application,
    action: string,
    after: object,
  ): Promise<void> {
    await recordAudit(this.#work.repositories.audit, {
      actor,
      at: this.#clock().toISOString(),
      action,
      target: { id: application.id },
      applications: [application],
      after,
    });
  }
}

/** A broker call, its failures as the API's errors: 404 as NotFoundError, the rest 503. */
async function brokerCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNotFoundError(error)) {
      throw new NotFoundError((error as Error).message);
    }
    const reason =
      error instanceof ManagementApiError
        ? `answered ${error.status}${error.reason ? `: ${error.reason}` : ''}`
        : `did not answer: ${(error as Error).message}`;
    throw new ServiceUnavailableError(`The broker's management API ${reason}`);
  }
}

/** The `delivery-limit` that applies to a queue, from its arguments or its policies. */
function deliveryLimitOf(queue: Queue): unknown {
  return (
    queue.arguments?.['x-delivery-limit'] ??
    queue.effective_policy_definition?.['delivery-limit'] ??
    undefined
  );
}

function refuseIfDeliveryLimited(queue: Queue): void {
  const limit = deliveryLimitOf(queue);
  if (limit !== undefined) {
    throw new ConflictError(
      `A delivery-limit of ${String(limit)} applies to ${
        queue.name
      }: each peek counts as a delivery, so peeking could make the broker drop messages. Remove the limit (an operator policy or queue argument) to peek`,
    );
  }
}

/** A message of the management API's "get messages" as the peek shows it. */
export function toDeadLetterMessage(message: QueueMessage): DeadLetterMessage {
  const properties: Record<string, unknown> =
    message.properties && !Array.isArray(message.properties)
      ? { ...message.properties }
      : {};
  const rawHeaders = properties.headers;
  delete properties.headers;
  const headers: Record<string, unknown> =
    rawHeaders && typeof rawHeaders === 'object' && !Array.isArray(rawHeaders)
      ? { ...(rawHeaders as Record<string, unknown>) }
      : {};
  const xDeath = headers['x-death'];
  delete headers['x-death'];
  const payload = decodePayload(message);
  return {
    routingKey: message.routing_key,
    redelivered: message.redelivered,
    deaths: Array.isArray(xDeath) ? xDeath.map(toDeath) : [],
    properties,
    headers,
    payloadBytes: message.payload_bytes,
    ...payload,
  };
}

function toDeath(entry: unknown): DeadLetterDeath {
  const e = (entry ?? {}) as Record<string, unknown>;
  const time = e.time;
  return {
    reason: typeof e.reason === 'string' ? e.reason : '',
    queue: typeof e.queue === 'string' ? e.queue : '',
    time: isoTime(time),
    count: typeof e.count === 'number' ? e.count : 0,
    exchange: typeof e.exchange === 'string' ? e.exchange : '',
    routingKeys: Array.isArray(e['routing-keys'])
      ? e['routing-keys'].filter((k): k is string => typeof k === 'string')
      : [],
  };
}

/** An `x-death` time as ISO 8601: AMQP timestamps are seconds, which the API gives as numbers. */
function isoTime(time: unknown): string | null {
  let date: Date | undefined;
  if (typeof time === 'number') date = new Date(time * 1000);
  if (typeof time === 'string') date = new Date(time);
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/**
 * The payload as text when its bytes are UTF-8 without control characters (other than tab
 * and line breaks), else as base64; a multi-byte character cut by the truncation is left out.
 */
function decodePayload(
  message: QueueMessage,
): Pick<DeadLetterMessage, 'payload' | 'payloadEncoding' | 'payloadTruncated'> {
  const bytes =
    message.payload_encoding === 'base64'
      ? Buffer.from(message.payload, 'base64')
      : Buffer.from(message.payload, 'utf8');
  const payloadTruncated = bytes.length < message.payload_bytes;
  const text = decodeText(bytes, payloadTruncated);
  if (text !== undefined && !hasControlCharacters(text)) {
    return { payload: text, payloadEncoding: 'string', payloadTruncated };
  }
  return {
    payload: bytes.toString('base64'),
    payloadEncoding: 'base64',
    payloadTruncated,
  };
}

/** Control characters other than tab, line feed and carriage return. */
function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) ||
      code === 0x7f
    ) {
      return true;
    }
  }
  return false;
}

function decodeText(bytes: Buffer, truncated: boolean): string | undefined {
  // A cut can fall inside a character of up to four bytes.
  const cuts = truncated ? [0, 1, 2, 3] : [0];
  for (const cut of cuts) {
    if (cut > bytes.length) break;
    try {
      return utf8.decode(bytes.subarray(0, bytes.length - cut));
    } catch {
      // try a shorter prefix
    }
  }
  return undefined;
}
