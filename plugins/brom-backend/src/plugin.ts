import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  bromApplicationCreatePermission,
  bromApplicationPermissions,
} from '@internal/plugin-brom-common';
import { bromApplicationResourceRef, bromApplicationRules } from './permissions/rules';
import { createAuthzFeedRouter } from './authz/createAuthzFeedRouter';
import { readBromConfig } from './config';
import { createMembershipsRouter } from './memberships';
import { PortalService } from './service/PortalService';
import { createRouter } from './service/router';
import { StatusService } from './service/StatusService';
import { seedExampleData } from './service/seed';
import { BromStore } from './store/BromStore';
import { toApplication } from './store/mappers';
import { StateWatcher } from './store/StateWatcher';
import { createReconcilerRunner } from './reconciler/runtime/createReconcilerRunner';

/**
 * BROM: self-service RabbitMQ notification infrastructure.
 *
 * @public
 */
export const bromPlugin = createBackendPlugin({
  pluginId: 'brom',
  register(env) {
    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        lifecycle: coreServices.lifecycle,
      },
      async init({
        logger,
        config,
        database,
        httpRouter,
        httpAuth,
        userInfo,
        permissions,
        permissionsRegistry,
        lifecycle,
      }) {
        const bromConfig = readBromConfig(config);
        const store = await BromStore.create({ database });
        const watcher = await StateWatcher.create({ store, logger });
        lifecycle.addShutdownHook(() => watcher.stop());
        const feedShutdown = new AbortController();
        lifecycle.addShutdownHook(() => feedShutdown.abort());

        permissionsRegistry.addPermissions([bromApplicationCreatePermission]);
        permissionsRegistry.addResourceType({
          resourceRef: bromApplicationResourceRef,
          permissions: bromApplicationPermissions,
          rules: Object.values(bromApplicationRules),
          getResources: async names => {
            const rows = await store.db
              .selectFrom('brom_applications')
              .selectAll()
              .where('name', 'in', names.length ? names : [''])
              .execute();
            return names.map(name => {
              const row = rows.find(r => r.name === name);
              return row ? toApplication(row) : undefined;
            });
          },
        });

        const portal = PortalService.create({
          store,
          permissions,
          logger,
          reservedNames: bromConfig.reservedNames,
          onCommit: version => watcher.notifyLocal(version),
        });
        if (bromConfig.seedExampleData) {
          await seedExampleData({ store, logger });
        }

        httpRouter.use(
          await createRouter({
            httpAuth,
            userInfo,
            permissions,
            portal,
            status: StatusService.create({ store }),
            admins: bromConfig.admins,
            transformConditions: createConditionTransformer(
              permissionsRegistry.getPermissionRuleset(bromApplicationResourceRef),
            ),
            catalogExport: () =>
              portal.catalogExport({
                vhost: bromConfig.vhost,
                prefix: bromConfig.prefix,
                amqpUrl: bromConfig.amqpUrl,
              }),
            extraRoutes: [
              createAuthzFeedRouter({
                httpAuth,
                store,
                watcher,
                logger,
                allowedSubjects: bromConfig.sidecarSubjects,
                vhost: bromConfig.vhost,
                prefix: bromConfig.prefix,
                shutdown: feedShutdown.signal,
              }),
              createMembershipsRouter({ httpAuth, store, logger }),
            ],
            listOwners: async () =>
              (
                await store.db
                  .selectFrom('brom_applications')
                  .select('owner')
                  .distinct()
                  .execute()
              ).map(r => r.owner),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        const runner = createReconcilerRunner({ config: bromConfig, store, watcher, logger });
        if (runner) {
          lifecycle.addStartupHook(() => runner.start());
          lifecycle.addShutdownHook(() => runner.stop());
        }
      },
    });
  },
});
