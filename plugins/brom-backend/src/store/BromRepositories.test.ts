import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { Application } from '@internal/plugin-brom-common';
import { createTestDatabases } from '../__testUtils__/backend';
import { DatabaseUnitOfWork } from './BromRepositories';
import { BromStore } from './BromStore';

const databases = createTestDatabases();

const A = 'group:default/team-a';
const B = 'group:default/team-b';
const C = 'group:default/team-c';

function application(name: string, owner: string): Application {
  return {
    id: `id-${name}`,
    name,
    title: name,
    description: '',
    owner,
    entityRef: null,
    settings: { messageTtlMs: null, maxLength: null },
    externalProducer: null,
    generation: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    deletedAt: null,
    queueDeletionConfirmedAt: null,
  };
}

describe.each(databases.eachSupportedId())(
  'repositories on %s',
  (databaseId: TestDatabaseId) => {
    async function createWork() {
      const knex = await databases.init(databaseId);
      const store = await BromStore.create({ database: mockServices.database({ knex }) });
      const work = DatabaseUnitOfWork.create({ store });
      await work.write(async ({ applications }) => {
        for (const [name, owner] of [
          ['alpha', A],
          ['beta', B],
          ['gamma', C],
        ]) {
          await applications.insert(application(name, owner), { createdBy: 'user:default/x' });
        }
      });
      return work;
    }

    it('filters lists in SQL by permission criteria over owners', async () => {
      const { repositories } = await createWork();
      const names = async (allowed: Parameters<typeof repositories.applications.list>[0]['allowed']) =>
        (await repositories.applications.list({ allowed, offset: 0, limit: 10 })).items.map(
          a => a.name,
        );
      expect(await names(undefined)).toEqual(['alpha', 'beta', 'gamma']);
      expect(await names({ ownerIn: [A, C] })).toEqual(['alpha', 'gamma']);
      expect(await names({ ownerIn: [] })).toEqual([]);
      expect(await names({ not: { ownerIn: [A] } })).toEqual(['beta', 'gamma']);
      expect(
        await names({ anyOf: [{ ownerIn: [A] }, { ownerIn: [B] }] }),
      ).toEqual(['alpha', 'beta']);
      expect(
        await names({ allOf: [{ ownerIn: [A, B] }, { not: { ownerIn: [B] } }] }),
      ).toEqual(['alpha']);
      const page = await repositories.applications.list({
        allowed: { anyOf: [{ ownerIn: [B] }, { ownerIn: [C] }] },
        offset: 1,
        limit: 1,
      });
      expect(page).toMatchObject({ totalCount: 2, items: [{ name: 'gamma' }] });
    });

    it('gives booleans and JSON back as written, whatever the dialect', async () => {
      const work = await createWork();
      const alpha = (await work.repositories.applications.findByName('alpha'))!;
      await work.write(async ({ notificationTypes }) => {
        await notificationTypes.insert(
          {
            id: 'type-1',
            application: 'alpha',
            name: 'created',
            routingKeyPattern: 'alpha.created',
            description: '',
            payloadSchema: { type: 'object' },
            visibility: 'public',
            requiresApproval: false,
            deprecation: null,
            generation: 1,
            createdAt: alpha.createdAt,
            updatedAt: alpha.createdAt,
            deletedAt: null,
          },
          { applicationId: alpha.id },
        );
      });
      const type = await work.repositories.notificationTypes.find(alpha, 'created');
      expect(type?.requiresApproval).toBe(false);
      expect(type?.payloadSchema).toEqual({ type: 'object' });
    });
  },
);
