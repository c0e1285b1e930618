// The browser shell server, over real loopback sockets on port 0: static files and their
// headers, traversal, the WebSocket's token and Origin checks, the request/event protocol,
// misbehaving clients, and dispose().
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHELL_CSP } from '../../src/shell/static-files.js';
import { startShellServer, type ShellServer, type ShellServerOptions } from '../../src/shell/shell-server.js';
import { FakeClock } from '../../../gateway/test/support/fake-clock.js';
import { DesklineError, ErrorCode, MemoryLogger } from '../../../gateway/src/index.js';
import {
  DESK_STATE,
  INDEX_HTML,
  makeStaticDir,
  openClient,
  openSilentClient,
  rawHttp,
  SECRET_TEXT,
  statusOf,
  testHandlers,
  TestEvents,
  type OpenResult,
  type StaticFixture,
} from './helpers.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';

let files: StaticFixture;
let events: TestEvents;
let logger: MemoryLogger;
const started: ShellServer[] = [];
const clients: OpenResult[] = [];

async function start(options: Partial<ShellServerOptions> = {}): Promise<ShellServer> {
  const server = await startShellServer({
    staticDir: files.root,
    handlers: testHandlers(),
    events,
    token: TOKEN,
    logger,
    ...options,
  });
  started.push(server);
  return server;
}

const wsUrl = (server: ShellServer, token: string | null = TOKEN): string =>
  `ws://127.0.0.1:${server.port}/ws${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;

async function client(server: ShellServer): Promise<OpenResult> {
  const opened = await openClient(wsUrl(server), server.origin);
  clients.push(opened);
  return opened;
}

beforeEach(async () => {
  files = await makeStaticDir();
  events = new TestEvents();
  logger = new MemoryLogger();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.terminate();
  await Promise.all(started.splice(0).map((s) => s.dispose()));
  await files.dispose();
});

describe('startShellServer', () => {
  it('binds 127.0.0.1 on an OS-chosen port and hands out a URL carrying a fresh 32-byte token', async () => {
    const a = await startShellServer({ staticDir: files.root, handlers: testHandlers(), events });
    const b = await startShellServer({ staticDir: files.root, handlers: testHandlers(), events });
    started.push(a, b);
    expect(a.host).toBe('127.0.0.1');
    expect(a.port).toBeGreaterThan(0);
    expect(a.origin).toBe(`http://127.0.0.1:${a.port}`);
    const tokenA = new URL(a.url).searchParams.get('token') ?? '';
    const tokenB = new URL(b.url).searchParams.get('token') ?? '';
    expect(Buffer.from(tokenA, 'base64url')).toHaveLength(32);
    expect(tokenA).not.toBe(tokenB);
    // The handed-out URL really opens the WebSocket.
    const opened = await openClient(`${a.url.replace('http:', 'ws:').replace('/?', '/ws?')}`, a.origin);
    clients.push(opened);
    expect(a.clientCount()).toBe(1);
  });

  it('refuses a malformed fixed token and a missing static directory with CONFIG_INVALID', async () => {
    await expect(
      startShellServer({ staticDir: files.root, handlers: testHandlers(), events, token: 'short' }),
    ).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
    });
    await expect(
      startShellServer({
        staticDir: `${files.root}/does-not-exist`,
        handlers: testHandlers(),
        events,
        token: TOKEN,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid });
    // Nothing was left subscribed by the failed starts.
    expect(events.listenerCount).toBe(0);
  });

  it('reports a port already in use as CONFIG_INVALID and leaves nothing behind', async () => {
    const first = await start();
    await expect(
      startShellServer({
        staticDir: files.root,
        handlers: testHandlers(),
        events,
        token: TOKEN,
        port: first.port,
      }),
    ).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
    });
    expect(events.listenerCount).toBe(1);
  });
});

describe('static files', () => {
  it('serves index.html at / with the CSP, nosniff and no-referrer headers', async () => {
    const server = await start();
    const res = await fetch(`${server.origin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(SHELL_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(INDEX_HTML);
  });

  it('serves assets with their MIME types, and HEAD without a body', async () => {
    const server = await start();
    const cases: Array<[string, string]> = [
      ['/assets/app-1234.js', 'text/javascript; charset=utf-8'],
      ['/assets/app-1234.css', 'text/css; charset=utf-8'],
      ['/assets/icon.svg', 'image/svg+xml'],
      ['/index.html', 'text/html; charset=utf-8'],
    ];
    for (const [path, type] of cases) {
      const res = await fetch(`${server.origin}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      await res.arrayBuffer();
    }
    const head = await fetch(`${server.origin}/assets/app-1234.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('console.log("deskline");\n'.length));
    expect(await head.text()).toBe('');
  });

  it('answers 404 for missing files, directories and unknown types; 405 for other methods', async () => {
    const server = await start();
    for (const path of ['/nope.js', '/assets', '/assets/', '/assets/data.bin']) {
      const res = await fetch(`${server.origin}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-security-policy'), path).toBe(SHELL_CSP);
      await res.arrayBuffer();
    }
    const post = await fetch(`${server.origin}/index.html`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.arrayBuffer();
    const ws = await fetch(`${server.origin}/ws`);
    expect(ws.status).toBe(426);
    await ws.arrayBuffer();
  });

  it('refuses directory traversal in every spelling, dotfiles, and symlinks that leave the root', async () => {
    const server = await start();
    const targets = [
      '/../secret.txt',
      '/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.js',
      '/..%5csecret.txt',
      '/assets/%2e%2e%5c%2e%2e%5csecret.js',
      '/.env',
      '/%2eenv',
      '/assets/escape.js',
      '/%00index.html',
      '/index.html%00.js',
      '/%E0%A4%A',
      `/${'%2e%2e/'.repeat(20)}etc/passwd`,
    ];
    for (const target of targets) {
      const reply = await rawHttp(
        server.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      );
      expect([400, 404], target).toContain(statusOf(reply));
      expect(reply, target).not.toContain(SECRET_TEXT);
      expect(reply, target).not.toContain('root:');
    }
  });

  it('refuses requests whose Host is not the shell (DNS rebinding)', async () => {
    const server = await start();
    const reply = await rawHttp(
      server.port,
      `GET / HTTP/1.1\r\nHost: evil.example:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(reply)).toBe(403);
    expect(reply).not.toContain('<div id="root">');
    const localhost = await rawHttp(
      server.port,
      `GET / HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(localhost)).toBe(200);
  });
});

describe('WebSocket admission', () => {
  it('requires the token', async () => {
    const server = await start();
    await expect(openClient(wsUrl(server, null), server.origin)).rejects.toThrow('HTTP 401');
    await expect(openClient(wsUrl(server, `${TOKEN}x`), server.origin)).rejects.toThrow('HTTP 401');
    await expect(openClient(wsUrl(server, TOKEN.replace('t', 'T')), server.origin)).rejects.toThrow(
      'HTTP 401',
    );
    expect(server.clientCount()).toBe(0);
    expect(JSON.stringify(logger.records)).not.toContain(TOKEN);
  });

  it("refuses any Origin but the shell's own, and a missing one", async () => {
    const server = await start();
    for (const origin of [
      'http://evil.example',
      `http://127.0.0.1:${server.port + 1}`,
      'null',
      `https://127.0.0.1:${server.port}`,
    ]) {
      await expect(openClient(wsUrl(server), origin), origin).rejects.toThrow('HTTP 403');
    }
    await expect(openClient(wsUrl(server), undefined)).rejects.toThrow('HTTP 403');
    expect(server.clientCount()).toBe(0);
    const viaLocalhost = await openClient(wsUrl(server), `http://localhost:${server.port}`);
    clients.push(viaLocalhost);
    expect(server.clientCount()).toBe(1);
  });

  it('refuses upgrades on other paths and beyond maxClients', async () => {
    const server = await start({ limits: { maxClients: 1 } });
    await expect(
      openClient(`ws://127.0.0.1:${server.port}/other?token=${TOKEN}`, server.origin),
    ).rejects.toThrow('HTTP 404');
    await client(server);
    await expect(openClient(wsUrl(server), server.origin)).rejects.toThrow('HTTP 503');
  });
});

describe('protocol', () => {
  it('answers a valid request with its Envelope', async () => {
    const server = await start();
    const c = await client(server);
    c.socket.send(JSON.stringify({ id: 7, method: 'desk.getState', request: {} }));
    expect(await c.next()).toEqual({ id: 7, envelope: { ok: true, value: DESK_STATE } });
    c.socket.send(JSON.stringify({ id: 8, method: 'desk.makeCall', request: { number: ' 1234 ' } }));
    const made = (await c.next()) as {
      id: number;
      envelope: { ok: boolean; value: { remote: { number: string } } };
    };
    // The handler sees the request as the contract parsed it (trimmed).
    expect(made.id).toBe(8);
    expect(made.envelope.value.remote.number).toBe('1234');
  });

  it('answers an invalid payload with { code, message } and keeps the client', async () => {
    const server = await start();
    const c = await client(server);
    c.socket.send(JSON.stringify({ id: 1, method: 'desk.makeCall', request: { number: '' } }));
    expect(await c.next()).toEqual({
      id: 1,
      envelope: {
        ok: false,
        error: { code: 'INVALID_ARGUMENT', message: 'desk.makeCall: number: a number is required' },
      },
    });
    c.socket.send(JSON.stringify({ id: 2, method: 'desk.hold', request: { callId: 'c1', extra: true } }));
    const extra = (await c.next()) as { envelope: { ok: boolean; error: { code: string } } };
    expect(extra.envelope).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    c.socket.send(JSON.stringify({ id: 3, method: 'desk.digits', request: { callId: 'c1', digits: '12x' } }));
    expect(((await c.next()) as { envelope: { error: { code: string } } }).envelope.error.code).toBe(
      'INVALID_ARGUMENT',
    );
    // Still usable.
    c.socket.send(JSON.stringify({ id: 4, method: 'desk.answer', request: { callId: 'c1' } }));
    expect(await c.next()).toEqual({ id: 4, envelope: { ok: true, value: { ok: true } } });
  });

  it("passes the engine's coded refusals through and hides unexpected throws", async () => {
    const server = await start({
      handlers: testHandlers({
        'desk.hold': () => {
          throw new DesklineError(ErrorCode.CtiNotConnected, 'The CTI link to the line is down');
        },
        'desk.retrieve': () => {
          throw new TypeError('cannot read properties of undefined (internal detail)');
        },
      }),
    });
    const c = await client(server);
    c.socket.send(JSON.stringify({ id: 1, method: 'desk.hold', request: { callId: 'c1' } }));
    expect(await c.next()).toEqual({
      id: 1,
      envelope: {
        ok: false,
        error: { code: 'CTI_NOT_CONNECTED', message: 'The CTI link to the line is down' },
      },
    });
    c.socket.send(JSON.stringify({ id: 2, method: 'desk.retrieve', request: { callId: 'c1' } }));
    const hidden = (await c.next()) as { envelope: { error: { code: string; message: string } } };
    expect(hidden.envelope.error).toEqual({ code: 'INTERNAL', message: 'desk.retrieve failed unexpectedly' });
    expect(logger.records.some((r) => r.level === 'error' && r.message === 'shell: handler threw')).toBe(
      true,
    );
  });

  it('never logs a password sent in app.updateSettings', async () => {
    const password = 'hunter2-very-secret';
    const server = await start({
      handlers: testHandlers({
        'app.updateSettings': () => {
          throw new Error('storage failed');
        },
      }),
    });
    const c = await client(server);
    c.socket.send(JSON.stringify({ id: 1, method: 'app.updateSettings', request: { password } }));
    await c.next();
    c.socket.send(JSON.stringify({ id: 2, method: 'app.updateSettings', request: { password, bogus: 1 } }));
    await c.next();
    expect(JSON.stringify(logger.records)).not.toContain(password);
  });

  it('delivers events only to clients subscribed to them, serialised once', async () => {
    const server = await start();
    const a = await client(server);
    const b = await client(server);
    a.socket.send(JSON.stringify({ subscribe: ['desk.state', 'app.notice'] }));
    b.socket.send(JSON.stringify({ subscribe: ['app.notice'] }));
    // A round trip guarantees the subscriptions were processed before emitting.
    a.socket.send(JSON.stringify({ id: 1, method: 'app.hideWindow', request: {} }));
    b.socket.send(JSON.stringify({ id: 1, method: 'app.hideWindow', request: {} }));
    await a.next();
    await b.next();
    events.emit('desk.state', DESK_STATE);
    const notice = { level: 'info', message: 'hello', at: 1 };
    events.emit('app.notice', notice);
    expect(await a.next()).toEqual({ event: 'desk.state', payload: DESK_STATE });
    expect(await a.next()).toEqual({ event: 'app.notice', payload: notice });
    expect(await b.next()).toEqual({ event: 'app.notice', payload: notice });
    expect(b.messages.filter((m) => (m as { event?: string }).event === 'desk.state')).toHaveLength(0);

    // A new subscribe replaces the set.
    a.socket.send(JSON.stringify({ subscribe: ['app.history'] }));
    a.socket.send(JSON.stringify({ id: 2, method: 'app.hideWindow', request: {} }));
    await a.next();
    events.emit('app.notice', notice);
    events.emit('app.history', []);
    expect(await a.next()).toEqual({ event: 'app.history', payload: [] });
  });

  it('drops an event that cannot be serialised without harming the clients', async () => {
    const server = await start();
    const c = await client(server);
    c.socket.send(JSON.stringify({ subscribe: ['app.notice'] }));
    c.socket.send(JSON.stringify({ id: 1, method: 'app.hideWindow', request: {} }));
    await c.next();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    events.emit('app.notice', circular);
    events.emit('app.notice', { level: 'info', message: 'after', at: 2 });
    expect(await c.next()).toEqual({
      event: 'app.notice',
      payload: { level: 'info', message: 'after', at: 2 },
    });
  });
});

describe('misbehaving clients are closed', () => {
  const cases: Array<[string, string | Buffer, number]> = [
    ['bad JSON', '{"id": 1, "method": ', 1008],
    ['a JSON array', '[1,2,3]', 1008],
    ['an unknown method', JSON.stringify({ id: 1, method: 'desk.format', request: {} }), 1008],
    ['a prototype key as method', JSON.stringify({ id: 1, method: '__proto__', request: {} }), 1008],
    ['a missing id', JSON.stringify({ method: 'desk.getState', request: {} }), 1008],
    ['a non-integer id', JSON.stringify({ id: 1.5, method: 'desk.getState', request: {} }), 1008],
    ['an unknown event in subscribe', JSON.stringify({ subscribe: ['desk.secrets'] }), 1008],
    ['a binary frame', Buffer.from([1, 2, 3]), 1003],
  ];
  for (const [what, frame, code] of cases) {
    it(`on ${what} (${code})`, async () => {
      const server = await start();
      const c = await client(server);
      c.socket.send(frame);
      expect((await c.closed).code).toBe(code);
    });
  }

  it('on a frame over the size limit (1009), before reading it', async () => {
    const server = await start({ limits: { maxFrameBytes: 1024 } });
    const c = await client(server);
    c.socket.send(JSON.stringify({ id: 1, method: 'desk.makeCall', request: { number: 'x'.repeat(2000) } }));
    expect((await c.closed).code).toBe(1009);
  });

  it('on too many requests in flight', async () => {
    const never = new Promise<never>(() => undefined);
    const server = await start({
      limits: { maxInFlightPerClient: 3 },
      handlers: testHandlers({ 'desk.getState': () => never }),
    });
    const c = await client(server);
    for (let id = 1; id <= 4; id += 1)
      c.socket.send(JSON.stringify({ id, method: 'desk.getState', request: {} }));
    expect((await c.closed).code).toBe(1008);
  });

  it('on missing pongs: a hung client is cut after a ping interval', async () => {
    const clock = new FakeClock();
    const server = await start({ clock, limits: { pingIntervalMs: 1000 } });
    const silent = await openSilentClient(server.port, `/ws?token=${TOKEN}`, server.origin);
    const healthy = await client(server);
    expect(server.clientCount()).toBe(2);
    clock.advance(1000); // ping sent; the ws client answers, the silent one does not
    // Let the healthy client's pong arrive before the next tick.
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(1000);
    await silent.closed;
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
    await vi.waitFor(() => expect(server.clientCount()).toBe(1));
  });
});

describe('dispose', () => {
  it('closes every socket, stops listening, unsubscribes and leaves no timer', async () => {
    const clock = new FakeClock();
    const server = await startShellServer({
      staticDir: files.root,
      handlers: testHandlers(),
      events,
      token: TOKEN,
      logger,
      clock,
    });
    const a = await openClient(wsUrl(server), server.origin);
    const b = await openClient(wsUrl(server), server.origin);
    expect(events.listenerCount).toBe(1);
    await server.dispose();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(events.listenerCount).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(server.clientCount()).toBe(0);
    await expect(
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: server.port });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.dispose(); // idempotent
  });

  it('cuts clients that do not answer the close handshake, and a late handler answer is dropped', async () => {
    let release: (value: typeof DESK_STATE) => void = () => undefined;
    const pending = new Promise<typeof DESK_STATE>((resolve) => {
      release = resolve;
    });
    const server = await startShellServer({
      staticDir: files.root,
      handlers: testHandlers({ 'desk.getState': () => pending }),
      events,
      token: TOKEN,
      logger,
      limits: { closeGraceMs: 50 },
    });
    const silent = await openSilentClient(server.port, `/ws?token=${TOKEN}`, server.origin);
    const c = await openClient(wsUrl(server), server.origin);
    c.socket.send(JSON.stringify({ id: 1, method: 'desk.getState', request: {} }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await server.dispose();
    await silent.closed;
    release(DESK_STATE);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(c.messages).toEqual([]);
  });

  it('keeps HTTP keep-alive connections from holding dispose open', async () => {
    const server = await startShellServer({
      staticDir: files.root,
      handlers: testHandlers(),
      events,
      token: TOKEN,
    });
    const socket = connect({ host: '127.0.0.1', port: server.port });
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: keep-alive\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    await server.dispose();
    await closed;
  });
});
