import { Application } from '@internal/plugin-brom-common';
import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import {
  application,
  applicationStatus,
  page,
  pending,
  applicationHealth,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { BromApi } from '../../api/BromApi';
import { EntityBromContent } from './EntityBromContent';
import { isBromApplicationAvailable } from './isBromApplicationAvailable';

function component(
  name: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'service',
      owner: 'group:default/payments',
      lifecycle: 'production',
    },
  };
}

function viewApi(overrides: Partial<BromApi>) {
  return bromApi({
    getApplicationStatus: jest
      .fn()
      .mockResolvedValue(applicationStatus([], 'Not synced yet')),
    listNotificationTypes: jest.fn().mockResolvedValue(page([])),
    listSubscriptions: jest.fn().mockResolvedValue(page([])),
    listCredentials: jest.fn().mockResolvedValue([]),
    getApplicationHealth: jest.fn().mockResolvedValue(applicationHealth()),
    listAuditEvents: jest.fn().mockResolvedValue(page([])),
    ...overrides,
  });
}

/** The server's lookup by catalog entity: the `entityRef` filter of the list. */
function byEntityRef(applications: Application[]) {
  return jest.fn(async (query: { entityRef?: string } = {}) =>
    page(applications.filter(a => a.entityRef === query.entityRef)),
  );
}

describe('isBromApplicationAvailable', () => {
  it('is true for Components that name their BROM application', () => {
    expect(
      isBromApplicationAvailable(
        component('orders', { 'brom.io/application': 'orders' }),
      ),
    ).toBe(true);
    expect(isBromApplicationAvailable(component('orders'))).toBe(false);
    expect(
      isBromApplicationAvailable({
        ...component('orders', { 'brom.io/application': 'orders' }),
        kind: 'API',
      }),
    ).toBe(false);
  });
});

describe('EntityBromContent', () => {
  it('shows progress while finding the application', async () => {
    await renderWithBrom(
      <EntityProvider entity={component('orders')}>
        <EntityBromContent />
      </EntityProvider>,
      bromApi({ listApplications: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <EntityProvider entity={component('orders')}>
        <EntityBromContent />
      </EntityProvider>,
      bromApi({
        listApplications: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('shows the application named by the annotation', async () => {
    const getApplication = jest
      .fn()
      .mockResolvedValue(
        application({ name: 'payments-api', title: 'Payments API' }),
      );
    await renderWithBrom(
      <EntityProvider
        entity={component('payments', {
          'brom.io/application': 'payments-api',
        })}
      >
        <EntityBromContent />
      </EntityProvider>,
      viewApi({ getApplication }),
    );
    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    expect(getApplication).toHaveBeenCalledWith('payments-api');
  });

  it('finds the application linked to this component', async () => {
    const linked = application({
      name: 'orders',
      title: 'Orders',
      entityRef: 'component:default/orders',
    });
    const getApplication = jest.fn().mockResolvedValue(linked);
    await renderWithBrom(
      <EntityProvider entity={component('orders')}>
        <EntityBromContent />
      </EntityProvider>,
      viewApi({
        listApplications: byEntityRef([application(), linked]),
        getApplication,
      }),
    );
    expect(await screen.findByText('Orders')).toBeInTheDocument();
    expect(getApplication).toHaveBeenCalledWith('orders');
  });

  it('says how to link a component that is no application', async () => {
    await renderWithBrom(
      <EntityProvider entity={component('orders')}>
        <EntityBromContent />
      </EntityProvider>,
      bromApi({
        listApplications: byEntityRef([application()]),
      }),
    );
    expect(
      await screen.findByText('Not a BROM application'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/catalog component component:default\/orders/),
    ).toBeInTheDocument();
  });
});
