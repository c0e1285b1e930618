// The browser shell's client bridge against a real WebSocket peer on 127.0.0.1:0 (the ws
// package plays the shell server so that each test controls what the server does), plus
// the reconnect policy with scripted sockets and timers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { DeskApiError } from '../../common/src/api/contract.js';
import type { DeskStateView } from '../../common/src/api/views.js';
import {
  createWsBridge,
  shellSocketUrl,
  takeShellToken,
  type BridgeTimers,
  type SocketLike,
  type WsBridge,
} from '../src/bridge/ws-bridge.js';

const STATE: DeskStateView = {
  user: null,
  lines: [],
  selectedLineId: null,
  session: { state: 'noLine' },
  calls: [],
  features: { forwarding: [], doNotDisturb: false },
  cti: { overall: 'down', nodes: [] },
};

interface Peer {
  server: WebSocketServer;
  url: string;
  connections: WebSocket[];
  /** Frames received, parsed, in order, across connections. */
  frames: Array<Record<string, unknown>>;
  upgradeUrls: string[];
  nextFrame(predicate?: (frame: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  nextConnection(): Promise<WebSocket>;
  close(): Promise<void>;
}

async function startPeer(): Promise<Peer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  const connections: WebSocket[] = [];
  const frames: Array<Record<string, unknown>> = [];
  const upgradeUrls: string[] = [];
  const frameWaiters: Array<{
    predicate: (f: Record<string, unknown>) => boolean;
    resolve: (f: Record<string, unknown>) => void;
  }> = [];
  const connectionWaiters: Array<(socket: WebSocket) => void> = [];
  let consumed = 0;
  server.on('connection', (socket, request) => {
    connections.push(socket);
    upgradeUrls.push(request.url ?? '');
    connectionWaiters.shift()?.(socket);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      frames.push(frame);
      const index = frameWaiters.findIndex((w) => w.predicate(frame));
      if (index >= 0) {
        const [waiter] = frameWaiters.splice(index, 1);
        consumed = frames.length;
        waiter?.resolve(frame);
      }
    });
  });
  let connectionsTaken = 0;
  return {
    server,
    url: `ws://127.0.0.1:${address.port}/ws`,
    connections,
    frames,
    upgradeUrls,
    nextFrame(predicate = () => true) {
      const already = frames.slice(consumed).find(predicate);
      if (already !== undefined) {
        consumed = frames.indexOf(already) + 1;
        return Promise.resolve(already);
      }
      return new Promise((resolve) => frameWaiters.push({ predicate, resolve }));
    },
    nextConnection() {
      const existing = connections[connectionsTaken];
      connectionsTaken += 1;
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolve) => connectionWaiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

const peers: Peer[] = [];
const bridges: WsBridge[] = [];

function bridgeTo(peer: Peer, extra: Partial<Parameters<typeof createWsBridge>[0]> = {}): WsBridge {
  const bridge = createWsBridge({
    url: peer.url,
    token: 'tok/with+chars',
    createSocket: (url) => new WebSocket(url),
    backoff: { initialMs: 10, maxMs: 40 },
    warn: () => undefined,
    ...extra,
  });
  bridges.push(bridge);
  return bridge;
}

const reply = (socket: WebSocket, id: unknown, envelope: unknown): void =>
  socket.send(JSON.stringify({ id, envelope }));

afterEach(async () => {
  for (const b of bridges.splice(0)) b.dispose();
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function peer(): Promise<Peer> {
  const p = await startPeer();
  peers.push(p);
  return p;
}

describe('ws bridge over a real socket', () => {
  it('connects with the token, calls methods and validates the answers', async () => {
    const p = await peer();
    const bridge = bridgeTo(p);
    const socket = await p.nextConnection();
    expect(p.upgradeUrls[0]).toBe('/ws?token=tok%2Fwith%2Bchars');

    const state = bridge.api.desk.getState({});
    const request = await p.nextFrame((f) => f.method === 'desk.getState');
    expect(request).toEqual({ id: expect.any(Number), method: 'desk.getState', request: {} });
    reply(socket, request.id, { ok: true, value: STATE });
    await expect(state).resolves.toEqual(STATE);

    const refused = bridge.api.desk.hold({ callId: 'c1' });
    const holdFrame = await p.nextFrame((f) => f.method === 'desk.hold');
    reply(socket, holdFrame.id, {
      ok: false,
      error: { code: 'CTI_NOT_CONNECTED', message: 'The CTI link is down' },
    });
    await expect(refused).rejects.toEqual(new DeskApiError('CTI_NOT_CONNECTED', 'The CTI link is down'));

    // A value that does not match the contract is refused by the renderer.
    const bogus = bridge.api.desk.getState({});
    const bogusFrame = await p.nextFrame((f) => f.method === 'desk.getState');
    reply(socket, bogusFrame.id, { ok: true, value: { nope: true } });
    await expect(bogus).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });

    // A malformed envelope too.
    const malformed = bridge.api.app.hideWindow({});
    const malformedFrame = await p.nextFrame((f) => f.method === 'app.hideWindow');
    reply(socket, malformedFrame.id, { yes: 1 });
    await expect(malformed).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
  });

  it('queues calls made before the socket opens and sends them in order', async () => {
    const p = await peer();
    const bridge = bridgeTo(p);
    const first = bridge.api.app.hideWindow({});
    const second = bridge.api.app.clearHistory({});
    const socket = await p.nextConnection();
    const a = await p.nextFrame();
    const b = await p.nextFrame();
    expect([a.method, b.method]).toEqual(['app.hideWindow', 'app.clearHistory']);
    reply(socket, a.id, { ok: true, value: { ok: true } });
    reply(socket, b.id, { ok: true, value: { ok: true } });
    await expect(first).resolves.toEqual({ ok: true });
    await expect(second).resolves.toEqual({ ok: true });
  });

  it('times a request out with a clear error', async () => {
    const p = await peer();
    const bridge = bridgeTo(p, { requestTimeoutMs: 50 });
    await p.nextConnection();
    await expect(bridge.api.desk.getState({})).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'desk.getState: no answer from Deskline within 50 ms',
    });
  });

  it('subscribes on ready() to the events listened to, and validates each event', async () => {
    const p = await peer();
    const warnings: string[] = [];
    const bridge = bridgeTo(p, { warn: (m) => warnings.push(m) });
    const socket = await p.nextConnection();
    const states: DeskStateView[] = [];
    bridge.on('desk.state', (s) => states.push(s));
    bridge.on('app.notice', () => undefined);
    bridge.ready();
    expect(await p.nextFrame((f) => 'subscribe' in f)).toEqual({ subscribe: ['desk.state', 'app.notice'] });
    // A new event name after ready() updates the subscription.
    const off = bridge.on('app.history', () => undefined);
    expect(await p.nextFrame((f) => 'subscribe' in f)).toEqual({
      subscribe: ['desk.state', 'app.notice', 'app.history'],
    });
    off();
    expect(await p.nextFrame((f) => 'subscribe' in f)).toEqual({ subscribe: ['desk.state', 'app.notice'] });

    socket.send(JSON.stringify({ event: 'desk.state', payload: { ...STATE, session: { state: 'bogus' } } }));
    socket.send(JSON.stringify({ event: 'desk.unknown', payload: {} }));
    socket.send('not json');
    socket.send(JSON.stringify({ event: 'desk.state', payload: STATE }));
    await vi.waitFor(() => expect(states).toHaveLength(1));
    expect(states[0]).toEqual(STATE);
    expect(warnings.some((w) => w.startsWith('invalid desk.state payload'))).toBe(true);
    expect(warnings.some((w) => w.startsWith('unknown event'))).toBe(true);
  });

  it('after a drop: fails what was in flight, reconnects, re-subscribes and resyncs snapshots', async () => {
    const p = await peer();
    const bridge = bridgeTo(p);
    const links: string[] = [];
    bridge.onLinkChange((l) => links.push(l));
    const first = await p.nextConnection();
    const states: DeskStateView[] = [];
    bridge.on('desk.state', (s) => states.push(s));
    bridge.ready();
    await p.nextFrame((f) => 'subscribe' in f);

    const inFlight = bridge.api.desk.makeCall({ number: '1234' });
    await p.nextFrame((f) => f.method === 'desk.makeCall');
    first.terminate();
    // Never resent: a MakeCall may have been placed already.
    await expect(inFlight).rejects.toMatchObject({ code: 'CONNECTION_LOST' });

    const second = await p.nextConnection();
    expect(await p.nextFrame((f) => 'subscribe' in f)).toEqual({ subscribe: ['desk.state'] });
    const resync = await p.nextFrame((f) => f.method === 'desk.getState');
    const fresh: DeskStateView = { ...STATE, session: { state: 'active' } };
    reply(second, resync.id, { ok: true, value: fresh });
    await vi.waitFor(() => expect(states).toEqual([fresh]));
    expect(links).toEqual(['open', 'reconnecting', 'open']);
    expect(p.frames.filter((f) => f.method === 'desk.makeCall')).toHaveLength(1);
  });

  it('dispose() closes the socket, fails pending calls and stops reconnecting', async () => {
    const p = await peer();
    const bridge = bridgeTo(p);
    const socket = await p.nextConnection();
    const pending = bridge.api.desk.getState({});
    await p.nextFrame();
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    bridge.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(await closed).toBe(1000);
    await expect(bridge.api.desk.getState({})).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(bridge.link).toBe('disposed');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(p.connections).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- reconnect policy, scripted

class ScriptedSocket implements SocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  private readonly handlers = new Map<string, Array<(event: never) => void>>();
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.fire('close', { code: 1000, reason: '' });
  }
  addEventListener(type: string, listener: (event: never) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  fire(type: 'open' | 'close' | 'message' | 'error', event: unknown = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const handler of this.handlers.get(type) ?? []) (handler as (e: unknown) => void)(event);
  }
}

class ScriptedTimers implements BridgeTimers {
  readonly scheduled: Array<{ ms: number; callback: () => void; cleared: boolean; fired: boolean }> = [];
  setTimeout(callback: () => void, ms: number): unknown {
    const entry = { ms, callback: () => undefined, cleared: false, fired: false };
    entry.callback = () => {
      entry.fired = true;
      callback();
    };
    this.scheduled.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown): void {
    const entry = this.scheduled.find((e) => e === handle);
    if (entry !== undefined) entry.cleared = true;
  }
  live(): number {
    return this.scheduled.filter((e) => !e.cleared && !e.fired).length;
  }
}

describe('reconnect policy', () => {
  it('backs off exponentially with jitter up to the cap, and resets after a success', () => {
    const sockets: ScriptedSocket[] = [];
    const timers = new ScriptedTimers();
    const bridge = createWsBridge({
      url: 'ws://127.0.0.1:1/ws',
      token: 't',
      createSocket: () => {
        const s = new ScriptedSocket();
        sockets.push(s);
        return s;
      },
      timers,
      random: () => 1,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      sockets[sockets.length - 1]?.fire('close', { code: 1006, reason: '' });
      const timer = timers.scheduled[timers.scheduled.length - 1];
      if (timer === undefined) throw new Error('no reconnect scheduled');
      delays.push(timer.ms);
      timer.callback();
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    sockets[sockets.length - 1]?.fire('open');
    sockets[sockets.length - 1]?.fire('close', { code: 1006, reason: '' });
    expect(timers.scheduled[timers.scheduled.length - 1]?.ms).toBe(100);
    bridge.dispose();
    expect(timers.live()).toBe(0);
  });

  it('jitter keeps each delay between half and all of the step', () => {
    const timers = new ScriptedTimers();
    const sockets: ScriptedSocket[] = [];
    const bridge = createWsBridge({
      url: 'ws://127.0.0.1:1/ws',
      token: 't',
      createSocket: () => {
        const s = new ScriptedSocket();
        sockets.push(s);
        return s;
      },
      timers,
      random: () => 0,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    sockets[0]?.fire('close', { code: 1006, reason: '' });
    expect(timers.scheduled[0]?.ms).toBe(50);
    bridge.dispose();
  });

  it('a socket that cannot even be created is retried too', () => {
    const timers = new ScriptedTimers();
    let attempts = 0;
    const bridge = createWsBridge({
      url: 'ws://127.0.0.1:1/ws',
      token: 't',
      createSocket: () => {
        attempts += 1;
        throw new Error('blocked');
      },
      timers,
      warn: () => undefined,
    });
    expect(attempts).toBe(1);
    expect(bridge.link).toBe('reconnecting');
    timers.scheduled[0]?.callback();
    expect(attempts).toBe(2);
    bridge.dispose();
    expect(timers.live()).toBe(0);
  });
});

describe('page plumbing', () => {
  it('takes the token from the URL, strips it from the address bar and keeps it for a reload', () => {
    const store = new Map<string, string>();
    const replaced: string[] = [];
    const page = {
      location: { href: 'http://127.0.0.1:4000/?token=abc_DEF-123&x=1#calls' },
      history: {
        state: null,
        replaceState: (_d: unknown, _u: string, url?: string | URL | null) => replaced.push(String(url)),
      },
      sessionStorage: {
        getItem: (k: string) => store.get(k) ?? null,
        setItem: (k: string, v: string) => void store.set(k, v),
      },
    };
    expect(takeShellToken(page)).toBe('abc_DEF-123');
    expect(replaced).toEqual(['/?x=1#calls']);
    // After a reload the URL has no token any more: the stored one is used.
    page.location.href = 'http://127.0.0.1:4000/?x=1#calls';
    expect(takeShellToken(page)).toBe('abc_DEF-123');
    expect(replaced).toHaveLength(1);
  });

  it('returns null without a token, and survives storage that throws', () => {
    const page = {
      location: { href: 'http://127.0.0.1:4000/' },
      history: { state: null, replaceState: () => undefined },
      sessionStorage: {
        getItem: (): string | null => {
          throw new Error('denied');
        },
        setItem: () => {
          throw new Error('denied');
        },
      },
    };
    expect(takeShellToken(page)).toBeNull();
    page.location.href = 'http://127.0.0.1:4000/?token=zzz';
    expect(takeShellToken(page)).toBe('zzz');
  });

  it('derives the socket URL from the page origin', () => {
    expect(shellSocketUrl({ protocol: 'http:', host: '127.0.0.1:4000' })).toBe('ws://127.0.0.1:4000/ws');
    expect(shellSocketUrl({ protocol: 'https:', host: 'desk.example' })).toBe('wss://desk.example/ws');
  });
});
