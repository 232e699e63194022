import { resolve, join } from 'node:path';
import { Page } from 'playwright-core';
import { pollUntil } from '../process';
import { PortalUnderTest } from './PortalUnderTest';
import { Action, problemsOf, VIEWPORTS } from './pageChecks';
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

/*
 * Deprecation and versions of a notification type in a real browser, against the production
 * build, a private RabbitMQ node and the sidecar: an edit that would change what a live
 * subscriber receives is refused and becomes a new version; the old type refuses new
 * requests; its subscriber sees a banner with the date, moves to the successor, and the
 * broker binds the new version. Pages are checked at 1280 and 800 px. (The sunset itself
 * runs on a fake clock in plugins/brom-backend/src/service/sunset.test.ts.)
 */

const outputDir = resolve(__dirname, '../../e2e-output-lifecycle');

jest.setTimeout(600_000);

let opened: SignedInPortal | undefined;
let portal: PortalUnderTest;
let alice: Page;
let bob: Page;
const consoleErrors: string[] = [];
const shot = screenshots(outputDir);

const producer = 'shop-lc';
const consumer = 'ledger-lc';
const oldType = 'invoice-issued';
const newType = 'invoice-issued-v2';
const newPattern = 'invoice.eu.issued';

/** The table row of a type; the old type's name is a prefix of the new version's. */
function typeRow(page: Page, name: string) {
  // The notification types' rows, not the audit's, which name the types too.
  const rows = page
    .getByRole('row')
    .filter({ hasText: name })
    .filter({ hasNotText: 'notification-type.' });
  return name === oldType ? rows.filter({ hasNotText: newType }) : rows;
}

/** Layout, names, accessibility (at the first width) of the page as it is, at each width. */
async function checkAtEveryWidth(
  page: Page,
  name: string,
  ready: Action,
  actions: Action[],
) {
  const problems: string[] = [];
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.reload();
    await page.getByRole(ready.role, { name: ready.name }).first().waitFor();
    await page.mouse.move(viewport.width - 10, viewport.height - 10);
    await page.screenshot({
      path: join(outputDir, `page-${viewport.width}-${name}.png`),
      fullPage: true,
    });
    problems.push(
      ...(await problemsOf(page, {
        where: `${name} at ${viewport.width} px`,
        actions,
        axe: viewport === VIEWPORTS[0],
      })),
    );
  }
  await page.setViewportSize(DEFAULT_VIEWPORT);
  return problems;
}

beforeAll(async () => {
  opened = await openSignedInPortal(outputDir, consoleErrors);
  ({ portal, alice, bob } = opened);
});

afterAll(() => closeSignedInPortal(opened));

describe('deprecation and versions of a notification type in a browser', () => {
  it('refuses an edit that would change what a live subscriber receives, and makes it a new version', async () => {
    await registerApplication(alice, producer, 'group:default/payments');
    await addNotificationType(alice, producer, oldType, 'invoice.*.issued');
    await registerApplication(bob, consumer, 'group:default/logistics');
    await bob.goto('/brom');
    await bob.getByRole('tab', { name: 'Producers' }).click();
    await typeRow(bob, oldType)
      .getByRole('button', { name: 'Subscribe' })
      .click();
    const request = bob.getByRole('dialog');
    await request.getByLabel('Consumer application').selectOption(consumer);
    await request.getByLabel('Justification').fill('Book every invoice');
    await request.getByRole('button', { name: 'Send request' }).click();
    await request.waitFor({ state: 'detached' });
    await decideInInbox(alice, oldType, 'Approve');

    await openApplication(alice, producer);
    await typeRow(alice, oldType).getByRole('button', { name: 'Edit' }).click();
    const edit = alice.getByRole('dialog', {
      name: `Edit notification type ${oldType}`,
    });
    await edit.getByLabel('Routing-key pattern').fill(newPattern);
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit
      .getByText(`has live subscribers: ${consumer} (approved)`)
      .waitFor();
    await shot(alice, 'edit-refused-with-subscribers');
    await edit
      .getByRole('button', { name: 'Create a new version instead' })
      .click();

    const version = alice.getByRole('dialog', {
      name: `New version of ${oldType}`,
    });
    expect(
      await version.getByLabel('Name of the new version').inputValue(),
    ).toBe(newType);
    expect(await version.getByLabel('Routing-key pattern').inputValue()).toBe(
      newPattern,
    );
    await shot(alice, 'new-version-dialog');
    await version.getByRole('button', { name: 'Create version' }).click();
    await version.waitFor({ state: 'detached' });
    await typeRow(alice, newType).waitFor();
    await typeRow(alice, oldType)
      .getByText(/^Deprecated · ends /)
      .waitFor();
    await shot(alice, 'old-type-deprecated');
  });

  it('refuses new requests for the deprecated type, pointing to its successor', async () => {
    await bob.goto('/brom');
    await bob.getByRole('tab', { name: 'Producers' }).click();
    const oldRow = typeRow(bob, oldType);
    await oldRow.getByText(/^Deprecated · ends /).waitFor();
    expect(
      await oldRow.getByRole('button', { name: 'Subscribe' }).isDisabled(),
    ).toBe(true);
    expect(
      await typeRow(bob, newType)
        .getByRole('button', { name: 'Subscribe' })
        .isDisabled(),
    ).toBe(false);

    await openApplication(bob, consumer);
    await bob.getByRole('button', { name: 'Request subscription' }).click();
    const dialog = bob.getByRole('dialog', {
      name: `Request subscription for ${consumer}`,
    });
    // The dialog finds types by server search and lists them as radios.
    await dialog.getByLabel('Find a notification type').fill(oldType);
    await dialog
      .getByRole('radio', {
        name: new RegExp(`^${producer}/${oldType} \\(deprecated\\)`),
      })
      .check();
    await dialog
      .getByText(`Request its successor ${producer}/${newType} instead.`)
      .waitFor();
    expect(
      await dialog.getByRole('button', { name: 'Send request' }).isDisabled(),
    ).toBe(true);
    await shot(bob, 'request-refused-for-deprecated-type');
    await dialog.getByRole('button', { name: `Choose ${newType}` }).click();
    expect(
      await dialog
        .getByRole('radio', { name: new RegExp(`^${producer}/${newType}`) })
        .isChecked(),
    ).toBe(true);
    expect(
      await dialog.getByRole('button', { name: 'Send request' }).isDisabled(),
    ).toBe(false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('shows the subscriber a banner with the date, at 1280 and 800 px', async () => {
    await openApplication(bob, consumer);
    const banner = bob.getByTestId('brom-deprecation-banner');
    await banner
      .getByText(
        `${producer}/${oldType} is deprecated: this subscription ends on`,
      )
      .waitFor();
    await banner.getByText(`Its successor is ${producer}/${newType}`).waitFor();
    await shot(bob, 'consumer-banner');
    const problems = await checkAtEveryWidth(
      bob,
      'consumer-application-deprecation-banner',
      { role: 'button', name: `Request ${newType}` },
      [
        { role: 'button', name: `Request ${newType}` },
        { role: 'button', name: 'Unsubscribe' },
        { role: 'button', name: 'Request subscription' },
      ],
    );
    expect(problems).toEqual([]);
  });

  it('lets the subscriber move to the new version, which the broker then delivers', async () => {
    await openApplication(bob, consumer);
    await bob.getByRole('button', { name: `Request ${newType}` }).click();
    const dialog = bob.getByRole('dialog', {
      name: `Request subscription for ${consumer}`,
    });
    expect(
      await dialog
        .getByRole('radio', { name: new RegExp(`^${producer}/${newType}`) })
        .isChecked(),
    ).toBe(true);
    await dialog.getByLabel('Justification').fill('Moving to the new version');
    await dialog.getByRole('button', { name: 'Send request' }).click();
    await dialog.waitFor({ state: 'detached' });
    await decideInInbox(alice, newType, 'Approve');

    const management = portal.node.managementClient();
    try {
      await pollUntil(
        async () => {
          const bindings = await management.listBindings(portal.vhost);
          return bindings.some(
            b =>
              b.source === `brom.${producer}` &&
              b.destination === `brom.${consumer}` &&
              b.routing_key === newPattern,
          )
            ? true
            : undefined;
        },
        {
          timeoutMs: 60_000,
          describe: () => 'the new version was never bound to the consumer',
        },
      );
    } finally {
      await management.close();
    }
    await openApplication(bob, consumer);
    await bob
      .getByTestId('brom-deprecation-banner')
      .getByText(
        `${consumer} also subscribes to its successor ${producer}/${newType}`,
      )
      .waitFor();
    await shot(bob, 'consumer-moved-to-new-version');
  });

  it('lets the producer extend the sunset, with every action fitting at 1280 and 800 px', async () => {
    await openApplication(alice, producer);
    const before = await typeRow(alice, oldType)
      .getByText(/^Deprecated · ends /)
      .textContent();
    await typeRow(alice, oldType)
      .getByRole('button', { name: 'Extend sunset' })
      .click();
    const dialog = alice.getByRole('dialog', {
      name: `Extend the sunset of ${oldType}`,
    });
    await dialog.getByRole('button', { name: 'Extend' }).click();
    await dialog.waitFor({ state: 'detached' });
    await pollUntil(
      async () => {
        const after = await typeRow(alice, oldType)
          .getByText(/^Deprecated · ends /)
          .textContent();
        return after && after !== before ? after : undefined;
      },
      {
        timeoutMs: 30_000,
        describe: () => 'the sunset date shown never moved',
      },
    );
    await shot(alice, 'sunset-extended');
    const problems = await checkAtEveryWidth(
      alice,
      'producer-application-lifecycle',
      { role: 'button', name: 'Extend sunset' },
      [
        { role: 'button', name: 'Extend sunset' },
        { role: 'button', name: 'New version' },
        { role: 'button', name: 'Deprecate' },
        { role: 'button', name: 'Add notification type' },
      ],
    );
    expect(problems).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
