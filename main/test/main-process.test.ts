// The bundled main process (dist/main/main.cjs as scripts/build.mjs makes it) run in plain
// Node against a fake 'electron' (support/fake-electron.ts) and the REAL engine: the demo
// cluster on the real simulator, the real gateway, real stores on disk. The test plays the OS
// and the page: ready, the page's READY, IPC calls, a second instance with a tel: link, the
// tray, quit. This covers main.ts's wiring, which the pure-module tests cannot.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READY_CHANNEL, channelOf, type Envelope } from '../../common/src/api/contract.js';
import type { DeskStateView, LineAppearanceView, SettingsView } from '../../common/src/api/views.js';
import type { AppEvent, AppEventLog } from '../src/app-events.js';
import { FakeWebContents, type FakeMenu, type createFakeElectron } from './support/fake-electron.js';
import { forgetMain, runMain } from './support/run-main.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

let outDir: string;
let userData: string;
let configHome: string;
let fake: ReturnType<typeof createFakeElectron>;
let events: AppEventLog;
const savedEnv = { ...process.env };

const waitFor = (name: AppEvent['name'], test?: (event: AppEvent) => boolean): Promise<AppEvent> =>
  events.waitFor(name, test);

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True when nothing listens at host:port any more. */
function refused(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function call<T>(method: string, request: unknown = {}): Promise<T> {
  const window = fake.window();
  if (window === undefined) throw new Error('no window');
  const envelope = (await fake.ipcMain.invoke(
    window.webContents,
    `deskline:${method}`,
    request,
  )) as Envelope<T>;
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code} ${envelope.error.message}`);
  return envelope.value;
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'deskline-main-bundle-'));
  userData = await mkdtemp(join(tmpdir(), 'deskline-main-userdata-'));
  configHome = await mkdtemp(join(tmpdir(), 'deskline-main-xdg-'));
  process.env['DESKLINE_USER_DATA'] = userData;
  process.env['XDG_CONFIG_HOME'] = configHome;
  // Packaged, main loads tray icons from resources/tray; the sources stand in for resources/.
  const running = await runMain({ root, outDir, isPackaged: true, resourcesPath: join(root, 'build') });
  fake = running.fake;
  events = running.events;
  fake.app.becomeReady();
  await waitFor('engine.started');
}, 60_000);

afterAll(async () => {
  if (fake.app.exitCode === undefined) {
    fake.app.quit();
    await until(() => fake.app.exitCode !== undefined, 'exit').catch(() => undefined);
  }
  forgetMain();
  process.env = savedEnv;
  await rm(outDir, { recursive: true, force: true });
  await rm(userData, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

describe('the main process, wired', () => {
  it('starts: single-instance lock, privileged scheme, stores, a hidden-then-shown popup, the tray, the engine in demo mode', async () => {
    expect(fake.privileged).toEqual([
      { scheme: 'deskline-app', privileges: expect.objectContaining({ standard: true, secure: true }) },
    ]);
    expect((await waitFor('engine.started')).detail).toMatchObject({
      mode: 'demo',
      userId: 'alice',
      nodes: 2,
    });
    const window = fake.window();
    expect(window?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      devTools: false,
    });
    expect(window?.webContents.url).toBe('deskline-app://app/index.html');
    expect(window?.visible).toBe(true);
    expect(fake.tray()?.tooltip).toMatch(/^Deskline — /);
    const icon = fake.tray()?.image as { path: string } | undefined;
    expect(icon !== undefined && existsSync(icon.path)).toBe(true);
    expect(fake.app.protocolClients.sort()).toEqual(['callto', 'sip', 'tel']);
    expect(fake.app.dock.hidden).toBe(true);
    // The shortcut that shows Deskline; the dial shortcut is off until chosen.
    expect([...fake.shortcuts.keys()]).toEqual(['CommandOrControl+Shift+D']);
    expect(fake.crashReporter.started).toEqual([expect.objectContaining({ uploadToServer: false })]);
    await until(() => existsSync(join(userData, 'logs', 'deskline.log')), 'the log file');
    expect(await readFile(join(userData, 'logs', 'deskline.log'), 'utf8')).toContain('deskline starting');
    // No administrator file on this machine: nothing locked, updates off (no feed in this build).
    const settings = await call<SettingsView>('app.getSettings');
    expect(settings.administrator).toMatchObject({ state: 'absent', locked: [] });
    expect((await waitFor('update.status')).detail).toMatchObject({ state: 'disabled' });
    // Every method of the contract has a handler.
    expect(fake.ipcMain.handlers.has(channelOf('desk.makeCall'))).toBe(true);
    expect(fake.ipcMain.handlers.has(channelOf('app.updateSettings'))).toBe(true);
  });

  it('queues events until the page says READY, then delivers them', async () => {
    const window = fake.window();
    if (window === undefined) throw new Error('no window');
    const before = window.webContents.sent.length;
    expect(before).toBe(0);
    fake.ipcMain.sendFrom(window.webContents, READY_CHANNEL);
    await waitFor('app.windowReady');
    expect(window.webContents.sent.map((sent) => sent.message.name)).toContain('desk.state');
    expect(window.webContents.sent.every((sent) => sent.channel === 'deskline:event')).toBe(true);
  });

  it('answers the renderer over IPC and refuses other senders', async () => {
    const settings = await call<SettingsView>('app.getSettings');
    expect(settings.theme).toBe('system');
    const foreign = new FakeWebContents();
    foreign.url = 'https://evil.example/';
    const refused = (await fake.ipcMain.invoke(foreign, 'deskline:app.getSettings', {})) as Envelope<unknown>;
    expect(refused).toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
    const invalid = (await fake.ipcMain.invoke(fake.window()!.webContents, 'deskline:desk.makeCall', {
      number: '',
    })) as Envelope<unknown>;
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
  });

  it('a tel: link from a second instance dials on the chosen line', async () => {
    const lines = await call<LineAppearanceView[]>('desk.listLines');
    const line = lines.find((candidate) => candidate.dn === '1001' && candidate.controllable);
    if (line === undefined) throw new Error('the demo user has no controllable 1001');
    await call<DeskStateView>('desk.selectLine', { lineId: line.id });
    await until(
      () =>
        fake
          .window()!
          .webContents.sent.some(
            (s) =>
              s.message.name === 'desk.state' &&
              (s.message.payload as DeskStateView).session.state === 'active',
          ),
      'an active line',
    );
    fake.app.emit(
      'second-instance',
      {},
      ['/opt/Deskline/deskline', '--allow-file-access-from-files', 'tel:1002'],
      '/',
    );
    expect(
      (await waitFor('dial.started', (event) => event.detail['number'] === '1002')).detail,
    ).toMatchObject({ source: 'second-instance' });
    await until(
      () =>
        fake
          .window()!
          .webContents.sent.some(
            (s) =>
              s.message.name === 'desk.state' &&
              (s.message.payload as DeskStateView).calls.some((c) => c.remote.number.includes('1002')),
          ),
      'the call in a desk.state',
    );
    const state = await call<DeskStateView>('desk.getState');
    const placed = state.calls.find((c) => c.remote.number.includes('1002'));
    if (placed !== undefined) await call('desk.hangup', { callId: placed.callId });
  });

  it('a call ringing: a notification (Linux: a click opens the call), Answer from the tray, then hang up', async () => {
    const { adminUrl } = (await waitFor('engine.started')).detail as { adminUrl: string };
    const response = await fetch(`${adminUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+14155550123', to: '1001' }),
    });
    expect(response.status).toBe(201);
    await until(() => fake.notifications().length > 0, 'a notification');
    const notification = fake.notifications()[0]!;
    expect(notification.options).toMatchObject({
      title: expect.stringMatching(/^Call from .*4155550123/),
      actions: [],
    });
    const window = fake.window()!;
    window.visible = false;
    notification.emit('click');
    expect(window.visible).toBe(true);
    const navigate = window.webContents.sent.filter((s) => s.message.name === 'app.navigate').at(-1);
    expect(navigate?.message.payload).toMatchObject({ screen: 'calls', callId: expect.any(String) });
    const callId = (navigate?.message.payload as { callId: string }).callId;
    // The tray (the ringing icon; the menu's Answer).
    await waitFor('app.trayUpdated', (event) => event.detail['state'] === 'ringing');
    const tray = fake.tray()!;
    tray.emit('right-click');
    const answer = (tray.poppedUp.at(-1) as FakeMenu).find(`call:${callId}:answer`);
    expect(answer?.enabled).toBe(true);
    answer?.click?.();
    await until(
      () =>
        window.webContents.sent.some(
          (s) =>
            s.message.name === 'desk.state' &&
            (s.message.payload as DeskStateView).calls.some(
              (c) => c.callId === callId && c.state === 'connected',
            ),
        ),
      'the call answered',
    );
    expect(notification.closed).toBe(true);
    await waitFor('app.trayUpdated', (event) => event.detail['state'] === 'onCall');
    await call('desk.hangup', { callId });
  });

  it('a missed call puts the dot on the tray until the history is seen', async () => {
    const { adminUrl } = (await waitFor('engine.started')).detail as { adminUrl: string };
    const placed = (await (
      await fetch(`${adminUrl}/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: '+14155550124', to: '1001' }),
      })
    ).json()) as { callId: string };
    await waitFor('app.trayUpdated', (event) => event.detail['state'] === 'ringing');
    // The caller gives up.
    expect(
      (await fetch(`${adminUrl}/calls/${encodeURIComponent(placed.callId)}`, { method: 'DELETE' })).status,
    ).toBe(204);
    const missed = await waitFor('app.trayUpdated', (event) => event.detail['missed'] === 1);
    expect(missed.detail).toMatchObject({
      file: expect.stringMatching(/-missed\.png$/),
      tooltip: /1 missed call/,
    });
    expect(await call('app.markMissedSeen', { upTo: Date.now() })).toMatchObject({ unseen: 0 });
    await waitFor('app.trayUpdated', (event) => event.detail['missed'] === 0 && event.at > missed.at);
    expect((fake.tray()!.image as { path: string }).path).not.toMatch(/-missed/);
  });

  it('the show shortcut opens the popup; the optional dial shortcut dials the copied number', async () => {
    await call('app.updateSettings', { dialShortcut: 'Alt+Shift+C' });
    expect([...fake.shortcuts.keys()].sort()).toEqual(['Alt+Shift+C', 'CommandOrControl+Shift+D']);
    const window = fake.window()!;
    window.visible = false;
    fake.shortcuts.get('CommandOrControl+Shift+D')?.();
    expect(window.visible).toBe(true);
    fake.setClipboard('1002');
    fake.shortcuts.get('Alt+Shift+C')?.();
    await waitFor('shortcut.pressed', (event) => event.detail['which'] === 'dial');
    await until(
      () =>
        window.webContents.sent.some(
          (s) =>
            s.message.name === 'desk.state' &&
            (s.message.payload as DeskStateView).calls.some(
              (c) => c.remote.number.includes('1002') && c.state !== 'cleared',
            ),
        ),
      'the call to 1002',
    );
    const state = await call<DeskStateView>('desk.getState');
    for (const placed of state.calls)
      await call('desk.hangup', { callId: placed.callId }).catch(() => undefined);
    await call('app.updateSettings', { dialShortcut: '' });
    expect([...fake.shortcuts.keys()]).toEqual(['CommandOrControl+Shift+D']);
  });

  it('a renderer that died is recorded in the crash log and reloaded', async () => {
    const contents = fake.window()!.webContents;
    contents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    const crash = (await readFile(join(userData, 'logs', 'crash.log'), 'utf8')).trim().split('\n');
    expect(JSON.parse(crash.at(-1)!)).toMatchObject({
      kind: 'rendererGone',
      detail: { reason: 'crashed', exitCode: 139, reload: true },
    });
    // The page says READY again after the reload.
    fake.ipcMain.sendFrom(contents, READY_CHANNEL);
  });

  it('a garbage link is refused with a notice, never dialled', async () => {
    fake.app.emit('second-instance', {}, ['deskline', 'sip:alice@example.com'], '/');
    expect((await waitFor('dial.refused')).detail).toMatchObject({
      source: 'second-instance',
      code: 'NUMBER_INVALID',
    });
    expect(
      fake
        .window()!
        .webContents.sent.some(
          (s) =>
            s.message.name === 'app.notice' &&
            String((s.message.payload as { message: string }).message).startsWith('Not dialled'),
        ),
    ).toBe(true);
  });

  it('the tray: right-click shows the menu model; clicks toggle the popup', async () => {
    const tray = fake.tray();
    if (tray === undefined) throw new Error('no tray');
    tray.emit('right-click');
    const menu = tray.poppedUp.at(-1) as FakeMenu;
    expect(menu.find('quit')?.label).toBe('Quit Deskline');
    expect(menu.find('line')?.label).toMatch(/^Line 1001/);
    const window = fake.window()!;
    window.visible = true;
    tray.emit('click');
    expect(window.visible).toBe(false);
  });

  it('settings changes apply: shortcut re-registered, start at login written, event sent', async () => {
    await call('app.updateSettings', { globalShortcut: 'Alt+Shift+K', startAtLogin: true });
    expect([...fake.shortcuts.keys()]).toEqual(['Alt+Shift+K']);
    const autostart = join(configHome, 'autostart', 'dev.deskline.app.desktop');
    if (process.platform === 'linux') {
      await until(() => existsSync(autostart), 'the autostart entry');
      expect(await readFile(autostart, 'utf8')).toContain('--hidden');
    }
    await until(
      () => fake.window()!.webContents.sent.some((s) => s.message.name === 'app.settings'),
      'app.settings',
    );
  });

  it('window.open and navigation are denied; https opens in the browser', () => {
    const contents = fake.window()!.webContents;
    expect(contents.windowOpenHandler?.({ url: 'https://www.example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(fake.opened).toEqual(['https://www.example.com/']);
    let prevented = false;
    contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
  });

  it('the app protocol refuses other hosts, with the CSP header', async () => {
    const handler = fake.protocolHandlers.get('deskline-app');
    const response = await handler?.({ method: 'GET', url: 'deskline-app://elsewhere/index.html' });
    expect(response?.status).toBe(403);
    expect(response?.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('quits cleanly: everything disposed, settings on disk, then exit', async () => {
    fake.app.quit();
    await until(() => fake.app.exitCode !== undefined, 'exit');
    expect(fake.app.exitCode).toBe(0);
    expect(fake.shortcuts.size).toBe(0);
    expect(fake.tray()?.destroyed).toBe(true);
    expect(fake.ipcMain.handlers.size).toBe(0);
    const saved = JSON.parse(await readFile(join(userData, 'settings.json'), 'utf8')) as {
      settings: SettingsView;
    };
    expect(saved.settings).toMatchObject({ globalShortcut: 'Alt+Shift+K', startAtLogin: true });
    expect((await waitFor('app.shutdown')).name).toBe('app.shutdown');
    // The engine is gone: the simulator's CTI Manager nodes no longer accept connections.
    const addresses = (await waitFor('engine.started')).detail['addresses'] as string[];
    expect(addresses).toHaveLength(2);
    for (const address of addresses) await expect(refused(address)).resolves.toBe(true);
  });
});
