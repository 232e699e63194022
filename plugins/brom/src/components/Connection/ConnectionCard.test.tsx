import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  credential,
  notificationType,
  page,
  pending,
  responseError,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { ConnectionCard } from './ConnectionCard';

const producerApi = (overrides = {}) =>
  bromApi({
    listNotificationTypes: jest
      .fn()
      .mockResolvedValue(page([notificationType()])),
    listSubscriptions: jest.fn().mockResolvedValue(page([])),
    listCredentials: jest.fn().mockResolvedValue([
      credential(),
      credential({
        id: 'c0',
        username: 'payments-api-old',
        revokedAt: '2026-11-01T00:00:00.000Z',
      }),
    ]),
    ...overrides,
  });

describe('ConnectionCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ConnectionCard application={application()} />,
      bromApi({
        listNotificationTypes: pending,
        listSubscriptions: pending,
        listCredentials: pending,
      }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the error with a way to try again', async () => {
    const listNotificationTypes = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend is down'))
      .mockResolvedValue(page([notificationType()]));
    await renderWithBrom(
      <ConnectionCard application={application()} />,
      producerApi({ listNotificationTypes }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByText('payment.example.completed'),
    ).toBeInTheDocument();
  });

  it('gives a producer its exchange, keys, a valid example and live usernames', async () => {
    await renderWithBrom(
      <ConnectionCard application={application()} />,
      producerApi(),
    );
    expect(
      await screen.findByText('payment.example.completed'),
    ).toBeInTheDocument();
    expect(screen.getByText('brom.payments-api')).toBeInTheDocument();
    expect(screen.getByText('payment.*.completed')).toBeInTheDocument();
    expect(screen.getByText('Publishes To Exchange')).toBeInTheDocument();
    expect(screen.getByText('payments-api-4f2a')).toBeInTheDocument();
    expect(screen.queryByText('payments-api-old')).not.toBeInTheDocument();
    expect(screen.queryByText('Consumes From Queue')).not.toBeInTheDocument();
    expect(screen.getByText('rabbitmq.example.org:5671')).toBeInTheDocument();
    for (const label of ['Node.js', 'Python', 'Java', '.NET']) {
      expect(screen.getByRole('tab', { name: label })).toBeInTheDocument();
    }
    expect(document.body).toHaveTextContent(
      'checkExchange("brom.payments-api")',
    );
    expect(document.body).not.toHaveTextContent('checkQueue');
  });

  it('gives a consumer its queue and dead-letter queue', async () => {
    await renderWithBrom(
      <ConnectionCard application={application({ name: 'warehouse' })} />,
      producerApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([])),
        listSubscriptions: jest
          .fn()
          .mockResolvedValue(page([subscription({ state: 'approved' })])),
      }),
    );
    expect(await screen.findByText('brom.warehouse.dlq')).toBeInTheDocument();
    expect(screen.getByText('brom.warehouse')).toBeInTheDocument();
    expect(screen.getByText('Consumes From Queue')).toBeInTheDocument();
    expect(screen.queryByText('Publishes To Exchange')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('tab', { name: 'Python' }));
    expect(document.body).toHaveTextContent(
      'queue_declare(queue="brom.warehouse", passive=True)',
    );
  });

  it('says when there is nothing to connect to, and who sees credentials', async () => {
    await renderWithBrom(
      <ConnectionCard application={application()} />,
      producerApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([])),
        listCredentials: jest
          .fn()
          .mockRejectedValue(await responseError(403, 'Only owners')),
      }),
    );
    expect(
      await screen.findByText('Nothing to connect to yet'),
    ).toBeInTheDocument();
    const table = screen.getByText('Live Credentials').closest('tr')!;
    expect(
      within(table).getByText('Visible to the owners'),
    ).toBeInTheDocument();
  });
});
