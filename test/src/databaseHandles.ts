import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import type { Knex } from 'knex';

/**
 * Modules that take hold of the named plugins' database clients in a test backend, and
 * `destroy` to close them once it has stopped. The backend's own shutdown leaves them open
 * (@backstage/backend-defaults 0.18.0: `DatabaseManager.shutdown` calls `includes` on each
 * client's config object, which throws, and `Promise.allSettled` swallows it), and the pools'
 * reaping timers then keep Jest's worker alive ("A worker process has failed to exit
 * gracefully").
 */
export function databaseHandles(pluginIds: readonly string[]) {
  const clients: Knex[] = [];
  const modules = pluginIds.map(pluginId =>
    createBackendModule({
      pluginId,
      moduleId: 'test-database-handle',
      register(env) {
        env.registerInit({
          deps: { database: coreServices.database },
          async init({ database }) {
            clients.push(await database.getClient());
          },
        });
      },
    }),
  );
  return {
    modules,
    async destroy(): Promise<void> {
      await Promise.all(clients.splice(0).map(client => client.destroy()));
    },
  };
}
