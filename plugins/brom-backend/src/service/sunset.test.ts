import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/backend';
import { desiredTopology } from '../reconciler/core/topology';
import { DatabaseReconcilerStore } from '../reconciler/runtime/ReconcilerStore';
import { BromStore } from '../store/BromStore';
import { Actor } from './Actor';
import { createPortalServices } from './createPortalServices';
import { scheduleSunsetTask, SUNSET_TASK_ID } from './sunsetTask';

const databases = createTestDatabases();

const TEAM_A = 'group:default/team-a';
const TEAM_B = 'group:default/team-b';
const actor = (ref: string, group: string): Actor => ({
  credentials: mockCredentials.user(ref),
  userEntityRef: ref,
  ownershipEntityRefs: [ref, group],
});
const ALICE = actor('user:default/alice', TEAM_A);
const BOB = actor('user:default/bob', TEAM_B);

const DAY_MS = 24 * 3600 * 1000;
const TOPOLOGY = {
  vhost: 'brom',
  prefix: 'brom.',
  queueType: 'quorum',
  policyPriority: 10,
} as const;

/** A clock the test moves. */
function fakeClock(start: string) {
  let now = new Date(start).getTime();
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe.each(databases.eachSupportedId())(
  'sunset of deprecated notification types on %s',
  (databaseId: TestDatabaseId) => {
    async function setUp() {
      const knex = await databases.init(databaseId);
      const store = await BromStore.create({
        database: mockServices.database({ knex }),
      });
      const time = fakeClock('2027-01-10T09:00:00.000Z');
      const portal = createPortalServices({
        store,
        permissions: mockServices.permissions(),
        reservedNames: [],
        broker: { vhost: 'brom', prefix: 'brom.', amqpUrls: [] },
        topology: TOPOLOGY,
        clock: time.clock,
        minimumSunsetDays: 14,
      });
      await portal.applications.createApplication(ALICE, {
        name: 'orders',
        owner: TEAM_A,
      });
      await portal.applications.createApplication(BOB, {
        name: 'billing',
        owner: TEAM_B,
      });
      const type = await portal.notificationTypes.createNotificationType(
        ALICE,
        'orders',
        {
          name: 'order-created',
          routingKeyPattern: 'order.*.created',
          description: 'An order was created',
          requiresApproval: false,
        },
      );
      const subscription = await portal.subscriptions.requestSubscription(BOB, {
        consumer: 'billing',
        producer: 'orders',
        notificationType: 'order-created',
        justification: 'Invoices',
      });
      const reconcilerStore = DatabaseReconcilerStore.create(store);
      const bindingKeys = async () =>
        desiredTopology(
          (await reconcilerStore.read(time.clock())).input,
          TOPOLOGY,
        )
          .bindings.filter(b => b.source === 'brom.orders')
          .map(b => b.routingKey);
      return { knex, portal, time, type, subscription, bindingKeys };
    }

    it('ends the remaining subscriptions at the sunset: revoked, audited, announced, binding no longer desired', async () => {
      const { knex, portal, time, type, subscription, bindingKeys } =
        await setUp();
      const sunsetAt = new Date(
        time.clock().getTime() + 15 * DAY_MS,
      ).toISOString();
      await portal.notificationTypes.deprecateNotificationType(
        ALICE,
        'orders',
        type.name,
        {
          generation: type.generation,
          sunsetAt,
        },
      );
      expect(await bindingKeys()).toEqual(['order.*.created']);

      time.advance(15 * DAY_MS - 1);
      expect(await portal.notificationTypes.endDueSunsets()).toBe(0);
      expect(
        (await portal.subscriptions.getSubscription(BOB, subscription.id))
          .state,
      ).toBe('approved');

      time.advance(1);
      expect(await portal.notificationTypes.endDueSunsets()).toBe(1);
      const ended = await portal.subscriptions.getSubscription(
        BOB,
        subscription.id,
      );
      expect(ended).toMatchObject({
        state: 'revoked',
        decidedBy: 'brom:lifecycle',
        reason: `Notification type "orders/order-created" reached its sunset on ${sunsetAt}`,
      });
      // The reconciler's desired state no longer has the binding: its next pass removes it.
      expect(await bindingKeys()).toEqual([]);

      const audit = await knex('brom_audit_events')
        .where({
          target_id: subscription.id,
          action: 'subscription.ended-by-sunset',
        })
        .orderBy('application');
      expect(audit.map((r: any) => [r.application, r.actor])).toEqual([
        ['billing', 'brom:lifecycle'],
        ['orders', 'brom:lifecycle'],
      ]);
      const events = await knex('brom_domain_events').where({
        type: 'subscription.endedBySunset',
      });
      expect(events.map((e: any) => JSON.parse(e.payload))).toEqual([
        expect.objectContaining({
          actor: 'brom:lifecycle',
          successor: null,
          subscription: expect.objectContaining({
            id: subscription.id,
            consumer: 'billing',
          }),
        }),
      ]);
      // Nothing left to do: a second run ends nothing.
      expect(await portal.notificationTypes.endDueSunsets()).toBe(0);
      // And a sunset that has passed can no longer be moved.
      const current = await portal.notificationTypes.getNotificationType(
        ALICE,
        'orders',
        type.name,
      );
      await expect(
        portal.notificationTypes.deprecateNotificationType(
          ALICE,
          'orders',
          type.name,
          {
            generation: current.generation,
            sunsetAt: new Date(
              time.clock().getTime() + 30 * DAY_MS,
            ).toISOString(),
          },
        ),
      ).rejects.toThrow('reached its sunset');
    });

    it('waits for the extended date when the producer moved it, and the new version keeps its subscribers', async () => {
      const { portal, time, type, subscription, bindingKeys } = await setUp();
      const first = new Date(
        time.clock().getTime() + 20 * DAY_MS,
      ).toISOString();
      const { notificationType: v2, predecessor } =
        await portal.notificationTypes.createNotificationTypeVersion(
          ALICE,
          'orders',
          type.name,
          {
            generation: type.generation,
            name: 'order-created-v2',
            sunsetAt: first,
            routingKeyPattern: 'order.eu.created',
          },
        );
      const moved = await portal.subscriptions.requestSubscription(BOB, {
        consumer: 'billing',
        producer: 'orders',
        notificationType: v2.name,
        justification: 'Invoices, v2',
      });
      time.advance(5 * DAY_MS);
      const later = new Date(
        time.clock().getTime() + 30 * DAY_MS,
      ).toISOString();
      await portal.notificationTypes.deprecateNotificationType(
        ALICE,
        'orders',
        type.name,
        {
          generation: predecessor.generation,
          sunsetAt: later,
        },
      );

      time.advance(16 * DAY_MS); // past the first date, before the second
      expect(await portal.notificationTypes.endDueSunsets()).toBe(0);

      time.advance(15 * DAY_MS);
      expect(await portal.notificationTypes.endDueSunsets()).toBe(1);
      expect(
        await portal.subscriptions.getSubscription(BOB, subscription.id),
      ).toMatchObject({
        state: 'revoked',
        reason: expect.stringContaining(
          'its successor is "orders/order-created-v2"',
        ),
      });
      expect(
        await portal.subscriptions.getSubscription(BOB, moved.id),
      ).toMatchObject({
        state: 'approved',
      });
      expect(await bindingKeys()).toEqual(['order.eu.created']);
    });

    it('runs as a Backstage scheduler task', async () => {
      const { portal, time, type } = await setUp();
      const scheduler = mockServices.scheduler.mock();
      await scheduleSunsetTask({
        scheduler,
        logger: mockServices.logger.mock(),
        notificationTypes: portal.notificationTypes,
        frequencyMs: 60_000,
      });
      expect(scheduler.scheduleTask).toHaveBeenCalledWith(
        expect.objectContaining({
          id: SUNSET_TASK_ID,
          frequency: { milliseconds: 60_000 },
        }),
      );
      const task = scheduler.scheduleTask.mock.calls[0][0];
      await portal.notificationTypes.deprecateNotificationType(
        ALICE,
        'orders',
        type.name,
        {
          generation: type.generation,
          sunsetAt: new Date(
            time.clock().getTime() + 14 * DAY_MS,
          ).toISOString(),
        },
      );
      time.advance(14 * DAY_MS);
      await task.fn(new AbortController().signal);
      const { items } = await portal.subscriptions.listSubscriptions(BOB, {
        consumer: 'billing',
        offset: 0,
        limit: 10,
      });
      expect(items.map(s => s.state)).toEqual(['revoked']);
    });
  },
);
