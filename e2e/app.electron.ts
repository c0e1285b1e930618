// The desktop app end to end (Playwright project "electron"): launches the real Electron app
// on the embedded demo cluster, waits on named app events (main/src/app-events.ts) — never on
// sleeps — and covers the tray, an incoming call's notification and its Answer, the global
// shortcuts, and tel: links (at launch and handed to a second instance).
//
// What Playwright cannot do — click a tray menu, a notification or press a system-wide key —
// is done through main's e2e hooks (DESKLINE_E2E=1 only: main/src/main.ts `desklineE2E`), which
// do exactly what the OS's click or key press does: the real Notification object gets the
// event the OS would send, the real menu model's item is dispatched, the registered shortcut's
// callback runs. Inbound calls come from the demo simulator's admin API (docs/simulator.md §5).
//
// They need the Electron binary. Where it is missing (it is downloaded by `npm start` on first
// run; it cannot be downloaded on every machine) they are skipped, and the reason is printed.
// The binary is located the way `npm start` does (scripts/electron-binary.mjs), so nothing
// here ever triggers Electron's download: Playwright is always given the executable path.
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
const skipReason = electron.ok
  ? ''
  : `Electron e2e tests skipped: ${electron.reason} (npm start downloads it with Electron's installer)`;
if (!electron.ok) console.log(skipReason);

type Detail = Record<string, unknown>;

/** What main exposes to tests when DESKLINE_E2E=1 (see main/src/main.ts). */
interface TestGlobals {
  desklineAppEvents: {
    waitFor(
      name: string,
      test?: (event: { detail: Detail }) => boolean,
    ): Promise<{ name: string; detail: Detail }>;
  };
  desklineE2E: {
    trayMenu(): Array<{ id: string; label: string; enabled: boolean; submenu?: unknown[] }>;
    clickTrayItem(id: string): boolean;
    notifications: Array<{ title: string; emit(event: string, ...args: unknown[]): boolean }>;
    pressShortcut(which: 'show' | 'dial'): boolean;
  };
}

/** Waits in main for a named app event (past or future) whose detail has `wanted`. */
async function appEvent(
  app: ElectronApplication,
  name: string,
  wanted: Record<string, string> = {},
): Promise<Detail> {
  return app.evaluate(
    async (_electron, { name: eventName, wanted: match }) => {
      const log = (globalThis as unknown as TestGlobals).desklineAppEvents;
      const event = await log.waitFor(eventName, (candidate) =>
        Object.entries(match).every(([key, value]) => candidate.detail[key] === value),
      );
      return event.detail;
    },
    { name, wanted },
  );
}

const bridge = (page: Page) => ({
  state: () =>
    page.evaluate(() => (window as unknown as { deskline: DesklineBridge }).deskline.api.desk.getState({})),
});

/** Alice's desk line, chosen when the app did not choose it itself. */
async function lineUp(page: Page): Promise<void> {
  if ((await bridge(page).state()).selectedLineId === null) {
    await page.locator('.line-chip').click();
    await page.locator('.line-option[data-state="available"]').first().click();
  }
  await expect.poll(async () => (await bridge(page).state()).session.state).toBe('active');
}

/** Makes the demo user's phone ring (the simulator's admin API). */
async function ring(app: ElectronApplication, from: string): Promise<void> {
  const { adminUrl } = (await appEvent(app, 'engine.started')) as { adminUrl: string };
  const response = await fetch(`${adminUrl}/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to: '1001' }),
  });
  expect(response.status).toBe(201);
}

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
  const launch = (...extra: string[]): Promise<ElectronApplication> =>
    _electron.launch({
      executablePath: electron.ok ? electron.path : '',
      args: [root, '--demo', ...extra],
      env: env(),
    });

  test.beforeAll(async () => {
    await buildMain();
    await buildRenderer();
  });

  test.beforeEach(async () => {
    userData = await mkdtemp(join(tmpdir(), 'deskline-e2e-'));
  });

  test.afterEach(async () => {
    await app?.close();
    await rm(userData, { recursive: true, force: true });
  });

  test('opens its window with the line picker; the tray shows the state and offers its menu', async () => {
    app = await launch();
    await appEvent(app, 'app.trayCreated');
    await appEvent(app, 'app.windowReady');
    expect((await appEvent(app, 'engine.started'))['mode']).toBe('demo');
    const page = await app.firstWindow();
    await lineUp(page);
    expect((await appEvent(app, 'app.trayUpdated', { state: 'idle' }))['tooltip']).toMatch(
      /^Deskline — 1001/,
    );
    const labels = await app.evaluate(() =>
      (globalThis as unknown as TestGlobals).desklineE2E.trayMenu().map((item) => item.label),
    );
    expect(labels).toEqual(expect.arrayContaining(['Open Deskline', 'Dial…', 'Settings…', 'Quit Deskline']));
    // The tray's "Call history…" opens the popup there.
    await app.evaluate(async ({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.hide());
    expect(
      await app.evaluate(() => (globalThis as unknown as TestGlobals).desklineE2E.clickTrayItem('history')),
    ).toBe(true);
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isVisible()))
      .toBe(true);
  });

  test('a ringing call: its notification, then Answer', async () => {
    app = await launch();
    const page = await app.firstWindow();
    await lineUp(page);
    await ring(app, '+14155550123');
    const shown = await appEvent(app, 'notification.shown');
    expect(shown['title']).toMatch(/^Call from .*4155550123/);
    await appEvent(app, 'app.trayUpdated', { state: 'ringing' });
    // What the OS sends: Answer (macOS action, Windows button: index 0); Linux has no buttons,
    // its click opens the call in the popup, where Answer is one click.
    const answeredInNotification = await app.evaluate(() => {
      const notification = (globalThis as unknown as TestGlobals).desklineE2E.notifications.at(-1);
      if (notification === undefined) throw new Error('no notification');
      if (process.platform === 'linux') {
        notification.emit('click', {});
        return false;
      }
      notification.emit('action', { actionIndex: 0, selectionIndex: -1 }, 0, -1);
      return true;
    });
    if (!answeredInNotification) {
      await expect(page.getByRole('article', { name: /Call with/ })).toBeVisible();
      await page
        .getByRole('button', { name: /^Answer/ })
        .first()
        .click();
    }
    await expect
      .poll(async () => (await bridge(page).state()).calls.map((call) => call.state))
      .toContain('connected');
    await appEvent(app, 'app.trayUpdated', { state: 'onCall' });
  });

  test('the global shortcut shows Deskline; the optional one dials the copied number', async () => {
    app = await launch();
    const page = await app.firstWindow();
    await lineUp(page);
    const registered = await app.evaluate(({ globalShortcut }) =>
      globalShortcut.isRegistered('CommandOrControl+Shift+D'),
    );
    expect(registered).toBe(true);
    await app.evaluate(async ({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.hide());
    expect(
      await app.evaluate(() => (globalThis as unknown as TestGlobals).desklineE2E.pressShortcut('show')),
    ).toBe(true);
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isVisible()))
      .toBe(true);
    // No dial shortcut until one is chosen; then it dials what was copied.
    expect(
      await app.evaluate(() => (globalThis as unknown as TestGlobals).desklineE2E.pressShortcut('dial')),
    ).toBe(false);
    await page.evaluate(() =>
      (window as unknown as { deskline: DesklineBridge }).deskline.api.app.updateSettings({
        dialShortcut: 'Alt+Shift+C',
      }),
    );
    await app.evaluate(({ clipboard }) => clipboard.writeText('1002'));
    await expect
      .poll(() =>
        app.evaluate(() => (globalThis as unknown as TestGlobals).desklineE2E.pressShortcut('dial')),
      )
      .toBe(true);
    await expect
      .poll(async () => (await bridge(page).state()).calls.map((call) => call.remote.number))
      .toContain('1002');
  });

  test('a tel: link at launch dials once the line is up', async () => {
    app = await launch('tel:+1-408-555-0100');
    expect(await appEvent(app, 'dial.started', { source: 'argv' })).toMatchObject({ number: '+14085550100' });
    const page = await app.firstWindow();
    await expect
      .poll(async () => (await bridge(page).state()).calls.map((call) => call.remote.number))
      .toContain('+14085550100');
  });

  test('a tel: link given to a second instance dials from the first', async () => {
    app = await launch();
    await appEvent(app, 'engine.started');
    const page = await app.firstWindow();
    await lineUp(page);
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
