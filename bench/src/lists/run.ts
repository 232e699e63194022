/*
 * `npm run bench:lists`: the portal's large lists on PostgreSQL (issue #20, item 4).
 *
 * Builds the store directly (2,000 consumers and 10,000 subscriptions at scale 1, a tenth of
 * them requested), then, in interleaved rounds, times the pages a user asks for: the first
 * page of the subscription list and of the approvals inbox, a page 5,000 rows deep by offset
 * and the same page by cursor (keyset), and the applications sorted by title at depth 1,000.
 * Each round takes the median of --calls calls per case; the report gives the median of the
 * rounds with their min–max.
 *
 * Options: --scale F (1), --rounds N (7), --calls N (15), --json FILE.
 */
import { createTestDatabase, TestDatabase } from '@internal/brom-test';
import {
  BromStore,
  DatabaseApplicationStore,
  DatabaseSubscriptionStore,
} from '@internal/plugin-brom-backend/testUtils';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseOptions } from '../options';
import { interleavedRounds } from '../rounds';
import { Spread } from '../stats';

interface Options {
  scale: number;
  rounds: number;
  calls: number;
  json?: string;
}

const log = (...args: unknown[]) => console.log(...args);

/** The store rows, written straight into the tables in batches. */
async function seed(knex: Knex, scale: number) {
  const consumers = Math.round(2_000 * scale);
  const producers = Math.round(1_000 * scale);
  const subscriptions = Math.round(10_000 * scale);
  const at = (i: number) =>
    new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
  const app = (name: string, owner: string, i: number) => ({
    id: randomUUID(),
    name,
    title: `Application ${(i * 7919) % 100_000}`,
    description: '',
    owner,
    entity_ref: null,
    message_ttl_ms: null,
    max_length: null,
    generation: 1,
    created_at: at(i),
    created_by: 'user:default/bench',
    updated_at: at(i),
    deleted_at: null,
    deleted_by: null,
    queue_deletion_confirmed_at: null,
    queue_deletion_confirmed_by: null,
    // As the portal registers applications now (decision 0028).
    queue_dead_letter_argument: true,
  });
  const producerRows = Array.from({ length: producers }, (_, i) =>
    app(`p${String(i).padStart(6, '0')}`, 'group:default/team-a', i),
  );
  const consumerRows = Array.from({ length: consumers }, (_, i) =>
    app(
      `c${String(i).padStart(6, '0')}`,
      'group:default/team-b',
      producers + i,
    ),
  );
  const typeRows = producerRows.flatMap((p, i) =>
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
      created_at: at(i),
      updated_at: at(i),
      deleted_at: null,
      deleted_by: null,
    })),
  );
  // Each consumer subscribes to distinct types: consumer c takes types c, c + C, c + 2C, …
  const subscriptionRows = Array.from({ length: subscriptions }, (_, i) => {
    const requested = i % 10 === 0;
    return {
      id: randomUUID(),
      consumer_application_id: consumerRows[i % consumers].id,
      notification_type_id: typeRows[i % typeRows.length].id,
      state: requested ? 'requested' : 'approved',
      justification: 'bench',
      requested_by: 'user:default/bob',
      requested_at: at(i),
      decided_by: requested ? null : 'user:default/alice',
      decided_at: requested ? null : at(i),
      reason: null,
      generation: requested ? 1 : 2,
      updated_at: at(i),
      requires_approval: true,
    };
  });
  await knex.batchInsert(
    'brom_applications',
    [...producerRows, ...consumerRows],
    1000,
  );
  await knex.batchInsert('brom_notification_types', typeRows, 1000);
  await knex.batchInsert('brom_subscriptions', subscriptionRows, 1000);
  await knex.raw('ANALYZE');
  return {
    applications: producers + consumers,
    subscriptions: subscriptionRows.length,
  };
}

async function main() {
  const options = parseOptions<Options>(
    process.argv.slice(2),
    { scale: 1, rounds: 7, calls: 15 },
    { scale: 'number', rounds: 'number', calls: 'number', json: 'string' },
  );
  log(
    `bench:lists — ${cpus().length} CPUs (${cpus()[0]?.model}), ${Math.round(
      totalmem() / 2 ** 30,
    )} GiB, node ${process.version}, scale ${options.scale}`,
  );
  let database: TestDatabase | undefined;
  let knex: Knex | undefined;
  try {
    database = await createTestDatabase();
    knex = knexFactory({
      client: 'pg',
      connection: database.connection,
      pool: { min: 0, max: 4 },
    });
    const store = await BromStore.create({
      database: { getClient: async () => knex! } as any,
    });
    const shape = await seed(knex, options.scale);
    log(
      `store: ${shape.applications} applications, ${shape.subscriptions} subscriptions`,
    );

    const subscriptions = DatabaseSubscriptionStore.create({ db: store.db });
    const applications = DatabaseApplicationStore.create({ db: store.db });
    // What an administrator sees: every row visible, no owner filter (the widest list).
    const viewer = { claims: [], isAdmin: true };
    const depth = Math.min(5_000, shape.subscriptions - 100);
    // The cursor of row `depth`, as a user paging by key holds it.
    const before = await subscriptions.list({
      viewer,
      offset: depth - 1,
      limit: 1,
    });
    const deepCursor = before.nextCursor!;
    const titleDepth = Math.min(1_000, shape.applications - 100);
    const titleBefore = await applications.list({
      sort: 'title',
      order: 'asc',
      offset: titleDepth - 1,
      limit: 1,
    });

    const cases: Record<string, () => Promise<unknown>> = {
      'subscriptions, first page (50)': () =>
        subscriptions.list({ viewer, offset: 0, limit: 50 }),
      [`subscriptions, offset ${depth}`]: () =>
        subscriptions.list({ viewer, offset: depth, limit: 50 }),
      [`subscriptions, cursor at ${depth}`]: () =>
        subscriptions.list({
          viewer,
          cursor: deepCursor,
          offset: 0,
          limit: 50,
        }),
      'approvals inbox (requested), first page': () =>
        subscriptions.list({
          viewer,
          state: 'requested',
          offset: 0,
          limit: 50,
        }),
      [`applications by title, cursor at ${titleDepth}`]: () =>
        applications.list({
          sort: 'title',
          order: 'asc',
          cursor: titleBefore.nextCursor,
          offset: 0,
          limit: 50,
        }),
    };
    // Warm-up (one run each): plans cached, pages in memory.
    const measured = await interleavedRounds(cases, options);
    const results: Record<string, Spread> = {};
    log(
      `\n| list (PostgreSQL, ${shape.subscriptions} subscriptions) | median of ${options.rounds} rounds (min–max), ms |`,
    );
    log('| --- | --- |');
    for (const [name, s] of measured) {
      results[name] = s;
      log(
        `| ${name} | ${s.median.toFixed(1)} (${s.min.toFixed(
          1,
        )}–${s.max.toFixed(1)}) |`,
      );
    }
    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify({ options, shape, results }, null, 2),
      );
    }
  } finally {
    await knex?.destroy().catch(() => undefined);
    await database?.drop().catch(() => undefined);
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
