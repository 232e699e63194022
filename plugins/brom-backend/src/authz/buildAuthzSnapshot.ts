import {
  AUTHZ_SNAPSHOT_FORMAT,
  AuthzApplication,
  AuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import { BromTransaction } from '../store/BromStore';
import { applicationObjectNames } from '../reconciler/core/naming';

/**
 * Derives the authorisation policy from the desired state, in the caller's transaction:
 * a producer may write to its exchange and publish keys matching its live types; a
 * consumer may read its queue and dead-letter queue (the queues the reconciler declares
 * for every application with a subscription); nobody gets `configure`.
 */
export async function buildAuthzSnapshot(
  tx: BromTransaction,
  options: { version: number; epoch: string; vhost: string; prefix: string; now: Date },
): Promise<AuthzSnapshot> {
  const now = options.now.toISOString();
  const apps = await tx
    .selectFrom('brom_applications')
    .select(['id', 'name'])
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .execute();
  const types = await tx
    .selectFrom('brom_notification_types')
    .select(['application_id', 'routing_key_pattern'])
    .where('deleted_at', 'is', null)
    .orderBy('routing_key_pattern')
    .execute();
  const consumerIds = new Set(
    (
      await tx
        .selectFrom('brom_subscriptions')
        .select('consumer_application_id')
        .distinct()
        .execute()
    ).map(r => r.consumer_application_id),
  );
  const credentials = await tx
    .selectFrom('brom_credentials')
    .select(['application_id', 'username', 'salt', 'hash', 'expires_at'])
    .where('revoked_at', 'is', null)
    .where(eb => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('username')
    .execute();

  const nameById = new Map(apps.map(a => [a.id, a.name]));
  const applications: AuthzApplication[] = apps.map(app => {
    const names = applicationObjectNames(options.prefix, app.name);
    const patterns = types
      .filter(t => t.application_id === app.id)
      .map(t => t.routing_key_pattern);
    const isConsumer = consumerIds.has(app.id);
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
    credentials: credentials
      .filter(c => nameById.has(c.application_id))
      .map(c => ({
        username: c.username,
        application: nameById.get(c.application_id)!,
        salt: c.salt,
        hash: c.hash,
        expiresAt: c.expires_at,
      })),
    applications,
  };
}
