import { LoggerService } from '@backstage/backend-plugin-api';
import { StateWatcher } from '../store/StateWatcher';
import { LeaderLease } from './LeaderLease';
import { Reconciler } from './Reconciler';

export interface ReconcilerRunnerOptions {
  reconciler: Reconciler;
  watcher: StateWatcher;
  lease: LeaderLease;
  logger: LoggerService;
  /** Full resync period: repairs drift nobody told us about. Default 60 s. */
  resyncMs?: number;
  /** How often a replica that is not the leader checks whether it can take over. */
  leaseRetryMs?: number;
  /** Coalesces bursts of changes into one pass. */
  debounceMs?: number;
  /** Retry delay after a pass fails unexpectedly (not a broker error). */
  errorRetryMs?: number;
}

/**
 * Drives reconciliation passes: on every committed change (any replica, via the state
 * watcher), when an object's backoff is due, and on the periodic resync; only while this
 * replica holds the leader lease.
 */
export class ReconcilerRunner {
  readonly #options: Required<Omit<ReconcilerRunnerOptions, 'reconciler' | 'watcher' | 'lease' | 'logger'>>;
  readonly #reconciler: Reconciler;
  readonly #watcher: StateWatcher;
  readonly #lease: LeaderLease;
  readonly #logger: LoggerService;
  #stopped = false;
  #wake: (() => void) | undefined;
  #dirty = true;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #passes = 0;

  private constructor(options: ReconcilerRunnerOptions) {
    this.#reconciler = options.reconciler;
    this.#watcher = options.watcher;
    this.#lease = options.lease;
    this.#logger = options.logger;
    this.#options = {
      resyncMs: options.resyncMs ?? 60_000,
      leaseRetryMs: options.leaseRetryMs ?? 2_000,
      debounceMs: options.debounceMs ?? 25,
      errorRetryMs: options.errorRetryMs ?? 1_000,
    };
  }

  static create(options: ReconcilerRunnerOptions) {
    return new ReconcilerRunner(options);
  }

  /** Passes run so far by this replica. */
  get passes(): number {
    return this.#passes;
  }

  start() {
    if (this.#loop) return;
    this.#unsubscribe = this.#watcher.onChange(() => this.trigger());
    this.#loop = this.#run();
  }

  /** Asks for a pass as soon as possible. */
  trigger() {
    this.#dirty = true;
    this.#wake?.();
  }

  async stop() {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#wake?.();
    await this.#loop;
    await this.#lease.release();
  }

  async #run() {
    while (!this.#stopped) {
      if (!(await this.#lease.acquire())) {
        await this.#sleep(this.#options.leaseRetryMs);
        continue;
      }
      this.#dirty = false;
      let nextDelay = this.#options.resyncMs;
      try {
        const result = await this.#reconciler.pass();
        this.#passes++;
        if (result.retryAt !== undefined) {
          nextDelay = Math.min(nextDelay, Math.max(0, result.retryAt - Date.now()));
        }
        if (result.finalized > 0) nextDelay = 0;
        if (result.revocationsPending > 0) nextDelay = Math.min(nextDelay, 250);
      } catch (error) {
        this.#logger.warn(`Reconciliation pass failed: ${error}`);
        nextDelay = this.#options.errorRetryMs;
      }
      if (!this.#dirty) await this.#sleep(nextDelay);
      if (this.#dirty && !this.#stopped) await this.#sleep(this.#options.debounceMs, false);
    }
  }

  /** Sleeps for `ms`, or until triggered (unless `wakeOnTrigger` is false) or stopped. */
  #sleep(ms: number, wakeOnTrigger = true): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise(resolve => {
      const pending: { timer?: NodeJS.Timeout } = {};
      const done = () => {
        clearTimeout(pending.timer);
        this.#wake = undefined;
        resolve();
      };
      pending.timer = setTimeout(done, ms);
      this.#wake = wakeOnTrigger ? done : () => this.#stopped && done();
    });
  }
}
