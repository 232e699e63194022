import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  applicationStatus,
  objectStatus,
  pending,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { StatusPanel } from './StatusPanel';

const failingCondition = {
  type: 'Ready' as const,
  status: 'False' as const,
  reason: 'BrokerUnavailable',
  message: 'connection refused',
  observedGeneration: 0,
  lastTransitionTime: '2026-11-21T10:00:00.000Z',
};

describe('StatusPanel', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({ getApplicationStatus: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({
        getApplicationStatus: jest
          .fn()
          .mockRejectedValue(new Error('status unavailable')),
      }),
    );
    expect(await screen.findByText('status unavailable')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('says when the reconciler has not created anything yet', async () => {
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({
        getApplicationStatus: jest
          .fn()
          .mockResolvedValue(
            applicationStatus(
              [],
              'Not synced yet: the reconciler has not created any broker objects for this application',
            ),
          ),
      }),
    );
    expect(await screen.findByText(/^Not synced yet/)).toBeInTheDocument();
    expect(screen.getByText('No broker objects yet')).toBeInTheDocument();
  });

  it('tells a new application without types or subscriptions what to do, not that it failed', async () => {
    const broker = objectStatus({
      key: 'vhost:brom',
      kind: 'vhost',
      name: 'brom',
      application: null,
      condition: { ...failingCondition, status: 'True', reason: 'InSync' },
    });
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({
        getApplicationStatus: jest
          .fn()
          .mockResolvedValue(
            applicationStatus(
              [broker],
              'Not synced yet: the reconciler has not created any broker objects for this application',
            ),
          ),
      }),
    );
    const headline = await screen.findByText(
      'Nothing to set up on the broker yet',
    );
    expect(headline.closest('[aria-label="Status error"]')).toBeNull();
    expect(headline.closest('[aria-label="Status pending"]')).not.toBeNull();
    expect(
      screen.getByText(/^Add a notification type to publish/),
    ).toBeInTheDocument();
    // The technical summary stays available for operators.
    expect(screen.getByText(/^Not synced yet/)).toBeInTheDocument();
  });

  it('says the broker is unreachable and that nothing is for the user to do', async () => {
    const broker = objectStatus({
      key: 'vhost:brom',
      kind: 'vhost',
      name: 'brom',
      application: null,
      condition: failingCondition,
    });
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({
        getApplicationStatus: jest
          .fn()
          .mockResolvedValue(
            applicationStatus(
              [broker, objectStatus()],
              'Not ready: connection refused',
            ),
          ),
      }),
    );
    expect(
      await screen.findByText('The broker cannot be reached right now'),
    ).toBeInTheDocument();
    expect(screen.getByText(/^Nothing for you to do/)).toBeInTheDocument();
    expect(
      screen.getByText('Not ready: connection refused'),
    ).toBeInTheDocument();
  });

  it('describes every object in plain words with the summary', async () => {
    const nextAttemptAt = new Date(Date.now() + 12 * 60_000).toISOString();
    const status = applicationStatus(
      [
        objectStatus(),
        objectStatus({
          key: 'binding:x',
          kind: 'binding',
          name: 'brom.payments-api->queue:brom.warehouse:payment.*.completed',
          subscriptionId: 's1',
          condition: failingCondition,
          attempts: 4,
          nextAttemptAt,
        }),
      ],
      '1 of 2 objects ready; binding brom.payments-api->queue:brom.warehouse:payment.*.completed failing: connection refused',
    );
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({ getApplicationStatus: jest.fn().mockResolvedValue(status) }),
    );
    expect(await screen.findByText(status.summary)).toBeInTheDocument();
    expect(screen.getByText('Exchange brom.payments-api')).toBeInTheDocument();
    expect(screen.getByText('Ready')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Subscription binding brom.payments-api->queue:brom.warehouse:payment.*.completed',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Failing: connection refused, retrying in 12 min'),
    ).toBeInTheDocument();
    expect(screen.getByText('BrokerUnavailable')).toBeInTheDocument();
    expect(screen.getByText(/\(4 attempts in a row\)$/)).toBeInTheDocument();
    expect(screen.getByText('In 12 min')).toBeInTheDocument();
    expect(screen.queryByText(/still holds messages/)).not.toBeInTheDocument();
  });

  it('asks to confirm discarding the messages of a deleted application’s queue', async () => {
    const deleted = application({
      deletedAt: '2026-11-21T11:00:00.000Z',
      generation: 5,
    });
    const status = applicationStatus(
      [
        objectStatus({
          key: 'queue:brom.payments-api',
          kind: 'queue',
          name: 'brom.payments-api',
          condition: {
            ...failingCondition,
            reason: 'QueueNotEmpty',
            message:
              'queue brom.payments-api holds 42 messages and application payments-api has not confirmed that its queued messages may be discarded',
          },
        }),
      ],
      '0 of 1 objects ready',
    );
    const confirmed = {
      ...deleted,
      generation: 6,
      queueDeletionConfirmedAt: '2026-11-21T12:00:00.000Z',
    };
    const confirmQueueDeletion = jest.fn().mockResolvedValue(confirmed);
    const onApplicationChange = jest.fn();
    await renderWithBrom(
      <StatusPanel
        application={deleted}
        onApplicationChange={onApplicationChange}
      />,
      bromApi({
        getApplicationStatus: jest.fn().mockResolvedValue(status),
        confirmQueueDeletion,
      }),
    );
    expect(
      await screen.findByText('The queue of payments-api still holds messages'),
    ).toBeInTheDocument();
    expect(screen.getAllByText(/holds 42 messages/).length).toBeGreaterThan(0);
    await userEvent.click(
      screen.getByRole('button', { name: 'Discard queued messages' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Discard the messages queued for payments-api?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', {
        name: 'Discard messages and delete queue',
      }),
    );
    expect(confirmQueueDeletion).toHaveBeenCalledWith('payments-api', 5);
    expect(onApplicationChange).toHaveBeenCalledWith(confirmed);
  });

  it('shows the objects BROM does not manage that touch the application', async () => {
    const status = applicationStatus([], 'Not synced yet', {
      unmanaged: [
        {
          key: 'binding:brom.payments-api->queue:spy:#',
          kind: 'binding',
          name: 'brom.payments-api->queue:spy:#',
          sourceApplication: 'payments-api',
          destinationApplication: null,
          firstSeenAt: '2026-11-21T09:00:00.000Z',
        },
      ],
    });
    await renderWithBrom(
      <StatusPanel
        application={application()}
        onApplicationChange={jest.fn()}
      />,
      bromApi({ getApplicationStatus: jest.fn().mockResolvedValue(status) }),
    );
    expect(
      await screen.findByText(
        '1 object BROM does not manage touches this application',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('binding brom.payments-api->queue:spy:#'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'payments-api' }),
    ).toBeInTheDocument();
  });
});
