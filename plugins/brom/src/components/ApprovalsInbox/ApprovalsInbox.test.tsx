import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  page,
  pending,
  responseError,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { ApprovalsInbox } from './ApprovalsInbox';

const request = subscription({ generation: 3 });

async function openDecision(action: 'Approve' | 'Reject') {
  const row = (await screen.findByText(request.justification)).closest('tr')!;
  await userEvent.click(within(row).getByRole('button', { name: action }));
  return screen.findByRole('dialog', { name: `${action} subscription` });
}

describe('ApprovalsInbox', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({ listApprovals: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says when nothing waits for a decision', async () => {
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({ listApprovals: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(
      await screen.findByText('No requests waiting for you'),
    ).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({
        listApprovals: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('lists requests with who asked and why', async () => {
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({ listApprovals: jest.fn().mockResolvedValue(page([request])) }),
    );
    expect(
      await screen.findByText('Waiting for your decision (1)'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'warehouse' })).toBeInTheDocument();
    expect(
      screen.getByText('payments-api/payment-completed'),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /^bob$/ })).toHaveAttribute(
      'href',
      '/catalog/default/user/bob',
    );
  });

  it("shows the consumer's team, and the decided requests under “Show”, asked of the server", async () => {
    const rejected = {
      ...request,
      id: 's-rejected',
      state: 'rejected' as const,
      decidedBy: 'user:default/alice',
      reason: 'Not for this consumer',
    };
    const listApprovals = jest.fn(async (query: any = {}) =>
      page(
        query.state === 'decided'
          ? [{ ...rejected, consumerOwner: 'group:default/logistics' }]
          : [{ ...request, consumerOwner: 'group:default/logistics' }],
      ),
    );
    await renderWithBrom(<ApprovalsInbox />, bromApi({ listApprovals }));
    expect(
      await screen.findByRole('link', { name: 'logistics' }),
    ).toHaveAttribute('href', '/catalog/default/group/logistics');
    expect(screen.getByRole('button', { name: 'Approve' })).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Show'), 'decided');
    expect(await screen.findByText('Decided requests (1)')).toBeInTheDocument();
    expect(
      screen.getByText('Not for this consumer', { exact: false }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Approve' }),
    ).not.toBeInTheDocument();
    expect(listApprovals).toHaveBeenLastCalledWith({
      state: 'decided',
      sort: 'updatedAt',
      order: 'desc',
      limit: 20,
    });
  });

  it('approves with an optional reason and the generation it was shown at', async () => {
    const approveSubscription = jest
      .fn()
      .mockResolvedValue({ ...request, state: 'approved', generation: 4 });
    const listApprovals = jest
      .fn()
      .mockResolvedValueOnce(page([request]))
      .mockResolvedValue(page([]));
    const onDecided = jest.fn();
    await renderWithBrom(
      <ApprovalsInbox onDecided={onDecided} />,
      bromApi({ listApprovals, approveSubscription }),
    );
    const dialog = await openDecision('Approve');
    await userEvent.type(
      within(dialog).getByLabelText('Reason (optional)'),
      'Welcome aboard',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    expect(approveSubscription).toHaveBeenCalledWith(
      request.id,
      3,
      'Welcome aboard',
    );
    expect(
      await screen.findByText(
        'Approved warehouse → payments-api/payment-completed.',
      ),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('No requests waiting for you'),
    ).toBeInTheDocument();
    expect(onDecided).toHaveBeenCalled();
  });

  it('says when the broker cannot bind an approved subscription yet', async () => {
    const approveSubscription = jest.fn().mockResolvedValue({
      ...request,
      state: 'approved',
      generation: 4,
      blocked: [
        {
          key: 'queue:brom.warehouse',
          reason: 'Conflict',
          message:
            'an unmanaged queue with the same identity exists and differs',
        },
      ],
    });
    const onDecided = jest.fn();
    await renderWithBrom(
      <ApprovalsInbox onDecided={onDecided} />,
      bromApi({
        listApprovals: jest.fn().mockResolvedValue(page([request])),
        approveSubscription,
      }),
    );
    const dialog = await openDecision('Approve');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    const blocked = await screen.findByRole('dialog', {
      name: 'Approved, but not yet on the broker',
    });
    expect(
      within(blocked).getByText(/unmanaged queue with the same identity/),
    ).toBeInTheDocument();
    expect(onDecided).not.toHaveBeenCalled();
    await userEvent.click(
      within(blocked).getByRole('button', { name: 'Done' }),
    );
    expect(onDecided).toHaveBeenCalled();
  });

  it('rejects only with a reason, as the backend requires', async () => {
    const rejectSubscription = jest.fn().mockResolvedValue({
      ...request,
      state: 'rejected',
      reason: 'Use refunds instead',
    });
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({
        listApprovals: jest.fn().mockResolvedValue(page([request])),
        rejectSubscription,
      }),
    );
    const dialog = await openDecision('Reject');
    // Disabled, with the reason right under the field, until there is a reason.
    expect(
      within(dialog).getByRole('button', { name: 'Reject' }),
    ).toBeDisabled();
    expect(
      within(dialog).getByText('must tell the requester why'),
    ).toBeInTheDocument();
    await userEvent.type(within(dialog).getByLabelText('Reason'), '   ');
    expect(
      within(dialog).getByRole('button', { name: 'Reject' }),
    ).toBeDisabled();
    expect(rejectSubscription).not.toHaveBeenCalled();
    await userEvent.clear(within(dialog).getByLabelText('Reason'));

    await userEvent.type(
      within(dialog).getByLabelText('Reason'),
      'Use refunds instead',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Reject' }),
    );
    expect(rejectSubscription).toHaveBeenCalledWith(
      request.id,
      3,
      'Use refunds instead',
    );
    expect(
      await screen.findByText(
        'Rejected warehouse → payments-api/payment-completed.',
      ),
    ).toBeInTheDocument();
  });

  it('shows who may decide when the backend refuses', async () => {
    const approveSubscription = jest
      .fn()
      .mockRejectedValue(
        await responseError(
          403,
          'You requested this subscription, so someone else from the producer’s team must approve it',
        ),
      );
    await renderWithBrom(
      <ApprovalsInbox />,
      bromApi({
        listApprovals: jest.fn().mockResolvedValue(page([request])),
        approveSubscription,
      }),
    );
    const dialog = await openDecision('Approve');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Approve' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'someone else from the producer’s team must approve it',
    );
  });
});
