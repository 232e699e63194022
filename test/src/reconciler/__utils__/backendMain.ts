/*
 * A BROM backend as production runs it (createBackend with the BROM plugin, the
 * permission backend and BROM's policy), for tests that need real, separate backend
 * processes. Configuration comes from `--config` files and APP_CONFIG_* variables.
 */
import { createBackend } from '@backstage/backend-defaults';
import { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';

const backend = createBackend();
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(bromPermissionPolicyModule);
backend.add(import('@internal/plugin-brom-backend'));
backend.start();
