import { LoggerService } from '@backstage/backend-plugin-api';
import {
  CursorAdvance,
  DomainEventCursorStore,
} from '../../store/DomainEventStore';
import { DeliveredDomainEvent } from './DomainEvent';

/** Reacts to one domain event; a rejection has the event delivered again after a backoff. */
export type DomainEventHandler = (event: DeliveredDomainEvent) => Promise<void>;

/** Where later features subscribe to the portal's domain events. */
export interface DomainEvents {
  /**
   * Delivers every event committed from now on to `handler`, in commit order, at least once,
   * on one replica at a time. `name` identifies the subscriber's cursor across restarts and
   * replicas, so it must stay the same.
   */
  subscribe(name: string, handler: DomainEventHandler): Promise<void>;
}

/** Timers, injected so tests need not wait for real time. */
export interface DispatcherTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: DispatcherTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
};

export interface DomainEventDispatcherOptions {
  cursors: DomainEventCursorStore;
  logger: LoggerService;
  /** Commit notifications (the StateWatcher's, pg_notify across replicas) that wake the dispatcher. */
  onCommit?: (listener: () => void) => () => void;
  clock?: () => Date;
  timers?: DispatcherTimers;
  /** How often to look for events without a wake-up: a safety net for lost notifications. */
  pollIntervalMs?: number;
  /** Events handed to one claim. */
  batchSize?: number;
  /** Delay after the first failure in a row; doubles with each further one up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Delivers the outbox to subscribers after commit. Each subscriber has a cursor row; a
 * round claims it (a row lock other replicas skip on PostgreSQL), hands the handler the
 * events after it in order, and advances it past those the handler took. A failure stops
 * the subscriber at the failed event and backs it off; a replica that dies mid-batch
 * releases the lock with nothing advanced, so another delivers the batch again.
 */
export class DomainEventDispatcher implements DomainEvents {
  readonly #cursors: DomainEventCursorStore;
  readonly #logger: LoggerService;
  readonly #onCommit: ((listener: () => void) => () => void) | undefined;
  readonly #clock: () => Date;
  readonly #timers: DispatcherTimers;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #handlers = new Map<string, DomainEventHandler>();
  /**
   * Per subscriber, the round under way and whether another is wanted after it: each
   * subscriber is delivered to on its own, so a slow one (notifications ask the catalog who
   * owns what) never holds up another (signals to open pages).
   */
  readonly #rounds = new Map<
    string,
    { round: Promise<void>; again: boolean }
  >();
  readonly #state: {
    started: boolean;
    pollTimer?: unknown;
    retryTimer?: { handle: unknown; at: number };
    unsubscribe?: () => void;
  } = { started: false };

  private constructor(options: DomainEventDispatcherOptions) {
    this.#cursors = options.cursors;
    this.#logger = options.logger;
    this.#onCommit = options.onCommit;
    this.#clock = options.clock ?? (() => new Date());
    this.#timers = options.timers ?? systemTimers;
    this.#pollIntervalMs = options.pollIntervalMs ?? 30_000;
    this.#batchSize = options.batchSize ?? 100;
    this.#initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  }

  static create(options: DomainEventDispatcherOptions): DomainEventDispatcher {
    return new DomainEventDispatcher(options);
  }

  async subscribe(name: string, handler: DomainEventHandler): Promise<void> {
    if (this.#handlers.has(name)) {
      throw new Error(
        `A domain event subscriber named "${name}" already exists`,
      );
    }
    await this.#cursors.ensureCursor(
      name,
      await this.#cursors.latestSequence(),
    );
    this.#handlers.set(name, handler);
  }

  /** Starts delivering: now, on every commit notification, and on the safety timer. */
  start() {
    if (this.#state.started) return;
    this.#state.started = true;
    this.#state.unsubscribe = this.#onCommit?.(() => this.#wake());
    this.#schedulePoll();
    this.#wake();
  }

  /** Stops the timers and waits for a round under way. */
  async stop() {
    this.#state.started = false;
    this.#state.unsubscribe?.();
    this.#timers.clearTimeout(this.#state.pollTimer);
    if (this.#state.retryTimer)
      this.#timers.clearTimeout(this.#state.retryTimer.handle);
    this.#state.retryTimer = undefined;
    await Promise.all([...this.#rounds.values()].map(r => r.round));
  }

  /**
   * Runs one round for every subscriber now, each on its own; resolves when they are done.
   * Concurrent calls share a subscriber's round, and a call during one runs another after it.
   */
  dispatch(): Promise<void> {
    return Promise.all(
      [...this.#handlers.keys()].map(name => this.#dispatchTo(name)),
    ).then(() => undefined);
  }

  #dispatchTo(name: string): Promise<void> {
    const current = this.#rounds.get(name);
    if (current) {
      current.again = true;
      return current.round;
    }
    const state = { round: Promise.resolve(), again: false };
    state.round = this.#runRounds(name, state).finally(() => {
      this.#rounds.delete(name);
    });
    this.#rounds.set(name, state);
    return state.round;
  }

  #wake() {
    this.dispatch().catch(error =>
      this.#logger.warn(`Delivering domain events failed: ${error}`),
    );
  }

  async #runRounds(name: string, state: { again: boolean }) {
    const handler = this.#handlers.get(name)!;
    do {
      state.again = false;
      try {
        await this.#deliver(name, handler);
      } catch (error) {
        // The claim failed (e.g. the database went away): nothing advanced, so the
        // next round delivers the same events.
        this.#logger.warn(
          `Delivering domain events to ${name} failed: ${error}`,
        );
      }
    } while (state.again);
  }

  async #deliver(name: string, handler: DomainEventHandler) {
    let more = true;
    while (more) {
      more = await this.#deliverBatch(name, handler);
    }
  }

  /** Delivers one batch; true when it was full, so more may wait. */
  async #deliverBatch(
    name: string,
    handler: DomainEventHandler,
  ): Promise<boolean> {
    let full = false;
    await this.#cursors.claim(name, this.#batchSize, async (cursor, events) => {
      const now = this.#clock().getTime();
      if (cursor.nextAttemptAt && Date.parse(cursor.nextAttemptAt) > now) {
        this.#scheduleRetry(Date.parse(cursor.nextAttemptAt) - now);
        return undefined;
      }
      if (events.length === 0) return undefined;
      let position = cursor.position;
      for (const event of events) {
        try {
          await handler(event);
        } catch (error) {
          return this.#backOff(
            name,
            cursor.attempts + 1,
            position,
            event,
            error,
            now,
          );
        }
        position = event.sequence;
      }
      full = events.length === this.#batchSize;
      return { position, attempts: 0, nextAttemptAt: null, lastError: null };
    });
    return full;
  }

  #backOff(
    name: string,
    attempts: number,
    position: number,
    event: DeliveredDomainEvent,
    error: unknown,
    now: number,
  ): CursorAdvance {
    const delayMs = Math.min(
      this.#maxBackoffMs,
      this.#initialBackoffMs * 2 ** Math.min(attempts - 1, 30),
    );
    this.#logger.warn(
      `Domain event subscriber ${name} failed on event ${event.sequence} (${event.type}), attempt ${attempts}; retrying in ${delayMs} ms: ${error}`,
    );
    this.#scheduleRetry(delayMs);
    return {
      position,
      attempts,
      nextAttemptAt: new Date(now + delayMs).toISOString(),
      lastError: String(error),
    };
  }

  #scheduleRetry(delayMs: number) {
    if (!this.#state.started) return;
    const at = this.#clock().getTime() + delayMs;
    const current = this.#state.retryTimer;
    if (current && current.at <= at) return;
    if (current) this.#timers.clearTimeout(current.handle);
    this.#state.retryTimer = {
      at,
      handle: this.#timers.setTimeout(() => {
        this.#state.retryTimer = undefined;
        this.#wake();
      }, delayMs),
    };
  }

  #schedulePoll() {
    if (!this.#state.started) return;
    this.#state.pollTimer = this.#timers.setTimeout(() => {
      this.#wake();
      this.#schedulePoll();
    }, this.#pollIntervalMs);
  }
}
