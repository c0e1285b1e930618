// An administrator file with an error, wired: the bundled main process (fake electron) keeps
// the engine stopped and says why, naming the file and the field; the tray, the window and the
// user's own settings keep working (docs/desktop.md "Settings: You and Administrator").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../common/src/api/contract.js';
import type { DeskStateView, SettingsView } from '../../common/src/api/views.js';
import { forgetMain, runMain, type RunningMain } from './support/run-main.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let main: RunningMain;
const savedEnv = { ...process.env };

async function invoke<T>(method: string, request: unknown = {}): Promise<Envelope<T>> {
  const window = main.fake.window();
  if (window === undefined) throw new Error('no window');
  return (await main.fake.ipcMain.invoke(window.webContents, `deskline:${method}`, request)) as Envelope<T>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-main-admin-invalid-'));
  await writeFile(join(dir, 'admin.yaml'), 'version: 1\ncti:\n  addresses: [cucm.example.com]\n');
  process.env['DESKLINE_USER_DATA'] = join(dir, 'userData');
  process.env['XDG_CONFIG_HOME'] = join(dir, 'xdg');
  process.env['DESKLINE_ADMIN_FILE'] = join(dir, 'admin.yaml');
  main = await runMain({
    root,
    outDir: join(dir, 'bundle'),
    isPackaged: false,
    resourcesPath: join(root, 'build'),
  });
  main.fake.app.becomeReady();
}, 60_000);

afterAll(async () => {
  if (main.fake.app.exitCode === undefined) main.fake.app.quit();
  const started = Date.now();
  while (main.fake.app.exitCode === undefined && Date.now() - started < 10_000)
    await new Promise((resolve) => setTimeout(resolve, 20));
  forgetMain();
  process.env = savedEnv;
  await rm(dir, { recursive: true, force: true });
});

describe('an administrator file with an error', () => {
  it('stops the engine with a message naming the file and the field; nothing falls back to the demo', async () => {
    const failed = await main.events.waitFor('engine.failed');
    expect(failed.detail).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /administrator settings file has an error.*admin\.yaml: cti\.addresses\.0: expected host:port/,
      ),
    });
    expect(main.events.list().some((event) => event.name === 'engine.started')).toBe(false);
    const state = await invoke<DeskStateView>('desk.getState');
    expect(state.ok && state.value.session).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/cti\.addresses\.0/),
    });
    expect(main.fake.tray()?.tooltip).toMatch(/^Deskline — /);
  });

  it('locks the Administrator settings and says why; the user’s own part still changes', async () => {
    const settings = await invoke<SettingsView>('app.getSettings');
    expect(settings).toMatchObject({
      ok: true,
      value: { administrator: { state: 'invalid', problem: expect.stringMatching(/cti\.addresses\.0/) } },
    });
    expect(await invoke('app.updateSettings', { ctiAddresses: [] })).toMatchObject({
      ok: false,
      error: { code: 'SETTING_LOCKED' },
    });
    expect(await invoke('app.updateSettings', { theme: 'light' })).toMatchObject({
      ok: true,
      value: { theme: 'light' },
    });
  });
});
