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
import {
  ManagementClient,
  isNotFoundError,
} from '@internal/rabbitmq-management';
import type { TestDatabase } from '../../postgres';
import type { RabbitNode } from '../../rabbitmq/RabbitNode';
import { SidecarProcess } from '../SidecarProcess';

/*
 * What the sidecar suites (sidecar.test.ts, modeSwitch.test.ts) set up alike: a real BROM
 * backend listening on a port, on the suite's PostgreSQL database; its REST API called as the
 * application owners would; and the sidecar command in front of a dedicated node's auth port.
 */

/** BROM's vhost in the sidecar suites. */
export const VHOST = 'brom';

/**
 * The sidecars' identity. The test backend authenticates requests with Backstage's mock auth
 * (as the backend's own API tests do), which knows no `backend.auth.externalAccess` tokens; a
 * mock service token with the same subject stands in for the static token a deployment uses.
 */
export const SIDECAR_TOKEN = mockCredentials.service.token({
  onBehalfOf: mockCredentials.service('brom-sidecar'),
  targetPluginId: 'brom',
});

export type Portal = Awaited<ReturnType<typeof startTestBackend>>;

/**
 * A BROM backend on `database` with `brom` over the test config; a second one on the same
 * database is another replica of the portal.
 */
export function startPortal(
  database: TestDatabase,
  brom: Record<string, unknown>,
): Promise<Portal> {
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
              ...database.backendDatabaseConfig,
              // Every plugin in a schema of the test's database, dropped with it.
              pluginDivisionMode: 'schema',
            },
          },
          brom: { ...TEST_CONFIG.brom, ...brom },
        },
      }),
      databaseServiceFactory,
      userInfoFactory,
      authFactory,
      httpAuthFactory,
    ],
  });
}

/** Where `portal` listens. */
export function portalUrlOf(portal: Portal): string {
  return `http://127.0.0.1:${portal.server.port()}`;
}

/** The broker settings that let a portal's reconciler write to `node`. */
export function brokerOf(node: RabbitNode) {
  return {
    vhost: VHOST,
    managementUrl: node.managementUrl,
    username: node.admin.username,
    password: node.admin.password,
  };
}

/** Calls the portal's REST API as `who`; anything but 2xx throws with the status and body. */
export async function callPortal<T = any>(
  portalUrl: string,
  who: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${portalUrl}/api/brom${path}`, {
    method,
    headers: {
      Authorization: mockCredentials.user.header(who),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) {
    throw new Error(`${method} ${path} as ${who}: ${res.status} ${text}`);
  }
  return JSON.parse(text);
}

export interface Issued {
  username: string;
  secret: string;
  id: string;
}

/** A new credential of `application`, issued by its owner `who`. */
export async function issueCredential(
  portalUrl: string,
  who: string,
  application: string,
  body: { expiresAt?: string } = {},
): Promise<Issued> {
  const { credential, secret } = await callPortal(
    portalUrl,
    who,
    'POST',
    `/applications/${application}/credentials`,
    body,
  );
  return { username: credential.username, secret, id: credential.id };
}

/**
 * The pair both suites start from: `orders` (Alice's team) declares `order-created`
 * (`order.*.created`), and `billing` (Bob's team) has an approved subscription to it.
 */
export async function createOrdersAndBilling(portalUrl: string): Promise<void> {
  const post = (who: string, path: string, body: unknown) =>
    callPortal(portalUrl, who, 'POST', path, body);
  await post(ALICE, '/applications', { name: 'orders', owner: TEAM_A });
  await post(ALICE, '/applications/orders/notification-types', {
    name: 'order-created',
    routingKeyPattern: 'order.*.created',
    description: 'An order was placed',
  });
  await post(BOB, '/applications', { name: 'billing', owner: TEAM_B });
  const subscription = await post(BOB, '/subscriptions', {
    consumer: 'billing',
    producer: 'orders',
    notificationType: 'order-created',
    justification: 'Invoices follow orders',
  });
  await post(ALICE, `/subscriptions/${subscription.id}/approve`, {
    generation: subscription.generation,
  });
}

/** The sidecar on `node`'s auth port, following `portalUrl`; resolves once it serves the feed's snapshot. */
export async function startSidecarOnFeed(options: {
  portalUrl: string;
  node: RabbitNode;
  snapshotPath: string;
}): Promise<SidecarProcess> {
  const sidecar = await SidecarProcess.start({
    portalUrl: options.portalUrl,
    token: SIDECAR_TOKEN,
    authPort: options.node.ports.auth,
    snapshotPath: options.snapshotPath,
  });
  try {
    await sidecar.waitUntilReady(r => r.snapshot?.source === 'feed');
  } catch (error) {
    await sidecar.kill();
    throw error;
  }
  return sidecar;
}

/** What `read` finds through `node`'s management API, or undefined when it answers 404. */
export async function readBroker<T>(
  node: RabbitNode,
  read: (management: ManagementClient) => Promise<T>,
): Promise<T | undefined> {
  const management = node.managementClient();
  try {
    return await read(management);
  } catch (error) {
    if (isNotFoundError(error)) return undefined;
    throw error;
  } finally {
    await management.close();
  }
}
