/*
 * A BROM replica with what its live pages need, as packages/backend has it: sign-in (the
 * development users provider, people from the catalog), the events backend (the bus between
 * replicas), the signals backend, the permission backend with BROM's policy, and BROM.
 */
import { createBackend } from '@backstage/backend-defaults';
import { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';
import { authModuleDevelopmentUsers } from 'backend/developmentUsers';

const backend = createBackend();
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(authModuleDevelopmentUsers);
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(bromPermissionPolicyModule);
backend.add(import('@internal/plugin-brom-backend'));
backend.start();
