import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { createTestDatabases } from '../__testUtils__/backend';
import { BromStore } from './BromStore';

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'BromStore on %s',
  (databaseId: TestDatabaseId) => {
    async function createStore() {
      const knex = await databases.init(databaseId);
      return {
        knex,
        store: await BromStore.create({
          database: mockServices.database({ knex }),
        }),
      };
    }

    const row = (name: string) => ({
      id: `id-${name}`,
      name,
      title: name,
      description: '',
      owner: 'group:default/team-a',
      entity_ref: null,
      message_ttl_ms: null,
      max_length: null,
      generation: 1,
      created_at: '2026-01-01T00:00:00.000Z',
      created_by: 'user:default/alice',
      updated_at: '2026-01-01T00:00:00.000Z',
      deleted_at: null,
      deleted_by: null,
      queue_deletion_confirmed_at: null,
      queue_deletion_confirmed_by: null,
      queue_dead_letter_argument: true,
    });

    it('bumps the state version in every write transaction', async () => {
      const { store } = await createStore();
      expect(store.dialect).toBe(databaseId === 'SQLITE_3' ? 'sqlite' : 'pg');
      expect(await store.version()).toBe(0);
      const seen = await store.write(async (tx, version) => {
        await tx.insertInto('brom_applications').values(row('a')).execute();
        return version;
      });
      expect(seen).toBe(1);
      expect(await store.version()).toBe(1);
      await store.write(async () => undefined);
      expect(await store.version()).toBe(2);
    });

    it('rolls back the data and the version when a write fails', async () => {
      const { store, knex } = await createStore();
      await expect(
        store.write(async tx => {
          await tx.insertInto('brom_applications').values(row('b')).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.version()).toBe(0);
      expect(await knex('brom_applications').select()).toEqual([]);
    });

    it('reads the data and the version of one moment', async () => {
      const { store } = await createStore();
      await store.write(async tx => {
        await tx.insertInto('brom_applications').values(row('c')).execute();
      });
      const result = await store.read(async (tx, version) => ({
        version,
        names: (
          await tx.selectFrom('brom_applications').select('name').execute()
        ).map(r => r.name),
      }));
      expect(result).toEqual({ version: 1, names: ['c'] });
    });
  },
);
