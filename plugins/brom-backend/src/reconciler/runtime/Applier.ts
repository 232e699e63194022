import { LoggerService } from '@backstage/backend-plugin-api';
import { CustomErrorBase } from '@backstage/errors';
import { Backoff } from '../core/backoff';
import { BrokerApi, classifyWriteError } from '../core/BrokerApi';
import { desiredGenerations, kindOf } from '../core/kinds';
import { describeKey } from '../core/naming';
import { CreateAction, DeleteAction, Plan, plannedWrites, UpdateAction } from '../core/plan';
import { BrokerTopology } from '../core/types';
import { ReconcilerMetrics } from './metrics';
import { runLimited } from './runLimited';

type WriteAction = CreateAction | UpdateAction | DeleteAction;

/** What became of a plan's writes. */
export interface ApplyOutcome {
  succeeded: Set<string>;
  failed: Map<string, { terminal: boolean; reason: string; message: string }>;
  /** Not attempted: their backoff is still running, or they are terminal at this generation. */
  skipped: Set<string>;
}

export interface ApplierOptions {
  broker: BrokerApi;
  vhost: string;
  backoff: Backoff;
  /** Writes in flight at once within one wave. */
  concurrency: number;
  metrics?: ReconcilerMetrics;
  /** The fencing check before every write: false once this replica may no longer write. */
  mayWrite?: () => boolean;
}

/** This replica lost the right to write to the broker (its lease) during a pass. */
export class WritesFencedError extends CustomErrorBase {}

export interface ApplyRequest {
  plan: Plan;
  /** The topology the plan was made for: the generation of each object for its backoff. */
  desired: BrokerTopology;
  logger: LoggerService;
  /** How long to wait for the writes; those still running after it go on. Default: all. */
  writeBudgetMs?: number;
}

export interface Applied {
  outcome: ApplyOutcome;
  /** Keys whose writes had not ended within the budget. */
  pending: Set<string>;
  /** Settles when every write has ended (`outcome` is then complete). */
  done: Promise<void>;
}

export interface BackgroundWrites {
  /** The keys whose writes go on. */
  keys: ReadonlySet<string>;
  /** From {@link Applied.done}. */
  done: Promise<void>;
  /** Records what became of them, once they ended. */
  record(): Promise<void>;
  logger: LoggerService;
}

/**
 * The only part that writes to the broker: runs a plan's waves in order, each with limited
 * concurrency, skips objects whose backoff runs, and keeps per-key exponential backoff
 * (terminal failures wait for a new generation). Writes that outlive a pass's budget go on
 * in the background: their keys are in flight until they end.
 */
export class Applier {
  readonly #broker: BrokerApi;
  readonly #vhost: string;
  readonly #backoff: Backoff;
  readonly #concurrency: number;
  readonly #metrics?: ReconcilerMetrics;
  readonly #mayWrite: () => boolean;
  readonly #inFlight = new Set<string>();
  readonly #background = new Set<Promise<void>>();
  #backgroundDone: (() => void) | undefined;

  private constructor(options: ApplierOptions) {
    this.#broker = options.broker;
    this.#vhost = options.vhost;
    this.#backoff = options.backoff;
    this.#concurrency = options.concurrency;
    this.#metrics = options.metrics;
    this.#mayWrite = options.mayWrite ?? (() => true);
  }

  static create(options: ApplierOptions): Applier {
    return new Applier(options);
  }

  /** Objects whose writes went on in the background after their pass ended. */
  get inFlight(): ReadonlySet<string> {
    return this.#inFlight;
  }

  /** Called whenever writes that outlived their pass have ended (and were recorded). */
  onBackgroundWritesDone(listener: () => void): void {
    this.#backgroundDone = listener;
  }

  /** Waits for writes that outlived their pass. */
  async drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  /** Starts the plan's writes and waits for them, at most `writeBudgetMs`. */
  async apply({ plan, desired, logger, writeBudgetMs }: ApplyRequest): Promise<Applied> {
    const outcome: ApplyOutcome = { succeeded: new Set(), failed: new Map(), skipped: new Set() };
    const done = this.#applyWaves(plan, desired, logger, outcome);
    if (writeBudgetMs === undefined) {
      await done;
      return { outcome, pending: new Set(), done };
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done.then(() => true),
      new Promise<boolean>(resolve => {
        timer = setTimeout(() => resolve(false), writeBudgetMs);
      }),
    ]);
    clearTimeout(timer);
    const pending = new Set<string>();
    if (!finished) {
      for (const { key } of plannedWrites(plan)) {
        if (!outcome.succeeded.has(key) && !outcome.failed.has(key) && !outcome.skipped.has(key)) {
          pending.add(key);
        }
      }
    }
    return { outcome, pending, done };
  }

  /** Keeps the keys in flight until their writes end and `record` has run, then tells the listener. */
  continueInBackground({ keys, done, record, logger }: BackgroundWrites): void {
    for (const key of keys) this.#inFlight.add(key);
    const background: Promise<void> = done
      .then(record)
      .catch(error => logger.warn(`Recording background writes failed: ${error}`))
      .finally(() => {
        for (const key of keys) this.#inFlight.delete(key);
        this.#background.delete(background);
        this.#backgroundDone?.();
      });
    this.#background.add(background);
  }

  /** The earliest time one of the keys may be retried, if any is waiting on its backoff. */
  earliestRetry(keys: Iterable<string>): number | undefined {
    let earliest: number | undefined;
    for (const key of keys) {
      const at = this.#backoff.retryAt(key);
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  async #applyWaves(
    plan: Plan,
    desired: BrokerTopology,
    logger: LoggerService,
    { succeeded, failed, skipped }: ApplyOutcome,
  ): Promise<void> {
    const generationOf = desiredGenerations(desired);
    for (const wave of plan.waves) {
      const runnable = (wave.actions as WriteAction[]).filter(action => {
        const generation = generationOf.get(action.key) ?? 0;
        if (this.#backoff.shouldAttempt(action.key, generation)) return true;
        skipped.add(action.key);
        return false;
      });
      await runLimited(runnable, this.#concurrency, async action => {
        const kind = describeKey(action.key).kind;
        // Not a failure of the object: the pass ends here and records nothing, since
        // another replica may be reconciling by now.
        if (!this.#mayWrite()) {
          throw new WritesFencedError(`not writing ${action.key}: this replica no longer holds the reconciler lease`);
        }
        try {
          await this.#write(action);
          this.#backoff.reset(action.key);
          succeeded.add(action.key);
          this.#metrics?.write(kind, action.action, 'ok');
        } catch (error) {
          const failure = classifyWriteError(error);
          if (failure.terminal) {
            this.#backoff.terminal(action.key, generationOf.get(action.key) ?? 0);
          } else {
            this.#backoff.failure(action.key);
          }
          failed.set(action.key, failure);
          this.#metrics?.write(kind, action.action, 'failed', failure.reason);
          logger.debug(`${action.action} ${action.key} failed: ${failure.message}`);
        }
      });
    }
  }

  #write(action: WriteAction): Promise<void> {
    if (action.action === 'delete') {
      return kindOf(action.kind).remove!(this.#broker, this.#vhost, action.observed);
    }
    return kindOf(action.object.kind).put(this.#broker, this.#vhost, action.object);
  }
}
