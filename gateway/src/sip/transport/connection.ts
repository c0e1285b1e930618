// One SIP connection: a TCP or TLS stream (framed by StreamFramer) or a WebSocket (one SIP
// message per WebSocket message, RFC 7118 §5). Every connection has an idle timer, a deadline
// for completing a message once its first byte arrived, a bounded write buffer (a peer that
// never reads is cut off rather than allowed to grow our memory), a queue of received messages
// handed to the core by the transport's fair scheduler, and a small state machine (docs/architecture.md §5).
// The limits are listed in docs/robustness.md, §6.
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
import type { InboundScheduler, ScheduledSource } from './scheduler.js';

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

/**
 * What the transport layer lends its connections (absent for in-memory test connections, which
 * then hand every message to the core at once and have no message deadline).
 */
export interface ConnectionHost {
  /** The fair scheduler shared by all connections of the transport layer. */
  readonly scheduler: InboundScheduler;
  /** A message began (its first byte arrived): start its completion deadline. */
  messageStarted(connection: SipConnection): void;
  /** No message is in progress any more (completed, or reading paused): stop the deadline. */
  messageStopped(connection: SipConnection): void;
}

/**
 * Input that ends a connection, queued behind the messages received before it so that they are
 * handled (and answered) first: a framing error on a stream, or a WebSocket message that is not SIP.
 */
class EndOfInput {
  constructor(
    readonly reason: string,
    /** A framing error the core may answer (status set) before the connection closes. */
    readonly error: SipParseError | undefined,
  ) {}
}

type Inbound = Result<SipRequest | SipResponse, SipParseError> | EndOfInput;

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

export abstract class SipConnection implements ConnectionInfo, ScheduledSource {
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
  /** Dialog-creating INVITEs received here and not yet finally answered (the core counts them). */
  dialogsOpening = 0;
  // ScheduledSource bookkeeping, owned by the scheduler.
  turn = 0;
  turnUsed = 0;
  waiting = false;
  nextWaiting: ScheduledSource | undefined;
  private pendingRequests = 0;
  private readingPaused = false;
  private stateValue: ConnectionState = ConnectionState.Open;
  /** Last complete message or keep-alive (not any byte: a trickle of bytes is not activity). */
  private lastActivity: number;
  private idleTimer: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;
  private closeReason = '';
  /** Messages received and not yet handed to the core, from `inboundHead` on. */
  private inbound: (Inbound | undefined)[] | undefined;
  private inboundHead = 0;
  /** No more input is taken (an EndOfInput is queued). */
  private inputEnded = false;
  /** The peer half-closed while messages were queued: close once they are handled. */
  private closeWhenDrained: string | undefined;
  /** Messages and keep-alives completed so far; the deadline restarts when this moves on. */
  private unitsIn = 0;
  /** `unitsIn` when the running message deadline started; -1 when none runs. */
  private deadlineUnits = -1;

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
    protected readonly host?: ConnectionHost,
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

  /**
   * Graceful close: flush what is written, then end; destroyed if the peer does not cooperate in
   * time. `webSocketCode`: the RFC 6455 §7.4.1 status code a WebSocket closes with (1000 by default).
   */
  close(reason: string, webSocketCode?: number): void {
    if (this.stateValue !== ConnectionState.Open) return;
    this.transition(ConnectionState.Closing, reason);
    this.end(webSocketCode);
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
    this.updateReading();
  }

  /** That transaction sent its final response (or ended without one); `opensDialog`: it was a dialog-creating INVITE. */
  requestFinished(opensDialog = false): void {
    this.pendingRequests--;
    if (opensDialog) this.dialogsOpening--;
    this.updateReading();
  }

  /** Messages received and waiting for their turn (ScheduledSource). */
  get queued(): number {
    return this.inbound === undefined ? 0 : this.inbound.length - this.inboundHead;
  }

  /** ScheduledSource: false once closing (what waits is dropped). */
  get accepting(): boolean {
    return this.stateValue === ConnectionState.Open;
  }

  /**
   * Backpressure (docs/robustness.md): requests unanswered plus messages still queued. At
   * `maxPendingRequests` the connection stops reading; at half of it, it reads again. The peer's
   * further messages wait in its own socket buffers.
   */
  private updateReading(): void {
    const load = this.pendingRequests + this.queued;
    if (!this.readingPaused) {
      if (load < this.limits.maxPendingRequests || this.stateValue !== ConnectionState.Open) return;
      this.readingPaused = true;
      this.readPauses++;
      this.logger.debug(
        { connection: this.id, pending: this.pendingRequests, queued: this.queued },
        'SIP connection: too many requests unanswered; reading paused',
      );
      this.pauseReading();
      // The peer cannot finish a message we do not read: its deadline waits for us.
      if (this.deadlineUnits >= 0) {
        this.deadlineUnits = -1;
        this.host?.messageStopped(this);
      }
      return;
    }
    if (load > this.limits.maxPendingRequests >> 1) return;
    this.readingPaused = false;
    if (this.stateValue !== ConnectionState.Open) return;
    this.resumeReading();
    this.checkMessageProgress();
  }

  /**
   * A message (or the reason it cannot be accepted) was framed: handed to the core now if the
   * scheduler's budget allows and nothing of this connection waits before it, else queued.
   */
  protected receive(item: Inbound): void {
    if (this.inputEnded) return;
    if (item instanceof EndOfInput) this.inputEnded = true;
    else {
      this.unitsIn++;
      this.lastActivity = this.clock.monotonic();
    }
    const scheduler = this.host?.scheduler;
    if (scheduler === undefined || (this.queued === 0 && scheduler.admit(this))) {
      this.handle(item);
      return;
    }
    (this.inbound ??= []).push(item);
    scheduler.wait(this);
    this.updateReading();
  }

  /** A keep-alive (RFC 5626 CRLFCRLF, or a WebSocket message of CRLFs) completed. */
  protected keepAliveReceived(): void {
    this.unitsIn++;
    this.lastActivity = this.clock.monotonic();
  }

  /** ScheduledSource: hands up to `max` queued messages to the core, in order. */
  deliverQueued(max: number): number {
    const inbound = this.inbound;
    if (inbound === undefined) return 0;
    let handed = 0;
    while (handed < max && this.inboundHead < inbound.length && this.stateValue === ConnectionState.Open) {
      const item = inbound[this.inboundHead] as Inbound;
      inbound[this.inboundHead++] = undefined;
      handed++;
      this.handle(item);
    }
    if (this.inbound === inbound) {
      if (this.inboundHead === inbound.length) {
        this.inbound = undefined;
        this.inboundHead = 0;
      } else if (this.inboundHead >= 64 && this.inboundHead * 2 >= inbound.length) {
        // Under a steady flood the queue never empties: drop the handed prefix now and then.
        this.inbound = inbound.slice(this.inboundHead);
        this.inboundHead = 0;
      }
    }
    this.updateReading();
    if (this.closeWhenDrained !== undefined && this.queued === 0) this.close(this.closeWhenDrained);
    return handed;
  }

  private handle(item: Inbound): void {
    if (!(item instanceof EndOfInput)) {
      this.sink.receiveFromTransport(this, item);
      return;
    }
    if (item.error !== undefined) this.sink.receiveFramingError(this, item.error);
    this.close(item.reason);
  }

  /** The peer will send nothing more (half-close): close once what it sent is handled. */
  protected peerEnded(reason: string): void {
    if (this.queued === 0) this.close(reason);
    else this.closeWhenDrained = reason;
  }

  /**
   * After each read: is a message in progress, and since when? Starts the completion deadline
   * at the first byte of a message and stops it when no message is in progress.
   */
  protected checkMessageProgress(): void {
    const host = this.host;
    if (host === undefined || this.stateValue !== ConnectionState.Open || this.readingPaused) return;
    if (!this.hasPartialMessage) {
      if (this.deadlineUnits >= 0) {
        this.deadlineUnits = -1;
        host.messageStopped(this);
      }
      return;
    }
    // A new message began since the deadline started (or none was running): it gets its own.
    if (this.deadlineUnits !== this.unitsIn) {
      this.deadlineUnits = this.unitsIn;
      host.messageStarted(this);
    }
  }

  /** The transport's message deadline ran out: the peer is too slow to finish a message. */
  messageTimedOut(timeoutMs: number): void {
    this.deadlineUnits = -1;
    if (this.stateValue !== ConnectionState.Open) return;
    this.logger.info(
      {
        connection: this.id,
        remote: `${this.remoteAddress}:${this.remotePort}`,
        timeoutMs,
        buffered: this.bufferedBytes,
      },
      'SIP connection closed: message not complete in time',
    );
    // No answer over a stream (docs/robustness.md, "SIP transport limits"); WebSocket close 1008.
    this.close('message not complete in time', 1008);
  }

  protected touch(bytes: number): void {
    this.bytesIn += bytes;
  }

  protected abstract write(bytes: Buffer): number;
  protected abstract pauseReading(): void;
  protected abstract resumeReading(): void;
  protected abstract end(webSocketCode?: number): void;
  protected abstract kill(): void;
  /** True while part of a message is buffered. */
  protected abstract get hasPartialMessage(): boolean;
  abstract get bufferedBytes(): number;

  // docs/architecture.md §5: one guarded transition that owns the timers.
  private transition(to: ConnectionState, reason: string): void {
    if (!LEGAL[this.stateValue].includes(to))
      throw new Error(`connection ${this.id}: illegal transition ${this.stateValue} → ${to}`);
    this.stateValue = to;
    // Whatever still waits for its turn is dropped with the connection (a response to it could
    // not be sent any more); the deadline goes too.
    this.inbound = undefined;
    this.inboundHead = 0;
    this.closeWhenDrained = undefined;
    if (this.deadlineUnits >= 0) {
      this.deadlineUnits = -1;
      this.host?.messageStopped(this);
    }
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
    // Idle: no dialog bound here, nothing unanswered or queued, no message or keep-alive for the
    // whole timeout. A connection that carries a dialog is never closed for quietness: a
    // WebSocket dialog would end with it, and a TCP/TLS one would need a new connection the peer
    // may not accept (docs/sip-stack.md §5).
    if (this.dialogRefs === 0 && this.pendingRequests === 0 && this.queued === 0) {
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
    host?: ConnectionHost,
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
      host,
    );
    this.protocol = protocol;
    this.framer = new StreamFramer(
      {
        onMessage: (result) => {
          this.messagesIn++;
          this.receive(result);
        },
        // RFC 5626 §3.5.1: "the server ... MUST respond to a ping with a pong" (a single CRLF).
        onPing: () => {
          this.keepAliveReceived();
          this.send(PONG);
        },
        onFatal: (error) => {
          this.logger.info(
            { connection: this.id, reason: error.message },
            'SIP stream framing error; closing connection',
          );
          // Behind the messages framed before it: they are handled and answered first.
          this.receive(new EndOfInput(`framing error: ${error.message}`, error));
        },
      },
      { maxHeaderBytes: limits.maxHeaderBytes, maxBodyBytes: limits.maxBodyBytes },
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (!this.isOpen) return;
      this.touch(chunk.length);
      this.framer.push(chunk);
      this.checkMessageProgress();
    });
    socket.on('error', (error: Error) => {
      this.logger.debug({ connection: this.id, error: error.message }, 'SIP socket error');
    });
    socket.on('close', () => this.closed('socket closed'));
    // A half-closed peer can still read our responses; end our side once they are all written.
    socket.on('end', () => this.peerEnded('peer ended the connection'));
  }

  protected get hasPartialMessage(): boolean {
    // Not a lone CRLF (a keep-alive whose second half may never come, RFC 5626 §4.4.1).
    return this.framer.messageInProgress;
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
    raw: Socket,
    address: { remoteAddress: string; remotePort: number; localAddress: string; localPort: number },
    sink: ConnectionSink,
    clock: Clock,
    logger: Logger,
    limits: ConnectionLimits,
    host?: ConnectionHost,
  ) {
    super({ id, ...address, outbound: false }, sink, clock, logger, limits, host);
    this.protocol = protocol;
    ws.on('message', (data: RawData) => {
      if (!this.isOpen) return;
      const bytes = toBuffer(data);
      this.touch(bytes.length);
      // Whitespace-only messages carry no SIP (some clients send them as keep-alives).
      if (isOnlyCrlf(bytes)) {
        this.keepAliveReceived();
        return;
      }
      this.messagesIn++;
      const result = parseDatagram(bytes, { maxHeaderBytes: this.limits.maxHeaderBytes });
      if (!result.ok && result.error.startLine === 'garbage') {
        // Not SIP at all: nothing can be answered, and the peer is not speaking our protocol.
        this.logger.info(
          { connection: this.id, reason: result.error.message },
          'non-SIP WebSocket message; closing connection',
        );
        this.receive(new EndOfInput('not SIP', undefined));
        return;
      }
      this.receive(result);
    });
    // After ws has read a chunk (its own 'data' listener was added first, at the upgrade, and
    // emits the complete messages synchronously): is part of a frame left over?
    raw.on('data', () => this.checkMessageProgress());
    ws.on('error', (error: Error) => {
      this.logger.debug({ connection: this.id, error: error.message }, 'SIP WebSocket error');
    });
    ws.on('close', () => this.closed('websocket closed'));
  }

  protected get hasPartialMessage(): boolean {
    return webSocketHasPartialMessage(this.ws);
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

  protected end(webSocketCode = 1000): void {
    this.ws.close(webSocketCode);
  }

  protected kill(): void {
    this.ws.terminate();
  }

  protected override onClosed(): void {
    if (this.ws.readyState !== this.ws.CLOSED) this.ws.terminate();
  }
}

/**
 * True while ws holds part of a frame, or the fragments of an unfinished message. ws 8 has no
 * public accessor for it; its Receiver keeps the unparsed bytes count in `_bufferedBytes` and the
 * fragments in `_fragments` (node_modules/ws/lib/receiver.js). Read defensively: if a later ws
 * renames them this returns false (no deadline, as before), and the WebSocket test of the message
 * deadline in gateway/test/sip/transport-limits.test.ts fails.
 */
function webSocketHasPartialMessage(ws: WebSocket): boolean {
  const receiver: unknown = Reflect.get(ws, '_receiver');
  if (typeof receiver !== 'object' || receiver === null) return false;
  const buffered: unknown = Reflect.get(receiver, '_bufferedBytes');
  const fragments: unknown = Reflect.get(receiver, '_fragments');
  return (typeof buffered === 'number' && buffered > 0) || (Array.isArray(fragments) && fragments.length > 0);
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
