import { screen, within } from '@testing-library/react';
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

function catalogueApi(overrides = {}) {
  return bromApi({
    listNotificationTypes: jest.fn().mockResolvedValue(page(types)),
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

  it('lists each producer’s types with routing keys, and filters by owner and text', async () => {
    await renderWithBrom(<ProducerCatalogue />, catalogueApi());
    expect(await screen.findByText('payment-completed')).toBeInTheDocument();
    expect(screen.getByText('payment.*.completed')).toBeInTheDocument();
    expect(screen.getByText('shipment.*.dispatched')).toBeInTheDocument();
    expect(screen.getByText('Owners approve')).toBeInTheDocument();
    expect(screen.getByText('Automatic')).toBeInTheDocument();

    await userEvent.selectOptions(
      screen.getByLabelText('Owner'),
      'group:default/logistics',
    );
    expect(screen.queryByText('payment-completed')).not.toBeInTheDocument();
    expect(screen.getByText('shipment-dispatched')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Owner'), '');
    await userEvent.type(
      screen.getByLabelText('Search notification types'),
      'captured',
    );
    expect(screen.getByText('payment-completed')).toBeInTheDocument();
    expect(screen.queryByText('shipment-dispatched')).not.toBeInTheDocument();
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
