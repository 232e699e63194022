import {
  coreServices,
  createBackendPlugin,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import {
  bromAdministrationPermissions,
  bromApplicationCreatePermission,
  bromApplicationPermissions,
} from '@internal/plugin-brom-common';
import {
  bromApplicationResourceRef,
  bromApplicationRules,
} from './permissions/rules';
import { createAuthzFeedRouter } from './authz/createAuthzFeedRouter';
import { readBromConfig } from './config';
import { createPortalServices } from './service/createPortalServices';
import { managementStatsSource } from './service/managementStatsSource';
import { createRouter } from './service/router';
import {
  DomainEventDispatcher,
  DomainEventHandler,
} from './service/events/DomainEventDispatcher';
import { bromDomainEventsExtensionPoint } from './service/events/extensionPoint';
import { seedExampleData } from './service/seed';
import { scheduleSunsetTask } from './service/sunsetTask';
import { DatabaseDomainEventCursorStore } from './store/DomainEventStore';
import { BromStore } from './store/BromStore';
import { StateWatcher } from './store/StateWatcher';
import { ApplicationWatch } from './notify/ApplicationWatch';
import { createNotificationHandler } from './notify/DomainEventNotifier';
import { createSignalHandler, publishBromSignal } from './notify/signals';
import { DatabaseNotificationWatchStore } from './store/NotificationWatchStore';
import {
  createManagementClient,
  createReconcilerRunner,
} from './reconciler/runtime/createReconcilerRunner';
import { ManagementBrokerApi } from './reconciler/runtime/ManagementBrokerApi';
import { SecretBox } from './service/secretBox';
import { resealExternalProducerSecrets } from './service/resealSecrets';
import { BromConfig } from './config';
import { DatabaseExternalProducerStore } from './store/ExternalProducerStore';

/**
 * The key ring that opens external producers' upstream passwords, with every stored password
 * re-sealed with its current key (resealSecrets.ts). Without a key the backend refuses to
 * start when the feature is enabled or any external producer exists: their shovels could be
 * neither written nor compared; nor does it start with a password no configured key opens.
 */
async function openExternalProducerSecrets(
  config: BromConfig,
  store: BromStore,
  logger: LoggerService,
): Promise<SecretBox | null> {
  const { enabled, encryptionKey, previousEncryptionKeys } =
    config.externalProducers;
  if (encryptionKey) {
    const secrets = SecretBox.fromKeys({
      current: encryptionKey,
      previous: previousEncryptionKeys,
    });
    await resealExternalProducerSecrets({ db: store.db, secrets, logger });
    return secrets;
  }
  const existing = await DatabaseExternalProducerStore.create({
    db: store.db,
  }).count();
  if (enabled || existing > 0) {
    throw new Error(
      `BROM refuses to start: brom.externalProducers.encryptionKey must be set (${
        enabled
          ? 'external producers are enabled'
          : `${existing} external producers exist`
      })`,
    );
  }
  return null;
}

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
          throw new Error(
            `A domain event subscriber named "${name}" already exists`,
          );
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
        scheduler: coreServices.scheduler,
        notifications: notificationService,
        signals: signalsServiceRef,
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
        scheduler,
        notifications,
        signals,
      }) {
        const bromConfig = readBromConfig(config);
        const store = await BromStore.create({ database });
        const watcher = await StateWatcher.create({ store, logger });
        lifecycle.addShutdownHook(() => watcher.stop());
        const feedShutdown = new AbortController();
        lifecycle.addShutdownHook(() => feedShutdown.abort());

        const secrets = await openExternalProducerSecrets(
          bromConfig,
          store,
          logger.child({ component: 'external-producers' }),
        );
        // Every replica reads queue statistics for the health API, runs the dead-letter tools,
        // and its status looks at the broker itself when the last full pass is old, through one
        // client (the reconciler's is the leader's only); closed at shutdown, once its requests
        // in flight are answered.
        const managementClient = createManagementClient(bromConfig);
        if (managementClient)
          lifecycle.addShutdownHook(() => managementClient.close());
        const statusBroker =
          managementClient &&
          ManagementBrokerApi.create({
            client: managementClient,
            username: bromConfig.broker.username,
          });

        const portal = createPortalServices({
          store,
          permissions,
          externalProducers: {
            enabled: bromConfig.externalProducers.enabled,
            secrets,
          },
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
            deadLetters: bromConfig.deadLetters,
          },
          minimumSunsetDays: bromConfig.lifecycle.minimumSunsetDays,
          onCommit: version => watcher.notifyLocal(version),
          statusVerification: statusBroker && {
            broker: statusBroker,
            vhost: bromConfig.vhost,
          },
          brokerStats: managementClient
            ? {
                source: managementStatsSource(
                  managementClient,
                  bromConfig.vhost,
                ),
              }
            : undefined,
          deadLetterBroker: managementClient,
        });
        await scheduleSunsetTask({
          scheduler,
          logger: logger.child({ component: 'lifecycle' }),
          notificationTypes: portal.notificationTypes,
          frequencyMs: bromConfig.lifecycle.sunsetCheckMs,
        });

        const events = DomainEventDispatcher.create({
          cursors: DatabaseDomainEventCursorStore.create({ store }),
          logger: logger.child({ component: 'domain-events' }),
          onCommit: listener => watcher.onChange(() => listener()),
        });
        // People hear of changes through Backstage's notifications, open pages through signals.
        if (bromConfig.notifications.enabled) {
          await events.subscribe(
            'notifications',
            createNotificationHandler({
              notifications,
              context: {
                ownerOf: async name =>
                  (
                    await portal.work.repositories.applications.findByName(name)
                  )?.owner,
              },
            }),
          );
        }
        await events.subscribe('signals', createSignalHandler({ signals }));
        for (const [name, handler] of eventSubscribers) {
          await events.subscribe(name, handler);
        }
        lifecycle.addStartupHook(() => events.start());
        lifecycle.addShutdownHook(() => events.stop());

        if (bromConfig.notifications.enabled) {
          const watch = new ApplicationWatch({
            store: DatabaseNotificationWatchStore.create({ store }),
            notifications,
            logger: logger.child({ component: 'notifications' }),
            expiryWarningDays: bromConfig.notifications.expiryWarningDays,
            notReadyAfterMs: bromConfig.notifications.notReadyAfterMs,
          });
          await scheduler.scheduleTask({
            id: 'brom-notification-checks',
            frequency: {
              milliseconds: bromConfig.notifications.checkIntervalMs,
            },
            timeout: { minutes: 5 },
            initialDelay: {
              milliseconds: Math.min(
                10_000,
                bromConfig.notifications.checkIntervalMs,
              ),
            },
            scope: 'global',
            fn: () => watch.run(),
          });
        }

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
            health: portal.health,
            deadLetters: portal.deadLetters,
            validateResponses: bromConfig.validateResponses,
            transformConditions: createConditionTransformer(
              permissionsRegistry.getPermissionRuleset(
                bromApplicationResourceRef,
              ),
            ),
            stateVersion: () => store.version(),
            watcher,
            shutdown: feedShutdown.signal,
            catalogExport: () => portal.catalog.catalogExport(),
            catalogChanges: after => portal.catalog.catalogChanges(after),
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

        const runner = createReconcilerRunner({
          config: bromConfig,
          store,
          watcher,
          logger,
          onStatusChange: applications =>
            publishBromSignal(signals, {
              kind: 'status',
              type: 'status.changed',
              applications,
            }).catch(error =>
              logger.warn(`Publishing a status signal failed: ${error}`),
            ),
          secrets,
        });
        if (runner) {
          lifecycle.addStartupHook(() => runner.start());
          // Stops passes, waits for writes, releases the lease, then closes its client.
          lifecycle.addShutdownHook(() => runner.stop());
        }
      },
    });
  },
});
