import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  page,
  pending,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { SubscribersCard } from './SubscribersCard';

const approved = subscription({
  id: 's-approved',
  consumer: 'shipping-service',
  state: 'approved',
  decidedBy: 'user:default/alice',
  decidedAt: '2026-11-21T11:00:00.000Z',
  generation: 2,
});
const requested = subscription();

describe('SubscribersCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <SubscribersCard application={application()} />,
      bromApi({ listSubscriptions: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says where subscribers come from when there are none', async () => {
    await renderWithBrom(
      <SubscribersCard application={application()} />,
      bromApi({ listSubscriptions: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(await screen.findByText('No subscribers yet')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <SubscribersCard application={application()} />,
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

  it('offers approve and reject for requests, revoke for approved subscriptions', async () => {
    const revokeSubscription = jest
      .fn()
      .mockResolvedValue({ ...approved, state: 'revoked' });
    const listSubscriptions = jest
      .fn()
      .mockResolvedValue(page([approved, requested]));
    await renderWithBrom(
      <SubscribersCard application={application()} />,
      bromApi({ listSubscriptions, revokeSubscription }),
    );
    const requestRow = (
      await screen.findByRole('link', { name: 'warehouse' })
    ).closest('tr')!;
    expect(
      within(requestRow).getByRole('button', { name: 'Approve' }),
    ).toBeInTheDocument();
    expect(
      within(requestRow).getByRole('button', { name: 'Reject' }),
    ).toBeInTheDocument();
    expect(listSubscriptions).toHaveBeenCalledWith({
      producer: 'payments-api',
      sort: 'updatedAt',
      order: 'desc',
      limit: 20,
    });

    const approvedRow = screen
      .getByRole('link', { name: 'shipping-service' })
      .closest('tr')!;
    await userEvent.click(
      within(approvedRow).getByRole('button', { name: 'Revoke' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Revoke subscription',
    });
    await userEvent.type(
      within(dialog).getByLabelText('Reason'),
      'Payload format changes',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke' }),
    );
    expect(revokeSubscription).toHaveBeenCalledWith(
      's-approved',
      2,
      'Payload format changes',
    );
    expect(listSubscriptions).toHaveBeenCalledTimes(2);
  });
});
