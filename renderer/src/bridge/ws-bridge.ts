// The browser shell's DesklineBridge: the same domain API the Electron preload exposes,
// carried over one WebSocket to the shell server (host/src/shell/). Protocol v1, docs/ui.md §5,
// frame shapes in common/src/api/shell-protocol.ts:
//   → { id, method, request }     ← { id, envelope }
//   → { subscribe: [names] }      ← { event, payload }
// Every response and event is validated before the UI sees it (createDomainApi checks
// responses; events are checked here): the renderer trusts nothing it did not check.
import {
  createDomainApi,
  events as eventSchemas,
  isEventName,
  type DesklineBridge,
  type DomainApi,
  type Envelope,
  type ErrorView,
  type EventName,
  type EventPayload,
  type MethodName,
} from '../../../common/src/api/contract.js';
import {
  SHELL_TOKEN_PARAM,
  type ShellCallFrame,
  type ShellSubscribeFrame,
} from '../../../common/src/api/shell-protocol.js';

/** Error codes the transport itself produces (the engine's own codes pass through untouched). */
export const BridgeErrorCode = {
  Timeout: 'TIMEOUT',
  ConnectionLost: 'CONNECTION_LOST',
  Disposed: 'DISPOSED',
  InvalidResponse: 'INVALID_RESPONSE',
} as const;

export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'disposed';

/** The part of a WebSocket the bridge uses; the DOM's WebSocket and the ws package's both fit. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

export interface BridgeTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WsBridgeOptions {
  /** ws://host:port/ws, without the token. */
  url: string;
  token: string;
  /** Default 15 s: CSTA services answer within a few seconds even on failover. */
  requestTimeoutMs?: number;
  /** Reconnect backoff: first delay, cap; each attempt doubles, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Frames sent while connecting are queued; beyond this many the oldest are failed. */
  maxQueued?: number;
  createSocket?: (url: string) => SocketLike;
  timers?: BridgeTimers;
  random?: () => number;
  /** Where the bridge reports what it dropped (bad frames); default console.warn. */
  warn?: (message: string) => void;
}

export interface WsBridge extends DesklineBridge {
  readonly link: LinkState;
  /** Link changes (for the header); returns the unsubscribe function. */
  onLinkChange(listener: (state: LinkState) => void): () => void;
  dispose(): void;
}

interface Pending {
  readonly method: MethodName;
  readonly frame: string;
  readonly resolve: (envelope: Envelope<unknown>) => void;
  timer: unknown;
  sent: boolean;
}

type AnyListener = (payload: unknown) => void;

/** Snapshot events and the method that fetches the same snapshot: after a reconnect the
 *  bridge fetches each one that has listeners, since events sent while down were lost. */
const SNAPSHOT_METHOD: Partial<Record<EventName, MethodName>> = {
  'desk.state': 'desk.getState',
  'app.settings': 'app.getSettings',
  'app.history': 'app.listHistory',
  'app.missedCalls': 'app.getMissedCalls',
};

const OPEN = 1;
const CLOSE_NORMAL = 1000;

const defaultTimers: BridgeTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  // The handle is opaque to the bridge; it only ever comes back from setTimeout above.
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

const fail = (code: string, message: string): Envelope<unknown> => ({ ok: false, error: { code, message } });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isErrorView(value: unknown): value is ErrorView {
  return isRecord(value) && typeof value.code === 'string' && typeof value.message === 'string';
}

function toEnvelope(value: unknown): Envelope<unknown> | undefined {
  if (!isRecord(value)) return undefined;
  if (value.ok === true && 'value' in value) return { ok: true, value: value.value };
  if (value.ok === false && isErrorView(value.error))
    return { ok: false, error: { code: value.error.code, message: value.error.message } };
  return undefined;
}

export function createWsBridge(options: WsBridgeOptions): WsBridge {
  const timers = options.timers ?? defaultTimers;
  const random = options.random ?? Math.random;
  const warn = options.warn ?? ((message: string) => console.warn(`deskline bridge: ${message}`));
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const maxQueued = options.maxQueued ?? 256;
  const createSocket = options.createSocket ?? ((url: string): SocketLike => new WebSocket(url));
  const timeoutText =
    requestTimeoutMs >= 1000 ? `${Math.round(requestTimeoutMs / 1000)} s` : `${requestTimeoutMs} ms`;
  const socketUrl = `${options.url}${options.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(options.token)}`;

  let link: LinkState = 'connecting';
  let socket: SocketLike | null = null;
  let attempt = 0;
  let everOpened = false;
  let isReady = false;
  let reconnectTimer: unknown;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  /** Request IDs waiting for the socket to open, in order. */
  const outbox: number[] = [];
  const listeners = new Map<EventName, Set<AnyListener>>();
  const linkListeners = new Set<(state: LinkState) => void>();

  const setLink = (state: LinkState): void => {
    if (link === state) return;
    link = state;
    for (const listener of [...linkListeners]) listener(state);
  };

  const settle = (id: number, envelope: Envelope<unknown>): void => {
    const entry = pending.get(id);
    if (entry === undefined) return;
    pending.delete(id);
    timers.clearTimeout(entry.timer);
    entry.resolve(envelope);
  };

  const sendSubscribe = (): void => {
    if (socket === null || socket.readyState !== OPEN || !isReady) return;
    socket.send(JSON.stringify({ subscribe: [...listeners.keys()] } satisfies ShellSubscribeFrame));
  };

  const dispatch = (name: EventName, payload: unknown): void => {
    const set = listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        // One faulty listener must not starve the others of the event.
        warn(`listener for ${name} threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  const receive = (data: unknown): void => {
    if (typeof data !== 'string') return warn('binary frame ignored');
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return warn('frame that is not JSON ignored');
    }
    if (!isRecord(message)) return warn('frame that is not an object ignored');
    if (typeof message.id === 'number') {
      const envelope = toEnvelope(message.envelope);
      settle(
        message.id,
        envelope ??
          fail(
            BridgeErrorCode.InvalidResponse,
            `malformed answer from Deskline to ${pending.get(message.id)?.method ?? 'a request'}`,
          ),
      );
      return;
    }
    if (typeof message.event === 'string') {
      const name = message.event;
      if (!isEventName(name)) return warn(`unknown event ${name.slice(0, 64)} ignored`);
      const parsed = eventSchemas[name].safeParse(message.payload);
      if (!parsed.success)
        return warn(`invalid ${name} payload ignored: ${parsed.error.issues[0]?.message ?? ''}`);
      dispatch(name, parsed.data);
      return;
    }
    warn('frame of unknown shape ignored');
  };

  const flushOutbox = (): void => {
    while (outbox.length > 0 && socket !== null && socket.readyState === OPEN) {
      const id = outbox.shift();
      if (id === undefined) break;
      const entry = pending.get(id);
      if (entry === undefined) continue; // timed out while queued
      entry.sent = true;
      socket.send(entry.frame);
    }
  };

  /** Fetches the snapshots that events would have carried while the link was down. */
  const resync = (): void => {
    // Object.entries widens keys to string; SNAPSHOT_METHOD's keys are EventNames by its type.
    for (const [name, method] of Object.entries(SNAPSHOT_METHOD) as [EventName, MethodName][]) {
      if (!listeners.has(name)) continue;
      void invoke(method, {}).then((envelope) => {
        if (!envelope.ok) return warn(`resync ${method} failed: ${envelope.error.message}`);
        const parsed = eventSchemas[name].safeParse(envelope.value);
        if (parsed.success) dispatch(name, parsed.data);
        else warn(`resync ${method}: invalid snapshot`);
      });
    }
  };

  const scheduleReconnect = (): void => {
    setLink('reconnecting');
    // Exponential backoff with jitter (50–100 % of the step) so that many windows
    // do not reconnect in lockstep after a gateway restart.
    const step = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 16));
    const delay = Math.round(step / 2 + (step / 2) * random());
    attempt += 1;
    reconnectTimer = timers.setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
  };

  const connect = (): void => {
    if (link === 'disposed') return;
    let next: SocketLike;
    try {
      next = createSocket(socketUrl);
    } catch (error) {
      warn(`cannot open the WebSocket: ${error instanceof Error ? error.message : String(error)}`);
      scheduleReconnect();
      return;
    }
    socket = next;
    next.addEventListener('open', () => {
      if (socket !== next) return;
      attempt = 0;
      setLink('open');
      sendSubscribe();
      flushOutbox();
      if (everOpened) resync();
      everOpened = true;
    });
    next.addEventListener('message', (event) => {
      if (socket === next) receive(event.data);
    });
    next.addEventListener('error', () => {
      // A close event always follows; it decides what happens next.
    });
    next.addEventListener('close', (event) => {
      if (socket !== next) return;
      socket = null;
      // A request already on the wire may or may not have run: fail it rather than resend
      // (a MakeCall must never be placed twice). Queued, unsent requests wait for the link.
      for (const [id, entry] of [...pending]) {
        if (entry.sent)
          settle(
            id,
            fail(
              BridgeErrorCode.ConnectionLost,
              `${entry.method}: the connection to Deskline was lost (${event.code})`,
            ),
          );
      }
      if (link !== 'disposed') scheduleReconnect();
    });
  };

  const invoke = (method: MethodName, request: unknown): Promise<Envelope<unknown>> => {
    if (link === 'disposed')
      return Promise.resolve(fail(BridgeErrorCode.Disposed, `${method}: the bridge is closed`));
    const id = nextId;
    nextId = nextId >= 2 ** 31 - 1 ? 1 : nextId + 1;
    return new Promise((resolve) => {
      const entry: Pending = {
        method,
        frame: JSON.stringify({ id, method, request } satisfies ShellCallFrame),
        resolve,
        timer: undefined,
        sent: false,
      };
      entry.timer = timers.setTimeout(() => {
        settle(id, fail(BridgeErrorCode.Timeout, `${method}: no answer from Deskline within ${timeoutText}`));
      }, requestTimeoutMs);
      pending.set(id, entry);
      if (socket !== null && socket.readyState === OPEN) {
        entry.sent = true;
        socket.send(entry.frame);
        return;
      }
      outbox.push(id);
      if (outbox.length > maxQueued) {
        const dropped = outbox.shift();
        if (dropped !== undefined)
          settle(
            dropped,
            fail(BridgeErrorCode.ConnectionLost, 'too many requests waiting for the connection to Deskline'),
          );
      }
    });
  };

  const api: DomainApi = createDomainApi(invoke);

  const bridge: WsBridge = {
    api,
    get link() {
      return link;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      let set = listeners.get(event);
      const isNewName = set === undefined;
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      // The map holds listeners of every event; dispatch() only hands each one the payload
      // validated against that same event's schema, so widening the parameter is sound.
      const stored = listener as AnyListener;
      set.add(stored);
      if (isNewName) sendSubscribe();
      return () => {
        const current = listeners.get(event);
        if (current === undefined || !current.delete(stored)) return;
        if (current.size === 0) {
          listeners.delete(event);
          sendSubscribe();
        }
      };
    },
    ready(): void {
      if (isReady) return;
      isReady = true;
      sendSubscribe();
    },
    onLinkChange(listener) {
      linkListeners.add(listener);
      return () => {
        linkListeners.delete(listener);
      };
    },
    dispose(): void {
      if (link === 'disposed') return;
      setLink('disposed');
      timers.clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const current = socket;
      socket = null;
      current?.close(CLOSE_NORMAL, 'window closed');
      for (const id of [...pending.keys()])
        settle(id, fail(BridgeErrorCode.Disposed, 'the bridge was closed'));
      outbox.length = 0;
      listeners.clear();
      linkListeners.clear();
    },
  };

  connect();
  return bridge;
}

// ---------------------------------------------------------------- page plumbing

export { SHELL_TOKEN_PARAM };
const TOKEN_STORAGE_KEY = 'deskline.shellToken';

export interface PageLike {
  location: { href: string };
  history: { state: unknown; replaceState(data: unknown, unused: string, url?: string | URL | null): void };
  sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/** Reads the shell token from the page URL and removes it from the address bar (so it is
 *  not bookmarked, shared or shown). It is kept in sessionStorage, scoped to this tab and
 *  origin, so that a reload can reconnect. */
export function takeShellToken(page: PageLike): string | null {
  const url = new URL(page.location.href);
  const fromUrl = url.searchParams.get(SHELL_TOKEN_PARAM);
  if (fromUrl !== null && fromUrl.length > 0) {
    url.searchParams.delete(SHELL_TOKEN_PARAM);
    page.history.replaceState(page.history.state, '', `${url.pathname}${url.search}${url.hash}`);
    try {
      page.sessionStorage?.setItem(TOKEN_STORAGE_KEY, fromUrl);
    } catch {
      // Storage may be disabled: the token still works until the page is reloaded.
    }
    return fromUrl;
  }
  try {
    return page.sessionStorage?.getItem(TOKEN_STORAGE_KEY) ?? null;
  } catch {
    return null;
  }
}

/** The shell's WebSocket endpoint on the page's own origin. */
export function shellSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
