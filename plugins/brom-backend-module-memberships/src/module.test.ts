import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
// The module is tested on its plugin, whose migrations create its tables.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import bromPlugin from '@internal/plugin-brom-backend';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { createTestDatabases } from '@internal/plugin-brom-backend/testUtils';
import request from 'supertest';
import bromModuleMemberships from './index';

const databases = createTestDatabases();

const ALICE = 'user:default/feide-alice';
const TEAM_A = 'group:default/feide-fc_adhoc_team-a';
const TEAM_B = 'group:default/feide-fc_adhoc_team-b';

/** A token that a plugin's own service identity sends to `brom`. */
function serviceHeader(subject: string) {
  return mockCredentials.service.header({
    onBehalfOf: mockCredentials.service(subject),
    targetPluginId: 'brom',
  });
}

const asAuth = serviceHeader('plugin:auth');
const asCatalog = serviceHeader('plugin:catalog');
const asAlice = mockCredentials.user.header(ALICE);

describe.each(databases.eachSupportedId())(
  'memberships routes on %s',
  (databaseId: TestDatabaseId) => {
    /** The brom plugin, whose migrations create the tables, with this module installed. */
    async function startBackend() {
      const knex = await databases.init(databaseId);
      return startTestBackend({
        features: [
          bromPlugin,
          bromModuleMemberships,
          mockServices.database.factory({ knex }),
        ],
      });
    }

    const signIn = (
      server: any,
      groups: Array<{ ref: string; displayName: string }>,
    ) =>
      request(server)
        .put(`/api/brom/service/memberships/${encodeURIComponent(ALICE)}`)
        .set('Authorization', asAuth)
        .send({
          displayName: 'Alice Hansen',
          email: 'alice@example.org',
          groups,
        });

    const orgExport = async (server: any) =>
      (
        await request(server)
          .get('/api/brom/service/org-export')
          .set('Authorization', asCatalog)
      ).body;

    it('creates the user at the first sign-in and replaces the memberships at the next', async () => {
      const backend = await startBackend();
      try {
        expect(await orgExport(backend.server)).toEqual({
          users: [],
          groups: [],
        });

        const first = await signIn(backend.server, [
          { ref: TEAM_A, displayName: 'Team A' },
          { ref: TEAM_B, displayName: 'Team B' },
        ]);
        expect(first.status).toBe(204);
        expect(await orgExport(backend.server)).toEqual({
          users: [
            {
              entityRef: ALICE,
              displayName: 'Alice Hansen',
              email: 'alice@example.org',
              memberOf: [TEAM_A, TEAM_B],
            },
          ],
          groups: [
            { entityRef: TEAM_A, displayName: 'Team A' },
            { entityRef: TEAM_B, displayName: 'Team B' },
          ],
        });

        expect(
          (
            await signIn(backend.server, [
              { ref: TEAM_B, displayName: 'Team B!' },
            ])
          ).status,
        ).toBe(204);
        const after = await orgExport(backend.server);
        expect(after.users[0].memberOf).toEqual([TEAM_B]);
        expect(after.groups).toEqual([
          { entityRef: TEAM_B, displayName: 'Team B!' },
        ]);
      } finally {
        await backend.stop();
      }
    });

    it('lets only the auth plugin record memberships and only the catalog read them', async () => {
      const backend = await startBackend();
      try {
        const put = (authorization: string) =>
          request(backend.server)
            .put(`/api/brom/service/memberships/${encodeURIComponent(ALICE)}`)
            .set('Authorization', authorization)
            .send({
              displayName: 'Alice',
              groups: [{ ref: TEAM_A, displayName: 'Team A' }],
            });
        expect((await put(asAlice)).status).toBe(403);
        expect((await put(asCatalog)).status).toBe(403);
        expect((await put(serviceHeader('external:someone'))).status).toBe(403);

        const get = (authorization: string) =>
          request(backend.server)
            .get('/api/brom/service/org-export')
            .set('Authorization', authorization);
        expect((await get(asAlice)).status).toBe(403);
        expect((await get(asAuth)).status).toBe(403);
        expect((await orgExport(backend.server)).users).toEqual([]);
      } finally {
        await backend.stop();
      }
    });

    it('refuses refs that are not users and groups in the default namespace', async () => {
      const backend = await startBackend();
      try {
        const put = (userRef: string, groupRef: string) =>
          request(backend.server)
            .put(`/api/brom/service/memberships/${encodeURIComponent(userRef)}`)
            .set('Authorization', asAuth)
            .send({
              displayName: 'Alice',
              groups: [{ ref: groupRef, displayName: 'G' }],
            });
        expect((await put('group:default/team-a', TEAM_A)).status).toBe(400);
        expect((await put(ALICE, 'user:default/bob')).status).toBe(400);
        expect((await put(ALICE, 'group:other/team-a')).status).toBe(400);
        expect((await put(ALICE, 'group:default/-bad-')).status).toBe(400);
        expect((await put(ALICE, TEAM_A)).status).toBe(204);
      } finally {
        await backend.stop();
      }
    });
  },
);
