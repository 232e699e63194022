import { mockCredentials } from '@backstage/backend-test-utils';
import type { ManagementClient } from '@internal/rabbitmq-management';
import amqp from 'amqplib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../postgres';
import { findFreePorts, pollUntil, runCommand } from '../process';
import { RabbitCluster } from '../rabbitmq/RabbitCluster';
import { BackendProcess, dropPluginDatabases } from '../reconciler/__utils__/backendProcess';
import { ManagementProxy } from '../reconciler/__utils__/ManagementProxy';
import {
  ALICE,
  BOB,
  ReconcilerTestBackend,
  bromBrokerConfig,
  startApiBackend,
} from '../reconciler/__utils__/bromBackend';
import { SidecarProcess } from '../sidecar/SidecarProcess';
import {
  ReconnectingConsumer,
  ReconnectingPublisher,
} from './__utils__/clusterClients';

/*
 * The production topology on loopback: three clustered RabbitMQ nodes, each asking its own
 * sidecar; two backend processes on one PostgreSQL database that reconcile through every
 * node's management API; the REST API (and the sidecars' snapshot feed) served by a third
 * replica in this process that runs no reconciler. The two backends are the production
 * artifact: packages/backend/dist (built first if missing) started with NODE_ENV=production on
 * app-config.production.yaml with the cluster's management URLs (BackendProcess.startProduction).
 *
 * The sidecars reach the API replica through a proxy on a fixed port, so that the replica
 * can be replaced after a database restore.
 *
 * The steps build on each other: the whole loop through every node (then a backup of the
 * database), one broker node stopped, one sidecar stopped, the leading backend killed, and
 * the backup restored as docs/operations.md says (no manual step: the portal sees that the
 * sidecars hold versions the restored database has not reached and gives it a new epoch).
 * Each step logs what it measured.
 */

const VHOST = 'brom';
const PREFIX = 'brom.';
const LEASE_TAKEN = 'This replica now runs the BROM reconciler';
const ACCESS_REFUSED = /ACCESS.REFUSED/;

/** The sidecars' identity, as in the sidecar test: a mock service token of the sidecar subject. */
const SIDECAR_TOKEN = mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('brom-sidecar'),
  targetPluginId: 'brom',
});

/** The static token the production backends require (their feed is not what the sidecars poll here). */
const PRODUCTION_SIDECAR_TOKEN = 'topology-test-sidecar-token-3b9d71';

interface Credential {
  username: string;
  secret: string;
}

/** Runs a PostgreSQL client tool against `database`; throws with its output when it fails. */
async function pgTool(tool: string, args: string[], database: TestDatabase) {
  const { host, port, user, password, database: name } = database.connection;
  const result = await runCommand(
    tool,
    ['--host', host, '--port', String(port), '--username', user, '--dbname', name, ...args],
    { env: { PATH: process.env.PATH, PGPASSWORD: password }, timeoutMs: 60_000 },
  );
  if (result.code !== 0) {
    throw new Error(`${tool} ${args.join(' ')} failed: ${result.output}`);
  }
}

async function stateVersion(database: TestDatabase): Promise<{ version: number; epoch: string }> {
  const client = new Client(database.connection);
  await client.connect();
  try {
    const { rows } = await client.query('SELECT version, epoch FROM brom_state_version');
    return { version: Number(rows[0].version), epoch: rows[0].epoch };
  } finally {
    await client.end();
  }
}

function report(figure: string, value: unknown) {
  process.stdout.write(`[topology] ${figure}: ${JSON.stringify(value)}\n`);
}

describe('the production topology: three nodes, three sidecars, two backends', () => {
  let dir: string;
  let cluster: RabbitCluster;
  let management: ManagementClient;
  let database: TestDatabase;
  let api: ReconcilerTestBackend;
  let sidecarPorts: number[];
  const sidecars: SidecarProcess[] = [];
  const backends: BackendProcess[] = [];
  let feedProxy: ManagementProxy;
  let backupFile: string;
  /** Issued after the backup: the restored portal does not know it. */
  let lateCredential: Credential;
  let producer: Credential;
  let consumer: Credential;
  const clients: Array<{ stop(): Promise<void> }> = [];

  const urlsFor = (credential: Credential) =>
    cluster.amqpUrls(VHOST, credential.username, credential.secret);

  async function startSidecar(i: number) {
    const sidecar = await SidecarProcess.start({
      portalUrl: feedProxy.url,
      token: SIDECAR_TOKEN,
      authPort: sidecarPorts[i],
      snapshotPath: join(dir, `sidecar-${i}.json`),
      instanceId: `sidecar-${i}`,
    });
    sidecars[i] = sidecar;
    return sidecar;
  }

  /** A backend replica from the production build, reconciling through every node. */
  async function startBackend(port: number, name: string): Promise<BackendProcess> {
    const { reconciler, broker } = bromBrokerConfig({
      managementUrl: cluster.managementUrls,
      vhost: VHOST,
      ...cluster.admin,
    });
    return BackendProcess.startProduction({
      port,
      database,
      dir,
      name,
      broker: {
        vhost: VHOST,
        managementUrls: cluster.managementUrls,
        amqpUrls: cluster.nodes.map(n => `amqp://${n.host}:${n.ports.amqp}`),
        ...cluster.admin,
      },
      brom: {
        admins: ['group:default/brom-admins'],
        reconciler,
        broker: {
          prefix: broker.prefix,
          queueType: broker.queueType,
          policyPriority: broker.policyPriority,
          requestTimeoutMs: broker.requestTimeoutMs,
        },
      },
      sidecarToken: PRODUCTION_SIDECAR_TOKEN,
    });
  }

  /** Connects through one node, or says why the broker refused. */
  async function outcomeOn(node: number, credential: Credential): Promise<string> {
    try {
      const connection = await amqp.connect(urlsFor(credential)[node], { timeout: 10_000 });
      await connection.close();
      return 'connected';
    } catch (error) {
      return (error as Error).message;
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brom-topology-'));
    sidecarPorts = await findFreePorts(3);
    const started = await Promise.all([
      RabbitCluster.start({
        nodes: sidecarPorts.map(authPort => ({ authPort, authRequestTimeoutMs: 2_000 })),
      }),
      (async () => {
        database = await createTestDatabase();
        api = await startApiBackend(database, { reconciler: { enabled: false } });
      })(),
    ]);
    cluster = started[0];
    management = cluster.managementClient();
    await management.putVhost(VHOST);
    await management.putPermissions(VHOST, cluster.admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });

    feedProxy = await ManagementProxy.start({ target: api.url });
    for (let i = 0; i < 3; i++) {
      await startSidecar(i);
    }

    // One after the other, as in the leader test: Backstage's own migrations race in an
    // empty database.
    for (const [i, port] of (await findFreePorts(2)).entries()) {
      backends.push(await startBackend(port, `backend-${i}`));
    }
  }, 400_000);

  afterAll(async () => {
    await Promise.all(clients.splice(0).map(c => c.stop()));
    await Promise.all(backends.map(b => b.stop()));
    await Promise.all(sidecars.map(s => s?.stop()));
    await feedProxy?.close();
    await api?.stop();
    if (database) {
      await dropPluginDatabases(database);
      await database.drop();
    }
    await management?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it('runs the whole loop through every node', async () => {
    const { portal } = api;
    const [orderCreated] = await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    await portal.subscribe('billing', orderCreated);
    producer = await portal.createCredential(ALICE, 'orders');
    consumer = await portal.createCredential(BOB, 'billing');
    await portal.waitUntilReady('orders', 60_000);
    await portal.waitUntilReady('billing', 60_000);

    const queue = await management.getQueue(VHOST, `${PREFIX}billing`);
    expect(queue.type).toBe('quorum');
    expect([...(queue.members ?? [])].sort()).toEqual(
      cluster.nodes.map(n => n.nodeName).sort(),
    );

    // Every sidecar has the credentials once each node lets both applications in.
    for (let node = 0; node < 3; node++) {
      for (const credential of [producer, consumer]) {
        await pollUntil(
          async () => ((await outcomeOn(node, credential)) === 'connected' ? true : undefined),
          { timeoutMs: 30_000, describe: () => `${credential.username} to log in on node ${node}` },
        );
      }
    }

    for (let node = 0; node < 3; node++) {
      const publisher = await amqp.connect(urlsFor(producer)[node]);
      const channel = await publisher.createConfirmChannel();
      const body = `through node ${node}`;
      channel.publish(`${PREFIX}orders`, 'order.eu.created', Buffer.from(body), {
        persistent: true,
      });
      await channel.waitForConfirms();
      await publisher.close();

      const reader = await amqp.connect(urlsFor(consumer)[(node + 1) % 3]);
      const consuming = await reader.createChannel();
      const message = await pollUntil(
        async () => (await consuming.get(`${PREFIX}billing`, { noAck: true })) || undefined,
        { timeoutMs: 10_000, describe: () => `the message published through node ${node}` },
      );
      await reader.close();
      expect(message.content.toString()).toBe(body);
    }

    backupFile = join(dir, 'brom.dump');
    await pgTool('pg_dump', ['--format', 'custom', '--file', backupFile], database);
  });

  it('loses no confirmed message and keeps converging when a broker node stops', async () => {
    const consumerClient = ReconnectingConsumer.start({
      urls: urlsFor(consumer),
      firstNode: 0,
      queue: `${PREFIX}billing`,
    });
    const publisher = ReconnectingPublisher.start({
      urls: urlsFor(producer),
      firstNode: 0,
      exchange: `${PREFIX}orders`,
      routingKey: 'order.eu.created',
      intervalMs: 20,
    });
    clients.push(consumerClient, publisher);
    await pollUntil(async () => (publisher.confirmed.length >= 50 ? true : undefined), {
      timeoutMs: 30_000,
      describe: () => 'the publisher to get going',
    });

    const stoppedAt = Date.now();
    await cluster.nodes[0].stopBroker();
    report('node 0 stop took ms', Date.now() - stoppedAt);
    const confirmedAtStop = publisher.confirmed.length;
    await pollUntil(
      async () =>
        publisher.reconnects.length > 0 && publisher.confirmed.length >= confirmedAtStop + 50
          ? true
          : undefined,
      { timeoutMs: 60_000, describe: () => 'the publisher to go on through another node' },
    );
    await publisher.stop();
    await pollUntil(
      async () =>
        publisher.confirmed.every(id => consumerClient.received.has(id)) ? true : undefined,
      {
        timeoutMs: 30_000,
        describe: () =>
          `every confirmed message to arrive; missing: ${publisher.confirmed
            .filter(id => !consumerClient.received.has(id))
            .slice(0, 10)}`,
      },
    );
    await consumerClient.stop();
    report('publisher reconnects', publisher.reconnects);
    report('consumer reconnects', consumerClient.reconnects);
    report('confirmed messages', publisher.confirmed.length);
    report(
      'confirmed messages lost',
      publisher.confirmed.filter(id => !consumerClient.received.has(id)).length,
    );
    expect(publisher.reconnects.map(r => r.from)).toEqual([0]);
    expect(consumerClient.reconnects.map(r => r.from)).toEqual([0]);

    // The reconciler's current management node is gone too: it goes on through another.
    const { portal } = api;
    const [orderShipped] = await portal.createProducer('shipping', [
      { name: 'order-shipped', pattern: 'order.*.shipped' },
    ]);
    await portal.createConsumer('archive');
    await portal.subscribe('archive', orderShipped);
    lateCredential = await portal.createCredential(ALICE, 'shipping');
    const convergeStart = Date.now();
    await portal.waitUntilReady('archive', 60_000);
    report('converged without node 0, ms', Date.now() - convergeStart);
    expect(await management.getQueue(VHOST, `${PREFIX}archive`)).toMatchObject({
      type: 'quorum',
    });
  });

  it('refuses new connections on the node whose sidecar stops, and only there', async () => {
    await sidecars[1].stop();
    expect(await outcomeOn(1, producer)).toMatch(ACCESS_REFUSED);
    expect(await outcomeOn(2, producer)).toBe('connected');
    expect(await outcomeOn(2, consumer)).toBe('connected');

    const sidecar = await startSidecar(1);
    await sidecar.waitUntilReady();
    expect(await outcomeOn(1, producer)).toBe('connected');
  });

  it('hands reconciliation to the other backend when the leader is killed', async () => {
    const leader = backends.findIndex(b => b.logTail(100_000).includes(LEASE_TAKEN));
    expect(leader).toBeGreaterThanOrEqual(0);
    const standby = 1 - leader;
    expect(backends[standby].logTail(100_000)).not.toContain(LEASE_TAKEN);

    await backends[leader].kill();
    const killedAt = Date.now();
    const { portal } = api;
    const [orderCreated] = await portal.createProducer('payments', [
      { name: 'payment-made', pattern: 'payment.*.made' },
    ]);
    await portal.createConsumer('ledger');
    await portal.subscribe('ledger', orderCreated);
    await pollUntil(
      async () => (backends[standby].logTail(100_000).includes(LEASE_TAKEN) ? true : undefined),
      { timeoutMs: 60_000, describe: () => `backend-${standby} to take the lease` },
    );
    report('lease taken over after kill -9, ms', Date.now() - killedAt);
    await portal.waitUntilReady('ledger', 60_000);
    report('converged after kill -9, ms', Date.now() - killedAt);
    expect(backends[standby].exited).toBe(false);
  });

  it('takes a restored database: the sidecars its snapshot, the reconciler its topology', async () => {
    await pollUntil(
      async () => ((await outcomeOn(2, lateCredential)) === 'connected' ? true : undefined),
      { timeoutMs: 30_000, describe: () => 'the credential issued after the backup to work' },
    );
    const before = await stateVersion(database);

    // docs/operations.md: stop the backends, restore, start them again.
    await Promise.all(backends.splice(0).map(b => b.stop()));
    await api.stop();
    const feedPort = feedProxy.port;
    await feedProxy.close();
    await pgTool('pg_restore', ['--clean', '--if-exists', '--no-owner', backupFile], database);
    const restored = await stateVersion(database);
    expect(restored.version).toBeLessThan(before.version);
    // The dump brought back the epoch it was taken with: the same as before the restore.
    expect(restored.epoch).toBe(before.epoch);

    api = await startApiBackend(database, { reconciler: { enabled: false } });
    feedProxy = await ManagementProxy.start({ target: api.url, port: feedPort });
    const feedBackAt = Date.now();
    // The first sidecar to poll holds a version the restored database has not reached: the
    // portal gives the database a new epoch, and every sidecar takes its snapshot.
    const renewed = await pollUntil(
      async () => {
        const now = await stateVersion(database);
        return now.epoch !== before.epoch ? now : undefined;
      },
      { timeoutMs: 60_000, describe: () => 'the restored database to get a new epoch' },
    );
    report('restored database got a new epoch, ms after the portal came back', Date.now() - feedBackAt);
    await Promise.all(
      sidecars.map(sidecar =>
        sidecar.waitUntilReady(r => r.snapshot?.version === renewed.version, 60_000),
      ),
    );
    report('sidecars took the restored snapshot, ms after the portal came back', Date.now() - feedBackAt);
    for (const sidecar of sidecars) {
      expect(sidecar.output).toContain('Portal database changed; taking its snapshot');
    }
    expect(await outcomeOn(2, lateCredential)).toMatch(ACCESS_REFUSED);
    expect(await outcomeOn(2, producer)).toBe('connected');

    // Drift while no reconciler ran: the restored subscription's binding is gone.
    const binding = () => management.listBindingsBetween(VHOST, `${PREFIX}orders`, `${PREFIX}billing`);
    for (const found of await binding()) {
      await management.deleteBinding(found);
    }
    expect(await binding()).toEqual([]);

    const [port] = await findFreePorts(1);
    backends.push(await startBackend(port, 'backend-restored'));
    const reconcilerAt = Date.now();
    const restoredBinding = await pollUntil(
      async () => {
        const found = await binding();
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 60_000, describe: () => 'the reconciler to bind billing to orders again' },
    );
    report('reconciler converged on the restored database, ms', Date.now() - reconcilerAt);
    expect(restoredBinding.map(b => b.routing_key)).toEqual(['order.*.created']);
    await api.portal.waitUntilReady('billing', 60_000);
    const { status } = await api.api.get(BOB, '/applications/{name}', {
      params: { name: 'archive' },
    });
    expect(status).toBe(404);
  });
});
