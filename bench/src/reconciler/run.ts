/*
 * `npm run bench:reconciler`: the BROM reconciler against a dedicated RabbitMQ node.
 *
 * 1. Converge: 1,000 producers, 2,000 consumers and 10,000 approved subscriptions from an
 *    empty vhost, pass after pass until a pass writes nothing; beside it the floor, the same
 *    topology imported as one definitions document (POST /api/definitions/{vhost}).
 * 2. Idle pass: the management API requests of one pass over the converged broker,
 *    counted by a proxy.
 * 3. Latency, over N trials, with the runner woken by the store as in the backend:
 *    approve -> the consumer receives its first message, credential revoked -> its connection closed.
 *
 * Options: --scale F (1; 0.1 for a quick try), --trials N (20), --concurrency N (8),
 * --authz live|native (live), --no-floor (leave out the definitions import), --json FILE.
 *
 * --authz native: every application gets a credential, the reconciler writes a broker user
 * and permissions per credential (converge and the floor's definitions include them), the node
 * authenticates through HTTP and authorises internally, and the trials' consumers connect with
 * their own users (a bare allow server on the auth port stands in for the sidecar: only
 * `/auth/user` is asked, and the reconciler's latency is what is measured).
 */
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  createTestDatabase,
  ManagementProxy,
  RabbitNode,
  TestDatabase,
} from '@internal/brom-test';
import {
  Actor,
  BromStore,
  DatabaseLeaderLease,
  DatabaseReconcilerStore,
  ManagementBrokerApi,
  createPortalServices,
  Reconciler,
  ReconcilerRunner,
  StateWatcher,
  TopologyOptions,
  buildAuthzSnapshot,
  desiredTopology,
} from '@internal/plugin-brom-backend/testUtils';
import { authzSnapshotDeltaBody, authzSnapshotEntries } from '@internal/brom-authz-snapshot';
import { ManagementClient } from '@internal/rabbitmq-management';
import amqplib from 'amqplib';
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { startFloor } from '../sidecar/processes';
import { percentile } from '../stats';

interface Options {
  scale: number;
  trials: number;
  concurrency: number;
  json?: string;
  /** Prints where each revocation's time went. */
  verbose?: boolean;
  authz: 'live' | 'native';
  /** Leaves out the floor (the definitions import), which takes minutes at full scale. */
  noFloor?: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { scale: 1, trials: 20, concurrency: 8, authz: 'live' };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i];
    switch (argv[i]) {
      case '--scale':
        options.scale = Number(value());
        break;
      case '--trials':
        options.trials = Number(value());
        break;
      case '--concurrency':
        options.concurrency = Number(value());
        break;
      case '--json':
        options.json = value();
        break;
      case '--verbose':
        options.verbose = true;
        break;
      case '--authz': {
        const mode = value();
        if (mode !== 'live' && mode !== 'native') throw new Error('--authz live|native');
        options.authz = mode;
        break;
      }
      case '--no-floor':
        options.noFloor = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

const TEAM_A = 'group:default/team-a';
const TEAM_B = 'group:default/team-b';
const actor = (ref: string, group: string): Actor => ({
  credentials: mockCredentials.user(ref) as Actor['credentials'],
  userEntityRef: ref,
  ownershipEntityRefs: [ref, group],
});
const ALICE = actor('user:default/alice', TEAM_A);
const BOB = actor('user:default/bob', TEAM_B);

const log = (...args: unknown[]) => console.log(...args);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Writes the store rows of the large shop straight into the tables, in batches. */
async function seedLargeStore(knex: Knex, scale: number, withCredentials: boolean) {
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
  await knex.batchInsert('brom_applications', [...producerRows, ...consumerRows], 500);
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

async function main() {
  const options = parseOptions(process.argv.slice(2));
  log(
    `bench:reconciler — ${cpus().length} CPUs (${cpus()[0]?.model}), ${Math.round(
      totalmem() / 2 ** 30,
    )} GiB, node ${process.version}, scale ${options.scale}`,
  );
  // The floor is one HTTP request that runs for minutes at full scale: keep the management
  // listener (Cowboy) from closing the connection under it.
  const native = options.authz === 'native';
  const node = await RabbitNode.start({
    config: {
      'management.tcp.idle_timeout': '1800000',
      'management.tcp.inactivity_timeout': '1800000',
      'management.tcp.request_timeout': '1800000',
      ...(native
        ? {
            'auth_backends.2': null,
            'auth_backends.2.authn': 'http',
            'auth_backends.2.authz': 'internal',
          }
        : {}),
    },
  });
  let database: TestDatabase | undefined;
  let knex: Knex | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const admin = node.managementClient();
    closers.push(() => admin.close());
    if (native) {
      const authServer = await startFloor(node.ports.auth);
      closers.push(() => authServer.stop());
    }
    const slow = ManagementClient.create({
      baseUrl: node.managementUrl,
      ...node.admin,
      headersTimeoutMs: 900_000,
      bodyTimeoutMs: 900_000,
    });
    closers.push(() => slow.close());
    const version = (await admin.getOverview()) as { rabbitmq_version?: string };
    log(`RabbitMQ ${version.rabbitmq_version}, node ${node.nodeName}`);

    database = await createTestDatabase();
    knex = knexFactory({ client: 'pg', connection: database.connection, pool: { min: 0, max: 10 } });
    const store = await BromStore.create({ database: { getClient: async () => knex! } as any });
    const shape = await seedLargeStore(knex, options.scale, native);
    log(
      `store: ${shape.producers} producers, ${shape.consumers} consumers, ${shape.subscriptions} approved subscriptions, ${shape.credentials} credentials; authz mode ${options.authz}`,
    );

    // --- the floor: the same topology as one definitions document
    const floorVhost = 'bench-floor';
    const topologyOptions = (vhost: string): TopologyOptions => ({
      vhost,
      prefix: 'brom.',
      queueType: 'quorum',
      policyPriority: 10,
      authzMode: options.authz,
    });
    const reconcilerStore = DatabaseReconcilerStore.create(store);
    const snapshot = await reconcilerStore.read(new Date());
    const desired = desiredTopology(snapshot.input, topologyOptions(floorVhost));
    const counts = {
      exchanges: desired.exchanges.length,
      queues: desired.queues.length,
      policies: desired.policies.length,
      bindings: desired.bindings.length,
      users: desired.users.length,
      permissions: desired.permissions.length,
    };
    log(`topology: ${JSON.stringify(counts)}`);
    const definitions = {
      exchanges: desired.exchanges.map(e => ({
        name: e.name,
        vhost: floorVhost,
        type: e.type,
        durable: true,
        auto_delete: false,
        internal: false,
        arguments: {},
      })),
      queues: desired.queues.map(q => ({
        name: q.name,
        vhost: floorVhost,
        durable: true,
        auto_delete: false,
        arguments: q.arguments,
      })),
      policies: desired.policies.map(p => ({
        name: p.name,
        vhost: floorVhost,
        pattern: p.pattern,
        'apply-to': p.applyTo,
        priority: p.priority,
        definition: p.definition,
      })),
      bindings: desired.bindings.map(b => ({
        source: b.source,
        vhost: floorVhost,
        destination: b.destination,
        destination_type: 'queue',
        routing_key: b.routingKey,
        arguments: {},
      })),
      users: desired.users.map(u => ({
        name: u.name,
        password_hash: '',
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: '',
      })),
      permissions: desired.permissions.map(p => ({
        user: p.user,
        vhost: floorVhost,
        configure: p.configure,
        write: p.write,
        read: p.read,
      })),
      topic_permissions: desired.permissions.flatMap(p =>
        p.topic.map(t => ({ user: p.user, vhost: floorVhost, ...t })),
      ),
    };
    let started = Date.now();
    let floorMs = NaN;
    if (options.noFloor) {
      log('floor: left out (--no-floor)');
    } else {
      // A vhost's definitions import leaves users out: with them, the whole document is
      // imported (every object names its vhost).
      await admin.putVhost(floorVhost);
      await slow.postDefinitions(definitions as any, native ? undefined : floorVhost);
      floorMs = Date.now() - started;
      log(
        `floor: POST /api/definitions${native ? '' : `/${floorVhost}`} took ${seconds(floorMs)}`,
      );
      started = Date.now();
      await slow.deleteVhost(floorVhost);
      for (const user of definitions.users) {
        await admin.deleteUser(user.name, { ignoreNotFound: true });
      }
      log(`(deleting the floor's vhost and users took ${seconds(Date.now() - started)})`);
    }

    // --- converge from an empty vhost through the proxy
    const vhost = 'bench-brom';
    await admin.putVhost(vhost);
    await admin.putPermissions(vhost, node.admin.username, { configure: '.*', write: '.*', read: '.*' });
    const proxy = await ManagementProxy.start({ target: node.managementUrl });
    closers.push(() => proxy.close());
    const client = ManagementClient.create({
      baseUrl: proxy.url,
      ...node.admin,
      headersTimeoutMs: 60_000,
      bodyTimeoutMs: 60_000,
    });
    closers.push(() => client.close());
    // --verbose: the reconciler's own lines too (each writing pass with its timings).
    const logger = mockServices.rootLogger({ level: options.verbose ? 'info' : 'warn' });
    const passDurations = { full: [] as number[], incremental: [] as number[] };
    const reconciler = Reconciler.create({
      metrics: {
        pass: (_outcome, durationMs, mode) => passDurations[mode].push(durationMs),
        write: () => undefined,
        pending: () => undefined,
      },
      store: reconcilerStore,
      broker: ManagementBrokerApi.create({ client, username: node.admin.username }),
      logger,
      topology: topologyOptions(vhost),
      concurrency: options.concurrency,
      backoffBaseMs: 200,
      backoffCapMs: 5_000,
    });
    started = Date.now();
    let passes = 0;
    let lastWritingPassEnd = started;
    let totalWrites = 0;
    for (;;) {
      const result = await reconciler.pass();
      passes++;
      totalWrites += result.writes;
      if (result.writes > 0) lastWritingPassEnd = Date.now();
      if (result.writes === 0 && result.retryAt === undefined) break;
      if (result.retryAt !== undefined) {
        await new Promise(r => setTimeout(r, Math.max(0, result.retryAt! - Date.now())));
      }
      if (Date.now() - started > 30 * 60_000) throw new Error('no convergence within 30 min');
    }
    const convergeMs = lastWritingPassEnd - started;
    const confirmedMs = Date.now() - started;
    log(
      `converge: ${seconds(convergeMs)} to the full topology (${totalWrites} writes in ${passes - 1} writing passes; ${seconds(
        confirmedMs,
      )} including the pass that confirmed it)${options.noFloor ? '' : ` = ${(convergeMs / floorMs).toFixed(2)}x the floor`}`,
    );

    // --- one idle pass
    proxy.clear();
    started = Date.now();
    const idle = await reconciler.pass();
    const idlePassMs = Date.now() - started;
    const idleTally = proxy.tally();
    log(
      `idle pass: ${proxy.requests.length} requests (${proxy.writes().length} writes) in ${idlePassMs} ms: ${JSON.stringify(
        idleTally,
      )}; writes reported ${idle.writes}`,
    );

    // --- one idle incremental pass: nothing changed since the last pass, nothing to read
    proxy.clear();
    started = Date.now();
    const idleIncremental = await reconciler.pass({ mode: 'incremental' });
    const idleIncrementalMs = Date.now() - started;
    log(
      `idle incremental pass (${idleIncremental.mode}): ${proxy.requests.length} requests in ${idleIncrementalMs} ms`,
    );

    // --- latency trials with the runner, woken by the store
    const watcher = await StateWatcher.create({ store, logger });
    closers.push(() => watcher.stop());
    const runner = ReconcilerRunner.create({
      reconciler,
      watcher,
      lease: DatabaseLeaderLease.create({ store, logger }),
      logger,
      resyncMs: 60_000,
    });
    passDurations.full.length = 0;
    passDurations.incremental.length = 0;
    runner.start();
    closers.push(() => runner.stop());
    const portal = createPortalServices({
      store,
      permissions: mockServices.permissions(),
      reservedNames: [],
      broker: { vhost, prefix: 'brom.', amqpUrls: [] },
      topology: topologyOptions(vhost),
      onCommit: v => watcher.notifyLocal(v),
    });
    await portal.applications.createApplication(ALICE, { name: 'lat-producer', owner: TEAM_A });
    const tick = await portal.notificationTypes.createNotificationType(ALICE, 'lat-producer', {
      name: 'tick',
      routingKeyPattern: 'tick.*',
      description: 'ticks',
    });
    const publisher = await amqplib.connect(node.amqpUrl(vhost));
    closers.push(() => publisher.close());
    const pubChannel = await publisher.createChannel();
    const approveMs: number[] = [];
    const revokeMs: number[] = [];
    // The sidecars' feed, built as its route builds it: the whole snapshot, and the delta
    // from the version before a change (what a sidecar holding that version is sent).
    const feed = { buildMs: [] as number[], wholeBytes: [] as number[], approveBytes: [] as number[], revokeBytes: [] as number[] };
    const feedSnapshot = async () => {
      const begun = Date.now();
      const built = await store.read((tx, v) =>
        buildAuthzSnapshot(tx, { version: v, epoch: store.epoch, vhost, prefix: 'brom.', now: new Date() }),
      );
      feed.buildMs.push(Date.now() - begun);
      const body = JSON.stringify(built);
      feed.wholeBytes.push(Buffer.byteLength(body));
      return { snapshot: built, entries: authzSnapshotEntries(built) };
    };
    const deltaBytes = (
      from: Awaited<ReturnType<typeof feedSnapshot>>,
      to: Awaited<ReturnType<typeof feedSnapshot>>,
    ) => Buffer.byteLength(authzSnapshotDeltaBody(from.entries, to));
    const revokeSteps: string[] = [];
    const poll = async (check: () => Promise<boolean>, what: string, withinMs = 120_000) => {
      const deadline = Date.now() + withinMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms: ${what}`);
        await new Promise(r => setTimeout(r, 5));
      }
    };
    const trialsStarted = Date.now();
    for (let trial = 0; trial < options.trials; trial++) {
      const name = `lat-${trial}`;
      await portal.applications.createApplication(BOB, { name, owner: TEAM_B });
      const requested = await portal.subscriptions.requestSubscription(BOB, {
        consumer: name,
        producer: 'lat-producer',
        notificationType: tick.name,
        justification: 'bench',
      });
      await poll(
        () => admin.getQueue(vhost, `brom.${name}`).then(() => true, () => false),
        `queue of ${name}`,
      );
      const issued = await portal.credentials.createCredential(BOB, name, {});
      const username = issued.credential.username;
      let connection: amqplib.ChannelModel;
      if (native) {
        // The reconciler writes the user and its read permission; the auth port allows any
        // password, so the connection works once they exist.
        let opened: amqplib.ChannelModel | undefined;
        await poll(async () => {
          opened = await amqplib.connect(node.amqpUrl(vhost, username, 'bench')).catch(() => undefined);
          return opened !== undefined;
        }, `${username} admitted with its broker user`);
        connection = opened!;
      } else {
        await admin.putUser(username, { password: 'bench', tags: '' });
        await admin.putPermissions(vhost, username, { configure: '^$', write: '^$', read: `^brom\\.${name}$` });
        connection = await amqplib.connect(node.amqpUrl(vhost, username, 'bench'));
      }
      let closedAt: number | undefined;
      connection.on('error', () => undefined);
      connection.on('close', () => {
        closedAt = Date.now();
      });
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      let receivedAt: number | undefined;
      await channel.consume(`brom.${name}`, m => {
        receivedAt ??= Date.now();
        if (m) channel.ack(m);
      });
      // An established connection, as the management API lists it.
      await poll(
        async () => (await admin.listUserConnections(username)).length > 0,
        `connection of ${username} listed`,
      );
      const publishing = setInterval(
        () => pubChannel.publish('brom.lat-producer', `tick.${trial}`, Buffer.from('x')),
        2,
      );
      const beforeApproval = await feedSnapshot();
      let approvedAt = Date.now();
      await portal.subscriptions.approveSubscription(ALICE, requested.id, { generation: requested.generation });
      try {
        await poll(async () => receivedAt !== undefined, `${name} received a message`);
      } finally {
        clearInterval(publishing);
      }
      approveMs.push(receivedAt! - approvedAt);
      feed.approveBytes.push(deltaBytes(beforeApproval, await feedSnapshot()));
      const current = await portal.subscriptions.getSubscription(ALICE, requested.id);
      await portal.subscriptions.revokeSubscription(ALICE, requested.id, {
        generation: current.generation,
        reason: 'bench',
      });
      // Revoking the subscription leaves the consumer connected (it still reads its queue);
      // revoking its credential withdraws its access and closes the connection.
      const beforeRevocation = await feedSnapshot();
      approvedAt = Date.now();
      await portal.credentials.revokeCredential(BOB, name, issued.credential.id);
      await poll(async () => closedAt !== undefined, `${name}'s connection closed`);
      revokeMs.push(closedAt! - approvedAt);
      feed.revokeBytes.push(deltaBytes(beforeRevocation, await feedSnapshot()));
      // Where the time went: the reconciler's requests after the revocation, relative to it.
      const after = proxy.requests.filter(r => r.startedAt >= approvedAt);
      const at = (r: { startedAt: number; finishedAt?: number } | undefined) =>
        r ? `${r.startedAt - approvedAt}–${(r.finishedAt ?? NaN) - approvedAt} ms` : 'none';
      revokeSteps.push(
        `delete permissions ${at(after.find(r => r.method === 'DELETE' && r.path.startsWith('/api/permissions/')))}, ` +
          `delete binding ${at(after.find(r => r.method === 'DELETE' && r.path.startsWith('/api/bindings/')))}, ` +
          `list connections ${at(after.find(r => r.method === 'GET' && r.path.startsWith('/api/connections')))}, ` +
          `close ${at(after.find(r => r.method === 'DELETE' && r.path.startsWith('/api/connections/')))}, ` +
          `closed event ${closedAt! - approvedAt} ms`,
      );
      if (!native) await admin.deleteUser(username, { ignoreNotFound: true });
    }
    const summary = (values: number[]) =>
      `p50 ${Math.round(percentile(values, 50))} ms, p95 ${Math.round(percentile(values, 95))} ms (min ${Math.min(
        ...values,
      )}, max ${Math.max(...values)}, n ${values.length})`;
    log(`approve -> first message (${options.authz} mode): ${summary(approveMs)}`);
    log(`credential revoked -> connection closed (${options.authz} mode): ${summary(revokeMs)}`);
    const bytes = (values: number[]) => `p50 ${Math.round(percentile(values, 50))} B (max ${Math.max(...values)})`;
    log(
      `authz feed: snapshot build ${summary(feed.buildMs)}; whole snapshot ${bytes(feed.wholeBytes)}; ` +
        `delta of an approval ${bytes(feed.approveBytes)}, of a credential revocation ${bytes(feed.revokeBytes)}`,
    );
    if (options.verbose) {
      for (const steps of revokeSteps) log(`  revoke: ${steps}`);
      const slowest = proxy.requests
        .filter(r => r.startedAt >= trialsStarted && r.finishedAt !== undefined)
        .map(r => ({ what: `${r.method} ${decodeURIComponent(r.path)}`, ms: r.finishedAt! - r.startedAt }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 8);
      log(`slowest reconciler requests during the trials: ${slowest.map(r => `${r.what} ${r.ms} ms`).join('; ')}`);
    }
    log(
      `passes during the trials: ${passDurations.incremental.length} incremental (${summary(
        passDurations.incremental,
      )}), ${passDurations.full.length} full (store read, plan and status after a background observation: ${
        passDurations.full.length ? summary(passDurations.full) : 'none'
      })`,
    );

    if (options.json) {
      await writeFile(
        options.json,
        JSON.stringify(
          {
            authz: options.authz,
            shape,
            counts,
            floorMs,
            convergeMs,
            confirmedMs,
            passes,
            totalWrites,
            idle: { requests: idleTally, ms: idlePassMs },
            idleIncremental: { ms: idleIncrementalMs },
            passDurations,
            approveMs,
            revokeMs,
            feed,
            revokeSteps,
          },
          null,
          2,
        ),
      );
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await knex?.destroy().catch(() => undefined);
    await database?.drop().catch(() => undefined);
    await node.stop();
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(error);
    process.exit(1);
  },
);
