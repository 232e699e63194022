import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { createMembershipsRouter } from './createMembershipsRouter';
import { MembershipStore } from './MembershipStore';

/**
 * Serves BROM's membership routes on the `brom` plugin's router, over the plugin's
 * database (whose migrations create the tables).
 */
export const bromModuleMemberships = createBackendModule({
  pluginId: 'brom',
  moduleId: 'memberships',
  register(reg) {
    reg.registerInit({
      deps: {
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        logger: coreServices.logger,
      },
      async init({ database, httpRouter, httpAuth, logger }) {
        const memberships = await MembershipStore.create({ database });
        httpRouter.use(
          createMembershipsRouter({ httpAuth, memberships, logger }),
        );
      },
    });
  },
});
