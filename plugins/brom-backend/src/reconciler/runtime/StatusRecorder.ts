import { Backoff, Clock } from '../core/backoff';
import {
  Condition,
  nextCondition,
  plannedReadiness,
  Readiness,
} from '../core/conditions';
import { desiredObjects, kindOf } from '../core/kinds';
import { describeKey, vhostKey } from '../core/naming';
import { Plan, plannedWrites } from '../core/plan';
import { BrokerTopology, DesiredObject, ObservedTopology } from '../core/types';
import { unmanagedObjects } from '../core/unmanaged';
import { SyncStatusRow } from '../../store/tables';
import { ApplyOutcome } from './Applier';
import {
  ENFORCED_PREFIX,
  ReconcilerSnapshot,
  ReconcilerStore,
  StatusRecord,
} from './ReconcilerStore';

export interface StatusRecorderOptions {
  store: ReconcilerStore;
  /** The vhost whose own status says whether the broker answered. */
  vhost: string;
  /** Attempts and next retry of each key. */
  backoff: Backoff;
  clock: Clock;
}

/** What a pass knows when it records status. */
export interface PassStatus {
  snapshot: ReconcilerSnapshot;
  desired: BrokerTopology;
  plan: Plan;
  outcome: ApplyOutcome;
  /** Keys whose writes go on after the pass. */
  inFlight: ReadonlySet<string>;
  now: Date;
}

/**
 * Turns a pass's plan and write outcomes into one Ready condition per object and stores
 * them. A record that stops being produced ends our ownership of its object; a condition's
 * `lastTransitionTime` moves only when its status does.
 */
export class StatusRecorder {
  readonly #store: ReconcilerStore;
  readonly #vhost: string;
  readonly #backoff: Backoff;
  readonly #clock: Clock;

  private constructor(options: StatusRecorderOptions) {
    this.#store = options.store;
    this.#vhost = options.vhost;
    this.#backoff = options.backoff;
    this.#clock = options.clock;
  }

  static create(options: StatusRecorderOptions): StatusRecorder {
    return new StatusRecorder(options);
  }

  /**
   * Stores the pass's records and removes the stored ones of `looked` keys it no longer
   * produces, except those `leftAlone` (settled or in flight, not planned by this pass).
   */
  async recordPass(
    pass: PassStatus,
    { looked, leftAlone }: { looked: Iterable<string>; leftAlone: ReadonlySet<string> },
  ): Promise<StatusRecord[]> {
    const { statuses } = pass.snapshot;
    const records = this.records(pass);
    const keep = new Set(records.map(r => r.key));
    const remove = [...looked].filter(
      key =>
        statuses.has(key) &&
        !keep.has(key) &&
        !leftAlone.has(key) &&
        !key.startsWith(ENFORCED_PREFIX),
    );
    await this.#store.writeStatuses(records, remove, statuses);
    return records;
  }

  /** Stores what became of writes that outlived their pass. */
  async recordEnded(pass: PassStatus, keys: ReadonlySet<string>): Promise<StatusRecord[]> {
    const records = this.records({
      ...pass,
      inFlight: new Set(),
      now: new Date(this.#clock.now()),
    }).filter(r => keys.has(r.key));
    const written = new Set(records.map(r => r.key));
    const remove = [...keys].filter(k => pass.snapshot.statuses.has(k) && !written.has(k));
    await this.#store.writeStatuses(records, remove, pass.snapshot.statuses);
    return records;
  }

  /**
   * Stores what a full pass saw beyond its own objects: when the observation started (so
   * the status knows how old "in sync" is) and the unmanaged objects in the vhost. Objects
   * managed before or by the pass, desired ones (conflicts are in the status already) and
   * `ignore`d ones (deleted or in flight since the observation) are not unmanaged.
   */
  async recordObservation(pass: {
    observed: ObservedTopology;
    observedAt: number;
    desired: BrokerTopology;
    snapshot: ReconcilerSnapshot;
    records: StatusRecord[];
    ignore: ReadonlySet<string>;
  }): Promise<number> {
    const managed = new Set(pass.snapshot.managed);
    for (const r of pass.records) if (r.managed) managed.add(r.key);
    const found = unmanagedObjects(pass.observed, pass.desired, managed, pass.ignore);
    await this.#store.recordObservation(
      this.#vhost,
      new Date(pass.observedAt),
      found,
      new Date(this.#clock.now()),
    );
    return found.length;
  }

  /** Stores that the broker could not be reached, and when it is tried again. */
  async recordBrokerUnavailable(
    snapshot: ReconcilerSnapshot,
    now: Date,
    failure: { message: string; attempts: number; retryAt: number },
  ): Promise<void> {
    await this.#store.writeStatuses(
      [
        this.#vhostStatus(snapshot, now, {
          status: 'False',
          reason: 'BrokerUnavailable',
          message: `The broker cannot be reached: ${failure.message}`,
          attempts: failure.attempts,
          nextAttemptAt: new Date(failure.retryAt).toISOString(),
        }),
      ],
      [],
    );
  }

  /** One record per object the plan gives an outcome, and the vhost's. */
  records({ snapshot, desired, plan, outcome, inFlight, now }: PassStatus): StatusRecord[] {
    const nowIso = now.toISOString();
    const records = new Map<string, StatusRecord>();
    const desiredByKey = new Map<string, DesiredObject>();
    for (const o of desiredObjects(desired)) desiredByKey.set(o.key, o);

    const record = (
      key: string,
      managed: boolean,
      readiness: Readiness,
      { observed = false }: { observed?: boolean } = {},
    ) => {
      const owner = desiredByKey.get(key)?.owner ?? null;
      const previous = snapshot.statuses.get(key);
      const generation = owner?.generation ?? previous?.desired_generation ?? 0;
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
        condition: nextCondition(
          storedCondition(previous),
          {
            type: 'Ready',
            ...readiness,
            observedGeneration:
              readiness.status === 'True' || observed
                ? generation
                : previous?.observed_generation ?? 0,
          },
          now,
        ),
        attempts: this.#backoff.attempts(key),
        lastAttemptAt:
          outcome.succeeded.has(key) || outcome.failed.has(key)
            ? nowIso
            : previous?.last_attempt_at ?? null,
        nextAttemptAt: retryAt ? new Date(retryAt).toISOString() : null,
      });
    };

    const writes = new Map(plannedWrites(plan).map(a => [a.key, a]));
    const observedProblems = new Set([...plan.conflicts, ...plan.terminal].map(p => p.key));
    for (const [key, planned] of plannedReadiness(plan)) {
      const write = writes.get(key);
      if (!write) {
        // In sync, adopted, conflicting, terminal or held back: as planned.
        const managed = planned.status === 'True' || snapshot.managed.has(key);
        record(key, managed, planned, { observed: observedProblems.has(key) });
        continue;
      }
      const failure = outcome.failed.get(key);
      // Not attempted while its backoff runs: what the last attempt said still holds.
      const previous = snapshot.statuses.get(key);
      const stillFailing = previous?.status === 'False' ? previous : undefined;
      if (write.action === 'delete') {
        // A deleted object needs no status record; dropping it ends our ownership. Until
        // then it is still ours and still to be deleted, or the next pass would leave it.
        if (failure) {
          record(key, true, {
            status: 'False',
            reason: failure.reason,
            message: `deleting failed: ${failure.message}`,
          });
        } else if (inFlight.has(key)) {
          record(key, true, {
            status: 'False',
            reason: 'InProgress',
            message: 'the broker is still deleting it',
          });
        } else if (!outcome.succeeded.has(key)) {
          record(key, true, {
            status: 'False',
            reason: stillFailing?.reason ?? 'Pending',
            message: stillFailing?.message ?? 'waiting to be deleted',
          });
        }
        continue;
      }
      const wasManaged = snapshot.managed.has(key);
      if (outcome.succeeded.has(key)) {
        const verb = write.action === 'create' ? 'created' : 'updated';
        record(
          key,
          true,
          // An object that runs (a shovel) is ready once it is seen running, not once
          // written: Unknown keeps it unsettled, so the next passes read its health.
          kindOf(write.object.kind).health
            ? {
                status: 'Unknown',
                reason: write.action === 'create' ? 'Created' : 'Updated',
                message: `${verb} on the broker; not yet seen running`,
              }
            : {
                status: 'True',
                reason: write.action === 'create' ? 'Created' : 'Updated',
                message: `${verb} on the broker`,
              },
        );
      } else if (failure) {
        record(key, wasManaged, {
          status: 'False',
          reason: failure.reason,
          message: failure.message,
        });
      } else if (inFlight.has(key)) {
        record(key, wasManaged, {
          status: 'False',
          reason: 'InProgress',
          message: 'being written to the broker',
        });
      } else {
        record(key, wasManaged, {
          status: 'False',
          reason: stillFailing?.reason || 'Pending',
          message: stillFailing?.message || 'waiting to be retried',
        });
      }
    }
    const key = vhostKey(this.#vhost);
    records.set(
      key,
      this.#vhostStatus(snapshot, now, {
        status: 'True',
        reason: 'BrokerAvailable',
        message: 'the broker answered',
        attempts: 0,
        nextAttemptAt: null,
        managed: records.get(key)?.managed ?? snapshot.managed.has(key),
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
    const key = vhostKey(this.#vhost);
    const previous = snapshot.statuses.get(key);
    const version = snapshot.input.version;
    return {
      key,
      kind: 'vhost',
      name: this.#vhost,
      applicationId: null,
      subscriptionId: null,
      managed: status.managed ?? Boolean(previous?.managed),
      desiredGeneration: version,
      condition: nextCondition(
        storedCondition(previous),
        {
          type: 'Ready',
          status: status.status,
          reason: status.reason,
          message: status.message,
          observedGeneration:
            status.status === 'True' ? version : previous?.observed_generation ?? 0,
        },
        now,
      ),
      attempts: status.attempts,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: status.nextAttemptAt,
    };
  }
}

/** The condition a stored status row holds. */
function storedCondition(row: SyncStatusRow | undefined): Condition | undefined {
  return (
    row && {
      type: 'Ready',
      status: row.status as Condition['status'],
      reason: row.reason,
      message: row.message,
      observedGeneration: row.observed_generation,
      lastTransitionTime: row.last_transition_time,
    }
  );
}
