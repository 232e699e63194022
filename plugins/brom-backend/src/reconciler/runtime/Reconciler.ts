import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Backoff, Clock, systemClock } from '../core/backoff';
import { BrokerApi, classifyWriteError } from '../core/BrokerApi';
import { desiredObjects } from '../core/kinds';
import { vhostKey } from '../core/naming';
import { Plan, plan as planChanges } from '../core/plan';
import { desiredTopology, desiredTopologyOf, objectApplications } from '../core/topology';
import { BrokerTopology, ObservedTopology, TopologyOptions } from '../core/types';
import { Applied, Applier, WritesFencedError } from './Applier';
import { HealthRechecks, HealthRechecksOptions } from './HealthRechecks';
import { IncrementalScope } from './IncrementalScope';
import { ReconcilerMetrics } from './metrics';
import { observeObjects, observeVhost } from './observation';
import { ReconcilerSnapshot, ReconcilerStore } from './ReconcilerStore';
import { Enforcement, RevocationEnforcer } from './RevocationEnforcer';
import { StatusRecorder } from './StatusRecorder';
import type { StatusRecord } from './ReconcilerStore';

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
  /**
   * Longest wait between attempts to reach a broker that does not answer. Short, so that
   * a pass follows within it once the broker is back, however long it was away; each
   * attempt is one request. Default 2 s.
   */
  brokerRetryCapMs?: number;
  /**
   * First and longest wait before a running object that is not healthy yet (a shovel just
   * created, connecting or terminated) is read again; the wait doubles per look. Defaults
   * 2 s and 60 s.
   */
  healthRecheck?: HealthRechecksOptions;
  /**
   * The fencing check: false once this replica may no longer write (it lost the leader
   * lease). A pass then stops before its next broker write, and records nothing.
   */
  mayWrite?: () => boolean;
  /**
   * Lets the event loop turn. A full pass calls it between its steps, each of which runs
   * without a break for up to about a second at 10x the benchmark's scale (190,000 objects),
   * so that the lease's renewal, HTTP requests and database replies are not held up for the
   * sum of them. Default: the next turn of the event loop (`setImmediate`).
   */
  turnEventLoop?: () => Promise<void>;
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

/** Above this many changes in the log since the last pass, an incremental pass becomes a full one. */
const MAX_INCREMENTAL_CHANGES = 500;

/** Above this many objects to look at, an incremental pass becomes a full one. */
const MAX_INCREMENTAL_OBJECTS = 300;

const NO_FINALIZERS = { applicationIds: [], notificationTypeIds: [] };

/** Full passes that found nothing to do are logged as one line at most this often. */
const IDLE_SUMMARY_MS = 10 * 60_000;

/** How long each step of a pass took, counted from its start, for the pass's log line. */
class PassTimings {
  readonly #clock: Clock;
  readonly #started: number;
  readonly #marks: string[] = [];

  private constructor(clock: Clock) {
    this.#clock = clock;
    this.#started = clock.now();
  }

  static start(clock: Clock): PassTimings {
    return new PassTimings(clock);
  }

  get startedAt(): number {
    return this.#started;
  }

  elapsedMs(): number {
    return this.#clock.now() - this.#started;
  }

  mark(step: string): void {
    this.#marks.push(`${step} ${this.elapsedMs()} ms`);
  }

  toString(): string {
    return this.#marks.join(', ');
  }
}

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
  /** The vhost key's backoff: how often an unreachable broker is tried again. */
  readonly #brokerRetry: Backoff;
  readonly #brokerRetryCapMs: number;
  readonly #healthRechecks: HealthRechecks;
  readonly #metrics?: ReconcilerMetrics;
  readonly #scope = IncrementalScope.create();
  /** Where the change log stood at the last read: incremental passes read what changed since. */
  #cursor = 0;
  readonly #applier: Applier;
  readonly #status: StatusRecorder;
  readonly #revocations: RevocationEnforcer;
  readonly #mayWrite: () => boolean;
  readonly #turnEventLoop: () => Promise<void>;
  /**
   * A full pass put off finalizing because deletions were still in flight: the first pass
   * after they end asks for another full pass.
   */
  #finalizingPutOff = false;
  /** When the broker stopped answering, while it does not. */
  #brokerDownSince: number | undefined;
  /** Full passes that wrote nothing since the last summary line, and since when. */
  readonly #idle = { passes: 0, since: 0 };
  /**
   * When this replica deleted each key, so that a full pass whose observation predates the
   * deletion does not report the object as unmanaged (its record is already gone).
   */
  readonly #deletedAt = new Map<string, number>();
  /** Unmanaged objects the last full pass found, to log when the number changes. */
  #unmanagedCount = 0;
  /**
   * Set by a pass that left no revoked access unenforced, for the next incremental read
   * (which then reads the revoked users again only when they may have changed); cleared
   * as each pass starts, so a pass that fails or leaves some waiting has the next read all.
   */
  #revocationsSettled: { nextExpiryAt?: number } | undefined;

  private constructor(options: ReconcilerOptions) {
    this.#store = options.store;
    this.#broker = options.broker;
    this.#logger = options.logger;
    this.#topology = options.topology;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics;
    this.#mayWrite = options.mayWrite ?? (() => true);
    this.#turnEventLoop = options.turnEventLoop ?? (() => nextTurn());
    this.#backoff = Backoff.create({
      baseMs: options.backoffBaseMs,
      capMs: options.backoffCapMs,
      random: options.random,
      clock: this.#clock,
    });
    this.#brokerRetryCapMs = options.brokerRetryCapMs ?? 2_000;
    this.#healthRechecks = new HealthRechecks(options.healthRecheck);
    this.#brokerRetry = Backoff.create({
      baseMs: Math.min(options.backoffBaseMs ?? 1_000, this.#brokerRetryCapMs),
      capMs: this.#brokerRetryCapMs,
      random: options.random,
      clock: this.#clock,
    });
    this.#idle.since = this.#clock.now();
    this.#applier = Applier.create({
      broker: options.broker,
      vhost: options.topology.vhost,
      backoff: this.#backoff,
      concurrency: options.concurrency ?? 8,
      metrics: options.metrics,
      mayWrite: options.mayWrite,
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
      accessRemoved:
        options.topology.authzMode === 'native'
          ? async username =>
              (await options.broker.getPermissions(options.topology.vhost, username)) ===
              undefined
          : undefined,
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
    this.#healthRechecks.reset();
    this.#revocationsSettled = undefined;
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
    if (!this.#mayWrite()) {
      throw new WritesFencedError('no pass: this replica no longer holds the reconciler lease');
    }
    const logger = this.#logger.child({ reconcileId: randomUUID().slice(0, 8) });
    const timings = PassTimings.start(this.#clock);
    const incremental = options.mode === 'incremental' && this.#scope.hasBaseline;
    const mode = incremental ? 'incremental' : 'full';
    let observation = incremental ? undefined : options.observation ?? (await this.observe());
    const now = new Date(this.#clock.now());
    const revocationsSettled = this.#revocationsSettled;
    this.#revocationsSettled = undefined;

    let snapshot: ReconcilerSnapshot;
    let desired: BrokerTopology;
    let scope: Set<string> | undefined;
    if (incremental) {
      // Only what the change log names since the last pass, and what is still unsettled.
      const changes = await this.#store.readChanges(now, {
        after: this.#cursor,
        applicationIds: this.#scope.applicationsToRevisit(),
        limit: MAX_INCREMENTAL_CHANGES,
        revocations: revocationsSettled,
      });
      timings.mark('read');
      if (!changes) {
        logger.debug('Too many changes since the last pass: a full pass instead of an incremental one');
        return this.pass({ mode: 'full' });
      }
      desired = desiredTopologyOf(changes.input, changes.applicationIds, this.#topology);
      scope = this.#scope.changed({
        desired,
        inFlight: this.#applier.inFlight,
        applicationIds: changes.applicationIds,
        applicationsOf: objectApplications(desired, this.#topology),
      });
      if (scope.size > MAX_INCREMENTAL_OBJECTS) {
        logger.debug(`${scope.size} objects changed: a full pass instead of an incremental one`);
        return this.pass({ mode: 'full' });
      }
      // Nothing to look at: no status is needed (the revocation enforcer looks for the
      // permissions records of revoked users, and there are none in an empty scope).
      const statuses =
        scope.size === 0
          ? new Map()
          : await this.#store.readStatuses([...scope, vhostKey(this.#topology.vhost)]);
      snapshot = {
        input: changes.input,
        statuses,
        managed: new Set([...statuses.values()].filter(r => Boolean(r.managed)).map(r => r.key)),
        revokedUsers: changes.revokedUsers,
        cursor: changes.cursor,
        nextExpiryAt: changes.nextExpiryAt,
      };
      if (scope.size === 0) {
        this.#cursor = snapshot.cursor;
        this.#metrics?.pass('ok', timings.elapsedMs(), mode);
        const revocations = await this.#revocations.enforce(snapshot, now, logger);
        this.#settleRevocations(revocations, snapshot);
        return {
          ...passResult(mode, revocations, {
            retryAt: earliest(
              snapshot.nextExpiryAt,
              this.#healthRechecks.afterPass([], this.#clock.now(), false),
            ),
            writes: 0,
            finalized: 0,
          }),
          fullPassWanted: this.#takeFinalizingPutOff(),
        };
      }
      const refs = this.#scope.refs(scope);
      observation = await this.#observing(() =>
        observeObjects(this.#broker, this.#topology.vhost, refs),
      );
    } else {
      snapshot = await this.#store.read(now);
      timings.mark('read');
      await this.#turnEventLoop();
      desired = desiredTopology(snapshot.input, this.#topology);
    }
    timings.mark('observe');
    if (!observation!.ok) {
      return this.#brokerUnavailable({ snapshot, now, error: observation!.error, mode, timings, logger });
    }
    this.#brokerAnswered(logger);

    const { observed, startedAt: observedAt } = observation!;
    // A full pass's steps each take long on a large store: the event loop turns between them.
    const turn = scope ? async () => undefined : this.#turnEventLoop;
    await turn();
    const { planned, managed, leftAlone } = this.#scope.narrow({
      desired,
      managed: snapshot.managed,
      scope,
      observedAt,
      inFlight: this.#applier.inFlight,
      vhostKey: vhostKey(this.#topology.vhost),
    });
    await turn();
    const plan = planChanges(planned, observed, managed, this.#topology);
    timings.mark('plan');
    await turn();
    const applied = await this.#applier.apply({
      plan,
      desired: planned,
      logger,
      writeBudgetMs: options.writeBudgetMs,
    });
    timings.mark('apply');
    const { outcome } = applied;
    await turn();
    const records = await this.#record({ snapshot, desired, plan, applied, now, scope, leftAlone, observedAt, logger });
    if (!scope) {
      await turn();
      await this.#recordObservation({ observed, observedAt, desired, snapshot, records, logger });
    }
    // What the change log said until the read is in the scope's baseline now.
    this.#cursor = snapshot.cursor;
    timings.mark('status');
    // After the writes: a revoked subscription's binding is gone before its consumer's
    // connections are closed, so a reconnecting consumer gets nothing more through it.
    const revocations = await this.#revocations.enforce(snapshot, now, logger);
    this.#settleRevocations(revocations, snapshot);

    // Finalizing needs to know that no object of a deleted row is left anywhere: full only,
    // and not while deletions go on in the background. The plan left those out and so
    // cannot see them; a deletion that then failed would find its record gone with the row,
    // and the object would no longer be ours to delete.
    let finalizable = scope ? NO_FINALIZERS : plan.finalizable;
    if (!scope && this.#deletionsInFlight(desired)) {
      this.#finalizingPutOff ||=
        finalizable.applicationIds.length + finalizable.notificationTypeIds.length > 0;
      finalizable = NO_FINALIZERS;
    }
    const finalized = finalizable.applicationIds.length + finalizable.notificationTypeIds.length;
    await this.#store.finalize(finalizable.applicationIds, finalizable.notificationTypeIds, now);

    const writes = outcome.succeeded.size + outcome.failed.size;
    if (writes > 0 || finalized > 0) {
      logger.info(
        `Reconciled version ${snapshot.input.version} (${scope ? `incremental, ${scope.size} objects` : 'full'}): ${outcome.succeeded.size} writes applied, ${outcome.failed.size} failed, ${plan.conflicts.length} conflicts, ${finalized} finalized; ${timings}`,
      );
    } else {
      logger.debug(`Pass over version ${snapshot.input.version} wrote nothing; ${timings}`);
      if (!scope) this.#idlePass(snapshot.input.version, logger);
    }
    this.#metrics?.pass(outcome.failed.size ? 'failed' : 'ok', timings.elapsedMs(), mode);
    this.#metrics?.pending(outcome.failed.size + outcome.skipped.size);
    return {
      ...passResult(mode, revocations, {
        retryAt: earliest(
          earliest(
            this.#applier.earliestRetry([...outcome.failed.keys(), ...outcome.skipped]),
            snapshot.nextExpiryAt,
          ),
          this.#healthRechecks.afterPass(records, this.#clock.now(), !scope),
        ),
        writes,
        finalized,
      }),
      fullPassWanted:
        this.#takeFinalizingPutOff() ||
        (incremental &&
          plan.waves.some(w => w.operation === 'delete') &&
          (desired.applications.some(a => a.deleted) ||
            desired.deletedNotificationTypes.length > 0)),
    };
  }

  /** Remembers, for the next incremental read, that the pass left no revoked access unenforced. */
  #settleRevocations(revocations: Enforcement, snapshot: ReconcilerSnapshot): void {
    if (revocations.waitingForSidecars === 0 && revocations.recheckAt === undefined) {
      this.#revocationsSettled = { nextExpiryAt: snapshot.nextExpiryAt };
    }
  }

  /** True when a write still in flight deletes an object (only deletions are of undesired keys). */
  #deletionsInFlight(desired: BrokerTopology): boolean {
    if (this.#applier.inFlight.size === 0) return false;
    const desiredKeys = new Set(desiredObjects(desired).map(o => o.key));
    return [...this.#applier.inFlight].some(key => !desiredKeys.has(key));
  }

  /** Whether finalizing was put off and the writes it waited for have ended (then forgets it). */
  #takeFinalizingPutOff(): boolean {
    if (!this.#finalizingPutOff || this.#applier.inFlight.size > 0) return false;
    this.#finalizingPutOff = false;
    return true;
  }

  /**
   * Records the pass's status and moves the scope on; writes still in flight are recorded,
   * and move the scope on, when they end.
   */
  async #record(pass: {
    snapshot: ReconcilerSnapshot;
    desired: BrokerTopology;
    plan: Plan;
    applied: Applied;
    now: Date;
    scope: Set<string> | undefined;
    leftAlone: ReadonlySet<string>;
    observedAt: number;
    logger: LoggerService;
  }): Promise<StatusRecord[]> {
    const { snapshot, desired, plan, now, scope, observedAt, logger } = pass;
    const { outcome, pending, done } = pass.applied;
    const status = { snapshot, desired, plan, outcome, inFlight: pending, now };
    const records = await this.#status.recordPass(status, {
      looked: scope ?? snapshot.statuses.keys(),
      leftAlone: pass.leftAlone,
    });
    const deletions = new Set(
      plan.waves.flatMap(w => (w.operation === 'delete' ? w.actions.map(a => a.key) : [])),
    );
    for (const key of outcome.succeeded.keys()) {
      if (deletions.has(key)) this.#deletedAt.set(key, this.#clock.now());
    }
    if (!scope) await this.#turnEventLoop();
    const applicationsOf = objectApplications(desired, this.#topology);
    this.#scope.update({
      desired,
      records,
      touched: scope && pending.size ? new Set([...scope].filter(k => !pending.has(k))) : scope,
      plan,
      observedAt,
      applicationsOf,
    });
    if (pending.size === 0) return records;
    logger.info(`${pending.size} writes go on in the background: ${[...pending].slice(0, 5).join(', ')}`);
    this.#applier.continueInBackground({
      keys: pending,
      done,
      logger,
      record: async () => {
        const ended = await this.#status.recordEnded(status, pending);
        for (const key of pending) {
          if (deletions.has(key)) this.#deletedAt.set(key, this.#clock.now());
        }
        if (this.#scope.hasBaseline) {
          this.#scope.update({ desired, records: ended, touched: pending, plan, observedAt, applicationsOf });
        }
        logger.info(`Background writes ended: ${[...pending].slice(0, 5).join(', ')}`);
      },
    });
    return records;
  }

  /**
   * Records what a full pass saw beyond its own objects; says in the log when the number
   * of unmanaged objects changes.
   */
  async #recordObservation(pass: {
    observed: ObservedTopology;
    observedAt: number;
    desired: BrokerTopology;
    snapshot: ReconcilerSnapshot;
    records: StatusRecord[];
    logger: LoggerService;
  }): Promise<void> {
    const ignore = new Set(this.#applier.inFlight);
    for (const [key, at] of this.#deletedAt) {
      if (at >= pass.observedAt) ignore.add(key);
      else this.#deletedAt.delete(key);
    }
    const count = await this.#status.recordObservation({ ...pass, ignore });
    if (count !== this.#unmanagedCount) {
      pass.logger.info(
        `${count} objects in vhost ${this.#topology.vhost} are not managed by BROM (left alone; listed at GET /unmanaged-objects)`,
      );
      this.#unmanagedCount = count;
    }
  }

  /** Records that the broker could not be read and backs off; the next pass is full. */
  async #brokerUnavailable(failed: {
    snapshot: ReconcilerSnapshot;
    now: Date;
    error: unknown;
    mode: PassResult['mode'];
    timings: PassTimings;
    logger: LoggerService;
  }): Promise<PassResult> {
    const { message } = classifyWriteError(failed.error);
    const decision = this.#brokerRetry.failure(vhostKey(this.#topology.vhost));
    await this.#status.recordBrokerUnavailable(failed.snapshot, failed.now, { message, ...decision });
    // What happened to the broker meanwhile is unknown: the next pass looks at everything.
    this.#scope.reset();
    if (this.#brokerDownSince === undefined) {
      this.#brokerDownSince = failed.timings.startedAt;
      this.#logger.warn(
        `The broker does not answer (${message}); trying again at least every ${this.#brokerRetryCapMs} ms`,
      );
    }
    failed.logger.debug(`Broker unavailable, retrying in ${decision.delayMs} ms: ${message}`);
    this.#metrics?.pass('failed', failed.timings.elapsedMs(), failed.mode);
    return {
      ...passResult(failed.mode, { waitingForSidecars: 0 }, {
        retryAt: decision.retryAt,
        writes: 0,
        finalized: 0,
      }),
      brokerAvailable: false,
    };
  }

  /**
   * The broker answered. After an outage, everything that failed meanwhile is due at once
   * rather than when its backoff (grown during the outage) ends.
   */
  #brokerAnswered(logger: LoggerService): void {
    const key = vhostKey(this.#topology.vhost);
    this.#brokerRetry.reset(key);
    this.#backoff.reset(key);
    if (this.#brokerDownSince === undefined) return;
    const downMs = this.#clock.now() - this.#brokerDownSince;
    this.#brokerDownSince = undefined;
    const retried = this.#backoff.resetTransient();
    logger.info(
      `The broker answers again after ${Math.round(downMs / 1000)} s; ${retried} objects waiting on their backoff are retried now`,
    );
  }

  /** Counts a full pass that wrote nothing, and says so in one line every {@link IDLE_SUMMARY_MS}. */
  #idlePass(version: number, logger: LoggerService): void {
    this.#idle.passes++;
    const now = this.#clock.now();
    if (now - this.#idle.since < IDLE_SUMMARY_MS) return;
    logger.info(
      `${this.#idle.passes} full passes since ${new Date(this.#idle.since).toISOString()} found the broker as desired (now at version ${version})`,
    );
    this.#idle.passes = 0;
    this.#idle.since = now;
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

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || a < b ? a : b;
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
