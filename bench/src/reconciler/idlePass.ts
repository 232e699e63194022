/*
 * `npm run bench:idle-pass`: what an idle incremental reconciler pass costs in PostgreSQL at
 * full bench scale (issue #20: "a change costs the size of the change"), without RabbitMQ.
 *
 * Builds the store directly (`seedLargeStore`, as `bench:reconciler --authz native`: 1,000
 * producers, 5,000 types, 2,000 consumers, 10,000 subscriptions, 3,000 credentials), plus
 * what a converged store also holds: one status record per broker object (21,001 at scale 1,
 * keys shaped as the reconciler's) and a change log of 20,000 events. Then, in rounds, it
 * times what an incremental pass with nothing changed does in the store: `readChanges` from
 * the log's end (with no change, the pass reads and
 * writes nothing else, and asks the broker nothing; before issue #20's change it also read the
 * vhost's status record: --vhost-status). A pass after one that left revoked
 * access unenforced reads the revoked users; otherwise it hands back what the previous pass
 * learnt (`revocations`), as `Reconciler.pass` does. Beside it, each query the pass used to run, on its own.
 *
 * Each round (cases in an order rotated by one per round, `interleavedRounds`) takes the median
 * of --calls calls per case; the report gives the median of the
 * rounds with their min–max.
 *
 * Options: --scale F (1), --rounds N (7), --calls N (25), --ended N (0: credentials revoked
 * earlier, whose connections were closed: enforcement records), --vhost-status, --json FILE.
 */
import { createTestDatabase, TestDatabase } from '@internal/brom-test';
import {
  BromStore,
  DatabaseReconcilerStore,
} from '@internal/plugin-brom-backend/testUtils';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseOptions } from '../options';
import { interleavedRounds } from '../rounds';
import { Spread } from '../stats';
import { seedLargeStore } from './seed';

interface Options {
  scale: number;
  rounds: number;
  calls: number;
  ended: number;
  /** Also reads the vhost's status record, as Reconciler.pass did on an idle pass before issue #20's change. */
  vhostStatus?: boolean;
  json?: string;
}

const DEFAULTS: Options = { scale: 1, rounds: 7, calls: 25, ended: 0 };
const KINDS = {
  scale: 'number',
  rounds: 'number',
  calls: 'number',
  ended: 'number',
  vhostStatus: 'switch',
  json: 'string',
} as const;

const VHOST = 'bench-brom';
const EVENTS = 20_000;
const log = (...args: unknown[]) => console.log(...args);

/** Status records of a converged native-mode vhost, and the revoked credentials' enforcement records. */
async function seedConverged(knex: Knex, ended: number) {
  const now = new Date().toISOString();
  const status = (key: string, kind: string, applicationId: string | null) => ({
    key,
    kind,
    name: key.slice(key.indexOf('/') + 1),
    application_id: applicationId,
    subscription_id: null as string | null,
    managed: true,
    desired_generation: 1,
    observed_generation: 1,
    status: 'True',
    reason: 'Reconciled',
    message: '',
    last_transition_time: now,
    attempts: 0,
    last_attempt_at: now,
    next_attempt_at: null,
  });
  const apps: Array<{ id: string; name: string }> = await knex(
    'brom_applications',
  ).select('id', 'name');
  const subs: Array<{ id: string; consumer_application_id: string }> =
    await knex('brom_subscriptions').select('id', 'consumer_application_id');
  const creds: Array<{ id: string; application_id: string; username: string }> =
    await knex('brom_credentials').select('id', 'application_id', 'username');
  const rows = [
    status(`vhost:${VHOST}`, 'vhost', null),
    ...apps.flatMap(a =>
      a.name.startsWith('p')
        ? [status(`exchange:${VHOST}/brom.${a.name}`, 'exchange', a.id)]
        : [
            status(`queue:${VHOST}/brom.${a.name}`, 'queue', a.id),
            status(`policy:${VHOST}/brom.${a.name}`, 'policy', a.id),
          ],
    ),
    ...subs.map(s => ({
      ...status(
        `binding:${VHOST}/brom.${s.id}`,
        'binding',
        s.consumer_application_id,
      ),
      subscription_id: s.id,
    })),
    ...creds.flatMap(c => [
      status(`user:${c.username}`, 'user', c.application_id),
      status(
        `permissions:${VHOST}/${c.username}`,
        'permissions',
        c.application_id,
      ),
    ]),
  ];
  // Credentials revoked earlier, their connections closed (each has its enforcement record).
  const endedRows = Array.from({ length: ended }, (_, i) => ({
    id: randomUUID(),
    application_id: apps[i % apps.length].id,
    username: `ended-${i}.${randomUUID().slice(0, 8)}`,
    salt: '0'.repeat(32),
    hash: '0'.repeat(64),
    created_at: now,
    created_by: 'user:default/bench',
    expires_at: null,
    revoked_at: now,
    revoked_by: 'user:default/bench',
  }));
  await knex.batchInsert('brom_credentials', endedRows, 500);
  rows.push(
    ...endedRows.map(c => ({
      ...status(`enforced:credential:${c.id}`, 'enforcement', null),
      name: `credential:${c.id}`,
      managed: false,
    })),
  );
  await knex.batchInsert('brom_sync_status', rows, 500);
  const events = Array.from({ length: EVENTS }, (_, i) => ({
    type: 'subscription.approved',
    aggregate_kind: 'subscription',
    aggregate_id: subs[i % subs.length].id,
    payload: '{}',
    recorded_at: now,
  }));
  await knex.batchInsert('brom_domain_events', events, 500);
  await knex.raw('analyze');
  return { statusRecords: rows.length, ended: endedRows.length };
}

/** The queries an idle incremental pass ran before issue #20's change, each on its own. */
const QUERIES: Record<string, string> = {
  'state version': `select version from brom_state_version where id = 1`,
  'events after the cursor': `select sequence, aggregate_kind, aggregate_id from brom_domain_events where sequence > ? order by sequence limit 501`,
  'latest event': `select max(sequence) as latest from brom_domain_events`,
  'revoked users': `select c.id, c.application_id, c.username, c.expires_at, c.revoked_at, a.deleted_at
    from brom_credentials c inner join brom_applications a on a.id = c.application_id
    left join brom_sync_status s on s.key = 'enforced:credential:' || c.id
    where s.key is null and (a.deleted_at is not null or c.revoked_at is not null or c.expires_at <= ?)
    order by c.username`,
  'next expiry': `select min(c.expires_at) as next from brom_credentials c inner join brom_applications a on a.id = c.application_id
    where c.revoked_at is null and a.deleted_at is null and c.expires_at > ?`,
  'vhost status': `select * from brom_sync_status where key in (?)`,
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function main() {
  const options = parseOptions(process.argv.slice(2), DEFAULTS, KINDS);
  log(
    `bench:idle-pass — ${cpus().length} CPUs (${
      cpus()[0]?.model
    }), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${
      process.version
    }, scale ${options.scale}, load ${loadavg()
      .map(l => l.toFixed(2))
      .join(' / ')}`,
  );
  let database: TestDatabase | undefined;
  let knex: Knex | undefined;
  try {
    database = await createTestDatabase();
    knex = knexFactory({
      client: 'pg',
      connection: database.connection,
      pool: { min: 1, max: 4 },
    });
    const bromStore = await BromStore.create({
      database: { getClient: async () => knex! } as any,
    });
    const shape = await seedLargeStore(knex, options.scale, true);
    const converged = await seedConverged(knex, options.ended);
    log(
      `store: ${shape.producers} producers, ${shape.consumers} consumers, ${shape.subscriptions} subscriptions, ${shape.credentials} credentials (+${converged.ended} revoked and enforced), ${converged.statusRecords} status records, ${EVENTS} events`,
    );
    const store = DatabaseReconcilerStore.create(bromStore);
    const db = knex;

    // A full pass's read first, as in `bench:reconciler`; then the pass as Reconciler.pass
    // runs it when nothing changed.
    const full = await store.read(new Date());
    const cursor = full.cursor;
    const idlePass = async (known: boolean) => {
      const changes = await store.readChanges(new Date(), {
        after: cursor,
        applicationIds: [],
        limit: 500,
        ...(known ? { revocations: { nextExpiryAt: full.nextExpiryAt } } : {}),
      } as Parameters<typeof store.readChanges>[1]);
      if (!changes || changes.applicationIds.size > 0)
        throw new Error('the idle pass saw a change');
      if (options.vhostStatus) await store.readStatuses([`vhost:${VHOST}`]);
    };
    // The process's first idle pass (cold code), as bench:reconciler times it: after a full
    // pass that left no revocation waiting. One sample a run.
    const coldMs = await timed(() => idlePass(true));
    log(
      `first idle pass of the process (cold, one sample): ${coldMs.toFixed(
        2,
      )} ms`,
    );
    const cases: Record<string, () => Promise<unknown>> = {
      'idle pass, revoked users read': () => idlePass(false),
      'idle pass, revocations settled': () => idlePass(true),
    };
    const bindings: Record<string, string | number> = {
      'events after the cursor': cursor,
      'vhost status': `vhost:${VHOST}`,
    };
    for (const [name, sql] of Object.entries(QUERIES)) {
      const binding = bindings[name] ?? new Date().toISOString();
      cases[`  query: ${name}`] = () =>
        db.raw(sql, sql.includes('?') ? [binding] : []);
    }

    // Warm up (plans, caches) five runs each, then interleaved rounds.
    const measured = await interleavedRounds(cases, { ...options, warmup: 5 });
    const results: Record<string, Spread> = {};
    for (const [name, s] of measured) {
      results[name.trim()] = s;
      log(
        `${name.padEnd(40)} ${s.median.toFixed(2)} ms (rounds ${s.min.toFixed(
          2,
        )}–${s.max.toFixed(2)}, n=${s.n})`,
      );
    }
    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify({ options, shape, converged, coldMs, results }, null, 2),
      );
    }
  } finally {
    await knex?.destroy().catch(() => undefined);
    await database?.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
