import { ServiceUnavailableError } from '@backstage/errors';
import {
  ApplicationHealth,
  bromQueueHealthReadPermission,
  ExchangeHealth,
  QueueHealth,
  QueueHealthWarning,
} from '@internal/plugin-brom-common';
import { applicationObjectNames } from '../reconciler/core/naming';
import { Actor } from './Actor';
import { ApplicationAccess } from './ApplicationAccess';

/** The management API's fields the health needs, and nothing else (its `columns` filter). */
export const QUEUE_HEALTH_COLUMNS = [
  'name',
  'messages_ready',
  'messages_unacknowledged',
  'consumers',
  'message_stats.publish_details.rate',
  'message_stats.deliver_get',
  'message_stats.deliver_get_details.rate',
  'message_stats.ack_details.rate',
];

export const EXCHANGE_HEALTH_COLUMNS = [
  'name',
  'message_stats.publish_in_details.rate',
  'message_stats.publish_out_details.rate',
];

type Rate = { rate?: number } | undefined;

/** A queue as `GET /api/queues/<vhost>?columns=…` returns it. */
export interface QueueStatsRow {
  name: string;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: {
    publish_details?: Rate;
    deliver_get?: number;
    deliver_get_details?: Rate;
    ack_details?: Rate;
  };
}

/** An exchange as `GET /api/exchanges/<vhost>?columns=…` returns it. */
export interface ExchangeStatsRow {
  name: string;
  message_stats?: {
    publish_in_details?: Rate;
    publish_out_details?: Rate;
  };
}

/** The two list requests of one refresh: every queue and every exchange of the vhost. */
export interface BrokerStatsSource {
  listQueues(): Promise<QueueStatsRow[]>;
  listExchanges(): Promise<ExchangeStatsRow[]>;
}

interface StatsSnapshot {
  observedAt: Date;
  queues: Map<string, QueueStatsRow>;
  exchanges: Map<string, ExchangeStatsRow>;
}

/**
 * The vhost's statistics, read at most once per `ttlMs` whatever the number of queues and
 * requests: one request for all queues and one for all exchanges, shared by concurrent
 * callers. Once it has a snapshot it answers from it at once; a stale one is refreshed in the
 * background (listing thousands of queues with their rates takes the broker seconds), and only
 * a snapshot older than `maxStaleMs` (the refreshes failing) makes callers wait for a new one.
 * It also notes when each queue's delivered count last grew, which the management API does
 * not say.
 */
export class BrokerStatsCache {
  readonly #source: BrokerStatsSource;
  readonly #ttlMs: number;
  readonly #maxStaleMs: number;
  readonly #clock: () => Date;
  #current: StatsSnapshot | undefined;
  #inFlight: Promise<StatsSnapshot> | undefined;
  readonly #lastDelivery = new Map<string, { count: number; at: Date | null }>();

  constructor(options: {
    source: BrokerStatsSource;
    ttlMs: number;
    /** Beyond this age a snapshot is not served (default 60 s). */
    maxStaleMs?: number;
    clock?: () => Date;
  }) {
    this.#source = options.source;
    this.#ttlMs = options.ttlMs;
    this.#maxStaleMs = options.maxStaleMs ?? 60_000;
    this.#clock = options.clock ?? (() => new Date());
  }

  async get(): Promise<StatsSnapshot> {
    const current = this.#current;
    const age = current
      ? this.#clock().getTime() - current.observedAt.getTime()
      : Infinity;
    if (age < this.#ttlMs) return current!;
    if (!this.#inFlight) {
      this.#inFlight = this.#refresh().finally(() => {
        this.#inFlight = undefined;
      });
      // A background refresh's failure is seen by the next caller that has to wait.
      this.#inFlight.catch(() => undefined);
    }
    if (current && age < this.#maxStaleMs) return current;
    return this.#inFlight;
  }

  /** When the portal last saw the queue deliver, or null. */
  lastDeliveryAt(queue: string): Date | null {
    return this.#lastDelivery.get(queue)?.at ?? null;
  }

  async #refresh(): Promise<StatsSnapshot> {
    const [queues, exchanges] = await Promise.all([
      this.#source.listQueues(),
      this.#source.listExchanges(),
    ]);
    const observedAt = this.#clock();
    const snapshot: StatsSnapshot = {
      observedAt,
      queues: new Map(queues.map(q => [q.name, q])),
      exchanges: new Map(exchanges.map(e => [e.name, e])),
    };
    for (const queue of queues) {
      const count = queue.message_stats?.deliver_get ?? 0;
      const seen = this.#lastDelivery.get(queue.name);
      if (!seen) {
        this.#lastDelivery.set(queue.name, { count, at: null });
      } else if (count > seen.count) {
        this.#lastDelivery.set(queue.name, { count, at: observedAt });
      } else if (count < seen.count) {
        // The queue was deleted and declared again (or the broker restarted).
        this.#lastDelivery.set(queue.name, { count, at: seen.at });
      }
    }
    for (const name of this.#lastDelivery.keys()) {
      if (!snapshot.queues.has(name)) this.#lastDelivery.delete(name);
    }
    this.#current = snapshot;
    return snapshot;
  }
}

const rate = (value: Rate) => value?.rate ?? 0;

/**
 * Queue health per application, for its owners and admins: counts and rates of its queue,
 * dead-letter queue and exchange from the cached statistics, with warnings.
 */
export class QueueHealthService {
  readonly #access: ApplicationAccess;
  readonly #cache: BrokerStatsCache;
  readonly #prefix: string;
  /** Ready count of each queue at the previous answer, to tell a growing backlog. */
  readonly #previousReady = new Map<string, number>();

  private constructor(options: {
    access: ApplicationAccess;
    cache: BrokerStatsCache;
    prefix: string;
  }) {
    this.#access = options.access;
    this.#cache = options.cache;
    this.#prefix = options.prefix;
  }

  static create(options: {
    access: ApplicationAccess;
    cache: BrokerStatsCache;
    prefix: string;
  }) {
    return new QueueHealthService(options);
  }

  async applicationHealth(
    actor: Actor,
    name: string,
  ): Promise<ApplicationHealth> {
    const app = await this.#access.authorizeOn(
      actor,
      bromQueueHealthReadPermission,
      name,
    );
    const names = applicationObjectNames(this.#prefix, app.name);
    const stats = await this.#cache.get().catch(error => {
      throw new ServiceUnavailableError(
        `The broker's management API did not answer: ${
          (error as Error).message
        }`,
      );
    });
    const queue = this.#queue(stats.queues.get(names.queue), names.queue);
    const deadLetterQueue = this.#queue(
      stats.queues.get(names.deadLetterQueue),
      names.deadLetterQueue,
    );
    const exchangeRow = stats.exchanges.get(names.exchange);
    const exchange: ExchangeHealth | null = exchangeRow
      ? {
          name: names.exchange,
          exists: true,
          publishRate: rate(exchangeRow.message_stats?.publish_in_details),
          unroutableRate: Math.max(
            0,
            rate(exchangeRow.message_stats?.publish_in_details) -
              rate(exchangeRow.message_stats?.publish_out_details),
          ),
        }
      : null;

    const warnings: QueueHealthWarning[] = [];
    if (queue && queue.consumers === 0 && queue.messagesReady > 0) {
      const previous = this.#previousReady.get(queue.name);
      if (
        queue.publishRate > 0 ||
        (previous !== undefined && queue.messagesReady > previous)
      ) {
        warnings.push({
          code: 'backlog-without-consumer',
          message: `${queue.messagesReady} messages are waiting in ${queue.name} and the backlog is growing, but no consumer is connected`,
        });
      }
    }
    if (queue) this.#previousReady.set(queue.name, queue.messagesReady);
    if (deadLetterQueue && deadLetterQueue.messagesReady > 0) {
      warnings.push({
        code: 'dead-letters',
        message: `${deadLetterQueue.messagesReady} dead-lettered messages are in ${deadLetterQueue.name}: rejected, expired or over the length limit`,
      });
    }
    return {
      application: app.name,
      observedAt: stats.observedAt.toISOString(),
      queue,
      deadLetterQueue,
      exchange,
      warnings,
    };
  }

  #queue(row: QueueStatsRow | undefined, name: string): QueueHealth | null {
    if (!row) return null;
    const at = this.#cache.lastDeliveryAt(name);
    return {
      name,
      exists: true,
      messagesReady: row.messages_ready ?? 0,
      messagesUnacknowledged: row.messages_unacknowledged ?? 0,
      consumers: row.consumers ?? 0,
      publishRate: rate(row.message_stats?.publish_details),
      deliverRate: rate(row.message_stats?.deliver_get_details),
      ackRate: rate(row.message_stats?.ack_details),
      lastDeliveryAt: at ? at.toISOString() : null,
    };
  }
}
