// The browser shell: the renderer served over HTTP, and the desk API over one WebSocket,
// so the whole UI runs in a plain browser against the real gateway (no Electron). Plain
// Node + ws. Protocol: ./protocol.ts and docs/ui.md §5.
//
// Who may talk to it: only a page of this shell's own origin (Origin checked on the upgrade,
// Host checked on every request against DNS rebinding) that knows the per-start token
// (32 random bytes, compared in constant time). It binds only to the host it is given.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { EventName, MethodHandlers, MethodName } from '../../../common/src/api/contract.js';
import {
  systemClock,
  type Clock,
  type TimerHandle,
  DesklineError,
  ErrorCode,
  wrapError,
  nullLogger,
  type Logger,
} from '../../../gateway/src/index.js';
import { callMethod } from '../dispatch.js';
import type { ShellEventFrame, ShellResponseFrame } from '../../../common/src/api/shell-protocol.js';
import { decodeClientMessage, SHELL_TOKEN_PARAM, SHELL_WS_PATH } from './protocol.js';
import { createStaticHandler, SECURITY_HEADERS, sendPlain } from './static-files.js';

export interface ShellEventSource {
  /** Registers the listener for every event the host emits; returns the unsubscribe function. */
  on(listener: (name: EventName, payload: unknown) => void): () => void;
}

export interface ShellLimits {
  /** Largest accepted client frame; a bigger one closes the client with 1009 (RFC 6455 §7.4.1). */
  maxFrameBytes: number;
  /** Requests a client may have unanswered at once; more is a misbehaving client. */
  maxInFlightPerClient: number;
  /** Bytes queued to a client that does not read; over this it is dropped, not buffered forever. */
  maxBufferedBytes: number;
  maxClients: number;
  /** RFC 6455 §5.5.2 ping interval; a client that misses a whole interval is dropped. */
  pingIntervalMs: number;
  /** How long dispose() waits for clients to answer the close handshake before cutting them. */
  closeGraceMs: number;
}

export const DEFAULT_SHELL_LIMITS: Readonly<ShellLimits> = {
  maxFrameBytes: 64 * 1024,
  maxInFlightPerClient: 64,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxClients: 16,
  pingIntervalMs: 30_000,
  closeGraceMs: 500,
};

export interface ShellServerOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Default 0: the OS picks a free port. */
  port?: number;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  handlers: MethodHandlers;
  events: ShellEventSource;
  /** Fixed token (tests); default: 32 random bytes per start. */
  token?: string;
  logger?: Logger;
  clock?: Clock;
  limits?: Partial<ShellLimits>;
}

export interface ShellServer {
  /** The page to open, token included: http://host:port/?token=… */
  readonly url: string;
  /** The shell's own origin, e.g. http://127.0.0.1:40123 */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  /** Connected WebSocket clients. */
  clientCount(): number;
  dispose(): Promise<void>;
}

interface ShellClient {
  readonly seq: number;
  readonly socket: WebSocket;
  readonly subscribed: Set<EventName>;
  inFlight: number;
  alive: boolean;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

// RFC 6455 §7.4.1 status codes.
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_POLICY_VIOLATION = 1008;

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

function rawDataToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${headers}\r\n`);
}

export async function startShellServer(options: ShellServerOptions): Promise<ShellServer> {
  const limits: ShellLimits = { ...DEFAULT_SHELL_LIMITS, ...options.limits };
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? nullLogger).child({ component: 'shell' });
  const bindHost = options.host ?? '127.0.0.1';
  if (options.token !== undefined && !TOKEN_PATTERN.test(options.token)) {
    throw new DesklineError(
      ErrorCode.ConfigInvalid,
      'shell: token must be 16-128 characters of [A-Za-z0-9_-]',
    );
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token, 'utf8');
  const serveStatic = await createStaticHandler(options.staticDir);

  const clients = new Set<ShellClient>();
  let clientSeq = 0;
  let disposed = false;
  // Filled in once listening: the port is not known before.
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();

  const hostAllowed = (req: IncomingMessage): boolean =>
    allowedHosts.has((req.headers.host ?? '').toLowerCase());

  const tokenMatches = (candidate: string | null): boolean => {
    if (candidate === null) return false;
    const bytes = Buffer.from(candidate, 'utf8');
    return bytes.length === tokenBytes.length && timingSafeEqual(bytes, tokenBytes);
  };

  const server: Server = createServer((req, res) => {
    if (!hostAllowed(req)) {
      sendPlain(res, 403, 'forbidden host');
      return;
    }
    if ((req.url ?? '').split('?')[0] === SHELL_WS_PATH) {
      sendPlain(res, 426, 'upgrade required', { Upgrade: 'websocket' });
      return;
    }
    serveStatic(req, res).catch((error: unknown) => {
      logger.error({ err: wrapError(error).message }, 'shell: static file failed');
      sendPlain(res, 500, 'internal error');
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  // No HTTP server of its own: the upgrade is checked by us first (origin, host, token),
  // then handed over. maxPayload makes ws close oversized frames with 1009 before parsing.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
  });

  const closeClient = (client: ShellClient, code: number, reason: string): void => {
    logger.warn({ client: client.seq, code, reason }, 'shell: closing client');
    // RFC 6455 §5.5.1: the reason must fit a control frame (≤ 123 bytes).
    client.socket.close(code, reason.slice(0, 120));
  };

  const sendTo = (client: ShellClient, frame: string): void => {
    if (client.socket.readyState !== WebSocket.OPEN) return;
    if (client.socket.bufferedAmount > limits.maxBufferedBytes) {
      logger.warn(
        { client: client.seq, buffered: client.socket.bufferedAmount },
        'shell: client does not read, dropped',
      );
      client.socket.terminate();
      return;
    }
    client.socket.send(frame);
  };

  const invoke = async (
    client: ShellClient,
    id: number,
    method: MethodName,
    request: unknown,
  ): Promise<void> => {
    client.inFlight += 1;
    let frame: string;
    try {
      const envelope = await callMethod(options.handlers, method, request, logger);
      try {
        frame = JSON.stringify({ id, envelope } satisfies ShellResponseFrame);
      } catch (error) {
        logger.error({ method, err: wrapError(error).message }, 'shell: response not serialisable');
        frame = JSON.stringify({
          id,
          envelope: {
            ok: false,
            error: { code: ErrorCode.Internal, message: `${method} failed unexpectedly` },
          },
        } satisfies ShellResponseFrame);
      }
    } finally {
      client.inFlight -= 1;
    }
    if (!disposed) sendTo(client, frame);
  };

  const receiveFromClient = (client: ShellClient, data: RawData, isBinary: boolean): void => {
    if (isBinary) {
      closeClient(client, CLOSE_UNSUPPORTED_DATA, 'binary frames are not part of the protocol');
      return;
    }
    const decoded = decodeClientMessage(rawDataToString(data));
    if (!decoded.ok) {
      closeClient(client, CLOSE_POLICY_VIOLATION, decoded.error.message);
      return;
    }
    const message = decoded.value;
    switch (message.kind) {
      case 'subscribe':
        client.subscribed.clear();
        for (const name of message.events) client.subscribed.add(name);
        return;
      case 'call':
        if (client.inFlight >= limits.maxInFlightPerClient) {
          closeClient(client, CLOSE_POLICY_VIOLATION, 'too many requests in flight');
          return;
        }
        void invoke(client, message.id, message.method, message.request);
        return;
      default: {
        const never: never = message;
        throw new Error(`unexpected client message ${JSON.stringify(never)}`);
      }
    }
  };

  const acceptClient = (socket: WebSocket): void => {
    const client: ShellClient = { seq: ++clientSeq, socket, subscribed: new Set(), inFlight: 0, alive: true };
    clients.add(client);
    logger.info({ client: client.seq, clients: clients.size }, 'shell: client connected');
    socket.on('message', (data, isBinary) => receiveFromClient(client, data, isBinary));
    socket.on('pong', () => {
      client.alive = true;
    });
    socket.on('error', (error) => {
      // ws reports protocol errors (oversized frame: 1009, bad UTF-8: 1007) here, then closes.
      logger.warn({ client: client.seq, err: error.message }, 'shell: client socket error');
    });
    socket.on('close', (code) => {
      clients.delete(client);
      logger.info({ client: client.seq, code, clients: clients.size }, 'shell: client disconnected');
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (disposed) return refuseUpgrade(socket, 503, 'Service Unavailable');
    const target = new URL(req.url ?? '/', 'http://shell.invalid');
    if (target.pathname !== SHELL_WS_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(req)) return refuseUpgrade(socket, 403, 'Forbidden');
    // A browser always sends Origin on a WebSocket handshake (RFC 6455 §4.1 item 8); only our
    // own page's origin may use the desk API. A missing Origin is refused too.
    const origin = req.headers.origin;
    if (origin === undefined || !allowedOrigins.has(origin.toLowerCase())) {
      logger.warn({ origin: origin ?? null }, 'shell: upgrade refused: origin');
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    if (!tokenMatches(target.searchParams.get(SHELL_TOKEN_PARAM))) {
      logger.warn({}, 'shell: upgrade refused: missing or wrong token');
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    if (clients.size >= limits.maxClients) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, acceptClient);
  });

  const unsubscribeEvents = options.events.on((name, payload) => {
    if (disposed) return;
    let frame: string | undefined;
    for (const client of clients) {
      if (!client.subscribed.has(name)) continue;
      if (frame === undefined) {
        // Serialised once for all clients.
        try {
          frame = JSON.stringify({ event: name, payload } satisfies ShellEventFrame);
        } catch (error) {
          logger.error(
            { event: name, err: wrapError(error).message },
            'shell: event not serialisable, dropped',
          );
          return;
        }
      }
      sendTo(client, frame);
    }
  });

  let pingTimer: TimerHandle | undefined;
  const ping = (): void => {
    for (const client of clients) {
      if (!client.alive) {
        logger.warn({ client: client.seq }, 'shell: client missed a ping, dropped');
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
    pingTimer = clock.setTimeout(ping, limits.pingIntervalMs);
  };

  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen({ host: bindHost, port: options.port ?? 0 }, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
  } catch (error) {
    unsubscribeEvents();
    wss.close();
    throw wrapError(
      error,
      ErrorCode.ConfigInvalid,
      `shell: cannot listen on ${hostForUrl(bindHost)}:${options.port ?? 0}`,
    );
  }
  server.on('error', (error) => logger.error({ err: error.message }, 'shell: server error'));

  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('assertion failed: TCP server has a port');
  const port = address.port;
  // A wildcard bind is still reached through loopback for the URL we hand out.
  const publicHost = WILDCARD_HOSTS.has(bindHost) ? '127.0.0.1' : bindHost;
  const origin = `http://${hostForUrl(publicHost)}:${port}`;
  allowedHosts.add(`${hostForUrl(publicHost)}:${port}`.toLowerCase());
  allowedOrigins.add(origin.toLowerCase());
  if (LOOPBACK_HOSTS.has(publicHost)) {
    // The same loopback shell opened as http://localhost:port is still our own page.
    allowedHosts.add(`localhost:${port}`);
    allowedOrigins.add(`http://localhost:${port}`);
  }
  pingTimer = clock.setTimeout(ping, limits.pingIntervalMs);
  logger.info({ origin }, 'shell: listening');

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    unsubscribeEvents();
    clock.clearTimeout(pingTimer);
    pingTimer = undefined;
    const open = [...clients];
    await Promise.all(
      open.map(
        (client) =>
          new Promise<void>((resolveClose) => {
            if (client.socket.readyState === WebSocket.CLOSED) return resolveClose();
            const grace = clock.setTimeout(() => {
              client.socket.terminate();
              resolveClose();
            }, limits.closeGraceMs);
            client.socket.once('close', () => {
              clock.clearTimeout(grace);
              resolveClose();
            });
            client.socket.close(CLOSE_GOING_AWAY, 'shell stopping');
          }),
      ),
    );
    clients.clear();
    wss.close();
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose());
      server.closeAllConnections();
    });
    logger.info({}, 'shell: stopped');
  };

  return {
    url: `${origin}/?${SHELL_TOKEN_PARAM}=${encodeURIComponent(token)}`,
    origin,
    host: publicHost,
    port,
    clientCount: () => clients.size,
    dispose,
  };
}
