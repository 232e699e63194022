import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { routingKeyPatternProblem } from '@internal/plugin-brom-common';
import {
  application,
  notificationType,
  page,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { NotificationTypesCard } from './NotificationTypesCard';

const type = notificationType({ generation: 2 });

describe('NotificationTypesCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({ listNotificationTypes: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says how to start publishing when there are no types', async () => {
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({ listNotificationTypes: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(
      await screen.findByText('Publishes no notification types'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/you publish to exchange brom.payments-api/),
    ).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
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

  it('adds a type, checking the routing-key pattern as the backend does', async () => {
    const listNotificationTypes = jest
      .fn()
      .mockResolvedValueOnce(page([]))
      .mockResolvedValue(page([type]));
    const createNotificationType = jest.fn().mockResolvedValue(type);
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({ listNotificationTypes, createNotificationType }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Add notification type' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Add notification type',
    });
    await userEvent.type(
      within(dialog).getByLabelText('Name'),
      'payment-completed',
    );
    await userEvent.type(
      within(dialog).getByLabelText('Routing-key pattern'),
      'payment.#.done',
    );
    await userEvent.type(
      within(dialog).getByLabelText('Description'),
      'A payment was captured.',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(
      within(dialog).getByText(routingKeyPatternProblem('payment.#.done')!),
    ).toBeInTheDocument();
    expect(createNotificationType).not.toHaveBeenCalled();

    await userEvent.clear(within(dialog).getByLabelText('Routing-key pattern'));
    await userEvent.type(
      within(dialog).getByLabelText('Routing-key pattern'),
      'payment.*.completed',
    );
    await userEvent.click(
      within(dialog).getByLabelText('Subscriptions need approval'),
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(createNotificationType).toHaveBeenCalledWith('payments-api', {
      name: 'payment-completed',
      routingKeyPattern: 'payment.*.completed',
      description: 'A payment was captured.',
      visibility: 'public',
      requiresApproval: false,
      payloadSchema: null,
    });
    // Asked of the server again; the table settles once the new page has loaded.
    await waitFor(() =>
      expect(screen.getByText('payment.*.completed')).toBeInTheDocument(),
    );
    expect(listNotificationTypes).toHaveBeenCalledTimes(2);
  });

  it('edits a type with the generation it was loaded at', async () => {
    const updateNotificationType = jest
      .fn()
      .mockResolvedValue({ ...type, generation: 3 });
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([type])),
        updateNotificationType,
      }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'Edit notification type payment-completed',
    });
    expect(within(dialog).getByLabelText('Name')).toBeDisabled();
    await userEvent.type(
      within(dialog).getByLabelText('Payload JSON Schema (optional)'),
      '{{',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(within(dialog).getByText(/^must be valid JSON/)).toBeInTheDocument();

    await userEvent.clear(
      within(dialog).getByLabelText('Payload JSON Schema (optional)'),
    );
    await userEvent.selectOptions(
      within(dialog).getByLabelText('Visibility'),
      'private',
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(updateNotificationType).toHaveBeenCalledWith(
      'payments-api',
      'payment-completed',
      {
        generation: 2,
        routingKeyPattern: 'payment.*.completed',
        description: 'A payment was captured.',
        visibility: 'private',
        requiresApproval: true,
        payloadSchema: null,
      },
    );
  });

  it('shows the subscribers the backend names when a deletion is refused', async () => {
    const message =
      'Notification type "payment-completed" has active subscribers: warehouse (payment-completed, approved). Ask them to unsubscribe first, or ask an administrator to force the deletion';
    const deleteNotificationType = jest
      .fn()
      .mockRejectedValue(await responseError(409, message));
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([type])),
        deleteNotificationType,
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Delete' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Delete notification type payment-completed?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Delete' }),
    );
    expect(deleteNotificationType).toHaveBeenCalledWith(
      'payments-api',
      'payment-completed',
      2,
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(message);
  });
});
