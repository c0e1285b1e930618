// The administrator file, wired (docs/desktop.md "Settings: You and Administrator"): the bundled
// main process (fake electron, real engine) on a machine whose administrator file names a
// phone system — here a real CTI Manager simulator on loopback — with the application user and
// a password file. The Administrator settings come from the file and are locked; the user's
// own part (their user ID) still changes, and the engine signs in with the administrator's
// credentials.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../common/src/api/contract.js';
import type { SettingsView } from '../../common/src/api/views.js';
import { demoCtiSettings, startDemoSimulator, type DemoSimulator } from '../../host/src/demo.js';
import { ADMIN_FIELDS } from '../src/admin-settings.js';
import { forgetMain, runMain, type RunningMain } from './support/run-main.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let simulator: DemoSimulator;
let main: RunningMain;
const savedEnv = { ...process.env };

async function invoke<T>(method: string, request: unknown = {}): Promise<Envelope<T>> {
  const window = main.fake.window();
  if (window === undefined) throw new Error('no window');
  return (await main.fake.ipcMain.invoke(window.webContents, `deskline:${method}`, request)) as Envelope<T>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-main-admin-'));
  simulator = await startDemoSimulator({
    cluster: 'demo',
    nodes: 2,
    host: '127.0.0.1',
    port: 0,
    adminPort: null,
  });
  const cti = demoCtiSettings(simulator.nodes.map((node) => node.address));
  await writeFile(join(dir, 'cti-password'), `${cti.password}\n`, { mode: 0o600 });
  await writeFile(
    join(dir, 'admin.yaml'),
    [
      'version: 1',
      'cti:',
      `  addresses: [${cti.addresses.map((address) => JSON.stringify(address)).join(', ')}]`,
      `  applicationUser: ${cti.applicationUser}`,
      '  passwordFile: cti-password',
      '  heartbeatIntervalSec: 5',
      'updates: { enabled: false }',
      '',
    ].join('\n'),
  );
  process.env['DESKLINE_USER_DATA'] = join(dir, 'userData');
  process.env['XDG_CONFIG_HOME'] = join(dir, 'xdg');
  // Unpackaged: the administrator file may be moved for a test.
  process.env['DESKLINE_ADMIN_FILE'] = join(dir, 'admin.yaml');
  main = await runMain({
    root,
    outDir: join(dir, 'bundle'),
    isPackaged: false,
    resourcesPath: join(root, 'build'),
  });
  main.fake.app.becomeReady();
  // No user ID yet: the engine says so and waits for it.
  expect((await main.events.waitFor('engine.failed')).detail).toMatchObject({ code: 'CONFIG_INVALID' });
}, 60_000);

afterAll(async () => {
  if (main.fake.app.exitCode === undefined) main.fake.app.quit();
  const started = Date.now();
  while (main.fake.app.exitCode === undefined && Date.now() - started < 10_000)
    await new Promise((resolve) => setTimeout(resolve, 20));
  forgetMain();
  process.env = savedEnv;
  await simulator.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('an administrator file, wired', () => {
  it('the Administrator settings are the file’s, locked; the user cannot change them', async () => {
    const settings = await invoke<SettingsView>('app.getSettings');
    if (!settings.ok) throw new Error(settings.error.message);
    expect(settings.value).toMatchObject({
      ctiAddresses: simulator.nodes.map((node) => node.address),
      applicationUser: demoCtiSettings([]).applicationUser,
      heartbeatIntervalSec: 5,
      hasPassword: true,
      administrator: { file: join(dir, 'admin.yaml'), state: 'managed', locked: [...ADMIN_FIELDS] },
    });
    for (const patch of [{ ctiAddresses: [] }, { password: 'mine' }, { sipListenerEnabled: true }]) {
      const refused = await invoke('app.updateSettings', patch);
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'SETTING_LOCKED', message: expect.stringMatching(/Set by your administrator/) },
      });
    }
    const after = await invoke<SettingsView>('app.getSettings');
    expect(after.ok && after.value.ctiAddresses).toEqual(simulator.nodes.map((node) => node.address));
  });

  it('the user’s own part changes, and the engine signs in to the administrator’s phone system', async () => {
    const saved = await invoke<SettingsView>('app.updateSettings', { userId: 'alice', theme: 'dark' });
    expect(saved).toMatchObject({
      ok: true,
      value: { userId: 'alice', theme: 'dark', administrator: { state: 'managed' } },
    });
    const started = await main.events.waitFor('engine.started');
    expect(started.detail).toMatchObject({
      mode: 'cluster',
      userId: 'alice',
      addresses: simulator.nodes.map((node) => node.address),
    });
  });
});
