import { fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  application,
  page,
  pending,
  responseError,
} from '../../__testUtils__/fixtures';
import { bromApi, renderWithBrom } from '../../__testUtils__/renderWithBrom';
import { MyApplications } from './MyApplications';

const groups = [
  'user:default/alice',
  'group:default/payments',
  'group:default/platform',
];

/** Sets a text field at once (typing long values key by key is slow on a loaded machine). */
async function fill(field: HTMLElement, value: string) {
  fireEvent.change(field, { target: { value } });
}

async function openRegisterDialog() {
  await userEvent.click(
    await screen.findByRole('button', { name: 'Register application' }),
  );
  return screen.findByRole('dialog', { name: 'Register application' });
}

describe('MyApplications', () => {
  it('shows progress while loading', async () => {
    await renderWithBrom(
      <MyApplications />,
      bromApi({ listApplications: pending }),
    );
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('tells a user without applications to register one', async () => {
    await renderWithBrom(
      <MyApplications />,
      bromApi({ listApplications: jest.fn().mockResolvedValue(page([])) }),
    );
    expect(
      await screen.findByText('You have no applications yet'),
    ).toBeInTheDocument();
  });

  it('shows the backend error with a way to try again', async () => {
    await renderWithBrom(
      <MyApplications />,
      bromApi({
        listApplications: jest
          .fn()
          .mockRejectedValue(new Error('backend is down')),
      }),
    );
    expect(await screen.findByText('backend is down')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Try again' }),
    ).toBeInTheDocument();
  });

  it('lists my applications, including those being deleted', async () => {
    const listApplications = jest.fn().mockResolvedValue(
      page([
        application(),
        application({
          id: 'a2',
          name: 'invoicing',
          deletedAt: '2026-11-21T11:00:00.000Z',
        }),
      ]),
    );
    await renderWithBrom(<MyApplications />, bromApi({ listApplications }));
    expect(
      await screen.findByRole('link', { name: 'payments-api' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Being deleted')).toBeInTheDocument();
    expect(screen.getByText('Active')).toBeInTheDocument();
    expect(listApplications).toHaveBeenCalledWith({
      mine: true,
      includeDeleted: true,
      limit: 500,
    });
  });

  it('validates the registration with the backend’s schema before sending it', async () => {
    const createApplication = jest.fn();
    await renderWithBrom(
      <MyApplications />,
      bromApi({
        listApplications: jest.fn().mockResolvedValue(page([])),
        createApplication,
      }),
      { ownershipEntityRefs: groups },
    );
    const dialog = await openRegisterDialog();
    const owner = within(dialog).getByLabelText('Owner');
    expect(
      within(owner)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['payments', 'platform']);
    expect(
      within(owner)
        .getAllByRole('option')
        .map(o => (o as HTMLOptionElement).value),
    ).toEqual(['group:default/payments', 'group:default/platform']);
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Orders_API');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Register' }),
    );
    expect(
      within(dialog).getByText(
        'must be lower-case letters, digits and single dashes, starting and ending with a letter or digit',
      ),
    ).toBeInTheDocument();
    expect(createApplication).not.toHaveBeenCalled();
  });

  it('registers an application for the chosen group', async () => {
    const registered = application({
      name: 'orders-api',
      owner: 'group:default/platform',
    });
    const listApplications = jest
      .fn()
      .mockResolvedValueOnce(page([]))
      .mockResolvedValue(page([registered]));
    const createApplication = jest.fn().mockResolvedValue(registered);
    await renderWithBrom(
      <MyApplications />,
      bromApi({ listApplications, createApplication }),
      { ownershipEntityRefs: groups },
    );
    const dialog = await openRegisterDialog();
    await userEvent.type(within(dialog).getByLabelText('Name'), 'orders-api');
    await userEvent.type(within(dialog).getByLabelText('Title'), 'Orders API');
    await userEvent.selectOptions(
      within(dialog).getByLabelText('Owner'),
      'group:default/platform',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Register' }),
    );
    expect(createApplication).toHaveBeenCalledWith({
      name: 'orders-api',
      title: 'Orders API',
      owner: 'group:default/platform',
    });
    expect(await screen.findByText(/^Registered/)).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(
      await screen.findAllByRole('link', { name: 'orders-api' }),
    ).toHaveLength(2);
  });

  it('registers an external producer, its upstream checked before sending', async () => {
    const registered = application({ name: 'partner' });
    const createApplication = jest.fn().mockResolvedValue(registered);
    await renderWithBrom(
      <MyApplications />,
      bromApi({
        listApplications: jest.fn().mockResolvedValue(page([])),
        createApplication,
      }),
      { ownershipEntityRefs: groups },
    );
    const dialog = await openRegisterDialog();
    await fill(within(dialog).getByLabelText('Name'), 'partner');
    expect(within(dialog).queryByLabelText('Upstream URI')).not.toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByLabelText(/Publishes on another RabbitMQ/),
    );
    await fill(within(dialog).getByLabelText('Upstream URI'), 'amqps://shovel:secret@broker.partner.example/partners');
    await fill(within(dialog).getByLabelText('Upstream exchange'), 'outbox');
    await fill(within(dialog).getByLabelText('Upstream user'), 'brom-shovel');
    const register = within(dialog).getByRole('button', { name: 'Register' });
    await userEvent.click(register);
    expect(
      within(dialog).getByText('must not contain credentials: give username and password separately'),
    ).toBeInTheDocument();
    expect(within(dialog).getByText('is required')).toBeInTheDocument();
    expect(createApplication).not.toHaveBeenCalled();

    const uri = within(dialog).getByLabelText('Upstream URI');
    await fill(uri, 'amqps://broker.partner.example/partners');
    const password = within(dialog).getByLabelText('Upstream password');
    expect(password).toHaveAttribute('type', 'password');
    await fill(password, 'upstream-secret');
    await userEvent.click(register);
    expect(createApplication).toHaveBeenCalledWith({
      name: 'partner',
      owner: 'group:default/payments',
      externalProducer: {
        upstreamUri: 'amqps://broker.partner.example/partners',
        upstreamExchange: 'outbox',
        upstreamRoutingKey: '#',
        upstreamQueue: null,
        username: 'brom-shovel',
        password: 'upstream-secret',
      },
    });
  });

  it('shows the backend’s 409 when the name is taken', async () => {
    const createApplication = jest
      .fn()
      .mockRejectedValue(
        await responseError(409, 'Application "payments-api" already exists'),
      );
    await renderWithBrom(
      <MyApplications />,
      bromApi({
        listApplications: jest.fn().mockResolvedValue(page([])),
        createApplication,
      }),
    );
    const dialog = await openRegisterDialog();
    await userEvent.type(within(dialog).getByLabelText('Name'), 'payments-api');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Register' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Application "payments-api" already exists',
    );
  });

  it('explains that applications belong to groups when the user has none', async () => {
    await renderWithBrom(
      <MyApplications />,
      bromApi({ listApplications: jest.fn().mockResolvedValue(page([])) }),
      { ownershipEntityRefs: ['user:default/alice'] },
    );
    const dialog = await openRegisterDialog();
    expect(
      within(dialog).getByText(/You belong to no group/),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByRole('button', { name: 'Register' }),
    ).toBeDisabled();
  });
});
