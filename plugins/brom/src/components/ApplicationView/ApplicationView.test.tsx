import { Entity } from '@backstage/catalog-model';
import { CatalogApi } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockApis } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  applicationStatus,
  auditEvent,
  credential,
  notificationType,
  objectStatus,
  page,
  pending,
  responseError,
  subscription,
  applicationHealth,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { BromApi } from '../../api/BromApi';
import { ApplicationView } from './ApplicationView';

function applicationApi(overrides: Partial<BromApi> = {}) {
  return bromApi({
    getApplication: jest.fn().mockResolvedValue(application({ generation: 4 })),
    getApplicationStatus: jest
      .fn()
      .mockResolvedValue(
        applicationStatus([objectStatus()], '1 of 1 objects ready'),
      ),
    listNotificationTypes: jest
      .fn()
      .mockResolvedValue(page([notificationType()])),
    listSubscriptions: jest.fn(async query =>
      page(
        query?.producer
          ? [subscription()]
          : [
              subscription({
                id: 's9',
                consumer: 'payments-api',
                producer: 'shipping-service',
                notificationType: 'shipment-dispatched',
                routingKeyPattern: 'shipment.*.dispatched',
                state: 'approved',
              }),
            ],
      ),
    ),
    listCredentials: jest.fn().mockResolvedValue([credential()]),
    getApplicationHealth: jest.fn().mockResolvedValue(applicationHealth()),
    listAuditEvents: jest.fn().mockResolvedValue(page([auditEvent(1)])),
    ...overrides,
  });
}

describe('ApplicationView', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      bromApi({ getApplication: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the backend error for an unknown application', async () => {
    await renderWithBrom(
      <ApplicationView name="nope" />,
      bromApi({
        getApplication: jest
          .fn()
          .mockRejectedValue(
            await responseError(404, 'Application "nope" does not exist'),
          ),
      }),
    );
    expect(
      await screen.findAllByText(/Application "nope" does not exist/),
    ).not.toHaveLength(0);
    expect(
      screen.getByRole('link', { name: 'Back to my applications' }),
    ).toHaveAttribute('href', '/brom/mine');
  });

  it('loads the application again when asked after a failure', async () => {
    const getApplication = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(503, 'The database is not answering'),
      )
      .mockResolvedValue(application());
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi({ getApplication }),
    );
    expect(
      await screen.findByText(/The BROM backend is not answering right now/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    expect(getApplication).toHaveBeenCalledTimes(2);
  });

  it('shows types, subscribers, subscriptions, credentials, status and history', async () => {
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi(),
    );
    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    // The owner by the name the catalog gives it, linking to the team's page.
    expect(screen.getByRole('link', { name: /^payments$/ })).toHaveAttribute(
      'href',
      '/catalog/default/group/payments',
    );
    expect(screen.queryByText(/group:default\//)).not.toBeInTheDocument();
    expect(await screen.findByText('1 of 1 objects ready')).toBeInTheDocument();
    // Once in the types table, once on the connection card.
    expect(await screen.findAllByText('payment.*.completed')).not.toHaveLength(
      0,
    );
    expect(
      await screen.findByText('shipment.*.dispatched'),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('link', { name: 'warehouse' }),
    ).toBeInTheDocument();
    expect(
      await screen.findByRole('link', { name: 'shipping-service' }),
    ).toBeInTheDocument();
    expect(await screen.findAllByText('payments-api-4f2a')).not.toHaveLength(0);
    expect(
      await screen.findByText('Notification type payments-api/type-1'),
    ).toBeInTheDocument();
    for (const title of [
      'Broker status',
      'Notification types',
      'Subscribers',
      'Subscriptions',
      'Credentials',
      'Audit history',
    ]) {
      expect(screen.getByText(title)).toBeInTheDocument();
    }
  });

  it('links the catalog Component that is the application', async () => {
    // The Component BROM's catalog module creates for an application without one.
    const generated: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'payments-api',
        annotations: { 'brom.io/application': 'payments-api' },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'payments' },
    };
    const getEntities = jest.fn(async () => ({ items: [generated] }));
    // Only the call the card makes; any other would fail on undefined.
    const catalog = { getEntities } as unknown as CatalogApi;
    const catalogLinks = () =>
      screen
        .getAllByRole('link')
        .map(link => link.getAttribute('href'))
        .filter(href => href?.startsWith('/catalog/default/component/'));

    // Registered without one: the Component carrying its annotation (BROM's catalog module
    // creates it), asked for by kind and annotation.
    const unlinked = await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi(),
      { catalog },
    );
    await waitFor(() =>
      expect(catalogLinks()).toEqual([
        '/catalog/default/component/payments-api',
      ]),
    );
    expect(getEntities).toHaveBeenCalledWith(
      expect.objectContaining({
        filter: {
          kind: 'component',
          'metadata.annotations.brom.io/application': 'payments-api',
        },
      }),
    );
    unlinked.unmount();

    // Registered with one: that Component, without asking the catalog.
    getEntities.mockClear();
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi({
        getApplication: jest.fn().mockResolvedValue(
          application({
            generation: 4,
            entityRef: 'component:default/payments',
          }),
        ),
      }),
      { catalog },
    );
    await waitFor(() =>
      expect(catalogLinks()).toEqual(['/catalog/default/component/payments']),
    );
    expect(getEntities).not.toHaveBeenCalled();
  });

  it('deletes the application with its generation and shows that it is being deleted', async () => {
    const deleted = application({
      generation: 5,
      deletedAt: '2026-11-21T12:00:00.000Z',
    });
    const getApplication = jest
      .fn()
      .mockResolvedValueOnce(application({ generation: 4 }))
      .mockResolvedValue(deleted);
    const deleteApplication = jest.fn().mockResolvedValue(deleted);
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi({ getApplication, deleteApplication }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete application' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete application payments-api?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    expect(deleteApplication).toHaveBeenCalledWith('payments-api', 4);
    expect(await screen.findByText(/^Being deleted since/)).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Delete application' }),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Add notification type' }),
    ).not.toBeInTheDocument();
  });

  it('explains which subscribers block a deletion', async () => {
    const message =
      'Application "payments-api" has active subscribers: warehouse (payment-completed, requested). Ask them to unsubscribe first, or ask an administrator to force the deletion';
    await renderWithBrom(
      <ApplicationView name="payments-api" />,
      applicationApi({
        deleteApplication: jest
          .fn()
          .mockRejectedValue(await responseError(409, message)),
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete application' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete application payments-api?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(message);
  });

  it('shows a non-owner the actions disabled, with the reason on hover', async () => {
    // An application no other test asks about: usePermission caches answers module-wide.
    const theirs = application({
      name: 'refunds-api',
      owner: 'group:default/refunds',
    });
    await renderWithBrom(
      <ApplicationView name="refunds-api" />,
      applicationApi({ getApplication: jest.fn().mockResolvedValue(theirs) }),
      { permission: mockApis.permission({ authorize: AuthorizeResult.DENY }) },
    );
    expect(await screen.findAllByText('payments-api-4f2a')).not.toHaveLength(0);
    const actions = [
      'Delete application',
      'Add notification type',
      'Edit',
      'Delete',
      'Approve',
      'Reject',
      'Request subscription',
      'Unsubscribe',
      'Create credential',
      'Rotate credentials',
      'Revoke',
    ];
    // By label rather than by role: role queries over this whole page are slow in jsdom.
    await waitFor(() => {
      for (const name of actions) {
        expect(screen.getByText(name).closest('button')).toBeDisabled();
      }
    });

    await userEvent.hover(
      screen.getByText('Delete application').closest('button')!.parentElement!,
    );
    // MUI opens the tooltip after its enter delay: allow it time on a loaded machine.
    expect(
      await screen.findByRole('tooltip', {}, { timeout: 10_000 }),
    ).toHaveTextContent(
      'Only members of refunds (the owner of "refunds-api") or BROM administrators can do this',
    );
  });
});
