// The desktop app end to end (Playwright project "electron"): launches the real Electron app
// on the embedded demo cluster, waits on named app events (main/src/app-events.ts) — never on
// sleeps — and checks the window opens with the line picker, the tray exists, and a tel:
// link handed to a second instance dials.
//
// They need the Electron binary. Where it is missing (it cannot be downloaded on every
// machine) they are skipped, and the reason is printed. The binary is located the way
// `npm start` does (scripts/electron-binary.mjs), so nothing here ever triggers Electron's
// download: Playwright is always given the executable path.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import type { DesklineBridge } from '../common/src/api/contract.js';
import { buildMain, buildRenderer } from '../scripts/build.mjs';
import { locateElectron } from '../scripts/electron-binary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const electron = locateElectron();
const skipReason = electron.ok ? '' : `Electron e2e tests skipped: ${electron.reason}`;
if (!electron.ok) console.log(skipReason);

/** What main exposes to tests when DESKLINE_E2E=1 (see main/src/main.ts). */
interface AppEventsGlobal {
  desklineAppEvents: {
    waitFor(
      name: string,
      test?: (event: { detail: Record<string, unknown> }) => boolean,
    ): Promise<{ name: string; detail: Record<string, unknown> }>;
    list(): ReadonlyArray<{ name: string; detail: Record<string, unknown> }>;
  };
}

/** Waits in main for a named app event (past or future) and returns its detail. */
async function appEvent(
  app: ElectronApplication,
  name: string,
  detail: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  return app.evaluate(
    async (_electron, { name: eventName, detail: wanted }) => {
      const log = (globalThis as unknown as AppEventsGlobal).desklineAppEvents;
      const event = await log.waitFor(eventName, (candidate) =>
        Object.entries(wanted).every(([key, value]) => candidate.detail[key] === value),
      );
      return event.detail;
    },
    { name, detail },
  );
}

const bridge = (page: Page) => ({
  state: () =>
    page.evaluate(() => (window as unknown as { deskline: DesklineBridge }).deskline.api.desk.getState({})),
});

test.describe('Deskline desktop app', () => {
  test.skip(!electron.ok, skipReason);

  let userData: string;
  let app: ElectronApplication;
  const env = (): Record<string, string> => ({
    ...Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    DESKLINE_E2E: '1',
    DESKLINE_USER_DATA: userData,
  });

  test.beforeAll(async () => {
    await buildMain();
    await buildRenderer();
  });

  test.beforeEach(async () => {
    userData = await mkdtemp(join(tmpdir(), 'deskline-e2e-'));
    if (!electron.ok) return;
    app = await _electron.launch({ executablePath: electron.path, args: [root, '--demo'], env: env() });
  });

  test.afterEach(async () => {
    await app?.close();
    await rm(userData, { recursive: true, force: true });
  });

  test('opens its window with the line picker, and the tray exists', async () => {
    await appEvent(app, 'app.trayCreated');
    await appEvent(app, 'app.windowReady');
    const started = await appEvent(app, 'engine.started');
    expect(started['mode']).toBe('demo');
    const page = await app.firstWindow();
    const chip = page.locator('.line-chip');
    await expect(chip).toBeVisible();
    await chip.click();
    await expect(page.locator('.line-option[data-line-id]').first()).toBeVisible();
    await expect(page.getByText('1001', { exact: true }).first()).toBeVisible();
  });

  test('a tel: link given to a second instance dials from the first', async () => {
    await appEvent(app, 'engine.started');
    const page = await app.firstWindow();
    // Choose Alice's desk line if the demo did not choose one.
    if ((await bridge(page).state()).selectedLineId === null) {
      await page.locator('.line-chip').click();
      await page.locator('.line-option[data-state="available"]').first().click();
      await expect.poll(async () => (await bridge(page).state()).session.state).toBe('active');
    }
    const second = spawn(electron.ok ? electron.path : '', [root, 'tel:+1-408-555-0100'], {
      env: env(),
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => second.on('exit', (code) => resolve(code)));
    await appEvent(app, 'dial.started', { number: '+14085550100', source: 'second-instance' });
    // The second instance hands over its argv and quits (single-instance lock).
    expect(await exited).toBe(0);
    await expect
      .poll(async () => (await bridge(page).state()).calls.map((call) => call.remote.number))
      .toContain('+14085550100');
  });
});
