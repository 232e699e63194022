import {
  Application,
  ApplicationStatus,
  BindingBlock,
  Subscription,
  bromBrokerReadUnmanagedPermission,
  ObjectStatus,
  UnmanagedObjectList,
} from '@internal/plugin-brom-common';
import { BromUnitOfWork } from '../store/BromRepositories';
import { Readiness, summariseApplication } from '../reconciler/core/conditions';
import { BrokerApi } from '../reconciler/core/BrokerApi';
import { desiredObjects, kindOf, ObjectRef, observedObjects, refOf } from '../reconciler/core/kinds';
import {
  applicationObjectNames,
  compareCodeUnits,
  describeKey,
  exchangeKey,
  queueKey,
} from '../reconciler/core/naming';
import { BrokerTopology, DesiredObject } from '../reconciler/core/types';
import { observeObjects } from '../reconciler/runtime/observation';
import { Actor } from './Actor';
import { ApplicationAccess, getApplication } from './ApplicationAccess';

/** What the status checks on the broker itself, between the reconciler's full passes. */
export interface StatusVerification {
  broker: BrokerApi;
  vhost: string;
  /**
   * How old the last look at an application's objects (a full pass, or this check) may be
   * before a status read looks again; also the least time between two checks of one
   * application by this replica. Default 5 s.
   */
  intervalMs?: number;
}

/**
 * A check of an application's objects on the broker: when, which were not there, and how
 * those that run (a shovel) were doing when they did not run.
 */
export interface Check {
  at: number;
  missing: Set<string>;
  unhealthy: Map<string, Readiness>;
}

/** Reasons of an exchange or queue that keep bindings to it from being made. */
const BLOCKING = new Set(['Conflict', 'InequivalentArguments']);

/** Applications whose last check this replica remembers, at most. */
const MAX_REMEMBERED_CHECKS = 1000;

/**
 * Reads what the reconciler recorded about an application's broker objects, against what
 * the store asks for: work the reconciler has not done yet is pending, not missing. What it
 * recorded as ready is only as fresh as the last full pass (every `resyncSeconds`), so when
 * that is older than a few seconds the status looks at the application's objects on the
 * broker itself (single GETs, at most once per interval per application): an object deleted
 * by hand reads `Missing` at once, not `InSync` until the next full pass puts it back.
 */
export class StatusService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;
  readonly #desired: () => Promise<BrokerTopology>;
  readonly #vhost: string;
  readonly #prefix: string;
  readonly #verification?: Required<StatusVerification>;
  readonly #clock: () => Date;
  readonly #checks = new Map<string, { check: Promise<Check | undefined>; startedAt: number }>();

  private constructor(options: {
    work: BromUnitOfWork;
    access: ApplicationAccess;
    desired: () => Promise<BrokerTopology>;
    vhost: string;
    prefix: string;
    verification?: StatusVerification;
    clock?: () => Date;
  }) {
    this.#prefix = options.prefix;
    this.#work = options.work;
    this.#access = options.access;
    this.#desired = options.desired;
    this.#vhost = options.vhost;
    this.#clock = options.clock ?? (() => new Date());
    if (options.verification) {
      this.#verification = { intervalMs: 5_000, ...options.verification };
    }
  }

  /**
   * `desired` gives the topology the store asks for now (`desiredTopology` of its rows);
   * without `verification` the status is what the reconciler recorded, compared with it.
   */
  static create(options: {
    work: BromUnitOfWork;
    access: ApplicationAccess;
    desired: () => Promise<BrokerTopology>;
    vhost: string;
    prefix: string;
    verification?: StatusVerification;
    clock?: () => Date;
  }) {
    return new StatusService(options);
  }

  /**
   * The application's status as `actor` may see it: bindings of subscriptions the actor may
   * not see (to another team's private type) are left out, with the rule of every other
   * read; unmanaged objects only for the application's owners and administrators.
   */
  async applicationStatus(actor: Actor, name: string): Promise<ApplicationStatus> {
    const { applications, syncStatus, subscriptions } = this.#work.repositories;
    const app = await getApplication(applications, name);
    const viewer = await this.#access.viewerOf(actor);
    const desired = await this.#desired();
    const recorded = await syncStatus.listForApplication(app);
    const fullObservation = await syncStatus.lastObservedAt(this.#vhost);
    let objects = withPendingWork(recorded, desired, app);
    const check = await this.#check(app, objects, desired, fullObservation);
    if (check) objects = withMissing(objects, check);
    const insider = viewer.isAdmin || actor.ownershipEntityRefs.includes(app.owner);
    if (!insider) {
      const ids = [...new Set(objects.flatMap(o => (o.subscriptionId ? [o.subscriptionId] : [])))];
      const visible = await subscriptions.visibleIds(ids, viewer);
      objects = objects.filter(o => !o.subscriptionId || visible.has(o.subscriptionId));
    }
    const observedAt = latest(fullObservation, check && new Date(check.at).toISOString());
    return {
      application: app.name,
      ...summarise(objects),
      observedAt,
      unmanaged: insider ? await syncStatus.listUnmanaged(app) : [],
    };
  }

  /**
   * What keeps the broker from binding the subscription's consumer queue to its producer's
   * exchange, as the reconciler last saw them: an object of the same name it does not manage
   * (a `Conflict`, or unmanaged before it was wanted) or one it cannot change
   * (`InequivalentArguments`). The binding waits until an operator resolves it.
   */
  async bindingBlocks(subscription: Subscription): Promise<BindingBlock[]> {
    const { syncStatus } = this.#work.repositories;
    const keys = [
      exchangeKey(applicationObjectNames(this.#prefix, subscription.producer).exchange),
      queueKey(applicationObjectNames(this.#prefix, subscription.consumer).queue),
    ];
    const recorded = await syncStatus.getMany(keys);
    const unmanaged = new Set((await syncStatus.listUnmanaged({ keys })).map(o => o.key));
    const blocks: BindingBlock[] = [];
    for (const key of keys) {
      const record = recorded.get(key);
      if (record && record.condition.status === 'False' && BLOCKING.has(record.condition.reason)) {
        blocks.push({ key, reason: record.condition.reason, message: record.condition.message });
      } else if (!record?.managed && unmanaged.has(key)) {
        const { kind, name } = describeKey(key);
        blocks.push({
          key,
          reason: 'Unmanaged',
          message: `a ${kind} named ${name} that BROM did not create exists on the broker; BROM does not touch it, so the subscription cannot be bound until an operator removes it`,
        });
      }
    }
    return blocks;
  }

  /** Every unmanaged object in the vhost; needs `brom.broker.read-unmanaged`. */
  async unmanagedObjects(actor: Actor): Promise<UnmanagedObjectList> {
    await this.#access.authorize(
      actor,
      bromBrokerReadUnmanagedPermission,
      'Only BROM administrators can list the objects BROM does not manage',
    );
    const { syncStatus } = this.#work.repositories;
    return {
      observedAt: await syncStatus.lastObservedAt(this.#vhost),
      items: await syncStatus.listUnmanaged(),
    };
  }

  /**
   * Looks at the application's ready objects on the broker when the last look is older
   * than the interval; one check at a time per application, shared by concurrent reads. A
   * broker that does not answer leaves the recorded status as it is.
   */
  async #check(
    app: Pick<Application, 'id' | 'name'>,
    objects: ObjectStatus[],
    desired: BrokerTopology,
    fullObservation: string | null,
  ): Promise<Check | undefined> {
    const verification = this.#verification;
    if (!verification) return undefined;
    const now = this.#clock().getTime();
    const fresh = (at: number) => now - at < verification.intervalMs;
    if (fullObservation && fresh(Date.parse(fullObservation))) return undefined;
    const previous = this.#checks.get(app.id);
    if (previous && fresh(previous.startedAt)) return previous.check;

    const byKey = new Map<string, DesiredObject>(desiredObjects(desired).map(o => [o.key, o]));
    const refs: ObjectRef[] = [];
    for (const o of objects) {
      const wanted = byKey.get(o.key);
      if (o.kind === 'vhost' || o.condition.status !== 'True' || !wanted) continue;
      const ref = refOf(wanted);
      if (ref) refs.push(ref);
    }
    if (refs.length === 0) return undefined;
    const check = (async () => {
      try {
        const observed = await observeObjects(verification.broker, verification.vhost, refs);
        const found = new Set<string>();
        const unhealthy = new Map<string, Readiness>();
        for (const o of observedObjects(observed)) {
          found.add(o.key);
          const health = kindOf(o.kind).health;
          const wanted = byKey.get(o.key);
          const readiness = health && wanted && health(wanted, o.observed);
          if (readiness && readiness.status !== 'True') unhealthy.set(o.key, readiness);
        }
        return {
          at: now,
          missing: new Set(refs.map(r => r.key).filter(k => !found.has(k))),
          unhealthy,
        };
      } catch {
        return undefined;
      }
    })();
    if (this.#checks.size >= MAX_REMEMBERED_CHECKS) {
      for (const [id, c] of this.#checks) if (!fresh(c.startedAt)) this.#checks.delete(id);
    }
    this.#checks.set(app.id, { check, startedAt: now });
    return check;
  }
}

/**
 * Marks the ready objects a check did not find as `Missing`, and those it found not running
 * (a shovel that lost its upstream) with what their health check says, unless the
 * reconciler wrote them after the check.
 */
export function withMissing(objects: ObjectStatus[], check: Check): ObjectStatus[] {
  const at = new Date(check.at).toISOString();
  return objects.map(o => {
    if (o.condition.status !== 'True') return o;
    if (o.lastAttemptAt && o.lastAttemptAt > at) return o;
    const unhealthy = check.unhealthy.get(o.key);
    if (unhealthy) {
      return { ...o, condition: { ...o.condition, ...unhealthy, lastTransitionTime: at } };
    }
    if (!check.missing.has(o.key)) return o;
    return {
      ...o,
      condition: {
        ...o.condition,
        status: 'False',
        reason: 'Missing',
        message: `not on the broker when looked at ${at} (deleted by hand?); the reconciler's next full pass puts it back`,
        lastTransitionTime: at,
      },
    };
  });
}

function latest(a: string | null, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return a > b ? a : b;
}

/**
 * The recorded objects of `application` and the vhost's, compared with `desired`: a desired
 * object with no record, a record of an older generation, and a Ready record of an object
 * no longer desired (due for deletion) are all pending (`Unknown`, `Pending`), so nothing
 * reads ready before the reconciler has done it.
 */
export function withPendingWork(
  recorded: ObjectStatus[],
  desired: BrokerTopology,
  application: Pick<Application, 'id' | 'name' | 'updatedAt'>,
): ObjectStatus[] {
  const byKey = new Map(recorded.map(o => [o.key, o]));
  const wanted = new Set<string>();
  const pending = (
    object: ObjectStatus,
    message: string,
    generation: number,
  ): ObjectStatus => ({
    ...object,
    desiredGeneration: generation,
    condition: {
      type: 'Ready',
      status: 'Unknown',
      reason: 'Pending',
      message,
      observedGeneration: object.condition.observedGeneration,
      lastTransitionTime: object.condition.lastTransitionTime,
    },
  });
  const listed: ObjectStatus[] = [];
  for (const object of desiredObjects(desired)) {
    if (object.owner?.applicationId !== application.id) continue;
    wanted.add(object.key);
    const { generation, subscriptionId } = object.owner;
    const found = byKey.get(object.key);
    if (!found) {
      listed.push({
        key: object.key,
        kind: object.kind,
        name: describeKey(object.key).name,
        application: application.name,
        subscriptionId,
        desiredGeneration: generation,
        condition: {
          type: 'Ready',
          status: 'Unknown',
          reason: 'Pending',
          message: 'not created on the broker yet',
          observedGeneration: 0,
          lastTransitionTime: application.updatedAt,
        },
        attempts: 0,
        lastAttemptAt: null,
        nextAttemptAt: null,
      });
    } else if (found.condition.status === 'True' && found.desiredGeneration < generation) {
      listed.push(pending(found, `changed since it was reconciled (generation ${found.desiredGeneration} of ${generation})`, generation));
    } else {
      listed.push(found);
    }
  }
  for (const object of recorded) {
    if (wanted.has(object.key)) continue;
    listed.push(
      object.kind !== 'vhost' && object.condition.status === 'True'
        ? pending(object, 'no longer wanted: waiting to be deleted', object.desiredGeneration)
        : object,
    );
  }
  return listed.sort((a, b) => compareCodeUnits(a.key, b.key));
}

/** "3 of 4 objects ready; binding X failing: …" in plain words. */
export function summarise(objects: ObjectStatus[]): {
  summary: string;
  ready: boolean;
  objects: ObjectStatus[];
} {
  const broker = objects.find(o => o.kind === 'vhost');
  const own = objects.filter(o => o.kind !== 'vhost');
  if (broker && broker.condition.status !== 'True') {
    return {
      ready: false,
      objects,
      summary: `Not ready: ${broker.condition.message || broker.condition.reason}`,
    };
  }
  if (own.length === 0) {
    return {
      ready: false,
      objects,
      summary: 'Not synced yet: the reconciler has not created any broker objects for this application',
    };
  }
  return {
    ready: own.every(o => o.condition.status === 'True'),
    objects,
    summary: summariseApplication(own),
  };
}
