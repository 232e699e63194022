import { identityApiRef } from '@backstage/core-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import {
  CatalogApi,
  catalogApiRef,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  PermissionApi,
  permissionApiRef,
} from '@backstage/plugin-permission-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { act } from '@testing-library/react';
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
  /** Backstage signals, e.g. a {@link TestSignals}; none by default. */
  signals?: SignalApi;
  /** The catalog: a stand-in with the methods the component calls; none by default. */
  catalog?: CatalogApi;
}

/** A signal's message, as `SignalApi.subscribe` hands it over. */
type JsonObject = Parameters<Parameters<SignalApi['subscribe']>[1]>[0];

/** A signal API the test drives: `emit` delivers a message to the channel's subscribers. */
export class TestSignals implements SignalApi {
  readonly #subscribers = new Map<string, Set<(message: JsonObject) => void>>();

  subscribe<T extends JsonObject>(channel: string, onMessage: (message: T) => void) {
    const set = this.#subscribers.get(channel) ?? new Set();
    this.#subscribers.set(channel, set);
    const listener = onMessage as (message: JsonObject) => void;
    set.add(listener);
    return { unsubscribe: () => set.delete(listener) };
  }

  emit(channel: string, message: JsonObject) {
    act(() => {
      for (const listener of this.#subscribers.get(channel) ?? []) listener(message);
    });
  }
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
        ...(options.signals ? [[signalApiRef, options.signals] as const] : []),
        ...(options.catalog ? [[catalogApiRef, options.catalog] as const] : []),
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
