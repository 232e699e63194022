// The client's `expect` option asserts the status (and the body against openapi.yaml).
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import {
  AuthzSnapshot,
  applyAuthzSnapshotDelta,
  isAuthzSnapshotDelta,
  parseAuthzSnapshot,
} from '@internal/brom-authz-snapshot';
import {
  ADMIN,
  ALICE,
  CAROL,
  TEAM_A,
  createTestDatabases,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { Caller } from '../__testUtils__/client';
import {
  createApplication,
  createNotificationType,
} from '../__testUtils__/fixtures';
import { DatabaseReconcilerStore } from '../reconciler/runtime/ReconcilerStore';
import { BromStore } from '../store/BromStore';
import { buildAuthzSnapshot } from './AuthzPolicy';

const databases = createTestDatabases();

/** The sidecars' identity (the default of `brom.authz.sidecarSubjects`). */
const SIDECAR: Caller = { service: 'brom-sidecar' };

/** A small deterministic generator (mulberry32), so that a failure replays. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    below: (n: number) => Math.floor(next() * n),
    pick: <T>(items: T[]): T | undefined =>
      items.length ? items[Math.floor(next() * items.length)] : undefined,
  };
}

/** A snapshot's entries in one order, without what differs between two builds of one state. */
function comparable(snapshot: AuthzSnapshot) {
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : 1;
  return {
    version: snapshot.version,
    epoch: snapshot.epoch,
    applications: [...snapshot.applications].sort(byName),
    credentials: [...snapshot.credentials].sort((a, b) =>
      a.username < b.username ? -1 : 1,
    ),
  };
}

describe.each(databases.eachSupportedId())(
  'the authz feed on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    /**
     * A sidecar `name` that takes deltas, and a check that what it holds after a poll, and the
     * whole snapshot the feed serves, are what a whole build of the state gives.
     */
    async function sidecarChecking(name: string) {
      const store = await BromStore.create({
        database: mockServices.database({ knex: brom.backend.knex }),
      });
      let held: AuthzSnapshot | undefined;
      return {
        store,
        async poll(): Promise<AuthzSnapshot> {
          const res = await brom.api.get(SIDECAR, '/authz/snapshot', {
            query: {
              sidecar: name,
              delta: '1',
              ...(held ? { epoch: held.epoch } : {}),
            },
            headers: held ? { 'If-None-Match': `"${held.version}"` } : {},
          });
          expect([200, 304]).toContain(res.status);
          if (res.status === 200) {
            held =
              held && isAuthzSnapshotDelta(res.body)
                ? applyAuthzSnapshotDelta(held, res.body)
                : parseAuthzSnapshot(res.body);
          }
          const whole = await brom.api.get(SIDECAR, '/authz/snapshot', {
            query: { sidecar: `${name}-whole` },
            expect: 200,
          });
          const built = await store.read((tx, version) =>
            buildAuthzSnapshot(tx, {
              version,
              epoch: store.epoch,
              vhost: whole.body.vhost,
              prefix: 'brom.', // brom.broker.prefix's default
              now: new Date(),
            }),
          );
          expect(whole.body.version).toBe(built.version);
          expect(comparable(whole.body)).toEqual(comparable(built));
          expect(comparable(held!)).toEqual(comparable(built));
          return held!;
        },
      };
    }

    it('serves, from the changes since its last build, what a whole build of the state gives', async () => {
      const sidecar = await sidecarChecking('property');
      // A sidecar that polls after every fourth round: its deltas span several builds.
      const lagging = await sidecarChecking('lagging');
      const reconcilerStore = DatabaseReconcilerStore.create(sidecar.store);
      const rng = random(20261204);
      const expectFeedToMatchWholeBuild = sidecar.poll;

      const applications: Array<{ id: string; name: string }> = [];
      const types: Array<{ application: string; name: string; id: string }> =
        [];
      const subscriptions: string[] = [];
      const credentials: Array<{ application: string; id: string }> = [];
      const deleted: { applications: string[]; types: string[] } = {
        applications: [],
        types: [],
      };
      /** Issues or rotates to a credential of some application, kept for revoking. */
      const newCredential =
        (path: string, body: () => object) => async (): Promise<boolean> => {
          const app = rng.pick(applications);
          if (!app) return false;
          const res = await brom.api.post(ALICE, path, {
            params: { name: app.name },
            body: body(),
          });
          expect(res.status).toBeLessThan(500);
          if (res.status !== 201) return false;
          credentials.push({
            application: app.name,
            id: res.body.credential.id,
          });
          return true;
        };
      /** Each kind of change, how often it is picked, and whether it changed something. */
      const steps: Array<[string, number, () => Promise<boolean>]> = [
        [
          'register',
          2,
          async () => {
            const app = await createApplication(brom.api, ALICE, TEAM_A);
            applications.push({ id: app.id, name: app.name });
            return true;
          },
        ],
        [
          'declare',
          3,
          async () => {
            const app = rng.pick(applications);
            if (!app) return false;
            const type = await createNotificationType(
              brom.api,
              ALICE,
              app.name,
              {
                requiresApproval: rng.below(2) === 0,
              },
            );
            types.push({ application: app.name, name: type.name, id: type.id });
            return true;
          },
        ],
        [
          'subscribe',
          6,
          async () => {
            const app = rng.pick(applications);
            const type = rng.pick(types);
            if (!app || !type) return false;
            const res = await brom.api.post(ALICE, '/subscriptions', {
              body: {
                consumer: app.name,
                producer: type.application,
                notificationType: type.name,
                justification: 'property test',
              },
            });
            expect(res.status).toBeLessThan(500);
            if (res.status === 201) subscriptions.push(res.body.id);
            return res.status === 201;
          },
        ],
        ...(
          [
            ['approve', 4],
            ['reject', 1],
            ['revoke', 2],
          ] as const
        ).map(
          ([decision, weight]) =>
            [
              decision,
              weight,
              async () => {
                const id = rng.pick(subscriptions);
                if (!id) return false;
                const current = await brom.api.get(
                  ALICE,
                  '/subscriptions/{id}',
                  {
                    params: { id },
                  },
                );
                if (current.status !== 200) return false;
                // Alice requested it: her team mate decides.
                const res = await brom.api.post(
                  CAROL,
                  `/subscriptions/{id}/${decision}`,
                  {
                    params: { id },
                    body: {
                      generation: current.body.generation,
                      reason: 'property test',
                    },
                  },
                );
                expect(res.status).toBeLessThan(500);
                return res.status === 200;
              },
            ] as [string, number, () => Promise<boolean>],
        ),
        [
          'issue',
          3,
          newCredential('/applications/{name}/credentials', () =>
            rng.below(2)
              ? { expiresAt: new Date(Date.now() + 86_400_000).toISOString() }
              : {},
          ),
        ],
        [
          'rotate',
          2,
          newCredential('/applications/{name}/credentials/rotate', () => ({
            overlapSeconds: rng.below(2) ? 0 : 600,
          })),
        ],
        [
          'revoke credential',
          2,
          async () => {
            const credential = rng.pick(credentials);
            if (!credential) return false;
            const res = await brom.api.post(
              ALICE,
              '/applications/{name}/credentials/{id}/revoke',
              { params: { name: credential.application, id: credential.id } },
            );
            expect(res.status).toBeLessThan(500);
            return res.status === 200;
          },
        ],
        [
          'delete type',
          1,
          async () => {
            const type = rng.pick(types);
            if (!type) return false;
            const current = await brom.api.get(
              ALICE,
              '/applications/{name}/notification-types/{type}',
              { params: { name: type.application, type: type.name } },
            );
            if (current.status !== 200) return false;
            const res = await brom.api.delete(
              ADMIN,
              '/applications/{name}/notification-types/{type}',
              {
                params: { name: type.application, type: type.name },
                query: { generation: current.body.generation, force: 'true' },
              },
            );
            expect(res.status).toBeLessThan(500);
            if (res.status !== 200) return false;
            deleted.types.push(type.id);
            types.splice(types.indexOf(type), 1);
            return true;
          },
        ],
        [
          'delete application',
          1,
          async () => {
            const app = rng.pick(applications);
            if (!app) return false;
            const current = await brom.api.get(ALICE, '/applications/{name}', {
              params: { name: app.name },
            });
            if (current.status !== 200) return false;
            const res = await brom.api.delete(ADMIN, '/applications/{name}', {
              params: { name: app.name },
              query: { generation: current.body.generation, force: 'true' },
            });
            expect(res.status).toBeLessThan(500);
            if (res.status !== 200) return false;
            deleted.applications.push(app.id);
            applications.splice(applications.indexOf(app), 1);
            for (const list of [types, credentials]) {
              list.splice(
                0,
                list.length,
                ...list.filter(x => x.application !== app.name),
              );
            }
            return true;
          },
        ],
        [
          // What the reconciler does once the broker objects are gone: the rows go, and with
          // them the subscriptions to the types (a consumer may be left with none).
          'finalize',
          1,
          async () => {
            if (!deleted.applications.length && !deleted.types.length)
              return false;
            await reconcilerStore.finalize(
              deleted.applications.splice(0),
              deleted.types.splice(0),
              new Date(),
            );
            return true;
          },
        ],
      ];

      // A start with something in it, then random changes, one or a few between two polls.
      for (let i = 0; i < 4; i++) await steps[0][2]();
      await expectFeedToMatchWholeBuild();
      const weighted = steps.flatMap(step => Array(step[1]).fill(step));
      const done = new Map<string, number>();
      for (let round = 0; round < 100; round++) {
        for (let n = 1 + rng.below(3); n > 0; n--) {
          const [name, , step] = weighted[rng.below(weighted.length)];
          if (await step()) done.set(name, (done.get(name) ?? 0) + 1);
        }
        await expectFeedToMatchWholeBuild();
        if (round % 4 === 3) await lagging.poll();
      }
      // Every kind of change was made, and most several times.
      expect([...done.keys()].sort()).toEqual(
        steps.map(([name]) => name).sort(),
      );
    }, 120_000);

    it('takes read permissions from a consumer whose last subscription goes with its finalized producer or type', async () => {
      const sidecar = await sidecarChecking('finalized');
      const reconcilerStore = DatabaseReconcilerStore.create(sidecar.store);
      const entryOf = (snapshot: AuthzSnapshot, name: string) =>
        snapshot.applications.find(a => a.name === name);
      const subscribed = async () => {
        const producer = await createApplication(brom.api, ALICE, TEAM_A);
        const type = await createNotificationType(
          brom.api,
          ALICE,
          producer.name,
        );
        await createNotificationType(brom.api, ALICE, producer.name);
        const consumer = await createApplication(brom.api, ALICE, TEAM_A);
        await brom.api.post(ALICE, '/subscriptions', {
          body: {
            consumer: consumer.name,
            producer: producer.name,
            notificationType: type.name,
            justification: 'We need to know',
          },
          expect: 201,
        });
        return { producer, type, consumer };
      };
      const generation = async (path: string, params: Record<string, string>) =>
        (await brom.api.get(ALICE, path, { params, expect: 200 })).body
          .generation;

      // A producer deleted (which revokes the subscription), then finalized.
      const first = await subscribed();
      expect(
        entryOf(await sidecar.poll(), first.consumer.name)!.read,
      ).toHaveLength(2);
      await brom.api.delete(ADMIN, '/applications/{name}', {
        params: { name: first.producer.name },
        query: {
          generation: await generation('/applications/{name}', {
            name: first.producer.name,
          }),
          force: 'true',
        },
        expect: 200,
      });
      // Had a subscription: its queues are still there until the reconciler removes them.
      expect(
        entryOf(await sidecar.poll(), first.consumer.name)!.read,
      ).toHaveLength(2);
      await reconcilerStore.finalize([first.producer.id], [], new Date());
      expect(entryOf(await sidecar.poll(), first.consumer.name)!.read).toEqual(
        [],
      );

      // A type deleted and finalized between two polls: the producer's patterns and the
      // consumer's queues change by rows no longer there.
      const second = await subscribed();
      const before = await sidecar.poll();
      expect(
        entryOf(before, second.producer.name)!.topicWrite[0].routingKeyPatterns,
      ).toHaveLength(2);
      const typeParams = { name: second.producer.name, type: second.type.name };
      await brom.api.delete(
        ADMIN,
        '/applications/{name}/notification-types/{type}',
        {
          params: typeParams,
          query: {
            generation: await generation(
              '/applications/{name}/notification-types/{type}',
              typeParams,
            ),
            force: 'true',
          },
          expect: 200,
        },
      );
      await reconcilerStore.finalize([], [second.type.id], new Date());
      const after = await sidecar.poll();
      expect(
        entryOf(after, second.producer.name)!.topicWrite[0].routingKeyPatterns,
      ).toHaveLength(1);
      expect(entryOf(after, second.consumer.name)!.read).toEqual([]);
    });
  },
);
