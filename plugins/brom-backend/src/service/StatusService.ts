import { NotFoundError } from '@backstage/errors';
import { ApplicationStatus, ObjectStatus } from '@internal/plugin-brom-common';
import { BromStore } from '../store/BromStore';
import { SyncStatusRow } from '../store/tables';
import { summariseApplication } from '../reconciler/core/conditions';

/** Reads what the reconciler recorded about an application's broker objects. */
export class StatusService {
  readonly #store: BromStore;

  private constructor(store: BromStore) {
    this.#store = store;
  }

  static create(options: { store: BromStore }) {
    return new StatusService(options.store);
  }

  async applicationStatus(name: string): Promise<ApplicationStatus> {
    const app = await this.#store.db
      .selectFrom('brom_applications')
      .select(['id', 'name'])
      .where('name', '=', name)
      .executeTakeFirst();
    if (!app) throw new NotFoundError(`Application "${name}" does not exist`);
    const rows = await this.#store.db
      .selectFrom('brom_sync_status')
      .selectAll()
      .where(eb => eb.or([eb('application_id', '=', app.id), eb('kind', '=', 'vhost')]))
      .orderBy('key')
      .execute();
    const objects = rows.map(row => toObjectStatus(row, app.name));
    return { application: app.name, ...summarise(objects) };
  }
}

function toObjectStatus(row: SyncStatusRow, application: string): ObjectStatus {
  return {
    key: row.key,
    kind: row.kind as ObjectStatus['kind'],
    name: row.name,
    application: row.application_id ? application : null,
    subscriptionId: row.subscription_id,
    desiredGeneration: row.desired_generation,
    condition: {
      type: 'Ready',
      status: row.status as 'True' | 'False' | 'Unknown',
      reason: row.reason,
      message: row.message,
      observedGeneration: row.observed_generation,
      lastTransitionTime: row.last_transition_time,
    },
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at,
    nextAttemptAt: row.next_attempt_at,
  };
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
