// The client's `expect` option asserts the status of each request.
import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import {
  ALICE,
  BOB,
  MALLORY,
  TEAM_C,
  createTestDatabases,
  TEAM_A,
  TEAM_B,
  useBromTestBackend,
} from '../__testUtils__/backend';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  createApplication,
  createNotificationType,
  pendingSubscription,
  requestSubscription,
} from '../__testUtils__/fixtures';
import { BromStore } from '../store/BromStore';
import {
  DatabaseNotificationWatchStore,
  NotificationWatchStore,
} from '../store/NotificationWatchStore';
import { Actor } from '../service/Actor';
import { createPortalServices } from '../service/createPortalServices';
import { ApplicationWatch } from './ApplicationWatch';
import { BROM_NOTIFICATION_TOPICS } from './rules';

const databases = createTestDatabases();

/** Polls until `pick` finds something in `sent`; fails after a generous bound. */
async function waitForSent(
  sent: NotificationSendOptions[],
  pick: (n: NotificationSendOptions) => boolean,
): Promise<NotificationSendOptions> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = sent.find(pick);
    if (found) return found;
    if (Date.now() > deadline) {
      throw new Error(
        `No such notification; sent: ${JSON.stringify(sent.map(n => n.payload.title))}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

const recipientsOf = (n: NotificationSendOptions) =>
  n.recipients.type === 'entity' ? n.recipients : undefined;

describe.each(databases.eachSupportedId())(
  'notifications from domain events on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    it('tells the producer of a request, then the consumer of the decision, each once', async () => {
      const { sent } = brom.backend.notifications;
      const first = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const request = await waitForSent(sent, n =>
        n.payload.title.includes(`${first.consumer.name} asks to subscribe`),
      );
      expect(recipientsOf(request)).toEqual({
        type: 'entity',
        entityRef: [TEAM_A],
        excludeEntityRef: BOB,
      });
      expect(request.payload).toMatchObject({
        link: '/brom/approvals',
        topic: BROM_NOTIFICATION_TOPICS.subscriptionRequests,
        scope: expect.stringMatching(/^brom-event-\d+$/),
      });

      await brom.api.post(ALICE, '/subscriptions/{id}/approve', {
        params: { id: first.subscription.id },
        body: { generation: 1 },
        expect: 200,
      });
      const approval = await waitForSent(
        sent,
        n => n.payload.title.includes('approved') && n.payload.title.includes(first.consumer.name),
      );
      expect(recipientsOf(approval)?.entityRef).toEqual([TEAM_B]);
      expect(approval.payload.link).toBe(
        `/brom/applications/${first.consumer.name}`,
      );

      const second = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const reason = 'The payload carries personal data; talk to us first';
      await brom.api.post(ALICE, '/subscriptions/{id}/reject', {
        params: { id: second.subscription.id },
        body: { generation: 1, reason },
        expect: 200,
      });
      const rejection = await waitForSent(
        sent,
        n => n.payload.title.includes('rejected') && n.payload.title.includes(second.consumer.name),
      );
      expect(recipientsOf(rejection)).toMatchObject({ entityRef: [TEAM_B], excludeEntityRef: ALICE });
      expect(rejection.payload.description).toContain(reason);
      expect(rejection.payload.topic).toBe(BROM_NOTIFICATION_TOPICS.subscriptionDecisions);

      // Registrations, type declarations and the like tell nobody; each event at most once.
      const mine = sent.filter(n =>
        [first, second].some(p => n.payload.title.includes(p.consumer.name)),
      );
      expect(mine.map(n => n.payload.title.replace(/\S+-\d+\S*/g, 'X'))).toEqual([
        'X asks to subscribe to X',
        'Subscription of X to X approved',
        'X asks to subscribe to X',
        'Subscription of X to X rejected',
      ]);
      const scopes = sent.map(n => n.payload.scope);
      expect(new Set(scopes).size).toBe(scopes.length);
    });

    it('tells the consumer of a revocation with its reason, and no one of an automatic approval', async () => {
      const { sent } = brom.backend.notifications;
      const open = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES, {
        requiresApproval: false,
      });
      expect(open.subscription.state).toBe('approved');
      const reason = 'We are retiring this type';
      await brom.api.post(ALICE, '/subscriptions/{id}/revoke', {
        params: { id: open.subscription.id },
        body: { generation: open.subscription.generation, reason },
        expect: 200,
      });
      const revocation = await waitForSent(
        sent,
        n => n.payload.title.includes('revoked') && n.payload.title.includes(open.consumer.name),
      );
      expect(recipientsOf(revocation)?.entityRef).toEqual([TEAM_B]);
      expect(revocation.payload.description).toContain(reason);
      expect(
        sent.filter(n => n.payload.title.includes(open.consumer.name)).map(n => n.payload.title),
      ).toEqual([revocation.payload.title]);
    });
  },
);

describe.each(databases.eachSupportedId())(
  'notifications of deprecations on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    it("tells each consumer's owners once, with the sunset and the successor", async () => {
      const { sent } = brom.backend.notifications;
      const producer = await createApplication(brom.api, ALICE, TEAM_A);
      const type = await createNotificationType(brom.api, ALICE, producer.name, {
        requiresApproval: false,
      });
      const successor = await createNotificationType(brom.api, ALICE, producer.name);
      const billing = await createApplication(brom.api, BOB, TEAM_B);
      const audit = await createApplication(brom.api, MALLORY, TEAM_C);
      await requestSubscription(brom.api, BOB, billing.name, type);
      await requestSubscription(brom.api, MALLORY, audit.name, type);
      const sunsetAt = new Date(Date.now() + 40 * 24 * 60 * 60_000).toISOString();
      await brom.api.post(ALICE, '/applications/{name}/notification-types/{type}/deprecation', {
        params: { name: producer.name, type: type.name },
        body: { generation: type.generation, sunsetAt, successor: successor.name },
        expect: 200,
      });

      const about = (consumer: string) =>
        waitForSent(
          sent,
          n => n.payload.title.includes('is deprecated') && n.payload.title.includes(consumer),
        );
      const toBilling = await about(billing.name);
      const toAudit = await about(audit.name);
      expect(recipientsOf(toBilling)?.entityRef).toEqual([TEAM_B]);
      expect(recipientsOf(toAudit)?.entityRef).toEqual([TEAM_C]);
      expect(toBilling.payload.description).toContain(successor.name);
      expect(toBilling.payload.topic).toBe(BROM_NOTIFICATION_TOPICS.deprecations);
      expect(toBilling.payload.scope).not.toBe(toAudit.payload.scope);
      expect(sent.filter(n => n.payload.title.includes('is deprecated'))).toHaveLength(2);
    });
  },
);

const ALICE_ACTOR: Actor = {
  credentials: mockCredentials.user(ALICE),
  userEntityRef: ALICE,
  ownershipEntityRefs: [ALICE, TEAM_A],
};

class Recorder {
  readonly sent: NotificationSendOptions[] = [];
  failNext = false;
  async send(options: NotificationSendOptions) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('notifications backend unavailable');
    }
    this.sent.push(options);
  }
}

describe.each(databases.eachSupportedId())(
  'scheduled notices on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: BromStore;
    let watchStore: NotificationWatchStore;
    let now: number;
    let recorder: Recorder;
    let watch: ApplicationWatch;
    const clock = () => new Date(now);

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await BromStore.create({ database: mockServices.database({ knex }) });
      watchStore = DatabaseNotificationWatchStore.create({ store });
      now = Date.parse('2026-12-01T10:00:00.000Z');
      recorder = new Recorder();
      watch = new ApplicationWatch({
        store: watchStore,
        notifications: recorder,
        logger: mockServices.logger.mock(),
        clock,
      });
    });

    function portal() {
      return createPortalServices({
        store,
        permissions: mockServices.permissions(),
        reservedNames: [],
        broker: { vhost: '/', prefix: 'brom.', amqpUrls: [] },
        topology: { vhost: '/', prefix: 'brom.', queueType: 'quorum', policyPriority: 10 },
        clock,
      });
    }

    const DAY = 24 * 60 * 60_000;

    it('warns of an expiring credential at 14, 3 and 1 days, once each, even when recording fails', async () => {
      const services = portal();
      await services.applications.createApplication(ALICE_ACTOR, {
        name: 'billing',
        owner: TEAM_A,
      });
      const expiresAt = new Date(now + 20 * DAY).toISOString();
      await services.credentials.createCredential(ALICE_ACTOR, 'billing', { expiresAt });
      const titles = () => recorder.sent.map(n => n.payload.title);

      await watch.run();
      expect(titles()).toEqual([]);

      now += 6 * DAY + 60_000; // 13.99 days left
      await watch.run();
      await watch.run();
      expect(titles()).toEqual(['A credential of billing expires in 14 days']);
      expect(recorder.sent[0].recipients).toEqual({ type: 'entity', entityRef: [TEAM_A] });
      expect(recorder.sent[0].payload.topic).toBe(BROM_NOTIFICATION_TOPICS.credentialExpiry);

      // Sent, then the replica dies before recording it: the next check sends it again under
      // the same scope, which the notifications backend keeps as one notification.
      now += 11 * DAY; // 2.99 days left
      const record = watchStore.record.bind(watchStore);
      watchStore.record = async () => {
        throw new Error('the replica died');
      };
      await expect(watch.run()).rejects.toThrow('the replica died');
      watchStore.record = record;
      await watch.run();
      await watch.run();
      expect(titles()).toEqual([
        'A credential of billing expires in 14 days',
        'A credential of billing expires in 3 days',
        'A credential of billing expires in 3 days',
      ]);
      expect(recorder.sent[1].payload.scope).toBe(recorder.sent[2].payload.scope);
      expect(recorder.sent[1].payload.severity).toBe('high');

      // A failed send is tried again on the next check.
      now += 2 * DAY; // 0.99 days left
      recorder.failNext = true;
      await watch.run();
      expect(titles()).toHaveLength(3);
      await watch.run();
      await watch.run();
      expect(titles().slice(3)).toEqual(['A credential of billing expires in 1 day']);
      expect(recorder.sent[3].payload.severity).toBe('critical');

      // Expired: nothing more.
      now += DAY;
      await watch.run();
      expect(titles()).toHaveLength(4);
    });

    it('tells owners of broker objects not ready for 10 minutes, once, and once more on recovery', async () => {
      const services = portal();
      const app = await services.applications.createApplication(ALICE_ACTOR, {
        name: 'orders',
        owner: TEAM_A,
      });
      const since = new Date(now).toISOString();
      const row = (key: string, status: string, reason: string) => ({
        key,
        kind: 'exchange',
        name: key,
        application_id: app.id,
        subscription_id: null,
        managed: true,
        desired_generation: 1,
        observed_generation: 1,
        status,
        reason,
        message: `${key} ${reason}`,
        last_transition_time: since,
        attempts: 0,
        last_attempt_at: null,
        next_attempt_at: null,
      });
      await knex('brom_sync_status').insert([
        row('exchange:brom.orders', 'False', 'BrokerRefused'),
        row('policy:brom.orders', 'True', 'InSync'),
      ]);

      now += 9 * 60_000;
      await watch.run();
      expect(recorder.sent).toEqual([]);

      now += 2 * 60_000;
      await watch.run();
      await watch.run();
      expect(recorder.sent.map(n => n.payload.title)).toEqual([
        'The broker objects of orders are not ready',
      ]);
      expect(recorder.sent[0].payload.topic).toBe(BROM_NOTIFICATION_TOPICS.brokerStatus);

      await knex('brom_sync_status')
        .where({ key: 'exchange:brom.orders' })
        .update({ status: 'True', reason: 'InSync', last_transition_time: clock().toISOString() });
      await watch.run();
      await watch.run();
      expect(recorder.sent.map(n => n.payload.title)).toEqual([
        'The broker objects of orders are not ready',
        'The broker objects of orders are ready again',
      ]);
      expect(await watchStore.records('')).toEqual([]);
    });

    it('tells owners once that deleting their application waits for their confirmation', async () => {
      const services = portal();
      const app = await services.applications.createApplication(ALICE_ACTOR, {
        name: 'search',
        owner: TEAM_A,
      });
      await services.applications.deleteApplication(ALICE_ACTOR, 'search', {
        generation: app.generation,
        force: false,
      });
      await knex('brom_sync_status').insert({
        key: 'queue:brom.search',
        kind: 'queue',
        name: 'brom.search',
        application_id: app.id,
        subscription_id: null,
        managed: true,
        desired_generation: 1,
        observed_generation: 1,
        status: 'False',
        reason: 'QueueNotEmpty',
        message: 'queue brom.search holds 3 messages and application search has not confirmed that its queued messages may be discarded',
        last_transition_time: clock().toISOString(),
        attempts: 0,
        last_attempt_at: null,
        next_attempt_at: null,
      });
      now += 60 * 60_000;
      await watch.run();
      await watch.run();
      expect(recorder.sent.map(n => n.payload.title)).toEqual([
        'Deleting search waits for your confirmation',
      ]);
      expect(recorder.sent[0].payload.description).toContain('holds 3 messages');
      expect(recorder.sent[0].payload.topic).toBe(BROM_NOTIFICATION_TOPICS.queueDeletion);
    });
  },
);
