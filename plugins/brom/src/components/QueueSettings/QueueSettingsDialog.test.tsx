import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { application, responseError } from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { boundProblem, QueueSettingsDialog } from './QueueSettingsDialog';

describe('boundProblem', () => {
  const bounds = { min: 1, max: 100 };
  it('takes empty as no limit and whole numbers within the bounds', () => {
    expect(boundProblem('', bounds)).toBeUndefined();
    expect(boundProblem('1', bounds)).toBeUndefined();
    expect(boundProblem('100', bounds)).toBeUndefined();
  });
  it('refuses the rest with the bounds', () => {
    expect(boundProblem('0', bounds)).toBe('Between 1 and 100, or empty for no limit');
    expect(boundProblem('101', bounds)).toBe('Between 1 and 100, or empty for no limit');
    expect(boundProblem('1.5', bounds)).toBe('A whole number, or empty for no limit');
    expect(boundProblem('ten', bounds)).toBe('A whole number, or empty for no limit');
  });
});

describe('QueueSettingsDialog', () => {
  it('saves the TTL in milliseconds and an empty length as no limit', async () => {
    const app = application({
      generation: 3,
      settings: { messageTtlMs: 60_000, maxLength: 500 },
    });
    const updateApplication = jest.fn().mockResolvedValue(app);
    const onSaved = jest.fn();
    await renderWithBrom(
      <QueueSettingsDialog application={app} onClose={() => {}} onSaved={onSaved} />,
      bromApi({ updateApplication }),
    );
    const ttl = screen.getByLabelText('Message TTL (seconds)');
    expect(ttl).toHaveValue('60');
    await userEvent.clear(ttl);
    await userEvent.type(ttl, '3600');
    await userEvent.clear(screen.getByLabelText('Maximum length (messages)'));
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(updateApplication).toHaveBeenCalledWith('payments-api', {
      generation: 3,
      settings: { messageTtlMs: 3_600_000, maxLength: null },
    });
    expect(onSaved).toHaveBeenCalledWith(app);
  });

  it('disables saving out of bounds, and shows the backend refusal', async () => {
    const updateApplication = jest
      .fn()
      .mockRejectedValue(await responseError(409, 'payments-api changed since you loaded it'));
    await renderWithBrom(
      <QueueSettingsDialog application={application()} onClose={() => {}} onSaved={() => {}} />,
      bromApi({ updateApplication }),
    );
    const ttl = screen.getByLabelText('Message TTL (seconds)');
    await userEvent.type(ttl, '0');
    expect(screen.getByText(/^Between 1 and 31,536,000/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
    await userEvent.clear(ttl);
    await userEvent.type(ttl, '30');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(
      await screen.findByText('payments-api changed since you loaded it'),
    ).toBeInTheDocument();
  });
});
