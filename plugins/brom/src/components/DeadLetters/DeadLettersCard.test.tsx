import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockApis } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  applicationHealth,
  deadLetterPeek,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { DeadLettersCard } from './DeadLettersCard';

/** Queue health whose dead-letter queue holds `count` messages. */
function healthWith(count: number) {
  const base = applicationHealth();
  return applicationHealth({
    deadLetterQueue: { ...base.deadLetterQueue!, messagesReady: count },
  });
}

describe('DeadLettersCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ getApplicationHealth: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the count, and the first messages only when asked, saying that peeking re-queues', async () => {
    const peekDeadLetters = jest.fn().mockResolvedValue(deadLetterPeek());
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        getApplicationHealth: jest.fn().mockResolvedValue(healthWith(1)),
        peekDeadLetters,
      }),
    );
    expect(
      await screen.findByText(
        /^1 messages in brom.payments-api.dlq \(broker statistics/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/marked redelivered/)).toBeInTheDocument();
    expect(peekDeadLetters).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Peek' }));
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
  });

  it('says when a peek finds nothing, and disables the tools when there is nothing', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        getApplicationHealth: jest.fn().mockResolvedValue(healthWith(0)),
        peekDeadLetters: jest
          .fn()
          .mockResolvedValue(deadLetterPeek({ messageCount: 0, messages: [] })),
      }),
    );
    await screen.findByText(/^0 messages in/);
    expect(screen.getByRole('button', { name: 'Replay' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Purge' })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Peek' }));
    expect(await screen.findByText('No dead letters')).toBeInTheDocument();
  });

  it('says when the application has no dead-letter queue', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        getApplicationHealth: jest
          .fn()
          .mockResolvedValue(
            applicationHealth({ queue: null, deadLetterQueue: null }),
          ),
      }),
    );
    expect(await screen.findByText('No dead-letter queue')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Peek' })).toBeDisabled();
  });

  it('shows errors with a way to try again', async () => {
    const getApplicationHealth = jest
      .fn()
      .mockRejectedValueOnce(new Error('management API down'))
      .mockResolvedValue(healthWith(1));
    const peekDeadLetters = jest
      .fn()
      .mockRejectedValueOnce(
        await responseError(
          409,
          'A delivery-limit of 5 applies to brom.payments-api.dlq',
        ),
      )
      .mockResolvedValue(deadLetterPeek());
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ getApplicationHealth, peekDeadLetters }),
    );
    expect(await screen.findByText('management API down')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByText(/^1 messages in/);

    await userEvent.click(screen.getByRole('button', { name: 'Peek' }));
    expect(
      await screen.findByText(/A delivery-limit of 5 applies/),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('{"order":42}')).toBeInTheDocument();
  });

  it('replays after a confirmation and says how many move', async () => {
    const getApplicationHealth = jest
      .fn()
      .mockResolvedValueOnce(healthWith(1))
      .mockResolvedValue(healthWith(0));
    const replayDeadLetters = jest.fn().mockResolvedValue({
      application: 'payments-api',
      from: 'brom.payments-api.dlq',
      to: 'brom.payments-api',
      moving: 1,
    });
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({ getApplicationHealth, replayDeadLetters }),
    );
    await screen.findByText(/^1 messages in/);
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
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // The count is read again.
    expect(await screen.findByText(/^0 messages in/)).toBeInTheDocument();
  });

  it('shows a running replay and keeps replay and purge disabled meanwhile', async () => {
    await renderWithBrom(
      <DeadLettersCard application={application()} />,
      bromApi({
        getApplicationHealth: jest.fn().mockResolvedValue(healthWith(3)),
        peekDeadLetters: jest
          .fn()
          .mockResolvedValue(
            deadLetterPeek({
              messageCount: 3,
              messages: [],
              replayRunning: true,
            }),
          ),
      }),
    );
    await screen.findByText(/^3 messages in/);
    await userEvent.click(screen.getByRole('button', { name: 'Peek' }));
    expect(
      await screen.findByText(/A replay is moving the messages back/),
    ).toBeInTheDocument();
    expect(screen.getByText('A replay is running')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replay' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Purge' })).toBeDisabled();
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
        getApplicationHealth: jest.fn().mockResolvedValue(healthWith(1)),
        purgeDeadLetters,
      }),
    );
    await screen.findByText(/^1 messages in/);
    await userEvent.click(screen.getByRole('button', { name: 'Purge' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText(/deleted for good/)).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Purge' }),
    );
    expect(
      await within(dialog).findByText(/still moving messages/),
    ).toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Purge' }),
    );
    expect(
      await screen.findByText('Purged 1 messages from brom.payments-api.dlq.'),
    ).toBeInTheDocument();
    expect(purgeDeadLetters).toHaveBeenCalledTimes(2);
  });

  it('tells others who may use it and disables the tools', async () => {
    const getApplicationHealth = jest.fn().mockResolvedValue(healthWith(1));
    // Another application than the other tests': usePermission caches answers by resource.
    await renderWithBrom(
      <DeadLettersCard application={application({ name: 'ledger-api' })} />,
      bromApi({ getApplicationHealth }),
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
    for (const name of ['Peek', 'Replay', 'Purge']) {
      expect(screen.getByRole('button', { name })).toBeDisabled();
    }
    expect(getApplicationHealth).not.toHaveBeenCalled();
  });
});
