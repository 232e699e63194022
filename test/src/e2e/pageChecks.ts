import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Page } from 'playwright-core';

/** What a person should never have to read: an entity reference instead of a name. */
export const RAW_ENTITY_REF = /\b(user|group|component):[\w-]+\//;

/** The widths a developer uses the portal at: a laptop and a narrow window or tablet. */
export const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 800, height: 800 },
];

/** The app's themes (Backstage's own light and dark), by the id its theme selector stores. */
export const THEMES = ['light', 'dark'] as const;

/** Switches the page's app to a theme, as the settings page does: the selector keeps it in local storage. */
export async function chooseTheme(page: Page, theme: (typeof THEMES)[number]) {
  await page.evaluate(id => window.localStorage.setItem('theme', id), theme);
}

/**
 * How many times a keyboard user presses Tab, from the top of the page, before the action
 * has the focus; undefined when it never does within `limit` presses.
 */
export async function tabStopsTo(
  page: Page,
  action: { role: 'button' | 'link' | 'tab'; name: string },
  limit = 60,
): Promise<number | undefined> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  const target = page
    .getByRole(action.role, { name: action.name, exact: true })
    .first();
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate(element => element === document.activeElement)) {
      return presses;
    }
  }
  return undefined;
}

const EXPECTED_ANSWER =
  /^Failed to load resource: the server responded with a status of 4\d\d/;

/**
 * Collects the page's console errors and uncaught exceptions from now on, each with the
 * page's address, so a test can assert there were none.
 */
export function recordConsoleErrors(page: Page, errors: string[]) {
  page.on('console', message => {
    // Chromium logs every 4xx answer as an error; those the flow expects (an unknown
    // application's 404) are answers, not faults. A 5xx or anything the app logs still counts.
    if (message.type() === 'error' && !EXPECTED_ANSWER.test(message.text())) {
      errors.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on('pageerror', error => {
    errors.push(`${page.url()}: uncaught ${error.message}`);
  });
}

/** An action a person must be able to see and press on a page, by its accessible name. */
export type Action = { role: 'button' | 'link' | 'tab'; name: string | RegExp };

/** What the checks look at: the page's main content, or an open dialog (rendered outside it). */
export const MAIN = 'main';
export const DIALOG = '[role="dialog"]';

/**
 * What is wrong with the page's layout at its current viewport: the page scrolls sideways;
 * a given action is missing, or not wholly visible without scrolling sideways (off-screen,
 * or clipped by a container it overflows); a button or tab label under `root` breaks over
 * two lines.
 */
export async function layoutProblems(
  page: Page,
  actions: Action[],
  root = MAIN,
): Promise<string[]> {
  const problems: string[] = [];
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  if (scrollWidth > innerWidth) {
    problems.push(
      `the page is ${scrollWidth} px wide in a ${innerWidth} px window`,
    );
  }
  for (const action of actions) {
    const matches = await page
      .getByRole(action.role, { name: action.name, exact: true })
      .all();
    if (matches.length === 0)
      problems.push(`no ${action.role} "${action.name}"`);
    for (const match of matches) {
      const hidden = await match.evaluate(element => {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) return 'has no size';
        if (box.left < 0 || box.right > window.innerWidth) {
          return `spans ${Math.round(box.left)}–${Math.round(box.right)} px`;
        }
        for (
          let parent = element.parentElement;
          parent;
          parent = parent.parentElement
        ) {
          const overflow = getComputedStyle(parent).overflowX;
          if (overflow === 'visible') continue;
          const clip = parent.getBoundingClientRect();
          if (box.left < clip.left - 1 || box.right > clip.right + 1) {
            return `is cut off by a container scrolled sideways (${overflow})`;
          }
        }
        return undefined;
      });
      if (hidden) problems.push(`${action.role} "${action.name}" ${hidden}`);
    }
  }
  const broken = await page.evaluate(
    rootSelector =>
      [
        ...document.querySelectorAll(
          `${rootSelector} button, ${rootSelector} [role="tab"]`,
        ),
      ]
        .filter(element => {
          const text = element.textContent?.trim();
          if (!text || (element as HTMLElement).offsetParent === null)
            return false;
          // Line boxes of the label's own text, not of the spans around it.
          const walker = document.createTreeWalker(
            element,
            NodeFilter.SHOW_TEXT,
          );
          const lines = new Set<number>();
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const rect of range.getClientRects()) {
              if (rect.width > 0) lines.add(Math.round(rect.top));
            }
          }
          return lines.size > 1;
        })
        .map(element => element.textContent?.trim()),
    root,
  );
  for (const label of broken)
    problems.push(`the label "${label}" breaks over lines`);
  return problems;
}

/** Entity references written out in the text under `root` instead of names. */
export async function rawEntityRefs(
  page: Page,
  root = MAIN,
): Promise<string[]> {
  const text = await page.locator(root).first().innerText();
  return text.split('\n').filter(line => RAW_ENTITY_REF.test(line));
}

const axeSource = readFileSync(
  createRequire(__filename).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** Serious and critical accessibility violations axe-core finds under `root`. */
export async function accessibilityViolations(
  page: Page,
  root = MAIN,
): Promise<string[]> {
  // Evaluated through the browser's debugging protocol: the portal's Content Security
  // Policy (rightly) refuses an injected <script>.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async rootSelector => {
    const axe = (window as unknown as { axe: { run: Function } }).axe;
    const result = await axe.run(document.querySelector(rootSelector), {
      resultTypes: ['violations'],
    });
    return (
      result.violations as Array<{
        id: string;
        impact: string | null;
        help: string;
        nodes: Array<{ target: unknown[] }>;
      }>
    )
      .filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(
        v =>
          `${v.impact} ${v.id}: ${v.help} (${v.nodes
            .map(n => String(n.target[0]))
            .join(', ')})`,
      );
  }, root);
  return violations;
}

/**
 * Everything the page checks find in what is on screen under `root`, each prefixed with
 * `where`: layout problems, raw entity references and, with `axe`, accessibility violations.
 */
export async function problemsOf(
  page: Page,
  options: { where: string; actions: Action[]; axe: boolean; root?: string },
): Promise<string[]> {
  const { where, actions, axe, root = MAIN } = options;
  const problems = (await layoutProblems(page, actions, root)).map(
    problem => `${where}: ${problem}`,
  );
  for (const line of await rawEntityRefs(page, root)) {
    problems.push(`${where}: shows the raw reference in "${line}"`);
  }
  if (axe) {
    for (const violation of await accessibilityViolations(page, root)) {
      problems.push(`${where}: ${violation}`);
    }
  }
  return problems;
}
