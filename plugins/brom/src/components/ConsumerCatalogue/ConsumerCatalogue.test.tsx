import { screen } from '@testing-library/react';
import {
  application,
  page,
  pending,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { ConsumerCatalogue } from './ConsumerCatalogue';

/** The one application with an approved subscription: what `consuming=true` answers. */
const consumers = [
  application({
    id: 'a2',
    name: 'warehouse',
    owner: 'group:default/logistics',
  }),
];

describe('ConsumerCatalogue', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ConsumerCatalogue />,
      bromApi({ listApplications: pending, listSubscriptions: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says how an application becomes a consumer when none is', async () => {
    await renderWithBrom(
      <ConsumerCatalogue />,
      bromApi({
        listApplications: jest.fn().mockResolvedValue(page([])),
        listSubscriptions: jest.fn().mockResolvedValue(page([])),
      }),
    );
    expect(await screen.findByText('No consumers yet')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <ConsumerCatalogue />,
      bromApi({
        listApplications: jest
          .fn()
          .mockRejectedValue(new Error('database is locked')),
        listSubscriptions: jest.fn().mockResolvedValue(page([])),
      }),
    );
    expect(await screen.findByText('database is locked')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('lists the consumers the server finds, each with the subscriptions approved for it', async () => {
    const listApplications = jest.fn().mockResolvedValue(page(consumers));
    const listSubscriptions = jest.fn().mockResolvedValue(
      page([
        subscription({ state: 'approved' }),
        subscription({
          id: 's2',
          state: 'approved',
          notificationType: 'payment-refunded',
          routingKeyPattern: 'payment.*.refunded',
        }),
      ]),
    );
    await renderWithBrom(
      <ConsumerCatalogue />,
      bromApi({
        listApplications,
        listSubscriptions,
      }),
    );
    expect(
      await screen.findByRole('link', { name: 'warehouse' }),
    ).toHaveAttribute('href', '/brom/applications/warehouse');
    expect(
      screen.getByText('payments-api/payment-completed'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('payments-api/payment-refunded'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'payments-api' }),
    ).not.toBeInTheDocument();
    expect(listApplications).toHaveBeenCalledWith({
      consuming: true,
      sort: 'name',
      order: 'asc',
      limit: 20,
    });
    expect(listSubscriptions).toHaveBeenCalledWith({
      consumer: 'warehouse',
      state: 'approved',
      sort: 'producer',
      order: 'asc',
      limit: 8,
    });
  });
});
