import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { NotificationType, Page } from '@internal/plugin-brom-common';
import { BromApi, bromApiRef } from '../../api/BromApi';
import { ProducerCatalogue } from './ProducerCatalogue';

function apiReturning(result: Promise<Page<NotificationType>>): Partial<BromApi> {
  return { listNotificationTypes: () => result };
}

const type: NotificationType = {
  id: '1',
  application: 'payments-api',
  name: 'payment-completed',
  routingKeyPattern: 'payment.*.completed',
  description: 'A payment was captured.',
  payloadSchema: null,
  visibility: 'public',
  requiresApproval: true,
  generation: 1,
  createdAt: '2026-11-21T00:00:00.000Z',
  updatedAt: '2026-11-21T00:00:00.000Z',
  deletedAt: null,
};

describe('ProducerCatalogue', () => {
  it('lists notification types with their routing keys', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            bromApiRef,
            apiReturning(
              Promise.resolve({ items: [type], totalCount: 1, offset: 0, limit: 500 }),
            ),
          ],
        ]}
      >
        <ProducerCatalogue />
      </TestApiProvider>,
    );
    expect(await screen.findByText('payment-completed')).toBeInTheDocument();
    expect(screen.getByText('payment.*.completed')).toBeInTheDocument();
    expect(screen.getByText('Owners approve')).toBeInTheDocument();
  });

  it('says what to expect when nothing is declared yet', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [
            bromApiRef,
            apiReturning(Promise.resolve({ items: [], totalCount: 0, offset: 0, limit: 500 })),
          ],
        ]}
      >
        <ProducerCatalogue />
      </TestApiProvider>,
    );
    expect(await screen.findByText('No notification types yet')).toBeInTheDocument();
  });

  it('shows the backend error', async () => {
    await renderInTestApp(
      <TestApiProvider
        apis={[[bromApiRef, apiReturning(Promise.reject(new Error('backend is down')))]]}
      >
        <ProducerCatalogue />
      </TestApiProvider>,
    );
    expect(await screen.findByText(/backend is down/)).toBeInTheDocument();
  });
});
