import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  credential,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { CredentialsCard } from './CredentialsCard';

const SECRET = 'b3Jk3rs-very-random-256-bit-secret';

describe('CredentialsCard', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({ listCredentials: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('says how to connect when there are no credentials', async () => {
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({ listCredentials: jest.fn().mockResolvedValue([]) }),
    );
    expect(await screen.findByText('No credentials yet')).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('tells others who manages the credentials', async () => {
    const message =
      'Only members of group:default/payments (the owner of "payments-api") or BROM administrators can do this';
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest
          .fn()
          .mockRejectedValue(await responseError(403, message)),
      }),
    );
    // The team as the catalog shows it, not the backend's reference.
    expect(await screen.findByText(/Only members of/)).toHaveTextContent(
      'Only members of payments (the owner of "payments-api") or BROM administrators can do this',
    );
  });

  it('lists credentials with their state', async () => {
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest.fn().mockResolvedValue([
          credential(),
          credential({
            id: 'c0',
            username: 'payments-api-0001',
            revokedAt: '2026-11-21T11:00:00.000Z',
            revokedBy: 'user:default/alice',
          }),
        ]),
      }),
    );
    expect(await screen.findByText('payments-api-4f2a')).toBeInTheDocument();
    expect(screen.getByText('Live')).toBeInTheDocument();
    const revoked = screen.getByText('payments-api-0001').closest('tr')!;
    expect(within(revoked).getByText('Revoked')).toBeInTheDocument();
    expect(
      within(revoked).queryByRole('button', { name: 'Revoke' }),
    ).not.toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: 'Revoke' })).toHaveLength(1);
  });

  it('shows a new secret exactly once, with connection settings to paste', async () => {
    const issued = credential({ id: 'c2', username: 'payments-api-9c1d' });
    const listCredentials = jest
      .fn()
      .mockResolvedValueOnce([])
      .mockResolvedValue([issued]);
    const createCredential = jest
      .fn()
      .mockResolvedValue({ credential: issued, secret: SECRET });
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({ listCredentials, createCredential }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Create credential' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Secret of payments-api-9c1d',
    });
    expect(within(dialog).getByTestId('issued-secret')).toHaveTextContent(
      SECRET,
    );
    expect(
      within(dialog).getByRole('button', { name: 'Copy secret' }),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Copy connection settings' }),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText(
        `AMQP_URL=amqps://payments-api-9c1d:${SECRET}@rabbitmq.example.org/brom`,
        { exact: false },
      ),
    ).toBeInTheDocument();
    // The client code for the application's role is on the connection card.
    expect(
      within(dialog).getByRole('link', { name: 'connection card' }),
    ).toHaveAttribute('href', '#brom-connection');

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByText('payments-api-9c1d')).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent(SECRET);
  });

  it('rotates with an overlap and shows the new secret', async () => {
    const rotated = credential({ id: 'c3', username: 'payments-api-77aa' });
    const rotateCredential = jest
      .fn()
      .mockResolvedValue({ credential: rotated, secret: SECRET });
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest.fn().mockResolvedValue([credential()]),
        rotateCredential,
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Rotate credentials' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Rotate credentials',
    });
    // One hour unless chosen otherwise, in human units; more than 30 days is refused as the
    // backend would, with Rotate disabled.
    const overlap = within(dialog).getByLabelText('Overlap');
    const unit = within(dialog).getByLabelText('Unit');
    expect(overlap).toHaveValue(1);
    expect(unit).toHaveDisplayValue('hours');
    await userEvent.clear(overlap);
    await userEvent.type(overlap, '31');
    await userEvent.selectOptions(unit, 'days');
    expect(
      within(dialog).getByText('must be at most 30 days'),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Rotate' }),
    ).toBeDisabled();
    expect(rotateCredential).not.toHaveBeenCalled();

    await userEvent.clear(overlap);
    await userEvent.type(overlap, '10');
    await userEvent.selectOptions(unit, 'minutes');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Rotate' }),
    );
    expect(rotateCredential).toHaveBeenCalledWith('payments-api', {
      overlapSeconds: 600,
    });
    expect(
      await screen.findByRole('dialog', {
        name: 'Secret of payments-api-77aa',
      }),
    ).toHaveTextContent(SECRET);
  });

  it('shows the backend’s 409 when two credentials are already live', async () => {
    const message =
      '"payments-api" already has 2 live credentials; revoke one before creating another';
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest.fn().mockResolvedValue([credential()]),
        createCredential: jest
          .fn()
          .mockRejectedValue(await responseError(409, message)),
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Create credential' }),
    );
    expect(await screen.findByRole('alert')).toHaveTextContent(message);
  });

  it('revokes a credential after asking', async () => {
    const live = credential();
    const revokeCredential = jest
      .fn()
      .mockResolvedValue({ ...live, revokedAt: '2026-11-21T12:00:00.000Z' });
    await renderWithBrom(
      <CredentialsCard application={application()} />,
      bromApi({
        listCredentials: jest.fn().mockResolvedValue([live]),
        revokeCredential,
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', { name: 'Revoke' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Revoke credential payments-api-4f2a?',
    });
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Revoke credential' }),
    );
    expect(revokeCredential).toHaveBeenCalledWith('payments-api', 'c1');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});
