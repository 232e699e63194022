import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  notificationType,
  page,
  pending,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { ProducerCatalogue } from './ProducerCatalogue';

const applications = [
  application(),
  application({
    id: 'a2',
    name: 'shipping-service',
    owner: 'group:default/logistics',
  }),
  application({ id: 'a3', name: 'invoicing' }),
];
const types = [
  notificationType(),
  notificationType({
    id: 't2',
    application: 'shipping-service',
    name: 'shipment-dispatched',
    routingKeyPattern: 'shipment.*.dispatched',
    description: 'A parcel left the warehouse.',
    requiresApproval: false,
  }),
];

const ownerOf = (t: { application: string }) =>
  applications.find(a => a.name === t.application)!.owner;

/** The server's search: by the producer's owner and by text. */
const searchingTypes = () =>
  jest.fn(async (query: any = {}) =>
    page(
      types
        .filter(t => !query.owner || ownerOf(t) === query.owner)
        .filter(
          t =>
            !query.q ||
            `${t.name} ${t.description}`.toLowerCase().includes(query.q),
        )
        .map(t => ({ ...t, producerOwner: ownerOf(t) })),
    ),
  );

function catalogueApi(overrides = {}) {
  return bromApi({
    listNotificationTypes: searchingTypes(),
    listApplications: jest.fn(async query =>
      page(
        query?.mine
          ? applications.filter(a => a.owner === 'group:default/payments')
          : applications,
      ),
    ),
    ...overrides,
  });
}

describe('ProducerCatalogue', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ProducerCatalogue />,
      bromApi({ listNotificationTypes: pending, listApplications: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says what to do when nothing is declared yet', async () => {
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([])),
      }),
    );
    expect(
      await screen.findByText('No notification types yet'),
    ).toBeInTheDocument();
    expect(screen.getByText(/add a notification type/)).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({
        listNotificationTypes: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('lists each producer’s types with routing keys, and asks the server to filter by owner and text', async () => {
    const listNotificationTypes = searchingTypes();
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({ listNotificationTypes }),
      {
        ownershipEntityRefs: [
          'user:default/alice',
          'group:default/payments',
          'group:default/logistics',
        ],
      },
    );
    expect(await screen.findByText('payment-completed')).toBeInTheDocument();
    expect(screen.getByText('payment.*.completed')).toBeInTheDocument();
    expect(screen.getByText('shipment.*.dispatched')).toBeInTheDocument();
    expect(screen.getByText('Owners approve')).toBeInTheDocument();
    expect(screen.getByText('Automatic')).toBeInTheDocument();

    await userEvent.selectOptions(
      screen.getByLabelText('Owner'),
      'group:default/logistics',
    );
    await waitFor(() =>
      expect(screen.queryByText('payment-completed')).not.toBeInTheDocument(),
    );
    expect(screen.getByText('shipment-dispatched')).toBeInTheDocument();
    expect(listNotificationTypes).toHaveBeenLastCalledWith({
      owner: 'group:default/logistics',
      sort: 'producer',
      order: 'asc',
      limit: 20,
    });

    await userEvent.selectOptions(screen.getByLabelText('Owner'), '');
    await userEvent.type(
      screen.getByLabelText('Search notification types'),
      'captured',
    );
    await waitFor(() =>
      expect(screen.queryByText('shipment-dispatched')).not.toBeInTheDocument(),
    );
    expect(screen.getByText('payment-completed')).toBeInTheDocument();
    expect(listNotificationTypes).toHaveBeenLastCalledWith({
      q: 'captured',
      sort: 'producer',
      order: 'asc',
      limit: 20,
    });
  });

  it('asks the server for the next page by its cursor and sorts there, saying so in aria-sort', async () => {
    const many = jest.fn(async (query: any = {}) => ({
      ...page([notificationType({ id: `t-${query.cursor ?? 'first'}` })], 45),
      nextCursor: `after-${query.cursor ?? 'first'}`,
    }));
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({ listNotificationTypes: many }),
    );
    expect(
      await screen.findByText('Notification types (45)'),
    ).toBeInTheDocument();
    const header = screen.getByRole('columnheader', { name: 'Producer' });
    expect(header).toHaveAttribute('aria-sort', 'ascending');
    expect(
      screen.getByRole('columnheader', { name: 'Notification type' }),
    ).toHaveAttribute('aria-sort', 'none');
    expect(
      screen.getByRole('columnheader', { name: 'Actions' }),
    ).not.toHaveAttribute('aria-sort');

    await userEvent.click(screen.getByRole('button', { name: /next page/i }));
    await waitFor(() =>
      expect(many).toHaveBeenLastCalledWith({
        cursor: 'after-first',
        sort: 'producer',
        order: 'asc',
        limit: 20,
      }),
    );

    await userEvent.click(within(header).getByRole('button'));
    await waitFor(() =>
      expect(header).toHaveAttribute('aria-sort', 'descending'),
    );
    expect(many).toHaveBeenLastCalledWith({
      sort: 'producer',
      order: 'desc',
      limit: 20,
    });
  });

  it('requests a subscription for one of my applications, validated like the backend', async () => {
    const requestSubscription = jest
      .fn()
      .mockResolvedValue(
        subscription({ consumer: 'invoicing', state: 'requested' }),
      );
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({ requestSubscription }),
    );
    const row = (await screen.findByText('payment-completed')).closest('tr')!;
    await userEvent.click(
      within(row).getByRole('button', { name: 'Subscribe' }),
    );

    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription to payments-api/payment-completed',
    });
    await userEvent.selectOptions(
      within(dialog).getByLabelText('Consumer application'),
      'invoicing',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(
      within(dialog).getByText(
        'must explain why the consumer needs these notifications',
      ),
    ).toBeInTheDocument();
    expect(requestSubscription).not.toHaveBeenCalled();

    await userEvent.type(
      within(dialog).getByLabelText('Justification'),
      'Invoice on payment.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(requestSubscription).toHaveBeenCalledWith({
      consumer: 'invoicing',
      producer: 'payments-api',
      notificationType: 'payment-completed',
      justification: 'Invoice on payment.',
    });
    expect(
      await screen.findByText(
        /is requested; the owners of payments-api decide on it/,
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('chooses no application for a member of several, one when there is one, and registers one inline', async () => {
    const onlyMine = application({
      id: 'a-billing',
      name: 'billing',
      title: 'Billing',
    });
    const registered = application({
      id: 'a-orders',
      name: 'orders-api',
      title: 'Orders API',
    });
    const createApplication = jest.fn().mockResolvedValue(registered);
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({
        listApplications: jest.fn().mockResolvedValue(page([onlyMine])),
        createApplication,
      }),
    );
    const row = (await screen.findByText('payment-completed')).closest('tr')!;
    await userEvent.click(
      within(row).getByRole('button', { name: 'Subscribe' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription to payments-api/payment-completed',
    });
    const consumer = await within(dialog).findByLabelText(
      'Consumer application',
    );
    // The only application of mine is chosen, and named by its title.
    expect(consumer).toHaveValue('billing');
    expect(consumer).toHaveFocus();
    expect(
      within(consumer)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['Billing (billing)']);

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Register new application' }),
    );
    const register = await screen.findByRole('dialog', {
      name: 'Register application',
    });
    await userEvent.type(within(register).getByLabelText('Name'), 'orders-api');
    await userEvent.click(
      within(register).getByRole('button', { name: 'Register' }),
    );
    await waitFor(() =>
      expect(
        screen.queryByRole('dialog', { name: 'Register application' }),
      ).not.toBeInTheDocument(),
    );
    // Now there are two: the new one is chosen, none was chosen for the user.
    expect(consumer).toHaveValue('orders-api');
    expect(
      within(consumer)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual([
      'Choose one of your applications',
      'Orders API (orders-api)',
      'Billing (billing)',
    ]);
  });

  it('says when an automatically approved subscription cannot be bound yet', async () => {
    const requestSubscription = jest.fn().mockResolvedValue(
      subscription({
        consumer: 'invoicing',
        state: 'approved',
        blocked: [
          {
            key: 'queue:brom.invoicing',
            reason: 'Conflict',
            message:
              'an unmanaged queue with the same identity exists and differs',
          },
        ],
      }),
    );
    await renderWithBrom(
      <ProducerCatalogue />,
      catalogueApi({ requestSubscription }),
    );
    const row = (await screen.findByText('payment-completed')).closest('tr')!;
    await userEvent.click(
      within(row).getByRole('button', { name: 'Subscribe' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription to payments-api/payment-completed',
    });
    await userEvent.selectOptions(
      within(dialog).getByLabelText('Consumer application'),
      'invoicing',
    );
    await userEvent.type(
      within(dialog).getByLabelText('Justification'),
      'Invoice on payment.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(
      await screen.findByText(
        /is approved, but the broker cannot bind it .*queue:brom.invoicing: an unmanaged queue/,
      ),
    ).toBeInTheDocument();
  });
});
