import { ApplicationStatus, ObjectStatus } from '@internal/plugin-brom-common';
import { BromUnitOfWork } from '../store/BromRepositories';
import { summariseApplication } from '../reconciler/core/conditions';
import { getApplication } from './ApplicationAccess';

/** Reads what the reconciler recorded about an application's broker objects. */
export class StatusService {
  readonly #work: BromUnitOfWork;

  private constructor(work: BromUnitOfWork) {
    this.#work = work;
  }

  static create(options: { work: BromUnitOfWork }) {
    return new StatusService(options.work);
  }

  async applicationStatus(name: string): Promise<ApplicationStatus> {
    const { applications, syncStatus } = this.#work.repositories;
    const app = await getApplication(applications, name);
    const objects = await syncStatus.listForApplication(app);
    return { application: app.name, ...summarise(objects) };
  }
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
