import { describe, expect, it } from 'vitest';
import {
  READY_CHANNEL,
  channelOf,
  createDomainApi,
  methods,
  type MethodHandlers,
  type MethodName,
} from '../../common/src/api/contract.js';
import { DesklineError, ErrorCode, MemoryLogger } from '../../gateway/src/index.js';
import { DeskProxy } from '../src/desk-proxy.js';
import {
  SENDER_REFUSED,
  invokeMethod,
  registerIpc,
  type IpcEventLike,
  type IpcMainLike,
} from '../src/ipc.js';
import { APP_ENTRY_URL, senderPolicy } from '../src/security.js';
import { call } from './support/views.js';

const policy = senderPolicy();
const fromApp: IpcEventLike = {
  senderFrame: { url: `${APP_ENTRY_URL}#/calls`, parent: null },
  sender: { id: 1 },
};

/** Every handler, answering valid values; `overrides` replace some. */
function handlers(overrides: Partial<MethodHandlers> = {}): {
  handlers: MethodHandlers;
  calls: MethodName[];
} {
  const calls: MethodName[] = [];
  const proxy = new DeskProxy(new MemoryLogger());
  const base = proxy.handlers();
  const settings = {
    ctiAddresses: [],
    applicationUser: '',
    hasPassword: false,
    heartbeatIntervalSec: 30,
    userId: '',
    favourites: [],
    sipListenerEnabled: false,
    startAtLogin: false,
    theme: 'system' as const,
    globalShortcut: '',
  };
  const all: MethodHandlers = {
    ...base,
    'desk.makeCall': ({ number }) => call({ callId: 'c1', state: 'initiated', remote: { number } }),
    'app.getSettings': () => settings,
    'app.updateSettings': () => settings,
    'app.listHistory': () => [],
    'app.clearHistory': () => ({ ok: true }),
    'app.historySeen': () => ({ unseenMissed: 0 }),
    'app.setFavourites': () => settings,
    'app.recentNumbers': () => [],
    'app.hideWindow': () => ({ ok: true }),
    ...overrides,
  };
  // The same handlers, each recording its call first (the map keeps every key of `all`).
  const recorded = Object.fromEntries(
    Object.entries(all).map(([name, handler]) => [
      name,
      (request: unknown) => {
        calls.push(name as MethodName);
        return (handler as (request: unknown) => unknown)(request);
      },
    ]),
  ) as MethodHandlers;
  return { handlers: recorded, calls };
}

describe('invokeMethod', () => {
  it('answers a valid call from our page', async () => {
    const { handlers: h } = handlers();
    const result = await invokeMethod(
      'desk.makeCall',
      fromApp,
      { number: '2002' },
      { handlers: h, policy, logger: new MemoryLogger() },
    );
    expect(result.ok).toBe(true);
    expect(result.ok && methods['desk.makeCall'].response.safeParse(result.value).success).toBe(true);
  });

  it.each([
    ['another origin', { url: 'https://evil.example/index.html', parent: null }],
    ['a file:// page', { url: 'file:///tmp/index.html', parent: null }],
    ['a look-alike host', { url: 'deskline-app://app.evil/index.html', parent: null }],
    ['a subframe of our page', { url: APP_ENTRY_URL, parent: {} }],
    ['no frame', null],
    ['an unparseable URL', { url: 'not a url', parent: null }],
  ])('refuses %s, without calling the handler, and logs it', async (_name, frame) => {
    const { handlers: h, calls } = handlers();
    const logger = new MemoryLogger();
    const result = await invokeMethod(
      'app.getSettings',
      { senderFrame: frame, sender: { id: 9 } },
      {},
      { handlers: h, policy, logger },
    );
    expect(result).toEqual({
      ok: false,
      error: { code: SENDER_REFUSED, message: expect.stringMatching(/^app\.getSettings: refused/) },
    });
    expect(calls).toEqual([]);
    expect(logger.records.some((r) => r.level === 'warn' && r.message === 'ipc: call refused')).toBe(true);
  });

  it('accepts a loopback dev server only when configured', async () => {
    const { handlers: h } = handlers();
    const dev = { senderFrame: { url: 'http://127.0.0.1:5173/', parent: null }, sender: { id: 1 } };
    const refused = await invokeMethod(
      'app.recentNumbers',
      dev,
      {},
      { handlers: h, policy, logger: new MemoryLogger() },
    );
    expect(refused.ok).toBe(false);
    const allowed = await invokeMethod(
      'app.recentNumbers',
      dev,
      {},
      { handlers: h, policy: senderPolicy('http://127.0.0.1:5173'), logger: new MemoryLogger() },
    );
    expect(allowed.ok).toBe(true);
    expect(senderPolicy('https://example.com').origins.has('https://example.com')).toBe(false);
  });

  it('an invalid payload becomes INVALID_ARGUMENT naming the field; the handler is not called', async () => {
    const { handlers: h, calls } = handlers();
    const deps = { handlers: h, policy, logger: new MemoryLogger() };
    expect(await invokeMethod('desk.makeCall', fromApp, { number: '' }, deps)).toEqual({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: 'desk.makeCall: number: a number is required' },
    });
    const extra = await invokeMethod('desk.makeCall', fromApp, { number: '1', evil: true }, deps);
    expect(!extra.ok && extra.error.code).toBe('INVALID_ARGUMENT');
    const notObject = await invokeMethod('desk.digits', fromApp, 'rm -rf', deps);
    expect(!notObject.ok && notObject.error.code).toBe('INVALID_ARGUMENT');
    expect(calls).toEqual([]);
  });

  it('a coded error keeps its code and message', async () => {
    const { handlers: h } = handlers({
      'desk.makeCall': () => {
        throw new DesklineError(ErrorCode.NoHealthyCtiConnection, 'no CTI connection is up');
      },
    });
    expect(
      await invokeMethod(
        'desk.makeCall',
        fromApp,
        { number: '1' },
        { handlers: h, policy, logger: new MemoryLogger() },
      ),
    ).toEqual({
      ok: false,
      error: { code: 'NO_HEALTHY_CTI_CONNECTION', message: 'no CTI connection is up' },
    });
  });

  it('an unknown throw is wrapped as INTERNAL; its text is logged, not sent', async () => {
    const logger = new MemoryLogger();
    const { handlers: h } = handlers({
      'app.clearHistory': async () => {
        throw new TypeError('cannot read properties of undefined (secret internals)');
      },
    });
    const result = await invokeMethod('app.clearHistory', fromApp, {}, { handlers: h, policy, logger });
    expect(result).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'app.clearHistory failed unexpectedly' },
    });
    expect(JSON.stringify(logger.records)).toContain('secret internals');
    const thrownString = handlers({
      'app.hideWindow': () => {
        throw 'a string';
      },
    });
    const stringResult = await invokeMethod(
      'app.hideWindow',
      fromApp,
      {},
      { handlers: thrownString.handlers, policy, logger },
    );
    expect(!stringResult.ok && stringResult.error.code).toBe('INTERNAL');
  });

  it('a result outside the contract is refused and logged', async () => {
    const logger = new MemoryLogger();
    const { handlers: h } = handlers({ 'app.recentNumbers': () => [42] as unknown as string[] });
    const result = await invokeMethod('app.recentNumbers', fromApp, {}, { handlers: h, policy, logger });
    expect(result).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'app.recentNumbers answered an invalid response' },
    });
    expect(
      logger.records.some((r) => r.level === 'error' && r.message.includes('outside the contract')),
    ).toBe(true);
  });
});

/** An ipcMain stand-in: records registrations, lets the test invoke channels. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  readonly listeners = new Map<string, Set<(event: IpcEventLike, ...args: unknown[]) => void>>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): void {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
  }
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): void {
    this.listeners.get(channel)?.delete(listener);
  }
  invoke(channel: string, event: IpcEventLike, request: unknown): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(handler(event, request));
  }
  send(channel: string, event: IpcEventLike): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(event);
  }
}

describe('registerIpc', () => {
  it('registers one handler per method of the contract, plus READY, and removes them all', () => {
    const ipc = new FakeIpcMain();
    const dispose = registerIpc(ipc, {
      ...handlers(),
      policy,
      logger: new MemoryLogger(),
      onReady: () => undefined,
    });
    expect([...ipc.handlers.keys()].sort()).toEqual(
      (Object.keys(methods) as MethodName[]).map(channelOf).sort(),
    );
    expect(ipc.listeners.get(READY_CHANNEL)?.size).toBe(1);
    dispose();
    expect(ipc.handlers.size).toBe(0);
    expect(ipc.listeners.get(READY_CHANNEL)?.size).toBe(0);
  });

  it('READY counts only from our pages', () => {
    const ipc = new FakeIpcMain();
    const ready: number[] = [];
    registerIpc(ipc, {
      ...handlers(),
      policy,
      logger: new MemoryLogger(),
      onReady: (event) => ready.push(event.sender.id),
    });
    ipc.send(READY_CHANNEL, {
      senderFrame: { url: 'https://evil.example/', parent: null },
      sender: { id: 2 },
    });
    ipc.send(READY_CHANNEL, fromApp);
    expect(ready).toEqual([1]);
  });

  it("the renderer's domain API round-trips through the handlers (the contract end to end)", async () => {
    const ipc = new FakeIpcMain();
    const proxy = new DeskProxy(new MemoryLogger());
    const base = handlers();
    registerIpc(ipc, {
      handlers: { ...base.handlers, ...proxy.handlers() },
      policy,
      logger: new MemoryLogger(),
      onReady: () => undefined,
    });
    const api = createDomainApi(
      (method, request) => ipc.invoke(channelOf(method), fromApp, request) as Promise<never>,
    );
    expect((await api.app.getSettings({})).theme).toBe('system');
    // Before the engine runs: an offline state saying why, and commands refused with the reason.
    expect((await api.desk.getState({})).session).toEqual({
      state: 'failed',
      reason: 'Deskline is starting',
    });
    await expect(api.desk.makeCall({ number: '2002' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: 'Not connected: Deskline is starting',
    });
    await expect(api.desk.makeCall({ number: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
