/*
 * A BROM backend with what its notifications need, as packages/backend has it: the catalog
 * (who is in which group), Backstage's notifications and signals backends, the permission
 * backend and BROM, and the auth backend with packages/backend's development sign-in, so a
 * test can use the notifications API (a person's settings) as that person, as the app does.
 * With BROM_TEST_DIE_AFTER_NOTIFYING set to a file path, the process kills itself (SIGKILL)
 * right after the notifications backend has stored the first notification, before BROM can
 * record that the event was handled, unless that file already exists.
 */
import { createBackend } from '@backstage/backend-defaults';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { notificationsProcessingExtensionPoint } from '@backstage/plugin-notifications-node';
import { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';
import { authModuleDevelopmentUsers } from 'backend/developmentUsers';
import { existsSync, writeFileSync } from 'node:fs';

const dieAfterNotifying = createBackendModule({
  pluginId: 'notifications',
  moduleId: 'brom-test-die-after-notifying',
  register(reg) {
    reg.registerInit({
      deps: { processing: notificationsProcessingExtensionPoint },
      async init({ processing }) {
        const marker = process.env.BROM_TEST_DIE_AFTER_NOTIFYING;
        if (!marker) return;
        processing.addProcessor({
          getName: () => 'die-after-notifying',
          async postProcess(notification) {
            if (existsSync(marker)) return;
            writeFileSync(marker, JSON.stringify(notification));
            process.kill(process.pid, 'SIGKILL');
          },
        });
      },
    });
  },
});

const backend = createBackend();
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(authModuleDevelopmentUsers);
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(dieAfterNotifying);
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(bromPermissionPolicyModule);
backend.add(import('@internal/plugin-brom-backend'));
backend.start();
