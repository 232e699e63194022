import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { recordConsoleErrors } from './pageChecks';
import { PortalUnderTest } from './PortalUnderTest';

/** How long a step waits for the UI. */
export const UI_TIMEOUT = 30_000;

/** The Chromium the suites drive (Debian's, unless BROM_TEST_CHROMIUM names another). */
export const CHROMIUM = process.env.BROM_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** The window the suites' steps run in; page checks change it and come back to it. */
export const DEFAULT_VIEWPORT = { width: 1440, height: 900 };

/** Chromium flags for a headless run on a shared machine. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Numbered full-page screenshots of the steps of a test, in `outputDir`. */
export function screenshots(outputDir: string) {
  let step = 0;
  return async (page: Page, name: string) => {
    step += 1;
    // Keep the pointer off the sidebar, which expands over the page while hovered.
    await page.mouse.move(1200, 400);
    await page.screenshot({
      path: join(outputDir, `${String(step).padStart(2, '0')}-${name}.png`),
      fullPage: true,
    });
  };
}

/** A running portal with Chromium, and Alice and Bob signed in, each in a context of their own. */
export interface SignedInPortal {
  portal: PortalUnderTest;
  browser: Browser;
  alice: Page;
  bob: Page;
}

/**
 * The opening every e2e suite shares: starts the portal (its files in `outputDir`) and
 * Chromium, and signs Alice and Bob in, recording their pages' console errors in
 * `consoleErrors`. Stops what it started if a step fails.
 */
export async function openSignedInPortal(
  outputDir: string,
  consoleErrors: string[],
): Promise<SignedInPortal> {
  const portal = await PortalUnderTest.start({ outputDir });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const context = () =>
      browser!.newContext({
        baseURL: portal.baseUrl,
        viewport: DEFAULT_VIEWPORT,
      });
    const alice = await signIn(await context(), 'Alice', consoleErrors);
    const bob = await signIn(await context(), 'Bob', consoleErrors);
    return { portal, browser, alice, bob };
  } catch (error) {
    await browser?.close();
    await portal.stop();
    throw error;
  }
}

/** Closes Chromium and stops the portal of {@link openSignedInPortal}, if it opened. */
export async function closeSignedInPortal(opened: SignedInPortal | undefined) {
  await opened?.browser.close();
  await opened?.portal.stop();
}

/** Signs in through the development sign-in page, recording the page's console errors. */
export async function signIn(
  context: BrowserContext,
  who: 'Alice' | 'Bob',
  consoleErrors: string[],
): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  recordConsoleErrors(page, consoleErrors);
  await page.goto('/brom');
  await page.getByRole('button', { name: `Sign in as ${who}` }).click();
  await page.getByRole('tab', { name: 'Producers' }).waitFor();
  return page;
}

export async function openApplication(page: Page, name: string) {
  await page.goto(`/brom/applications/${name}`);
  await page.getByRole('heading', { name, exact: true }).first().waitFor();
}

export async function registerApplication(
  page: Page,
  name: string,
  owner: string,
) {
  await page.goto('/brom');
  await page.getByRole('tab', { name: 'My applications' }).click();
  await page.getByRole('button', { name: 'Register application' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register application' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog
    .getByLabel('Description')
    .fill(`The ${name} application (end-to-end test)`);
  await dialog.getByLabel('Owner').selectOption(owner);
  await dialog.getByRole('button', { name: 'Register', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

export async function addNotificationType(
  page: Page,
  app: string,
  name: string,
  pattern: string,
) {
  await openApplication(page, app);
  await page.getByRole('button', { name: 'Add notification type' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add notification type' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Routing-key pattern').fill(pattern);
  await dialog.getByLabel('Description').fill(`${name} (end-to-end test)`);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('cell', { name: pattern }).waitFor();
}

export async function decideInInbox(
  page: Page,
  type: string,
  decision: 'Approve' | 'Reject',
  reason?: string,
) {
  await page.goto('/brom');
  await page.getByRole('tab', { name: /^Approvals/ }).click();
  const row = page.getByRole('row').filter({ hasText: type });
  await row.getByRole('button', { name: decision, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `${decision} subscription` });
  if (reason) await dialog.getByLabel(/^Reason/).fill(reason);
  await dialog.getByRole('button', { name: decision, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}
