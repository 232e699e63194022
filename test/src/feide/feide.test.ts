import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { permissionsRegistryServiceFactory } from '@backstage/backend-defaults/permissionsRegistry';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import bromPlugin, {
  bromPermissionPolicyModule,
} from '@internal/plugin-brom-backend';
import bromModuleMemberships from '@internal/plugin-brom-backend-module-memberships';
import catalogModuleBrom from '@internal/plugin-catalog-backend-module-brom';
import {
  authModuleFeideProvider,
  feideGroupEntityRef,
  feideUserEntityRef,
} from 'backend/feide';
import { FeideGroupFixture, FeideTestProvider } from './FeideTestProvider';
import { signInThroughFeide } from './signInThroughFeide';

const CLIENT_ID = 'brom-test';
const CLIENT_SECRET = 'brom-test-secret';

/** Feide `sub`s are opaque UUIDs. */
const ALICE = 'c0a8e2f4-3b1d-4e6a-9f70-2d5b8c1e4a93';
const BOB = '7e2d4b6f-8a1c-4d3e-b5f9-0c6a2e8d4b17';

const TEAM_A: FeideGroupFixture = {
  id: 'fc:adhoc:1f4e8a2c-7b3d-4c5e-9a1f-6d2b8c4e0a7f',
  displayName: 'Team A',
  type: 'fc:adhoc',
  membership: { basic: 'admin' },
};
const TEAM_B: FeideGroupFixture = {
  id: 'fc:adhoc:9d3c5e7a-1b2f-4a6c-8e0d-3f5a7c9b1d2e',
  displayName: 'Team B',
  type: 'fc:adhoc',
  membership: { basic: 'member' },
};
const UNIVERSITY: FeideGroupFixture = {
  id: 'fc:org:example.org',
  displayName: 'Example University',
  type: 'fc:org',
  membership: { basic: 'member' },
};

const TEAM_A_REF = feideGroupEntityRef(TEAM_A.id);
const TEAM_B_REF = feideGroupEntityRef(TEAM_B.id);

/** How long the catalog may take to show a sign-in: refresh every second, then processing. */
const CATALOG_WITHIN_MS = 60_000;
const POLL_INTERVAL_MS = 250;

async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  withinMs = CATALOG_WITHIN_MS,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline)
      throw new Error(`Not within ${withinMs} ms: ${what}`);
    await new Promise(resolve => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

describe('Sign-in with Feide and group-based ownership', () => {
  let feide: FeideTestProvider;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let baseUrl: string;

  beforeAll(async () => {
    feide = await FeideTestProvider.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: 'http://localhost/api/auth/feide/handler/frame',
      accounts: {
        [ALICE]: { name: 'Alice Hansen', email: 'alice@example.org' },
        [BOB]: { name: 'Bob Olsen', email: 'bob@example.org' },
      },
    });
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            auth: {
              environment: 'development',
              session: { secret: 'feide-test-session-secret' },
              providers: {
                feide: {
                  development: {
                    metadataUrl: feide.metadataUrl,
                    clientId: CLIENT_ID,
                    clientSecret: CLIENT_SECRET,
                    prompt: 'auto',
                    groupsApiBaseUrl: feide.groupsApiBaseUrl,
                  },
                },
              },
            },
            permission: { enabled: true },
            brom: { catalog: { orgRefreshSeconds: 1 } },
          },
        }),
        // Real token handling end to end: the identity the auth plugin issues is what
        // BROM, the permission backend and the catalog verify.
        authServiceFactory,
        httpAuthServiceFactory,
        httpRouterServiceFactory,
        userInfoServiceFactory,
        permissionsServiceFactory,
        permissionsRegistryServiceFactory,
        schedulerServiceFactory,
        authPlugin,
        authModuleFeideProvider,
        permissionPlugin,
        bromPermissionPolicyModule,
        bromPlugin,
        bromModuleMemberships,
        catalogPlugin,
        catalogModuleBrom,
      ],
    });
    baseUrl = `http://localhost:${backend.server.port()}`;
  });

  afterAll(async () => {
    await backend?.stop();
    await feide?.stop();
  });

  function api(token: string) {
    return (method: string, path: string, body?: unknown) =>
      fetch(`${baseUrl}/api${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  }

  async function signIn(sub: string) {
    try {
      return await signInThroughFeide({ backendBaseUrl: baseUrl, login: sub });
    } catch (error) {
      throw new Error(
        `${error}\nOIDC provider output:\n${feide.diagnostics()}`,
      );
    }
  }

  async function catalogEntity(token: string, kind: string, name: string) {
    const res = await api(token)(
      'GET',
      `/catalog/entities/by-name/${kind}/default/${name}`,
    );
    return res.status === 200 ? res.json() : undefined;
  }

  it('gives a user ownership through their Feide groups, and takes it away when they leave', async () => {
    await feide.setGroups(ALICE, [TEAM_A, UNIVERSITY]);
    await feide.setGroups(BOB, [TEAM_B]);

    const bob = await signIn(BOB);
    expect(bob.userEntityRef).toBe(feideUserEntityRef(BOB));
    const bobsApp = await api(bob.token)('POST', '/brom/applications', {
      name: 'team-b-orders',
      owner: TEAM_B_REF,
    });
    expect(bobsApp.status).toBe(201);

    const alice = await signIn(ALICE);
    expect(alice.userEntityRef).toBe(feideUserEntityRef(ALICE));
    const asAlice = api(alice.token);

    const created = await asAlice('POST', '/brom/applications', {
      name: 'team-a-invoices',
      owner: TEAM_A_REF,
    });
    expect(created.status).toBe(201);
    const { generation } = await created.json();
    const patched = await asAlice(
      'PATCH',
      '/brom/applications/team-a-invoices',
      {
        generation,
        title: 'Invoices',
      },
    );
    expect(patched.status).toBe(200);

    const notHers = await asAlice('PATCH', '/brom/applications/team-b-orders', {
      generation: 1,
      title: 'Taken over',
    });
    expect(notHers.status).toBe(403);

    // Users cannot write or read the memberships themselves: only the auth and catalog
    // plugins may.
    expect(
      (
        await asAlice(
          'PUT',
          `/brom/service/memberships/${encodeURIComponent(
            alice.userEntityRef,
          )}`,
          {
            displayName: 'Alice',
            groups: [{ ref: TEAM_B_REF, displayName: 'Team B' }],
          },
        )
      ).status,
    ).toBe(403);
    expect((await asAlice('GET', '/brom/service/org-export')).status).toBe(403);

    // The first sign-in created the user, and the catalog shows her in her groups.
    const teamAName = TEAM_A_REF.split('/')[1];
    const group = await eventually('Team A in the catalog', () =>
      catalogEntity(alice.token, 'group', teamAName),
    );
    expect(group.metadata.title).toBe('Team A');
    const user = await eventually(
      'Alice a member of Team A in the catalog',
      async () => {
        const entity = await catalogEntity(
          alice.token,
          'user',
          alice.userEntityRef.split('/')[1],
        );
        const memberOf = (entity?.relations ?? [])
          .filter((r: { type: string }) => r.type === 'memberOf')
          .map((r: { targetRef: string }) => r.targetRef);
        return memberOf.includes(TEAM_A_REF) ? entity : undefined;
      },
    );
    expect(user.spec.profile).toEqual({
      displayName: 'Alice Hansen',
      email: 'alice@example.org',
    });

    // Alice leaves Team A in Feide; her next sign-in no longer owns its application.
    await feide.setGroups(ALICE, [UNIVERSITY]);
    const aliceAgain = await signIn(ALICE);
    const { generation: current } = await (
      await api(aliceAgain.token)('GET', '/brom/applications/team-a-invoices')
    ).json();
    const afterLeaving = await api(aliceAgain.token)(
      'PATCH',
      '/brom/applications/team-a-invoices',
      { generation: current, title: 'Still mine?' },
    );
    expect(afterLeaving.status).toBe(403);

    // Team A has no members left, so it leaves the catalog too.
    await eventually('Team A gone from the catalog', async () =>
      (await catalogEntity(aliceAgain.token, 'group', teamAName))
        ? undefined
        : true,
    );
  });
});
