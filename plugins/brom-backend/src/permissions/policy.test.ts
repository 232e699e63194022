import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  Application,
  bromAdministrationPermissions,
  bromApplicationCreatePermission,
  bromApplicationPermissions,
} from '@internal/plugin-brom-common';
import { BromPermissionPolicy } from './policy';
import { isApplicationOwner } from './rules';

const ADMINS = 'group:default/brom-admins';

function user(ref: string, groups: string[]): PolicyQueryUser {
  return {
    credentials: mockCredentials.user(ref),
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
  };
}

describe('BromPermissionPolicy', () => {
  const policy = new BromPermissionPolicy({ admins: [ADMINS] });

  it('denies requests without a user', async () => {
    for (const permission of [
      bromApplicationCreatePermission,
      ...bromAdministrationPermissions,
      ...bromApplicationPermissions,
    ]) {
      expect(await policy.handle({ permission })).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('allows administrators everything on every application', async () => {
    const admin = user('user:default/admin', [ADMINS]);
    for (const permission of bromApplicationPermissions) {
      expect(await policy.handle({ permission }, admin)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('gives the administration rights to administrators only', async () => {
    const admin = user('user:default/admin', [ADMINS]);
    const alice = user('user:default/alice', ['group:default/team-a']);
    for (const permission of bromAdministrationPermissions) {
      expect(await policy.handle({ permission }, admin)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
      expect(await policy.handle({ permission }, alice)).toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('lets other users act only on applications their claims own', async () => {
    const alice = user('user:default/alice', ['group:default/team-a']);
    for (const permission of bromApplicationPermissions) {
      expect(await policy.handle({ permission }, alice)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'brom',
        resourceType: 'brom-application',
        conditions: {
          rule: 'IS_APPLICATION_OWNER',
          resourceType: 'brom-application',
          params: { claims: ['user:default/alice', 'group:default/team-a'] },
        },
      });
    }
  });

  it('lets signed-in users register applications and use other plugins', async () => {
    const bob = user('user:default/bob', ['group:default/team-b']);
    expect(
      await policy.handle({ permission: bromApplicationCreatePermission }, bob),
    ).toEqual({
      result: AuthorizeResult.ALLOW,
    });
    const other = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    expect(await policy.handle({ permission: other }, bob)).toEqual({
      result: AuthorizeResult.ALLOW,
    });
  });
});

describe('isApplicationOwner', () => {
  const application = {
    name: 'orders',
    owner: 'group:default/team-a',
  } as Application;

  it('holds when a claim is the owner', () => {
    expect(
      isApplicationOwner.apply(application, {
        claims: ['group:default/team-a'],
      }),
    ).toBe(true);
    expect(
      isApplicationOwner.apply(application, {
        claims: ['group:default/team-b'],
      }),
    ).toBe(false);
    expect(isApplicationOwner.apply(application, { claims: [] })).toBe(false);
  });

  it('becomes an owner filter', () => {
    expect(
      isApplicationOwner.toQuery({ claims: ['group:default/team-a'] }),
    ).toEqual({
      ownerIn: ['group:default/team-a'],
    });
  });
});
