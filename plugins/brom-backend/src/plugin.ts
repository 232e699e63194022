import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  bromAdministrationPermissions,
  bromApplicationCreatePermission,
  bromApplicationPermissions,
} from '@internal/plugin-brom-common';
import { bromApplicationResourceRef, bromApplicationRules } from './permissions/rules';
import { createAuthzFeedRouter } from './authz/createAuthzFeedRouter';
import { readBromConfig } from './config';
import { createPortalServices } from './service/createPortalServices';
import { createRouter } from './service/router';
import {
  DomainEventDispatcher,
  DomainEventHandler,
} from './service/events/DomainEventDispatcher';
import { bromDomainEventsExtensionPoint } from './service/events/extensionPoint';
import { seedExampleData } from './service/seed';
import { DatabaseDomainEventCursorStore } from './store/DomainEventStore';
import { BromStore } from './store/BromStore';
import { StateWatcher } from './store/StateWatcher';
import {
  createBrokerApi,
  createReconcilerRunner,
} from './reconciler/runtime/createReconcilerRunner';

/**
 * BROM: self-service RabbitMQ notification infrastructure.
 *
 * @public
 */
export const bromPlugin = createBackendPlugin({
  pluginId: 'brom',
  register(env) {
    const eventSubscribers = new Map<string, DomainEventHandler>();
    env.registerExtensionPoint(bromDomainEventsExtensionPoint, {
      subscribe(name, handler) {
        if (eventSubscribers.has(name)) {
          throw new Error(`A domain event subscriber named "${name}" already exists`);
        }
        eventSubscribers.set(name, handler);
      },
    });
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

        // Every replica's status looks at the broker itself when the last full pass is old.
        const statusBroker = createBrokerApi(bromConfig);
        const portal = createPortalServices({
          store,
          permissions,
          reservedNames: bromConfig.reservedNames,
          broker: {
            vhost: bromConfig.vhost,
            prefix: bromConfig.prefix,
            amqpUrls: bromConfig.amqpUrls,
          },
          topology: {
            vhost: bromConfig.vhost,
            prefix: bromConfig.prefix,
            queueType: bromConfig.broker.queueType,
            policyPriority: bromConfig.broker.policyPriority,
          },
          onCommit: version => watcher.notifyLocal(version),
          statusVerification: statusBroker && {
            broker: statusBroker,
            vhost: bromConfig.vhost,
          },
        });

        const events = DomainEventDispatcher.create({
          cursors: DatabaseDomainEventCursorStore.create({ store }),
          logger: logger.child({ component: 'domain-events' }),
          onCommit: listener => watcher.onChange(() => listener()),
        });
        for (const [name, handler] of eventSubscribers) {
          await events.subscribe(name, handler);
        }
        lifecycle.addStartupHook(() => events.start());
        lifecycle.addShutdownHook(() => events.stop());

        permissionsRegistry.addPermissions([
          bromApplicationCreatePermission,
          ...bromAdministrationPermissions,
        ]);
        permissionsRegistry.addResourceType({
          resourceRef: bromApplicationResourceRef,
          permissions: bromApplicationPermissions,
          rules: Object.values(bromApplicationRules),
          getResources: names => portal.applications.getApplications(names),
        });

        if (bromConfig.seedExampleData) {
          await seedExampleData({ work: portal.work, logger });
        }

        httpRouter.use(
          await createRouter({
            httpAuth,
            userInfo,
            permissions,
            applications: portal.applications,
            notificationTypes: portal.notificationTypes,
            subscriptions: portal.subscriptions,
            credentials: portal.credentials,
            audit: portal.audit,
            status: portal.status,
            validateResponses: bromConfig.validateResponses,
            transformConditions: createConditionTransformer(
              permissionsRegistry.getPermissionRuleset(bromApplicationResourceRef),
            ),
            stateVersion: () => store.version(),
            watcher,
            shutdown: feedShutdown.signal,
            catalogExport: () => portal.catalog.catalogExport(),
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
            ],
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
