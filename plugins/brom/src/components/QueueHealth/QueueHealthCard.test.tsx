import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockApis } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  applicationHealth,
  pending,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { QueueHealthCard } from './QueueHealthCard';

describe('QueueHealthCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <QueueHealthCard application={application()} />,
      bromApi({ getApplicationHealth: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows counts, rates and warnings', async () => {
    const base = applicationHealth();
    await renderWithBrom(
      <QueueHealthCard application={application()} />,
      bromApi({
        getApplicationHealth: jest.fn().mockResolvedValue({
          ...base,
          deadLetterQueue: { ...base.deadLetterQueue!, messagesReady: 4 },
          warnings: [
            {
              code: 'dead-letters',
              message: '4 dead-lettered messages are in brom.payments-api.dlq',
            },
          ],
        }),
      }),
    );
    expect(
      await screen.findByText(
        '4 dead-lettered messages are in brom.payments-api.dlq',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Queue brom.payments-api')).toBeInTheDocument();
    expect(screen.getByText('12')).toBeInTheDocument();
    expect(screen.getByText('4.5/s')).toBeInTheDocument();
    expect(screen.getByText('0.5/s')).toBeInTheDocument();
  });

  it('says when the broker has nothing yet', async () => {
    await renderWithBrom(
      <QueueHealthCard application={application()} />,
      bromApi({
        getApplicationHealth: jest.fn().mockResolvedValue(
          applicationHealth({ queue: null, deadLetterQueue: null, exchange: null }),
        ),
      }),
    );
    expect(
      await screen.findByText('No queue or exchange on the broker yet'),
    ).toBeInTheDocument();
  });

  it('shows the error with a way to try again', async () => {
    const getApplicationHealth = jest
      .fn()
      .mockRejectedValueOnce(new Error('management API down'))
      .mockResolvedValue(applicationHealth());
    await renderWithBrom(
      <QueueHealthCard application={application()} />,
      bromApi({ getApplicationHealth }),
    );
    expect(await screen.findByText('management API down')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('4.5/s')).toBeInTheDocument();
  });

  it('tells others who may see it', async () => {
    const getApplicationHealth = jest
      .fn()
      .mockRejectedValue(new Error('refused'));
    // Another application than the other tests': usePermission caches answers by resource,
    // and an earlier test's "allowed" for payments-api could be shown first.
    await renderWithBrom(
      <QueueHealthCard application={application({ name: 'ledger-api' })} />,
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
  });
});
