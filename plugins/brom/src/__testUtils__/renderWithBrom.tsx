import { identityApiRef } from '@backstage/core-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import { ReactElement } from 'react';
import { BromApi, bromApiRef } from '../api/BromApi';
import { rootRouteRef } from '../routes';

/** A BromApi whose unmocked methods fail loudly, so a test notices calls it did not expect. */
export function bromApi(methods: Partial<BromApi>): BromApi {
  return new Proxy(methods as BromApi, {
    get(target, property: string) {
      if (property in target) return target[property as keyof BromApi];
      if (property === 'then') return undefined;
      return () => {
        throw new Error(`BromApi.${property} was not mocked`);
      };
    },
  });
}

export interface RenderOptions {
  ownershipEntityRefs?: string[];
  routeEntries?: string[];
  /** What the permission framework answers; by default it allows everything. */
  permission?: PermissionApi;
}

/**
 * Renders a BROM component in a test app with the portal mounted at /brom and the catalog's
 * entity pages, which names of people and teams link to.
 */
export function renderWithBrom(
  ui: ReactElement,
  api: BromApi,
  options: RenderOptions = {},
) {
  const identity = mockApis.identity({
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: options.ownershipEntityRefs ?? [
      'user:default/alice',
      'group:default/payments',
    ],
  });
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [bromApiRef, api],
        [identityApiRef, identity],
        [permissionApiRef, options.permission ?? mockApis.permission()],
      ]}
    >
      {ui}
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/brom': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
      routeEntries: options.routeEntries,
    },
  );
}
