import { fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  notificationType,
  page,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { NotificationTypesCard } from './NotificationTypesCard';

const completed = notificationType({ generation: 2 });
const captured = notificationType({
  id: 't-payment-captured',
  name: 'payment-captured',
  routingKeyPattern: 'payment.*.captured',
});
const deprecation = {
  deprecatedAt: '2026-12-01T10:00:00.000Z',
  deprecatedBy: 'user:default/alice',
  sunsetAt: '2099-03-01T23:59:59.000Z',
  successor: 'payment-captured',
};

describe('NotificationTypesCard lifecycle', () => {
  it('deprecates a type with a sunset date and a successor', async () => {
    const deprecateNotificationType = jest
      .fn()
      .mockResolvedValue({ ...completed, generation: 3, deprecation });
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest
          .fn()
          .mockResolvedValue(page([completed, captured])),
        deprecateNotificationType,
      }),
    );
    const row = (await screen.findByText('payment-completed')).closest('tr')!;
    await userEvent.click(
      within(row).getByRole('button', { name: 'Deprecate' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Deprecate payment-completed',
    });
    fireEvent.change(within(dialog).getByLabelText('Sunset date'), {
      target: { value: '2099-03-01' },
    });
    await userEvent.selectOptions(
      within(dialog).getByLabelText('Successor'),
      'payment-captured',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Deprecate' }),
    );
    expect(deprecateNotificationType).toHaveBeenCalledWith(
      'payments-api',
      'payment-completed',
      {
        generation: 2,
        sunsetAt: '2099-03-01T23:59:59.000Z',
        successor: 'payment-captured',
      },
    );
  });

  it('shows the backend’s refusal of a sunset too soon in the dialog', async () => {
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([completed])),
        deprecateNotificationType: jest
          .fn()
          .mockRejectedValue(
            await responseError(
              400,
              'sunsetAt: the sunset must be at least 30 days ahead',
            ),
          ),
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Deprecate' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Deprecate payment-completed',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Deprecate' }),
    );
    expect(
      await within(dialog).findByText(
        /the sunset must be at least 30 days ahead/,
      ),
    ).toBeInTheDocument();
  });

  it('marks a deprecated type and offers to extend its sunset instead of a new version', async () => {
    const deprecated = { ...completed, deprecation };
    const deprecateNotificationType = jest.fn().mockResolvedValue(deprecated);
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest
          .fn()
          .mockResolvedValue(page([deprecated, captured])),
        deprecateNotificationType,
      }),
    );
    const row = (await screen.findByText('payment-completed')).closest('tr')!;
    expect(within(row).getByText(/^Deprecated · ends /)).toBeInTheDocument();
    expect(
      within(row).queryByRole('button', { name: 'New version' }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      within(row).getByRole('button', { name: 'Extend sunset' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Extend the sunset of payment-completed',
    });
    // Proposed: a month after the current sunset.
    expect(within(dialog).getByLabelText('Sunset date')).toHaveValue(
      '2099-03-31',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );
    expect(deprecateNotificationType).toHaveBeenCalledWith(
      'payments-api',
      'payment-completed',
      {
        generation: 2,
        sunsetAt: '2099-03-31T23:59:59.000Z',
        successor: 'payment-captured',
      },
    );
  });

  it('offers a new version when an edit is refused because of live subscribers', async () => {
    const createNotificationTypeVersion = jest.fn().mockResolvedValue({
      notificationType: {
        ...completed,
        name: 'payment-completed-v2',
        generation: 1,
      },
      predecessor: { ...completed, generation: 3, deprecation },
    });
    await renderWithBrom(
      <NotificationTypesCard application={application()} />,
      bromApi({
        listNotificationTypes: jest.fn().mockResolvedValue(page([completed])),
        updateNotificationType: jest
          .fn()
          .mockRejectedValue(
            await responseError(
              409,
              'Notification type "payments-api/payment-completed" has live subscribers: warehouse (approved); changing its routing-key pattern would change what they receive. Create a new version instead',
            ),
          ),
        createNotificationTypeVersion,
      }),
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Edit' }));
    const edit = await screen.findByRole('dialog', {
      name: 'Edit notification type payment-completed',
    });
    const pattern = within(edit).getByLabelText('Routing-key pattern');
    await userEvent.clear(pattern);
    await userEvent.type(pattern, 'payment.eu.completed');
    await userEvent.click(within(edit).getByRole('button', { name: 'Save' }));
    expect(
      await within(edit).findByText(/has live subscribers: warehouse/),
    ).toBeInTheDocument();
    await userEvent.click(
      within(edit).getByRole('button', {
        name: 'Create a new version instead',
      }),
    );

    const version = await screen.findByRole('dialog', {
      name: 'New version of payment-completed',
    });
    expect(
      within(version).getByLabelText('Name of the new version'),
    ).toHaveValue('payment-completed-v2');
    expect(within(version).getByLabelText('Routing-key pattern')).toHaveValue(
      'payment.eu.completed',
    );
    fireEvent.change(
      within(version).getByLabelText('Sunset date of payment-completed'),
      {
        target: { value: '2099-01-31' },
      },
    );
    await userEvent.click(
      within(version).getByRole('button', { name: 'Create version' }),
    );
    expect(createNotificationTypeVersion).toHaveBeenCalledWith(
      'payments-api',
      'payment-completed',
      {
        generation: 2,
        name: 'payment-completed-v2',
        routingKeyPattern: 'payment.eu.completed',
        visibility: 'public',
        description: completed.description,
        sunsetAt: '2099-01-31T23:59:59.000Z',
      },
    );
  });
});
