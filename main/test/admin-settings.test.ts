// The administrator file: where it lives per OS, its schema (errors name the field), and how
// it locks the Administrator part of the settings (docs/desktop.md "Settings: You and Administrator").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SettingsView } from '../../common/src/api/views.js';
import {
  ADMIN_FIELDS,
  SETTING_LOCKED,
  adminFilePath,
  effectivePassword,
  effectiveSettings,
  loadAdminFile,
  lockedFieldsProblem,
  resolveAdminFilePath,
  updatePolicyFor,
  type AdminLoad,
} from '../src/admin-settings.js';
import { DEFAULT_CHECK_INTERVAL_MS } from '../src/updates.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-admin-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const USER: SettingsView = {
  ctiAddresses: ['10.0.0.1:2748'],
  applicationUser: 'mine',
  hasPassword: true,
  heartbeatIntervalSec: 10,
  userId: 'alice',
  favourites: [{ name: 'Reception', number: '1005' }],
  sipListenerEnabled: true,
  startAtLogin: true,
  theme: 'dark',
  globalShortcut: 'CommandOrControl+Shift+D',
  dialShortcut: '',
};

async function load(yaml: string, extra: Record<string, string> = {}): Promise<AdminLoad> {
  const file = join(dir, 'admin.yaml');
  await writeFile(file, yaml);
  for (const [name, content] of Object.entries(extra)) await writeFile(join(dir, name), content);
  return loadAdminFile(file);
}

describe('where the administrator file lives', () => {
  it('per OS, machine-wide', () => {
    expect(adminFilePath('linux', {})).toBe('/etc/deskline/admin.yaml');
    expect(adminFilePath('darwin', {})).toBe('/Library/Application Support/Deskline/admin.yaml');
    expect(adminFilePath('win32', { ProgramData: 'D:\\ProgramData' })).toBe(
      join('D:\\ProgramData', 'Deskline', 'admin.yaml'),
    );
  });

  it('DESKLINE_ADMIN_FILE moves it only in an unpackaged build', () => {
    const env = { DESKLINE_ADMIN_FILE: '/tmp/elsewhere.yaml' };
    expect(resolveAdminFilePath({ platform: 'linux', env, packaged: false })).toBe('/tmp/elsewhere.yaml');
    expect(resolveAdminFilePath({ platform: 'linux', env, packaged: true })).toBe('/etc/deskline/admin.yaml');
  });
});

describe('loadAdminFile', () => {
  it('no file: absent, nothing locked, updates on with the packaged feed', async () => {
    const absent = await loadAdminFile(join(dir, 'admin.yaml'));
    expect(absent).toEqual({ state: 'absent', file: join(dir, 'admin.yaml') });
    expect(effectiveSettings(USER, absent)).toEqual({
      ...USER,
      administrator: { file: join(dir, 'admin.yaml'), state: 'absent', locked: [] },
    });
    expect(lockedFieldsProblem({ ctiAddresses: [] }, absent)).toBeUndefined();
    expect(updatePolicyFor(absent)).toEqual({
      enabled: true,
      autoDownload: true,
      checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS,
    });
  });

  it('a complete file: the Administrator part is the file’s and locked; You stays the user’s', async () => {
    const managed = await load(
      [
        'version: 1',
        'cti:',
        '  addresses: [cucm-sub1.example.com:2748, "cucm-sub2.example.com:2748"]',
        '  applicationUser: deskline-cti',
        '  passwordFile: cti-password',
        '  heartbeatIntervalSec: 20',
        'sipListener: { enabled: false }',
        'updates:',
        '  url: https://updates.example.com/deskline',
        '  channel: beta',
        '  autoDownload: false',
        '  checkIntervalHours: 12',
      ].join('\n'),
      { 'cti-password': 's3cret\n' },
    );
    expect(managed.state).toBe('managed');
    const view = effectiveSettings(USER, managed);
    expect(view).toEqual({
      ...USER,
      ctiAddresses: ['cucm-sub1.example.com:2748', 'cucm-sub2.example.com:2748'],
      applicationUser: 'deskline-cti',
      heartbeatIntervalSec: 20,
      sipListenerEnabled: false,
      hasPassword: true,
      administrator: { file: join(dir, 'admin.yaml'), state: 'managed', locked: [...ADMIN_FIELDS] },
    });
    expect(effectivePassword('the user’s', managed)).toBe('s3cret');
    expect(updatePolicyFor(managed)).toEqual({
      enabled: true,
      autoDownload: false,
      checkIntervalMs: 12 * 3_600_000,
      feed: { url: 'https://updates.example.com/deskline', channel: 'beta' },
    });
    // A patch touching the administrator's fields is refused with a code; the user's fields are not.
    expect(lockedFieldsProblem({ ctiAddresses: [], theme: 'light' }, managed)).toMatchObject({
      code: SETTING_LOCKED,
      message: expect.stringMatching(/Set by your administrator.*ctiAddresses/),
    });
    expect(lockedFieldsProblem({ password: 'x' }, managed)?.code).toBe(SETTING_LOCKED);
    expect(
      lockedFieldsProblem({ theme: 'light', userId: 'bob', dialShortcut: 'Alt+Shift+C' }, managed),
    ).toBeUndefined();
  });

  it('a minimal file sets defaults: the demo cluster, no password, updates on', async () => {
    const managed = await load('version: 1\n');
    expect(effectiveSettings(USER, managed)).toMatchObject({
      ctiAddresses: [],
      applicationUser: '',
      heartbeatIntervalSec: 30,
      sipListenerEnabled: false,
      hasPassword: false,
    });
    expect(effectivePassword('ignored', managed)).toBeUndefined();
    expect(updatePolicyFor(managed)).toEqual({
      enabled: true,
      autoDownload: true,
      checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS,
    });
  });

  it.each([
    ['version: 2', /admin\.yaml: version: the only version is 1/],
    ['version: 1\ncti: { addresses: [not-an-address] }', /cti\.addresses\.0: expected host:port/],
    ['version: 1\ncti: { addresses: [a:1, A:1] }', /cti\.addresses\.1: duplicate address A:1/],
    ['version: 1\ncti: { adresses: [a:1] }', /cti: Unrecognized key: "adresses"/],
    ['version: 1\ncti: { heartbeatIntervalSec: 0 }', /cti\.heartbeatIntervalSec: /],
    [
      'version: 1\ncti: { password: a, passwordFile: b }',
      /cti: password and passwordFile: give one, not both/,
    ],
    ['version: 1\ncti: { passwordFile: missing }', /cti\.passwordFile: .*missing cannot be read \(ENOENT\)/],
    ['version: 1\nupdates: { url: "http://updates.example.com/" }', /updates\.url: must be an https URL/],
    ['version: 1\nupdates: { channel: nightly }', /updates\.channel: /],
    ['version: 1\nupdates: { checkIntervalHours: 0.1 }', /updates\.checkIntervalHours: /],
    ['version: 1\nsurprise: true', /\(root\): Unrecognized key: "surprise"/],
    ['version: [1', /not valid YAML/],
  ])('%s → invalid, naming the field', async (yaml, problem) => {
    const invalid = await load(yaml);
    expect(invalid).toEqual({
      state: 'invalid',
      file: join(dir, 'admin.yaml'),
      problem: expect.stringMatching(problem),
    });
    if (invalid.state !== 'invalid') return;
    // Locked, updates off, the user's values not used for the phone system (main keeps the
    // engine stopped and says why).
    const view = effectiveSettings(USER, invalid);
    expect(view.administrator).toEqual({
      file: invalid.file,
      state: 'invalid',
      locked: [...ADMIN_FIELDS],
      problem: invalid.problem,
    });
    expect(lockedFieldsProblem({ applicationUser: 'x' }, invalid)?.code).toBe(SETTING_LOCKED);
    expect(updatePolicyFor(invalid).enabled).toBe(false);
  });

  it('a loopback http feed is allowed (a local test feed)', async () => {
    const managed = await load('version: 1\nupdates: { url: "http://127.0.0.1:8080/feed" }');
    expect(updatePolicyFor(managed).feed).toEqual({ url: 'http://127.0.0.1:8080/feed', channel: 'latest' });
  });
});
