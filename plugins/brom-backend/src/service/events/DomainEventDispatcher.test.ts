import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { Knex, knex as createKnex } from 'knex';
import { createTestDatabases } from '../../__testUtils__/backend';
import { BromStore } from '../../store/BromStore';
import { DatabaseDomainEventCursorStore } from '../../store/DomainEventStore';
import { StateWatcher } from '../../store/StateWatcher';
import { Actor } from '../Actor';
import { createPortalServices } from '../createPortalServices';
import { DeliveredDomainEvent } from './DomainEvent';
import {
  DispatcherTimers,
  DomainEventDispatcher,
} from './DomainEventDispatcher';

const databases = createTestDatabases();

const TEAM_A = 'group:default/team-a';
const ALICE: Actor = {
  credentials: mockCredentials.user('user:default/alice'),
  userEntityRef: 'user:default/alice',
  ownershipEntityRefs: ['user:default/alice', TEAM_A],
};

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: DispatcherTimers = {
    setTimeout(callback, ms) {
      next += 1;
      pending.set(next, { callback, ms });
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    delays: () => [...pending.values()].map(t => t.ms).sort((a, b) => a - b),
    /** Fires the timers due within `ms`. */
    fire(ms: number) {
      for (const [id, timer] of [...pending]) {
        if (timer.ms <= ms) {
          pending.delete(id);
          timer.callback();
        }
      }
    },
  };
}

async function openStore(knex: Knex) {
  return BromStore.create({ database: mockServices.database({ knex }) });
}

function portalOn(store: BromStore, onCommit?: (version: number) => void) {
  return createPortalServices({
    store,
    permissions: mockServices.permissions(),
    reservedNames: [],
    broker: { vhost: '/', prefix: 'brom.', amqpUrls: [] },
    topology: {
      vhost: '/',
      prefix: 'brom.',
      queueType: 'quorum',
      policyPriority: 10,
    },
    onCommit,
  });
}

function dispatcherOn(
  store: BromStore,
  options: Partial<Parameters<typeof DomainEventDispatcher.create>[0]> = {},
) {
  return DomainEventDispatcher.create({
    cursors: DatabaseDomainEventCursorStore.create({ store }),
    logger: mockServices.logger.mock(),
    ...options,
  });
}

/** Registers n applications: n `application.registered` events. */
async function registerApplications(
  store: BromStore,
  prefix: string,
  n: number,
) {
  const portal = portalOn(store);
  for (let i = 0; i < n; i++) {
    await portal.applications.createApplication(ALICE, {
      name: `${prefix}-${i}`,
      owner: TEAM_A,
    });
  }
}

describe.each(databases.eachSupportedId())(
  'domain events on %s',
  (databaseId: TestDatabaseId) => {
    it('records the event in the transaction of the change; a failed one leaves none', async () => {
      const knex = await databases.init(databaseId);
      const store = await openStore(knex);
      const portal = portalOn(store);
      const app = await portal.applications.createApplication(ALICE, {
        name: 'orders',
        owner: TEAM_A,
      });
      await expect(
        portal.work.write(async repositories => {
          await repositories.applications.update({
            ...app,
            title: 'Changed',
            generation: 2,
          });
          await repositories.events.append({
            type: 'application.updated',
            aggregate: { kind: 'application', id: app.id },
            actor: ALICE.userEntityRef,
            at: app.createdAt,
            application: { ...app, title: 'Changed', generation: 2 },
          });
          throw new Error('the change fails after its event was appended');
        }),
      ).rejects.toThrow('the change fails');
      await expect(
        portal.applications.updateApplication(ALICE, 'orders', {
          generation: 7,
          title: 'Stale',
        }),
      ).rejects.toThrow('has changed since you loaded it');

      const rows = await knex('brom_domain_events').select();
      expect(rows.map(r => [r.type, r.aggregate_kind, r.aggregate_id])).toEqual(
        [['application.registered', 'application', app.id]],
      );
      expect(JSON.parse(rows[0].payload)).toMatchObject({
        type: 'application.registered',
        actor: ALICE.userEntityRef,
        application: { name: 'orders', owner: TEAM_A, title: 'orders' },
      });
    });

    it('delivers to each subscriber on its own: a stuck one does not hold up the others', async () => {
      const knex = await databases.init(databaseId);
      const store = await openStore(knex);
      const dispatcher = dispatcherOn(store, { timers: manualTimers().timers });
      let release: () => void = () => {};
      const stuck = new Promise<void>(resolve => {
        release = resolve;
      });
      const slow: string[] = [];
      const fast: string[] = [];
      await dispatcher.subscribe('slow', async event => {
        await stuck;
        slow.push(event.type);
      });
      await dispatcher.subscribe('fast', async event => {
        fast.push(event.type);
      });
      await registerApplications(store, 'app', 2);

      const round = dispatcher.dispatch();
      // The fast subscriber gets both events while the slow one still waits on its first.
      const deadline = Date.now() + 20_000;
      while (fast.length < 2 && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 10));
      }
      expect(fast).toEqual([
        'application.registered',
        'application.registered',
      ]);
      expect(slow).toEqual([]);
      release();
      await round;
      await dispatcher.dispatch();
      expect(slow).toEqual([
        'application.registered',
        'application.registered',
      ]);
    });

    it('wakes on commit and hands the handler each change after it is committed, in order', async () => {
      const knex = await databases.init(databaseId);
      const store = await openStore(knex);
      const watcher = await StateWatcher.create({
        store,
        logger: mockServices.logger.mock(),
      });
      const { timers } = manualTimers();
      const dispatcher = dispatcherOn(store, {
        timers,
        onCommit: listener => watcher.onChange(() => listener()),
      });
      const seen: Array<{ type: string; committed: boolean }> = [];
      let resolveAll: () => void;
      const all = new Promise<void>(resolve => {
        resolveAll = resolve;
      });
      await dispatcher.subscribe('test', async event => {
        // Another connection sees the change only once it is committed.
        const row = await knex('brom_applications')
          .where({ name: 'billing' })
          .first();
        seen.push({ type: event.type, committed: Boolean(row) });
        if (seen.length === 4) resolveAll();
      });
      dispatcher.start();
      try {
        const portal = portalOn(store, version => watcher.notifyLocal(version));
        const app = await portal.applications.createApplication(ALICE, {
          name: 'billing',
          owner: TEAM_A,
        });
        await portal.applications.updateApplication(ALICE, 'billing', {
          generation: app.generation,
          description: 'Bills',
        });
        await portal.notificationTypes.createNotificationType(
          ALICE,
          'billing',
          {
            name: 'invoice-sent',
            routingKeyPattern: 'invoice.sent',
            description: 'An invoice went out',
          },
        );
        await portal.credentials.createCredential(ALICE, 'billing', {});
        await all;
        expect(seen).toEqual([
          { type: 'application.registered', committed: true },
          { type: 'application.updated', committed: true },
          { type: 'notificationType.declared', committed: true },
          { type: 'credential.created', committed: true },
        ]);
      } finally {
        await dispatcher.stop();
        await watcher.stop();
      }
    });

    it('retries a failing handler with growing backoff, losing and reordering nothing', async () => {
      const knex = await databases.init(databaseId);
      const store = await openStore(knex);
      let now = Date.parse('2026-12-01T10:00:00.000Z');
      const timers = manualTimers();
      const dispatcher = dispatcherOn(store, {
        timers: timers.timers,
        clock: () => new Date(now),
        pollIntervalMs: 60_000,
        initialBackoffMs: 1_000,
      });
      const handled: string[] = [];
      let failuresLeft = 2;
      await dispatcher.subscribe('flaky', async event => {
        const name = (
          event as Extract<DeliveredDomainEvent, { application: unknown }>
        ).application.name;
        if (name === 'flaky-1' && failuresLeft > 0) {
          failuresLeft -= 1;
          handled.push(`${name} failed`);
          throw new Error('downstream unavailable');
        }
        handled.push(name);
      });
      await registerApplications(store, 'flaky', 3);
      dispatcher.start();
      try {
        await dispatcher.dispatch();
        expect(handled).toEqual(['flaky-0', 'flaky-1 failed']);
        // The safety poll, and the retry after the first backoff.
        expect(timers.delays()).toEqual([1_000, 60_000]);

        // Not due yet: nothing is delivered, however often it is woken.
        await dispatcher.dispatch();
        expect(handled).toEqual(['flaky-0', 'flaky-1 failed']);

        now += 1_000;
        timers.fire(1_000);
        await dispatcher.dispatch();
        expect(handled).toEqual([
          'flaky-0',
          'flaky-1 failed',
          'flaky-1 failed',
        ]);
        expect(timers.delays()).toEqual([2_000, 60_000]);

        now += 2_000;
        timers.fire(2_000);
        await dispatcher.dispatch();
        expect(handled).toEqual([
          'flaky-0',
          'flaky-1 failed',
          'flaky-1 failed',
          'flaky-1',
          'flaky-2',
        ]);
        const [cursor] = await knex('brom_domain_event_cursors').select();
        expect(cursor).toMatchObject({
          attempts: 0,
          next_attempt_at: null,
          last_error: null,
        });
      } finally {
        await dispatcher.stop();
      }
    });

    it('looks for events on the slow timer when no commit wakes it', async () => {
      const knex = await databases.init(databaseId);
      const store = await openStore(knex);
      const timers = manualTimers();
      const dispatcher = dispatcherOn(store, {
        timers: timers.timers,
        pollIntervalMs: 30_000,
      });
      const handled: number[] = [];
      let delivered: () => void = () => {};
      await dispatcher.subscribe('poller', async event => {
        handled.push(event.sequence);
        delivered();
      });
      dispatcher.start();
      try {
        await dispatcher.dispatch();
        await registerApplications(store, 'polled', 1);
        expect(handled).toEqual([]);
        const arrived = new Promise<void>(resolve => {
          delivered = resolve;
        });
        timers.fire(30_000);
        await arrived;
        expect(handled).toHaveLength(1);
        // The timer re-arms itself.
        expect(timers.delays()).toEqual([30_000]);
      } finally {
        await dispatcher.stop();
      }
    });

    if (databaseId !== 'SQLITE_3') {
      describe('two replicas on one database', () => {
        const pools: Knex[] = [];

        /** Two backend replicas: each with its own connection pool to the same database. */
        async function replicaStores() {
          const knex = await databases.init(databaseId);
          const pool = () => {
            const replica = createKnex({
              client: knex.client.config.client,
              connection: knex.client.config.connection,
              pool: { min: 0, max: 3 },
            });
            pools.push(replica);
            return replica;
          };
          return {
            knex,
            a: await openStore(pool()),
            b: await openStore(pool()),
          };
        }

        afterEach(async () => {
          await Promise.all(pools.splice(0).map(pool => pool.destroy()));
        });

        it('deliver each event once per subscriber', async () => {
          const { a, b } = await replicaStores();
          const deliveries: Array<{
            replica: string;
            subscriber: string;
            sequence: number;
          }> = [];
          const replicas = { a: dispatcherOn(a), b: dispatcherOn(b) };
          for (const [replica, dispatcher] of Object.entries(replicas)) {
            for (const subscriber of ['notifier', 'catalog']) {
              await dispatcher.subscribe(subscriber, async event => {
                // Let the other replica try to claim meanwhile.
                await new Promise(resolve => setImmediate(resolve));
                deliveries.push({
                  replica,
                  subscriber,
                  sequence: event.sequence,
                });
              });
            }
          }
          await registerApplications(a, 'once', 6);
          await Promise.all([
            replicas.a.dispatch(),
            replicas.b.dispatch(),
            replicas.a.dispatch(),
            replicas.b.dispatch(),
          ]);
          await Promise.all([replicas.a.dispatch(), replicas.b.dispatch()]);
          for (const subscriber of ['notifier', 'catalog']) {
            const sequences = deliveries
              .filter(d => d.subscriber === subscriber)
              .map(d => d.sequence);
            expect(sequences).toHaveLength(6);
            expect(new Set(sequences).size).toBe(6);
            expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
          }
        });

        it('deliver again what a replica that died mid-batch had not confirmed', async () => {
          const { knex, a, b } = await replicaStores();
          const handledByB: string[] = [];
          const handledByA: string[] = [];
          const replicaA = dispatcherOn(a);
          const replicaB = dispatcherOn(b);
          await replicaA.subscribe('mirror', async event => {
            const name = (
              event as Extract<DeliveredDomainEvent, { application: unknown }>
            ).application.name;
            handledByA.push(name);
            if (name === 'dies-1') {
              // The replica's process dies: its connection, and the claim, go away.
              await knex.raw(
                `select pg_terminate_backend(l.pid)
                   from pg_locks l join pg_class c on c.oid = l.relation
                  where c.relname = 'brom_domain_event_cursors' and l.pid <> pg_backend_pid()`,
              );
              throw new Error('the replica died');
            }
          });
          await replicaB.subscribe('mirror', async event => {
            handledByB.push(
              (event as Extract<DeliveredDomainEvent, { application: unknown }>)
                .application.name,
            );
          });
          await registerApplications(b, 'dies', 3);
          await replicaA.dispatch();
          expect(handledByA).toEqual(['dies-0', 'dies-1']);
          await replicaB.dispatch();
          // Nothing of the batch was confirmed, so all of it comes again, in order.
          expect(handledByB).toEqual(['dies-0', 'dies-1', 'dies-2']);
          await replicaA.dispatch();
          expect(handledByA).toEqual(['dies-0', 'dies-1']);
        });
      });
    }
  },
);
