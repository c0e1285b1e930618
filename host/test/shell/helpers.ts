// Test helpers for the shell server: complete MethodHandlers with valid answers, an event
// source, a static directory, and small socket clients.
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { EventName, MethodHandlers } from '../../../common/src/api/contract.js';
import type { DeskStateView, SettingsView } from '../../../common/src/api/views.js';
import { DesklineError, ErrorCode } from '../../../gateway/src/index.js';

export const DESK_STATE: DeskStateView = {
  user: null,
  lines: [],
  selectedLineId: null,
  session: { state: 'noLine' },
  calls: [],
  features: { forwarding: [], doNotDisturb: false },
  cti: { overall: 'down', nodes: [] },
};

export const SETTINGS: SettingsView = {
  ctiAddresses: [],
  applicationUser: 'app',
  hasPassword: false,
  heartbeatIntervalSec: 30,
  userId: 'alice',
  favourites: [],
  sipListenerEnabled: false,
  startAtLogin: false,
  theme: 'system',
  globalShortcut: '',
};

const ok = { ok: true as const };

/** Every method answered with a valid, boring value; override what a test needs. */
export function testHandlers(overrides: Partial<MethodHandlers> = {}): MethodHandlers {
  const base: MethodHandlers = {
    'desk.getState': () => DESK_STATE,
    'desk.listLines': () => [],
    'desk.selectLine': ({ lineId }) => {
      throw new DesklineError(ErrorCode.UnknownLine, `no line appearance ${lineId}`);
    },
    'desk.makeCall': ({ number }) => ({
      callId: 'c1',
      direction: 'outbound',
      state: 'initiated',
      remote: { number },
      parties: [],
      conference: false,
      startedAt: 0,
      actions: {
        answer: { enabled: false },
        decline: { enabled: false },
        hold: { enabled: false },
        retrieve: { enabled: false },
        hangup: { enabled: true },
        singleStepTransfer: { enabled: false },
        consult: { enabled: false },
        transfer: { enabled: false },
        conference: { enabled: false },
        alternate: { enabled: false },
        reconnect: { enabled: false },
        deflect: { enabled: false },
        digits: { enabled: false },
      },
    }),
    'desk.answer': () => ok,
    'desk.hangup': () => ok,
    'desk.hold': () => ok,
    'desk.retrieve': () => ok,
    'desk.singleStepTransfer': () => ok,
    'desk.consult': () => {
      throw new DesklineError(ErrorCode.InvalidState, 'no call to consult from');
    },
    'desk.transfer': () => ok,
    'desk.conference': () => ok,
    'desk.alternate': () => ok,
    'desk.reconnect': () => ok,
    'desk.deflect': () => ok,
    'desk.digits': () => ok,
    'desk.setForwarding': () => ok,
    'desk.setDoNotDisturb': () => ok,
    'desk.normalizeNumber': ({ input }) => ({ input, dialString: input, display: input, valid: true }),
    'desk.getCtiHealth': () => DESK_STATE.cti,
    'app.getSettings': () => SETTINGS,
    'app.updateSettings': () => SETTINGS,
    'app.listHistory': () => [],
    'app.clearHistory': () => ok,
    'app.historySeen': () => ({ unseenMissed: 0 }),
    'app.setFavourites': () => SETTINGS,
    'app.recentNumbers': () => [],
    'app.hideWindow': () => ok,
  };
  return { ...base, ...overrides };
}

export class TestEvents {
  private readonly listeners = new Set<(name: EventName, payload: unknown) => void>();
  on(listener: (name: EventName, payload: unknown) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
  emit(name: EventName, payload: unknown): void {
    for (const listener of [...this.listeners]) listener(name, payload);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

export interface StaticFixture {
  /** The directory served. */
  root: string;
  /** Its parent, holding a secret that must never be served. */
  base: string;
  dispose(): Promise<void>;
}

export const SECRET_TEXT = 'TOP-SECRET-NOT-FOR-THE-BROWSER';
export const INDEX_HTML =
  '<!doctype html><html><head><title>Deskline</title></head><body><div id="root"></div></body></html>';

export async function makeStaticDir(): Promise<StaticFixture> {
  const base = await mkdtemp(join(tmpdir(), 'deskline-shell-'));
  const root = join(base, 'www');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX_HTML);
  await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log("deskline");\n');
  await writeFile(join(root, 'assets', 'app-1234.css'), 'body { margin: 0; }\n');
  await writeFile(join(root, 'assets', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(root, 'assets', 'data.bin'), 'not a renderer file type');
  await writeFile(join(root, '.env'), SECRET_TEXT);
  await writeFile(join(base, 'secret.txt'), SECRET_TEXT);
  await writeFile(join(base, 'secret.js'), SECRET_TEXT);
  // A symlink inside the root that points out of it.
  await symlink(join(base, 'secret.js'), join(root, 'assets', 'escape.js'));
  return { root, base, dispose: () => rm(base, { recursive: true, force: true }) };
}

/** Sends raw bytes (no URL normalisation by a client library) and returns the raw reply. */
export function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

export const statusOf = (reply: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? '0');

export interface OpenResult {
  socket: WebSocket;
  messages: unknown[];
  /** Resolves with the next message (or the first one not yet taken). */
  next(): Promise<unknown>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket client; rejects with the HTTP status if the upgrade is refused. */
export function openClient(url: string, origin: string | undefined): Promise<OpenResult> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, origin === undefined ? {} : { headers: { Origin: origin } });
    const messages: unknown[] = [];
    const waiters: Array<(value: unknown) => void> = [];
    let taken = 0;
    socket.on('message', (data) => {
      const value: unknown = JSON.parse(String(data));
      messages.push(value);
      const waiter = waiters.shift();
      if (waiter !== undefined) {
        taken += 1;
        waiter(value);
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) => {
      socket.on('close', (code, reason) => resolveClose({ code, reason: reason.toString('utf8') }));
    });
    socket.on('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode ?? 0}`));
      res.resume();
      socket.terminate();
    });
    socket.on('error', (error) => reject(error));
    socket.on('open', () =>
      resolve({
        socket,
        messages,
        closed,
        next: () =>
          new Promise((resolveNext) => {
            if (taken < messages.length) {
              const value = messages[taken];
              taken += 1;
              resolveNext(value);
            } else waiters.push(resolveNext);
          }),
      }),
    );
  });
}

/** A raw TCP socket that completes the WebSocket handshake and then never answers anything
 *  (no pongs): a hung client. */
export function openSilentClient(
  port: number,
  path: string,
  origin: string,
): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolveClose) => socket.on('close', () => resolveClose()));
    socket.on('error', reject);
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (statusOf(head) !== 101) reject(new Error(`handshake refused: ${head.split('\r\n')[0] ?? ''}`));
      else resolve({ socket, closed });
    };
    socket.on('data', onData);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
