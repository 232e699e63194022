import {
  ALICE,
  BOB,
  TEAM_A,
  TEAM_B,
} from '@internal/plugin-brom-backend/testUtils';
import amqp, { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { JsonLogger, SnapshotStore, journalPath } from '@internal/brom-sidecar';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../process';
import { useTestDatabase } from '../postgres';
import { useDedicatedRabbitNode } from '../rabbitmq/testRabbit';
import { PortalDoor } from './PortalDoor';
import { SidecarProcess } from './SidecarProcess';
import {
  Issued,
  Portal,
  SIDECAR_TOKEN,
  VHOST,
  brokerOf,
  callPortal,
  createOrdersAndBilling,
  issueCredential as issue,
  portalUrlOf,
  readBroker,
  startPortal as startBackend,
  startSidecarOnFeed,
} from './__utils__/portal';

/*
 * The authz path end to end: a RabbitMQ node whose HTTP auth backend calls the real sidecar
 * command, which long-polls the snapshot feed of a real BROM backend listening on a port, on a
 * PostgreSQL database. Applications, types, subscriptions and credentials are made through the
 * REST API as their owners would; the broker objects the reconciler would declare are declared
 * here by the node's administrator.
 *
 * The same steps run in both authorisation modes, each on a node of its own:
 * - `live`: the reconciler is off, so every decision the test sees is the sidecar's;
 * - `native`: the node authenticates through the sidecar and authorises internally, from the
 *   users and permissions the portal's real reconciler writes (it adopts the objects declared
 *   here, which match its own with classic queues), and closes revoked users' connections.
 *
 * One dedicated node per mode: its auth port can host only one sidecar. The steps share one
 * portal and build on each other; the last one stops the portal.
 */

/** How long a change in the portal may take to reach the broker's decisions. */
const PROPAGATION_MS = 30_000;

const ACCESS_REFUSED = /ACCESS.REFUSED/;

/**
 * The `rabbitmq.conf` lines of each mode over the harness's live defaults
 * (`auth_backends.1 = internal`, `auth_backends.2 = http`): the native mode keeps the internal
 * backend first for operators and the reconciler, and makes the second one authenticate
 * through the sidecar and authorise internally (docs/operations.md).
 */
const MODES = ['live', 'native'] as const;

const MODE_CONFIG: Record<'live' | 'native', Record<string, string | null>> = {
  live: {},
  native: {
    'auth_backends.2': null,
    'auth_backends.2.authn': 'http',
    'auth_backends.2.authz': 'internal',
  },
};

describe.each(MODES)('the authz sidecar, %s mode', mode => {
  let backend: Portal | undefined;
  let portalUrl: string;
  let sidecar: SidecarProcess | undefined;
  let snapshotDir: string;
  let snapshotPath: string;
  let producer: Issued;
  let consumer: Issued;
  let otherProducer: Issued;
  let otherConsumer: Issued;
  let revoked: Issued | undefined;
  /** A second replica of the portal, until it becomes `backend`. */
  let replica: Portal | undefined;

  // Declared before the node and the database are: Jest runs afterAll hooks in the order they
  // are declared, and the portal and the sidecar must stop before the database is dropped and
  // the node stopped (else the portal's pool reconnects to a dropped database while it stops).
  afterAll(async () => {
    await sidecar?.kill();
    await replica?.stop();
    await backend?.stop();
    if (snapshotDir) {
      await rm(snapshotDir, { recursive: true, force: true });
    }
  }, 60_000);

  const node = useDedicatedRabbitNode({
    authRequestTimeoutMs: 2_000,
    config: MODE_CONFIG[mode],
  });
  const database = useTestDatabase();

  const amqpUrl = (username: string, password: string, vhost = VHOST) =>
    node().amqpUrl(vhost, username, password);

  const api = <T = any>(
    who: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ) => callPortal<T>(portalUrl, who, method, path, body);

  const issueCredential = (
    who: string,
    application: string,
    body: { expiresAt?: string } = {},
  ) => issue(portalUrl, who, application, body);

  async function brokerUserExists(username: string): Promise<boolean> {
    return (
      (await readBroker(node(), management => management.getUser(username))) !==
      undefined
    );
  }

  /** Opens a connection, or says why the broker refused it. */
  async function connect(
    username: string,
    password: string,
    vhost = VHOST,
  ): Promise<ChannelModel | Error> {
    try {
      return await amqp.connect(amqpUrl(username, password, vhost), {
        timeout: 10_000,
      });
    } catch (error) {
      return error as Error;
    }
  }

  async function connectOutcome(
    username: string,
    password: string,
    vhost = VHOST,
  ): Promise<string> {
    const connection = await connect(username, password, vhost);
    if (connection instanceof Error) {
      return connection.message;
    }
    await connection.close();
    return 'connected';
  }

  async function connectOrFail(credential: Issued): Promise<ChannelModel> {
    const connection = await connect(credential.username, credential.secret);
    if (connection instanceof Error) {
      throw new Error(
        `${credential.username} could not connect: ${connection.message}\n${sidecar?.output}`,
      );
    }
    return connection;
  }

  /** Polls until the credential can open a connection (its snapshot reached the sidecar). */
  async function waitUntilConnects(credential: Issued): Promise<void> {
    await pollUntil(
      async () =>
        (await connectOutcome(credential.username, credential.secret)) ===
        'connected'
          ? true
          : undefined,
      {
        timeoutMs: PROPAGATION_MS,
        describe: () => `${credential.username} to be able to connect`,
      },
    );
  }

  async function waitUntilRefused(credential: Issued): Promise<string> {
    let last = '';
    return pollUntil(
      async () => {
        last = await connectOutcome(credential.username, credential.secret);
        return ACCESS_REFUSED.test(last) ? last : undefined;
      },
      {
        timeoutMs: PROPAGATION_MS,
        describe: () =>
          `${credential.username} to be refused (last outcome: ${last})`,
      },
    );
  }

  /**
   * Runs one operation on a fresh channel: 'ok', or the reason the broker closed the channel
   * (e.g. `403 (ACCESS-REFUSED) … ACCESS_REFUSED - write access to topic …`).
   */
  async function onChannel<C extends Channel>(
    open: () => Promise<C>,
    operation: (channel: C) => Promise<unknown>,
  ): Promise<string> {
    const channel = await open();
    let channelError: Error | undefined;
    channel.on('error', error => {
      channelError = error;
    });
    const closed = new Promise(resolve => channel.once('close', resolve));
    try {
      await operation(channel);
      await channel.close();
      return 'ok';
    } catch (error) {
      await closed;
      return (channelError ?? (error as Error)).message;
    }
  }

  function publish(
    connection: ChannelModel,
    exchange: string,
    routingKey: string,
    body = 'hello',
  ): Promise<string> {
    return onChannel<ConfirmChannel>(
      () => connection.createConfirmChannel(),
      async channel => {
        channel.publish(exchange, routingKey, Buffer.from(body));
        await channel.waitForConfirms();
      },
    );
  }

  function consume(connection: ChannelModel, queue: string): Promise<string> {
    return onChannel(
      () => connection.createChannel(),
      channel => channel.consume(queue, () => {}, { noAck: true }),
    );
  }

  /** Takes messages from the queue, within a bound, until one carries `body`; returns them all. */
  async function receiveUntil(
    connection: ChannelModel,
    queue: string,
    body: string,
  ): Promise<Array<{ routingKey: string; body: string }>> {
    const channel = await connection.createChannel();
    const received: Array<{ routingKey: string; body: string }> = [];
    try {
      return await pollUntil(
        async () => {
          for (;;) {
            const message = await channel.get(queue, { noAck: true });
            if (!message) {
              return undefined;
            }
            received.push({
              routingKey: message.fields.routingKey,
              body: message.content.toString(),
            });
            if (received[received.length - 1].body === body) {
              return received;
            }
          }
        },
        {
          timeoutMs: 10_000,
          describe: () =>
            `"${body}" in ${queue} (got ${JSON.stringify(received)})`,
        },
      );
    } finally {
      await channel.close();
    }
  }

  /** A BROM backend on the test's database; a second one is another replica of the portal. */
  function startPortal() {
    return startBackend(
      database(),
      mode === 'live'
        ? { broker: { vhost: VHOST }, reconciler: { enabled: false } }
        : {
            authz: { mode: 'native' },
            broker: { ...brokerOf(node()), queueType: 'classic' },
            reconciler: { enabled: true, resyncSeconds: 5 },
          },
    );
  }

  beforeAll(async () => {
    backend = await startPortal();
    portalUrl = portalUrlOf(backend);

    // A producer and a consumer with an approved subscription, and one more of each, owned by
    // the other team, to be refused.
    await createOrdersAndBilling(portalUrl);
    await api(BOB, 'POST', '/applications', {
      name: 'shipping',
      owner: TEAM_B,
    });
    await api(BOB, 'POST', '/applications/shipping/notification-types', {
      name: 'shipment-sent',
      routingKeyPattern: 'shipment.#',
      description: 'A parcel left the warehouse',
    });
    await api(ALICE, 'POST', '/applications', {
      name: 'tracking',
      owner: TEAM_A,
    });
    const tracking = await api(ALICE, 'POST', '/subscriptions', {
      consumer: 'tracking',
      producer: 'shipping',
      notificationType: 'shipment-sent',
      justification: 'Tell customers where parcels are',
    });
    await api(BOB, 'POST', `/subscriptions/${tracking.id}/approve`, {
      generation: tracking.generation,
    });
    // Tracking also produces: its exchange and its queue share a name.
    await api(ALICE, 'POST', '/applications/tracking/notification-types', {
      name: 'parcel-located',
      routingKeyPattern: 'parcel.located',
      description: 'A parcel was scanned',
    });
    producer = await issueCredential(ALICE, 'orders');
    consumer = await issueCredential(BOB, 'billing');
    otherProducer = await issueCredential(BOB, 'shipping');
    otherConsumer = await issueCredential(ALICE, 'tracking');

    // What the reconciler would declare for them.
    const management = node().managementClient();
    try {
      await management.putVhost(VHOST);
      await management.putPermissions(VHOST, node().admin.username, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    } finally {
      await management.close();
    }
    const admin = await amqp.connect(
      node().amqpUrl(VHOST, node().admin.username, node().admin.password),
    );
    try {
      const channel = await admin.createChannel();
      for (const exchange of [
        'brom.orders',
        'brom.shipping',
        'brom.tracking',
      ]) {
        await channel.assertExchange(exchange, 'topic', { durable: true });
      }
      // With the reconciler's arguments (classic queues, the dead-letter exchange: decision
      // 0028): in the native mode its own declarations of the same queues may come first, and
      // a queue is redeclared only with the arguments it has.
      for (const queue of ['brom.billing', 'brom.tracking']) {
        await channel.assertExchange(`${queue}.dlx`, 'fanout', {
          durable: true,
        });
        await channel.assertQueue(queue, {
          durable: true,
          arguments: { 'x-dead-letter-exchange': `${queue}.dlx` },
        });
        await channel.assertQueue(`${queue}.dlq`, { durable: true });
      }
      await channel.bindQueue('brom.billing', 'brom.orders', 'order.*.created');
      await channel.bindQueue('brom.tracking', 'brom.shipping', 'shipment.#');
    } finally {
      await admin.close();
    }

    snapshotDir = await mkdtemp(join(tmpdir(), 'brom-sidecar-test-'));
    snapshotPath = join(snapshotDir, 'state', 'authz-snapshot.json');
    sidecar = await startSidecarOnFeed({
      portalUrl,
      node: node(),
      snapshotPath,
    });
  }, 120_000);

  it('lets a producer publish its own routing keys to its own exchange, and nothing else', async () => {
    await waitUntilConnects(producer);
    const connection = await connectOrFail(producer);
    try {
      expect(await publish(connection, 'brom.orders', 'order.42.created')).toBe(
        'ok',
      );
      // Unique keys: each one is a new /auth/topic question, never a cached answer.
      for (const key of ['order.43.created', 'order.44.created']) {
        expect(await publish(connection, 'brom.orders', key)).toBe('ok');
      }
      // `*` takes whatever the exchange routes to `order.*.created`: ULIDs, other scripts, UTF-8
      // the broker sends percent-encoded, even an empty word.
      const wildcardKeys = [
        'order.01HXYZ3K8Q9VRT6WJ5N2C4B7DE.created',
        'order.ØRE-7.created',
        'order.注文.created',
        'order..created',
      ];
      for (const key of wildcardKeys) {
        expect([
          key,
          await publish(connection, 'brom.orders', key, `wildcard ${key}`),
        ]).toEqual([key, 'ok']);
      }
      // And the exchange routed each of them to the subscriber's queue (taken from it here, so
      // the consumer's test finds only numbered orders).
      const reader = await connectOrFail(consumer);
      try {
        const routed = await receiveUntil(
          reader,
          'brom.billing',
          `wildcard ${wildcardKeys[wildcardKeys.length - 1]}`,
        );
        expect(
          routed
            .filter(message => message.body.startsWith('wildcard '))
            .map(message => message.routingKey),
        ).toEqual(wildcardKeys);
      } finally {
        await reader.close();
      }
      // Literal words are compared exactly, as the exchange compares them.
      for (const key of [
        'Order.1.created',
        'order.1.Created',
        'order.1.créated',
      ]) {
        expect(await publish(connection, 'brom.orders', key)).toMatch(
          ACCESS_REFUSED,
        );
      }

      const notDeclared = await publish(
        connection,
        'brom.orders',
        'order.42.cancelled',
      );
      expect(notDeclared).toMatch(ACCESS_REFUSED);
      expect(notDeclared).toContain("topic 'order.42.cancelled'");
      expect(await publish(connection, 'brom.orders', 'order.created')).toMatch(
        ACCESS_REFUSED,
      );

      // Another application's exchange, even with a key its own types declare.
      const otherExchange = await publish(
        connection,
        'brom.shipping',
        'shipment.7',
      );
      expect(otherExchange).toMatch(ACCESS_REFUSED);
      expect(otherExchange).toContain("exchange 'brom.shipping'");
      // Broker-owned exchanges: the default exchange straight into a queue, and amq.topic.
      expect(await publish(connection, '', 'brom.billing')).toMatch(
        ACCESS_REFUSED,
      );
      expect(await publish(connection, 'amq.topic', 'order.1.created')).toMatch(
        ACCESS_REFUSED,
      );
      // Declaring is the reconciler's business.
      expect(
        await onChannel(
          () => connection.createChannel(),
          channel => channel.assertExchange('brom.orders.mine', 'topic'),
        ),
      ).toMatch(ACCESS_REFUSED);
    } finally {
      await connection.close();
    }

    // In the native mode the broker asked the sidecar only who the user is: every resource and
    // routing key above was decided by the broker itself.
    const decisions = await sidecar!.decisions();
    expect({
      user: decisions.user > 0,
      resource: (decisions.resource ?? 0) > 0,
      topic: (decisions.topic ?? 0) > 0,
    }).toEqual(
      mode === 'native'
        ? { user: true, resource: false, topic: false }
        : { user: true, resource: true, topic: true },
    );

    // The other producer is held to its own exchange in the same way.
    const other = await connectOrFail(otherProducer);
    try {
      expect(await publish(other, 'brom.shipping', 'shipment.7.sent')).toBe(
        'ok',
      );
      expect(await publish(other, 'brom.orders', 'order.1.created')).toMatch(
        ACCESS_REFUSED,
      );
    } finally {
      await other.close();
    }
  });

  it('lets a consumer read only its own queues', async () => {
    const publisher = await connectOrFail(producer);
    try {
      expect(
        await publish(publisher, 'brom.orders', 'order.77.created', 'order 77'),
      ).toBe('ok');
      // A producer cannot read what it publishes to others.
      expect(await consume(publisher, 'brom.billing')).toMatch(ACCESS_REFUSED);
    } finally {
      await publisher.close();
    }

    const connection = await connectOrFail(consumer);
    try {
      // Whatever the producer published so far, routed by the subscription's binding.
      const received = await receiveUntil(
        connection,
        'brom.billing',
        'order 77',
      );
      expect(received[received.length - 1].routingKey).toBe('order.77.created');
      for (const message of received) {
        expect(message.routingKey).toMatch(/^order\.\d+\.created$/);
      }
      expect(await consume(connection, 'brom.billing')).toBe('ok');
      expect(await consume(connection, 'brom.billing.dlq')).toBe('ok');

      const othersQueue = await consume(connection, 'brom.tracking');
      expect(othersQueue).toMatch(ACCESS_REFUSED);
      expect(othersQueue).toContain("queue 'brom.tracking'");
      expect(await consume(connection, 'brom.tracking.dlq')).toMatch(
        ACCESS_REFUSED,
      );
      // A consumer does not publish.
      expect(
        await publish(connection, 'brom.orders', 'order.1.created'),
      ).toMatch(ACCESS_REFUSED);
    } finally {
      await connection.close();
    }

    const other = await connectOrFail(otherConsumer);
    try {
      expect(await consume(other, 'brom.tracking')).toBe('ok');
      expect(await consume(other, 'brom.billing')).toMatch(ACCESS_REFUSED);
    } finally {
      await other.close();
    }
  });

  it('lets an application that produces and consumes use its exchange and queue, and bind neither', async () => {
    await waitUntilConnects(otherConsumer);
    const connection = await connectOrFail(otherConsumer);
    try {
      expect(await publish(connection, 'brom.tracking', 'parcel.located')).toBe(
        'ok',
      );
      expect(await publish(connection, 'brom.tracking', 'parcel.lost')).toMatch(
        ACCESS_REFUSED,
      );
      expect(await consume(connection, 'brom.tracking')).toBe('ok');
      // The broker's permissions cannot tell an exchange from a queue of the same name; binding
      // still needs topic `read`, which nobody gets, whatever the key.
      for (const key of ['parcel.located', '', '#']) {
        expect([
          key,
          await onChannel(
            () => connection.createChannel(),
            channel => channel.bindQueue('brom.tracking', 'brom.tracking', key),
          ),
        ]).toEqual([key, expect.stringMatching(ACCESS_REFUSED)]);
      }
      expect(
        await onChannel(
          () => connection.createChannel(),
          channel => channel.bindExchange('brom.tracking', 'brom.tracking', ''),
        ),
      ).toMatch(ACCESS_REFUSED);
      // Nor publish straight into its own queue through the default exchange.
      expect(await publish(connection, '', 'brom.tracking')).toMatch(
        ACCESS_REFUSED,
      );
    } finally {
      await connection.close();
    }
  });

  it('refuses unknown users, wrong secrets, other vhosts and internal users with a wrong password', async () => {
    const randomSecret = () => randomBytes(32).toString('base64url');
    expect(
      await connectOutcome(
        `orders.${randomBytes(4).toString('hex')}`,
        producer.secret,
      ),
    ).toMatch(ACCESS_REFUSED);
    expect(await connectOutcome('nobody', randomSecret())).toMatch(
      ACCESS_REFUSED,
    );
    expect(await connectOutcome(producer.username, randomSecret())).toMatch(
      ACCESS_REFUSED,
    );
    // Another application's secret under this username.
    expect(await connectOutcome(producer.username, consumer.secret)).toMatch(
      ACCESS_REFUSED,
    );
    expect(await connectOutcome(producer.username, '')).toMatch(ACCESS_REFUSED);
    // The right secret, but only for BROM's vhost: the broker closes the connection instead
    // of opening it (amqplib reports the close frame without its text).
    expect(
      await connectOutcome(producer.username, producer.secret, '/'),
    ).toMatch(/Expected ConnectionOpenOk; got <ConnectionClose/);

    // An operator in the broker's own user database: the internal backend admits the right
    // password; a wrong one falls through to the sidecar, which must not know the name.
    const management = node().managementClient();
    const operatorPassword = randomSecret();
    try {
      await management.putUser('operator', { password: operatorPassword });
      await management.putPermissions(VHOST, 'operator', {
        configure: '',
        write: '',
        read: '.*',
      });
      expect(await connectOutcome('operator', operatorPassword)).toBe(
        'connected',
      );
      expect(await connectOutcome('operator', randomSecret())).toMatch(
        ACCESS_REFUSED,
      );
      expect(
        await connectOutcome(node().admin.username, producer.secret),
      ).toMatch(ACCESS_REFUSED);
    } finally {
      await management.close();
    }
  });

  it('stops admitting a credential once it is revoked or has expired', async () => {
    const toRevoke = await issueCredential(ALICE, 'orders');
    const expiresInMs = 12_000;
    const expiresAtMs = Date.now() + expiresInMs;
    const expiring = await issueCredential(BOB, 'billing', {
      expiresAt: new Date(expiresAtMs).toISOString(),
    });
    await waitUntilConnects(toRevoke);
    await waitUntilConnects(expiring);
    // Connections opened before: the native mode's reconciler closes them.
    const revokedOpen = await connectOrFail(toRevoke);
    const expiringOpen = await connectOrFail(expiring);
    const closedAt = (connection: ChannelModel) =>
      new Promise<number>(resolve =>
        connection.once('close', () => resolve(Date.now())),
      );
    const revokedClosed = closedAt(revokedOpen);
    const expiringClosed = closedAt(expiringOpen);
    revokedOpen.on('error', () => {});
    expiringOpen.on('error', () => {});

    const revokedAt = Date.now();
    await api(
      ALICE,
      'POST',
      `/applications/orders/credentials/${toRevoke.id}/revoke`,
      {},
    );
    revoked = toRevoke;
    await waitUntilRefused(toRevoke);
    // In the native mode the reconciler removes the user's permissions, closes its open
    // connection, then deletes the user (in the live mode it is off here, and there is none).
    const revokeToClosedMs =
      mode === 'native' ? (await revokedClosed) - revokedAt : 0;
    process.stdout.write(
      mode === 'native'
        ? `native mode: revoke -> connection closed ${revokeToClosedMs} ms\n`
        : `live mode: revoke: open connections are the reconciler's (off here)\n`,
    );
    expect(revokeToClosedMs).toBeLessThan(PROPAGATION_MS);
    await pollUntil(
      async () =>
        (await brokerUserExists(toRevoke.username)) ? undefined : true,
      {
        timeoutMs: PROPAGATION_MS,
        describe: () => `the broker user of ${toRevoke.username} to be deleted`,
      },
    );
    // The application's other credential is untouched.
    expect(await connectOutcome(producer.username, producer.secret)).toBe(
      'connected',
    );

    // No one touches the expiring credential: the sidecar's clock ends it (and in the native
    // mode the reconciler, woken at its expiry, closes its connection and removes its user).
    await waitUntilRefused(expiring);
    const expiryToClosedMs =
      mode === 'native' ? (await expiringClosed) - expiresAtMs : 0;
    process.stdout.write(
      mode === 'native'
        ? `native mode: expiry -> connection closed ${expiryToClosedMs} ms\n`
        : `live mode: expiry: open connections are the reconciler's (off here)\n`,
    );
    expect(expiryToClosedMs).toBeLessThan(PROPAGATION_MS);
    await Promise.all(
      [revokedOpen, expiringOpen].map(c => c.close().catch(() => {})),
    );
    expect(await connectOutcome(consumer.username, consumer.secret)).toBe(
      'connected',
    );
  });

  it('takes a change as a delta from the version it holds; the portal sends the whole snapshot for a version it lacks', async () => {
    const feed = async (query: string, held?: number) => {
      const res = await fetch(
        `${portalUrl}/api/brom/authz/snapshot?sidecar=probe${query}`,
        {
          headers: {
            Authorization: `Bearer ${SIDECAR_TOKEN}`,
            ...(held === undefined ? {} : { 'If-None-Match': `"${held}"` }),
          },
        },
      );
      expect(res.status).toBe(200);
      return { etag: res.headers.get('etag'), text: await res.text() };
    };
    const before = await feed('');
    const from = Number(JSON.parse(before.text).version);
    const asking = `&delta=1&epoch=${encodeURIComponent(
      JSON.parse(before.text).epoch,
    )}`;
    // What the sidecar holds is the version the portal served it last.
    await sidecar!.waitUntilReady(
      r => r.snapshot?.version === from,
      PROPAGATION_MS,
    );

    const mark = sidecar!.output.length;
    const added = await issueCredential(BOB, 'billing');
    await waitUntilConnects(added);
    expect(sidecar!.output.slice(mark)).toMatch(
      new RegExp(`Snapshot delta applied.*"from":${from}`),
    );

    const delta = await feed(asking, from);
    const whole = await feed('', from);
    expect(delta.etag).toBe(whole.etag);
    const body = JSON.parse(delta.text);
    expect(body).toMatchObject({
      from,
      version: JSON.parse(whole.text).version,
      applications: { put: [], remove: [] },
      // (The credential of the test before has expired since: it goes too.)
      credentials: {
        put: [expect.objectContaining({ username: added.username })],
      },
    });
    expect(delta.text.length).toBeLessThan(whole.text.length / 2);
    // A version the portal never served (nor remembers) gets the whole snapshot.
    expect(JSON.parse((await feed(asking, 1)).text)).not.toHaveProperty('from');
    // Nor does a sidecar that names no epoch, or another one.
    expect(JSON.parse((await feed('&delta=1', from)).text)).not.toHaveProperty(
      'from',
    );
  });

  it('follows a second portal when the first stops, and takes news within 5 s of a portal answering again', async () => {
    replica = await startPortal();
    const replicaUrl = `http://127.0.0.1:${replica.server.port()}`;
    // The sidecar reaches the replica through a door the test can shut and open again.
    const door = await PortalDoor.open(replica.server.port());
    try {
      await sidecar!.kill();
      sidecar = await SidecarProcess.start({
        portalUrl: `${portalUrl},${door.url}`,
        token: SIDECAR_TOKEN,
        authPort: node().ports.auth,
        snapshotPath,
        defaultBackoff: true,
      });
      // Loaded from disk; ready to follow once a portal has answered.
      const before = await sidecar.waitUntilReady(
        r => r.feedLastSuccessAgeSeconds !== undefined,
      );

      // The first portal stops; what changes through the replica reaches the broker.
      await backend!.stop();
      backend = replica;
      replica = undefined;
      portalUrl = replicaUrl;
      const afterFailover = await issueCredential(ALICE, 'tracking');
      const issuedAt = Date.now();
      const failedOver = await sidecar.waitUntilReady(
        r => r.snapshot!.version > before.snapshot!.version,
      );
      const failoverMs = Date.now() - issuedAt;
      await waitUntilConnects(afterFailover);
      expect(sidecar.output).toContain('Following another portal');

      // Both portals unreachable, long enough for the backoff to reach its cap (four rounds:
      // about 0.4 + 0.8 + 1.5 + 3 s).
      await door.shut();
      const outageStart = sidecar.output.length;
      await pollUntil(
        async () =>
          sidecar!.output.slice(outageStart).split('keeping the snapshot held')
            .length > 4
            ? true
            : undefined,
        {
          timeoutMs: PROPAGATION_MS,
          describe: () => `four failed rounds:\n${sidecar!.output}`,
        },
      );
      const duringOutage = await issueCredential(BOB, 'shipping');
      await door.reopen();
      const reopenedAt = Date.now();
      await sidecar.waitUntilReady(
        r => r.snapshot!.version > failedOver.snapshot!.version,
      );
      const recoveryMs = Date.now() - reopenedAt;
      await waitUntilConnects(duringOutage);

      expect(failoverMs).toBeLessThan(5_000);
      expect(recoveryMs).toBeLessThan(5_000);
    } finally {
      await door.shut();
    }
  });

  it('keeps deciding with the portal down, also after a restart from its disk copy', async () => {
    expect(revoked).toBeDefined();
    const serving = await sidecar!.waitUntilReady();
    await backend!.stop();
    backend = undefined;

    const expectDecisionsUnchanged = async () => {
      const publisher = await connectOrFail(producer);
      try {
        expect(
          await publish(
            publisher,
            'brom.orders',
            `order.${randomBytes(3).toString('hex')}.created`,
          ),
        ).toBe('ok');
        expect(
          await publish(publisher, 'brom.orders', 'order.1.shipped'),
        ).toMatch(ACCESS_REFUSED);
      } finally {
        await publisher.close();
      }
      const reader = await connectOrFail(consumer);
      try {
        expect(await consume(reader, 'brom.billing')).toBe('ok');
        expect(await consume(reader, 'brom.tracking')).toMatch(ACCESS_REFUSED);
      } finally {
        await reader.close();
      }
      expect(await connectOutcome(revoked!.username, revoked!.secret)).toMatch(
        ACCESS_REFUSED,
      );
      expect(
        await connectOutcome(
          producer.username,
          randomBytes(32).toString('base64url'),
        ),
      ).toMatch(ACCESS_REFUSED);
      expect(await connectOutcome('nobody', producer.secret)).toMatch(
        ACCESS_REFUSED,
      );
    };

    // Let the sidecar notice: its long poll fails and it backs off, still serving from memory.
    await pollUntil(
      async () =>
        sidecar!.output.includes('Snapshot poll failed') ? true : undefined,
      {
        timeoutMs: PROPAGATION_MS,
        describe: () =>
          `the sidecar to report the portal gone:\n${sidecar!.output}`,
      },
    );
    await expectDecisionsUnchanged();

    // The disk copy (the whole snapshot the sidecar last wrote and the journal of the deltas
    // after it) makes the snapshot being served, and is private to the sidecar's user.
    const onDisk = await SnapshotStore.create({
      path: snapshotPath,
      logger: JsonLogger.create({ level: 'error', sink: () => {} }),
    }).load();
    expect(onDisk?.snapshot.version).toBe(serving.snapshot!.version);
    expect(onDisk?.journalDeltas).toBeGreaterThan(0);
    for (const file of [snapshotPath, journalPath(snapshotPath)]) {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }

    await sidecar!.kill();
    // With the sidecar gone the broker denies every application, within its request timeout.
    expect(await connectOutcome(producer.username, producer.secret)).toMatch(
      ACCESS_REFUSED,
    );

    sidecar = await SidecarProcess.start({
      portalUrl,
      token: SIDECAR_TOKEN,
      authPort: node().ports.auth,
      snapshotPath,
    });
    const restarted = await sidecar.waitUntilReady();
    expect(restarted.snapshot).toMatchObject({
      source: 'disk',
      version: serving.snapshot!.version,
    });
    await expectDecisionsUnchanged();
  });
});
