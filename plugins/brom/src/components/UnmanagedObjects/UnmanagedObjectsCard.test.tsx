import { screen } from '@testing-library/react';
import { pending } from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { UnmanagedObjectsCard } from './UnmanagedObjectsCard';

const SPY = {
  key: 'binding:brom.payments-api->queue:spy:#',
  kind: 'binding',
  name: 'brom.payments-api->queue:spy:#',
  sourceApplication: 'payments-api',
  destinationApplication: null,
  firstSeenAt: '2026-11-21T09:00:00.000Z',
};

describe('UnmanagedObjectsCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <UnmanagedObjectsCard />,
      bromApi({ listUnmanagedObjects: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <UnmanagedObjectsCard />,
      bromApi({
        listUnmanagedObjects: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('says when the reconciler has not looked yet, and when nothing is unmanaged', async () => {
    await renderWithBrom(
      <UnmanagedObjectsCard />,
      bromApi({
        listUnmanagedObjects: jest
          .fn()
          .mockResolvedValue({ observedAt: null, items: [] }),
      }),
    );
    expect(await screen.findByText('Nothing unmanaged')).toBeInTheDocument();
    expect(
      screen.getByText(/has not looked at the whole vhost yet/),
    ).toBeInTheDocument();
  });

  it('lists the objects with the applications they touch', async () => {
    await renderWithBrom(
      <UnmanagedObjectsCard />,
      bromApi({
        listUnmanagedObjects: jest.fn().mockResolvedValue({
          observedAt: '2026-11-21T10:00:00.000Z',
          items: [
            SPY,
            {
              ...SPY,
              key: 'queue:spy',
              kind: 'queue',
              name: 'spy',
              sourceApplication: null,
            },
          ],
        }),
      }),
    );
    expect(
      await screen.findByText('binding brom.payments-api->queue:spy:#'),
    ).toBeInTheDocument();
    expect(screen.getByText('queue spy')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'payments-api' }),
    ).toBeInTheDocument();
    expect(screen.getByText('no application')).toBeInTheDocument();
  });
});
