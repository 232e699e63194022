import { mockApis } from '@backstage/test-utils';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { PermissionApi } from '@backstage/plugin-permission-react';
import {
  bromApplicationDeletePermission,
  bromCredentialManagePermission,
} from '@internal/plugin-brom-common';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { application } from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { PermittedButton } from './PermittedButton';

/**
 * usePermission keeps its answers in a module-wide stale-while-revalidate cache, so each
 * test asks about an application of its own: another test's answer is never shown first.
 */
function renderButton(
  name: string,
  permission: PermissionApi,
  onClick = jest.fn(),
) {
  return renderWithBrom(
    <PermittedButton
      permission={bromApplicationDeletePermission}
      application={application({ name })}
      onClick={onClick}
    >
      Delete application
    </PermittedButton>,
    bromApi({}),
    { permission },
  );
}

describe('PermittedButton', () => {
  it('asks about the application and, when allowed, acts on click', async () => {
    const authorize = jest.fn(async (_request: EvaluatePermissionRequest) => ({
      result: AuthorizeResult.ALLOW,
    }));
    const onClick = jest.fn();
    await renderButton(
      'payments-api',
      mockApis.permission.mock({ authorize }),
      onClick,
    );

    const button = screen.getByRole('button', { name: 'Delete application' });
    await userEvent.click(button);
    expect(onClick).toHaveBeenCalledTimes(1);
    expect(authorize).toHaveBeenCalledWith({
      permission: bromApplicationDeletePermission,
      resourceRef: 'payments-api',
    });
    await userEvent.hover(button);
    expect(screen.queryByRole('tooltip')).not.toBeInTheDocument();
  });

  it('is disabled, with the reason on hover, when the permission is denied', async () => {
    const onClick = jest.fn();
    await renderButton(
      'refunds-api',
      mockApis.permission({ authorize: AuthorizeResult.DENY }),
      onClick,
    );

    const button = screen.getByRole('button', { name: 'Delete application' });
    expect(button).toBeDisabled();
    await userEvent.hover(button.parentElement!);
    // The team as the catalog shows it, never the raw reference.
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Only members of payments (the owner of "refunds-api") or BROM administrators can do this',
    );
    expect(onClick).not.toHaveBeenCalled();
  });

  it('is disabled without a reason while the answer is pending', async () => {
    await renderButton(
      'invoices-api',
      mockApis.permission.mock({ authorize: () => new Promise(() => {}) }),
    );

    const button = screen.getByRole('button', { name: 'Delete application' });
    expect(button).toBeDisabled();
    await userEvent.hover(button.parentElement!);
    expect(screen.queryByRole('tooltip')).not.toBeInTheDocument();
  });

  it('decides per permission', async () => {
    await renderWithBrom(
      <>
        <PermittedButton
          permission={bromApplicationDeletePermission}
          application={application({ name: 'ledger-api' })}
        >
          Delete application
        </PermittedButton>
        <PermittedButton
          permission={bromCredentialManagePermission}
          application={application({ name: 'ledger-api' })}
        >
          Create credential
        </PermittedButton>
      </>,
      bromApi({}),
      {
        permission: mockApis.permission({
          authorize: request =>
            request.permission.name === bromCredentialManagePermission.name
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        }),
      },
    );
    expect(
      screen.getByRole('button', { name: 'Delete application' }),
    ).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Create credential' }),
    ).toBeEnabled();
  });
});
