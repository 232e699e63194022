// The client's `expect` option asserts the status (and the body against openapi.yaml).
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import {
  ALICE,
  BOB,
  createTestDatabases,
  useBromTestBackend,
} from '../../__testUtils__/backend';
import { ALICE_PRODUCES_BOB_CONSUMES, pendingSubscription } from '../../__testUtils__/fixtures';
import { BromStore } from '../../store/BromStore';
import { desiredObjects } from '../core/kinds';
import { desiredTopology, desiredTopologyOf } from '../core/topology';
import { OPTIONS } from '../__testUtils__/fakeBroker';
import { DatabaseReconcilerStore } from './ReconcilerStore';

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'DatabaseReconcilerStore on %s',
  (databaseId: TestDatabaseId) => {
    const brom = useBromTestBackend(databases, databaseId);

    async function reconcilerStore() {
      const store = await BromStore.create({
        database: mockServices.database({ knex: brom.backend.knex }),
      });
      return DatabaseReconcilerStore.create(store);
    }

    it('reads for an incremental pass only the applications a change touched, and their rows', async () => {
      const store = await reconcilerStore();
      const touched = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const other = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const before = await store.read(new Date());

      await brom.api.post(ALICE, '/subscriptions/{id}/approve', {
        params: { id: touched.subscription.id },
        body: { generation: touched.subscription.generation },
        expect: 200,
      });
      const changes = await store.readChanges(new Date(), {
        after: before.cursor,
        applicationIds: [],
        limit: 100,
      });

      expect(changes).toBeDefined();
      expect([...changes!.applicationIds]).toEqual([touched.consumer.id]);
      expect(changes!.cursor).toBeGreaterThan(before.cursor);
      expect(changes!.input.version).toBeGreaterThan(before.input.version);
      // The consumer's rows, and the producer's only as far as the subscription names it.
      expect(changes!.input.subscriptions.map(s => s.id)).toEqual([touched.subscription.id]);
      expect(changes!.input.notificationTypes.map(t => t.id)).toEqual([touched.type.id]);
      expect(changes!.input.applications.map(a => a.id).sort()).toEqual(
        [touched.producer.id, touched.consumer.id].sort(),
      );
      // Registered through the API, so their queues name the dead-letter exchange (decision 0028).
      expect(changes!.input.applications.map(a => a.deadLetterArgument)).toEqual([true, true]);
      const ids = [other.producer.id, other.consumer.id, other.subscription.id, other.type.id];
      expect(JSON.stringify(changes!.input)).not.toMatch(new RegExp(ids.join('|')));

      // The objects it derives are exactly the consumer's objects of a whole read.
      const whole = desiredObjects(desiredTopology((await store.read(new Date())).input, OPTIONS))
        .filter(o => o.owner?.applicationId === touched.consumer.id);
      const scoped = desiredObjects(desiredTopologyOf(changes!.input, changes!.applicationIds, OPTIONS))
        .filter(o => o.kind !== 'vhost');
      expect(scoped).toEqual(whole);
      expect(scoped.map(o => o.kind)).toContain('binding');

      // Nothing since: nothing to read.
      const idle = await store.readChanges(new Date(), {
        after: changes!.cursor,
        applicationIds: [],
        limit: 100,
      });
      expect(idle).toMatchObject({
        cursor: changes!.cursor,
        input: { applications: [], notificationTypes: [], subscriptions: [] },
      });
      expect(idle!.applicationIds.size).toBe(0);

      // A position beyond the log (a restored database), or more changes than the limit:
      // the caller reads everything instead.
      expect(
        await store.readChanges(new Date(), { after: changes!.cursor + 1000, applicationIds: [], limit: 100 }),
      ).toBeUndefined();
      expect(
        await store.readChanges(new Date(), { after: 0, applicationIds: [], limit: 1 }),
      ).toBeUndefined();
    });

    it('names revoked credentials and their application without reading the others', async () => {
      const store = await reconcilerStore();
      const { consumer } = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const issue = () =>
        brom.api.post(BOB, '/applications/{name}/credentials', {
          params: { name: consumer.name },
          expect: 201,
        });
      const kept = (await issue()).body.credential;
      const revoked = (await issue()).body.credential;
      const before = await store.read(new Date());
      await brom.api.post(BOB, '/applications/{name}/credentials/{id}/revoke', {
        params: { name: consumer.name, id: revoked.id },
        expect: 200,
      });

      const changes = await store.readChanges(new Date(), {
        after: before.cursor,
        applicationIds: [],
        limit: 100,
      });
      expect([...changes!.applicationIds]).toEqual([consumer.id]);
      expect(changes!.revokedUsers).toEqual([
        expect.objectContaining({
          credentialId: revoked.id,
          username: revoked.username,
          reason: 'credential revoked',
        }),
      ]);
      expect(changes!.revokedUsers.map(u => u.username)).not.toContain(kept.username);

      // Once its connections are closed for good, it is not named again.
      await store.recordEnforced([`credential:${revoked.id}`], new Date());
      const after = await store.readChanges(new Date(), {
        after: changes!.cursor,
        applicationIds: [],
        limit: 100,
      });
      expect(after!.revokedUsers).toEqual([]);
    });

    it('reads the revoked users again only when they may have changed: a credential or application changed, or an expiry came', async () => {
      const store = await reconcilerStore();
      const { consumer } = await pendingSubscription(brom.api, ALICE_PRODUCES_BOB_CONSUMES);
      const expiresAt = new Date(Date.now() + 60 * 60_000).toISOString();
      const expiring = (
        await brom.api.post(BOB, '/applications/{name}/credentials', {
          params: { name: consumer.name },
          body: { expiresAt },
          expect: 201,
        })
      ).body.credential;
      const before = await store.read(new Date());
      expect(before.revokedUsers).toEqual([]);
      expect(before.nextExpiryAt).toBe(Date.parse(expiresAt));
      const settled = { nextExpiryAt: before.nextExpiryAt };

      // Nothing changed and the expiry is ahead: nothing to read, the expiry as it was.
      const idle = await store.readChanges(new Date(), {
        after: before.cursor,
        applicationIds: [],
        limit: 100,
        revocations: settled,
      });
      expect(idle).toMatchObject({
        cursor: before.cursor,
        revokedUsers: [],
        nextExpiryAt: Date.parse(expiresAt),
        input: { version: before.input.version, applications: [], credentials: [] },
      });
      // Beyond the log, it still says it cannot tell.
      expect(
        await store.readChanges(new Date(), {
          after: before.cursor + 1000,
          applicationIds: [],
          limit: 100,
          revocations: settled,
        }),
      ).toBeUndefined();

      // The expiry comes with no change in the log: the credential is read as expired.
      const expired = await store.readChanges(new Date(Date.parse(expiresAt)), {
        after: before.cursor,
        applicationIds: [],
        limit: 100,
        revocations: settled,
      });
      expect(expired!.revokedUsers).toEqual([
        expect.objectContaining({ credentialId: expiring.id, reason: 'credential expired' }),
      ]);
      expect(expired!.nextExpiryAt).toBeUndefined();
      // Its application is looked at, so that the native mode's broker user of the credential
      // goes in this incremental pass (the credential is no longer in the input).
      expect([...expired!.applicationIds]).toEqual([consumer.id]);
      expect(expired!.input.credentials ?? []).not.toContainEqual(
        expect.objectContaining({ id: expiring.id }),
      );

      // A revocation is in the log: read however settled the last pass was.
      const kept = (
        await brom.api.post(BOB, '/applications/{name}/credentials', {
          params: { name: consumer.name },
          expect: 201,
        })
      ).body.credential;
      const issued = await store.readChanges(new Date(), {
        after: before.cursor,
        applicationIds: [],
        limit: 100,
      });
      await brom.api.post(BOB, '/applications/{name}/credentials/{id}/revoke', {
        params: { name: consumer.name, id: kept.id },
        expect: 200,
      });
      const revoked = await store.readChanges(new Date(), {
        after: issued!.cursor,
        applicationIds: [],
        limit: 100,
        revocations: { nextExpiryAt: issued!.nextExpiryAt },
      });
      expect(revoked!.revokedUsers).toEqual([
        expect.objectContaining({ credentialId: kept.id, reason: 'credential revoked' }),
      ]);
      expect(revoked!.nextExpiryAt).toBe(Date.parse(expiresAt));
    });

    it('reads the stored status rows of the named keys only', async () => {
      const store = await reconcilerStore();
      await store.recordEnforced(['credential:a', 'credential:b'], new Date());
      const rows = await store.readStatuses(['enforced:credential:a', 'queue:brom.none']);
      expect([...rows.keys()]).toEqual(['enforced:credential:a']);
    });
  },
);
