import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  auditEvent,
  page,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import {
  bromApi,
  renderWithBrom,
  TestSignals,
} from '../../__testUtils__/renderWithBrom';
import { AuditHistory } from './AuditHistory';

describe('AuditHistory', () => {
  it('shows a change as soon as the backend signals it, without a reload', async () => {
    const signals = new TestSignals();
    const first = auditEvent(1, { action: 'application.created' });
    const second = auditEvent(2, { action: 'credential.created' });
    const listAuditEvents = jest
      .fn()
      .mockResolvedValueOnce(page([first]))
      .mockResolvedValue(page([second, first]));
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({ listAuditEvents }),
      { signals },
    );
    expect(await screen.findByText('application.created')).toBeInTheDocument();

    // Another application's change, and broker status, are not this card's business.
    signals.emit('brom', {
      kind: 'change',
      type: 'credential.created',
      applications: ['orders'],
    });
    signals.emit('brom', {
      kind: 'status',
      type: 'status.changed',
      applications: ['payments-api'],
    });
    expect(listAuditEvents).toHaveBeenCalledTimes(1);

    signals.emit('brom', {
      kind: 'change',
      type: 'credential.created',
      applications: ['payments-api'],
    });
    expect(await screen.findByText('credential.created')).toBeInTheDocument();
    expect(listAuditEvents).toHaveBeenCalledTimes(2);
  });

  it('shows progress while loading', async () => {
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({ listAuditEvents: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says what is recorded when nothing is yet', async () => {
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({ listAuditEvents: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(await screen.findByText('No history yet')).toBeInTheDocument();
  });

  it('shows who may read the history when the backend refuses', async () => {
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({
        listAuditEvents: jest
          .fn()
          .mockRejectedValue(
            await responseError(
              403,
              'Only members of group:default/payments (the owner of "payments-api") or BROM administrators can do this',
            ),
          ),
      }),
    );
    // The backend's reference is shown as the catalog shows the team.
    expect(await screen.findByText(/Only members of/)).toHaveTextContent(
      'Only members of payments (the owner of "payments-api") or BROM administrators can do this',
    );
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({
        listAuditEvents: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('lists time, actor, action and target, a page at a time', async () => {
    const listAuditEvents = jest.fn(async ({ offset = 0, limit = 20 }) => ({
      items: Array.from({ length: Math.min(limit, 45 - offset) }, (_, i) =>
        auditEvent(45 - offset - i),
      ),
      totalCount: 45,
      offset,
      limit,
    }));
    await renderWithBrom(
      <AuditHistory application="payments-api" />,
      bromApi({ listAuditEvents }),
    );
    expect(
      await screen.findByText('Notification type payments-api/type-45'),
    ).toBeInTheDocument();
    expect(screen.getAllByRole('link', { name: /^alice$/ })).toHaveLength(20);
    expect(screen.getAllByText('notification-type.created')).toHaveLength(20);
    expect(screen.getByText('1-20 of 45')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(
      await screen.findByText('Notification type payments-api/type-25'),
    ).toBeInTheDocument();
    expect(screen.getByText('21-40 of 45')).toBeInTheDocument();
    expect(listAuditEvents).toHaveBeenLastCalledWith({
      application: 'payments-api',
      offset: 20,
      limit: 20,
    });
    // Three pages rendered by material-table: on a loaded 2-core run this took over 30 s.
  }, 90_000);
});
