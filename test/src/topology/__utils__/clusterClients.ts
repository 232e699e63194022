import amqp, { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { setTimeout as delay } from 'node:timers/promises';

/*
 * AMQP clients as an application configured with every node of the cluster is written:
 * connect to the first node that accepts, and when the connection drops, connect to the
 * next. Each records how long it was without a connection.
 */

/** Connects to the first of `urls`, from `start` on, that accepts. */
async function connectToAny(
  urls: readonly string[],
  start = 0,
): Promise<{ connection: ChannelModel; node: number }> {
  let failure: unknown;
  for (let i = 0; i < urls.length; i++) {
    const node = (start + i) % urls.length;
    try {
      const connection = await amqp.connect(urls[node], { timeout: 5_000 });
      // A dropped connection is noticed through 'close'; an unheard 'error' would throw.
      connection.on('error', () => undefined);
      return { connection, node };
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

export interface Reconnect {
  from: number;
  to: number;
  /** From the old connection's close to the new one's channel being ready. */
  ms: number;
}

/** Keeps one connection open through the nodes of a cluster, running `session` on each. */
abstract class ReconnectingClient {
  readonly reconnects: Reconnect[] = [];
  #running = true;
  #connection: ChannelModel | undefined;
  /** When and from which node the last connection dropped, until the next one is ready. */
  #lost: { at: number; node: number } | undefined;
  #loop: Promise<void> | undefined;

  protected constructor(readonly urls: readonly string[], readonly firstNode: number) {}

  protected begin() {
    this.#loop = this.#run();
  }

  protected get running() {
    return this.#running;
  }

  /**
   * Uses the connection until it fails or the client stops; calls `ready` once it can
   * work (its channel is open).
   */
  protected abstract session(
    connection: ChannelModel,
    closed: Promise<void>,
    ready: () => void,
  ): Promise<void>;

  async #run() {
    let node = this.firstNode;
    while (this.#running) {
      let connected: { connection: ChannelModel; node: number };
      try {
        connected = await connectToAny(this.urls, node);
      } catch {
        await delay(100);
        continue;
      }
      this.#connection = connected.connection;
      node = connected.node;
      try {
        await this.session(connected.connection, this.#closeOf(connected), () =>
          this.#connected(connected.node),
        );
      } catch {
        // The connection failed under the session; the next node is tried.
      }
      await connected.connection.close().catch(() => undefined);
      this.#connection = undefined;
      node = (node + 1) % this.urls.length;
    }
    this.#lost = undefined;
  }

  #closeOf(connected: { connection: ChannelModel; node: number }): Promise<void> {
    return new Promise<void>(resolve =>
      connected.connection.once('close', () => {
        this.#lost ??= { at: Date.now(), node: connected.node };
        resolve();
      }),
    );
  }

  #connected(node: number) {
    if (this.#lost) {
      this.reconnects.push({ from: this.#lost.node, to: node, ms: Date.now() - this.#lost.at });
      this.#lost = undefined;
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#connection?.close().catch(() => undefined);
    await this.#loop;
  }
}

/**
 * Publishes numbered persistent messages one at a time, each confirmed before the next;
 * `confirmed` lists those the broker confirmed. One every `intervalMs`.
 */
export class ReconnectingPublisher extends ReconnectingClient {
  readonly confirmed: string[] = [];
  readonly #exchange: string;
  readonly #routingKey: string;
  readonly #intervalMs: number;
  #sequence = 0;

  static start(options: {
    urls: readonly string[];
    firstNode: number;
    exchange: string;
    routingKey: string;
    intervalMs: number;
  }): ReconnectingPublisher {
    const publisher = new ReconnectingPublisher(options);
    publisher.begin();
    return publisher;
  }

  private constructor(options: {
    urls: readonly string[];
    firstNode: number;
    exchange: string;
    routingKey: string;
    intervalMs: number;
  }) {
    super(options.urls, options.firstNode);
    this.#exchange = options.exchange;
    this.#routingKey = options.routingKey;
    this.#intervalMs = options.intervalMs;
  }

  protected async session(connection: ChannelModel, _closed: Promise<void>, ready: () => void) {
    const channel: ConfirmChannel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    ready();
    while (this.running) {
      const id = `message-${this.#sequence++}`;
      channel.publish(this.#exchange, this.#routingKey, Buffer.from(id), { persistent: true });
      await channel.waitForConfirms();
      this.confirmed.push(id);
      await delay(this.#intervalMs);
    }
  }
}

/** Consumes a queue with manual acks; `received` holds every distinct message body. */
export class ReconnectingConsumer extends ReconnectingClient {
  readonly received = new Set<string>();
  readonly #queue: string;

  static start(options: {
    urls: readonly string[];
    firstNode: number;
    queue: string;
  }): ReconnectingConsumer {
    const consumer = new ReconnectingConsumer(options);
    consumer.begin();
    return consumer;
  }

  private constructor(options: { urls: readonly string[]; firstNode: number; queue: string }) {
    super(options.urls, options.firstNode);
    this.#queue = options.queue;
  }

  protected async session(connection: ChannelModel, closed: Promise<void>, ready: () => void) {
    const channel: Channel = await connection.createChannel();
    channel.on('error', () => undefined);
    // The broker may cancel the consumer by closing the channel alone.
    const channelClosed = new Promise<void>(resolve => channel.once('close', () => resolve()));
    await channel.prefetch(100);
    await channel.consume(this.#queue, message => {
      if (!message) return;
      this.received.add(message.content.toString());
      channel.ack(message);
    });
    ready();
    await Promise.race([closed, channelClosed]);
  }
}
