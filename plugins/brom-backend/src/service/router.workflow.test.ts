// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "approve", "reject", "revoke", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ObjectStatus } from '@internal/plugin-brom-common';
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
import { CATALOG, SERVICE, uniqueName } from '../__testUtils__/client';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  auditRows,
  createApplication,
  createNotificationType,
  pendingSubscription,
  requestSubscription,
} from '../__testUtils__/fixtures';

const databases = createTestDatabases();

/** Alice's team owns both sides, so Alice needs a team mate to approve. */
const ALICE_ON_BOTH_SIDES = {
  producer: ALICE,
  producerOwner: TEAM_A,
  consumer: ALICE,
  consumerOwner: TEAM_A,
};

describe.each(databases.eachSupportedId())(
  'BROM workflow on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /** `who` approves the subscription at `generation`; the response must have `status`. */
    function approve(
      who: string,
      subscription: { id: string },
      generation: number,
      status: number,
    ) {
      return brom.api.post(who, '/subscriptions/{id}/approve', {
        params: { id: subscription.id },
        body: { generation },
        expect: status,
      });
    }

    /** `who` rejects or revokes the subscription at `generation`, giving `reason`; the response must have `status`. */
    const decideWithReason =
      (action: 'reject' | 'revoke') =>
      (
        who: string,
        subscription: { id: string },
        generation: number,
        reason: string,
        status: number,
      ) =>
        brom.api.post(who, `/subscriptions/{id}/${action}`, {
          params: { id: subscription.id },
          body: { generation, reason },
          expect: status,
        });
    const reject = decideWithReason('reject');
    const revoke = decideWithReason('revoke');

    /** Bob's consumer asks for a type of Alice's producer, and `approver` approves it. */
    async function approvedSubscription(approver: string) {
      const pending = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      await approve(approver, pending.subscription, 1, 200);
      return pending;
    }

    /** The actions of the audit rows `where` selects, oldest first. */
    async function auditActions(where: Parameters<typeof auditRows>[1]) {
      return (await auditRows(brom.backend.knex, where)).map(r => r.action);
    }

    describe('applications', () => {
      it('registers an application and finds it again', async () => {
        const name = uniqueName('orders');
        const created = await brom.api.post(ALICE, '/applications', {
          body: {
            name,
            title: '  Orders  ',
            description: 'Takes orders',
            owner: TEAM_A,
            entityRef: 'component:default/orders',
            settings: { messageTtlMs: 60_000 },
          },
          expect: 201,
        });
        expect(created.body).toMatchObject({
          name,
          title: 'Orders',
          owner: TEAM_A,
          entityRef: 'component:default/orders',
          settings: { messageTtlMs: 60_000, maxLength: null },
          generation: 1,
          deletedAt: null,
        });

        const fetched = await brom.api.get(BOB, '/applications/{name}', {
          params: { name },
          expect: 200,
        });
        expect(fetched.body).toEqual(created.body);

        const search = await brom.api.get(BOB, '/applications', {
          query: { q: name },
          expect: 200,
        });
        expect(search.body.items.map((a: any) => a.name)).toEqual([name]);
        expect(search.body.totalCount).toBe(1);

        const mine = await brom.api.get(CAROL, '/applications', {
          query: { mine: 'true', limit: 500 },
          expect: 200,
        });
        expect(mine.body.items.map((a: any) => a.name)).toContain(name);
        const notMine = await brom.api.get(BOB, '/applications', {
          query: { mine: 'true', limit: 500 },
          expect: 200,
        });
        expect(notMine.body.items.map((a: any) => a.name)).not.toContain(name);

        expect(
          await auditRows(brom.backend.knex, { application: name }),
        ).toEqual([
          expect.objectContaining({
            action: 'application.created',
            actor: ALICE,
          }),
        ]);
      });

      it('refuses a name that is taken', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const res = await brom.api.post(CAROL, '/applications', {
          body: { name: app.name, owner: TEAM_A },
          expect: 409,
        });
        expect(res.body.error.message).toContain('already exists');
      });

      it('updates with the current generation and refuses a stale one', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const updated = await brom.api.patch(CAROL, '/applications/{name}', {
          params: { name: app.name },
          body: {
            generation: 1,
            description: 'Now with more orders',
            settings: { maxLength: 1000 },
          },
          expect: 200,
        });
        expect(updated.body).toMatchObject({
          generation: 2,
          description: 'Now with more orders',
          settings: { maxLength: 1000 },
        });

        const before = await dumpDomainTables(brom.backend.knex);
        const stale = await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 1, description: 'Lost update' },
          expect: 409,
        });
        expect(stale.body.error.message).toMatch(/generation 2.*based on 1/);
        expect(stale.body.error.current).toMatchObject({ generation: 2 });
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);
      });

      it('hands an application only to a group the user belongs to', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const res = await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 1, owner: TEAM_B },
          expect: 403,
        });
        expect(res.body.error.message).toContain(TEAM_B);
        await brom.api.patch(ADMIN, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 1, owner: TEAM_B },
          expect: 200,
        });
        // Now Bob's team owns it, and Alice's team no longer does.
        await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 2, description: 'x' },
          expect: 403,
        });
        await brom.api.patch(BOB, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 2, description: 'x' },
          expect: 200,
        });
      });

      it('reports sync status before the reconciler has seen the application', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const res = await brom.api.get(BOB, '/applications/{name}/status', {
          params: { name: app.name },
          expect: 200,
        });
        expect(res.body).toMatchObject({
          application: app.name,
          ready: false,
          objects: [],
        });
        expect(res.body.summary).toMatch(/not synced yet/i);
        await brom.api.get(BOB, '/applications/{name}/status', {
          params: { name: 'no-such-app' },
          expect: 404,
        });
      });

      it('reports every object the reconciler has not made yet as pending, never ready', async () => {
        const { type, consumer, subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        await approve(ALICE, subscription, subscription.generation, 200);
        const res = await brom.api.get(BOB, '/applications/{name}/status', {
          params: { name: consumer.name },
          expect: 200,
        });
        const objects: ObjectStatus[] = res.body.objects;
        expect(res.body.ready).toBe(false);
        // No policy: the consumer sets no TTL or length limit, and its queue names its
        // dead-letter exchange (decision 0028).
        expect(objects.map(o => o.kind).sort()).toEqual([
          'binding',
          'binding',
          'exchange',
          'queue',
          'queue',
        ]);
        expect(objects.map(o => o.key)).toContain(
          `binding:brom.${type.application}->queue:brom.${consumer.name}:${type.routingKeyPattern}`,
        );
        for (const object of objects) {
          expect(object.condition).toMatchObject({ status: 'Unknown', reason: 'Pending' });
        }
        expect(res.body.summary).toMatch(/^0 of 5 objects ready; .* pending: not created on the broker yet \(Pending\)/);
      });

      it('answers 404 for applications, types and subscriptions that do not exist', async () => {
        await brom.api.get(ALICE, '/applications/{name}', {
          params: { name: 'no-such-app' },
          expect: 404,
        });
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        await brom.api.get(
          ALICE,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: 'no-such-type' },
            expect: 404,
          },
        );
        await brom.api.get(ALICE, '/applications/{name}/notification-types', {
          params: { name: 'no-such-app' },
          expect: 404,
        });
        await brom.api.get(ALICE, '/subscriptions/{id}', {
          params: { id: 'no-such-id' },
          expect: 404,
        });
        await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: 'no-such-app' },
          body: { generation: 1 },
          expect: 404,
        });
      });
    });

    describe('notification types', () => {
      it('declares, lists, updates and deletes a type', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const created = await brom.api.post(
          ALICE,
          '/applications/{name}/notification-types',
          {
            params: { name: app.name },
            body: {
              name: 'order-created',
              routingKeyPattern: 'order.*.created',
              description:
                'An order was placed. The middle word is the order id.',
              payloadSchema: { type: 'object', required: ['orderId'] },
            },
            expect: 201,
          },
        );
        expect(created.body).toMatchObject({
          application: app.name,
          name: 'order-created',
          visibility: 'public',
          requiresApproval: true,
          payloadSchema: { type: 'object', required: ['orderId'] },
          generation: 1,
        });

        const list = await brom.api.get(
          BOB,
          '/applications/{name}/notification-types',
          {
            params: { name: app.name },
            expect: 200,
          },
        );
        expect(list.body.items).toEqual([{ ...created.body, producerOwner: TEAM_A }]);
        const search = await brom.api.get(BOB, '/notification-types', {
          query: { application: app.name },
          expect: 200,
        });
        expect(search.body.items).toEqual([{ ...created.body, producerOwner: TEAM_A }]);

        const updated = await brom.api.patch(
          CAROL,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: 'order-created' },
            body: {
              generation: 1,
              routingKeyPattern: 'order.*.placed',
              payloadSchema: null,
            },
            expect: 200,
          },
        );
        expect(updated.body).toMatchObject({
          routingKeyPattern: 'order.*.placed',
          payloadSchema: null,
          generation: 2,
        });
        await brom.api.patch(
          CAROL,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: 'order-created' },
            body: { generation: 1, description: 'stale' },
            expect: 409,
          },
        );

        const deleted = await brom.api.delete(
          ALICE,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: app.name, type: 'order-created' },
            query: { generation: 2 },
            expect: 200,
          },
        );
        expect(deleted.body.deletedAt).not.toBeNull();
        const after = await brom.api.get(
          BOB,
          '/applications/{name}/notification-types',
          {
            params: { name: app.name },
            expect: 200,
          },
        );
        expect(after.body.items).toEqual([]);
      });

      it('shows private types only to the producer team', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const type = await createNotificationType(brom.api, ALICE, app.name, {
          visibility: 'private',
        });
        const forCarol = await brom.api.get(CAROL, '/notification-types', {
          query: { application: app.name },
          expect: 200,
        });
        expect(forCarol.body.items.map((t: any) => t.name)).toEqual([
          type.name,
        ]);
        const forBob = await brom.api.get(BOB, '/notification-types', {
          query: { application: app.name },
          expect: 200,
        });
        expect(forBob.body.items).toEqual([]);

        // A consumer of another team cannot subscribe to it: it does not exist for them.
        const consumer = await createApplication(brom.api, BOB, TEAM_B);
        await requestSubscription(brom.api, BOB, consumer.name, type, 404);
      });

      it('refuses to delete a type with subscribers, naming them', async () => {
        const { producer, type, consumer } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const res = await brom.api.delete(
          ALICE,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: producer.name, type: type.name },
            query: { generation: 1 },
            expect: 409,
          },
        );
        expect(res.body.error.message).toContain(consumer.name);
      });
    });

    describe('subscriptions', () => {
      it('requests and approves; the request is in the producer team inbox only', async () => {
        const { producer, consumer, subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        expect(subscription).toMatchObject({
          consumer: consumer.name,
          producer: producer.name,
          state: 'requested',
          requestedBy: BOB,
          decidedBy: null,
          reason: null,
          generation: 1,
        });

        const carolsInbox = await brom.api.get(CAROL, '/approvals', {
          query: { limit: 500 },
          expect: 200,
        });
        expect(carolsInbox.body.items.map((s: any) => s.id)).toContain(
          subscription.id,
        );
        const bobsInbox = await brom.api.get(BOB, '/approvals', {
          query: { limit: 500 },
          expect: 200,
        });
        expect(bobsInbox.body.items.map((s: any) => s.id)).not.toContain(
          subscription.id,
        );
        const bobsOwn = await brom.api.get(BOB, '/subscriptions', {
          query: { mine: 'true', limit: 500 },
          expect: 200,
        });
        expect(bobsOwn.body.items.map((s: any) => s.id)).toContain(
          subscription.id,
        );

        const approved = await approve(ALICE, subscription, 1, 200);
        expect(approved.body).toMatchObject({
          state: 'approved',
          decidedBy: ALICE,
          generation: 2,
        });

        const byState = await brom.api.get(BOB, '/subscriptions', {
          query: { consumer: consumer.name, state: 'approved' },
          expect: 200,
        });
        expect(byState.body.items).toEqual([
          { ...approved.body, consumerOwner: TEAM_B, producerOwner: TEAM_A },
        ]);

        // Both sides' histories show the decision.
        for (const application of [producer.name, consumer.name]) {
          const actions = await auditActions({
            application,
            targetId: subscription.id,
          });
          expect(actions).toEqual([
            'subscription.requested',
            'subscription.approved',
          ]);
        }
        const history = await brom.api.get(BOB, '/audit-events', {
          query: { application: consumer.name },
          expect: 200,
        });
        expect(history.body.items.map((e: any) => e.action)).toEqual([
          'subscription.approved',
          'subscription.requested',
          'application.created',
        ]);
      });

      it('rejects with a reason the requester sees, and a new request re-opens it (audited)', async () => {
        const { producer, consumer, subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const reason = 'The payload carries personal data; talk to us first';
        await reject(ALICE, subscription, 1, reason, 200);

        const seen = await brom.api.get(BOB, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 200,
        });
        expect(seen.body).toMatchObject({
          state: 'rejected',
          reason,
          decidedBy: ALICE,
        });
        const listed = await brom.api.get(BOB, '/subscriptions', {
          query: { mine: 'true', consumer: consumer.name },
          expect: 200,
        });
        expect(listed.body.items).toEqual([
          expect.objectContaining({ state: 'rejected', reason }),
        ]);

        // Deciding again on the old generation is a conflict.
        await approve(ALICE, subscription, 1, 409);
        // A rejected request cannot be approved afterwards either.
        await approve(ALICE, subscription, 2, 409);

        const again = await brom.api.post(BOB, '/subscriptions', {
          body: {
            consumer: consumer.name,
            producer: producer.name,
            notificationType: subscription.notificationType,
            justification: 'We only read the ids now',
          },
          expect: 201,
        });
        expect(again.body).toMatchObject({
          id: subscription.id,
          state: 'requested',
          reason: null,
          decidedBy: null,
          justification: 'We only read the ids now',
          generation: 3,
        });
        const rows = await auditRows(brom.backend.knex, {
          application: producer.name,
          targetId: subscription.id,
        });
        expect(rows.map(r => r.action)).toEqual([
          'subscription.requested',
          'subscription.rejected',
          'subscription.re-requested',
        ]);
        expect(JSON.parse(rows[2].before)).toMatchObject({
          state: 'rejected',
          reason,
        });
        expect(JSON.parse(rows[2].after)).toMatchObject({ state: 'requested' });
      });

      it('refuses a second request while one is pending', async () => {
        const { consumer, type } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const refused: any = await requestSubscription(
          brom.api,
          BOB,
          consumer.name,
          type,
          409,
        );
        expect(refused.error.message).toMatch(/already requested/);
      });

      it('lets the consumer revoke an approved subscription', async () => {
        const { subscription } = await approvedSubscription(ALICE);
        const reason = 'We retired the consumer';
        const revoked = await revoke(BOB, subscription, 2, reason, 200);
        expect(revoked.body).toMatchObject({
          state: 'revoked',
          decidedBy: BOB,
          reason,
        });
      });

      it('lets the producer revoke an approved subscription, with a reason the consumer sees', async () => {
        const { subscription } = await approvedSubscription(CAROL);
        await revoke(ALICE, subscription, 2, 'Abuse of the feed', 200);
        const seen = await brom.api.get(BOB, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 200,
        });
        expect(seen.body).toMatchObject({
          state: 'revoked',
          reason: 'Abuse of the feed',
          decidedBy: ALICE,
        });
        // Revoked is final until the consumer asks again.
        await revoke(ALICE, subscription, 3, 'again', 409);
      });

      it('approves at once when the type needs no approval (audited)', async () => {
        const { subscription, producer } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
          { requiresApproval: false },
        );
        expect(subscription).toMatchObject({
          state: 'approved',
          requestedBy: BOB,
          generation: 1,
        });
        expect(subscription.decidedAt).not.toBeNull();
        expect(subscription.reason).toMatch(/automatically/);
        const actions = await auditActions({
          application: producer.name,
          targetId: subscription.id,
        });
        expect(actions).toEqual([
          'subscription.requested',
          'subscription.auto-approved',
        ]);
      });

      it('needs a second pair of eyes when the requester owns the producer too', async () => {
        const { subscription } = await pendingSubscription(
          brom.api,
          ALICE_ON_BOTH_SIDES,
        );
        const before = await dumpDomainTables(brom.backend.knex);
        const refused = await approve(ALICE, subscription, 1, 403);
        expect(refused.body.error.message).toMatch(/someone else/);
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);

        const approved = await approve(CAROL, subscription, 1, 200);
        expect(approved.body).toMatchObject({
          state: 'approved',
          requestedBy: ALICE,
          decidedBy: CAROL,
        });
      });

      it('lets the requester who owns both sides reject or withdraw their own request', async () => {
        const { subscription } = await pendingSubscription(
          brom.api,
          ALICE_ON_BOTH_SIDES,
        );
        await revoke(ALICE, subscription, 1, 'Asked by mistake', 200);
      });
    });

    describe('deletion', () => {
      it('refuses to delete a producer with subscribers, naming them', async () => {
        const { producer, consumer } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const before = await dumpDomainTables(brom.backend.knex);
        const res = await brom.api.delete(ALICE, '/applications/{name}', {
          params: { name: producer.name },
          query: { generation: 1 },
          expect: 409,
        });
        expect(res.body.error.message).toContain(consumer.name);
        expect(res.body.error.message).toMatch(/requested/);
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);

        // Only administrators may force it.
        await brom.api.delete(ALICE, '/applications/{name}', {
          params: { name: producer.name },
          query: { generation: 1, force: 'true' },
          expect: 403,
        });
        expect(await dumpDomainTables(brom.backend.knex)).toEqual(before);
      });

      it('lets an administrator force the deletion, revoking the subscriptions', async () => {
        const { producer, subscription } = await pendingSubscription(
          brom.api,
          ALICE_PRODUCES_BOB_CONSUMES,
        );
        const deleted = await brom.api.delete(ADMIN, '/applications/{name}', {
          params: { name: producer.name },
          query: { generation: 1, force: 'true' },
          expect: 200,
        });
        expect(deleted.body.deletedAt).not.toBeNull();
        const seen = await brom.api.get(BOB, '/subscriptions/{id}', {
          params: { id: subscription.id },
          expect: 200,
        });
        expect(seen.body).toMatchObject({ state: 'revoked', decidedBy: ADMIN });
        expect(seen.body.reason).toContain(producer.name);
        const actions = await auditActions({ application: producer.name });
        expect(actions).toEqual(
          expect.arrayContaining([
            'subscription.revoked',
            'application.force-deleted',
          ]),
        );
      });

      it('marks an application without subscribers deleted, then takes the queue confirmation', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const early = await brom.api.post(
          ALICE,
          '/applications/{name}/queue-deletion-confirmation',
          {
            params: { name: app.name },
            body: { generation: 1 },
            expect: 409,
          },
        );
        expect(early.body.error.message).toMatch(/not being deleted/);

        const deleted = await brom.api.delete(CAROL, '/applications/{name}', {
          params: { name: app.name },
          query: { generation: 1 },
          expect: 200,
        });
        expect(deleted.body).toMatchObject({
          generation: 2,
          queueDeletionConfirmedAt: null,
        });
        expect(deleted.body.deletedAt).not.toBeNull();

        const listed = await brom.api.get(ALICE, '/applications', {
          query: { q: app.name },
          expect: 200,
        });
        expect(listed.body.items).toEqual([]);
        const withDeleted = await brom.api.get(ALICE, '/applications', {
          query: { q: app.name, includeDeleted: 'true' },
          expect: 200,
        });
        expect(withDeleted.body.items).toEqual([deleted.body]);

        // A deleted application takes no more changes.
        await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 2, description: 'x' },
          expect: 409,
        });
        await brom.api.post(ALICE, '/applications/{name}/credentials', {
          params: { name: app.name },
          expect: 409,
        });

        const confirmed = await brom.api.post(
          ALICE,
          '/applications/{name}/queue-deletion-confirmation',
          {
            params: { name: app.name },
            body: { generation: 2 },
            expect: 200,
          },
        );
        expect(confirmed.body).toMatchObject({ generation: 3 });
        expect(confirmed.body.queueDeletionConfirmedAt).not.toBeNull();
        const actions = await auditActions({ application: app.name });
        expect(actions).toEqual([
          'application.created',
          'application.deleted',
          'application.queue-deletion-confirmed',
        ]);

        // The name stays taken until the reconciler has removed the broker objects.
        const taken = await brom.api.post(ALICE, '/applications', {
          body: { name: app.name, owner: TEAM_A },
          expect: 409,
        });
        expect(taken.body.error.message).toMatch(/being deleted/);
      });

      it('refuses a stale generation on delete', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        await brom.api.patch(ALICE, '/applications/{name}', {
          params: { name: app.name },
          body: { generation: 1, title: 'New title' },
          expect: 200,
        });
        await brom.api.delete(ALICE, '/applications/{name}', {
          params: { name: app.name },
          query: { generation: 1 },
          expect: 409,
        });
      });
    });

    describe('audit history', () => {
      it('is readable by owners per application and by administrators in full', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const own = await brom.api.get(CAROL, '/audit-events', {
          query: {
            application: app.name,
            action: 'application.created',
            actor: ALICE,
          },
          expect: 200,
        });
        expect(own.body.items).toEqual([
          expect.objectContaining({
            action: 'application.created',
            actor: ALICE,
            targetKind: 'application',
            targetId: app.id,
            application: app.name,
            before: null,
            after: expect.objectContaining({ name: app.name }),
          }),
        ]);
        const since = new Date(Date.parse(app.createdAt) - 1000).toISOString();
        const all = await brom.api.get(ADMIN, '/audit-events', {
          query: { since, limit: 500 },
          expect: 200,
        });
        expect(all.body.items.map((e: any) => e.application)).toContain(
          app.name,
        );

        await brom.api.get(MALLORY, '/audit-events', {
          query: { application: app.name },
          expect: 403,
        });
        const unscoped = await brom.api.get(ALICE, '/audit-events', {
          expect: 400,
        });
        expect(unscoped.body.error.message).toMatch(/Give an application/);
        await brom.api.get(ALICE, '/audit-events', {
          query: { application: 'no-such-app' },
          expect: 404,
        });
      });
    });

    describe('audit time filters', () => {
      /** `instant` written with a UTC offset of `hours`, e.g. `2026-11-21T05:00:00.000+02:00`. */
      function withOffset(instant: number, hours: number) {
        const local = new Date(instant + hours * 3_600_000)
          .toISOString()
          .slice(0, -1);
        return `${local}+${String(hours).padStart(2, '0')}:00`;
      }

      it('compares instants, whatever offset or precision the client writes them in', async () => {
        const app = await createApplication(brom.api, ALICE, TEAM_A);
        const created = Date.parse(app.createdAt);
        const query = (q: Record<string, string>) =>
          brom.api.get(ALICE, '/audit-events', {
            query: { application: app.name, ...q },
            expect: 200,
          });

        // One minute before, written in UTC+05:00: the event is after it.
        expect(
          (await query({ since: withOffset(created - 60_000, 5) })).body
            .totalCount,
        ).toBe(1);
        // One minute after, written in UTC+05:00: the event is before it.
        expect(
          (await query({ until: withOffset(created + 60_000, 5) })).body
            .totalCount,
        ).toBe(1);
        expect(
          (await query({ since: withOffset(created + 60_000, 5) })).body
            .totalCount,
        ).toBe(0);
        // The whole second the event happened in, written without milliseconds: it is not before.
        const second = new Date(Math.floor(created / 1000) * 1000)
          .toISOString()
          .replace('.000Z', 'Z');
        expect((await query({ until: second })).body.totalCount).toBe(0);
        expect((await query({ since: second })).body.totalCount).toBe(1);
      });
    });

    describe('service routes', () => {
      it('gives the catalog its export, and nobody else', async () => {
        const { producer, type, consumer } = await approvedSubscription(ALICE);
        const res = await brom.api.get(CATALOG, '/service/catalog-export', {
          expect: 200,
        });
        expect(res.body.broker).toEqual({
          vhost: 'brom',
          prefix: 'brom.',
          amqpUrls: [],
        });
        expect(res.body.applications).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: producer.name, owner: TEAM_A }),
          ]),
        );
        expect(res.body.notificationTypes).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              application: producer.name,
              name: type.name,
            }),
          ]),
        );
        expect(res.body.subscriptions).toEqual(
          expect.arrayContaining([
            {
              consumer: consumer.name,
              producer: producer.name,
              notificationType: type.name,
            },
          ]),
        );
        await brom.api.get(SERVICE, '/service/catalog-export', { expect: 403 });
        await brom.api.get(ALICE, '/service/catalog-export', { expect: 403 });
      });

      it('lets the catalog wait for a change of state, and nobody else', async () => {
        const now = await brom.api.get(CATALOG, '/service/catalog-version', {
          query: { after: 0 },
          expect: 200,
        });
        const held: number = now.body.version;
        expect(held).toBeGreaterThan(0);

        const idle = await brom.api.get(CATALOG, '/service/catalog-version', {
          query: { after: held, waitSeconds: 1 },
          expect: 200,
        });
        expect(idle.body).toEqual({ version: held });

        const waiting = brom.api.get(CATALOG, '/service/catalog-version', {
          query: { after: held, waitSeconds: 60 },
          expect: 200,
        });
        await createApplication(brom.api, ALICE, TEAM_A);
        expect((await waiting).body.version).toBeGreaterThan(held);

        for (const caller of [SERVICE, ALICE]) {
          await brom.api.get(caller, '/service/catalog-version', {
            query: { after: held },
            expect: 403,
          });
        }
        await brom.api.get(CATALOG, '/service/catalog-version', {
          query: { after: held, waitSeconds: 61 },
          expect: 400,
        });
        await brom.api.get(CATALOG, '/service/catalog-version', {
          expect: 400,
        });
      });

      it('answers the health check without credentials', async () => {
        const res = await brom.api.get('anonymous', '/health', { expect: 200 });
        expect(res.body).toEqual({ status: 'ok' });
      });
    });
  },
);
