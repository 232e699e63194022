import amqp from 'amqplib';
import { randomBytes } from 'node:crypto';
import type { NotificationType, Subscription } from '@internal/plugin-brom-common';
import { ManagementClient, ShovelDefinition } from '@internal/rabbitmq-management';
import { createTestDatabase } from '../postgres';
import { pollUntil } from '../process';
import { ManagementProxy } from '../reconciler/__utils__/ManagementProxy';
import {
  ADMIN,
  ALICE,
  ReconcilerTestBackend,
  TEAM_A,
  bromBrokerConfig,
  startApiBackend,
} from '../reconciler/__utils__/bromBackend';
import { recordingRootLogger } from './__utils__/recordingLogger';
import { RabbitCluster } from '../rabbitmq/RabbitCluster';
import { RabbitNode } from '../rabbitmq/RabbitNode';

/*
 * Shovels on one real three-node cluster, with a separate private node standing in for
 * another institution's broker (the upstream). Both describes share them (a cluster boots in
 * about a minute on a loaded machine).
 *
 * 1. The management client's shovel calls: where a shovel runs, moving messages, deleting it
 *    whichever node the client reached first. A dynamic shovel starts on the node whose API
 *    declared it, which is how each case puts it on the node it wants. Also measures what
 *    RabbitMQ itself does when a shovel is deleted through a node that does not run it
 *    (rabbitmq-server issue #2807): printed as `[shovel] …` lines, written down in
 *    docs/decisions/0018.
 * 2. An external producer registered through BROM's API, reconciled by a real backend.
 */

const VHOST = 'brom';

let rabbit: RabbitCluster | undefined;
let upstream: RabbitNode | undefined;
const cluster = () => rabbit!;

beforeAll(async () => {
  [rabbit, upstream] = await Promise.all([RabbitCluster.start(), RabbitNode.start()]);
}, 300_000);

afterAll(async () => {
  await Promise.all([rabbit?.stop(), upstream?.stop()]);
}, 120_000);

describe('the management client on a three-node cluster', () => {
  const clients: ManagementClient[] = [];

  beforeAll(async () => {
    const management = client(0);
    await management.putVhost(VHOST);
    await management.putPermissions(VHOST, cluster().admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    await management.putExchange(VHOST, 'brom.shop', { type: 'topic' });
    await management.putQueue(VHOST, 'brom.billing', {
      arguments: { 'x-queue-type': 'quorum' },
    });
    await management.bindQueue(VHOST, 'brom.shop', 'brom.billing', { routing_key: 'order.#' });
    const upstreamClient = upstream!.managementClient();
    await upstreamClient.putExchange('/', 'outbox', { type: 'topic' });
    await upstreamClient.close();
  });

  afterAll(async () => {
    await Promise.all(clients.map(c => c.close()));
  });

  /** A client whose first URL is node `first`'s (it fails over to the others in order). */
  function client(first: number): ManagementClient {
    const urls = cluster().managementUrls;
    const c = ManagementClient.create({
      baseUrl: [...urls.slice(first), ...urls.slice(0, first)],
      username: cluster().admin.username,
      password: cluster().admin.password,
      connections: 2,
      headersTimeoutMs: 30_000,
    });
    clients.push(c);
    return c;
  }

  /** A client that talks to one node only. */
  function onlyNode(index: number): ManagementClient {
    const c = ManagementClient.create({
      baseUrl: cluster().managementUrls[index],
      username: cluster().admin.username,
      password: cluster().admin.password,
    });
    clients.push(c);
    return c;
  }

  const definition = (): ShovelDefinition => ({
    'src-uri': upstream!.amqpUrl('/'),
    'src-exchange': 'outbox',
    'src-exchange-key': '#',
    'dest-uri': `amqp:///${VHOST}`,
    'dest-exchange': 'brom.shop',
    'ack-mode': 'on-confirm',
    'reconnect-delay': 1,
  });

  /** Declares the shovel through node `index` and waits until it runs (there). */
  async function declareOn(index: number, name: string) {
    await onlyNode(index).putShovel(VHOST, name, definition());
    return pollUntil(
      async () => {
        const [status] = await onlyNode(index).getShovelStatus(VHOST, name);
        return status?.state === 'running' ? status : undefined;
      },
      { timeoutMs: 30_000, describe: () => `shovel ${name} never ran` },
    );
  }

  /** Whether any node still has the shovel's parameter or a status of it, asking each node. */
  async function leftovers(name: string): Promise<string[]> {
    const found: string[] = [];
    for (const [i, node] of cluster().nodes.entries()) {
      const c = onlyNode(i);
      for (const status of await c.getShovelStatus(VHOST, name)) {
        found.push(`status ${status.state} on ${status.node} (asked ${node.nodeName})`);
      }
      const parameters = await c.listShovelParameters(VHOST);
      if (parameters.some(p => p.name === name)) found.push(`parameter (asked ${node.nodeName})`);
    }
    return found;
  }

  it('lists a shovel with its node and moves upstream messages into the exchange', async () => {
    const status = await declareOn(1, 'brom.shop');
    expect(status.node).toBe(cluster().nodes[1].nodeName);
    // Every node reports it, with the node it runs on and without the upstream's password.
    for (const i of [0, 2]) {
      const [seen] = await onlyNode(i).getShovelStatus(VHOST, 'brom.shop');
      expect(seen).toMatchObject({ node: cluster().nodes[1].nodeName, state: 'running' });
      expect(JSON.stringify(seen)).not.toContain(upstream!.admin.password);
    }

    const connection = await amqp.connect(upstream!.amqpUrl('/'));
    const channel = await connection.createConfirmChannel();
    channel.publish('outbox', 'order.eu.created', Buffer.from('{"id":1}'));
    await channel.waitForConfirms();
    await connection.close();

    const consumer = await amqp.connect(cluster().amqpUrls(VHOST)[2]);
    const received = await pollUntil(
      async () => {
        const ch = await consumer.createChannel();
        const message = await ch.get('brom.billing', { noAck: true });
        await ch.close();
        return message || undefined;
      },
      { timeoutMs: 30_000, describe: () => 'the shovelled message never arrived' },
    );
    expect(received.fields.routingKey).toBe('order.eu.created');
    expect(received.content.toString()).toBe('{"id":1}');
    await consumer.close();

    await client(0).deleteShovel(VHOST, 'brom.shop');
  });

  it('deletes a shovel through the node that runs it, not the one the client reached first', async () => {
    const status = await declareOn(2, 'brom.delete-me');
    expect(status.node).toBe(cluster().nodes[2].nodeName);

    const first = client(0);
    expect((await first.getOverview()).node).toBe(cluster().nodes[0].nodeName);
    await expect(first.deleteShovel(VHOST, 'brom.delete-me')).resolves.toBe(true);

    expect(await leftovers('brom.delete-me')).toEqual([]);
    await expect(first.deleteShovel(VHOST, 'brom.delete-me', { ignoreNotFound: true })).resolves.toBe(false);
  });

  it('restarts a shovel on its node', async () => {
    await declareOn(1, 'brom.restart-me');
    // The shovel is the upstream's only client now: a restart shows as a new connection there.
    const up = upstream!.managementClient();
    const connections = async () => (await up.listConnections()).map(c => c.name);
    const before = await pollUntil(
      async () => ((await connections()).length > 0 ? connections() : undefined),
      { timeoutMs: 30_000, describe: () => 'the upstream never listed the shovel’s connection' },
    );
    await expect(client(0).restartShovel(VHOST, 'brom.restart-me')).resolves.toBe(true);
    await pollUntil(
      async () => ((await connections()).some(name => !before.includes(name)) ? true : undefined),
      { timeoutMs: 30_000, describe: () => 'the shovel did not reconnect to the upstream' },
    );
    const [after] = await client(0).getShovelStatus(VHOST, 'brom.restart-me');
    expect(after.node).toBe(cluster().nodes[1].nodeName);
    await up.close();
    await client(0).deleteShovel(VHOST, 'brom.restart-me');
  });

  it('measures plain deletes through a node that does not run the shovel', async () => {
    const version = (await client(0).getOverview()).rabbitmq_version;

    // 1. The shovel plugin's own delete, sent to a node that does not run the shovel.
    await declareOn(1, 'brom.raw-delete');
    const raw = await fetch(
      `${cluster().managementUrls[0]}/api/shovels/vhost/${VHOST}/brom.raw-delete`,
      { method: 'DELETE', headers: { authorization: basic() } },
    );
    const rawLeft = await settledLeftovers('brom.raw-delete');
    console.log(
      `[shovel] RabbitMQ ${version}: DELETE /api/shovels/vhost through a non-hosting node answered ${raw.status}; left: ${rawLeft.join(', ') || 'nothing'}`,
    );
    await client(0).deleteShovel(VHOST, 'brom.raw-delete', { ignoreNotFound: true });
    expect(await leftovers('brom.raw-delete')).toEqual([]);

    // 2. Clearing the runtime parameter through a node that does not run the shovel.
    await declareOn(2, 'brom.parameter-delete');
    const cleared = await fetch(
      `${cluster().managementUrls[0]}/api/parameters/shovel/${VHOST}/brom.parameter-delete`,
      { method: 'DELETE', headers: { authorization: basic() } },
    );
    const parameterLeft = await settledLeftovers('brom.parameter-delete');
    // Does what is left still move messages?
    const connection = await amqp.connect(upstream!.amqpUrl('/'));
    const channel = await connection.createConfirmChannel();
    channel.publish('outbox', 'order.orphan', Buffer.from('orphan'));
    await channel.waitForConfirms();
    await connection.close();
    const consumer = await amqp.connect(cluster().amqpUrls(VHOST)[0]);
    const ch = await consumer.createChannel();
    let moved = false;
    const until = Date.now() + 10_000;
    while (!moved && Date.now() < until) {
      moved = Boolean(await ch.get('brom.billing', { noAck: true }));
      if (!moved) await new Promise(resolve => setTimeout(resolve, 250));
    }
    await consumer.close();
    console.log(
      `[shovel] RabbitMQ ${version}: DELETE /api/parameters/shovel through a non-hosting node answered ${cleared.status}; left: ${parameterLeft.join(', ') || 'nothing'}; a message published upstream afterwards ${moved ? 'still arrived' : 'did not arrive within 10 s'}`,
    );
    // The client never clears a running shovel's parameter through another node; faced with
    // what such a delete leaves behind, it says what is left instead of reporting success.
    const outcome = await client(0)
      .deleteShovel(VHOST, 'brom.parameter-delete', { ignoreNotFound: true })
      .then(
        () => 'deleted',
        (error: Error) => error.message,
      );
    const leftAfter = await leftovers('brom.parameter-delete');
    // Success only when nothing is left; otherwise the error says what is.
    expect({ success: outcome === 'deleted', nothingLeft: leftAfter.length === 0 }).toEqual({
      success: leftAfter.length === 0,
      nothingLeft: leftAfter.length === 0,
    });
    expect(outcome).toMatch(leftAfter.length === 0 ? /^deleted$/ : /still there after deletion: status running on/);
  });

  function basic() {
    const { username, password } = cluster().admin;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** What is left once the broker had 5 s to finish a delete (a measurement, not a wait for an outcome). */
  async function settledLeftovers(name: string): Promise<string[]> {
    let left: string[] = [];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      left = await leftovers(name);
      if (left.length === 0) break;
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    return left;
  }
});

describe('an external producer registered through BROM', () => {
  const EXT_VHOST = 'brom-ext';
  const encryptionKey = randomBytes(32).toString('base64');
  const upstreamUser = { username: 'partner-shovel', password: `up-${randomBytes(12).toString('hex')}` };
  const logs = recordingRootLogger();
  let proxy: ManagementProxy;
  let backend: ReconcilerTestBackend;
  let admin: ManagementClient;
  let subscription: Subscription;

  beforeAll(async () => {
    admin = cluster().managementClient();
    await admin.putVhost(EXT_VHOST);
    await admin.putPermissions(EXT_VHOST, cluster().admin.username, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    // The upstream gives the shovel's user only what a shovel from an exchange needs
    // (docs/operations.md): a server-named queue of its own, bound to the exchange.
    const up = upstream!.managementClient();
    await up.putExchange('/', 'partner-outbox', { type: 'topic' });
    await up.putUser(upstreamUser.username, { password: upstreamUser.password });
    await up.putPermissions('/', upstreamUser.username, {
      configure: '^amq\\.gen-.*',
      write: '^amq\\.gen-.*',
      read: '^(partner-outbox|amq\\.gen-.*)$',
    });
    await up.close();

    // The reconciler reaches the cluster through a proxy, first to node 1 (so the shovel
    // starts there), later to node 0.
    proxy = await ManagementProxy.start({ target: cluster().nodes[1].managementUrl });
    const database = await createTestDatabase();
    backend = await startApiBackend(
      database,
      {
        ...bromBrokerConfig({
          managementUrl: [proxy.url],
          vhost: EXT_VHOST,
          ...cluster().admin,
          settings: { requestTimeoutMs: 10_000 },
        }),
        externalProducers: { enabled: true, encryptionKey },
      },
      true,
      [logs.factory],
    );
  }, 120_000);

  afterAll(async () => {
    await backend?.stop();
    await proxy?.close();
    await admin?.close();
  });

  const shovelOf = async () =>
    (await backend.portal.status('partner')).objects.find(o => o.kind === 'shovel');

  async function publishUpstream(routingKey: string, body: string) {
    const connection = await amqp.connect(upstream!.amqpUrl('/'));
    const channel = await connection.createConfirmChannel();
    channel.publish('partner-outbox', routingKey, Buffer.from(body));
    await channel.waitForConfirms();
    await connection.close();
  }

  async function receive(queue: string) {
    const connection = await amqp.connect(cluster().amqpUrls(EXT_VHOST)[2]);
    try {
      return await pollUntil(
        async () => {
          const channel = await connection.createChannel();
          const message = await channel.get(queue, { noAck: true });
          await channel.close();
          return message || undefined;
        },
        { timeoutMs: 30_000, describe: () => `nothing arrived in ${queue}` },
      );
    } finally {
      await connection.close();
    }
  }

  it('brings what the upstream publishes to the subscribed consumer', async () => {
    const { api, portal } = backend;
    await api.post(ALICE, '/applications', {
      body: {
        name: 'partner',
        owner: TEAM_A,
        externalProducer: {
          upstreamUri: `amqp://127.0.0.1:${upstream!.ports.amqp}/%2F`,
          upstreamExchange: 'partner-outbox',
          upstreamRoutingKey: 'order.#',
          username: upstreamUser.username,
          password: upstreamUser.password,
        },
      },
      expect: 201,
    });
    const [created] = await createTypes(api, 'partner', [{ name: 'order-created', pattern: 'order.*.created' }]);
    await portal.createConsumer('billing');
    subscription = await portal.subscribe('billing', created);
    await portal.waitUntilReady('billing');
    // Ready means running: a shovel just written reads `Created` (Unknown) until a pass
    // sees it running, and passes look again a few seconds apart until then.
    const ready = await portal.waitUntilReady('partner', 60_000);
    expect(ready.objects.find(o => o.kind === 'shovel')).toMatchObject({
      key: 'shovel:brom.partner',
      condition: { status: 'True', reason: 'ShovelRunning' },
    });

    await publishUpstream('order.eu.created', '{"order":1}');
    const message = await receive('brom.billing');
    expect(message.fields.routingKey).toBe('order.eu.created');
    expect(message.content.toString()).toBe('{"order":1}');
  }, 240_000);

  it('says so while the upstream is down, and recovers when it is back', async () => {
    await upstream!.stopBroker();
    try {
      const down = await pollUntil(
        async () => {
          const shovel = await shovelOf();
          return shovel?.condition.status === 'False' ? shovel : undefined;
        },
        { timeoutMs: 60_000, describe: () => 'the status never said the shovel is down' },
      );
      expect(down.condition.reason).toMatch(/^Shovel(Starting|Terminated)$/);
      expect((await backend.portal.status('partner')).ready).toBe(false);
    } finally {
      await upstream!.startBroker();
    }
    const up = await backend.portal.waitUntilReady('partner', 90_000);
    expect(up.objects.find(o => o.kind === 'shovel')?.condition.reason).toBe('ShovelRunning');

    await publishUpstream('order.no.created', 'after the outage');
    expect((await receive('brom.billing')).content.toString()).toBe('after the outage');
  });

  it('removes the shovel when the producer is deleted, through the node that runs it', async () => {
    const [running] = await admin.getShovelStatus(EXT_VHOST, 'brom.partner');
    expect(running.node).toBe(cluster().nodes[1].nodeName);

    // From now on the reconciler's client first reaches node 0, which does not run it.
    proxy.retarget(cluster().nodes[0].managementUrl);
    proxy.clear();
    await backend.portal.revoke(subscription);
    await backend.portal.deleteApplication(ALICE, 'partner');
    await backend.portal.waitUntilFinalized('partner', 60_000);

    for (const [i] of cluster().nodes.entries()) {
      const own = ManagementClient.create({
        baseUrl: cluster().managementUrls[i],
        ...cluster().admin,
      });
      expect(await own.getShovelStatus(EXT_VHOST, 'brom.partner')).toEqual([]);
      expect(await own.listShovelParameters(EXT_VHOST)).toEqual([]);
      await own.close();
    }
    // The delete went straight to node 1's listener, not through the node first reached.
    expect(proxy.requests.filter(r => r.method === 'DELETE' && r.path.includes('shovels'))).toEqual([]);
  });

  it('never shows or logs the upstream password', async () => {
    const { api, knex } = backend;
    const readable = JSON.stringify(
      await Promise.all([
        api.get(ADMIN, '/audit-events', { query: { limit: 500 }, expect: 200 }),
        api.get(ALICE, '/applications', { query: { includeDeleted: true }, expect: 200 }),
      ].map(async r => (await r).body)),
    );
    const stored = JSON.stringify(
      await Promise.all(
        ['brom_audit_events', 'brom_domain_events', 'brom_sync_status', 'brom_applications'].map(
          table => knex(table).select(),
        ),
      ),
    );
    for (const secret of [upstreamUser.password, encodeURIComponent(upstreamUser.password)]) {
      expect(readable).not.toContain(secret);
      expect(stored).not.toContain(secret);
      expect(logs.lines.filter(line => line.includes(secret))).toEqual([]);
    }
    // The logs did record the reconciler at work, so their silence about the password means something.
    expect(logs.lines.length).toBeGreaterThan(10);
  });
});

async function createTypes(
  api: ReconcilerTestBackend['api'],
  application: string,
  types: Array<{ name: string; pattern: string }>,
): Promise<NotificationType[]> {
  const created: NotificationType[] = [];
  for (const type of types) {
    const res = await api.post(ALICE, '/applications/{name}/notification-types', {
      params: { name: application },
      body: { name: type.name, routingKeyPattern: type.pattern, description: type.name },
      expect: 201,
    });
    created.push(res.body);
  }
  return created;
}
