import { createBackend } from '@backstage/backend-defaults';
import { bromPermissionPolicyModule } from '@internal/plugin-brom-backend';
import { authModuleDevelopmentUsers } from './modules/developmentUsers';
import { authModuleFeideProvider } from './modules/feide';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(authModuleFeideProvider);
if (process.env.NODE_ENV !== 'production') {
  backend.add(authModuleDevelopmentUsers);
}

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@internal/plugin-catalog-backend-module-brom'));

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(bromPermissionPolicyModule);

// The events backend is the event bus between replicas: on PostgreSQL it relays what one
// replica publishes (signals to open pages among it) to the others (decision 0026).
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@internal/plugin-brom-backend'));
backend.add(import('@internal/plugin-brom-backend-module-memberships'));

backend.start();
