import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { BromEntityProvider } from './BromEntityProvider';

/** Publishes BROM's notification types and applications into the catalog. */
export const catalogModuleBrom = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'brom',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ catalog, config, logger, scheduler, discovery, auth }) {
        const provider = BromEntityProvider.fromConfig(config, {
          logger,
          discovery,
          auth,
        });
        catalog.addEntityProvider(provider);
        await scheduler.scheduleTask({
          id: provider.getTaskId(),
          frequency: { seconds: provider.fullRefreshSeconds },
          timeout: { minutes: 2 },
          initialDelay: { seconds: 2 },
          scope: 'local',
          fn: () => provider.refresh(),
        });
      },
    });
  },
});
