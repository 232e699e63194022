// The client's `expect` option asserts the status (and the body against openapi.yaml).
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import {
  ADMIN,
  ALICE,
  BOB,
  CAROL,
  MALLORY,
  TEAM_A,
  TEAM_B,
  createTestDatabases,
  dumpDomainTables,
  useBromTestBackend,
} from '../__testUtils__/backend';
import {
  createApplication,
  createNotificationType,
  pendingSubscription,
  requestSubscription,
} from '../__testUtils__/fixtures';
import { DatabaseReconcilerStore } from '../reconciler/runtime/ReconcilerStore';
import { BromStore } from '../store/BromStore';

const databases = createTestDatabases();

/** `{ not: { not: … {} } }`: a valid JSON Schema whose objects nest `depth` deep. */
function nestedSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = {};
  for (let level = 1; level < depth; level++) schema = { not: schema };
  return schema;
}

describe.each(databases.eachSupportedId())(
  'BROM security hardening on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /** What the reconciler does once a deleted application's broker objects are gone. */
    async function finalize(applicationId: string) {
      const store = await BromStore.create({
        database: mockServices.database({ knex: brom.backend.knex }),
      });
      await DatabaseReconcilerStore.create(store).finalize([applicationId], [], new Date());
    }

    describe('audit history of a re-registered name', () => {
      it('stays with the deleted application, readable by its former owners only', async () => {
        const first = await createApplication(brom.api, ALICE, TEAM_A, {
          description: 'first',
        });
        const name = first.name;
        await createNotificationType(brom.api, ALICE, name, {
          description: 'Secret plans of team A',
        });
        await brom.api.delete(ALICE, '/applications/{name}', {
          params: { name },
          query: { generation: first.generation },
          expect: 200,
        });
        await finalize(first.id);
        const second = await createApplication(brom.api, BOB, TEAM_B, { name });
        expect(second.id).not.toBe(first.id);

        const applicationIdsOf = (page: any) =>
          new Set(page.items.map((e: any) => e.applicationId));
        for (const includeDeleted of [undefined, 'true']) {
          const bobs = await brom.api.get(BOB, '/audit-events', {
            query: {
              application: name,
              limit: 500,
              ...(includeDeleted ? { includeDeleted } : {}),
            },
            expect: 200,
          });
          expect(bobs.body.items.map((e: any) => [e.action, e.actor])).toEqual([
            ['application.created', BOB],
          ]);
          expect(applicationIdsOf(bobs.body)).toEqual(new Set([second.id]));
          expect(JSON.stringify(bobs.body)).not.toContain('Secret plans');
        }

        // The name is Bob's now: Alice reaches her history through includeDeleted.
        await brom.api.get(ALICE, '/audit-events', {
          query: { application: name },
          expect: 403,
        });
        const alices = await brom.api.get(CAROL, '/audit-events', {
          query: { application: name, includeDeleted: 'true', limit: 500 },
          expect: 200,
        });
        expect(alices.body.items.map((e: any) => e.action)).toEqual([
          'application.finalized',
          'application.deleted',
          'notification-type.created',
          'application.created',
        ]);
        expect(applicationIdsOf(alices.body)).toEqual(new Set([first.id]));
        expect(JSON.stringify(alices.body)).toContain('Secret plans');

        await brom.api.get(MALLORY, '/audit-events', {
          query: { application: name, includeDeleted: 'true' },
          expect: 403,
        });
        const admins = await brom.api.get(ADMIN, '/audit-events', {
          query: { application: name, includeDeleted: 'true', limit: 500 },
          expect: 200,
        });
        expect(applicationIdsOf(admins.body)).toEqual(new Set([first.id, second.id]));
        await brom.api.get(ALICE, '/audit-events', {
          query: { application: 'never-registered', includeDeleted: 'true' },
          expect: 404,
        });
      });
    });

    describe('private notification types', () => {
      it('answer 404 to anyone outside the producer team, on every read', async () => {
        const producer = await createApplication(brom.api, ALICE, TEAM_A);
        const type = await createNotificationType(brom.api, ALICE, producer.name, {
          visibility: 'private',
        });
        const path = '/applications/{name}/notification-types/{type}';
        const params = { name: producer.name, type: type.name };
        await brom.api.get(BOB, path, { params, expect: 404 });
        await brom.api.get(CAROL, path, { params, expect: 200 });
        await brom.api.get(ADMIN, path, { params, expect: 200 });

        const consumer = await createApplication(brom.api, ALICE, TEAM_A);
        const subscription = await requestSubscription(brom.api, ALICE, consumer.name, type);
        const listed = await brom.api.get(BOB, '/subscriptions', {
          query: { producer: producer.name },
          expect: 200,
        });
        expect(listed.body).toMatchObject({ items: [], totalCount: 0 });
        const got = await brom.api.get(BOB, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 404,
        });
        expect(JSON.stringify(got.body)).not.toContain(producer.name);
        const decided = await brom.api.post(MALLORY, '/subscriptions/{id}/revoke', {
          params: { id: subscription.id },
          body: { generation: 1, reason: 'curious' },
          expect: 404,
        });
        expect(JSON.stringify(decided.body)).not.toContain(consumer.name);

        const carols = await brom.api.get(CAROL, '/subscriptions', {
          query: { producer: producer.name },
          expect: 200,
        });
        expect(carols.body.items.map((s: any) => s.id)).toEqual([subscription.id]);
        await brom.api.get(ADMIN, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 200,
        });
      });

      it('still show consumers their own subscription to a type that turned private', async () => {
        const { producer, type, subscription } = await pendingSubscription(brom.api, {
          producer: ALICE,
          producerOwner: TEAM_A,
          consumer: BOB,
          consumerOwner: TEAM_B,
        });
        // The API refuses to make a type with live subscribers private (a new version is the
        // way), so a type that turned private under a subscription is one from before that
        // rule, or changed by an operator in the database.
        await brom.api.patch(ALICE, '/applications/{name}/notification-types/{type}', {
          params: { name: producer.name, type: type.name },
          body: { generation: type.generation, visibility: 'private' },
          expect: 409,
        });
        await brom.backend
          .knex('brom_notification_types')
          .where({ name: type.name })
          .update({ visibility: 'private' });
        await brom.api.get(BOB, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 200,
        });
        await brom.api.get(MALLORY, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 404,
        });
        const mallorys = await brom.api.get(MALLORY, '/subscriptions', {
          query: { producer: producer.name },
          expect: 200,
        });
        expect(mallorys.body.totalCount).toBe(0);
      });
    });

    describe('the status of an application', () => {
      it('leaves out bindings of private types the reader may not see', async () => {
        const producer = await createApplication(brom.api, ALICE, TEAM_A);
        const type = await createNotificationType(brom.api, ALICE, producer.name, {
          visibility: 'private',
          requiresApproval: false,
          routingKeyPattern: 'secret.merger.*',
        });
        const consumer = await createApplication(brom.api, ALICE, TEAM_A);
        const subscription = await requestSubscription(brom.api, ALICE, consumer.name, type);
        expect(subscription.state).toBe('approved');

        const path = '/applications/{name}/status';
        const params = { name: consumer.name };
        // Not reconciled here: the binding is listed as pending work, with its key.
        for (const insider of [ALICE, CAROL, ADMIN]) {
          const status = await brom.api.get(insider, path, { params, expect: 200 });
          expect(status.body.objects.map((o: any) => o.subscriptionId)).toContain(subscription.id);
          expect(JSON.stringify(status.body)).toContain('secret.merger.*');
        }
        for (const outsider of [BOB, MALLORY]) {
          const status = await brom.api.get(outsider, path, { params, expect: 200 });
          expect(JSON.stringify(status.body)).not.toContain('secret.merger');
          expect(JSON.stringify(status.body)).not.toContain(subscription.id);
          expect(status.body.objects.length).toBeGreaterThan(0);
          expect(status.body.unmanaged).toEqual([]);
        }
      });

      it('lists unmanaged objects for administrators only', async () => {
        await brom.api.get(BOB, '/unmanaged-objects', { expect: 403 });
        const listed = await brom.api.get(ADMIN, '/unmanaged-objects', { expect: 200 });
        expect(listed.body).toEqual({ observedAt: null, items: [] });
      });
    });

    describe('four eyes', () => {
      it('keep the rule a request was made under when the type switches approval off', async () => {
        const { producer, type, subscription } = await pendingSubscription(brom.api, {
          producer: ALICE,
          producerOwner: TEAM_A,
          consumer: ALICE,
          consumerOwner: TEAM_A,
        });
        await brom.api.patch(ALICE, '/applications/{name}/notification-types/{type}', {
          params: { name: producer.name, type: type.name },
          body: { generation: type.generation, requiresApproval: false },
          expect: 200,
        });
        const approved = await brom.api.post(ALICE, '/subscriptions/{id}/approve', {
          params: { id: subscription.id },
          body: { generation: subscription.generation },
          expect: 403,
        });
        expect(approved.body.error.message).toMatch(/You requested this subscription/);
        const rejected = await brom.api.post(ALICE, '/subscriptions/{id}/reject', {
          params: { id: subscription.id },
          body: { generation: subscription.generation, reason: 'changed my mind' },
          expect: 403,
        });
        expect(rejected.body.error.message).toMatch(/someone else .* must reject it/);
        await brom.api.post(CAROL, '/subscriptions/{id}/approve', {
          params: { id: subscription.id },
          body: { generation: subscription.generation },
          expect: 200,
        });
      });
    });

    describe('payload schemas', () => {
      const create = (payloadSchema: unknown, expect: number) =>
        async (application: string) =>
          brom.api.post(ALICE, '/applications/{name}/notification-types', {
            params: { name: application },
            body: {
              name: `t${Math.random().toString(36).slice(2, 10)}`,
              routingKeyPattern: `k${Math.random().toString(36).slice(2, 10)}.*`,
              description: 'payload',
              payloadSchema,
            },
            expect,
          });

      it('bound nesting without overflowing the stack', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const before = await dumpDomainTables(brom.backend.knex);
        // Deep enough that JSON.stringify alone runs out of stack.
        const abyss = `{"type":"object","default":${'['.repeat(60_000)}${']'.repeat(60_000)}}`;
        const res = await brom.api.post(ALICE, '/applications/{name}/notification-types', {
          params: { name: app.name },
          rawBody: `{"name":"deep","routingKeyPattern":"deep.*","description":"d","payloadSchema":${abyss}}`,
          expect: 400,
        });
        expect(res.body.error.message).toMatch(/more than 32 levels deep/);
        expect(JSON.stringify(res.body)).not.toMatch(/RangeError|stack/);
        const tooDeep = await create(nestedSchema(33), 400)(app.name);
        expect(tooDeep.body.error.message).toMatch(/payloadSchema: .*32 levels/);
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);
        await create(nestedSchema(32), 201)(app.name);
      });

      it('must be a JSON Schema, on create and update', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const refused = await create({ type: 12 }, 400)(app.name);
        expect(refused.body.error.message).toMatch(/payloadSchema\/type must be/);
        const unknownDialect = await create(
          { $schema: 'https://example.com/my-dialect' },
          400,
        )(app.name);
        expect(unknownDialect.body.error.message).toMatch(/my-dialect/);
        const type = await createNotificationType(brom.api, ALICE, app.name, {
          payloadSchema: { type: 'object' },
        });
        const patched = await brom.api.patch(
          ALICE,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: type.name },
            body: { generation: type.generation, payloadSchema: { required: 'orderId' } },
            expect: 400,
          },
        );
        expect(patched.body.error.message).toMatch(/payloadSchema\/required must be array/);
      });
    });
  },
);
