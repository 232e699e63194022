import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import bromPlugin, { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';
import bromModuleMemberships from '@internal/plugin-brom-backend-module-memberships';
import catalogModuleBrom from '@internal/plugin-catalog-backend-module-brom';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  ADMINS,
  ALICE,
  authFactory,
  BOB,
  httpAuthFactory,
  TEAM_A,
  TEAM_B,
  userInfoFactory,
} from '@internal/plugin-brom-backend/testUtils';
import { databaseHandles } from '../databaseHandles';
import { pollUntil } from '../process';

/*
 * BROM's catalog module against the real catalog backend: relations follow what was
 * approved, for a Component BROM emits and for one linked from a catalog file location,
 * and nothing is left behind when BROM deletes a type or an application.
 */

jest.setTimeout(180_000);

const dir = mkdtempSync(join(tmpdir(), 'brom-catalog-'));
const catalogFile = join(dir, 'catalog-info.yaml');
writeFileSync(
  catalogFile,
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shipping-service
spec:
  type: service
  lifecycle: production
  owner: ${TEAM_B}
`,
);

let server: any;
let stop: () => Promise<void>;
const databases = databaseHandles(['catalog', 'brom']);

beforeAll(async () => {
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleBrom,
      bromPlugin,
      bromModuleMemberships,
      ...databases.modules,
      permissionPlugin,
      bromPermissionPolicyModule,
      schedulerServiceFactory,
      userInfoFactory,
      authFactory,
      httpAuthFactory,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          permission: { enabled: true },
          brom: { admins: [ADMINS], catalog: { pollSeconds: 1, fullRefreshSeconds: 600 } },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [{ allow: ['Component', 'API', 'Location'] }],
            locations: [{ type: 'file', target: catalogFile }],
          },
        },
      }),
    ],
  });
  server = backend.server;
  stop = () => backend.stop();
});

afterAll(async () => {
  await stop?.();
  await databases.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const as = (user: string) => ({ Authorization: mockCredentials.user.header(user) });

async function brom(method: 'get' | 'post' | 'patch' | 'delete', path: string, user: string, body?: object) {
  const res = await request(server)[method](`/api/brom${path}`).set(as(user)).send(body);
  if (res.status >= 300) {
    throw new Error(`${method.toUpperCase()} ${path} → ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

async function entity(kind: string, name: string): Promise<Entity | undefined> {
  const res = await request(server)
    .get(`/api/catalog/entities/by-name/${kind}/default/${name}`)
    .set(as(ALICE));
  return res.status === 200 ? res.body : undefined;
}

function hasRelation(e: Entity | undefined, type: string, target: string) {
  return Boolean(e?.relations?.some(r => r.type === type && r.targetRef === target));
}

async function eventually(describe: string, check: () => Promise<boolean>) {
  await pollUntil(async () => ((await check()) ? true : undefined), {
    timeoutMs: 60_000,
    intervalMs: 250,
    describe: () => describe,
  });
}

describe('BROM in the catalog', () => {
  const api = 'api:default/orders.order-created';

  it('publishes a notification type as an API owned by the producer', async () => {
    await brom('post', '/applications', ALICE, { name: 'orders', owner: TEAM_A });
    await brom('post', '/applications/orders/notification-types', ALICE, {
      name: 'order-created',
      routingKeyPattern: 'order.*.created',
      description: 'An order was placed',
      payloadSchema: { type: 'object', properties: { orderId: { type: 'string' } } },
    });
    await eventually('the API entity appears', async () => Boolean(await entity('api', 'orders.order-created')));
    const apiEntity = (await entity('api', 'orders.order-created'))!;
    expect(apiEntity.spec).toMatchObject({ type: 'asyncapi', owner: TEAM_A });
    expect(hasRelation(await entity('component', 'orders'), 'providesApi', api)).toBe(true);
  });

  it('adds consumer relations on approval and removes them on revocation, for emitted and linked components', async () => {
    await brom('post', '/applications', BOB, { name: 'billing', owner: TEAM_B });
    await brom('post', '/applications', BOB, {
      name: 'shipping',
      owner: TEAM_B,
      entityRef: 'component:default/shipping-service',
    });
    const requests = [];
    for (const consumer of ['billing', 'shipping']) {
      requests.push(
        await brom('post', '/subscriptions', BOB, {
          consumer,
          producer: 'orders',
          notificationType: 'order-created',
          justification: 'We act on new orders',
        }),
      );
    }
    // Requested is not approved: no relation yet.
    await eventually('the billing Component appears', async () => Boolean(await entity('component', 'billing')));
    expect(hasRelation(await entity('component', 'billing'), 'consumesApi', api)).toBe(false);
    expect(await entity('component', 'shipping')).toBeUndefined();

    for (const s of requests) {
      await brom('post', `/subscriptions/${s.id}/approve`, ALICE, { generation: s.generation });
    }
    await eventually('billing consumes the API', async () =>
      hasRelation(await entity('component', 'billing'), 'consumesApi', api),
    );
    await eventually('the linked shipping-service consumes the API', async () =>
      hasRelation(await entity('component', 'shipping-service'), 'consumesApi', api),
    );
    await eventually('the API lists both consumers', async () => {
      const e = await entity('api', 'orders.order-created');
      return (
        hasRelation(e, 'apiConsumedBy', 'component:default/billing') &&
        hasRelation(e, 'apiConsumedBy', 'component:default/shipping-service')
      );
    });

    for (const s of requests) {
      const current = await brom('get', `/subscriptions/${s.id}`, ALICE);
      await brom('post', `/subscriptions/${s.id}/revoke`, ALICE, {
        generation: current.generation,
        reason: 'Contract ended',
      });
    }
    await eventually('billing no longer consumes the API', async () =>
      !hasRelation(await entity('component', 'billing'), 'consumesApi', api),
    );
    await eventually('shipping-service no longer consumes the API', async () =>
      !hasRelation(await entity('component', 'shipping-service'), 'consumesApi', api),
    );
  });

  it('leaves no orphaned entities when a type or an application is deleted', async () => {
    const type = await brom('get', '/applications/orders/notification-types/order-created', ALICE);
    await brom('delete', `/applications/orders/notification-types/order-created?generation=${type.generation}`, ALICE);
    await eventually('the API entity is gone', async () => !(await entity('api', 'orders.order-created')));

    const app = await brom('get', '/applications/billing', BOB);
    await brom('delete', `/applications/billing?generation=${app.generation}`, BOB);
    await eventually('the billing Component is gone', async () => !(await entity('component', 'billing')));
    // The file-defined Component stays: BROM never owned it.
    expect(await entity('component', 'shipping-service')).toBeDefined();
  });
});
