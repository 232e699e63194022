// The client's `expect` option asserts the status (and the body against openapi.yaml).
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectRefused", "api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  ALICE,
  BOB,
  BromTestBackend,
  MALLORY,
  TEAM_A,
  TEAM_B,
  createTestDatabases,
  dumpDomainTables,
  startBromTestBackend,
} from '../__testUtils__/backend';
import {
  ANONYMOUS,
  BromTestClient,
  CallOptions,
  SERVICE,
  uniqueName,
} from '../__testUtils__/client';
import {
  createApplication,
  createNotificationType,
  pendingSubscription,
} from '../__testUtils__/fixtures';
import { HTTP_METHODS, loadOpenApiDocument } from '../__testUtils__/openapi';

const databases = createTestDatabases();

type Method = 'POST' | 'PATCH' | 'DELETE';

interface MutationCase {
  method: Method;
  path: string;
  /** Builds fresh objects and returns the one request both callers send. */
  setup(api: BromTestClient): Promise<Omit<CallOptions, 'expect'>>;
  owner: string;
  /** A signed-in user who does not own what the request acts on. */
  nonOwner: string;
  status: number;
}

const aliceProducesBobConsumes = {
  producer: ALICE,
  producerOwner: TEAM_A,
  consumer: BOB,
  consumerOwner: TEAM_B,
};

/** Every mutating route, with a request its owner may send and a non-owner may not. */
const MUTATIONS: MutationCase[] = [
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
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      return {
        params: { name: app.name },
        body: { generation: 1, title: 'Renamed' },
      };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'DELETE',
    path: '/applications/{name}',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      return { params: { name: app.name }, query: { generation: 1 } };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/queue-deletion-confirmation',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      await api.delete(ALICE, '/applications/{name}', {
        params: { name: app.name },
        query: { generation: 1 },
        expect: 200,
      });
      return { params: { name: app.name }, body: { generation: 2 } };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/notification-types',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      return {
        params: { name: app.name },
        body: {
          name: 'thing-happened',
          routingKeyPattern: 'thing.*',
          description: 'A thing happened',
        },
      };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'PATCH',
    path: '/applications/{name}/notification-types/{type}',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      const type = await createNotificationType(api, ALICE, app.name);
      return {
        params: { name: app.name, type: type.name },
        body: { generation: 1, description: 'Changed' },
      };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'DELETE',
    path: '/applications/{name}/notification-types/{type}',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      const type = await createNotificationType(api, ALICE, app.name);
      return {
        params: { name: app.name, type: type.name },
        query: { generation: 1 },
      };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
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
    setup: async api => {
      const { subscription } = await pendingSubscription(
        api,
        aliceProducesBobConsumes,
      );
      return { params: { id: subscription.id }, body: { generation: 1 } };
    },
    // The consumer's owner cannot approve their own request.
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/reject',
    setup: async api => {
      const { subscription } = await pendingSubscription(
        api,
        aliceProducesBobConsumes,
      );
      return {
        params: { id: subscription.id },
        body: { generation: 1, reason: 'No' },
      };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
  {
    method: 'POST',
    path: '/subscriptions/{id}/revoke',
    setup: async api => {
      const { subscription } = await pendingSubscription(
        api,
        aliceProducesBobConsumes,
      );
      return {
        params: { id: subscription.id },
        body: { generation: 1, reason: 'Done' },
      };
    },
    owner: BOB,
    nonOwner: MALLORY,
    status: 200,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      return { params: { name: app.name }, body: {} };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials/rotate',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      await api.post(ALICE, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 201,
      });
      return { params: { name: app.name }, body: { overlapSeconds: 60 } };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 201,
  },
  {
    method: 'POST',
    path: '/applications/{name}/credentials/{id}/revoke',
    setup: async api => {
      const app = await createApplication(api, ALICE, TEAM_A);
      const issued = await api.post(ALICE, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 201,
      });
      return { params: { name: app.name, id: issued.body.credential.id } };
    },
    owner: ALICE,
    nonOwner: BOB,
    status: 200,
  },
];

/** The document's mutating operations, to check that the table above misses none. */
function documentedMutations(): string[] {
  const document = loadOpenApiDocument();
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter(
      m => item[m] && m !== 'get' && !path.startsWith('/service/'),
    ).map(
      m => `${m.toUpperCase()} ${path}`,
    ),
  );
}

describe.each(databases.eachSupportedId())(
  'permissions on %s',
  (databaseId: TestDatabaseId) => {
    let backend: BromTestBackend;
    let api: BromTestClient;

    beforeAll(async () => {
      backend = await startBromTestBackend(await databases.init(databaseId));
      api = new BromTestClient(backend.server);
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('covers every mutating route of the document', () => {
      expect(MUTATIONS.map(m => `${m.method} ${m.path}`).sort()).toEqual(
        documentedMutations().sort(),
      );
    });

    it.each(MUTATIONS.map(m => [`${m.method} ${m.path}`, m] as const))(
      '%s: 403 for a non-owner with nothing changed, 2xx for the owner',
      async (_, mutation) => {
        const request = await mutation.setup(api);
        const before = await dumpDomainTables(backend.knex);

        const refused = await api.call(
          mutation.nonOwner,
          mutation.method,
          mutation.path,
          {
            ...request,
            expect: 403,
          },
        );
        expect(refused.body.error.name).toBe('NotAllowedError');
        expect(await dumpDomainTables(backend.knex)).toEqual(before);

        await api.call(mutation.owner, mutation.method, mutation.path, {
          ...request,
          expect: mutation.status,
        });
        const after = await dumpDomainTables(backend.knex);
        expect(after).not.toEqual(before);
        expect(after.brom_audit_events.length).toBeGreaterThan(
          before.brom_audit_events.length,
        );
      },
    );

    it('keeps credentials and audit history to the owners', async () => {
      const app = await createApplication(api, ALICE, TEAM_A);
      await api.get(BOB, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 403,
      });
      await api.get(BOB, '/audit-events', {
        query: { application: app.name },
        expect: 403,
      });
      await api.get(ALICE, '/applications/{name}/credentials', {
        params: { name: app.name },
        expect: 200,
      });
      await api.get(ALICE, '/audit-events', {
        query: { application: app.name },
        expect: 200,
      });
    });

    /**
     * Service tokens and anonymous requests on every user route of the document: 403 and 401,
     * and nothing changes. The service-only routes (health, catalog export, authz feed) have
     * their own tests.
     */
    it('refuses service tokens and anonymous requests on every user route', async () => {
      const { producer, type, subscription } = await pendingSubscription(
        api,
        aliceProducesBobConsumes,
      );
      const issued = await api.post(ALICE, '/applications/{name}/credentials', {
        params: { name: producer.name },
        expect: 201,
      });
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
        '/service/memberships/{userEntityRef}',
        '/service/org-export',
        '/authz/snapshot',
      ];
      const document = loadOpenApiDocument();
      const before = await dumpDomainTables(backend.knex);
      const checked: string[] = [];
      for (const [path, item] of Object.entries(document.paths)) {
        if (serviceRoutes.includes(path)) continue;
        for (const method of HTTP_METHODS) {
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
          const asService = await api.call(SERVICE, upper, path, options);
          expect([`${upper} ${path}`, asService.status]).toEqual([
            `${upper} ${path}`,
            403,
          ]);
          const asNobody = await api.call(ANONYMOUS, upper, path, options);
          expect([`${upper} ${path}`, asNobody.status]).toEqual([
            `${upper} ${path}`,
            401,
          ]);
          checked.push(`${upper} ${path}`);
        }
      }
      expect(checked.length).toBeGreaterThanOrEqual(25);
      expect(await dumpDomainTables(backend.knex)).toEqual(before);
    });
  },
);
