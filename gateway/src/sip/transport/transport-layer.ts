// The SIP transport layer (RFC 3261 §18): listeners for TCP, TLS, WebSocket and secure
// WebSocket (RFC 7118), each a list of { host, port }; outbound connections for requests the
// gateway originates when a dialog's connection is gone; connection limits (in all and per
// source address), the message deadline and the fair scheduler of received messages
// (docs/robustness.md, "SIP transport limits"); and the TLS trusted-peer rule. It frames and
// parses, and hands messages up through ConnectionSink — the layer above never touches a socket.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  connect as netConnect,
  createServer as createNetServer,
  isIP,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { TLSSocket, connect as tlsConnect, createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Clock } from '../../util/clock.js';
import { DesklineError, ErrorCode, wrapError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
  DEFAULT_MAX_MESSAGES_PER_TURN,
  DEFAULT_MAX_MESSAGES_PER_TURN_PER_CONNECTION,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_WRITE_BUFFER_BYTES,
  DEFAULT_MESSAGE_TIMEOUT_MS,
} from '../constants.js';
import { ExpiryQueue } from '../expiry-queue.js';
import {
  StreamConnection,
  WebSocketConnection,
  type ConnectionHost,
  type ConnectionLimits,
  type ConnectionSink,
  type SipConnection,
  type SipTransportProtocol,
} from './connection.js';
import { InboundScheduler } from './scheduler.js';
import { certificateNames, isTrustedPeer } from './tls-peers.js';

export interface ListenAddress {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
}

export interface SipTlsConfig {
  /** PEM server certificate (chain) and key. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly passphrase?: string | undefined;
  /** PEM CA(s) that sign client certificates (and servers we connect to). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /**
   * Certificate names (subject CN or subjectAltName; "*.domain" allowed) of the peers we accept.
   * Non-empty: mutual TLS is required and any other peer is refused at the TLS layer.
   */
  readonly trustedPeers?: readonly string[] | undefined;
  /** Default TLSv1.2. */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

export interface SipTransportConfig {
  readonly tcp?: readonly ListenAddress[] | undefined;
  readonly tls?: readonly ListenAddress[] | undefined;
  readonly ws?: readonly ListenAddress[] | undefined;
  readonly wss?: readonly ListenAddress[] | undefined;
  readonly tlsConfig?: SipTlsConfig | undefined;
  readonly maxConnections?: number | undefined;
  readonly idleTimeoutMs?: number | undefined;
  readonly maxWriteBufferBytes?: number | undefined;
  readonly maxHeaderBytes?: number | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly closeGraceMs?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  /** Per connection; see ConnectionLimits.maxPendingRequests. */
  readonly maxPendingRequests?: number | undefined;
  /** Inbound connections from one source address, over all listeners (default 256). */
  readonly maxConnectionsPerSource?: number | undefined;
  /**
   * From the first byte of a message to its last, head and body (default 10 s); also bounds a
   * TLS handshake and the HTTP upgrade request of a WebSocket.
   */
  readonly messageTimeoutMs?: number | undefined;
  /** Fair scheduling: messages handed to the core per event-loop turn, in all (default 256) … */
  readonly maxMessagesPerTurn?: number | undefined;
  /** … and per connection (default 32). */
  readonly maxMessagesPerTurnPerConnection?: number | undefined;
}

/** The transport limits that refuse or cut a peer, as counted for metrics and /health. */
export interface SipTransportLimitCounts {
  /** Inbound connections refused at `maxConnections`. */
  maxConnections: number;
  /** Inbound connections refused at `maxConnectionsPerSource`. */
  maxConnectionsPerSource: number;
  /** Connections cut because a message was not complete within `messageTimeoutMs`. */
  messageTimeout: number;
}

/** A refusal is logged at most this often per limit (a flood of them must not flood the log too). */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface BoundListener {
  readonly protocol: SipTransportProtocol;
  readonly host: string;
  readonly port: number;
}

/** Modern TLS 1.2 suites (ECDHE + AEAD) after the TLS 1.3 ones; no CBC, no RSA key exchange. */
const CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

type Listener =
  | { readonly protocol: 'TCP' | 'TLS'; readonly server: NetServer; bound: BoundListener | undefined }
  | {
      readonly protocol: 'WS' | 'WSS';
      readonly server: HttpServer;
      readonly wss: WebSocketServer;
      bound: BoundListener | undefined;
    };

export class SipTransportLayer {
  private readonly limits: ConnectionLimits;
  private readonly maxConnections: number;
  private readonly maxConnectionsPerSource: number;
  private readonly messageTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly scheduler: InboundScheduler;
  private readonly messageDeadlines: ExpiryQueue<SipConnection>;
  private readonly host: ConnectionHost;
  /** Inbound connections (and TLS handshakes) per source address. */
  private readonly sources = new Map<string, number>();
  private readonly limitCounts: SipTransportLimitCounts = {
    maxConnections: 0,
    maxConnectionsPerSource: 0,
    messageTimeout: 0,
  };
  private readonly refusalLoggedAt = new Map<keyof SipTransportLimitCounts, number>();
  private readonly listeners: Listener[] = [];
  private readonly connections = new Map<number, SipConnection>();
  private readonly outbound = new Map<string, SipConnection>();
  private readonly pendingConnects = new Map<string, Promise<SipConnection>>();
  private readonly handshaking = new Set<Socket>();
  private nextId = 1;
  private readPausesOfClosed = 0;
  private started = false;
  private disposed = false;
  private readonly logger: Logger;

  constructor(
    private readonly config: SipTransportConfig,
    private readonly clock: Clock,
    logger: Logger,
    private readonly sink: ConnectionSink,
  ) {
    this.logger = logger.child({ component: 'sip-transport' });
    this.limits = {
      idleTimeoutMs: config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxWriteBufferBytes: config.maxWriteBufferBytes ?? DEFAULT_MAX_WRITE_BUFFER_BYTES,
      maxHeaderBytes: config.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxBodyBytes: config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      closeGraceMs: config.closeGraceMs ?? 5_000,
      maxPendingRequests: config.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    };
    this.maxConnections = config.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.maxConnectionsPerSource = config.maxConnectionsPerSource ?? DEFAULT_MAX_CONNECTIONS_PER_SOURCE;
    this.messageTimeoutMs = config.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS;
    this.connectTimeoutMs = config.connectTimeoutMs ?? 10_000;
    this.scheduler = new InboundScheduler({
      perTurn: config.maxMessagesPerTurn ?? DEFAULT_MAX_MESSAGES_PER_TURN,
      perConnection: config.maxMessagesPerTurnPerConnection ?? DEFAULT_MAX_MESSAGES_PER_TURN_PER_CONNECTION,
    });
    // Every message deadline lasts the same: one clock timer for all of them (expiry-queue.ts).
    this.messageDeadlines = new ExpiryQueue(clock, this.messageTimeoutMs, (connection) => {
      this.limitCounts.messageTimeout++;
      connection.messageTimedOut(this.messageTimeoutMs);
    });
    const deadlines = this.messageDeadlines;
    this.host = {
      scheduler: this.scheduler,
      messageStarted: (connection) => deadlines.add(connection),
      messageStopped: (connection) => deadlines.delete(connection),
    };
    if ((config.tls?.length ?? 0) + (config.wss?.length ?? 0) > 0 && config.tlsConfig === undefined) {
      throw new DesklineError(
        ErrorCode.ConfigInvalid,
        'TLS and WSS listeners need tlsConfig (certificate and key)',
      );
    }
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Times a connection stopped reading at its limit of unanswered requests, since start. */
  get readPauses(): number {
    let live = 0;
    for (const connection of this.connections.values()) live += connection.readPauses;
    return this.readPausesOfClosed + live;
  }

  /** Refusals and cuts by limit, since start. */
  get limitHits(): Readonly<SipTransportLimitCounts> {
    return this.limitCounts;
  }

  /** Messages received and waiting for their turn (fair scheduling), on all connections. */
  get queuedMessages(): number {
    let queued = 0;
    for (const connection of this.connections.values()) queued += connection.queued;
    return queued;
  }

  /** Messages that waited for a later event-loop turn than the one they arrived in, since start. */
  get deferredMessages(): number {
    return this.scheduler.deferred;
  }

  /** Source addresses with inbound connections (or TLS handshakes) open. */
  get sourceCount(): number {
    return this.sources.size;
  }

  /** Open connections (a snapshot, for health and tests). */
  connectionList(): SipConnection[] {
    return [...this.connections.values()];
  }

  addresses(): BoundListener[] {
    return this.listeners.flatMap((listener) => (listener.bound === undefined ? [] : [listener.bound]));
  }

  async start(): Promise<BoundListener[]> {
    if (this.started) return this.addresses();
    this.started = true;
    const tasks: Promise<void>[] = [];
    for (const address of this.config.tcp ?? []) tasks.push(this.listenStream('TCP', address));
    for (const address of this.config.tls ?? []) tasks.push(this.listenStream('TLS', address));
    for (const address of this.config.ws ?? []) tasks.push(this.listenWebSocket('WS', address));
    for (const address of this.config.wss ?? []) tasks.push(this.listenWebSocket('WSS', address));
    try {
      await Promise.all(tasks);
    } catch (error) {
      await this.dispose();
      throw wrapError(error, ErrorCode.SipTransport, 'cannot start SIP listeners');
    }
    return this.addresses();
  }

  private serverTlsOptions(): TlsOptions {
    const tls = this.config.tlsConfig!;
    const trusted = tls.trustedPeers ?? [];
    return {
      ...tlsIdentity(tls),
      honorCipherOrder: true,
      // Mutual TLS is required as soon as trusted peers are configured. The certificate is
      // judged in checkTrustedPeer() right after the handshake, before a single SIP byte is
      // read: OpenSSL's own refusal (rejectUnauthorized) would only log "socket hang up",
      // and the operator needs to know why a peer was turned away.
      requestCert: trusted.length > 0 || tls.ca !== undefined,
      rejectUnauthorized: false,
      // A handshake trickled byte by byte is bounded like a message (Node's default is 120 s).
      handshakeTimeout: this.messageTimeoutMs,
    };
  }

  private async listenStream(protocol: 'TCP' | 'TLS', address: ListenAddress): Promise<void> {
    let server: NetServer;
    if (protocol === 'TLS') {
      // allowHalfOpen: a peer's FIN does not end our side at once; messages of its still waiting
      // for their turn are answered first (connection.ts, peerEnded).
      const tlsServer = createTlsServer({ ...this.serverTlsOptions(), allowHalfOpen: true });
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.acceptTls(socket, 'TLS'));
      tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.logger.warn(
          { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: error.message },
          'TLS handshake refused',
        );
        // Node leaves the socket open on some of these (a handshake timeout among them).
        socket.destroy();
      });
      // Count sockets while they handshake so that dispose() can destroy them.
      tlsServer.on('connection', (socket: Socket) => {
        if (!this.admitInbound(socket, this.connections.size + this.handshaking.size)) {
          socket.destroy();
          return;
        }
        this.handshaking.add(socket);
        socket.once('close', () => this.handshaking.delete(socket));
      });
      server = tlsServer;
    } else {
      server = createNetServer({ allowHalfOpen: true }, (socket) => this.acceptTcp(socket));
    }
    server.on('error', (error) =>
      this.logger.error({ error: error.message, protocol }, 'SIP listener error'),
    );
    const listener: Listener = { protocol, server, bound: undefined };
    this.listeners.push(listener);
    listener.bound = await listen(server, address, protocol);
    this.logger.info({ ...listener.bound }, 'SIP listener started');
  }

  private async listenWebSocket(protocol: 'WS' | 'WSS', address: ListenAddress): Promise<void> {
    // The upgrade request itself is bounded like a message (a slowly trickled HTTP head); Node
    // checks its request timeouts every connectionsCheckingInterval.
    const httpOptions = {
      headersTimeout: this.messageTimeoutMs,
      requestTimeout: this.messageTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, this.messageTimeoutMs >> 2)),
    };
    const server =
      protocol === 'WSS'
        ? createHttpsServer({ ...this.serverTlsOptions(), ...httpOptions })
        : createHttpServer(httpOptions);
    // Plain HTTP requests get nothing but a 426: this port only speaks SIP over WebSocket.
    server.on('request', (_request, response) => {
      response.writeHead(426, { Connection: 'close', Upgrade: 'websocket' });
      response.end();
    });
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxHeaderBytes + this.limits.maxBodyBytes,
      // RFC 7118 §4.1: the "sip" subprotocol is negotiated (checked in the upgrade handler).
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(protocol, wss, request, socket, head),
    );
    server.on('error', (error) =>
      this.logger.error({ error: error.message, protocol }, 'SIP listener error'),
    );
    if (protocol === 'WSS') {
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.logger.warn(
          { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: error.message },
          'TLS handshake refused',
        );
        socket.destroy();
      });
    }
    const listener: Listener = { protocol, server, wss, bound: undefined };
    this.listeners.push(listener);
    listener.bound = await listen(server, address, protocol);
    this.logger.info({ ...listener.bound }, 'SIP listener started');
  }

  private upgrade(
    protocol: 'WS' | 'WSS',
    wss: WebSocketServer,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): void {
    const refuse = (status: number, text: string, reason: string, level: 'info' | 'warn' = 'info'): void => {
      this.logger[level](
        { remote: `${request.socket.remoteAddress}:${request.socket.remotePort}`, reason },
        'SIP WebSocket upgrade refused',
      );
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (this.disposed) return refuse(503, 'Service Unavailable', 'shutting down');
    // RFC 7118 §4.1: the client MUST include "sip" in Sec-WebSocket-Protocol; we do not accept others.
    const offered = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase());
    if (!offered.includes('sip'))
      return refuse(400, 'Bad Request', 'WebSocket subprotocol "sip" not offered');
    // Over a connection limit: 503, as RFC 7118 lets the upgrade's HTTP status say (§4.1 refers to
    // RFC 6455 §4.2.2 for refusals); the client tries another server.
    if (!this.admitInbound(request.socket, this.connections.size))
      return refuse(503, 'Service Unavailable', 'too many connections');
    const tlsSocket = request.socket instanceof TLSSocket ? request.socket : undefined;
    if (protocol === 'WSS') {
      if (tlsSocket === undefined) return refuse(400, 'Bad Request', 'not a TLS socket');
      const verdict = this.checkTrustedPeer(tlsSocket);
      if (verdict !== undefined) return refuse(403, 'Forbidden', `TLS peer refused: ${verdict}`, 'warn');
    }
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      const raw = request.socket;
      const connection = new WebSocketConnection(
        this.nextId++,
        protocol,
        ws,
        raw,
        {
          remoteAddress: raw.remoteAddress ?? '',
          remotePort: raw.remotePort ?? 0,
          localAddress: raw.localAddress ?? '',
          localPort: raw.localPort ?? 0,
        },
        this.sink,
        this.clock,
        this.logger,
        this.limits,
        this.host,
      );
      if (tlsSocket !== undefined) connection.peerNames = certificateNames(tlsSocket.getPeerCertificate());
      this.register(connection);
    });
  }

  private acceptTcp(socket: Socket): void {
    if (this.disposed || !this.admitInbound(socket, this.connections.size)) {
      socket.destroy();
      return;
    }
    this.register(
      new StreamConnection(
        this.nextId++,
        'TCP',
        socket,
        false,
        this.sink,
        this.clock,
        this.logger,
        this.limits,
        this.host,
      ),
    );
  }

  /**
   * An inbound socket wants a connection slot: refused (false, counted, logged) at `maxConnections`
   * (`open` = connections already counted against it) or at `maxConnectionsPerSource` from its
   * address; otherwise its source slot is taken until the socket closes. Refused at once, before
   * a byte is read: a peer cannot hold the slots of the others.
   */
  private admitInbound(socket: Socket, open: number): boolean {
    const source = sourceOf(socket.remoteAddress);
    if (open >= this.maxConnections) {
      this.refused(
        'maxConnections',
        source,
        this.maxConnections,
        'SIP connection refused: too many connections',
      );
      return false;
    }
    const count = this.sources.get(source) ?? 0;
    if (count >= this.maxConnectionsPerSource) {
      this.refused(
        'maxConnectionsPerSource',
        source,
        this.maxConnectionsPerSource,
        'SIP connection refused: too many connections from one source',
      );
      return false;
    }
    this.sources.set(source, count + 1);
    socket.once('close', () => {
      const left = (this.sources.get(source) ?? 1) - 1;
      if (left > 0) this.sources.set(source, left);
      else this.sources.delete(source);
    });
    return true;
  }

  private refused(
    limit: keyof SipTransportLimitCounts,
    source: string,
    value: number,
    message: string,
  ): void {
    this.limitCounts[limit]++;
    const now = this.clock.monotonic();
    const last = this.refusalLoggedAt.get(limit);
    if (last !== undefined && now - last < REFUSAL_LOG_INTERVAL_MS) return;
    this.refusalLoggedAt.set(limit, now);
    this.logger.warn({ source, limit: value, refusedSinceStart: this.limitCounts[limit] }, message);
  }

  /** Returns why a TLS peer is refused, or undefined if it is acceptable. */
  private checkTrustedPeer(socket: TLSSocket): string | undefined {
    const trusted = this.config.tlsConfig?.trustedPeers ?? [];
    if (trusted.length === 0) return undefined;
    const certificate = socket.getPeerCertificate();
    if (Object.keys(certificate).length === 0)
      return 'no client certificate presented (mutual TLS is required)';
    if (!socket.authorized) return `peer certificate not verified: ${String(socket.authorizationError)}`;
    const names = certificateNames(certificate);
    if (!isTrustedPeer(names, trusted))
      return `peer certificate names [${names.join(', ')}] match no trusted peer`;
    return undefined;
  }

  private acceptTls(socket: TLSSocket, protocol: 'TLS'): void {
    this.handshaking.delete(socket);
    if (this.disposed) {
      socket.destroy();
      return;
    }
    const verdict = this.checkTrustedPeer(socket);
    if (verdict !== undefined) {
      // Refused before any SIP byte is read; the reason goes to the log, not to the peer.
      this.logger.warn(
        { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: verdict },
        'TLS peer refused',
      );
      socket.destroy();
      return;
    }
    const connection = new StreamConnection(
      this.nextId++,
      protocol,
      socket,
      false,
      this.sink,
      this.clock,
      this.logger,
      this.limits,
      this.host,
    );
    connection.peerNames = certificateNames(socket.getPeerCertificate());
    this.register(connection);
  }

  private register(connection: SipConnection): void {
    this.connections.set(connection.id, connection);
    this.logger.debug(
      {
        connection: connection.id,
        protocol: connection.protocol,
        remote: `${connection.remoteAddress}:${connection.remotePort}`,
      },
      'SIP connection opened',
    );
  }

  /** Called by the core's sink when a connection has closed. */
  forget(connection: SipConnection): void {
    if (this.connections.delete(connection.id)) this.readPausesOfClosed += connection.readPauses;
    for (const [key, value] of this.outbound) if (value === connection) this.outbound.delete(key);
  }

  /**
   * A connection to `target` for a request the gateway originates (RFC 3261 §18.1.1): an open
   * outbound connection is reused, otherwise a new one is made. WebSocket clients cannot be
   * called back, so WS/WSS targets fail.
   */
  connect(target: { transport: SipTransportProtocol; host: string; port: number }): Promise<SipConnection> {
    if (this.disposed) return Promise.reject(new DesklineError(ErrorCode.Disposed, 'SIP transport disposed'));
    if (target.transport === 'WS' || target.transport === 'WSS') {
      return Promise.reject(
        new DesklineError(ErrorCode.SipTransport, 'cannot open a WebSocket connection to a SIP client'),
      );
    }
    const key = `${target.transport}:${target.host}:${target.port}`;
    const existing = this.outbound.get(key);
    if (existing !== undefined && existing.isOpen) return Promise.resolve(existing);
    const pending = this.pendingConnects.get(key);
    if (pending !== undefined) return pending;
    if (this.connections.size >= this.maxConnections) {
      return Promise.reject(new DesklineError(ErrorCode.SipTransport, 'too many connections'));
    }
    const promise = this.openOutbound(target.transport, target.host, target.port).finally(() =>
      this.pendingConnects.delete(key),
    );
    this.pendingConnects.set(key, promise);
    return promise.then((connection) => {
      this.outbound.set(key, connection);
      return connection;
    });
  }

  private openOutbound(protocol: 'TCP' | 'TLS', host: string, port: number): Promise<SipConnection> {
    return new Promise<SipConnection>((resolve, reject) => {
      let socket: Socket | TLSSocket;
      const tls = this.config.tlsConfig;
      if (protocol === 'TLS') {
        if (tls === undefined) {
          reject(new DesklineError(ErrorCode.SipTransport, 'TLS target but no tlsConfig'));
          return;
        }
        socket = tlsConnect({
          host,
          port,
          servername: isIP(host) === 0 ? host : undefined,
          ...tlsIdentity(tls),
          rejectUnauthorized: true,
        });
      } else {
        socket = netConnect({ host, port, allowHalfOpen: true });
      }
      const event = protocol === 'TLS' ? 'secureConnect' : 'connect';
      let settled = false;
      const timer = this.clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        socket.destroy();
        reject(new DesklineError(ErrorCode.SipTransport, `connect to ${host}:${port} timed out`));
      }, this.connectTimeoutMs);
      socket.once('error', (error: Error) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        reject(wrapError(error, ErrorCode.SipTransport, `connect to ${protocol} ${host}:${port} failed`));
      });
      socket.once(event, () => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        if (this.disposed) {
          socket.destroy();
          reject(new DesklineError(ErrorCode.Disposed, 'SIP transport disposed'));
          return;
        }
        if (socket instanceof TLSSocket) {
          const verdict = this.checkTrustedPeer(socket);
          if (verdict !== undefined) {
            this.logger.warn({ remote: `${host}:${port}`, reason: verdict }, 'TLS peer refused');
            socket.destroy();
            reject(new DesklineError(ErrorCode.SipTransport, `TLS peer refused: ${verdict}`));
            return;
          }
        }
        const connection = new StreamConnection(
          this.nextId++,
          protocol,
          socket,
          true,
          this.sink,
          this.clock,
          this.logger,
          this.limits,
          this.host,
        );
        if (socket instanceof TLSSocket) connection.peerNames = certificateNames(socket.getPeerCertificate());
        this.register(connection);
        resolve(connection);
      });
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const connection of [...this.connections.values()]) connection.destroy('transport disposed');
    this.scheduler.dispose();
    this.messageDeadlines.dispose();
    for (const socket of this.handshaking) socket.destroy();
    this.handshaking.clear();
    await Promise.all(
      this.listeners.map(
        (listener) =>
          new Promise<void>((resolve) => {
            if (listener.protocol === 'WS' || listener.protocol === 'WSS') {
              for (const client of listener.wss.clients) client.terminate();
              listener.wss.close();
              listener.server.closeAllConnections();
            }
            if (!listener.server.listening) {
              resolve();
              return;
            }
            listener.server.close(() => resolve());
          }),
      ),
    );
    this.connections.clear();
    this.outbound.clear();
    this.sources.clear();
  }
}

/** The source a connection counts against: its address, an IPv4-mapped IPv6 one as IPv4. */
function sourceOf(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** What our TLS side is and accepts, the same as server and as client: certificate, CA, versions, suites. */
function tlsIdentity(
  tls: SipTlsConfig,
): Pick<TlsOptions, 'cert' | 'key' | 'passphrase' | 'ca' | 'minVersion' | 'ciphers'> {
  return {
    cert: tls.cert,
    key: tls.key,
    passphrase: tls.passphrase,
    ca: caOption(tls.ca),
    minVersion: tls.minVersion ?? 'TLSv1.2',
    ciphers: CIPHERS,
  };
}

/** Node wants a mutable array; our config is read-only. */
function caOption(ca: SipTlsConfig['ca']): string | Buffer | (string | Buffer)[] | undefined {
  if (ca === undefined || typeof ca === 'string' || Buffer.isBuffer(ca)) return ca;
  return [...ca];
}

function listen(
  server: NetServer | HttpServer,
  address: ListenAddress,
  protocol: SipTransportProtocol,
): Promise<BoundListener> {
  return new Promise<BoundListener>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      // address() is a string only for pipes and Unix sockets; ours listen on host:port.
      const info: AddressInfo | string | null = server.address();
      if (info === null || typeof info === 'string') {
        reject(new DesklineError(ErrorCode.SipTransport, `${protocol} listener has no address`));
        return;
      }
      resolve({ protocol, host: info.address, port: info.port });
    });
  });
}
