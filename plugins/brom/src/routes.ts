import { createRouteRef, createSubRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'brom' });

/** One application's page: its notification types, subscriptions, credentials and status. */
export const applicationRouteRef = createSubRouteRef({
  id: 'brom/application',
  parent: rootRouteRef,
  path: '/applications/:name',
});
