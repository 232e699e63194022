import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import { BromEntityProvider } from './BromEntityProvider';
import { BromRelationsProcessor } from './BromRelationsProcessor';
import { registerBromOrgProvider } from './memberships';

/** Publishes BROM's notification types and applications into the catalog. */
export const catalogModuleBrom = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'brom',
  register(reg) {
    reg.registerInit({
      deps: {
        catalogProcessing: catalogProcessingExtensionPoint,
        catalog: catalogServiceRef,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ catalogProcessing, catalog, config, logger, scheduler, discovery, auth }) {
        const provider = BromEntityProvider.fromConfig(config, {
          logger,
          discovery,
          auth,
          catalog,
        });
        catalogProcessing.addEntityProvider(provider);
        catalogProcessing.addProcessor(
          new BromRelationsProcessor({ latest: () => provider.latest() }),
        );
        await scheduler.scheduleTask({
          id: 'brom:full-refresh',
          frequency: { seconds: provider.fullRefreshSeconds },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 1 },
          scope: 'local',
          fn: () => provider.fullRefresh(),
        });
        await scheduler.scheduleTask({
          id: 'brom:poll',
          frequency: { seconds: provider.pollSeconds },
          // A run long-polls for at least pollSeconds, one poll after another, so the
          // scheduler starts the next at once and only a failed run waits; the last poll
          // holds it for up to changeWaitSeconds.
          timeout: {
            seconds: provider.pollSeconds + provider.changeWaitSeconds + 60,
          },
          initialDelay: { seconds: 2 },
          scope: 'local',
          fn: signal => provider.pollFor(provider.pollSeconds * 1000, signal),
        });
        await registerBromOrgProvider({
          catalogProcessing,
          scheduler,
          config,
          logger,
          discovery,
          auth,
        });
      },
    });
  },
});
