import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import permissionPlugin from '@backstage/plugin-permission-backend';
import bromPlugin, {
  bromPermissionPolicyModule,
} from '@internal/plugin-brom-backend';
import {
  ADMINS,
  ALICE,
  authFactory,
  httpAuthFactory,
  TEAM_A,
  userInfoFactory,
} from '@internal/plugin-brom-backend/testUtils';
import { BromEntityProvider } from '@internal/plugin-catalog-backend-module-brom';
import { databaseHandles } from '../databaseHandles';
import { pollUntil } from '../process';
import request from 'supertest';

/*
 * BROM's entity provider against the real BROM backend, driven by hand instead of by the
 * catalog's scheduler: what it downloads and which mutations it applies.
 */

type Connection = Parameters<BromEntityProvider['connect']>[0];
type Mutation = Parameters<Connection['applyMutation']>[0];

let provider: BromEntityProvider;
const mutations: Mutation[] = [];
let server: any;
let stop: () => Promise<void>;

/** Stands in for the catalog plugin: its own service identity, `plugin:catalog`, reads BROM. */
const catalogStandIn = createBackendPlugin({
  pluginId: 'catalog',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ config, logger, discovery, auth }) {
        provider = BromEntityProvider.fromConfig(config, {
          logger,
          discovery,
          auth,
        });
      },
    });
  },
});

const fetchSpy = jest.spyOn(globalThis, 'fetch');

/** The BROM routes the provider called since the spy was last cleared. */
function bromCalls(): string[] {
  return fetchSpy.mock.calls.map(([input]) =>
    new URL(String(input)).pathname.replace(/^\/api\/brom/, ''),
  );
}

const databases = databaseHandles(['brom']);

beforeAll(async () => {
  const backend = await startTestBackend({
    features: [
      bromPlugin,
      ...databases.modules,
      catalogStandIn,
      permissionPlugin,
      bromPermissionPolicyModule,
      userInfoFactory,
      authFactory,
      httpAuthFactory,
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          permission: { enabled: true },
          brom: { admins: [ADMINS], catalog: { changeWaitSeconds: 1 } },
        },
      }),
    ],
  });
  server = backend.server;
  stop = () => backend.stop();
  await provider.connect({
    applyMutation: async mutation => {
      mutations.push(mutation);
    },
    refresh: async () => {},
  });
});

afterAll(async () => {
  fetchSpy.mockRestore();
  await stop?.();
  await databases.destroy();
});

async function brom(
  method: 'post' | 'get' | 'delete',
  path: string,
  body?: object,
) {
  const res = await request(server)
    [method](`/api/brom${path}`)
    .set('Authorization', mockCredentials.user.header(ALICE))
    .send(body);
  if (res.status >= 300) {
    throw new Error(`${method} ${path} → ${res.status}: ${res.text}`);
  }
  return res.body;
}

const refs = (entities: Array<{ entity: Entity }>) =>
  entities.map(e => stringifyEntityRef(e.entity)).sort();

describe('BromEntityProvider', () => {
  it('starts with a full mutation of the export', async () => {
    await brom('post', '/applications', { name: 'orders', owner: TEAM_A });
    await brom('post', '/applications', { name: 'billing', owner: TEAM_A });
    fetchSpy.mockClear();
    await provider.fullRefresh();
    expect(bromCalls()).toEqual(['/service/catalog-export']);
    expect(mutations).toHaveLength(1);
    const [full] = mutations;
    expect(full.type).toBe('full');
    expect(full.type === 'full' && refs(full.entities)).toEqual([
      'component:default/billing',
      'component:default/orders',
    ]);
  });

  it('does not download the export while nothing changes', async () => {
    fetchSpy.mockClear();
    await provider.poll();
    await provider.poll();
    expect(bromCalls()).toEqual([
      '/service/catalog-changes',
      '/service/catalog-changes',
    ]);
    expect(mutations).toHaveLength(1);
  });

  it('applies a change as a delta of only the entities that changed, without reading the export', async () => {
    const pattern = { routingKeyPattern: 'order.created', description: 'x' };
    await brom('post', '/applications/orders/notification-types', {
      name: 'order-created',
      ...pattern,
    });
    fetchSpy.mockClear();
    await provider.poll();
    expect(bromCalls()).toEqual(['/service/catalog-changes']);
    expect(mutations).toHaveLength(2);
    const added = mutations[1];
    expect(added.type).toBe('delta');
    // billing did not change, so it is not sent again.
    expect(added.type === 'delta' && refs(added.added)).toEqual([
      'api:default/orders.order-created',
      'component:default/orders',
    ]);
    expect(added.type === 'delta' && added.removed).toEqual([]);

    const type = await brom(
      'get',
      '/applications/orders/notification-types/order-created',
    );
    await brom(
      'delete',
      `/applications/orders/notification-types/order-created?generation=${type.generation}`,
    );
    await provider.poll();
    expect(mutations).toHaveLength(3);
    const removed = mutations[2];
    expect(removed.type === 'delta' && refs(removed.added)).toEqual([
      'component:default/orders',
    ]);
    expect(
      removed.type === 'delta' &&
        removed.removed.map(r =>
          'entityRef' in r ? r.entityRef : stringifyEntityRef(r.entity),
        ),
    ).toEqual(['api:default/orders.order-created']);
  });

  it('answers a long-poll with the touched applications and only their rows', async () => {
    const asCatalog = (path: string) =>
      request(server)
        .get(`/api/brom${path}`)
        .set(
          'Authorization',
          mockCredentials.service.header({
            onBehalfOf: mockCredentials.service('plugin:catalog'),
            targetPluginId: 'brom',
          }),
        );
    const { body: whole } = await asCatalog('/service/catalog-export').expect(200);
    await brom('post', '/applications', { name: 'audit', owner: TEAM_A });
    const { body: changes } = await asCatalog(
      `/service/catalog-changes?after=${whole.sequence}`,
    ).expect(200);
    expect(changes).toMatchObject({ full: false, applications: ['audit'] });
    expect(changes.sequence).toBeGreaterThan(whole.sequence);
    expect(changes.export.applications.map((a: { name: string }) => a.name)).toEqual(['audit']);
    expect(changes.export.notificationTypes).toEqual([]);

    // Nothing since: after the wait, the same position and nothing to apply.
    const { body: idle } = await asCatalog(
      `/service/catalog-changes?after=${changes.sequence}&waitSeconds=1`,
    ).expect(200);
    expect(idle).toMatchObject({ sequence: changes.sequence, applications: [] });
    // A position beyond the log (another database): read the whole export.
    const { body: unknown } = await asCatalog(
      `/service/catalog-changes?after=${changes.sequence + 1000}`,
    ).expect(200);
    expect(unknown).toMatchObject({ full: true });
    // Someone else may not read it.
    await request(server)
      .get('/api/brom/service/catalog-changes?after=0')
      .set('Authorization', mockCredentials.user.header(ALICE))
      .expect(403);
  });

  it('follows an answered long-poll with the next at once, for as long as a run lasts', async () => {
    // The catalog's scheduler pauses between runs; a change committed while the one before
    // it is applied must not wait for that pause, so one run polls again and again.
    await provider.poll(); // applies what the tests above left
    const before = mutations.length;
    const run = new AbortController();
    const following = provider
      .pollFor(600_000, run.signal)
      .catch(() => undefined); // aborting the run aborts its long-poll
    const mutationsAfter = (n: number) =>
      pollUntil(async () => (mutations.length > n ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 20,
        describe: () => `more than ${n} mutations`,
      });
    try {
      await brom('post', '/applications', { name: 'first', owner: TEAM_A });
      await mutationsAfter(before);
      await brom('post', '/applications', { name: 'second', owner: TEAM_A });
      await mutationsAfter(before + 1);
    } finally {
      run.abort();
      await following;
    }
    expect(
      mutations
        .slice(before)
        .map(m => (m.type === 'delta' ? refs(m.added) : [])),
    ).toEqual([['component:default/first'], ['component:default/second']]);

    // A run of no length is one long-poll, as the scheduler ran them before.
    fetchSpy.mockClear();
    await provider.pollFor(0);
    expect(bromCalls()).toEqual(['/service/catalog-changes']);
  });
});
