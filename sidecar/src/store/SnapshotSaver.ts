import { Backoff } from '../feed/backoff';
import { FeedTimers } from '../feed/SnapshotFeed';
import { Logger, errorMessage } from '../logger';
import { SidecarMetrics } from '../metrics';
import { SnapshotStore } from './SnapshotStore';

/** A snapshot version, with the epoch its version counts in. */
export interface SnapshotId {
  version: number;
  epoch: string | undefined;
}

/**
 * A snapshot's bytes for the disk, or a function that makes them: a snapshot made by a delta is
 * serialised only when its write starts, after the decider has swapped it in, so that the
 * decisions waiting for the new policy are not kept waiting for a copy of the whole store.
 */
export type SnapshotBytes = Uint8Array | (() => Uint8Array);

/** A streak of failed writes of the newest snapshot. */
export interface SaveFailure {
  /** The version not on disk. */
  version: number;
  /** When the first write of the streak failed, epoch milliseconds. */
  sinceMs: number;
  /** Failed writes in the streak. */
  attempts: number;
  /** The last write's error. */
  error: string;
}

export interface SnapshotSaverOptions {
  store: SnapshotStore;
  /** The delay before retrying after `attempt` failed writes in a row. */
  backoff: Backoff;
  timers: FeedTimers;
  logger: Logger;
  metrics: SidecarMetrics;
  now: () => number;
  /** The version the disk copy held at startup, if it was loaded. */
  saved?: SnapshotId;
}

/**
 * Writes each accepted snapshot to disk, one write at a time, and knows which version is durable
 * (decision 0012, amendment: the portal is only told of a version once it is on disk). A write
 * requested while one runs replaces any queued one, since only the newest snapshot is worth
 * keeping. A failed write of the newest snapshot is retried with backoff until it succeeds or a
 * newer snapshot comes; the failure streak is logged once when it starts and once when it ends.
 */
export class SnapshotSaver {
  readonly #store: SnapshotStore;
  readonly #backoff: Backoff;
  readonly #timers: FeedTimers;
  readonly #logger: Logger;
  readonly #metrics: SidecarMetrics;
  readonly #now: () => number;
  /** The newest version known to be on disk. */
  #saved: SnapshotId | undefined;
  /** The newest snapshot not yet on disk. */
  #unsaved: { bytes: SnapshotBytes; id: SnapshotId } | undefined;
  #failure: SaveFailure | undefined;
  #running: Promise<void> | undefined;
  #retryTimer: unknown;
  #attemptWaiters: Array<() => void> = [];
  #stopped = false;

  private constructor(options: SnapshotSaverOptions) {
    this.#store = options.store;
    this.#backoff = options.backoff;
    this.#timers = options.timers;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#now = options.now;
    this.#saved = options.saved;
    this.#metrics.recordSnapshotSaved(options.saved?.version, false);
  }

  static create(options: SnapshotSaverOptions): SnapshotSaver {
    return new SnapshotSaver(options);
  }

  /** The newest version on disk: what the feed names to the portal. */
  get saved(): SnapshotId | undefined {
    return this.#saved;
  }

  /** The current streak of failed writes, if the newest snapshot is not on disk because of one. */
  get failure(): SaveFailure | undefined {
    return this.#failure;
  }

  /**
   * Queues the bytes of a snapshot for writing. Resolves once a write of them (or of a newer
   * snapshot's) has succeeded or failed; never rejects: `saved` tells which version is durable.
   */
  save(bytes: SnapshotBytes, id: SnapshotId): Promise<void> {
    this.#unsaved = { bytes, id };
    // A newer snapshot is worth a write at once.
    this.#cancelRetry();
    return this.#kick();
  }

  /**
   * Resolves once the next write attempt has succeeded or failed; at once when nothing is waiting
   * to be written or the saver is stopped.
   */
  nextAttempt(): Promise<void> {
    if (this.#unsaved === undefined || this.#stopped) {
      return Promise.resolve();
    }
    return new Promise(resolve => this.#attemptWaiters.push(resolve));
  }

  /** Resolves once the write in progress, if any, has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }

  /** Cancels any retry, waits for a write in progress, and logs what is left unsaved. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelRetry();
    await this.#running;
    this.#notifyAttempt();
    if (this.#unsaved !== undefined) {
      this.#logger.warn('Stopping with the served snapshot not on disk', {
        version: this.#unsaved.id.version,
        savedVersion: this.#saved?.version ?? null,
      });
    }
  }

  #cancelRetry(): void {
    if (this.#retryTimer === undefined) return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #kick(): Promise<void> {
    if (this.#stopped) {
      return Promise.resolve();
    }
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<void> {
    while (this.#unsaved !== undefined && !this.#stopped) {
      const target = this.#unsaved;
      try {
        if (typeof target.bytes === 'function') {
          // A turn of the event loop first: the requests that came while the new policy was
          // being installed are answered before the whole snapshot is serialised.
          await new Promise(resolve => setImmediate(resolve));
          // A newer snapshot came meanwhile: this one is never serialised.
          if (this.#unsaved !== target) continue;
          target.bytes = target.bytes();
        }
        await this.#store.write(target.bytes);
        this.#saved = target.id;
        if (this.#unsaved === target) {
          this.#unsaved = undefined;
        }
        if (this.#failure !== undefined && this.#unsaved === undefined) {
          this.#logger.info('Snapshot written to disk after failed writes', {
            version: target.id.version,
            failedWrites: this.#failure.attempts,
            failingForMs: Math.max(0, this.#now() - this.#failure.sinceMs),
          });
          this.#failure = undefined;
        }
        this.#metrics.recordSnapshotSaved(
          this.#saved.version,
          this.#unsaved !== undefined,
        );
      } catch (error) {
        this.#metrics.recordSnapshotSaveFailure();
        if (this.#unsaved !== target) {
          // A newer snapshot came meanwhile: write it at once.
          this.#notifyAttempt();
          continue;
        }
        const attempts = (this.#failure?.attempts ?? 0) + 1;
        const delayMs = this.#backoff.delayMs(attempts);
        const fields = {
          path: this.#store.path,
          version: target.id.version,
          savedVersion: this.#saved?.version ?? null,
          error: errorMessage(error),
          retryInMs: Math.round(delayMs),
        };
        if (this.#failure === undefined) {
          this.#logger.error(
            'Cannot write snapshot to disk; serving it from memory, not naming it to the portal until a write succeeds',
            fields,
          );
        } else {
          this.#logger.debug('Snapshot write failed again', {
            ...fields,
            attempts,
          });
        }
        this.#failure = {
          version: target.id.version,
          sinceMs: this.#failure?.sinceMs ?? this.#now(),
          attempts,
          error: errorMessage(error),
        };
        this.#metrics.recordSnapshotSaved(this.#saved?.version, true);
        if (!this.#stopped) {
          this.#retryTimer = this.#timers.setTimeout(() => {
            this.#retryTimer = undefined;
            void this.#kick();
          }, delayMs);
        }
        this.#notifyAttempt();
        return;
      }
      this.#notifyAttempt();
    }
  }

  #notifyAttempt(): void {
    const waiters = this.#attemptWaiters;
    this.#attemptWaiters = [];
    waiters.forEach(resolve => resolve());
  }
}
