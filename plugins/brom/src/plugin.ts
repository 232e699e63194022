import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { bromApiRef } from './api/BromApi';
import { BromClient } from './api/BromClient';
import { rootRouteRef } from './routes';

export const bromPlugin = createPlugin({
  id: 'brom',
  apis: [
    createApiFactory({
      api: bromApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BromClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
  },
});

/** The BROM portal page: producer and consumer catalogues, my applications, approvals. */
export const BromPage = bromPlugin.provide(
  createRoutableExtension({
    name: 'BromPage',
    component: () => import('./components/BromPage').then(m => m.BromPage),
    mountPoint: rootRouteRef,
  }),
);

/** An entity page tab with the BROM application of the entity (see `isBromApplicationAvailable`). */
export const EntityBromContent = bromPlugin.provide(
  createComponentExtension({
    name: 'EntityBromContent',
    component: {
      lazy: () =>
        import('./components/EntityBromContent').then(m => m.EntityBromContent),
    },
  }),
);
