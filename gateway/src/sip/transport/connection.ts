// One SIP connection: a TCP or TLS stream (framed by StreamFramer) or a WebSocket (one SIP
// message per WebSocket message, RFC 7118 §5). Every connection has an idle timer, a bounded
// write buffer (a peer that never reads is cut off rather than allowed to grow our memory),
// and a small state machine (docs/architecture.md §5).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { WebSocket, RawData } from 'ws';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { assertNever } from '../../util/errors.js';
import type { Result } from '../../util/result.js';
import { StreamFramer } from '../framing.js';
import type { SipRequest, SipResponse } from '../message.js';
import { SipParseError, parseDatagram } from '../parser.js';

export type SipTransportProtocol = 'TCP' | 'TLS' | 'WS' | 'WSS';

export interface ConnectionSink {
  /** A message (or why it cannot be accepted) arrived on `connection`. */
  receiveFromTransport(
    connection: SipConnection,
    result: Result<SipRequest | SipResponse, SipParseError>,
  ): void;
  /** The stream can no longer be framed: answer if `error.status` is set; the connection then closes. */
  receiveFramingError(connection: SipConnection, error: SipParseError): void;
  connectionClosed(connection: SipConnection, reason: string): void;
}

export interface ConnectionLimits {
  readonly idleTimeoutMs: number;
  readonly maxWriteBufferBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
  /** How long a graceful close may take before the socket is destroyed. */
  readonly closeGraceMs: number;
  /**
   * Requests received on one connection and not yet finally answered. At this many the
   * connection stops reading until half of them are answered: a client pipelining thousands
   * of requests waits in its own socket buffers instead of queueing them all on the CTI link,
   * where they would delay every other session's requests and the CTI heartbeats. The bound is
   * soft by at most the requests of one read already taken from the socket.
   */
  readonly maxPendingRequests: number;
}

export const ConnectionState = {
  Open: 'Open',
  Closing: 'Closing',
  Closed: 'Closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

const LEGAL: Record<ConnectionState, readonly ConnectionState[]> = {
  Open: ['Closing', 'Closed'],
  Closing: ['Closed'],
  Closed: [],
};

const PONG = Buffer.from('\r\n', 'latin1');

export interface ConnectionInfo {
  readonly id: number;
  readonly protocol: SipTransportProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True if the gateway opened this connection. */
  readonly outbound: boolean;
  /** TLS: names from the peer certificate (subject CN, subjectAltNames). */
  readonly peerNames: readonly string[];
  /** Bytes received so far. */
  readonly bytesIn: number;
  /** SIP messages received so far (framed, valid or not). */
  readonly messagesIn: number;
  /** Bytes of an unfinished message held by the stream framer (0 at a message boundary). */
  readonly bufferedBytes: number;
  /** Dialogs currently bound to this connection. */
  readonly dialogRefs: number;
}

export abstract class SipConnection implements ConnectionInfo {
  readonly id: number;
  abstract readonly protocol: SipTransportProtocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly outbound: boolean;
  peerNames: readonly string[] = [];
  /** Dialogs bound to this connection: while > 0, quietness alone does not close it. */
  dialogRefs = 0;
  bytesIn = 0;
  messagesIn = 0;
  /** Times reading stopped because `maxPendingRequests` were unanswered. */
  readPauses = 0;
  private pendingRequests = 0;
  private readingPaused = false;
  private stateValue: ConnectionState = ConnectionState.Open;
  private lastActivity: number;
  private idleTimer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private closeReason = '';

  protected constructor(
    init: {
      id: number;
      remoteAddress: string;
      remotePort: number;
      localAddress: string;
      localPort: number;
      outbound: boolean;
    },
    protected readonly sink: ConnectionSink,
    protected readonly clock: Clock,
    protected readonly logger: Logger,
    protected readonly limits: ConnectionLimits,
  ) {
    this.id = init.id;
    this.remoteAddress = init.remoteAddress;
    this.remotePort = init.remotePort;
    this.localAddress = init.localAddress;
    this.localPort = init.localPort;
    this.outbound = init.outbound;
    this.lastActivity = clock.monotonic();
    this.idleTimer = clock.setTimeout(() => this.checkIdle(), limits.idleTimeoutMs);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get isOpen(): boolean {
    return this.stateValue === ConnectionState.Open;
  }

  /** Writes one message (or pong). False if the connection is not open or was cut off. */
  send(bytes: Buffer): boolean {
    if (this.stateValue !== ConnectionState.Open) return false;
    const buffered = this.write(bytes);
    if (buffered > this.limits.maxWriteBufferBytes) {
      // The peer is not reading: cut it off instead of buffering without bound.
      this.logger.warn(
        { connection: this.id, buffered, limit: this.limits.maxWriteBufferBytes },
        'SIP peer not reading; connection cut off',
      );
      this.destroy('write buffer limit exceeded');
      return false;
    }
    return true;
  }

  /** Graceful close: flush what is written, then end; destroyed if the peer does not cooperate in time. */
  close(reason: string): void {
    if (this.stateValue !== ConnectionState.Open) return;
    this.transition(ConnectionState.Closing, reason);
    this.end();
  }

  /** Immediate close. */
  destroy(reason: string): void {
    if (this.stateValue === ConnectionState.Closed) return;
    this.closeReason ||= reason;
    this.kill();
    // The socket's 'close' event completes the transition; make sure it happens even if not emitted.
    this.closed(reason);
  }

  /** The transport implementation reports the socket is gone. */
  protected closed(reason: string): void {
    if (this.stateValue === ConnectionState.Closed) return;
    this.transition(ConnectionState.Closed, this.closeReason || reason);
  }

  /** Requests received and not yet finally answered. */
  get pending(): number {
    return this.pendingRequests;
  }

  get isReadingPaused(): boolean {
    return this.readingPaused;
  }

  /** A server transaction began for a request read from this connection. */
  requestStarted(): void {
    this.pendingRequests++;
    if (this.readingPaused || this.pendingRequests < this.limits.maxPendingRequests) return;
    if (this.stateValue !== ConnectionState.Open) return;
    this.readingPaused = true;
    this.readPauses++;
    this.logger.debug(
      { connection: this.id, pending: this.pendingRequests },
      'SIP connection: too many requests unanswered; reading paused',
    );
    this.pauseReading();
  }

  /** That transaction sent its final response (or ended without one). */
  requestFinished(): void {
    this.pendingRequests--;
    if (!this.readingPaused || this.pendingRequests > this.limits.maxPendingRequests >> 1) return;
    this.readingPaused = false;
    if (this.stateValue === ConnectionState.Open) this.resumeReading();
  }

  protected touch(bytes: number): void {
    this.bytesIn += bytes;
    this.lastActivity = this.clock.monotonic();
  }

  protected abstract write(bytes: Buffer): number;
  protected abstract pauseReading(): void;
  protected abstract resumeReading(): void;
  protected abstract end(): void;
  protected abstract kill(): void;
  /** True while part of a message is buffered. */
  protected abstract get hasPartialMessage(): boolean;
  abstract get bufferedBytes(): number;

  // docs/architecture.md §5: one guarded transition that owns the timers.
  private transition(to: ConnectionState, reason: string): void {
    if (!LEGAL[this.stateValue].includes(to))
      throw new Error(`connection ${this.id}: illegal transition ${this.stateValue} → ${to}`);
    this.stateValue = to;
    switch (to) {
      case ConnectionState.Closing:
        this.closeReason = reason;
        this.clock.clearTimeout(this.idleTimer);
        this.idleTimer = undefined;
        this.closeTimer = this.clock.setTimeout(
          () => this.destroy('close grace period elapsed'),
          this.limits.closeGraceMs,
        );
        break;
      case ConnectionState.Closed:
        this.clock.clearTimeout(this.idleTimer);
        this.clock.clearTimeout(this.closeTimer);
        this.idleTimer = undefined;
        this.closeTimer = undefined;
        this.onClosed();
        this.sink.connectionClosed(this, reason);
        break;
      case ConnectionState.Open:
        throw new Error('a connection never re-opens');
      default:
        assertNever(to, 'connection state');
    }
  }

  protected onClosed(): void {}

  private checkIdle(): void {
    this.idleTimer = undefined;
    if (this.stateValue !== ConnectionState.Open) return;
    const quietFor = this.clock.monotonic() - this.lastActivity;
    const idle = this.limits.idleTimeoutMs;
    if (quietFor < idle) {
      this.idleTimer = this.clock.setTimeout(() => this.checkIdle(), idle - quietFor);
      return;
    }
    if (this.hasPartialMessage) {
      // RFC 4475 clerr over a stream: the rest of the message never came.
      this.logger.info({ connection: this.id }, 'SIP connection closed: incomplete message timed out');
      this.close('incomplete message timed out');
      return;
    }
    if (this.dialogRefs === 0) {
      this.logger.debug({ connection: this.id }, 'SIP connection closed: idle');
      this.close('idle timeout');
      return;
    }
    this.idleTimer = this.clock.setTimeout(() => this.checkIdle(), idle);
  }
}

/** TCP or TLS: a byte stream framed by Content-Length (RFC 3261 §18.3). */
export class StreamConnection extends SipConnection {
  readonly protocol: 'TCP' | 'TLS';
  private readonly framer: StreamFramer;
  /** True while writes are being gathered for one writev at the end of this tick. */
  private corked = false;
  private readonly flush = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(
    id: number,
    protocol: 'TCP' | 'TLS',
    private readonly socket: Socket | TLSSocket,
    outbound: boolean,
    sink: ConnectionSink,
    clock: Clock,
    logger: Logger,
    limits: ConnectionLimits,
  ) {
    super(
      {
        id,
        remoteAddress: socket.remoteAddress ?? '',
        remotePort: socket.remotePort ?? 0,
        localAddress: socket.localAddress ?? '',
        localPort: socket.localPort ?? 0,
        outbound,
      },
      sink,
      clock,
      logger,
      limits,
    );
    this.protocol = protocol;
    this.framer = new StreamFramer(
      {
        onMessage: (result) => {
          this.messagesIn++;
          this.sink.receiveFromTransport(this, result);
        },
        // RFC 5626 §3.5.1: "the server ... MUST respond to a ping with a pong" (a single CRLF).
        onPing: () => void this.send(PONG),
        onFatal: (error) => {
          this.logger.info(
            { connection: this.id, reason: error.message },
            'SIP stream framing error; closing connection',
          );
          this.sink.receiveFramingError(this, error);
          this.close(`framing error: ${error.message}`);
        },
      },
      { maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (!this.isOpen) return;
      this.touch(chunk.length);
      this.framer.push(chunk);
    });
    socket.on('error', (error: Error) => {
      this.logger.debug({ connection: this.id, error: error.message }, 'SIP socket error');
    });
    socket.on('close', () => this.closed('socket closed'));
    // A half-closed peer can still read our responses; end our side once the writes are flushed.
    socket.on('end', () => this.close('peer ended the connection'));
  }

  protected get hasPartialMessage(): boolean {
    return this.framer.hasPartialMessage;
  }

  get bufferedBytes(): number {
    return this.framer.bufferedBytes;
  }

  protected write(bytes: Buffer): number {
    // Messages written in the same tick (the responses to a batch of pipelined requests, the
    // event INFOs of one CTI event) leave in one writev: a write(2) per message was ~30 % of the
    // gateway's CPU under load (docs/benchmarks.md, "Profile findings").
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.flush);
    }
    this.socket.write(bytes);
    return this.socket.writableLength;
  }

  protected pauseReading(): void {
    this.socket.pause();
  }

  protected resumeReading(): void {
    this.socket.resume();
  }

  protected end(): void {
    this.socket.end();
  }

  protected kill(): void {
    this.socket.destroy();
  }

  protected override onClosed(): void {
    this.framer.dispose();
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** WebSocket (RFC 7118): each WebSocket message carries exactly one SIP message. */
export class WebSocketConnection extends SipConnection {
  readonly protocol: 'WS' | 'WSS';

  constructor(
    id: number,
    protocol: 'WS' | 'WSS',
    private readonly ws: WebSocket,
    address: { remoteAddress: string; remotePort: number; localAddress: string; localPort: number },
    sink: ConnectionSink,
    clock: Clock,
    logger: Logger,
    limits: ConnectionLimits,
  ) {
    super({ id, ...address, outbound: false }, sink, clock, logger, limits);
    this.protocol = protocol;
    ws.on('message', (data: RawData) => {
      if (!this.isOpen) return;
      const bytes = toBuffer(data);
      this.touch(bytes.length);
      // Whitespace-only messages carry no SIP (some clients send them as keep-alives).
      if (isOnlyCrlf(bytes)) return;
      this.messagesIn++;
      const result = parseDatagram(bytes, { maxHeaderBytes: this.limits.maxHeaderBytes });
      if (!result.ok && result.error.startLine === 'garbage') {
        // Not SIP at all: nothing can be answered, and the peer is not speaking our protocol.
        this.logger.info(
          { connection: this.id, reason: result.error.message },
          'non-SIP WebSocket message; closing connection',
        );
        this.close('not SIP');
        return;
      }
      this.sink.receiveFromTransport(this, result);
    });
    ws.on('error', (error: Error) => {
      this.logger.debug({ connection: this.id, error: error.message }, 'SIP WebSocket error');
    });
    ws.on('close', () => this.closed('websocket closed'));
  }

  protected get hasPartialMessage(): boolean {
    return false;
  }

  get bufferedBytes(): number {
    return 0;
  }

  protected write(bytes: Buffer): number {
    // RFC 7118 §5.1: a SIP message that is valid UTF-8 may be sent as a text message.
    this.ws.send(bytes, { binary: false });
    return this.ws.bufferedAmount;
  }

  protected pauseReading(): void {
    this.ws.pause();
  }

  protected resumeReading(): void {
    this.ws.resume();
  }

  protected end(): void {
    this.ws.close(1000);
  }

  protected kill(): void {
    this.ws.terminate();
  }

  protected override onClosed(): void {
    if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function isOnlyCrlf(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0x0d && bytes[i] !== 0x0a) return false;
  return true;
}
