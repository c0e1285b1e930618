// The preload as shipped: bundled by scripts/build.mjs, then run in a fresh VM context whose
// only module is a fake 'electron' (a sandboxed preload can require nothing else). Its IPC
// goes to main's real handlers (registerIpc/invokeMethod), so this checks the bridge end to end.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_CHANNEL,
  READY_CHANNEL,
  methods,
  type DesklineBridge,
  type MethodHandlers,
} from '../../common/src/api/contract.js';
import type { SettingsView } from '../../common/src/api/views.js';
import { MemoryLogger } from '../../gateway/src/index.js';
import { buildMain } from '../../scripts/build.mjs';
import { DeskProxy } from '../src/desk-proxy.js';
import { registerIpc, type IpcEventLike, type IpcMainLike } from '../src/ipc.js';
import { APP_ENTRY_URL, senderPolicy } from '../src/security.js';
import { desk } from './support/views.js';

const SETTINGS: SettingsView = {
  ctiAddresses: [],
  applicationUser: '',
  hasPassword: false,
  heartbeatIntervalSec: 30,
  userId: 'alice',
  favourites: [],
  sipListenerEnabled: false,
  startAtLogin: false,
  theme: 'dark',
  globalShortcut: '',
};

let outDir: string;
let preloadSource: string;
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'deskline-bundle-'));
  process.env['DESKLINE_BUILD_QUIET'] = '1';
  await buildMain({ outDir });
  preloadSource = await readFile(join(outDir, 'preload.cjs'), 'utf8');
}, 60_000);
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

interface Loaded {
  bridge: DesklineBridge;
  exposed: string[];
  required: string[];
  sent: string[];
  emit(message: unknown): void;
}

/** Runs the bundled preload with a fake electron whose invoke goes to `invoke`. */
function loadPreload(invoke: (channel: string, request: unknown) => Promise<unknown>): Loaded {
  const exposed: string[] = [];
  const required: string[] = [];
  const sent: string[] = [];
  let bridge: DesklineBridge | undefined;
  let eventListener: ((event: unknown, message: unknown) => void) | undefined;
  const electron = {
    contextBridge: {
      exposeInMainWorld(name: string, api: DesklineBridge) {
        exposed.push(name);
        bridge = api;
      },
    },
    ipcRenderer: {
      invoke: (channel: string, request: unknown) => invoke(channel, request),
      send: (channel: string) => sent.push(channel),
      on(channel: string, listener: (event: unknown, message: unknown) => void) {
        expect(channel).toBe(EVENT_CHANNEL);
        eventListener = listener;
      },
    },
  };
  const module = { exports: {} };
  runInNewContext(preloadSource, {
    require: (name: string) => {
      required.push(name);
      if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
      return electron;
    },
    module,
    exports: module.exports,
    console,
  });
  if (bridge === undefined) throw new Error('the preload exposed nothing');
  return { bridge, exposed, required, sent, emit: (message) => eventListener?.({}, message) };
}

/** Main's real IPC handlers behind a fake ipcMain, called as from our page. */
function mainSide(
  overrides: Partial<MethodHandlers> = {},
): (channel: string, request: unknown) => Promise<unknown> {
  const registered = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => void registered.set(channel, listener),
    removeHandler: () => undefined,
    on: () => undefined,
    removeListener: () => undefined,
  };
  const proxy = new DeskProxy(new MemoryLogger());
  const handlers: MethodHandlers = {
    ...proxy.handlers(),
    'desk.getState': () => desk(),
    'app.getSettings': () => SETTINGS,
    'app.updateSettings': () => SETTINGS,
    'app.listHistory': () => [],
    'app.clearHistory': () => ({ ok: true }),
    'app.historySeen': () => ({ unseenMissed: 0 }),
    'app.setFavourites': () => SETTINGS,
    'app.recentNumbers': () => ['2002'],
    'app.hideWindow': () => ({ ok: true }),
    ...overrides,
  };
  registerIpc(ipcMain, {
    handlers,
    policy: senderPolicy(),
    logger: new MemoryLogger(),
    onReady: () => undefined,
  });
  const event: IpcEventLike = { senderFrame: { url: APP_ENTRY_URL, parent: null }, sender: { id: 1 } };
  return async (channel, request) => {
    const handler = registered.get(channel);
    if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, request);
  };
}

describe('the bundled preload', () => {
  it('is one CommonJS file that requires only electron and exposes only window.deskline', () => {
    const loaded = loadPreload(mainSide());
    expect(loaded.required).toEqual(['electron']);
    expect(loaded.exposed).toEqual(['deskline']);
    expect(Object.keys(loaded.bridge).sort()).toEqual(['api', 'on', 'ready']);
    // The domain API has every method of the contract, and nothing raw.
    const members = Object.entries(loaded.bridge.api).flatMap(([ns, group]) =>
      Object.keys(group).map((member) => `${ns}.${member}`),
    );
    expect(members.sort()).toEqual(Object.keys(methods).sort());
    expect(preloadSource).not.toMatch(/exposeInMainWorld\(\s*["']ipcRenderer/);
  });

  it('calls main through the contract and validates the answers', async () => {
    const loaded = loadPreload(mainSide());
    expect(await loaded.bridge.api.app.getSettings({})).toEqual(SETTINGS);
    expect(await loaded.bridge.api.app.recentNumbers({})).toEqual(['2002']);
    expect((await loaded.bridge.api.desk.getState({})).selectedLineId).toBe(desk().selectedLineId);
    await expect(loaded.bridge.api.desk.makeCall({ number: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(loaded.bridge.api.desk.hold({ callId: 'x' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
  });

  it('refuses an answer that is not what the contract says', async () => {
    const loaded = loadPreload(async () => ({ ok: true, value: { theme: 'neon' } }));
    await expect(loaded.bridge.api.app.getSettings({})).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('delivers valid events, drops invalid or unknown ones, and unsubscribes', () => {
    const loaded = loadPreload(mainSide());
    const got: unknown[] = [];
    const off = loaded.bridge.on('app.notice', (payload) => got.push(payload));
    loaded.emit({ name: 'app.notice', payload: { level: 'info', message: 'hello', at: 1 } });
    loaded.emit({ name: 'app.notice', payload: { level: 'loud', message: 'bad', at: 1 } });
    loaded.emit({ name: 'app.unknown', payload: {} });
    loaded.emit('garbage');
    loaded.emit(null);
    expect(got).toEqual([{ level: 'info', message: 'hello', at: 1 }]);
    off();
    loaded.emit({ name: 'app.notice', payload: { level: 'info', message: 'after', at: 2 } });
    expect(got).toHaveLength(1);
    expect(() => loaded.bridge.on('nope' as 'app.notice', () => undefined)).toThrow(/unknown event/);
  });

  it('ready() tells main on the READY channel', () => {
    const loaded = loadPreload(mainSide());
    loaded.bridge.ready();
    expect(loaded.sent).toEqual([READY_CHANNEL]);
  });
});
