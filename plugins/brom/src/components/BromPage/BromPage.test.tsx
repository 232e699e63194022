import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  applicationStatus,
  notificationType,
  page,
  subscription,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { BromPage } from './BromPage';

const api = () =>
  bromApi({
    listApprovals: jest.fn().mockResolvedValue(page([subscription()], 2)),
    listNotificationTypes: jest
      .fn()
      .mockResolvedValue(page([notificationType()])),
    listApplications: jest.fn().mockResolvedValue(page([application()])),
    listSubscriptions: jest.fn().mockResolvedValue(page([])),
    getApplication: jest.fn().mockResolvedValue(application()),
    getApplicationStatus: jest
      .fn()
      .mockResolvedValue(applicationStatus([], 'Not synced yet')),
    listCredentials: jest.fn().mockResolvedValue([]),
    listAuditEvents: jest.fn().mockResolvedValue(page([])),
  });

describe('BromPage', () => {
  it('has a tab per view and counts the approvals waiting', async () => {
    await renderWithBrom(<BromPage />, api());
    expect(
      await screen.findByRole('tab', { name: 'Approvals (2)' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Producers' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(await screen.findByText('payment-completed')).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: 'My applications' }));
    expect(
      await screen.findByRole('button', { name: 'Register application' }),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: 'Approvals (2)' }));
    expect(
      await screen.findByText('Waiting for your decision (2)'),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: 'Consumers' }));
    expect(await screen.findByText('No consumers yet')).toBeInTheDocument();
  });

  it('shows an application on its own page', async () => {
    await renderWithBrom(<BromPage />, api(), {
      routeEntries: ['/applications/payments-api'],
    });
    expect(
      await screen.findByRole('heading', { name: 'payments-api' }),
    ).toBeInTheDocument();
    expect(await screen.findByText('Payments API')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Delete application' }),
    ).toBeInTheDocument();
  });

  it('shows administrators the objects BROM does not manage', async () => {
    const withUnmanaged = bromApi({
      ...api(),
      listApprovals: jest.fn().mockResolvedValue(page([subscription()], 2)),
      listNotificationTypes: jest.fn().mockResolvedValue(page([])),
      listUnmanagedObjects: jest
        .fn()
        .mockResolvedValue({ observedAt: null, items: [] }),
    });
    await renderWithBrom(<BromPage />, withUnmanaged);
    await userEvent.click(await screen.findByRole('tab', { name: 'Broker' }));
    expect(await screen.findByText('Nothing unmanaged')).toBeInTheDocument();
  });
});
