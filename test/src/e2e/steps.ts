import { join } from 'node:path';
import { BrowserContext, Page } from 'playwright-core';
import { recordConsoleErrors } from './pageChecks';

/** How long a step waits for the UI. */
export const UI_TIMEOUT = 30_000;

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
