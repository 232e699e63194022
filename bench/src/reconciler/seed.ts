/*
 * The large shop of the reconciler benchmarks, written straight into the store's tables:
 * shared by `bench:reconciler` and `bench:idle-pass`.
 */
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const TEAM_A = 'group:default/team-a';
const TEAM_B = 'group:default/team-b';

/** Writes the store rows of the large shop straight into the tables, in batches. */
export async function seedLargeStore(
  knex: Knex,
  scale: number,
  withCredentials: boolean,
) {
  const producers = Math.round(1_000 * scale);
  const consumers = Math.round(2_000 * scale);
  const subscriptions = Math.round(10_000 * scale);
  const now = new Date().toISOString();
  const app = (name: string, owner: string) => ({
    id: randomUUID(),
    name,
    title: name,
    description: '',
    owner,
    entity_ref: null,
    message_ttl_ms: null,
    max_length: null,
    generation: 1,
    created_at: now,
    created_by: 'user:default/bench',
    updated_at: now,
    deleted_at: null,
    deleted_by: null,
    queue_deletion_confirmed_at: null,
    queue_deletion_confirmed_by: null,
    // As the portal registers applications now (decision 0028).
    queue_dead_letter_argument: true,
  });
  const producerRows = Array.from({ length: producers }, (_, i) =>
    app(`p${String(i).padStart(4, '0')}`, TEAM_A),
  );
  const consumerRows = Array.from({ length: consumers }, (_, i) =>
    app(`c${String(i).padStart(4, '0')}`, TEAM_B),
  );
  // Five types per producer; subscriptions spread so each consumer has five.
  const typeRows = producerRows.flatMap(p =>
    Array.from({ length: 5 }, (_, t) => ({
      id: randomUUID(),
      application_id: p.id,
      name: `event-${t}`,
      routing_key_pattern: `${p.name}.event${t}.*`,
      description: '',
      payload_schema: null,
      visibility: 'public',
      requires_approval: true,
      generation: 1,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      deleted_by: null,
    })),
  );
  const subscriptionRows = Array.from({ length: subscriptions }, (_, i) => ({
    id: randomUUID(),
    consumer_application_id: consumerRows[i % consumers].id,
    notification_type_id: typeRows[(i * 7919) % typeRows.length].id,
    state: 'approved',
    justification: 'bench',
    requested_by: 'user:default/bob',
    requested_at: now,
    decided_by: 'user:default/alice',
    decided_at: now,
    reason: null,
    generation: 2,
    updated_at: now,
  }));
  // Two subscriptions of one consumer may hit the same type; keep the first.
  const seen = new Set<string>();
  const unique = subscriptionRows.filter(s => {
    const key = `${s.consumer_application_id}/${s.notification_type_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  await knex.batchInsert(
    'brom_applications',
    [...producerRows, ...consumerRows],
    500,
  );
  await knex.batchInsert('brom_notification_types', typeRows, 500);
  await knex.batchInsert('brom_subscriptions', unique, 500);
  let credentials = 0;
  if (withCredentials) {
    // One credential per application (the native mode gives each a broker user).
    const rows = [...producerRows, ...consumerRows].map(a => ({
      id: randomUUID(),
      application_id: a.id,
      username: `${a.name}.${randomUUID().slice(0, 8)}`,
      salt: '0'.repeat(32),
      hash: '0'.repeat(64),
      created_at: now,
      created_by: 'user:default/bench',
      expires_at: null,
      revoked_at: null,
      revoked_by: null,
    }));
    await knex.batchInsert('brom_credentials', rows, 500);
    credentials = rows.length;
  }
  return { producers, consumers, subscriptions: unique.length, credentials };
}
