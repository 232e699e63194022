import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import bromPlugin, {
  bromPermissionPolicyModule,
} from '@internal/plugin-brom-backend';
import {
  ALICE,
  BOB,
  TEAM_A,
  TEAM_B,
  TEST_CONFIG,
  authFactory,
  httpAuthFactory,
  userInfoFactory,
} from '@internal/plugin-brom-backend/testUtils';
import { isNotFoundError } from '@internal/rabbitmq-management';
import amqp, { ChannelModel } from 'amqplib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../process';
import { useTestDatabase } from '../postgres';
import { useDedicatedRabbitNode } from '../rabbitmq/testRabbit';
import { SidecarProcess } from './SidecarProcess';

/*
 * Switching the authorisation mode both ways, as docs/operations.md tells operators to, while
 * a producer keeps connecting and publishing: the portal goes to `native` (the reconciler
 * writes the permissions; each credential's passwordless broker user exists in both modes),
 * then the broker's backends change at runtime; back, the broker changes first, then the
 * portal (the reconciler removes the permissions, never a user: deleting one would close its
 * connections, including one opened a moment ago). No publish and no connection may be
 * refused or closed on the way.
 */

const VHOST = 'brom';
const WAIT_MS = 30_000;
const SIDECAR_TOKEN = mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('brom-sidecar'),
  targetPluginId: 'brom',
});

/** `auth_backends` as `rabbitmq.conf` sets it in each mode, applied to a running node. */
const BACKENDS = {
  live: '[rabbit_auth_backend_internal, rabbit_auth_backend_http]',
  native:
    '[rabbit_auth_backend_internal, {rabbit_auth_backend_http, rabbit_auth_backend_internal}]',
};

describe('switching between the live and the native authorisation mode', () => {
  const node = useDedicatedRabbitNode({ authRequestTimeoutMs: 2_000 });
  const database = useTestDatabase();
  let backend: Awaited<ReturnType<typeof startTestBackend>> | undefined;
  let portalUrl: string;
  let sidecar: SidecarProcess | undefined;
  let snapshotDir: string;

  function startPortal(mode: 'live' | 'native') {
    const db = database();
    return startTestBackend({
      features: [
        bromPlugin,
        permissionPlugin,
        bromPermissionPolicyModule,
        mockServices.rootConfig.factory({
          data: {
            ...TEST_CONFIG,
            backend: {
              database: {
                ...db.backendDatabaseConfig,
                pluginDivisionMode: 'schema',
              },
            },
            brom: {
              ...TEST_CONFIG.brom,
              authz: { mode },
              broker: {
                vhost: VHOST,
                managementUrl: node().managementUrl,
                username: node().admin.username,
                password: node().admin.password,
              },
              reconciler: { enabled: true, resyncSeconds: 5 },
            },
          },
        }),
        databaseServiceFactory,
        userInfoFactory,
        authFactory,
        httpAuthFactory,
      ],
    });
  }

  async function restartPortal(mode: 'live' | 'native') {
    await backend?.stop();
    backend = await startPortal(mode);
    portalUrl = `http://127.0.0.1:${backend.server.port()}`;
  }

  async function api<T = any>(
    who: string,
    path: string,
    body: unknown,
  ): Promise<T> {
    const res = await fetch(`${portalUrl}/api/brom${path}`, {
      method: 'POST',
      headers: {
        Authorization: mockCredentials.user.header(who),
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`POST ${path} as ${who}: ${res.status} ${text}`);
    return JSON.parse(text);
  }

  let producer: { username: string; secret: string };
  let consumer: { username: string; secret: string };

  beforeAll(async () => {
    await restartPortal('live');
    await api(ALICE, '/applications', { name: 'orders', owner: TEAM_A });
    await api(ALICE, '/applications/orders/notification-types', {
      name: 'order-created',
      routingKeyPattern: 'order.*.created',
      description: 'An order was placed',
    });
    await api(BOB, '/applications', { name: 'billing', owner: TEAM_B });
    const subscription = await api(BOB, '/subscriptions', {
      consumer: 'billing',
      producer: 'orders',
      notificationType: 'order-created',
      justification: 'Invoices follow orders',
    });
    await api(ALICE, `/subscriptions/${subscription.id}/approve`, {
      generation: subscription.generation,
    });
    const issue = async (who: string, application: string) => {
      const { credential, secret } = await api(
        who,
        `/applications/${application}/credentials`,
        {},
      );
      return {
        username: credential.username as string,
        secret: secret as string,
      };
    };
    producer = await issue(ALICE, 'orders');
    consumer = await issue(BOB, 'billing');

    snapshotDir = await mkdtemp(join(tmpdir(), 'brom-mode-switch-'));
    sidecar = await SidecarProcess.start({
      portalUrl,
      token: SIDECAR_TOKEN,
      authPort: node().ports.auth,
      snapshotPath: join(snapshotDir, 'authz-snapshot.json'),
    });
    await sidecar.waitUntilReady(r => r.snapshot?.source === 'feed');
  }, 120_000);

  afterAll(async () => {
    await sidecar?.kill();
    await backend?.stop();
    if (snapshotDir) await rm(snapshotDir, { recursive: true, force: true });
  }, 60_000);

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

  async function brokerUser(username: string): Promise<unknown> {
    const management = node().managementClient();
    try {
      return await management.getUser(username);
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    } finally {
      await management.close();
    }
  }

  async function setBackends(mode: 'live' | 'native') {
    await node().rabbitmqctl([
      'eval',
      `application:set_env(rabbit, auth_backends, ${BACKENDS[mode]}).`,
    ]);
  }

  async function brokerPermissions(username: string): Promise<unknown> {
    const management = node().managementClient();
    try {
      return await management.getPermissions(VHOST, username);
    } catch (error) {
      if (isNotFoundError(error)) return undefined;
      throw error;
    } finally {
      await management.close();
    }
  }

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
