// The client's `expect` option asserts the status (and the body against openapi.yaml).
/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "brom.api.*"] }] */
import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { bromAdministrationPermissions } from '@internal/plugin-brom-common';
import {
  ADMIN,
  ADMINS,
  ALICE,
  BOB,
  TEAM_A,
  TEAM_C,
  createTestDatabases,
  useBromTestBackend,
} from '../__testUtils__/backend';
import { uniqueName } from '../__testUtils__/client';
import {
  ALICE_PRODUCES_BOB_CONSUMES,
  createApplication,
  pendingSubscription,
} from '../__testUtils__/fixtures';
import { BromPermissionPolicy } from './policy';

const databases = createTestDatabases();

/**
 * An RBAC-like policy: BROM's rules for applications, but the administration rights go to
 * the named users, whatever their groups.
 */
class AdministrationByUser implements PermissionPolicy {
  readonly #brom = new BromPermissionPolicy({ admins: [ADMINS] });
  readonly #administration = new Set(
    bromAdministrationPermissions.map(p => p.name),
  );
  readonly #holders: ReadonlySet<string>;

  constructor(holders: string[]) {
    this.#holders = new Set(holders);
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (this.#administration.has(request.permission.name)) {
      return user && this.#holders.has(user.info.userEntityRef)
        ? { result: AuthorizeResult.ALLOW }
        : { result: AuthorizeResult.DENY };
    }
    return this.#brom.handle(request, user);
  }
}

describe.each(databases.eachSupportedId())(
  'administration rights granted by a policy, on %s',
  (databaseId: TestDatabaseId) => {
    // Alice is no member of brom.admins; the admin is, but this policy gives the rights to Alice.
    const brom = useBromTestBackend(databases, databaseId, {
      policy: new AdministrationByUser([ALICE]),
    });

    it('lets a non-administrator holding the right force-delete a producer and a notification type', async () => {
      const first = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      const deleted = await brom.api.delete(ALICE, '/applications/{name}', {
        params: { name: first.producer.name },
        query: { generation: 1, force: 'true' },
        expect: 200,
      });
      expect(deleted.body.deletedAt).not.toBeNull();
      const revoked = await brom.api.get(BOB, '/subscriptions/{id}', {
        params: { id: first.subscription.id },
        expect: 200,
      });
      expect(revoked.body).toMatchObject({
        state: 'revoked',
        decidedBy: ALICE,
      });

      const second = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      const type = await brom.api.delete(
        ALICE,
        '/applications/{name}/notification-types/{type}',
        {
          params: { name: second.producer.name, type: second.type.name },
          query: { generation: 1, force: 'true' },
          expect: 200,
        },
      );
      expect(type.body.deletedAt).not.toBeNull();
    });

    it('lets a non-administrator holding the right read the whole audit history', async () => {
      const bobs = await createApplication(
        brom.api,
        BOB,
        'group:default/team-b',
      );
      const all = await brom.api.get(ALICE, '/audit-events', {
        query: { action: 'application.created', actor: BOB, limit: 500 },
        expect: 200,
      });
      expect(all.body.items.map((e: any) => e.application)).toContain(
        bobs.name,
      );
    });

    it('lets a non-administrator holding the right register an application for any group', async () => {
      const res = await brom.api.post(ALICE, '/applications', {
        body: { name: uniqueName('app'), owner: TEAM_C },
        expect: 201,
      });
      expect(res.body.owner).toBe(TEAM_C);
    });

    it('refuses an administrator whom the policy denies the rights', async () => {
      const { producer, type } = await pendingSubscription(
        brom.api,
        ALICE_PRODUCES_BOB_CONSUMES,
      );
      const application = await brom.api.delete(ADMIN, '/applications/{name}', {
        params: { name: producer.name },
        query: { generation: 1, force: 'true' },
        expect: 403,
      });
      expect(application.body.error.message).toMatch(/force a deletion/);
      await brom.api.delete(
        ADMIN,
        '/applications/{name}/notification-types/{type}',
        {
          params: { name: producer.name, type: type.name },
          query: { generation: 1, force: 'true' },
          expect: 403,
        },
      );
      // Without the force, the subscriber still stops the deletion: nothing was deleted.
      await brom.api.delete(ADMIN, '/applications/{name}', {
        params: { name: producer.name },
        query: { generation: 1 },
        expect: 409,
      });

      const unscoped = await brom.api.get(ADMIN, '/audit-events', {
        expect: 400,
      });
      expect(unscoped.body.error.message).toMatch(/Give an application/);

      await brom.api.post(ADMIN, '/applications', {
        body: { name: uniqueName('app'), owner: TEAM_A },
        expect: 403,
      });
    });
  },
);
