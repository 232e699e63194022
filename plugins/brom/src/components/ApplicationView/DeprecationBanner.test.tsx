import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  notificationType,
  page,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { DeprecationBanner } from './DeprecationBanner';

const warehouse = application({
  id: 'a2',
  name: 'warehouse',
  owner: 'group:default/payments',
});
const deprecation = {
  deprecatedAt: '2026-12-01T10:00:00.000Z',
  deprecatedBy: 'user:default/alice',
  sunsetAt: '2099-03-01T12:00:00.000Z',
  successor: 'payment-completed-v2',
};
const onDeprecated = subscription({
  state: 'approved',
  notificationTypeDeprecation: deprecation,
});
const successor = notificationType({
  id: 't-v2',
  name: 'payment-completed-v2',
  routingKeyPattern: 'payment.eu.completed',
});

describe('DeprecationBanner', () => {
  it('tells the consumer the date and the successor, and requests the successor for it', async () => {
    const requestSubscription = jest
      .fn()
      .mockResolvedValue(
        subscription({ id: 's2', notificationType: 'payment-completed-v2' }),
      );
    await renderWithBrom(
      <DeprecationBanner application={warehouse} />,
      bromApi({
        listSubscriptions: jest.fn().mockResolvedValue(page([onDeprecated])),
        listNotificationTypes: jest
          .fn()
          .mockResolvedValue(
            page([{ ...notificationType(), deprecation }, successor]),
          ),
        requestSubscription,
      }),
    );
    const banner = await screen.findByTestId('brom-deprecation-banner');
    expect(
      within(banner).getByText(
        `payments-api/payment-completed is deprecated: this subscription ends on ${new Date(
          deprecation.sunsetAt,
        ).toLocaleDateString(undefined, {
          year: 'numeric',
          month: 'long',
          day: 'numeric',
        })}`,
      ),
    ).toBeInTheDocument();
    expect(
      within(banner).getByText(
        /Its successor is payments-api\/payment-completed-v2/,
      ),
    ).toBeInTheDocument();

    await userEvent.click(
      within(banner).getByRole('button', {
        name: 'Request payment-completed-v2',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Request subscription for warehouse',
    });
    expect(
      await within(dialog).findByRole('radio', {
        name: /^payments-api\/payment-completed-v2/,
      }),
    ).toBeChecked();
    await userEvent.type(
      within(dialog).getByLabelText('Justification'),
      'Moving on',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Send request' }),
    );
    expect(requestSubscription).toHaveBeenCalledWith({
      consumer: 'warehouse',
      producer: 'payments-api',
      notificationType: 'payment-completed-v2',
      justification: 'Moving on',
    });
  });

  it('refuses the deprecated type in the request dialog, pointing to its successor', async () => {
    await renderWithBrom(
      <DeprecationBanner application={warehouse} />,
      bromApi({
        listSubscriptions: jest.fn().mockResolvedValue(page([onDeprecated])),
        listNotificationTypes: jest
          .fn()
          .mockResolvedValue(
            page([{ ...notificationType(), deprecation }, successor]),
          ),
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Request payment-completed-v2',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await userEvent.click(
      await within(dialog).findByRole('radio', {
        name: /^payments-api\/payment-completed \(deprecated\)/,
      }),
    );
    expect(
      within(dialog).getByText(
        /Request its successor payments-api\/payment-completed-v2 instead/,
      ),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Send request' }),
    ).toBeDisabled();
    await userEvent.click(
      within(dialog).getByRole('button', {
        name: 'Choose payment-completed-v2',
      }),
    );
    expect(
      within(dialog).getByRole('button', { name: 'Send request' }),
    ).toBeEnabled();
  });

  it('says nothing when no subscription is to a deprecated type', async () => {
    const listSubscriptions = jest
      .fn()
      .mockResolvedValue(page([subscription({ state: 'approved' })]));
    await renderWithBrom(
      <DeprecationBanner application={warehouse} />,
      bromApi({ listSubscriptions }),
    );
    await waitFor(() => expect(listSubscriptions).toHaveBeenCalled());
    // Let the answer render.
    await act(async () => {});
    expect(
      screen.queryByTestId('brom-deprecation-banner'),
    ).not.toBeInTheDocument();
  });

  it('says when it could not check, with a way to try again', async () => {
    const listSubscriptions = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend is down'))
      .mockResolvedValue(page([onDeprecated]));
    await renderWithBrom(
      <DeprecationBanner application={warehouse} />,
      bromApi({ listSubscriptions }),
    );
    expect(await screen.findByText(/backend is down/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(
      await screen.findByTestId('brom-deprecation-banner'),
    ).toBeInTheDocument();
  });
});
