import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockApis } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  deadLetterPeek,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { DeadLettersCard } from './DeadLettersCard';

describe('DeadLettersCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ peekDeadLetters: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the count and the first messages, saying that peeking re-queues', async () => {
    const peekDeadLetters = jest.fn().mockResolvedValue(deadLetterPeek());
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ peekDeadLetters }),
    );
    expect(await screen.findByText('{"order":42}')).toBeInTheDocument();
    expect(peekDeadLetters).toHaveBeenCalledWith('payments-api', 10);
    expect(
      screen.getByText('1 messages in brom.payments-api.dlq'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/rejected from brom.payments-api/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('brom.orders with order.42.created'),
    ).toBeInTheDocument();
    expect(screen.getByText(/marked redelivered/)).toBeInTheDocument();
  });

  it('says when there are no dead letters, with the tools disabled', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        peekDeadLetters: jest
          .fn()
          .mockResolvedValue(deadLetterPeek({ messageCount: 0, messages: [] })),
      }),
    );
    expect(await screen.findByText('No dead letters')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replay' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Purge' })).toBeDisabled();
  });

  it('shows the error with a way to try again', async () => {
    const peekDeadLetters = jest
      .fn()
      .mockRejectedValueOnce(new Error('management API down'))
      .mockResolvedValue(deadLetterPeek());
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ peekDeadLetters }),
    );
    expect(await screen.findByText('management API down')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('{"order":42}')).toBeInTheDocument();
  });

  it("gives the backend's reason when there is no dead-letter queue", async () => {
    const refusal = await responseError(
      409,
      '"payments-api" has no dead-letter queue: it subscribes to nothing (only consumers have queues)',
    );
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ peekDeadLetters: jest.fn().mockRejectedValue(refusal) }),
    );
    expect(
      await screen.findByText(/has no dead-letter queue/),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replay' })).toBeDisabled();
  });

  it('replays after a confirmation and says how many move', async () => {
    const peekDeadLetters = jest
      .fn()
      .mockResolvedValueOnce(deadLetterPeek())
      .mockResolvedValue(
        deadLetterPeek({ messageCount: 0, messages: [], replayRunning: true }),
      );
    const replayDeadLetters = jest.fn().mockResolvedValue({
      application: 'payments-api',
      from: 'brom.payments-api.dlq',
      to: 'brom.payments-api',
      moving: 1,
    });
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ peekDeadLetters, replayDeadLetters }),
    );
    await screen.findByText('{"order":42}');
    await userEvent.click(screen.getByRole('button', { name: 'Replay' }));
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText(/move back to the application's queue/),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Replay' }),
    );
    expect(
      await screen.findByText('Moving 1 messages back to brom.payments-api.'),
    ).toBeInTheDocument();
    expect(replayDeadLetters).toHaveBeenCalledWith('payments-api');
    expect(
      await screen.findByText(/A replay is moving the messages back/),
    ).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('purges after a confirmation, and shows a refusal in the dialog', async () => {
    const purgeDeadLetters = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(
          409,
          'A replay of "payments-api"\'s dead letters is still moving messages',
        ),
      )
      .mockResolvedValue({
        application: 'payments-api',
        queue: 'brom.payments-api.dlq',
        purged: 1,
      });
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        peekDeadLetters: jest.fn().mockResolvedValue(deadLetterPeek()),
        purgeDeadLetters,
      }),
    );
    await screen.findByText('{"order":42}');
    await userEvent.click(screen.getByRole('button', { name: 'Purge' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/deleted for good/)).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Purge' }));
    expect(
      await within(dialog).findByText(/still moving messages/),
    ).toBeInTheDocument();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Purge' }));
    expect(
      await screen.findByText('Purged 1 messages from brom.payments-api.dlq.'),
    ).toBeInTheDocument();
    expect(purgeDeadLetters).toHaveBeenCalledTimes(2);
  });

  it('tells others who may use it and disables the tools with the reason', async () => {
    const peekDeadLetters = jest.fn().mockResolvedValue(deadLetterPeek());
    // Another application than the other tests': usePermission caches answers by resource.
    await renderWithBrom(
      <DeadLettersCard application={application({ name: 'ledger-api' })} />,
      bromApi({ peekDeadLetters }),
      { permission: mockApis.permission({ authorize: AuthorizeResult.DENY }) },
    );
    expect(
      // The permission answer is batched: allow it time on a loaded machine.
      await screen.findByText(
        /shown to the owners of ledger-api/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replay' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Purge' })).toBeDisabled();
    expect(peekDeadLetters).not.toHaveBeenCalled();
  });
});
