import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  Application,
  AuditEvent,
  bromAuditReadAllPermission,
  bromAuditReadPermission,
  Page,
} from '@internal/plugin-brom-common';
import { AuditListQuery, AuditStore } from '../store/AuditStore';
import { BromUnitOfWork } from '../store/BromRepositories';
import { Actor } from './Actor';
import { ApplicationAccess } from './ApplicationAccess';

/** Audit target kinds by the prefix of the action, e.g. `subscription.approved`. */
const TARGET_KINDS: Record<string, AuditEvent['targetKind']> = {
  application: 'application',
  'notification-type': 'notificationType',
  subscription: 'subscription',
  credential: 'credential',
};

/**
 * Appends the audit rows of one change in the caller's transaction, one per application
 * whose history shows it: a subscription is audited under the producer, whose owners decide
 * on it, and under the consumer. Rows are filed under the application's identity, so a name
 * registered again starts a history of its own.
 */
export async function recordAudit(
  audit: AuditStore,
  entry: {
    /** Only who: a scheduled task acts as a `brom:` name of its own. */
    actor: Pick<Actor, 'userEntityRef'>;
    at: string;
    action: string;
    target: { id: string };
    applications: Array<Pick<Application, 'id' | 'name'>>;
    before?: object | null;
    after?: object | null;
  },
) {
  const targetKind =
    TARGET_KINDS[entry.action.slice(0, entry.action.indexOf('.'))] ?? 'credential';
  const seen = new Set<string>();
  for (const application of entry.applications) {
    if (seen.has(application.id)) continue;
    seen.add(application.id);
    await audit.append({
      at: entry.at,
      actor: entry.actor.userEntityRef,
      action: entry.action,
      targetKind,
      targetId: entry.target.id,
      application: application.name,
      applicationId: application.id,
      before: entry.before ? { ...entry.before } : null,
      after: entry.after ? { ...entry.after } : null,
    });
  }
}

export type AuditEventsQuery = Omit<AuditListQuery, 'applicationIds' | 'applicationName'> & {
  application?: string;
  /** With `application`: the histories of earlier applications of that name too. */
  includeDeleted?: boolean;
};

/**
 * Reads the audit history: an application's for its owners, all of it for administrators.
 * The history of a deleted application stays with its identity, readable by its owners at
 * the time (and administrators) through `includeDeleted`, never by a later holder of its name.
 */
export class AuditService {
  readonly #work: BromUnitOfWork;
  readonly #access: ApplicationAccess;

  private constructor(options: { work: BromUnitOfWork; access: ApplicationAccess }) {
    this.#work = options.work;
    this.#access = options.access;
  }

  static create(options: { work: BromUnitOfWork; access: ApplicationAccess }) {
    return new AuditService(options);
  }

  async listAuditEvents(actor: Actor, query: AuditEventsQuery): Promise<Page<AuditEvent>> {
    const { application: name, includeDeleted, ...filters } = query;
    const { audit } = this.#work.repositories;
    if (!name) {
      if (!(await this.#access.isGranted(actor, bromAuditReadAllPermission))) {
        throw new InputError(
          'Give an application to read its audit history; only administrators can read all of it',
        );
      }
      return audit.list(filters);
    }
    if (!includeDeleted) {
      const application = await this.#access.authorizeOn(actor, bromAuditReadPermission, name, {
        includeDeleted: true,
      });
      return audit.list({ ...filters, applicationIds: [application.id] });
    }
    if (await this.#access.isGranted(actor, bromAuditReadAllPermission)) {
      return audit.list({ ...filters, applicationName: name });
    }
    return audit.list({ ...filters, applicationIds: await this.#readableNamed(actor, name) });
  }

  /** The applications, present and former, of a name whose history the actor may read. */
  async #readableNamed(actor: Actor, name: string): Promise<string[]> {
    const { applications, audit } = this.#work.repositories;
    const current = await applications.findByName(name);
    const readable: string[] = [];
    if (current && (await this.#access.isAllowed(actor, bromAuditReadPermission, name))) {
      readable.push(current.id);
    }
    // A former application is no resource the permission policy can resolve any more (its
    // name may be another's now), so its owners at the time are asked for directly.
    const former = (await audit.applicationsNamed(name)).filter(
      a => a.applicationId !== current?.id,
    );
    for (const application of former) {
      if (application.owner && actor.ownershipEntityRefs.includes(application.owner)) {
        readable.push(application.applicationId);
      }
    }
    if (readable.length > 0) return readable;
    if (!current && former.length === 0) {
      throw new NotFoundError(`Application "${name}" does not exist and never did`);
    }
    throw new NotAllowedError(
      `Only the owners of an application named "${name}", present or former, or BROM administrators can read its history`,
    );
  }
}
