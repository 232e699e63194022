import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { Backoff, Clock, systemClock } from '../core/backoff';
import { BrokerApi, classifyWriteError } from '../core/BrokerApi';
import { filterTopology } from '../core/kinds';
import { vhostKey } from '../core/naming';
import { plan as planChanges } from '../core/plan';
import { desiredTopology } from '../core/topology';
import { ObservedTopology, TopologyOptions } from '../core/types';
import { Applier } from './Applier';
import { IncrementalScope } from './IncrementalScope';
import { ReconcilerMetrics } from './metrics';
import { observeObjects, observeVhost } from './observation';
import { ReconcilerStore } from './ReconcilerStore';
import { Enforcement, RevocationEnforcer } from './RevocationEnforcer';
import { StatusRecorder } from './StatusRecorder';

export interface ReconcilerOptions {
  store: ReconcilerStore;
  broker: BrokerApi;
  logger: LoggerService;
  topology: TopologyOptions;
  /** Writes in flight at once within one wave. */
  concurrency?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  clock?: Clock;
  random?: () => number;
  /**
   * Versions the live sidecars hold. Revoked access is cut off at the broker only once all
   * of them serve a snapshot at least as new as the pass, so a client cannot reconnect
   * through a stale sidecar.
   */
  sidecarVersions?: () => Promise<number[]>;
  /**
   * How long after a revocation its users' connections are still looked for and closed,
   * once a second. A client whose login the broker was still completing when the sidecars
   * took the new snapshot opens its connection just after the first look. Default 15 s.
   */
  revocationGraceMs?: number;
  metrics?: ReconcilerMetrics;
}

export interface PassResult {
  /** What ran: a full pass observes the whole vhost, an incremental one only what changed. */
  mode: 'full' | 'incremental';
  /** When the next pass is due for a retry, if any object is waiting on its backoff. */
  retryAt: number | undefined;
  writes: number;
  brokerAvailable: boolean;
  /** Deleted rows removed by this pass; another pass should follow. */
  finalized: number;
  /**
   * Only a full pass can finalize deleted rows (it needs to see that none of their objects
   * is left anywhere): set when an incremental pass deleted objects of a deleted row.
   */
  fullPassWanted: boolean;
  /** Revocations waiting for the sidecars to catch up. */
  revocationsPending: number;
}

/** An observation of the broker, taken when `startedAt` says (by the injected clock); never thrown. */
export type Observation =
  | { ok: true; observed: ObservedTopology; startedAt: number }
  | { ok: false; error: unknown; startedAt: number };

export interface PassOptions {
  /**
   * `full` (the default) observes the whole vhost and plans everything. `incremental` reads
   * and writes only the objects whose desired definition changed since the last pass, plus
   * those still failing or pending; it falls back to a full pass when there is no baseline
   * yet or the change is large.
   */
  mode?: 'full' | 'incremental';
  /**
   * A whole-vhost observation taken before this full pass. The store is read after it, so
   * writes made in between by incremental passes are either seen in the store as managed
   * (and re-put idempotently, since the observation predates them) or no longer managed
   * (and left alone): a slow observation never makes a change wait.
   */
  observation?: Observation;
  /**
   * How long the pass waits for its broker writes. Writes still running after that (a
   * policy write takes tens of seconds on a broker with thousands of queues and policies)
   * go on in the background: their objects are in flight, later passes leave them alone,
   * and the listener given to {@link Reconciler.onBackgroundWritesDone} hears when they end.
   * Default: wait for all.
   */
  writeBudgetMs?: number;
}

/** Above this many objects to look at, an incremental pass becomes a full one. */
const MAX_INCREMENTAL_OBJECTS = 300;

const NO_FINALIZERS = { applicationIds: [], notificationTypeIds: [] };

/**
 * One reconciliation pass, level-triggered: read the desired state, observe the broker,
 * plan, apply in dependency order, and record status. The work is done by its parts: the
 * incremental scope (baseline and what changed), the applier (waves, backoff, background
 * writes), the status recorder and the revocation enforcer; this class runs them in order.
 */
export class Reconciler {
  readonly #store: ReconcilerStore;
  readonly #broker: BrokerApi;
  readonly #logger: LoggerService;
  readonly #topology: TopologyOptions;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #metrics?: ReconcilerMetrics;
  readonly #scope = IncrementalScope.create();
  readonly #applier: Applier;
  readonly #status: StatusRecorder;
  readonly #revocations: RevocationEnforcer;

  private constructor(options: ReconcilerOptions) {
    this.#store = options.store;
    this.#broker = options.broker;
    this.#logger = options.logger;
    this.#topology = options.topology;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics;
    this.#backoff = Backoff.create({
      baseMs: options.backoffBaseMs,
      capMs: options.backoffCapMs,
      random: options.random,
      clock: this.#clock,
    });
    this.#applier = Applier.create({
      broker: options.broker,
      vhost: options.topology.vhost,
      backoff: this.#backoff,
      concurrency: options.concurrency ?? 8,
      metrics: options.metrics,
    });
    this.#status = StatusRecorder.create({
      store: options.store,
      vhost: options.topology.vhost,
      backoff: this.#backoff,
      clock: this.#clock,
    });
    this.#revocations = RevocationEnforcer.create({
      broker: options.broker,
      store: options.store,
      clock: this.#clock,
      sidecarVersions: options.sidecarVersions ?? (async () => []),
      graceMs: options.revocationGraceMs ?? 15_000,
    });
  }

  static create(options: ReconcilerOptions): Reconciler {
    return new Reconciler(options);
  }

  /** True once a full pass has run: incremental passes can then work from its baseline. */
  get hasBaseline(): boolean {
    return this.#scope.hasBaseline;
  }

  /** Forgets the baseline, e.g. after another replica may have reconciled: the next pass is full. */
  resetBaseline(): void {
    this.#scope.reset();
  }

  /** Called whenever writes that outlived their pass have ended (and their status is written). */
  onBackgroundWritesDone(listener: () => void): void {
    this.#applier.onBackgroundWritesDone(listener);
  }

  /** Waits for writes that outlived their pass. */
  drain(): Promise<void> {
    return this.#applier.drain();
  }

  /** Observes the whole vhost, for a full pass that runs later; never throws. */
  observe(): Promise<Observation> {
    return this.#observing(() => observeVhost(this.#broker, this.#topology.vhost));
  }

  async pass(options: PassOptions = {}): Promise<PassResult> {
    const logger = this.#logger.child({ reconcileId: randomUUID().slice(0, 8) });
    const started = this.#clock.now();
    const elapsed = () => `${this.#clock.now() - started} ms`;
    const incremental = options.mode === 'incremental' && this.#scope.hasBaseline;
    let observation = incremental ? undefined : options.observation ?? (await this.observe());
    const now = new Date(this.#clock.now());
    const snapshot = await this.#store.read(now);
    const timings = [`read ${elapsed()}`];
    const desired = desiredTopology(snapshot.input, this.#topology);
    const mode = incremental ? 'incremental' : 'full';

    let scope: Set<string> | undefined;
    if (incremental) {
      scope = this.#scope.changed(desired, this.#applier.inFlight);
      if (scope.size > MAX_INCREMENTAL_OBJECTS) {
        logger.debug(`${scope.size} objects changed: a full pass instead of an incremental one`);
        return this.pass({ mode: 'full' });
      }
      if (scope.size === 0) {
        this.#metrics?.pass('ok', this.#clock.now() - started, mode);
        const revocations = await this.#revocations.enforce(snapshot, now, logger);
        return passResult(mode, revocations, { retryAt: undefined, writes: 0, finalized: 0 });
      }
      const refs = this.#scope.refs(scope);
      observation = await this.#observing(() =>
        observeObjects(this.#broker, this.#topology.vhost, refs),
      );
    }
    timings.push(`observe ${elapsed()}`);

    const brokerKey = vhostKey(this.#topology.vhost);
    if (!observation!.ok) {
      const { message } = classifyWriteError(observation!.error);
      const decision = this.#backoff.failure(brokerKey);
      await this.#status.recordBrokerUnavailable(snapshot, now, { message, ...decision });
      // What happened to the broker meanwhile is unknown: the next pass looks at everything.
      this.#scope.reset();
      logger.debug(`Broker unavailable, retrying in ${decision.delayMs} ms: ${message}`);
      this.#metrics?.pass('failed', this.#clock.now() - started, mode);
      return {
        ...passResult(mode, { waitingForSidecars: 0 }, {
          retryAt: decision.retryAt,
          writes: 0,
          finalized: 0,
        }),
        brokerAvailable: false,
      };
    }
    this.#backoff.reset(brokerKey);
    const { observed, startedAt: observedAt } = observation!;

    // A full pass leaves out what an incremental pass has looked at and settled since this
    // observation began: its own look is newer, and re-putting a just-created quorum queue
    // costs seconds on a large broker.
    const newer = scope
      ? new Set<string>()
      : new Set([...this.#scope.settledSince(desired, observedAt), ...this.#applier.inFlight]);
    const inScope = (key: string) => (scope ? scope.has(key) : !newer.has(key));
    const planned = scope || newer.size ? filterTopology(desired, o => inScope(o.key)) : desired;
    const managed = new Set(
      [...snapshot.managed].filter(k => inScope(k) || (scope !== undefined && k === brokerKey)),
    );
    const plan = planChanges(planned, observed, managed, this.#topology);
    const { outcome, pending, done } = await this.#applier.apply({
      plan,
      desired: planned,
      logger,
      writeBudgetMs: options.writeBudgetMs,
    });
    timings.push(`apply ${elapsed()}`);

    const status = { snapshot, desired, plan, outcome, inFlight: pending, now };
    const records = await this.#status.recordPass(status, {
      looked: scope ?? snapshot.statuses.keys(),
      leftAlone: newer,
    });
    this.#scope.update({
      desired,
      records,
      touched: scope && pending.size ? new Set([...scope].filter(k => !pending.has(k))) : scope,
      plan,
      observedAt,
    });
    if (pending.size > 0) {
      logger.info(`${pending.size} writes go on in the background: ${[...pending].slice(0, 5).join(', ')}`);
      this.#applier.continueInBackground({
        keys: pending,
        done,
        logger,
        record: async () => {
          const ended = await this.#status.recordEnded(status, pending);
          if (this.#scope.hasBaseline) {
            this.#scope.update({ desired, records: ended, touched: pending, plan, observedAt });
          }
          logger.info(`Background writes ended: ${[...pending].slice(0, 5).join(', ')}`);
        },
      });
    }
    timings.push(`status ${elapsed()}`);
    // After the writes: a revoked subscription's binding is gone before its consumer's
    // connections are closed, so a reconnecting consumer gets nothing more through it.
    const revocations = await this.#revocations.enforce(snapshot, now, logger);

    // Finalizing needs to know that no object of a deleted row is left anywhere: full only.
    const finalizable = scope ? NO_FINALIZERS : plan.finalizable;
    const finalized = finalizable.applicationIds.length + finalizable.notificationTypeIds.length;
    await this.#store.finalize(finalizable.applicationIds, finalizable.notificationTypeIds, now);

    const writes = outcome.succeeded.size + outcome.failed.size;
    if (writes > 0 || finalized > 0) {
      logger.info(
        `Reconciled version ${snapshot.input.version} (${scope ? `incremental, ${scope.size} objects` : 'full'}): ${outcome.succeeded.size} writes applied, ${outcome.failed.size} failed, ${plan.conflicts.length} conflicts, ${finalized} finalized; ${timings.join(', ')}`,
      );
    } else {
      logger.debug(`Pass over version ${snapshot.input.version} wrote nothing; ${timings.join(', ')}`);
    }
    this.#metrics?.pass(outcome.failed.size ? 'failed' : 'ok', this.#clock.now() - started, mode);
    this.#metrics?.pending(outcome.failed.size + outcome.skipped.size);
    const result = passResult(mode, revocations, {
      retryAt: this.#applier.earliestRetry([...outcome.failed.keys(), ...outcome.skipped]),
      writes,
      finalized,
    });
    result.fullPassWanted =
      incremental &&
      plan.waves.some(w => w.operation === 'delete') &&
      (desired.applications.some(a => a.deleted) || desired.deletedNotificationTypes.length > 0);
    return result;
  }

  async #observing(read: () => Promise<ObservedTopology>): Promise<Observation> {
    const startedAt = this.#clock.now();
    try {
      return { ok: true, observed: await read(), startedAt };
    } catch (error) {
      return { ok: false, error, startedAt };
    }
  }
}

function passResult(
  mode: 'full' | 'incremental',
  revocations: Enforcement,
  figures: { retryAt: number | undefined; writes: number; finalized: number },
): PassResult {
  const { retryAt } = figures;
  return {
    mode,
    ...figures,
    retryAt:
      revocations.recheckAt !== undefined && (retryAt === undefined || revocations.recheckAt < retryAt)
        ? revocations.recheckAt
        : retryAt,
    brokerAvailable: true,
    fullPassWanted: false,
    revocationsPending: revocations.waitingForSidecars,
  };
}
