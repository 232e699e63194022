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
 * What makes a snapshot made by a delta durable: the delta, appended to the disk copy's journal
 * when the journal ends at the version it applies to, or else the whole snapshot.
 */
export interface SnapshotDeltaBytes {
  /** The version the delta applies to. */
  from: SnapshotId;
  /** The delta as one line of JSON (no newline). */
  delta: Uint8Array;
  /**
   * The whole snapshot's bytes, made only when the journal cannot take the delta, and then
   * only when its write starts, after the decider has swapped the snapshot in: the decisions
   * waiting for the new policy are not kept waiting for a copy of the whole store.
   */
  whole: () => Uint8Array;
}

/** A whole snapshot's bytes, or a delta's (with a way to make the whole snapshot's). */
export type SnapshotBytes = Uint8Array | SnapshotDeltaBytes;

/**
 * The smallest journal a whole write allows before the next whole write; beyond it, a quarter
 * of the whole copy's size. A restart then applies at most about a quarter of the store's size
 * in deltas, and a whole write (linear in the store) comes once per that many bytes of changes.
 */
export const MIN_JOURNAL_BYTES = 64 * 1024;

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
 *
 * A snapshot a delta made is written as the delta, appended to the journal beside the whole
 * copy (`SnapshotStore.append`), when the journal ends at the version the delta applies to and
 * has room; otherwise, and for whole snapshots, the whole snapshot is written, which starts a new
 * journal. So a change costs the disk the change's bytes, and the whole copy (linear in the
 * store) is rewritten once per a quarter of its size in changes. A saver's first write is whole:
 * it does not append to a journal an earlier process left.
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
  /**
   * The journal this saver has kept since its last whole write: the version the disk copy and
   * the journal make, the journal's bytes and how many it may hold. Undefined until a whole
   * write, and after a failed write: then the next write is whole (which starts a new journal).
   */
  #journal: { end: SnapshotId; bytes: number; limit: number } | undefined;
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
        const { bytes } = target;
        const journal = this.#journal;
        // Until a write ends, the journal is not known to end where it did.
        this.#journal = undefined;
        if (
          isDelta(bytes) &&
          journal !== undefined &&
          sameId(journal.end, bytes.from) &&
          journal.bytes + bytes.delta.length + 1 <= journal.limit
        ) {
          await this.#store.append(bytes.delta);
          this.#journal = {
            ...journal,
            end: target.id,
            bytes: journal.bytes + bytes.delta.length + 1,
          };
        } else {
          let whole: Uint8Array;
          if (bytes instanceof Uint8Array) {
            whole = bytes;
          } else {
            // A turn of the event loop first: the requests that came while the new policy was
            // being installed are answered before the whole snapshot is serialised.
            await new Promise(resolve => setImmediate(resolve));
            // A newer snapshot came meanwhile: this one is never serialised.
            if (this.#unsaved !== target) continue;
            whole = bytes.whole();
            target.bytes = whole;
          }
          await this.#store.write(whole);
          this.#journal = {
            end: target.id,
            bytes: 0,
            limit: Math.max(MIN_JOURNAL_BYTES, Math.floor(whole.length / 4)),
          };
        }
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

  /** Whether the saver's next write of a delta would append it to the journal (for tests). */
  get journalEnd(): SnapshotId | undefined {
    return this.#journal?.end;
  }

  #notifyAttempt(): void {
    const waiters = this.#attemptWaiters;
    this.#attemptWaiters = [];
    waiters.forEach(resolve => resolve());
  }
}

function isDelta(bytes: SnapshotBytes): bytes is SnapshotDeltaBytes {
  return !(bytes instanceof Uint8Array);
}

function sameId(a: SnapshotId, b: SnapshotId): boolean {
  return a.version === b.version && a.epoch === b.epoch;
}
