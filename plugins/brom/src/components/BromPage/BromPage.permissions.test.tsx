import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { mockApis } from '@backstage/test-utils';
import { bromBrokerReadUnmanagedPermission } from '@internal/plugin-brom-common';
import { screen } from '@testing-library/react';
import { page, subscription } from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { BromPage } from './BromPage';

// A file of its own: usePermission keeps its answers in a module-wide cache, which the
// administrator's answer in BromPage.test.tsx would fill.
describe('BromPage for someone who is not an administrator', () => {
  it('has no tab for the objects BROM does not manage', async () => {
    await renderWithBrom(
      <BromPage />,
      bromApi({
        listApprovals: jest.fn().mockResolvedValue(page([subscription()], 2)),
        listNotificationTypes: jest.fn().mockResolvedValue(page([])),
        listApplications: jest.fn().mockResolvedValue(page([])),
      }),
      {
        permission: mockApis.permission({
          authorize: request =>
            request.permission.name === bromBrokerReadUnmanagedPermission.name
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        }),
      },
    );
    expect(
      await screen.findByRole('tab', { name: 'Approvals (2)' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Producers' })).toBeInTheDocument();
    expect(
      screen.queryByRole('tab', { name: 'Broker' }),
    ).not.toBeInTheDocument();
  });
});
