import { createBackendModule, coreServices } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  BROM_APPLICATION_RESOURCE_TYPE,
  bromAdministrationPermissions,
} from '@internal/plugin-brom-common';
import {
  bromApplicationConditions,
  createBromApplicationConditionalDecision,
} from './rules';

const ADMINISTRATION = new Set(bromAdministrationPermissions.map(p => p.name));

/**
 * BROM's default policy: owners act on their applications, members of a `brom.admins`
 * group on every application and hold the administration rights (force-delete, the whole
 * audit history, any owner), and any signed-in user may browse and register. Requests
 * without a user are denied; other plugins' permissions are allowed for signed-in users,
 * as Backstage's allow-all policy would.
 */
export class BromPermissionPolicy implements PermissionPolicy {
  readonly #admins: ReadonlySet<string>;

  constructor(options: { admins: string[] }) {
    this.#admins = new Set(options.admins);
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.DENY };
    const claims = user.info.ownershipEntityRefs;
    const isAdmin = claims.some(ref => this.#admins.has(ref));
    if (ADMINISTRATION.has(request.permission.name)) {
      return { result: isAdmin ? AuthorizeResult.ALLOW : AuthorizeResult.DENY };
    }
    if (isResourcePermission(request.permission, BROM_APPLICATION_RESOURCE_TYPE)) {
      if (isAdmin) return { result: AuthorizeResult.ALLOW };
      return createBromApplicationConditionalDecision(
        request.permission,
        bromApplicationConditions.isApplicationOwner({ claims }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** Installs {@link BromPermissionPolicy} as the permission backend's policy. */
export const bromPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'brom-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new BromPermissionPolicy({
            admins: config.getOptionalStringArray('brom.admins') ?? [],
          }),
        );
      },
    });
  },
});
