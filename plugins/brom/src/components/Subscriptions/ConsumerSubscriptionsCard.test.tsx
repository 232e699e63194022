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
import { ConsumerSubscriptionsCard } from './ConsumerSubscriptionsCard';

const invoicing = application({ id: 'a3', name: 'invoicing' });
const rejected = subscription({
  id: 's-rejected',
  consumer: 'invoicing',
  producer: 'shipping-service',
  notificationType: 'shipment-events',
  routingKeyPattern: 'shipment.tracking.#',
  state: 'rejected',
  decidedBy: 'user:default/bob',
  reason:
    'Tracking events are very chatty; subscribe to shipment-dispatched instead.',
});
const requested = subscription({
  id: 's-requested',
  consumer: 'invoicing',
  producer: 'shipping-service',
  notificationType: 'shipment-dispatched',
  routingKeyPattern: 'shipment.*.dispatched',
  justification: 'Send the invoice when the parcel leaves.',
  generation: 2,
});

describe('ConsumerSubscriptionsCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({ listSubscriptions: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says how to subscribe when the application receives nothing', async () => {
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({ listSubscriptions: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(
      await screen.findByText('Receives no notifications'),
    ).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({
        listSubscriptions: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('shows each subscription’s state and the reason of a rejection', async () => {
    const listSubscriptions = jest
      .fn()
      .mockResolvedValue(page([rejected, requested]));
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({ listSubscriptions }),
    );
    const rejectedRow = (await screen.findByText('shipment-events')).closest(
      'tr',
    )!;
    expect(within(rejectedRow).getByText('Rejected')).toBeInTheDocument();
    expect(
      within(rejectedRow).getByText(`Reason: ${rejected.reason}`),
    ).toBeInTheDocument();
    const requestedRow = screen.getByText('shipment-dispatched').closest('tr')!;
    expect(within(requestedRow).getByText('Requested')).toBeInTheDocument();
    expect(listSubscriptions).toHaveBeenCalledWith({
      consumer: 'invoicing',
      sort: 'updatedAt',
      order: 'desc',
      limit: 20,
    });
  });

  it('says which team decides a pending request, and offers to ask again after a rejection', async () => {
    const listNotificationTypes = jest.fn(async (query: any = {}) =>
      page(
        [
          notificationType({
            id: 't-events',
            application: 'shipping-service',
            name: 'shipment-events',
            routingKeyPattern: 'shipment.tracking.#',
            description: 'Every tracking scan.',
            producerOwner: 'group:default/logistics',
            payloadSchema: {
              type: 'object',
              examples: [{ parcel: 'P-1', scannedAt: '2026-12-01' }],
            },
          }),
        ].filter(
          t => !query.application || t.application === query.application,
        ),
      ),
    );
    const requestSubscription = jest
      .fn()
      .mockResolvedValue({ ...rejected, state: 'requested' });
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({
        listSubscriptions: jest
          .fn()
          .mockResolvedValue(
            page([
              rejected,
              { ...requested, producerOwner: 'group:default/logistics' },
            ]),
          ),
        listNotificationTypes,
        requestSubscription,
      }),
    );
    const requestedRow = (
      await screen.findByText('shipment-dispatched')
    ).closest('tr')!;
    expect(within(requestedRow).getByText(/Waiting for/)).toBeInTheDocument();
    expect(
      within(requestedRow).getByRole('link', { name: 'logistics' }),
    ).toHaveAttribute('href', '/catalog/default/group/logistics');

    const rejectedRow = screen.getByText('shipment-events').closest('tr')!;
    await userEvent.click(
      within(rejectedRow).getByRole('button', { name: 'Request again' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription for invoicing',
    });
    const radio = await within(dialog).findByRole('radio', {
      name: /shipping-service\/shipment-events/,
    });
    expect(radio).toBeChecked();
    expect(
      within(dialog).getByText('Every tracking scan.'),
    ).toBeInTheDocument();
    expect(within(dialog).getByText(/approved by/)).toBeInTheDocument();
    expect(
      within(dialog).getByText('Example message and payload schema'),
    ).toBeInTheDocument();
    expect(listNotificationTypes).toHaveBeenCalledWith({
      q: 'shipment-events',
      application: 'shipping-service',
      limit: 8,
    });
    await userEvent.type(
      within(dialog).getByLabelText('Justification'),
      'Only the dispatch scans, promised.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(requestSubscription).toHaveBeenCalledWith({
      consumer: 'invoicing',
      producer: 'shipping-service',
      notificationType: 'shipment-events',
      justification: 'Only the dispatch scans, promised.',
    });
  });

  it('withdraws a pending request with an optional note', async () => {
    const revokeSubscription = jest
      .fn()
      .mockResolvedValue({ ...requested, state: 'revoked' });
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({
        listSubscriptions: jest.fn().mockResolvedValue(page([requested])),
        revokeSubscription,
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Withdraw request' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Withdraw subscription request',
    });
    await userEvent.type(
      within(dialog).getByLabelText('Note (optional)'),
      'Not needed after all',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Withdraw request' }),
    );
    expect(revokeSubscription).toHaveBeenCalledWith(
      's-requested',
      2,
      'Not needed after all',
    );
  });

  it('requests a subscription with a justification', async () => {
    const dispatched = notificationType({
      id: 't2',
      application: 'shipping-service',
      name: 'shipment-dispatched',
      routingKeyPattern: 'shipment.*.dispatched',
    });
    const requestSubscription = jest.fn().mockResolvedValue(requested);
    await renderWithBrom(
      <ConsumerSubscriptionsCard application={invoicing} />,
      bromApi({
        listSubscriptions: jest.fn().mockResolvedValue(page([])),
        listNotificationTypes: jest
          .fn()
          .mockResolvedValue(page([notificationType(), dispatched])),
        requestSubscription,
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Request subscription' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription for invoicing',
    });
    await userEvent.click(
      await within(dialog).findByRole('radio', {
        name: /shipping-service\/shipment-dispatched/,
      }),
    );
    await userEvent.type(
      within(dialog).getByLabelText('Justification'),
      'Send the invoice when the parcel leaves.',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(requestSubscription).toHaveBeenCalledWith({
      consumer: 'invoicing',
      producer: 'shipping-service',
      notificationType: 'shipment-dispatched',
      justification: 'Send the invoice when the parcel leaves.',
    });
    expect(await screen.findByText(/decide on it/)).toBeInTheDocument();
  });
});
