import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../postgres';
import { findFreePorts } from '../process';
import { useRabbitVhost } from '../rabbitmq/testRabbit';
import {
  BackendProcess,
  dropPluginDatabases,
} from './__utils__/backendProcess';
import {
  ReconcilerTestBackend,
  bromBrokerConfig,
  startApiBackend,
} from './__utils__/bromBackend';
import { ManagementProxy } from './__utils__/ManagementProxy';
import { PREFIX, waitForTopology } from './__utils__/scenario';
import { TopologySpec, expectedTopology } from './__utils__/topology';

/*
 * Two real backend processes on one PostgreSQL database, each talking to the broker
 * through its own proxy: only the holder of the lease touches the broker, and when it
 * is killed or frozen (SIGSTOP) the other one takes over. Changes come through the REST API of a third
 * replica in this process that runs no reconciler; they reach the others only through
 * the database.
 */

const rabbit = useRabbitVhost();

describe('two backends on one database', () => {
  let dir: string;
  let database: TestDatabase;
  let api: ReconcilerTestBackend | undefined;
  const proxies: ManagementProxy[] = [];
  const backends: BackendProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brom-leader-'));
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await Promise.all(backends.splice(0).map(b => b.stop()));
    await Promise.all(proxies.splice(0).map(p => p.close()));
    await api?.stop();
    await dropPluginDatabases(database);
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The API in this process (no reconciler) and two reconciling backend processes, each
   * behind a counting proxy; returns once the first change has converged and says which of
   * the two leads.
   */
  async function twoReconcilingBackends() {
    api = await startApiBackend(database, { reconciler: { enabled: false } });
    const { portal } = api;
    const [orderCreated] = await portal.createProducer('orders', [
      { name: 'order-created', pattern: 'order.*.created' },
    ]);
    await portal.createConsumer('billing');
    await portal.subscribe('billing', orderCreated);
    const spec = (consumers: string[]): TopologySpec => ({
      prefix: PREFIX,
      producers: ['orders'],
      consumers: consumers.map(name => ({ name })),
      bindings: consumers.map(consumer => ({
        producer: 'orders',
        consumer,
        routingKey: 'order.*.created',
      })),
    });

    const ports = await findFreePorts(2);
    for (let i = 0; i < 2; i++) {
      proxies.push(
        await ManagementProxy.start({ target: rabbit.rabbit.managementUrl }),
      );
    }
    // One after the other: two backends creating their plugins' tables in an empty
    // database at the same moment race in Backstage's own migrations (the auth key store's
    // `create table`), which is not what this test is about.
    for (const [i, port] of ports.entries()) {
      backends.push(
        await BackendProcess.start({
          port,
          database,
          dir,
          name: `backend-${i}`,
          brom: {
            admins: ['group:default/brom-admins'],
            ...bromBrokerConfig({
              managementUrl: proxies[i].url,
              vhost: rabbit.name,
              ...rabbit.rabbit.admin,
            }),
          },
        }),
      );
    }

    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology(spec(['billing'])),
      60_000,
    );
    const leader = proxies.findIndex(p => p.writes().length > 0);
    expect(leader).toBeGreaterThanOrEqual(0);
    const standby = 1 - leader;
    return { portal, orderCreated, spec, leader, standby };
  }

  it('reconciles from one process at a time and fails over when it dies', async () => {
    const { portal, orderCreated, spec, leader, standby } =
      await twoReconcilingBackends();
    // The standby does not even read the broker: it has no lease.
    expect(proxies[standby].requests).toEqual([]);

    // A change while both run: the leader applies it, the standby stays silent.
    await portal.createConsumer('analytics');
    await portal.subscribe('analytics', orderCreated);
    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology(spec(['billing', 'analytics'])),
    );
    expect(proxies[standby].requests).toEqual([]);

    await backends[leader].kill();
    const killedAt = Date.now();
    const lastLeaderRequest = Math.max(
      ...proxies[leader].requests.map(r => r.finishedAt ?? r.startedAt),
    );

    await portal.createConsumer('search');
    await portal.subscribe('search', orderCreated);
    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology(spec(['billing', 'analytics', 'search'])),
      60_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    // The new leader's writes all came after the old leader's last request: the two
    // never wrote at the same time.
    const takeover = proxies[standby].writes();
    expect(takeover.length).toBeGreaterThan(0);
    expect(
      Math.min(...proxies[standby].requests.map(r => r.startedAt)),
    ).toBeGreaterThanOrEqual(lastLeaderRequest);
    expect(backends[standby].exited).toBe(false);
  });

  it('takes over from a frozen leader within the lease, and the leader does not write when it wakes', async () => {
    const { portal, orderCreated, spec, leader, standby } =
      await twoReconcilingBackends();

    // SIGSTOP: the process and its PostgreSQL sessions live on, but it does no work.
    process.kill(-backends[leader].pid, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      await portal.createConsumer('search');
      await portal.subscribe('search', orderCreated);
      await waitForTopology(
        rabbit.management,
        rabbit.name,
        expectedTopology(spec(['billing', 'search'])),
        60_000,
      );
      const takeoverMs = Date.now() - frozenAt;
      // The lease runs 10 s from the last renewal (every 2 s), the standby looks every 2 s.
      expect(takeoverMs).toBeLessThan(12_000 + 5_000);
      expect(proxies[standby].writes().length).toBeGreaterThan(0);
    } finally {
      process.kill(-backends[leader].pid, 'SIGCONT');
    }
    const wokeAt = Date.now();

    // Awake again, it finds its lease over and steps down: no broker write from it, while
    // the new leader applies the next change.
    await portal.createConsumer('mailer');
    await portal.subscribe('mailer', orderCreated);
    await waitForTopology(
      rabbit.management,
      rabbit.name,
      expectedTopology(spec(['billing', 'search', 'mailer'])),
      60_000,
    );
    expect(
      proxies[leader].writes().filter(r => r.startedAt >= frozenAt),
    ).toEqual([]);
    expect(
      proxies[standby].writes().filter(r => r.startedAt >= wokeAt).length,
    ).toBeGreaterThan(0);
    expect(backends[leader].exited).toBe(false);
  });
});
