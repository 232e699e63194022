import { ALICE, BOB } from '@internal/plugin-brom-backend/testUtils';
import amqp, { ChannelModel } from 'amqplib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../process';
import { useTestDatabase } from '../postgres';
import { useDedicatedRabbitNode } from '../rabbitmq/testRabbit';
import { SidecarProcess } from './SidecarProcess';
import {
  Portal,
  VHOST,
  brokerOf,
  createOrdersAndBilling,
  issueCredential,
  portalUrlOf,
  readBroker,
  startPortal,
  startSidecarOnFeed,
} from './__utils__/portal';

/*
 * Switching the authorisation mode both ways, as docs/operations.md tells operators to, while
 * a producer keeps connecting and publishing: the portal goes to `native` (the reconciler
 * writes the permissions; each credential's passwordless broker user exists in both modes),
 * then the broker's backends change at runtime; back, the broker changes first, then the
 * portal (the reconciler removes the permissions, never a user: deleting one would close its
 * connections, including one opened a moment ago). No publish and no connection may be
 * refused or closed on the way.
 */

const WAIT_MS = 30_000;

/** `auth_backends` as `rabbitmq.conf` sets it in each mode, applied to a running node. */
const BACKENDS = {
  live: '[rabbit_auth_backend_internal, rabbit_auth_backend_http]',
  native:
    '[rabbit_auth_backend_internal, {rabbit_auth_backend_http, rabbit_auth_backend_internal}]',
};

describe('switching between the live and the native authorisation mode', () => {
  let backend: Portal | undefined;
  let portalUrl: string;
  let sidecar: SidecarProcess | undefined;
  let snapshotDir: string;

  // Declared before the node and the database are: Jest runs afterAll hooks in the order they
  // are declared, and the portal and the sidecar must stop before the database is dropped and
  // the node stopped (else the portal's pool reconnects to a dropped database while it stops).
  afterAll(async () => {
    await sidecar?.kill();
    await backend?.stop();
    if (snapshotDir) await rm(snapshotDir, { recursive: true, force: true });
  }, 60_000);

  const node = useDedicatedRabbitNode({ authRequestTimeoutMs: 2_000 });
  const database = useTestDatabase();

  async function restartPortal(mode: 'live' | 'native') {
    await backend?.stop();
    backend = await startPortal(database(), {
      authz: { mode },
      broker: brokerOf(node()),
      reconciler: { enabled: true, resyncSeconds: 5 },
    });
    portalUrl = portalUrlOf(backend);
  }

  let producer: { username: string; secret: string };
  let consumer: { username: string; secret: string };

  beforeAll(async () => {
    await restartPortal('live');
    await createOrdersAndBilling(portalUrl);
    producer = await issueCredential(portalUrl, ALICE, 'orders');
    consumer = await issueCredential(portalUrl, BOB, 'billing');

    snapshotDir = await mkdtemp(join(tmpdir(), 'brom-mode-switch-'));
    sidecar = await startSidecarOnFeed({
      portalUrl,
      node: node(),
      snapshotPath: join(snapshotDir, 'authz-snapshot.json'),
    });
  }, 120_000);

  const connect = (who: { username: string; secret: string }) =>
    amqp.connect(node().amqpUrl(VHOST, who.username, who.secret), {
      timeout: 10_000,
    });

  let sequence = 0;
  /** A new connection publishes one unique key, confirmed; refused keys throw. */
  async function connectAndPublish(): Promise<void> {
    const connection = await connect(producer);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(
        'brom.orders',
        `order.${++sequence}.created`,
        Buffer.from('x'),
      );
      await channel.waitForConfirms();
      await channel.close();
    } finally {
      await connection.close().catch(() => {});
    }
  }

  const brokerUser = (username: string) =>
    readBroker(node(), management => management.getUser(username));

  async function setBackends(mode: 'live' | 'native') {
    await node().rabbitmqctl([
      'eval',
      `application:set_env(rabbit, auth_backends, ${BACKENDS[mode]}).`,
    ]);
  }

  const brokerPermissions = (username: string) =>
    readBroker(node(), management =>
      management.getPermissions(VHOST, username),
    );

  it('switches to native and back while a producer keeps connecting and publishing', async () => {
    // Live mode: each credential has a broker user without password, tags or permissions;
    // the http backend, after the internal one, still authenticates and authorises it.
    for (const who of [producer, consumer]) {
      await pollUntil(
        async () => (await brokerUser(who.username)) ?? undefined,
        {
          timeoutMs: WAIT_MS,
          describe: () => `the broker user of ${who.username} in live mode`,
        },
      );
      expect(await brokerPermissions(who.username)).toBeUndefined();
    }
    await pollUntil(
      async () =>
        await connectAndPublish().then(
          () => true,
          () => undefined,
        ),
      {
        timeoutMs: WAIT_MS,
        describe: () => 'the producer to publish in live mode',
      },
    );
    // A long-lived consumer connection and a producer that never stops connecting anew.
    const reader: ChannelModel = await connect(consumer);
    let readerClosed: string | undefined;
    reader.on('close', () => {
      readerClosed ??= 'closed';
    });
    reader.on('error', error => {
      readerClosed = String(error);
    });
    const failures: string[] = [];
    let publishes = 0;
    let running = true;
    const traffic = (async () => {
      while (running) {
        try {
          await connectAndPublish();
          publishes++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    })();
    const waitForPublishes = async (more: number) => {
      const target = publishes + more;
      await pollUntil(async () => (publishes >= target ? true : undefined), {
        timeoutMs: WAIT_MS,
        describe: () =>
          `${more} more publishes (failures: ${failures.join('; ')})`,
      });
    };

    try {
      await waitForPublishes(5);

      // 1. The portal first: its reconciler writes permissions per credential.
      await restartPortal('native');
      for (const who of [producer, consumer]) {
        await pollUntil(
          async () => (await brokerPermissions(who.username)) ?? undefined,
          {
            timeoutMs: WAIT_MS,
            describe: () => `the broker permissions of ${who.username}`,
          },
        );
      }
      await waitForPublishes(5);

      // 2. Then the broker: the sidecar only authenticates from now on.
      await setBackends('native');
      // A connection opened before the change keeps its authorisation backend: let the one in
      // flight finish.
      await waitForPublishes(2);
      const before = await sidecar!.decisions();
      await waitForPublishes(10);
      const after = await sidecar!.decisions();
      expect(after.user).toBeGreaterThan(before.user);
      expect(after.topic).toBe(before.topic);
      expect(after.resource).toBe(before.resource);

      // 3. Back: the broker first, and the sidecar decides everything again ...
      await setBackends('live');
      await waitForPublishes(10);
      expect((await sidecar!.decisions()).topic).toBeGreaterThan(after.topic);

      // 4. ... then the portal, whose reconciler removes the permissions it wrote and keeps
      // the users.
      await restartPortal('live');
      for (const who of [producer, consumer]) {
        await pollUntil(
          async () =>
            (await brokerPermissions(who.username)) ? undefined : true,
          {
            timeoutMs: WAIT_MS,
            describe: () =>
              `the broker permissions of ${who.username} to be removed`,
          },
        );
      }
      await waitForPublishes(5);
    } finally {
      running = false;
      await traffic;
    }
    expect(failures).toEqual([]);
    // No user was deleted on the way: RabbitMQ logs each deletion as it closes the user's
    // connections. The node writes its log with a delay, so a marker logged now shows when
    // everything before it is in the file.
    const marker = `brom-mode-switch-marker-${Date.now()}`;
    await node().rabbitmqctl(['eval', `logger:warning("${marker}").`]);
    const log = await pollUntil(
      async () => {
        const text = await readFile(node().logFile, 'utf8');
        return text.includes(marker) ? text : undefined;
      },
      { timeoutMs: WAIT_MS, describe: () => 'the marker in the node log' },
    );
    expect(
      log
        .split('\n')
        .filter(line => line.includes('Closing all connections from user')),
    ).toEqual([]);
    for (const who of [producer, consumer]) {
      expect(await brokerUser(who.username)).toBeDefined();
      expect(await brokerPermissions(who.username)).toBeUndefined();
    }
    // The consumer's connection, opened in the live mode, lived through both switches.
    expect(readerClosed).toBeUndefined();
    const channel = await reader.createChannel();
    await channel.checkQueue('brom.billing');
    await reader.close();
  }, 240_000);
});
