import { LoggerService } from '@backstage/backend-plugin-api';
import { Condition } from '@internal/plugin-brom-common';
import { randomUUID } from 'node:crypto';
import { Backoff } from '../core/backoff';
import { BrokerApi, classifyWriteError, ObjectRef } from '../core/BrokerApi';
import { describeKey, vhostKey } from '../core/naming';
import {
  CreateAction,
  DeleteAction,
  Plan,
  plan as planChanges,
  plannedWrites,
  UpdateAction,
} from '../core/plan';
import { desiredTopology } from '../core/topology';
import {
  BrokerTopology,
  DesiredObject,
  ObservedTopology,
  TopologyOptions,
} from '../core/types';
import { ReconcilerSnapshot, ReconcilerStore, StatusRecord } from './ReconcilerStore';

export interface ReconcilerOptions {
  store: ReconcilerStore;
  broker: BrokerApi;
  logger: LoggerService;
  topology: TopologyOptions;
  /** Writes in flight at once within one wave. */
  concurrency?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  clock?: () => Date;
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

export interface ReconcilerMetrics {
  /**
   * A pass ended. A full pass's duration leaves out a whole-vhost observation taken before
   * it, in the background.
   */
  pass(outcome: 'ok' | 'failed', durationMs: number, mode: 'full' | 'incremental'): void;
  write(kind: string, operation: string, outcome: 'ok' | 'failed', reason?: string): void;
  pending(count: number): void;
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

/** Whole-vhost observation for a full pass, taken before the pass (see {@link Reconciler.observe}). */
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

type WriteAction = CreateAction | UpdateAction | DeleteAction;

/** How often connections of a recent revocation are looked for again. */
const RECHECK_REVOCATIONS_MS = 1_000;

/** Above this many objects to look at, an incremental pass becomes a full one. */
const MAX_INCREMENTAL_OBJECTS = 300;

interface ApplyOutcome {
  succeeded: Set<string>;
  failed: Map<string, { terminal: boolean; reason: string; message: string }>;
  skipped: Set<string>;
}

/**
 * One reconciliation pass, level-triggered: read the desired state, observe the broker,
 * plan, apply in dependency order, and record status. Between passes it keeps per-object
 * backoff and a baseline (the desired objects as of the last pass and which of them are
 * not settled) that lets incremental passes look only at what changed; full passes (the
 * periodic resync) converge from whatever they find and repair drift.
 */
export class Reconciler {
  readonly #store: ReconcilerStore;
  readonly #broker: BrokerApi;
  readonly #logger: LoggerService;
  readonly #topology: TopologyOptions;
  readonly #concurrency: number;
  readonly #clock: () => Date;
  readonly #backoff: Backoff;
  readonly #sidecarVersions: () => Promise<number[]>;
  readonly #revocationGraceMs: number;
  readonly #metrics?: ReconcilerMetrics;
  /** Desired objects by key, as JSON, as of the pass that last looked at them. */
  #baseline: Map<string, string> | undefined;
  /** How to read each object of the baseline and each unsettled one. */
  readonly #refs = new Map<string, ObjectRef>();
  /** Keys whose last status was not Ready (failed, pending, blocked, conflicting, being deleted). */
  readonly #unsettled = new Set<string>();
  /** Objects incremental passes found or made Ready since the last full pass: when they looked, and the definition. */
  readonly #settled = new Map<string, { at: number; json: string }>();
  /** Objects whose writes went on in the background after their pass ended. */
  readonly #inFlight = new Set<string>();
  readonly #background = new Set<Promise<void>>();
  #backgroundDone: (() => void) | undefined;

  private constructor(options: ReconcilerOptions) {
    this.#store = options.store;
    this.#broker = options.broker;
    this.#logger = options.logger;
    this.#topology = options.topology;
    this.#concurrency = options.concurrency ?? 8;
    this.#clock = options.clock ?? (() => new Date());
    this.#backoff = Backoff.create({
      baseMs: options.backoffBaseMs,
      capMs: options.backoffCapMs,
      random: options.random,
      clock: { now: () => this.#clock().getTime() },
    });
    this.#sidecarVersions = options.sidecarVersions ?? (async () => []);
    this.#revocationGraceMs = options.revocationGraceMs ?? 15_000;
    this.#metrics = options.metrics;
  }

  static create(options: ReconcilerOptions): Reconciler {
    return new Reconciler(options);
  }

  /** True once a full pass has run: incremental passes can then work from its baseline. */
  get hasBaseline(): boolean {
    return this.#baseline !== undefined;
  }

  /** Forgets the baseline, e.g. after another replica may have reconciled: the next pass is full. */
  resetBaseline(): void {
    this.#baseline = undefined;
    this.#refs.clear();
    this.#unsettled.clear();
  }

  /** Called whenever writes that outlived their pass have ended (and their status is written). */
  onBackgroundWritesDone(listener: () => void): void {
    this.#backgroundDone = listener;
  }

  /** Waits for writes that outlived their pass. */
  async drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.all([...this.#background]);
  }

  /** Observes the whole vhost, for a full pass that runs later; never throws. */
  async observe(): Promise<Observation> {
    const startedAt = Date.now();
    try {
      return { ok: true, observed: await this.#broker.observe(this.#topology.vhost), startedAt };
    } catch (error) {
      return { ok: false, error, startedAt };
    }
  }

  async pass(options: PassOptions = {}): Promise<PassResult> {
    const reconcileId = randomUUID().slice(0, 8);
    const logger = this.#logger.child({ reconcileId });
    const started = Date.now();
    const incremental = options.mode === 'incremental' && this.#baseline !== undefined;
    const observation = incremental ? undefined : options.observation ?? (await this.observe());
    const now = this.#clock();
    const snapshot = await this.#store.read(now);
    const timings: string[] = [`read ${Date.now() - started} ms`];
    const desired = desiredTopology(snapshot.input, this.#topology);
    const brokerKey = vhostKey(this.#topology.vhost);

    let observed: ObservedTopology;
    let observedAt = observation?.startedAt ?? Date.now();
    let scope: Set<string> | undefined;
    let failure: unknown;
    if (incremental) {
      scope = this.#scope(desired);
      if (scope.size > MAX_INCREMENTAL_OBJECTS) {
        logger.debug(`${scope.size} objects changed: a full pass instead of an incremental one`);
        return this.pass({ mode: 'full' });
      }
      if (scope.size === 0) {
        this.#metrics?.pass('ok', Date.now() - started, 'incremental');
        const revocations = await this.#enforceRevocations(snapshot, now, logger);
        return this.#result('incremental', revocations, {
          retryAt: undefined,
          writes: 0,
          finalized: 0,
        });
      }
      observedAt = Date.now();
      try {
        const refs = [...scope].map(key => this.#refs.get(key)!);
        observed = await this.#broker.observeObjects(this.#topology.vhost, refs);
      } catch (error) {
        failure = error;
        observed = undefined as never;
      }
    } else if (observation!.ok) {
      observed = observation!.observed;
    } else {
      failure = observation!.error;
      observed = undefined as never;
    }
    timings.push(`observe ${Date.now() - started} ms`);

    if (failure !== undefined) {
      const classified = classifyWriteError(failure);
      const decision = this.#backoff.failure(brokerKey);
      await this.#store.writeStatuses(
        [
          this.#vhostStatus(snapshot, now, {
            status: 'False',
            reason: 'BrokerUnavailable',
            message: `The broker cannot be reached: ${classified.message}`,
            attempts: decision.attempts,
            nextAttemptAt: new Date(decision.retryAt).toISOString(),
          }),
        ],
        [],
      );
      // What happened to the broker meanwhile is unknown: the next pass looks at everything.
      this.resetBaseline();
      logger.debug(`Broker unavailable, retrying in ${decision.delayMs} ms: ${classified.message}`);
      this.#metrics?.pass('failed', Date.now() - started, incremental ? 'incremental' : 'full');
      return {
        ...this.#result(incremental ? 'incremental' : 'full', { waitingForSidecars: 0 }, {
          retryAt: decision.retryAt,
          writes: 0,
          finalized: 0,
        }),
        brokerAvailable: false,
      };
    }
    this.#backoff.reset(brokerKey);

    // A full pass leaves out what an incremental pass has looked at and settled since this
    // observation began: its own look is newer, and re-putting a just-created quorum queue
    // costs seconds on a large broker.
    const newer = scope
      ? new Set<string>()
      : new Set([...this.#settledSince(desired, observedAt), ...this.#inFlight]);
    const inScope = (o: { key: string }) => (scope ? scope.has(o.key) : !newer.has(o.key));
    const planned: BrokerTopology = scope || newer.size
      ? {
          ...desired,
          exchanges: desired.exchanges.filter(inScope),
          queues: desired.queues.filter(inScope),
          policies: desired.policies.filter(inScope),
          bindings: desired.bindings.filter(inScope),
        }
      : desired;
    const managed = scope
      ? new Set([...snapshot.managed].filter(k => scope!.has(k) || k === brokerKey))
      : new Set([...snapshot.managed].filter(k => !newer.has(k)));
    const plan = planChanges(planned, observed, managed, this.#topology);
    const { outcome, done } = this.#apply(plan, planned, logger);
    const inFlight = await this.#awaitWrites(plan, outcome, done, options.writeBudgetMs);
    timings.push(`apply ${Date.now() - started} ms`);
    const records = this.#statusRecords(snapshot, desired, plan, outcome, now, inFlight);
    const keep = new Set(records.map(r => r.key));
    const remove = (scope ? [...scope] : [...snapshot.statuses.keys()]).filter(
      key =>
        snapshot.statuses.has(key) &&
        !keep.has(key) &&
        !newer.has(key) &&
        !key.startsWith('enforced:'),
    );
    await this.#store.writeStatuses(records, remove, snapshot.statuses);
    this.#updateBaseline(
      desired,
      records,
      scope && inFlight.size ? new Set([...scope].filter(k => !inFlight.has(k))) : scope,
      plan,
      observedAt,
    );
    if (inFlight.size > 0) {
      logger.info(`${inFlight.size} writes go on in the background: ${[...inFlight].slice(0, 5).join(', ')}`);
      this.#continueInBackground(inFlight, done, () => {
        const all = this.#statusRecords(snapshot, desired, plan, outcome, this.#clock(), new Set());
        return all.filter(r => inFlight.has(r.key));
      }, snapshot, desired, plan, observedAt, logger);
    }
    timings.push(`status ${Date.now() - started} ms`);
    // After the writes: a revoked subscription's binding is gone before its consumer's
    // connections are closed, so a reconnecting consumer gets nothing more through it.
    const revocations = await this.#enforceRevocations(snapshot, now, logger);

    // Finalizing needs to know that no object of a deleted row is left anywhere: full only.
    const finalizable = scope
      ? { applicationIds: [], notificationTypeIds: [] }
      : plan.finalizable;
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
    this.#metrics?.pass(
      outcome.failed.size ? 'failed' : 'ok',
      Date.now() - started,
      scope ? 'incremental' : 'full',
    );
    this.#metrics?.pending(outcome.failed.size + outcome.skipped.size);
    const deletedSomething = plan.waves.some(w => w.operation === 'delete');
    const result = this.#result(scope ? 'incremental' : 'full', revocations, {
      retryAt: this.#earliestRetry([...outcome.failed.keys(), ...outcome.skipped]),
      writes,
      finalized,
    });
    result.fullPassWanted =
      Boolean(scope) &&
      deletedSomething &&
      (desired.applications.some(a => a.deleted) || desired.deletedNotificationTypes.length > 0);
    return result;
  }

  #result(
    mode: 'full' | 'incremental',
    revocations: { waitingForSidecars: number; recheckAt?: number },
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

  /** Objects an incremental pass settled after `since`, with the definition still desired. */
  #settledSince(desired: BrokerTopology, since: number): Set<string> {
    const keys = new Set<string>();
    if (this.#settled.size === 0) return keys;
    for (const object of allDesired(desired)) {
      const settled = this.#settled.get(object.key);
      if (settled && settled.at >= since && settled.json === JSON.stringify(object)) {
        keys.add(object.key);
      }
    }
    return keys;
  }

  /** The keys an incremental pass looks at: changed or gone since the baseline, or unsettled. */
  #scope(desired: BrokerTopology): Set<string> {
    const scope = this.#changedOrUnsettled(desired);
    for (const key of this.#inFlight) scope.delete(key);
    return scope;
  }

  #changedOrUnsettled(desired: BrokerTopology): Set<string> {
    const baseline = this.#baseline!;
    const scope = new Set<string>();
    const desiredKeys = new Set<string>();
    for (const object of allDesired(desired)) {
      if (object.kind === 'vhost') continue;
      desiredKeys.add(object.key);
      if (baseline.get(object.key) !== JSON.stringify(object)) {
        scope.add(object.key);
        this.#refs.set(object.key, refOf(object));
      }
    }
    for (const key of baseline.keys()) if (!desiredKeys.has(key)) scope.add(key);
    for (const key of this.#unsettled) if (this.#refs.has(key)) scope.add(key);
    return scope;
  }

  /** After a pass: what it saw desired becomes the baseline; what is not Ready stays unsettled. */
  #updateBaseline(
    desired: BrokerTopology,
    records: StatusRecord[],
    scope: Set<string> | undefined,
    plan: Plan,
    observedAt: number,
  ) {
    const desiredByKey = new Map<string, Exclude<DesiredObject, { kind: 'vhost' }>>();
    for (const object of allDesired(desired)) {
      if (object.kind !== 'vhost') desiredByKey.set(object.key, object);
    }
    if (!scope) {
      this.#baseline = new Map();
      this.#refs.clear();
      this.#unsettled.clear();
      this.#settled.clear();
    }
    const baseline = this.#baseline!;
    const touched = scope ?? new Set(desiredByKey.keys());
    for (const key of touched) {
      const object = desiredByKey.get(key);
      if (object) {
        baseline.set(key, JSON.stringify(object));
        this.#refs.set(key, refOf(object));
      } else {
        baseline.delete(key);
      }
      this.#unsettled.delete(key);
    }
    // Managed objects nothing asks for any more but still on the broker (deletions that
    // failed or wait) are only known from the observation: remember how to read them.
    for (const action of [...plan.blocked.map(b => b.heldBack), ...plannedDeletes(plan)]) {
      if (action.action === 'delete' && !desiredByKey.has(action.key)) {
        this.#refs.set(action.key, refOfObserved(action));
      }
    }
    for (const record of records) {
      if (record.kind === 'vhost') continue;
      const object = desiredByKey.get(record.key);
      if (scope && object && record.condition.status === 'True') {
        this.#settled.set(record.key, { at: observedAt, json: baseline.get(record.key)! });
      }
      if (record.condition.status !== 'True' && this.#refs.has(record.key)) {
        this.#unsettled.add(record.key);
      } else if (!desiredByKey.has(record.key)) {
        this.#refs.delete(record.key);
      }
    }
    for (const key of touched) {
      if (!desiredByKey.has(key) && !this.#unsettled.has(key)) this.#refs.delete(key);
    }
  }

  /**
   * Waits for the writes, or for `budgetMs`; returns the keys whose writes had not ended
   * by then (they go on).
   */
  async #awaitWrites(
    plan: Plan,
    outcome: ApplyOutcome,
    done: Promise<void>,
    budgetMs: number | undefined,
  ): Promise<Set<string>> {
    if (budgetMs === undefined) {
      await done;
      return new Set();
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      done.then(() => true),
      new Promise<boolean>(resolve => {
        timer = setTimeout(() => resolve(false), budgetMs);
      }),
    ]);
    clearTimeout(timer);
    if (finished) return new Set();
    const pending = new Set<string>();
    for (const action of plannedWrites(plan)) {
      const key = action.key;
      if (!outcome.succeeded.has(key) && !outcome.failed.has(key) && !outcome.skipped.has(key)) {
        pending.add(key);
      }
    }
    return pending;
  }

  /** Once writes that outlived their pass end: their status and baseline, then the listener. */
  #continueInBackground(
    keys: Set<string>,
    done: Promise<void>,
    recordsOf: () => StatusRecord[],
    snapshot: ReconcilerSnapshot,
    desired: BrokerTopology,
    plan: Plan,
    observedAt: number,
    logger: LoggerService,
  ) {
    for (const key of keys) this.#inFlight.add(key);
    const background: Promise<void> = done
      .then(async () => {
        const records = recordsOf();
        const written = new Set(records.map(r => r.key));
        const remove = [...keys].filter(k => snapshot.statuses.has(k) && !written.has(k));
        await this.#store.writeStatuses(records, remove, snapshot.statuses);
        if (this.#baseline) this.#updateBaseline(desired, records, keys, plan, observedAt);
        logger.info(`Background writes ended: ${[...keys].slice(0, 5).join(', ')}`);
      })
      .catch(error => logger.warn(`Recording background writes failed: ${error}`))
      .finally(() => {
        for (const key of keys) this.#inFlight.delete(key);
        this.#background.delete(background);
        this.#backgroundDone?.();
      });
    this.#background.add(background);
  }

  #apply(
    plan: Plan,
    desired: BrokerTopology,
    logger: LoggerService,
  ): { outcome: ApplyOutcome; done: Promise<void> } {
    const outcome: ApplyOutcome = { succeeded: new Set(), failed: new Map(), skipped: new Set() };
    return { outcome, done: this.#applyWaves(plan, desired, logger, outcome) };
  }

  async #applyWaves(
    plan: Plan,
    desired: BrokerTopology,
    logger: LoggerService,
    { succeeded, failed, skipped }: ApplyOutcome,
  ): Promise<void> {
    const generationOf = generations(desired);
    for (const wave of plan.waves) {
      const runnable = (wave.actions as WriteAction[]).filter(action => {
        const generation = generationOf.get(action.key) ?? 0;
        if (this.#backoff.shouldAttempt(action.key, generation)) return true;
        skipped.add(action.key);
        return false;
      });
      await runLimited(runnable, this.#concurrency, async action => {
        const kind = describeKey(action.key).kind;
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

  async #write(action: WriteAction): Promise<void> {
    const vhost = this.#topology.vhost;
    if (action.action === 'delete') {
      switch (action.kind) {
        case 'exchange':
          return this.#broker.deleteExchange(vhost, action.observed.name);
        case 'queue':
          return this.#broker.deleteQueue(vhost, action.observed.name);
        case 'policy':
          return this.#broker.deletePolicy(vhost, action.observed.name);
        case 'binding':
          return this.#broker.deleteBinding(vhost, action.observed);
        default:
          throw new Error(`cannot delete ${(action as DeleteAction).key}`);
      }
    }
    const object = action.object;
    switch (object.kind) {
      case 'vhost':
        return this.#broker.putVhost(object.name);
      case 'exchange':
        return this.#broker.putExchange(vhost, object);
      case 'queue':
        return this.#broker.putQueue(vhost, object);
      case 'policy':
        return this.#broker.putPolicy(vhost, object);
      case 'binding':
        return this.#broker.createBinding(vhost, object);
      default:
        throw new Error(`cannot put ${(object as DesiredObject).key}`);
    }
  }

  #statusRecords(
    snapshot: ReconcilerSnapshot,
    desired: BrokerTopology,
    plan: Plan,
    outcome: ApplyOutcome,
    now: Date,
    inFlight: ReadonlySet<string>,
  ): StatusRecord[] {
    const nowIso = now.toISOString();
    const records = new Map<string, StatusRecord>();
    const desiredByKey = new Map<string, DesiredObject>();
    for (const o of allDesired(desired)) desiredByKey.set(o.key, o);

    const record = (
      key: string,
      managed: boolean,
      condition: Omit<Condition, 'type' | 'lastTransitionTime' | 'observedGeneration'>,
      extra: { observed?: boolean } = {},
    ) => {
      const object = desiredByKey.get(key);
      const previous = snapshot.statuses.get(key);
      const owner = object?.owner ?? null;
      const generation = owner?.generation ?? previous?.desired_generation ?? 0;
      const attempts = this.#backoff.attempts(key);
      const retryAt = this.#backoff.retryAt(key);
      const { kind, name } = describeKey(key);
      records.set(key, {
        key,
        kind,
        name,
        applicationId: owner?.applicationId ?? previous?.application_id ?? null,
        subscriptionId: owner?.subscriptionId ?? previous?.subscription_id ?? null,
        managed,
        desiredGeneration: generation,
        condition: {
          type: 'Ready',
          ...condition,
          observedGeneration:
            condition.status === 'True' || extra.observed
              ? generation
              : previous?.observed_generation ?? 0,
          lastTransitionTime:
            previous && previous.status === condition.status
              ? previous.last_transition_time
              : nowIso,
        },
        attempts,
        lastAttemptAt: outcome.succeeded.has(key) || outcome.failed.has(key) ? nowIso : previous?.last_attempt_at ?? null,
        nextAttemptAt: retryAt ? new Date(retryAt).toISOString() : null,
      });
    };

    for (const key of plan.inSync) {
      record(key, true, { status: 'True', reason: 'InSync', message: 'matches the broker' });
    }
    for (const adoption of plan.adoptions) {
      record(adoption.key, true, {
        status: 'True',
        reason: 'Adopted',
        message: 'an identical object already existed and is now managed by BROM',
      });
    }
    for (const wave of plan.waves) {
      for (const action of wave.actions as WriteAction[]) {
        const failure = outcome.failed.get(action.key);
        const wasManaged = snapshot.managed.has(action.key);
        if (action.action === 'delete') {
          if (failure) {
            record(action.key, true, {
              status: 'False',
              reason: failure.reason,
              message: `deleting failed: ${failure.message}`,
            });
          } else if (inFlight.has(action.key)) {
            record(action.key, true, {
              status: 'False',
              reason: 'InProgress',
              message: 'the broker is still deleting it',
            });
          } else if (!outcome.succeeded.has(action.key)) {
            // Not attempted while its backoff runs: still ours and still to be deleted.
            // Without the record the next pass would no longer own it and leave it behind.
            const previous = snapshot.statuses.get(action.key);
            record(action.key, true, {
              status: 'False',
              reason: previous?.status === 'False' ? previous.reason : 'Pending',
              message:
                previous?.status === 'False' ? previous.message : 'waiting to be deleted',
            });
          }
          // A deleted object needs no status record; dropping it ends our ownership.
          continue;
        }
        if (outcome.succeeded.has(action.key)) {
          record(action.key, true, {
            status: 'True',
            reason: action.action === 'create' ? 'Created' : 'Updated',
            message: action.action === 'create' ? 'created on the broker' : 'updated on the broker',
          });
        } else if (failure) {
          record(action.key, wasManaged, {
            status: 'False',
            reason: failure.reason,
            message: failure.message,
          });
        } else if (inFlight.has(action.key)) {
          record(action.key, wasManaged, {
            status: 'False',
            reason: 'InProgress',
            message: 'being written to the broker',
          });
        } else {
          const previous = snapshot.statuses.get(action.key);
          record(action.key, wasManaged, {
            status: 'False',
            reason: previous?.reason && previous.status === 'False' ? previous.reason : 'Pending',
            message: previous?.message && previous.status === 'False'
              ? previous.message
              : 'waiting to be retried',
          });
        }
      }
    }
    for (const problem of [...plan.conflicts, ...plan.terminal]) {
      record(problem.key, snapshot.managed.has(problem.key), {
        status: 'False',
        reason: problem.reason,
        message: problem.message,
      }, { observed: true });
    }
    for (const blocked of plan.blocked) {
      record(blocked.key, snapshot.managed.has(blocked.key), {
        status: 'False',
        reason: blocked.reason,
        message: blocked.message,
      });
    }
    records.set(
      vhostKey(this.#topology.vhost),
      this.#vhostStatus(snapshot, now, {
        status: 'True',
        reason: 'BrokerAvailable',
        message: 'the broker answered',
        attempts: 0,
        nextAttemptAt: null,
        managed: records.get(vhostKey(this.#topology.vhost))?.managed ??
          snapshot.managed.has(vhostKey(this.#topology.vhost)),
      }),
    );
    return [...records.values()];
  }

  #vhostStatus(
    snapshot: ReconcilerSnapshot,
    now: Date,
    status: {
      status: 'True' | 'False';
      reason: string;
      message: string;
      attempts: number;
      nextAttemptAt: string | null;
      managed?: boolean;
    },
  ): StatusRecord {
    const key = vhostKey(this.#topology.vhost);
    const previous = snapshot.statuses.get(key);
    const nowIso = now.toISOString();
    return {
      key,
      kind: 'vhost',
      name: this.#topology.vhost,
      applicationId: null,
      subscriptionId: null,
      managed: status.managed ?? Boolean(previous?.managed),
      desiredGeneration: snapshot.input.version,
      condition: {
        type: 'Ready',
        status: status.status,
        reason: status.reason,
        message: status.message,
        observedGeneration: status.status === 'True' ? snapshot.input.version : previous?.observed_generation ?? 0,
        lastTransitionTime:
          previous && previous.status === status.status ? previous.last_transition_time : nowIso,
      },
      attempts: status.attempts,
      lastAttemptAt: nowIso,
      nextAttemptAt: status.nextAttemptAt,
    };
  }

  /**
   * Closes live connections of users whose access ended, once every sidecar serves a
   * snapshot without that access. A revocation counts as enforced once its grace period
   * is over and every connection found was closed; until then each pass looks again
   * (`recheckAt`). A broker error leaves revocations waiting; it never aborts the pass
   * (the finalizer and the status still need it).
   */
  async #enforceRevocations(
    snapshot: ReconcilerSnapshot,
    now: Date,
    logger: LoggerService,
  ): Promise<{ waitingForSidecars: number; recheckAt?: number }> {
    const pending = snapshot.revokedUsers.length + snapshot.revokedSubscriptions.length;
    if (pending === 0) return { waitingForSidecars: 0 };
    const versions = await this.#sidecarVersions();
    if (versions.some(v => v < snapshot.input.version)) return { waitingForSidecars: pending };
    const recheckAt = now.getTime() + RECHECK_REVOCATIONS_MS;

    // Per user, from the broker's connection tracking: a connection is seen as soon as it is
    // open (the statistics-based listings lag by up to `collect_statistics_interval`).
    const outcomes = new Map<string, Promise<boolean>>();
    /** True once the user has no open connection left (none found, or all closed). */
    const close = (username: string, reason: string): Promise<boolean> => {
      let outcome = outcomes.get(username);
      if (!outcome) {
        outcome = (async () => {
          try {
            const open = await this.#broker.listUserConnections(username);
            if (open.length === 0) return true;
            await this.#broker.closeUserConnections(username, `BROM: ${reason}`);
            logger.info(
              `Closed ${open.length} connection(s) of ${username}: ${reason} (${open
                .map(c => c.name)
                .join(', ')})`,
            );
            return true;
          } catch (error) {
            logger.debug(
              `Closing the connections of ${username} failed: ${classifyWriteError(error).message}`,
            );
            return false;
          }
        })();
        outcomes.set(username, outcome);
      }
      return outcome;
    };
    const settled = (since: string) =>
      now.getTime() - Date.parse(since) >= this.#revocationGraceMs;
    const enforced: string[] = [];
    for (const user of snapshot.revokedUsers) {
      if ((await close(user.username, user.reason)) && settled(user.since)) {
        enforced.push(`credential:${user.credentialId}`);
      }
    }
    for (const subscription of snapshot.revokedSubscriptions) {
      let closedAll = true;
      for (const username of subscription.usernames) {
        closedAll = (await close(username, 'subscription revoked')) && closedAll;
      }
      if (closedAll && (subscription.usernames.length === 0 || settled(subscription.since))) {
        enforced.push(`subscription:${subscription.id}:${subscription.generation}`);
      }
    }
    if (enforced.length) await this.#store.recordEnforced(enforced, this.#clock());
    return enforced.length < pending ? { waitingForSidecars: 0, recheckAt } : { waitingForSidecars: 0 };
  }

  #earliestRetry(keys: string[]): number | undefined {
    let earliest: number | undefined;
    for (const key of keys) {
      const at = this.#backoff.retryAt(key);
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }
}

function refOf(object: Exclude<DesiredObject, { kind: 'vhost' }>): ObjectRef {
  if (object.kind === 'binding') {
    return {
      kind: 'binding',
      key: object.key,
      source: object.source,
      destination: object.destination,
      destinationType: object.destinationType,
      routingKey: object.routingKey,
    };
  }
  return { kind: object.kind, key: object.key, name: object.name };
}

function refOfObserved(action: DeleteAction): ObjectRef {
  if (action.kind === 'binding') {
    return {
      kind: 'binding',
      key: action.key,
      source: action.observed.source,
      destination: action.observed.destination,
      destinationType: action.observed.destination_type,
      routingKey: action.observed.routing_key,
    };
  }
  return { kind: action.kind, key: action.key, name: action.observed.name };
}

function plannedDeletes(p: Plan): DeleteAction[] {
  return p.waves.flatMap(w => (w.operation === 'delete' ? w.actions : []));
}

function allDesired(t: BrokerTopology): DesiredObject[] {
  return [t.vhost, ...t.exchanges, ...t.queues, ...t.policies, ...t.bindings];
}

function generations(t: BrokerTopology): Map<string, number> {
  return new Map(allDesired(t).map(o => [o.key, o.owner?.generation ?? t.version]));
}

async function runLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}
