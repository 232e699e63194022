import { Application } from '@internal/plugin-brom-common';
import { BromRepositories } from '../store/BromRepositories';
import { Actor } from './Actor';
import { recordAudit } from './AuditService';
import { DomainEvent } from './events/DomainEvent';

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K>
  : never;

/** A domain event as a service states it; who and when come from the change. */
export type DomainEventBody = DistributiveOmit<DomainEvent, 'actor' | 'at'>;

/**
 * Records one change in the caller's transaction: its audit rows (one per application whose
 * history shows it) and its domain event, with the same actor and time, so that the audit
 * and the outbox never disagree about what happened.
 */
export async function recordChange(
  repositories: BromRepositories,
  change: {
    actor: Pick<Actor, 'userEntityRef'>;
    at: string;
    action: string;
    target: { id: string };
    applications: Array<Pick<Application, 'id' | 'name'>>;
    before?: object | null;
    after: object;
    event: DomainEventBody;
  },
): Promise<void> {
  const { event, ...audit } = change;
  await recordAudit(repositories.audit, audit);
  await repositories.events.append({
    ...event,
    actor: change.actor.userEntityRef,
    at: change.at,
  } as DomainEvent);
}
