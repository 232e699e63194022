import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/backend';
import { DatabaseAuthzStateStore } from './AuthzStateStore';
import { BromStore } from './BromStore';

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'the authz state store on %s',
  (databaseId: TestDatabaseId) => {
    async function setup() {
      const knex = await databases.init(databaseId);
      const store = await BromStore.create({
        database: mockServices.database({ knex }),
      });
      const authz = DatabaseAuthzStateStore.create({ db: store.db });
      /** Domain events of applications `ids` (whose rows need not exist: none is read). */
      const changed = (...ids: string[]) =>
        store.write(async tx => {
          for (const id of ids) {
            await tx
              .insertInto('brom_domain_events')
              .values({
                type: 'application.updated',
                aggregate_kind: 'application',
                aggregate_id: id,
                payload: '{}',
                recorded_at: new Date().toISOString(),
              })
              .execute();
          }
        });
      return { authz, changed, store };
    }

    it('names the applications changed since a place in the change log, and where it ends', async () => {
      const { authz, changed } = await setup();
      const start = await authz.logPosition();
      expect(await authz.changedApplications(start, 10)).toEqual({
        position: start,
        applicationIds: new Set(),
      });

      await changed('a-1', 'a-2', 'a-1');
      const end = await authz.logPosition();
      expect(end).toEqual({ sequence: start.sequence + 3, aggregateId: 'a-1' });
      expect(await authz.changedApplications(start, 10)).toEqual({
        position: end,
        applicationIds: new Set(['a-1', 'a-2']),
      });
      expect(await authz.changedApplications(end, 10)).toEqual({
        position: end,
        applicationIds: new Set(),
      });
    });

    it('names the producer and consumers of a finalized type from its event, and reads no other payload', async () => {
      const { authz, store } = await setup();
      const start = await authz.logPosition();
      const event = (
        type: string,
        kind: string,
        id: string,
        payload: string,
      ) => ({
        type,
        aggregate_kind: kind,
        aggregate_id: id,
        payload,
        recorded_at: new Date().toISOString(),
      });
      await store.write(tx =>
        tx
          .insertInto('brom_domain_events')
          .values([
            // The type's row is gone: only its event names its producer and consumers.
            event(
              'notificationType.finalized',
              'notificationType',
              't-gone',
              JSON.stringify({
                producerId: 'p-1',
                consumerIds: ['c-1', 'c-2'],
              }),
            ),
            // Any other event is named by its aggregate; its payload is not read.
            event('application.updated', 'application', 'a-3', 'not JSON'),
          ])
          .execute(),
      );
      expect(
        (await authz.changedApplications(start, 10))?.applicationIds,
      ).toEqual(new Set(['p-1', 'c-1', 'c-2', 'a-3']));
    });

    it('cannot say when there were more changes than asked for, or the log is not the one it read', async () => {
      const { authz, changed } = await setup();
      await changed('a-1');
      const place = await authz.logPosition();
      await changed('a-2', 'a-3', 'a-4');
      expect(await authz.changedApplications(place, 2)).toBeUndefined();
      expect(await authz.changedApplications(place, 3)).toBeDefined();
      // A database restored from a backup has other events under the same sequences, or none.
      expect(
        await authz.changedApplications(
          { ...place, aggregateId: 'another' },
          10,
        ),
      ).toBeUndefined();
      expect(
        await authz.changedApplications(
          { sequence: place.sequence + 100, aggregateId: 'a-9' },
          10,
        ),
      ).toBeUndefined();
    });
  },
);
