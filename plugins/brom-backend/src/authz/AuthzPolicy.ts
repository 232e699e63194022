import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import { BromTransaction } from '../store/BromStore';
import { applicationObjectNames } from '../reconciler/core/naming';
import { routingKeyPatternsByApplication } from '../reconciler/core/topology';
import { DatabaseAuthzStateStore } from '../store/AuthzStateStore';

/**
 * Derives the authorisation policy from the desired state, read in the caller's transaction:
 * a producer may write to its exchange and publish keys matching its live types; a
 * consumer may read its queue and dead-letter queue (the queues the reconciler declares
 * for every application with a subscription); nobody gets `configure`.
 */
export async function buildAuthzSnapshot(
  tx: BromTransaction,
  options: { version: number; epoch: string; vhost: string; prefix: string; now: Date },
): Promise<AuthzSnapshot> {
  const now = options.now.toISOString();
  const state = await DatabaseAuthzStateStore.create({ db: tx }).read(now);
  const nameById = new Map(state.applications.map(a => [a.id, a.name]));
  // One pass over the types, grouped by producer: linear in the snapshot's size.
  const patternsByApplication = routingKeyPatternsByApplication(state.notificationTypes);
  const applications: AuthzApplication[] = state.applications.map(app => {
    const names = applicationObjectNames(options.prefix, app.name);
    const patterns = patternsByApplication.get(app.id) ?? [];
    const isConsumer = state.consumerIds.has(app.id);
    return {
      name: app.name,
      write: patterns.length ? [names.exchange] : [],
      read: isConsumer ? [names.queue, names.deadLetterQueue] : [],
      topicWrite: patterns.length
        ? [{ exchange: names.exchange, routingKeyPatterns: patterns }]
        : [],
    };
  });
  return {
    format: AUTHZ_SNAPSHOT_FORMAT,
    version: options.version,
    epoch: options.epoch,
    generatedAt: now,
    vhost: options.vhost,
    credentials: state.credentials
      .filter(c => nameById.has(c.applicationId))
      .map(c => ({
        username: c.username,
        application: nameById.get(c.applicationId)!,
        salt: c.salt,
        hash: c.hash,
        expiresAt: c.expiresAt,
      })),
    applications,
  };
}
