import { LoggerService } from '@backstage/backend-plugin-api';
import { StateWatcher } from '../../store/StateWatcher';
import { Clock, systemClock } from '../core/backoff';
import { LeaderLease } from './LeaderLease';
import { Observation, Reconciler } from './Reconciler';

export interface ReconcilerRunnerOptions {
  reconciler: Reconciler;
  /** Tells of committed changes (only `onChange` is used). */
  watcher: Pick<StateWatcher, 'onChange'>;
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
  /**
   * How long a pass waits for its broker writes before it lets them finish in the
   * background, so one slow write (a policy on a large broker) does not hold up the next
   * change. Default 1000 ms.
   */
  writeBudgetMs?: number;
  /** Decides when passes are due; its sleeps are timers, so fake timers drive tests. */
  clock?: Clock;
  /**
   * Called at the end of {@link ReconcilerRunner.stop}, once no pass or write is left: releases
   * what only the runner used (the management client's keep-alive connections).
   */
  release?: () => Promise<void>;
}

/**
 * Drives reconciliation passes, only while this replica holds the leader lease:
 * - on every committed change (any replica, via the state watcher) and when an object's
 *   backoff is due, an incremental pass that reads and writes only what changed;
 * - on the periodic resync, a full pass. Its whole-vhost observation (seconds on a large
 *   vhost) runs in the background while incremental passes go on; the pass itself then
 *   reads the store and plans against it, so a change never waits for a slow observation.
 */
export class ReconcilerRunner {
  readonly #options: Required<
    Omit<
      ReconcilerRunnerOptions,
      'reconciler' | 'watcher' | 'lease' | 'logger' | 'clock' | 'release'
    >
  >;
  readonly #release: (() => Promise<void>) | undefined;
  readonly #clock: Clock;
  readonly #reconciler: Reconciler;
  readonly #watcher: Pick<StateWatcher, 'onChange'>;
  readonly #lease: LeaderLease;
  readonly #logger: LoggerService;
  #stopped = false;
  #wake: (() => void) | undefined;
  #dirty = true;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #passes = 0;
  /** When the next full pass is due; 0 = now. */
  #fullDueAt = 0;
  #observing: Promise<void> | undefined;
  #observation: Observation | undefined;

  private constructor(options: ReconcilerRunnerOptions) {
    this.#reconciler = options.reconciler;
    this.#watcher = options.watcher;
    this.#lease = options.lease;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#release = options.release;
    this.#options = {
      resyncMs: options.resyncMs ?? 60_000,
      leaseRetryMs: options.leaseRetryMs ?? 2_000,
      debounceMs: options.debounceMs ?? 25,
      errorRetryMs: options.errorRetryMs ?? 1_000,
      writeBudgetMs: options.writeBudgetMs ?? 1_000,
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
    this.#reconciler.onBackgroundWritesDone(() => this.trigger());
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
    await this.#observing;
    await this.#reconciler.drain();
    await this.#lease.release();
    await this.#release?.();
  }

  async #run() {
    let leading = false;
    let retryAt: number | undefined;
    while (!this.#stopped) {
      if (!(await this.#lease.acquire())) {
        leading = false;
        await this.#sleep(this.#options.leaseRetryMs);
        continue;
      }
      if (!leading) {
        // Another replica may have reconciled meanwhile: start over from a full pass.
        leading = true;
        this.#reconciler.resetBaseline();
        this.#observation = undefined;
        this.#fullDueAt = 0;
      }
      if (
        !this.#observing &&
        !this.#observation &&
        this.#clock.now() >= this.#fullDueAt
      ) {
        this.#observing = this.#reconciler.observe().then(observation => {
          this.#observation = observation;
          this.#observing = undefined;
          this.#wake?.();
        });
      }
      const full = this.#observation !== undefined;
      const due = retryAt !== undefined && this.#clock.now() >= retryAt;
      if (!full && !((this.#dirty || due) && this.#reconciler.hasBaseline)) {
        // Nothing to do until a change, a retry, the full pass's observation, or its start.
        const now = this.#clock.now();
        const waits = [this.#options.resyncMs];
        if (retryAt !== undefined) waits.push(retryAt - now);
        if (!this.#observing) waits.push(this.#fullDueAt - now);
        await this.#sleep(Math.max(0, Math.min(...waits)));
        if (this.#dirty && !this.#stopped)
          await this.#sleep(this.#options.debounceMs, false);
        continue;
      }
      this.#dirty = false;
      retryAt = undefined;
      try {
        const observation = this.#observation;
        this.#observation = undefined;
        const result = await this.#reconciler.pass(
          full
            ? {
                mode: 'full',
                observation,
                writeBudgetMs: this.#options.writeBudgetMs,
              }
            : {
                mode: 'incremental',
                writeBudgetMs: this.#options.writeBudgetMs,
              },
        );
        this.#passes++;
        if (result.mode === 'full') {
          this.#fullDueAt = this.#clock.now() + this.#options.resyncMs;
        }
        retryAt = result.retryAt;
        if (result.revocationsPending > 0) {
          retryAt = Math.min(retryAt ?? Infinity, this.#clock.now() + 250);
        }
        if (
          result.finalized > 0 ||
          result.fullPassWanted ||
          !result.brokerAvailable
        ) {
          // A follow-up full pass: finalizing, or starting over after the broker was away
          // (then after its backoff).
          this.#fullDueAt = result.brokerAvailable ? 0 : result.retryAt ?? 0;
        }
      } catch (error) {
        this.#logger.warn(`Reconciliation pass failed: ${error}`);
        retryAt = this.#clock.now() + this.#options.errorRetryMs;
        this.#fullDueAt = Math.min(this.#fullDueAt, retryAt);
      }
      if (this.#dirty && !this.#stopped)
        await this.#sleep(this.#options.debounceMs, false);
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
