import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CTI_PASSWORD_SECRET, MemorySecretStore, type SecretStore } from '../../src/stores/secret-store.js';
import {
  DEFAULT_SETTINGS,
  SETTINGS_FILE,
  SettingsStore,
  type SettingsField,
} from '../../src/stores/settings-store.js';
import { MemoryLogger } from '../../../gateway/src/index.js';
import { FaultyFs } from './support/faulty-fs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openStore(
  options: { secrets?: SecretStore; fs?: FaultyFs; logger?: MemoryLogger } = {},
): Promise<SettingsStore> {
  return SettingsStore.open({
    dir,
    secrets: options.secrets ?? new MemorySecretStore(),
    logger: options.logger ?? new MemoryLogger(),
    ...(options.fs ? { fs: options.fs } : {}),
  });
}

const fileJson = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, SETTINGS_FILE), 'utf8'));

describe('SettingsStore', () => {
  it('starts from the defaults and persists updates across a restart', async () => {
    const store = await openStore();
    expect(store.get()).toEqual({ ...DEFAULT_SETTINGS, hasPassword: false });
    const result = await store.update({
      ctiAddresses: ['cti1.example.com:2748', '[::1]:2749'],
      userId: 'alice',
      theme: 'dark',
    });
    expect(result.ok).toBe(true);
    await store.dispose();
    const again = await openStore();
    expect(again.get()).toMatchObject({
      ctiAddresses: ['cti1.example.com:2748', '[::1]:2749'],
      userId: 'alice',
      theme: 'dark',
    });
    expect(again.loadedFrom).toBe('current');
    expect(await fileJson()).toEqual({
      version: 1,
      settings: {
        ...DEFAULT_SETTINGS,
        ctiAddresses: ['cti1.example.com:2748', '[::1]:2749'],
        userId: 'alice',
        theme: 'dark',
      },
    });
    await again.dispose();
  });

  it('refuses a bad patch naming the field, and changes nothing', async () => {
    const store = await openStore();
    await store.update({ userId: 'alice' });
    const before = await fileJson();
    const cases: Array<[unknown, RegExp]> = [
      [{ heartbeatIntervalSec: 0 }, /heartbeatIntervalSec/],
      [{ ctiAddresses: ['no-port'] }, /ctiAddresses\.0: expected host:port/],
      [{ ctiAddresses: Array.from({ length: 9 }, (_, i) => `h${i}:1`) }, /ctiAddresses/],
      [{ ctiAddresses: ['a:1', 'A:1'] }, /ctiAddresses\.1: duplicate address/],
      [{ theme: 'neon' }, /theme/],
      [{ globalShortcut: 'D' }, /globalShortcut: needs at least one modifier/],
      [{ globalShortcut: 'Ctrl+Hyper+D' }, /globalShortcut: "Hyper" is not a modifier/],
      [{ dialShortcut: 'X' }, /dialShortcut: needs at least one modifier/],
      [
        { dialShortcut: 'commandorcontrol+shift+d' },
        /dialShortcut: is already the shortcut that shows Deskline/,
      ],
      [{ hasPassword: true }, /Unrecognized key|hasPassword/],
      [{ administrator: { file: 'x', state: 'absent', locked: [] } }, /Unrecognized key|administrator/],
      [{ surprise: 1 }, /surprise/],
      ['not an object', /settings: /],
    ];
    for (const [patch, message] of cases) {
      const result = await store.update(patch);
      expect(result.ok, JSON.stringify(patch)).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('INVALID_ARGUMENT');
        expect(result.error.message).toMatch(message);
      }
    }
    expect(store.get().userId).toBe('alice');
    expect(await fileJson()).toEqual(before);
    await store.dispose();
  });

  it('keeps the password in the SecretStore, never in the JSON', async () => {
    const secrets = new MemorySecretStore();
    const logger = new MemoryLogger();
    const store = await openStore({ secrets, logger });
    const result = await store.update({ applicationUser: 'ctiapp', password: 's3cret-Pa55' });
    expect(result.ok && result.value.hasPassword).toBe(true);
    expect(await secrets.get(CTI_PASSWORD_SECRET)).toBe('s3cret-Pa55');
    expect(await store.password()).toBe('s3cret-Pa55');
    const files = await readdir(dir);
    for (const name of files) expect(await readFile(join(dir, name), 'utf8')).not.toContain('s3cret-Pa55');
    expect(JSON.stringify(logger.records)).not.toContain('s3cret-Pa55');
    await store.dispose();
    // hasPassword is derived from the SecretStore at the next start.
    const again = await openStore({ secrets });
    expect(again.get().hasPassword).toBe(true);
    const cleared = await again.update({ password: '' });
    expect(cleared.ok && cleared.value.hasPassword).toBe(false);
    expect(await secrets.get(CTI_PASSWORD_SECRET)).toBeUndefined();
    await again.dispose();
  });

  it('tells listeners which fields changed (hasPassword when the password changed)', async () => {
    const store = await openStore();
    const seen: Array<SettingsField[]> = [];
    store.onChange((_view, changed) => seen.push([...changed].sort()));
    await store.update({ userId: 'alice', theme: 'system' }); // theme is already 'system'
    await store.update({ userId: 'alice' }); // no change: no event, no write
    await store.update({ password: 'one' });
    await store.update({ password: 'two' });
    expect(seen).toEqual([['userId'], ['hasPassword'], ['hasPassword']]);
    await store.dispose();
  });

  it('a failed save changes nothing, the password included', async () => {
    const fs = new FaultyFs();
    const secrets = new MemorySecretStore();
    const store = await openStore({ fs, secrets });
    await store.update({ userId: 'alice', password: 'old' });
    fs.failAt('writeFileSynced');
    const result = await store.update({ userId: 'bob', password: 'new' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/settings\.json could not be saved/);
    expect(store.get().userId).toBe('alice');
    expect(await secrets.get(CTI_PASSWORD_SECRET)).toBe('old');
    await store.dispose();
    expect((await openStore({ secrets })).get().userId).toBe('alice');
  });

  it('serializes concurrent updates (none is lost)', async () => {
    const store = await openStore();
    await Promise.all([
      store.update({ userId: 'u1' }),
      store.update({ theme: 'dark' }),
      store.update({ startAtLogin: true }),
    ]);
    await store.dispose();
    expect((await openStore()).get()).toMatchObject({ userId: 'u1', theme: 'dark', startAtLogin: true });
  });

  it('fills fields an older file lacks with defaults', async () => {
    await writeFile(
      join(dir, SETTINGS_FILE),
      JSON.stringify({ version: 1, settings: { userId: 'old-user' } }),
    );
    const store = await openStore();
    expect(store.get()).toEqual({ ...DEFAULT_SETTINGS, userId: 'old-user', hasPassword: false });
    await store.dispose();
  });

  it('falls back to the last good file when a field is bad, naming it in the warning', async () => {
    const store = await openStore();
    await store.update({ userId: 'good' });
    await store.update({ theme: 'dark' }); // settings.json.bak now holds { userId: 'good' }
    await store.dispose();
    const damaged = {
      version: 1,
      settings: { ...DEFAULT_SETTINGS, userId: 'good', theme: 'dark', heartbeatIntervalSec: -5 },
    };
    await writeFile(join(dir, SETTINGS_FILE), JSON.stringify(damaged));
    const logger = new MemoryLogger();
    const again = await openStore({ logger });
    expect(again.loadedFrom).toBe('backup');
    expect(again.get()).toMatchObject({ userId: 'good', theme: 'system' });
    expect(again.loadProblems.join()).toMatch(/settings\.heartbeatIntervalSec/);
    const warning = logger.records.find((r) => r.level === 'warn');
    expect(JSON.stringify(warning?.fields)).toMatch(/settings\.heartbeatIntervalSec/);
    await again.dispose();
  });

  it('refuses updates after dispose', async () => {
    const store = await openStore();
    await store.dispose();
    const result = await store.update({ userId: 'late' });
    expect(!result.ok && result.error.code).toBe('DISPOSED');
  });

  it("remembers each user's chosen line beside the settings, across restarts, bounded", async () => {
    const store = await openStore();
    expect(store.rememberedLine('carol')).toBeUndefined();
    expect((await store.rememberLine('Carol', 'SEP00AABB000003/1004/INTERNAL')).ok).toBe(true);
    expect((await store.update({ theme: 'dark' })).ok).toBe(true);
    await store.dispose();
    expect(await fileJson()).toMatchObject({
      settings: { theme: 'dark' },
      lines: { carol: 'SEP00AABB000003/1004/INTERNAL' },
    });
    const again = await openStore();
    expect(again.rememberedLine('CAROL')).toBe('SEP00AABB000003/1004/INTERNAL');
    // The settings view does not carry it: it is not a setting.
    expect(Object.keys(again.get())).not.toContain('lines');
    for (let i = 0; i < 40; i++) await again.rememberLine(`user${i}`, `SEP0/${i}/INTERNAL`);
    expect(again.rememberedLine('user39')).toBe('SEP0/39/INTERNAL');
    expect(again.rememberedLine('carol')).toBeUndefined(); // the oldest went first
    await again.dispose();
    expect(Object.keys((await fileJson()) as { lines: object })).toContain('lines');
  });

  it('a remembered line that cannot be saved is not remembered', async () => {
    const fs = new FaultyFs();
    const store = await openStore({ fs });
    fs.failAt('writeFileSynced');
    expect((await store.rememberLine('alice', 'SEP00AABB000001/1001/INTERNAL')).ok).toBe(false);
    expect(store.rememberedLine('alice')).toBeUndefined();
    await store.dispose();
  });
});

describe('a process killed in the middle of a save loses nothing', () => {
  const writer = fileURLToPath(new URL('./support/crash-writer.ts', import.meta.url));

  /** Runs the writer until it reports reaching `point`, then SIGKILLs it. */
  function killAt(point: string, userId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, point, userId], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let errText = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('CRASH-POINT')) child.kill('SIGKILL');
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        errText += chunk;
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL' && out.includes(`CRASH-POINT ${point}`)) resolve(out);
        else reject(new Error(`writer exited ${code ?? signal} before ${point}: ${out} ${errText}`));
      });
    });
  }

  const cases: Array<{ point: string; expected: 'previous' | 'new' }> = [
    { point: 'mid-write', expected: 'previous' },
    { point: 'before-backup', expected: 'previous' },
    { point: 'before-replace', expected: 'previous' },
    { point: 'before-dir-sync', expected: 'new' },
  ];
  for (const { point, expected } of cases) {
    it(`killed ${point}`, async () => {
      const store = await openStore();
      await store.update({ userId: 'first', favourites: [{ name: 'Reception', number: '1000' }] });
      await store.update({ userId: 'previous', ctiAddresses: ['10.0.0.1:2748'] });
      await store.dispose();

      await killAt(point, 'new');

      const logger = new MemoryLogger();
      const after = await openStore({ logger });
      expect(after.get()).toMatchObject({
        userId: expected,
        favourites: [{ name: 'Reception', number: '1000' }],
        ctiAddresses: ['10.0.0.1:2748'],
      });
      // The half-written temp file is gone after the load, and the next save works.
      expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
      expect((await after.update({ userId: 'later' })).ok).toBe(true);
      await after.dispose();
      expect((await openStore()).get().userId).toBe('later');
    });
  }
});
