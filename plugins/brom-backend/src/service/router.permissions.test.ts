// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Application, NotificationType } from '@internal/plugin-brom-common';
import {
  ALICE,
  BOB,
  MALLORY,
  TEAM_A,
  TEAM_B,
  createTestDatabases,
  dumpDomainTables,
  useBromTestBackend,
} from '../__testUtils__/backend';
import {
  ANONYMOUS,
  BromTestClient,
  CallOptions,
  SERVICE,
  uniqueName,
} from '../__testUtils__/client';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  createApplication,
  createNotificationType,
  pendingSubscription,
} from '../__testUtils__/fixtures';
import { spec } from '../schema/openapi.generated';

const databases = createTestDatabases();

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const documentPaths = spec.paths as Record<
  string,
  Partial<Record<(typeof METHODS)[number], unknown>>
>;

type Method = 'POST' | 'PATCH' | 'DELETE';
type Request = Omit<CallOptions, 'expect'>;

interface MutationCase {
  method: Method;
  path: string;
  /** Builds fresh objects and returns the one request both callers send. */
  setup(api: BromTestClient): Promise<Request>;
  owner: string;
  /** A signed-in user who does not own what the request acts on. */
  nonOwner: string;
  status: number;
  /**
   * False for a route that acts on the broker only, which this backend has none of: the
   * owner gets past the checks to 503 and nothing changes here (test/src/deadletters has the
   * owner's 2xx on a real node, with its audit rows).
   */
  changes?: false;
}

/** A setup on a fresh application of Alice's team: `request` builds the request from it. */
function onNewApplication(
  request: (
    app: Application,
    api: BromTestClient,
  ) => Request | Promise<Request>,
) {
  return async (api: BromTestClient) =>
    request(await createApplication(api, ALICE, TEAM_A), api);
}

/** A setup on a fresh notification type of a fresh application of Alice's team. */
function onNewNotificationType(
  request: (app: Application, type: NotificationType) => Request,
) {
  return onNewApplication(async (app, api) =>
    request(app, await createNotificationType(api, ALICE, app.name)),
  );
}

/** A setup on a fresh pending request of Bob's consumer to Alice's producer: `body` is sent. */
function onPendingSubscription(body: Record<string, unknown>) {
  return async (api: BromTestClient): Promise<Request> => {
    const { subscription } = await pendingSubscription(
      api,
      ALICE_PRODUCES_BOB_CONSUMES,
    );
    return { params: { id: subscription.id }, body };
  };
}

/** A setup on a fresh pending request: the request names Bob's consumer. */
async function onConsumer(api: BromTestClient): Promise<Request> {
  const { consumer } = await pendingSubscription(
    api,
    ALICE_PRODUCES_BOB_CONSUMES,
  );
  return { params: { name: consumer.name } };
}

/** Every mutating route, with a request its owner may send and a non-owner may not. */
const MUTATIONS: MutationCase[] = [
  {
    method: 'POST',
    path: '/applications/{name}/dead-letters/replay',
    setup: async api => ({ ...(await onConsumer(api)), body: {} }),
    owner: BOB,
    nonOwner: ALICE,
    status: 503,
    changes: false,
  },
  {
    method: 'DELETE',
    path: '/applications/{name}/dead-letters',
    setup: onConsumer,
    owner: BOB,
    nonOwner: ALICE,
    status: 503,
    changes: false,
  },
  {
    method: 'POST',
    path: '/applications',
    setup: async () => ({ body: { name: uniqueName('new'), owner: TEAM_A } }),
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'PATCH',
    path: '/applications/{name}',
    setup: onNewApplication(app => ({
      params: { name: app.name },
      body: { generation: 1, title: 'Renamed' },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'DELETE',
    path: '/applications/{name}',
    setup: onNewApplication(app => ({
      params: { name: app.name },
      query: { generation: 1 },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/queue-deletion-confirmation',
    setup: onNewApplication(async (app, api) => {
      await api.delete(ALICE, '/applications/{name}', {
        params: { name: app.name },
        query: { generation: 1 },
        expect: 200,
      });
      return { params: { name: app.name }, body: { generation: 2 } };
    }),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/notification-types',
    setup: onNewApplication(app => ({
      params: { name: app.name },
      body: {
        name: 'thing-happened',
        routingKeyPattern: 'thing.*',
        description: 'A thing happened',
      },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'PATCH',
    path: '/applications/{name}/notification-types/{type}',
    setup: onNewNotificationType((app, type) => ({
      params: { name: app.name, type: type.name },
      body: { generation: 1, description: 'Changed' },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'DELETE',
    path: '/applications/{name}/notification-types/{type}',
    setup: onNewNotificationType((app, type) => ({
      params: { name: app.name, type: type.name },
      query: { generation: 1 },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/notification-types/{type}/deprecation',
    setup: onNewNotificationType((app, type) => ({
      params: { name: app.name, type: type.name },
      body: { generation: 1, sunsetAt: new Date(Date.now() + 60 * 86_400_000).toISOString() },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/notification-types/{type}/versions',
    setup: onNewNotificationType((app, type) => ({
      params: { name: app.name, type: type.name },
      body: {
        generation: 1,
        name: uniqueName('v2'),
        sunsetAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
      },
    })),
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'POST',
    path: '/subscriptions',
    setup: async api => {
      const producer = await createApplication(api, ALICE, TEAM_A);
      const type = await createNotificationType(api, ALICE, producer.name);
      const consumer = await createApplication(api, BOB, TEAM_B);
      return {
        body: {
          consumer: consumer.name,
          producer: producer.name,
          notificationType: type.name,
          justification: 'Needed',
        },
      };
    },
    // Only the consumer's owners may ask on its behalf, not even the producer's.
    owner: BOB,
    nonOwner: ALICE,
    status: 201,
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/approve',
    setup: onPendingSubscription({ generation: 1 }),
    // The consumer's owner cannot approve their own request.
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/reject',
    setup: onPendingSubscription({ generation: 1, reason: 'No' }),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/revoke',
    setup: onPendingSubscription({ generation: 1, reason: 'Done' }),
    owner: BOB,
    nonOwner: MALLORY,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials',
    setup: onNewApplication(app => ({ params: { name: app.name }, body: {} })),
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials/rotate',
    setup: onNewApplication(async (app, api) => {
      await api.post(ALICE, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 201,
      });
      return { params: { name: app.name }, body: { overlapSeconds: 60 } };
    }),
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials/{id}/revoke',
    setup: onNewApplication(async (app, api) => {
      const issued = await api.post(ALICE, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 201,
      });
      return { params: { name: app.name, id: issued.body.credential.id } };
    }),
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
];

/** The document's mutating operations, to check that the table above misses none. */
function documentedMutations(): string[] {
  return Object.entries(documentPaths).flatMap(([path, item]) =>
    METHODS.filter(
      m => item[m] && m !== 'get' && !path.startsWith('/service/'),
    ).map(m => `${m.toUpperCase()} ${path}`),
  );
}

describe.each(databases.eachSupportedId())(
  'permissions on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    it('covers every mutating route of the document', () => {
      expect(MUTATIONS.map(m => `${m.method} ${m.path}`).sort()).toEqual(
        documentedMutations().sort(),
      );
    });

    it.each(MUTATIONS.map(m => [`${m.method} ${m.path}`, m] as const))(
      '%s: 403 for a non-owner with nothing changed, 2xx for the owner',
      async (_, mutation) => {
        const request = await mutation.setup(brom.api);
        const before = await dumpDomainTables(brom.backend.knex);

        const refused = await brom.api.call(
          mutation.nonOwner,
          mutation.method,
          mutation.path,
          {
            ...request,
            expect: 403,
          },
        );
        expect(refused.body.error.name).toBe('NotAllowedError');
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);

        await brom.api.call(mutation.owner, mutation.method, mutation.path, {
          ...request,
          expect: mutation.status,
        });
        const after = await dumpDomainTables(brom.backend.knex);
        // A mutation that changes nothing (the broker is absent here) leaves every table as it
        // was; the others change them and add to the audit history.
        const changed = mutation.changes !== false;
        expect(JSON.stringify(after) !== JSON.stringify(before)).toBe(changed);
        expect(
          after.brom_audit_events.length > before.brom_audit_events.length,
        ).toBe(changed);
      },
    );

    it('keeps credentials and audit history to the owners', async () => {
      const app = await createApplication(brom.api, ALICE, TEAM_A);
      for (const [who, status] of [
        [BOB, 403],
        [ALICE, 200],
      ] as const) {
        await brom.api.get(who, '/applications/{name}/credentials', {
          params: { name: app.name },
          expect: status,
        });
        await brom.api.get(who, '/audit-events', {
          query: { application: app.name },
          expect: status,
        });
      }
    });

    /**
     * Service tokens and anonymous requests on every user route of the document: 403 and 401,
     * and nothing changes. The service-only routes (health, catalog export, authz feed) have
     * their own tests.
     */
    it('refuses service tokens and anonymous requests on every user route', async () => {
      const { producer, type, subscription } = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      const issued = await brom.api.post(
        ALICE,
        '/applications/{name}/credentials',
        {
          params: { name: producer.name },
          expect: 201,
        },
      );
      const params = {
        name: producer.name,
        type: type.name,
        id: subscription.id,
      };
      const credentialParams = {
        name: producer.name,
        id: issued.body.credential.id,
      };
      const serviceRoutes = [
        '/health',
        '/service/catalog-export',
        '/service/catalog-version',
        '/service/catalog-changes',
        '/service/memberships/{userEntityRef}',
        '/service/org-export',
        '/authz/snapshot',
      ];
      const before = await dumpDomainTables(brom.backend.knex);
      const checked: string[] = [];
      for (const [path, item] of Object.entries(documentPaths)) {
        if (serviceRoutes.includes(path)) continue;
        for (const method of METHODS) {
          if (!item[method]) continue;
          const options: CallOptions = {
            params: path.includes('/credentials/{id}')
              ? credentialParams
              : params,
            query: method === 'delete' ? { generation: 1 } : undefined,
            body:
              method === 'post' || method === 'patch'
                ? { generation: 1 }
                : undefined,
          };
          const upper = method.toUpperCase() as 'GET' | Method;
          const route = `${upper} ${path}`;
          for (const [caller, status] of [
            [SERVICE, 403],
            [ANONYMOUS, 401],
          ] as const) {
            const res = await brom.api.call(caller, upper, path, options);
            // The route goes with the status, to name it when it fails.
            expect([route, res.status]).toEqual([route, status]);
          }
          checked.push(route);
        }
      }
      expect(checked.length).toBeGreaterThanOrEqual(25);
      expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);
    });
  },
);
