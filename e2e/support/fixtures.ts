// Playwright fixtures for the real flows: the renderer built once per worker into dist/renderer
// (where the CLI serves it from), a fresh real service per test (its own simulator, so no test
// sees another's calls), console errors failing the test, and UI helpers named after what a
// person sees (roles and accessible names, docs/ui.md).
import { expect, test as base, type Locator, type Page, type TestInfo } from '@playwright/test';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';
import { expectAccessible } from './axe.js';
import { makeTempDir, removeDir, startService, type RealService } from './real-service.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

// Chromium says this about the meta CSP (frame-ancestors only works as a header, which the
// shell also sends); docs/ui.md §6 keeps it in the meta for Electron's file:// load.
const EXPECTED_CONSOLE = [/'frame-ancestors' is ignored when delivered via a <meta> element/];

export interface ConsoleErrors {
  /** A console error the test expects (e.g. refused WebSocket reconnects while a service restarts). */
  allow(pattern: RegExp): void;
}

/** Starts services for the test (a second user, a restart) and stops them all at its end. */
export interface ServiceFactory {
  start(user: string, dataDir?: string): Promise<RealService>;
  /** A data directory removed at the end of the test. */
  tempDir(): Promise<string>;
}

interface TestFixtures {
  /** The CUCM user of the default `service` (test.use({ serviceUser: 'grace' })). */
  serviceUser: string;
  services: ServiceFactory;
  service: RealService;
  consoleErrors: ConsoleErrors;
}

interface WorkerFixtures {
  renderer: void;
}

async function stopChecked(service: RealService, testInfo: TestInfo): Promise<void> {
  const code = await service.stop();
  await testInfo.attach(`service-${service.user}.log`, { body: service.output(), contentType: 'text/plain' });
  // SIGTERM drains and exits 0: anything else is a crash or a hang (then SIGKILL: -1).
  expect(code, `the ${service.user} service exit code\n${service.output()}`).toBe(0);
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  renderer: [
    // Playwright needs an object pattern here even when the fixture uses no other fixture.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      // `npm run build:renderer`, in-process: the CLI serves ROOT/dist/renderer.
      await viteBuild({ configFile: join(ROOT, 'renderer/vite.config.ts'), logLevel: 'warn' });
      await mkdir(SCREENSHOTS, { recursive: true });
      await use();
    },
    { scope: 'worker', auto: true },
  ],

  serviceUser: ['alice', { option: true }],

  services: async ({ renderer: _ }, use, testInfo) => {
    const started: RealService[] = [];
    const dirs: string[] = [];
    const tempDir = async (): Promise<string> => {
      const dir = await makeTempDir('deskline-e2e-data-');
      dirs.push(dir);
      return dir;
    };
    await use({
      tempDir,
      async start(user, dataDir) {
        const service = await startService({ user, dataDir: dataDir ?? (await tempDir()) });
        started.push(service);
        return service;
      },
    });
    try {
      for (const service of started) await stopChecked(service, testInfo);
    } finally {
      for (const dir of dirs) await removeDir(dir);
    }
  },

  service: async ({ services, serviceUser }, use) => {
    await use(await services.start(serviceUser));
  },

  // After `services` (torn down before them): errors a stopping service causes are not the page's.
  consoleErrors: async ({ page, services: _ }, use) => {
    const errors: string[] = [];
    const allowed = [...EXPECTED_CONSOLE];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    await use({ allow: (pattern) => allowed.push(pattern) });
    expect(errors.filter((e) => !allowed.some((p) => p.test(e)))).toEqual([]);
  },
});

export { expect };

// ---------------------------------------------------------------- the UI, by role and name

export const nav = (page: Page): Locator => page.getByRole('navigation', { name: 'Screens' });

/** A tab, by its label (a count may follow: "History, 1 missed"). */
export const tab = (page: Page, screen: string): Locator =>
  nav(page).getByRole('button', { name: new RegExp(`^${screen}(,|$)`) });

export async function goTo(page: Page, screen: string): Promise<void> {
  await tab(page, screen).click();
  await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
}

/** A notice in the notices log (docs/ui.md §1), by its text. */
export const notice = (page: Page, text: string | RegExp): Locator =>
  page.getByRole('log', { name: 'Notices' }).locator('.notice').filter({ hasText: text });

/** A key of a keypad, named by what it shows ("2 ABC"). */
export const key = (pad: Locator, digit: string): Locator =>
  pad.getByRole('button', { name: new RegExp(`^${digit.replace(/[*#]/, '\\$&')}( |$)`) });

export const callCard = (page: Page, name: string): Locator =>
  page.getByRole('article', { name: `Call with ${name}`, exact: true });

export const ringingCard = (page: Page, name: string): Locator =>
  page.getByRole('region', { name: `Incoming call from ${name}` });

export const nodeCard = (page: Page, address: string): Locator =>
  page.getByRole('article', { name: `CTI Manager ${address}` });

/** Opens the browser shell with its token and waits until the desk snapshot is shown. */
export async function openShell(page: Page, service: RealService): Promise<void> {
  const response = await page.goto(service.shellUrl);
  expect(response?.status()).toBe(200);
  await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
  // The token leaves the address bar (docs/ui.md §5).
  expect(page.url()).toBe(`${service.shellOrigin}/`);
}

/** Lines → the appearance button → the Calls screen with the session active. */
export async function chooseLine(page: Page, name: string): Promise<void> {
  await goTo(page, 'Lines');
  const line = page.getByRole('list', { name: 'Your lines' }).getByRole('button', { name, exact: true });
  await line.click();
  await expect(tab(page, 'Calls')).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('.app')).toHaveAttribute('data-session', 'active');
}

/** Alice's desk line as the Lines screen names it: label · number, then the phone. */
export const ALICE_LINE = 'Alice Archer · 1001, Alice Archer - desk · Cisco 8865';

/** Opens the shell and takes Alice's desk line: where most flows start. */
export async function aliceAtHerDesk(page: Page, service: RealService): Promise<void> {
  await openShell(page, service);
  await chooseLine(page, ALICE_LINE);
}

/** Dial screen: types the number as a person would, then Enter. */
export async function dial(page: Page, number: string): Promise<void> {
  await page.keyboard.press('/');
  const box = page.getByRole('combobox', { name: 'Number or name' });
  await expect(box).toBeFocused();
  await box.pressSequentially(number);
  await expect(box).toHaveAccessibleDescription(/^Dials /);
  await box.press('Enter');
}

/** A full-page screenshot under test-results/screenshots/real-<name>.png, and axe on the
 *  same state (no serious or critical violation: docs/ui.md §7). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `real-${name}.png`), fullPage: true });
  await expectAccessible(page, `real-${name}`, test.info());
}
