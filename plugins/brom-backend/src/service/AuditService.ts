import { InputError } from '@backstage/errors';
import {
  AuditEvent,
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

/** What an audit row is about: an application, or something of one or two applications. */
export type AuditTarget = { id: string } & (
  | { name: string; owner: string }
  | { application: string }
  | { consumer: string; producer: string }
);

/**
 * Appends the audit rows of one change in the caller's transaction. Subscriptions are
 * audited under the producer, whose owners decide on them, and under the consumer, whose
 * history shows them too.
 */
export async function recordAudit(
  audit: AuditStore,
  entry: {
    actor: Actor;
    at: string;
    action: string;
    target: AuditTarget;
    before?: object | null;
    after?: object | null;
  },
) {
  const { target } = entry;
  const targetKind =
    TARGET_KINDS[entry.action.slice(0, entry.action.indexOf('.'))] ?? 'credential';
  let application: string;
  if ('producer' in target) application = target.producer;
  else if ('application' in target) application = target.application;
  else application = target.name;
  const applications = new Set([application]);
  if ('consumer' in target) applications.add(target.consumer);
  for (const name of applications) {
    await audit.append({
      at: entry.at,
      actor: entry.actor.userEntityRef,
      action: entry.action,
      targetKind,
      targetId: target.id,
      application: name,
      before: entry.before ? { ...entry.before } : null,
      after: entry.after ? { ...entry.after } : null,
    });
  }
}

/** Reads the audit history: an application's for its owners, all of it for administrators. */
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

  async listAuditEvents(actor: Actor, query: AuditListQuery): Promise<Page<AuditEvent>> {
    if (query.application) {
      await this.#access.authorizeOn(actor, bromAuditReadPermission, query.application, {
        includeDeleted: true,
      });
    } else if (!actor.isAdmin) {
      throw new InputError(
        'Give an application to read its audit history; only administrators can read all of it',
      );
    }
    return this.#work.repositories.audit.list(query);
  }
}
