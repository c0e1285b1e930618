// The SIP transport layer (RFC 3261 §18): listeners for TCP, TLS, WebSocket and secure
// WebSocket (RFC 7118), each a list of { host, port }; outbound connections for requests the
// gateway originates when a dialog's connection is gone; connection limits; and the TLS
// trusted-peer rule. It frames and parses, and hands messages up through ConnectionSink —
// the layer above never touches a socket.
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
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_WRITE_BUFFER_BYTES,
} from '../constants.js';
import {
  StreamConnection,
  WebSocketConnection,
  type ConnectionLimits,
  type ConnectionSink,
  type SipConnection,
  type SipTransportProtocol,
} from './connection.js';
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
}

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
  private readonly connectTimeoutMs: number;
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
    this.connectTimeoutMs = config.connectTimeoutMs ?? 10_000;
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
    };
  }

  private async listenStream(protocol: 'TCP' | 'TLS', address: ListenAddress): Promise<void> {
    let server: NetServer;
    if (protocol === 'TLS') {
      const tlsServer = createTlsServer(this.serverTlsOptions());
      tlsServer.on('secureConnection', (socket: TLSSocket) => this.acceptTls(socket, 'TLS'));
      tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.handshaking.delete(socket);
        this.logger.warn(
          { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: error.message },
          'TLS handshake refused',
        );
      });
      // Count sockets while they handshake so that dispose() can destroy them.
      tlsServer.on('connection', (socket: Socket) => {
        if (this.connections.size + this.handshaking.size >= this.maxConnections) {
          this.logger.warn({ limit: this.maxConnections }, 'SIP connection refused: too many connections');
          socket.destroy();
          return;
        }
        this.handshaking.add(socket);
        socket.once('close', () => this.handshaking.delete(socket));
      });
      server = tlsServer;
    } else {
      server = createNetServer((socket) => this.acceptTcp(socket));
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
    const server = protocol === 'WSS' ? createHttpsServer(this.serverTlsOptions()) : createHttpServer();
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
    if (this.connections.size >= this.maxConnections)
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
      );
      if (tlsSocket !== undefined) connection.peerNames = certificateNames(tlsSocket.getPeerCertificate());
      this.register(connection);
    });
  }

  private acceptTcp(socket: Socket): void {
    if (this.disposed || this.connections.size >= this.maxConnections) {
      this.logger.warn({ limit: this.maxConnections }, 'SIP connection refused: too many connections');
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
      ),
    );
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
        socket = netConnect({ host, port });
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
  }
}

/** Node wants a mutable array; our config is read-only. */
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
