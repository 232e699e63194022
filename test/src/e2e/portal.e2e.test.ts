import amqp from 'amqplib';
import { join, resolve } from 'node:path';
import { Page } from 'playwright-core';
import { pollUntil } from '../process';
import { PortalUnderTest } from './PortalUnderTest';
import {
  addNotificationType,
  closeSignedInPortal,
  decideInInbox,
  DEFAULT_VIEWPORT,
  openApplication,
  openSignedInPortal,
  registerApplication,
  screenshots,
  SignedInPortal,
} from './steps';
import {
  Action,
  DIALOG,
  layoutProblems,
  MAIN,
  problemsOf,
  tabStopsTo,
  THEMES,
  chooseTheme,
  VIEWPORTS,
} from './pageChecks';

/*
 * The whole product in a real browser: the production build of the app served by the
 * backend, the reconciler syncing a private RabbitMQ node, and the sidecar deciding the
 * node's authorisation. Screenshots of every step go to test/e2e-output/, and of every BROM
 * page at 1280 and 800 px in the light and the dark theme (page-<theme>-<width>-<page>.png),
 * where pageChecks.ts checks the layout, that people and teams are named rather than
 * referenced, axe-core's serious and critical findings, and that nothing was logged to the
 * console as an error. Application pages are checked once their queue health and connection
 * cards have loaded, through each language of the client code; the queue settings and
 * external-producer dialogs are checked open.
 */

const outputDir = resolve(__dirname, '../../e2e-output');

jest.setTimeout(600_000);

let opened: SignedInPortal | undefined;
let portal: PortalUnderTest;
let alice: Page;
let bob: Page;
const consoleErrors: string[] = [];
const shot = screenshots(outputDir);

/** The connection card's client-code tabs, in the card's order. */
const SNIPPET_TABS = ['Node.js', 'Python', 'Java', '.NET'];

/**
 * A page (or a dialog it opens) the page checks look at: `ready` shows once it and its cards
 * have loaded; `actions` must be visible without scrolling sideways; `tabs` are gone through.
 */
interface PageCheck {
  who: Page;
  path: string;
  name: string;
  ready: Action[];
  actions: Action[];
  tabs?: string[];
  /** The button that opens the dialog, and the dialog's name: the checks look at the dialog. */
  dialog?: { open: string; name: string };
}

/**
 * A keyboard user of the producer catalogue passes the sidebar, the page's tabs, the search
 * and owner filter and the sortable headers on the way to the first "Subscribe".
 */
const MAX_TAB_STOPS_TO_SUBSCRIBE = 16;

/** The bearer token the app sends for the signed-in user, to script the API as that user. */
async function authorizationOf(page: Page): Promise<string> {
  const request = page.waitForRequest(
    r => r.url().includes('/api/brom/') && !!r.headers().authorization,
  );
  await page.goto('/brom/mine');
  return (await request).headers().authorization;
}

async function requestSubscription(page: Page, consumer: string, type: string) {
  await page.goto('/brom');
  await page.getByRole('tab', { name: 'Producers' }).click();
  const row = page.getByRole('row').filter({ hasText: type });
  await row.getByRole('button', { name: 'Subscribe' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Consumer application').selectOption(consumer);
  await dialog.getByLabel('Justification').fill(`${consumer} needs ${type}`);
  await dialog.getByRole('button', { name: 'Send request' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Creates a credential in the UI and reads the once-shown secret from its dialog. */
async function createCredential(page: Page, app: string) {
  await openApplication(page, app);
  await page.getByRole('button', { name: 'Create credential' }).click();
  const dialog = page.getByRole('dialog', { name: /^Secret of / });
  await dialog.waitFor();
  const title = (await dialog.getByRole('heading').first().textContent()) ?? '';
  const username = title.replace(/^Secret of\s*/, '').trim();
  const secret =
    (await dialog.getByTestId('issued-secret').textContent())?.trim() ?? '';
  await shot(page, `${app}-credential-shown-once`);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  return { username, secret };
}

async function waitForReady(page: Page, app: string) {
  await openApplication(page, app);
  await pollUntil(
    async () => {
      await page.getByRole('button', { name: 'Refresh status' }).click();
      const text = await page
        .getByText(/objects ready/)
        .first()
        .textContent()
        .catch(() => '');
      const match = /(\d+) of (\d+) objects ready/.exec(text ?? '');
      return match && match[1] === match[2] && !/failing/.test(text ?? '')
        ? text
        : undefined;
    },
    {
      timeoutMs: 60_000,
      intervalMs: 1000,
      describe: () => `${app} never became ready`,
    },
  );
}

beforeAll(async () => {
  opened = await openSignedInPortal(outputDir, consoleErrors);
  ({ portal, alice, bob } = opened);
});

afterAll(() => closeSignedInPortal(opened));

describe('the self-service loop in a browser', () => {
  const producer = 'orders-e2e';
  const consumer = 'billing-e2e';
  let producerCredential: { username: string; secret: string };
  let consumerCredential: { username: string; secret: string };
  let consumerConnection: Awaited<ReturnType<typeof amqp.connect>> | undefined;

  it('lets a producer register an application and a notification type', async () => {
    await registerApplication(alice, producer, 'group:default/payments');
    await addNotificationType(
      alice,
      producer,
      'order-created',
      'order.*.created',
    );
    await shot(alice, 'producer-registered');
  });

  it('lets a user of another group request a subscription, and the producer approve it', async () => {
    await registerApplication(bob, consumer, 'group:default/logistics');
    // Alice has the portal open while Bob asks: her approvals count follows without a reload.
    await alice.goto('/brom');
    await alice.getByRole('tab', { name: 'Approvals (0)' }).waitFor();
    await requestSubscription(bob, consumer, 'order-created');
    await shot(bob, 'subscription-requested');
    await alice.getByRole('tab', { name: 'Approvals (1)' }).waitFor();
    await shot(alice, 'approvals-count-live');
    await decideInInbox(alice, 'order-created', 'Approve');
    await shot(alice, 'subscription-approved');
  });

  it("tells each side in Backstage's notifications, and nobody else", async () => {
    const request = `${consumer} asks to subscribe to ${producer}/order-created`;
    const approval = `Subscription of ${consumer} to ${producer}/order-created approved`;
    await alice.goto('/notifications');
    await alice.getByText(request).first().waitFor();
    await shot(alice, 'notification-of-request');
    await bob.goto('/notifications');
    await bob.getByText(approval).first().waitFor();
    await shot(bob, 'notification-of-approval');
    // Neither sees the other side's notification.
    expect(await bob.getByText(request).count()).toBe(0);
    await alice.reload();
    await alice.getByText(request).first().waitFor();
    expect(await alice.getByText(approval).count()).toBe(0);
  });

  it('shows the status turning ready', async () => {
    await waitForReady(bob, consumer);
    await shot(bob, 'consumer-ready');
    await waitForReady(alice, producer);
    await shot(alice, 'producer-ready');
  });

  it('delivers a message from the producer to the consumer with the issued credentials', async () => {
    producerCredential = await createCredential(alice, producer);
    consumerCredential = await createCredential(bob, consumer);
    expect(producerCredential.secret.length).toBeGreaterThan(30);

    const url = (c: { username: string; secret: string }) =>
      portal.node.amqpUrl(portal.vhost, c.username, c.secret);
    // The sidecar learns of new credentials through its feed: allow it a moment.
    consumerConnection = await pollUntil(
      () => amqp.connect(url(consumerCredential)).catch(() => undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        describe: () => 'the consumer could never connect',
      },
    );
    const received: string[] = [];
    const consumeChannel = await consumerConnection!.createChannel();
    consumeChannel.on('error', () => {});
    await consumeChannel.checkQueue(`brom.${consumer}`);
    await consumeChannel.consume(
      `brom.${consumer}`,
      (message: amqp.ConsumeMessage | null) => {
        if (message) {
          received.push(message.content.toString());
          consumeChannel.ack(message);
        }
      },
    );

    const producerConnection = await pollUntil(
      () => amqp.connect(url(producerCredential)).catch(() => undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
        describe: () => 'the producer could never connect',
      },
    );
    const publishChannel = await producerConnection.createConfirmChannel();
    publishChannel.publish(
      `brom.${producer}`,
      'order.42.created',
      Buffer.from('{"orderId":"42"}'),
    );
    await publishChannel.waitForConfirms();
    await pollUntil(async () => (received.length ? received : undefined), {
      timeoutMs: 30_000,
      describe: () => 'the consumer never received the message',
    });
    expect(received).toEqual(['{"orderId":"42"}']);
    await producerConnection.close();
  });

  it('shows a rejection with its reason to the requester', async () => {
    await addNotificationType(
      alice,
      producer,
      'order-cancelled',
      'order.*.cancelled',
    );
    await requestSubscription(bob, consumer, 'order-cancelled');
    await decideInInbox(
      alice,
      'order-cancelled',
      'Reject',
      'Cancellations are internal; use order-created',
    );
    await openApplication(bob, consumer);
    await bob
      .getByText('Cancellations are internal; use order-created')
      .first()
      .waitFor();
    await shot(bob, 'rejection-reason-visible');
  });

  it('fits every BROM page at 1280 and 800 px in both themes, with names instead of references and no console error', async () => {
    // A request left waiting, so the inbox and the producer's page have decisions to offer.
    await addNotificationType(
      alice,
      producer,
      'order-shipped',
      'order.*.shipped',
    );
    await requestSubscription(bob, consumer, 'order-shipped');

    // The cards of an application's page that load on their own: queue health (owners) and
    // the connection card with its client code in four languages.
    const cardsReady: Action[] = [
      { role: 'button', name: 'Refresh health' },
      { role: 'button', name: `Copy ${SNIPPET_TABS[0]} code` },
    ];
    const cardActions: Action[] = [
      ...cardsReady,
      ...SNIPPET_TABS.map(name => ({ role: 'tab' as const, name })),
    ];
    const pages: PageCheck[] = [
      {
        who: alice,
        path: '/brom',
        name: 'producer-catalogue',
        ready: [{ role: 'button', name: 'Subscribe' }],
        actions: [
          { role: 'button', name: 'Subscribe' },
          { role: 'tab', name: /^Approvals/ },
        ],
      },
      {
        who: alice,
        path: '/brom/consumers',
        name: 'consumer-catalogue',
        ready: [{ role: 'link', name: consumer }],
        actions: [
          { role: 'link', name: consumer },
          { role: 'tab', name: /^Approvals/ },
        ],
      },
      {
        who: alice,
        path: '/brom/mine',
        name: 'my-applications',
        ready: [{ role: 'link', name: producer }],
        actions: [
          { role: 'button', name: 'Register application' },
          { role: 'link', name: producer },
        ],
      },
      {
        who: alice,
        path: '/brom/approvals',
        name: 'approvals',
        ready: [{ role: 'button', name: 'Approve' }],
        actions: [
          { role: 'button', name: 'Approve' },
          { role: 'button', name: 'Reject' },
        ],
      },
      {
        who: alice,
        path: `/brom/applications/${producer}`,
        name: 'producer-application',
        ready: [{ role: 'button', name: 'Revoke' }, ...cardsReady],
        actions: [
          { role: 'button', name: 'Delete application' },
          { role: 'button', name: 'Publish from another RabbitMQ' },
          { role: 'button', name: 'Refresh status' },
          { role: 'button', name: 'Add notification type' },
          { role: 'button', name: 'Edit' },
          { role: 'button', name: 'Approve' },
          { role: 'button', name: 'Reject' },
          { role: 'button', name: 'Revoke' },
          { role: 'button', name: 'Create credential' },
          { role: 'button', name: 'Rotate credentials' },
          ...cardActions,
        ],
        tabs: SNIPPET_TABS,
      },
      {
        who: alice,
        path: `/brom/applications/${producer}`,
        name: 'external-producer-dialog',
        ready: [{ role: 'button', name: 'Publish from another RabbitMQ' }],
        dialog: {
          open: 'Publish from another RabbitMQ',
          name: `Upstream of ${producer}`,
        },
        actions: [
          { role: 'button', name: 'Save' },
          { role: 'button', name: 'Cancel' },
        ],
      },
      {
        who: bob,
        path: `/brom/applications/${consumer}`,
        name: 'consumer-application',
        ready: [{ role: 'button', name: 'Unsubscribe' }, ...cardsReady],
        actions: [
          { role: 'button', name: 'Edit queue settings' },
          { role: 'button', name: 'Request subscription' },
          { role: 'button', name: 'Unsubscribe' },
          { role: 'button', name: 'Withdraw request' },
          { role: 'button', name: 'Create credential' },
          ...cardActions,
        ],
        tabs: SNIPPET_TABS,
      },
      {
        who: bob,
        path: `/brom/applications/${consumer}`,
        name: 'queue-settings-dialog',
        ready: [{ role: 'button', name: 'Edit queue settings' }],
        dialog: { open: 'Edit queue settings', name: 'Queue settings' },
        actions: [
          { role: 'button', name: 'Save' },
          { role: 'button', name: 'Cancel' },
        ],
      },
      {
        who: bob,
        path: '/brom/applications/no-such-application',
        name: 'unknown-application',
        ready: [{ role: 'link', name: 'Back to my applications' }],
        actions: [{ role: 'link', name: 'Back to my applications' }],
      },
    ];

    const problems: string[] = [];
    for (const theme of THEMES) {
      for (const page of [alice, bob]) await chooseTheme(page, theme);
      for (const viewport of VIEWPORTS) {
        for (const { who, path, name, ready, actions, tabs, dialog } of pages) {
          await who.setViewportSize(viewport);
          await who.goto(path);
          for (const action of ready) {
            await who
              .getByRole(action.role, { name: action.name, exact: true })
              .first()
              .waitFor();
          }
          if (dialog) {
            await who
              .getByRole('button', { name: dialog.open, exact: true })
              .click();
            await who.getByRole('dialog', { name: dialog.name }).waitFor();
          }
          await who.mouse.move(viewport.width - 10, viewport.height - 10);
          await who.screenshot({
            path: join(
              outputDir,
              `page-${theme}-${viewport.width}-${name}.png`,
            ),
            fullPage: true,
          });
          const where = `${name} at ${viewport.width} px in the ${theme} theme`;
          problems.push(
            ...(await problemsOf(who, {
              where,
              actions,
              axe: viewport === VIEWPORTS[0],
              root: dialog ? DIALOG : MAIN,
            })),
          );
          // Each other language's code (the first is checked above): shown, and the page
          // still fits. The code blocks are the same component, so axe ran on the first.
          for (const tab of tabs?.slice(1) ?? []) {
            await who.getByRole('tab', { name: tab, exact: true }).click();
            await who.getByLabel(`${tab} code`, { exact: true }).waitFor();
            for (const problem of await layoutProblems(who, [
              { role: 'button', name: `Copy ${tab} code` },
            ])) {
              problems.push(`${where}, ${tab} code: ${problem}`);
            }
          }
          if (dialog) {
            await who.keyboard.press('Escape');
            await who
              .getByRole('dialog', { name: dialog.name })
              .waitFor({ state: 'detached' });
          }
        }
      }
    }
    for (const page of [alice, bob]) await chooseTheme(page, 'light');
    for (const page of [alice, bob])
      await page.setViewportSize(DEFAULT_VIEWPORT);
    expect(problems).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("reaches the first action in a few Tab presses, focuses the dialog's first field and says how columns are sorted", async () => {
    await alice.goto('/brom');
    await alice.getByRole('button', { name: 'Subscribe' }).first().waitFor();
    const presses = await tabStopsTo(alice, {
      role: 'button',
      name: 'Subscribe',
    });
    expect(presses).toBeDefined();
    expect(presses!).toBeLessThanOrEqual(MAX_TAB_STOPS_TO_SUBSCRIBE);
    // A sortable header is one Tab stop and says its order; an action column is neither.
    const producerHeader = alice.getByRole('columnheader', {
      name: 'Producer',
    });
    expect(await producerHeader.getAttribute('aria-sort')).toBe('ascending');
    expect(await producerHeader.locator('button, [tabindex="0"]').count()).toBe(
      1,
    );
    expect(
      await alice
        .getByRole('columnheader', { name: 'Notification type' })
        .getAttribute('aria-sort'),
    ).toBe('none');
    expect(
      await alice
        .getByRole('columnheader', { name: 'Actions' })
        .getAttribute('aria-sort'),
    ).toBeNull();

    await alice.keyboard.press('Enter');
    const dialog = alice.getByRole('dialog');
    await dialog.getByLabel('Consumer application').waitFor();
    // Alice owns one application: it is chosen, and the focus is on that field.
    expect(await alice.evaluate(() => document.activeElement?.id)).toBe(
      'brom-request-consumer',
    );
    expect(await dialog.getByLabel('Consumer application').inputValue()).toBe(
      producer,
    );
    await alice.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('lists more than 500 applications, searched, sorted and paged by the server', async () => {
    const authorization = await authorizationOf(alice);
    const bulk = 520;
    const name = (i: number) => `bulk-${String(i).padStart(4, '0')}`;
    const register = async (i: number) => {
      const res = await fetch(`${portal.baseUrl}/api/brom/applications`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: name(i),
          title: `Bulk ${i}`,
          owner: 'group:default/payments',
        }),
      });
      if (res.status !== 201) {
        throw new Error(
          `registering ${name(i)}: ${res.status} ${await res.text()}`,
        );
      }
    };
    // Twenty at a time: the API writes one transaction each.
    for (let start = 0; start < bulk; start += 20) {
      const batch = Array.from(
        { length: Math.min(20, bulk - start) },
        (_, k) => start + k,
      );
      await Promise.all(batch.map(register));
    }
    await alice.goto('/brom/mine');
    // Alice's first application and the bulk: counted by the server, not one page of 500.
    await alice
      .getByRole('heading', { name: `My applications (${bulk + 1})` })
      .waitFor();
    await alice.getByRole('link', { name: name(0), exact: true }).waitFor();
    await alice.getByRole('button', { name: /next page/i }).click();
    await alice.getByRole('link', { name: name(20), exact: true }).waitFor();

    const search = alice.getByLabel('Search my applications');
    await search.fill(name(517));
    await alice.getByRole('heading', { name: 'My applications (1)' }).waitFor();
    await alice.getByRole('link', { name: name(517), exact: true }).waitFor();
    await shot(alice, 'more-than-500-searched');
    await search.fill('');
    await alice
      .getByRole('heading', { name: `My applications (${bulk + 1})` })
      .waitFor();

    const nameHeader = alice.getByRole('columnheader', { name: 'Name' });
    expect(await nameHeader.getAttribute('aria-sort')).toBe('ascending');
    await nameHeader.getByRole('button').click();
    await alice.locator('th[aria-sort="descending"]').waitFor();
    // Sorted by the server: the last name of all 521 comes first.
    await alice.getByRole('link', { name: producer, exact: true }).waitFor();
    await alice
      .getByRole('link', { name: name(bulk - 1), exact: true })
      .waitFor();
    await shot(alice, 'more-than-500-sorted');
    expect(consoleErrors).toEqual([]);
  });

  it('never shows a secret again after navigating away', async () => {
    await openApplication(alice, producer);
    await alice.getByText(producerCredential.username).first().waitFor();
    expect(await alice.getByTestId('issued-secret').count()).toBe(0);
    expect(await alice.content()).not.toContain(producerCredential.secret);
    await shot(alice, 'secret-gone');
  });

  it('stops the revoked type reaching the consumer and leaves its connection open', async () => {
    let closed = false;
    consumerConnection!.once('close', () => {
      closed = true;
    });
    consumerConnection!.on('error', () => {});
    await openApplication(alice, producer);
    const row = alice.getByRole('row').filter({ hasText: consumer });
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = alice.getByRole('dialog', { name: 'Revoke subscription' });
    await dialog.getByLabel(/^Reason/).fill('Contract ended');
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await shot(alice, 'subscription-revoked');
    // The binding is gone: a new notification no longer reaches the consumer's queue.
    const management = portal.node.managementClient();
    try {
      await pollUntil(
        async () => {
          const bindings = await management.listBindings(portal.vhost);
          return bindings.some(
            b =>
              b.source === `brom.${producer}` &&
              b.destination === `brom.${consumer}`,
          )
            ? undefined
            : true;
        },
        { timeoutMs: 30_000, describe: () => 'the binding was never removed' },
      );
    } finally {
      await management.close();
    }
    // Read access to its queue stays (the queue serves all its subscriptions), so revoking
    // one subscription does not disconnect the consumer; revoking a credential does.
    expect(closed).toBe(false);
  });

  it('shows not ready with the reason when the broker is stopped', async () => {
    await portal.node.stopBroker();
    await openApplication(alice, producer);
    await pollUntil(
      async () => {
        await alice.getByRole('button', { name: 'Refresh status' }).click();
        const text = await alice
          .getByText(/Not ready/)
          .first()
          .textContent()
          .catch(() => '');
        return text && /broker/i.test(text) ? text : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 1000,
        describe: () => 'the status never said the broker was unreachable',
      },
    );
    await shot(alice, 'broker-stopped');
  });
});
