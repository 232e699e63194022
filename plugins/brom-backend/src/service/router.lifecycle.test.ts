// The client's `expect` option asserts the status; the test backend checks every request and
// response against openapi.yaml.
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { NotificationType } from '@internal/plugin-brom-common';
import {
  ALICE,
  BOB,
  createTestDatabases,
  TEAM_B,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { CATALOG, uniqueName } from '../__testUtils__/client';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  auditRows,
  createApplication,
  createNotificationType,
  requestSubscription,
} from '../__testUtils__/fixtures';

const databases = createTestDatabases();

const DAY_MS = 24 * 3600 * 1000;
/** A sunset `days` from now; the test backend keeps the default minimum of 30 days. */
const daysAhead = (days: number) =>
  new Date(Date.now() + days * DAY_MS).toISOString();

describe.each(databases.eachSupportedId())(
  'notification type lifecycle on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /** Alice's producer with a type that needs no approval, and Bob's consumer subscribed to it. */
    async function subscribed() {
      const producer = await createApplication(
        brom.api,
        ALICE,
        ALICE_PRODUCES_BOB_CONSUMES.producerOwner,
      );
      const type = await createNotificationType(
        brom.api,
        ALICE,
        producer.name,
        {
          requiresApproval: false,
        },
      );
      const consumer = await createApplication(brom.api, BOB, TEAM_B);
      const subscription = await requestSubscription(
        brom.api,
        BOB,
        consumer.name,
        type,
      );
      expect(subscription.state).toBe('approved');
      return { producer, type, consumer, subscription };
    }

    function deprecate(
      who: string,
      type: NotificationType,
      body: Record<string, unknown>,
      expect: number,
    ) {
      return brom.api.post(
        who,
        '/applications/{name}/notification-types/{type}/deprecation',
        {
          params: { name: type.application, type: type.name },
          body: { generation: type.generation, ...body },
          expect,
        },
      );
    }

    async function domainEvents(type: string) {
      const rows = await brom.backend
        .knex('brom_domain_events')
        .where({ type })
        .orderBy('sequence');
      return rows.map((r: any) => JSON.parse(r.payload));
    }

    it('deprecates a type: new requests are refused naming the successor, subscribers are told and see the date', async () => {
      const { producer, type, consumer } = await subscribed();
      const successor = await createNotificationType(
        brom.api,
        ALICE,
        producer.name,
      );

      const tooSoon = await deprecate(
        ALICE,
        type,
        { sunsetAt: daysAhead(2) },
        400,
      );
      expect(tooSoon.body.error.message).toMatch(/at least 30 days ahead/);
      const unknown = await deprecate(
        ALICE,
        type,
        { sunsetAt: daysAhead(40), successor: 'nope' },
        400,
      );
      expect(unknown.body.error.message).toContain(
        'has no notification type "nope"',
      );
      await deprecate(BOB, type, { sunsetAt: daysAhead(40) }, 403);

      const sunsetAt = daysAhead(40);
      const { body: deprecated } = await deprecate(
        ALICE,
        type,
        { sunsetAt, successor: successor.name },
        200,
      );
      expect(deprecated).toMatchObject({
        generation: type.generation + 1,
        deprecation: {
          deprecatedBy: ALICE,
          sunsetAt,
          successor: successor.name,
        },
      });

      // Someone else's new request is refused, naming the successor.
      const other = await createApplication(brom.api, BOB, TEAM_B);
      const refused = await requestSubscription(
        brom.api,
        BOB,
        other.name,
        type,
        409,
      );
      expect((refused as any).error.message).toBe(
        `Notification type "${producer.name}/${
          type.name
        }" is deprecated and ends on ${sunsetAt.slice(
          0,
          10,
        )}; request its successor "${producer.name}/${successor.name}" instead`,
      );
      await requestSubscription(brom.api, BOB, other.name, successor, 201);

      // The consumer sees the date and the successor on its subscription.
      const { body: page } = await brom.api.get(BOB, '/subscriptions', {
        query: { consumer: consumer.name },
        expect: 200,
      });
      expect(page.items).toEqual([
        expect.objectContaining({
          notificationType: type.name,
          notificationTypeDeprecation: expect.objectContaining({
            sunsetAt,
            successor: successor.name,
          }),
        }),
      ]);

      // Audited, and announced with the subscribers to tell.
      const audit = await auditRows(brom.backend.knex, { targetId: type.id });
      expect(audit.map((r: any) => r.action)).toContain(
        'notification-type.deprecated',
      );
      const [event] = (
        await domainEvents('notificationType.deprecated')
      ).filter(e => e.notificationType.id === type.id);
      expect(event).toMatchObject({
        actor: ALICE,
        notificationType: {
          deprecation: { sunsetAt, successor: successor.name },
        },
        subscriptions: [{ consumer: consumer.name, state: 'approved' }],
      });

      // The catalog export carries the deprecation.
      const { body: exported } = await brom.api.get(
        CATALOG,
        '/service/catalog-export',
        { expect: 200 },
      );
      expect(
        exported.notificationTypes.find(
          (t: any) => t.application === producer.name && t.name === type.name,
        ),
      ).toMatchObject({ deprecation: { sunsetAt, successor: successor.name } });
    });

    it('moves the sunset only later, and tells the subscribers', async () => {
      const { type, consumer } = await subscribed();
      const { body: deprecated } = await deprecate(
        ALICE,
        type,
        { sunsetAt: daysAhead(35) },
        200,
      );
      // A change based on the generation before the deprecation is stale.
      await deprecate(ALICE, type, { sunsetAt: daysAhead(90) }, 409);
      const earlier = await deprecate(
        ALICE,
        deprecated,
        { sunsetAt: daysAhead(34) },
        400,
      );
      expect(earlier.body.error.message).toContain('can only be moved later');

      const later = daysAhead(90);
      const { body: extended } = await deprecate(
        ALICE,
        deprecated,
        { sunsetAt: later },
        200,
      );
      expect(extended.deprecation).toMatchObject({
        deprecatedAt: deprecated.deprecation.deprecatedAt,
        sunsetAt: later,
      });
      const audit = await auditRows(brom.backend.knex, { targetId: type.id });
      expect(audit.map((r: any) => r.action)).toEqual(
        expect.arrayContaining([
          'notification-type.deprecated',
          'notification-type.sunset-extended',
        ]),
      );
      const [event] = (
        await domainEvents('notificationType.sunsetExtended')
      ).filter(e => e.notificationType.id === type.id);
      expect(event).toMatchObject({
        previousSunsetAt: deprecated.deprecation.sunsetAt,
        notificationType: { deprecation: { sunsetAt: later } },
        subscriptions: [{ consumer: consumer.name }],
      });
    });

    it('refuses a change that would alter what live subscribers receive, naming them', async () => {
      const { producer, type, consumer } = await subscribed();
      const patch = (
        body: Record<string, unknown>,
        expect: number,
        generation = type.generation,
      ) =>
        brom.api.patch(
          ALICE,
          '/applications/{name}/notification-types/{type}',
          {
            params: { name: producer.name, type: type.name },
            body: { generation, ...body },
            expect,
          },
        );
      for (const change of [
        { routingKeyPattern: `${type.name}.*.narrowed` },
        { routingKeyPattern: `${type.name}.#` },
        { routingKeyPattern: `other-${type.name}.*` },
        { visibility: 'private' },
      ]) {
        const refused = await patch(change, 409);
        expect(refused.body.error.message).toContain(
          `has live subscribers: ${consumer.name} (approved)`,
        );
        expect(refused.body.error.message).toContain(
          'Create a new version instead',
        );
      }
      // What does not change what they receive is allowed.
      const { body: described } = await patch(
        { description: 'Clearer words' },
        200,
      );
      expect(described.description).toBe('Clearer words');

      // Without live subscribers the pattern may change in place.
      const lonely = await createNotificationType(
        brom.api,
        ALICE,
        producer.name,
      );
      await brom.api.patch(
        ALICE,
        '/applications/{name}/notification-types/{type}',
        {
          params: { name: producer.name, type: lonely.name },
          body: {
            generation: lonely.generation,
            routingKeyPattern: `${lonely.name}.#`,
          },
          expect: 200,
        },
      );
    });

    it('creates a new version in one call: a copy with the change, the successor of the old, which is deprecated', async () => {
      const { producer, type, consumer } = await subscribed();
      const name = uniqueName('v2');
      const sunsetAt = daysAhead(60);
      const version = (
        body: Record<string, unknown>,
        expect: number,
        of = type,
      ) =>
        brom.api.post(
          ALICE,
          '/applications/{name}/notification-types/{type}/versions',
          {
            params: { name: producer.name, type: of.name },
            body: { generation: of.generation, name, sunsetAt, ...body },
            expect,
          },
        );
      await version({ sunsetAt: daysAhead(1) }, 400);
      await brom.api.post(
        BOB,
        '/applications/{name}/notification-types/{type}/versions',
        {
          params: { name: producer.name, type: type.name },
          body: { generation: type.generation, name, sunsetAt },
          expect: 403,
        },
      );
      const before = await brom.backend
        .knex('brom_notification_types')
        .count({ n: '*' });

      // Narrowed: overlapping the type it replaces is allowed.
      const narrowed = `${type.name}.eu`;
      const { body: created } = await version(
        { routingKeyPattern: narrowed },
        201,
      );
      expect(created.notificationType).toMatchObject({
        application: producer.name,
        name,
        routingKeyPattern: narrowed,
        description: type.description,
        requiresApproval: false,
        deprecation: null,
        generation: 1,
      });
      expect(created.predecessor).toMatchObject({
        name: type.name,
        routingKeyPattern: type.routingKeyPattern,
        generation: type.generation + 1,
        deprecation: { sunsetAt, successor: name, deprecatedBy: ALICE },
      });
      const after = await brom.backend
        .knex('brom_notification_types')
        .count({ n: '*' });
      expect(Number(after[0].n)).toBe(Number(before[0].n) + 1);

      // The old type takes no new requests; the new one does, and the consumer moves.
      const other = await createApplication(brom.api, BOB, TEAM_B);
      await requestSubscription(brom.api, BOB, other.name, type, 409);
      const moved = await requestSubscription(
        brom.api,
        BOB,
        consumer.name,
        created.notificationType,
        201,
      );
      expect(moved).toMatchObject({
        state: 'approved',
        routingKeyPattern: narrowed,
      });

      // A deprecated type gets no second version.
      const again = await version(
        { name: uniqueName('v3') },
        409,
        created.predecessor,
      );
      expect(again.body.error.message).toContain(
        `its successor is "${producer.name}/${name}"`,
      );
    });

    it('leaves nothing half-written when the new version is refused', async () => {
      const { producer, type } = await subscribed();
      const sibling = await createNotificationType(
        brom.api,
        ALICE,
        producer.name,
      );
      const before = await brom.backend
        .knex('brom_notification_types')
        .where({ id: type.id })
        .first();
      // The copy would overlap another type of the producer: 400, and the old one stays current.
      await brom.api.post(
        ALICE,
        '/applications/{name}/notification-types/{type}/versions',
        {
          params: { name: producer.name, type: type.name },
          body: {
            generation: type.generation,
            name: uniqueName('v2'),
            sunsetAt: daysAhead(60),
            routingKeyPattern: `${sibling.name}.*`,
          },
          expect: 400,
        },
      );
      const after = await brom.backend
        .knex('brom_notification_types')
        .where({ id: type.id })
        .first();
      expect(after).toEqual(before);
      expect(after.deprecated_at).toBeNull();
    });
  },
);
