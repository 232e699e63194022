import { Application, ApplicationStatus, ObjectStatus } from '@internal/plugin-brom-common';
import { BromUnitOfWork } from '../store/BromRepositories';
import { summariseApplication } from '../reconciler/core/conditions';
import { desiredObjects } from '../reconciler/core/kinds';
import { compareCodeUnits, describeKey } from '../reconciler/core/naming';
import { BrokerTopology } from '../reconciler/core/types';
import { getApplication } from './ApplicationAccess';

/**
 * Reads what the reconciler recorded about an application's broker objects, against what
 * the store asks for: work the reconciler has not done yet is pending, not missing.
 */
export class StatusService {
  readonly #work: BromUnitOfWork;
  readonly #desired: () => Promise<BrokerTopology>;

  private constructor(options: {
    work: BromUnitOfWork;
    desired: () => Promise<BrokerTopology>;
  }) {
    this.#work = options.work;
    this.#desired = options.desired;
  }

  /** `desired` gives the topology the store asks for now (`desiredTopology` of its rows). */
  static create(options: { work: BromUnitOfWork; desired: () => Promise<BrokerTopology> }) {
    return new StatusService(options);
  }

  async applicationStatus(name: string): Promise<ApplicationStatus> {
    const { applications, syncStatus } = this.#work.repositories;
    const app = await getApplication(applications, name);
    const desired = await this.#desired();
    const recorded = await syncStatus.listForApplication(app);
    return { application: app.name, ...summarise(withPendingWork(recorded, desired, app)) };
  }
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
