// The UAS core (RFC 3261 §8.2, §13.3; RFC 4028 negotiation) of the gateway's SIP face, in
// SIP.js-core style: the layer above sees a narrow delegate — onInvite, onRequest,
// onDialogTerminated — and ServerDialog objects; it never touches sockets, transactions or
// timers. The core checks and routes requests, answers those outside any dialog, creates
// dialogs with its 2xx to an INVITE, and gives each dialog a narrow port (DialogPort): the
// dialog owns its in-dialog behaviour (dialog.ts). RFC clauses are quoted where each branch is
// taken.
import { type Clock, systemClock } from '../util/clock.js';
import { DesklineError, ErrorCode, wrapError } from '../util/errors.js';
import { type Logger, nullLogger } from '../util/logger.js';
import type { Result } from '../util/result.js';
import {
  ACK_WAIT_MS,
  ALLOW_HEADER_VALUE,
  ALLOWED_METHODS,
  CSTA_CONTENT_TYPE,
  DEFAULT_MAX_DIALOGS_PER_CONNECTION,
  KNOWN_UNSUPPORTED_METHODS,
  SUPPORTED_HEADER_VALUE,
  SUPPORTED_OPTION_TAGS,
  T1_MS,
} from './constants.js';
import {
  ServerDialog,
  checkFields,
  checkReason,
  dialogId,
  warning,
  type DialogPort,
  type DialogRequestHandle,
  type DialogTerminationReason,
} from './dialog.js';
import { ExpiryQueue } from './expiry-queue.js';
import { acceptsMediaType } from './headers/simple.js';
import type { Via } from './headers/via.js';
import { type SipHeaderList, SipRequest, SipResponse } from './message.js';
import { SipParseError, validateRequest, validateResponse } from './parser.js';
import { newTag } from './random.js';
import { buildResponse, type Body, type HeaderFields } from './serializer.js';
import {
  DEFAULT_SESSION_TIMER_POLICY,
  negotiateSessionTimer,
  sessionExpiresHeader,
  type SessionTimerDecision,
  type SessionTimerPolicy,
} from './session-timer.js';
import {
  TransactionLayer,
  serverTransactionKey,
  type ServerTransaction,
  type ServerTransactionUser,
  type TransactionTimers,
} from './transaction.js';
import type { ConnectionInfo, ConnectionSink, SipConnection } from './transport/connection.js';
import {
  SipTransportLayer,
  type BoundListener,
  type SipTransportConfig,
  type SipTransportLimitCounts,
} from './transport/transport-layer.js';
import type { NextHop } from './uri.js';

/** What the layer above (the CSTA session layer) implements. */
export interface SipUserAgentCoreDelegate {
  /** A new INVITE outside any dialog passed every check: answer it with accept() or reject(). */
  onInvite(invite: IncomingInvite): void;
  /**
   * An INVITE inside a dialog this core does not know (a re-INVITE after a restart, or re-dispatched
   * by a balancer from a node that died), after the same checks as a new INVITE. accept() creates
   * the dialog with the request's dialog ID (its To tag kept); reject() answers it (481 when it is
   * not taken over). Without this method such a re-INVITE gets 481 (RFC 3261 §12.2.2).
   */
  onDialogTakeover?(invite: IncomingInvite): void;
  /** INFO, UPDATE or re-INVITE inside a dialog: answer with request.respond(). */
  onRequest(dialog: ServerDialog, request: IncomingDialogRequest): void;
  /** The dialog is over; release everything attached to it. Called exactly once per dialog. */
  onDialogTerminated(dialog: ServerDialog, reason: DialogTerminationReason): void;
  /**
   * Whether a new session would be accepted now. RFC 3261 §11.2: OPTIONS outside a dialog is
   * answered as an INVITE would be — so a load balancer probing with OPTIONS takes a node that
   * would refuse every INVITE (no CTI Manager, draining) out of rotation. Undefined = available.
   */
  availability?(): { status: number; reason: string; retryAfterSec?: number } | undefined;
}

export interface SipUserAgentCoreOptions {
  readonly transports: SipTransportConfig;
  readonly delegate: SipUserAgentCoreDelegate;
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  readonly timers?: TransactionTimers | undefined;
  readonly sessionTimer?: Partial<SessionTimerPolicy> | undefined;
  /** Host written in our Contact and Via (default: the local address of the connection). */
  readonly contactHost?: string | undefined;
  /** Server header value (RFC 3261 §20.35); none when undefined. */
  readonly serverHeader?: string | undefined;
  /** Body types accepted in requests (default application/csta+xml; RFC 3261 §8.2.3). */
  readonly acceptedContentTypes?: readonly string[] | undefined;
  /**
   * Dialogs bound to one connection, counting the INVITEs being decided (default 20,000). A new
   * INVITE beyond it gets 503 with Retry-After, so that a balancer or a pool tries another node.
   */
  readonly maxDialogsPerConnection?: number | undefined;
  /**
   * Compatibility rule (default true; docs/msrcc.md §14): in a dialog awaiting the ACK of our 2xx,
   * an ACK of the dialog is that ACK whatever its CSeq, and a peer whose CSeq numbering restarts
   * after our 2xx to its INVITE or re-INVITE is re-baselined instead of refused with 500.
   */
  readonly tolerateCSeqReset?: boolean | undefined;
}

/** Take-over re-INVITEs remembered before those no longer being decided are swept. */
const TAKEOVERS_SWEEP_AT = 1024;

/** Retry-After (RFC 3261 §20.33) of the 503 to an INVITE over `maxDialogsPerConnection`. */
const DIALOG_LIMIT_RETRY_AFTER_S = 30;

/** How the delegate answers. Content-Length is always computed; Content-Type defaults to application/csta+xml. */
export interface ResponseInit {
  readonly reason?: string | undefined;
  readonly headers?: HeaderFields | undefined;
  readonly body?: Body;
  readonly contentType?: string | undefined;
}

/** Content dispositions we can act on (RFC 3261 §20.11; ECMA TR/87 bodies use "signal"). */
const UNDERSTOOD_DISPOSITIONS: ReadonlySet<string> = new Set(['signal', 'render']);
const METHODS_ANSWERED_WITH_BODY: ReadonlySet<string> = new Set(['INVITE', 'INFO']);
const KNOWN_METHODS: ReadonlySet<string> = new Set<string>([
  ...ALLOWED_METHODS,
  ...KNOWN_UNSUPPORTED_METHODS,
]);

export class IncomingInvite {
  /** Set by the delegate to learn of a CANCEL (RFC 3261 §9.2) before it answered. */
  onCancel: (() => void) | undefined;
  private canceledValue = false;
  private dialogValue: ServerDialog | undefined;

  /** @internal */
  constructor(
    private readonly core: SipUserAgentCore,
    /** @internal */ readonly transaction: ServerTransaction,
    readonly message: SipRequest,
    /** @internal */ readonly toTag: string,
    /** @internal */ readonly sessionTimer: SessionTimerDecision,
    private readonly connection: SipConnection,
    /** An in-dialog re-INVITE for a dialog this core did not know (onDialogTakeover): accept()
     *  creates the dialog under the request's own dialog ID. */
    readonly takeover = false,
  ) {}

  get transport(): ConnectionInfo {
    return this.connection;
  }
  get canceled(): boolean {
    return this.canceledValue;
  }
  /** True once a final response has been sent (by the delegate, CANCEL, or the core's guard). */
  get answered(): boolean {
    return !this.transaction.awaitingFinalResponse;
  }
  get dialog(): ServerDialog | undefined {
    return this.dialogValue;
  }

  /** Sends a provisional response (101-199); RFC 3261 §13.3.1.1. */
  progress(status: number, init: ResponseInit = {}): void {
    if (status <= 100 || status >= 200)
      throw new DesklineError(ErrorCode.InvalidArgument, `progress() takes 101-199, not ${status}`);
    this.core.answerInvite(this, status, init);
  }

  /** Answers 200 and creates the dialog (RFC 3261 §13.3.1.4, §12.1.1). */
  accept(init: ResponseInit = {}): ServerDialog {
    const dialog = this.core.acceptInvite(this, init);
    this.dialogValue = dialog;
    return dialog;
  }

  /** Answers with a final non-2xx status (300-699); RFC 3261 §13.3.1.3. */
  reject(status: number, init: ResponseInit = {}): void {
    if (status < 300 || status > 699)
      throw new DesklineError(ErrorCode.InvalidArgument, `reject() takes 300-699, not ${status}`);
    this.core.answerInvite(this, status, init);
  }

  /** @internal */
  markCanceled(): void {
    this.canceledValue = true;
  }
}

export class IncomingDialogRequest implements DialogRequestHandle {
  /** @internal */
  constructor(
    /** @internal */ readonly transaction: ServerTransaction,
    readonly dialog: ServerDialog,
    readonly message: SipRequest,
    /** @internal */ readonly sessionTimer: SessionTimerDecision | undefined,
  ) {}

  get method(): string {
    return this.message.method;
  }
  get answered(): boolean {
    return !this.transaction.awaitingFinalResponse;
  }

  /**
   * The final response (200-699), exactly once. A 2xx to a re-INVITE or UPDATE refreshes the
   * session (RFC 4028 §10) and the remote target (RFC 3261 §12.2.2).
   */
  respond(status: number, init: ResponseInit = {}): void {
    if (status < 200 || status > 699)
      throw new DesklineError(ErrorCode.InvalidArgument, `respond() takes 200-699, not ${status}`);
    this.dialog.answer(this, status, init);
  }
}

/** SipUserAgentCore.stats(): gauges and counters since start, for health, metrics and tests. */
export interface SipCoreStats {
  connections: number;
  dialogs: number;
  serverTransactions: number;
  clientTransactions: number;
  /** Times a connection stopped reading (backpressure), since start. */
  readPauses: number;
  /** Source addresses with inbound connections open. */
  sources: number;
  /** Received messages waiting for their turn (fair scheduling). */
  queuedMessages: number;
  /** Messages that waited for a later event-loop turn, since start. */
  deferredMessages: number;
  /** Peers refused or cut by each limit, since start (docs/robustness.md §6). */
  limits: SipTransportLimitCounts & { maxDialogsPerConnection: number };
}

export class SipUserAgentCore implements ConnectionSink, ServerTransactionUser, DialogPort {
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly delegate: SipUserAgentCoreDelegate;
  private readonly transport: SipTransportLayer;
  private readonly transactions: TransactionLayer;
  private readonly dialogs = new Map<string, ServerDialog>();
  private readonly dialogsByConnection = new Map<SipConnection, Set<ServerDialog>>();
  private readonly ackWait: ExpiryQueue<ServerDialog>;
  private readonly sessionPolicy: SessionTimerPolicy;
  private readonly acceptedTypes: readonly string[];
  private readonly acceptHeader: string;
  private readonly contactHost: string | undefined;
  private readonly serverHeader: string | undefined;
  private readonly serverFieldList: [string, string][];
  private readonly maxDialogsPerConnection: number;
  /** DialogPort: the CSeq compatibility rule (docs/msrcc.md §14). */
  readonly tolerateCSeqReset: boolean;
  /** Dialog IDs of take-over re-INVITEs being decided, so that a second one for the same dialog
   *  waits (491) instead of creating the dialog twice. */
  private readonly takeoversPending = new Map<string, ServerTransaction>();
  /** INVITEs refused at `maxDialogsPerConnection`, since start. */
  private dialogLimitRefusals = 0;
  private disposedValue = false;

  constructor(options: SipUserAgentCoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'sip' });
    this.delegate = options.delegate;
    this.sessionPolicy = { ...DEFAULT_SESSION_TIMER_POLICY, ...options.sessionTimer };
    if (this.sessionPolicy.minSeconds < 90) {
      // RFC 4028 §5: "the minimum ... MUST NOT be lower than 90 seconds".
      throw new DesklineError(
        ErrorCode.ConfigInvalid,
        'session timer minimum must be at least 90 s (RFC 4028 §5)',
      );
    }
    this.acceptedTypes = (options.acceptedContentTypes ?? [CSTA_CONTENT_TYPE]).map((t) => t.toLowerCase());
    this.acceptHeader = this.acceptedTypes.join(', ');
    this.contactHost = options.contactHost;
    this.serverHeader = options.serverHeader;
    this.serverFieldList = this.serverHeader === undefined ? [] : [['Server', this.serverHeader]];
    this.maxDialogsPerConnection = options.maxDialogsPerConnection ?? DEFAULT_MAX_DIALOGS_PER_CONNECTION;
    this.tolerateCSeqReset = options.tolerateCSeqReset ?? true;
    this.transport = new SipTransportLayer(options.transports, this.clock, this.logger, this);
    this.transactions = new TransactionLayer(this.clock, this.logger, this, options.timers);
    const t1 = options.timers?.t1Ms ?? T1_MS;
    this.ackWait = new ExpiryQueue(this.clock, (ACK_WAIT_MS / T1_MS) * t1, (dialog) => dialog.ackTimedOut());
  }

  /** Starts the listeners; returns their bound addresses (port 0 resolved). */
  start(): Promise<BoundListener[]> {
    return this.transport.start();
  }

  addresses(): BoundListener[] {
    return this.transport.addresses();
  }

  /** Counters for health and tests. */
  stats(): SipCoreStats {
    return {
      connections: this.transport.connectionCount,
      readPauses: this.transport.readPauses,
      dialogs: this.dialogs.size,
      serverTransactions: this.transactions.serverCount,
      clientTransactions: this.transactions.clientCount,
      sources: this.transport.sourceCount,
      queuedMessages: this.transport.queuedMessages,
      deferredMessages: this.transport.deferredMessages,
      limits: { ...this.transport.limitHits, maxDialogsPerConnection: this.dialogLimitRefusals },
    };
  }

  /** Open connections (snapshot). */
  connections(): readonly ConnectionInfo[] {
    return this.transport.connectionList();
  }

  /** Bytes received so far on each open connection (tests wait on this instead of sleeping). */
  connectionBytesIn(): number[] {
    return this.transport.connectionList().map((c) => c.bytesIn);
  }

  dialog(id: string): ServerDialog | undefined {
    return this.dialogs.get(id);
  }

  /** DialogPort: nothing is sent once the core is disposed. */
  get disposed(): boolean {
    return this.disposedValue;
  }

  /** Ends every dialog (no BYE), every transaction and every socket. */
  async dispose(): Promise<void> {
    if (this.disposedValue) return;
    this.disposedValue = true;
    for (const dialog of [...this.dialogs.values()]) dialog.terminate('disposed');
    this.transactions.dispose();
    this.ackWait.dispose();
    await this.transport.dispose();
  }

  // ───────────────────────── transport → core (ConnectionSink) ─────────────────────────

  receiveFromTransport(
    connection: SipConnection,
    result: Result<SipRequest | SipResponse, SipParseError>,
  ): void {
    if (this.disposedValue) return;
    try {
      if (!result.ok) {
        this.receiveParseError(connection, result.error);
        return;
      }
      const message = result.value;
      if (message instanceof SipResponse) this.receiveResponse(message);
      else this.receiveRequest(message, connection);
    } catch (error) {
      // A bug must not take the process down: log it and keep serving other messages.
      this.logger.error(
        { error: wrapError(error).message, connection: connection.id },
        'SIP message handling failed',
      );
    }
  }

  receiveFramingError(connection: SipConnection, error: SipParseError): void {
    this.receiveParseError(connection, error);
  }

  connectionClosed(connection: SipConnection, reason: string): void {
    this.transport.forget(connection);
    this.transactions.connectionClosed(connection);
    const bound = this.dialogsByConnection.get(connection);
    if (bound === undefined) return;
    this.dialogsByConnection.delete(connection);
    for (const dialog of bound) {
      dialog.connection = undefined;
      // A WebSocket peer cannot be called back (RFC 7118 §5: the client opens the connection),
      // so its dialogs end with the connection. A TCP/TLS dialog survives: the next request
      // opens a new connection to the route set or remote target (RFC 3261 §18.1.1) — provided
      // an RFC 4028 session timer bounds it. Without one (a UAC that supports neither timers
      // nor UPDATE, §9) a peer that vanished would hold the dialog for ever.
      if (connection.protocol === 'WS' || connection.protocol === 'WSS' || dialog.sessionInterval === 0)
        dialog.terminate('transport');
    }
    this.logger.debug({ connection: connection.id, reason, dialogs: bound.size }, 'SIP connection closed');
  }

  private receiveParseError(connection: SipConnection, error: SipParseError): void {
    // RFC 3261 §17.1.1.3 / §17.2.1: an ACK is never answered, even a broken one.
    if (error.startLine !== 'request' || error.status === undefined || error.method === 'ACK') {
      // RFC 4475 §3.1.2.5/§3.1.2.19: a broken response is discarded; so is what is not SIP.
      this.logger.debug({ connection: connection.id, reason: error.message }, 'SIP message dropped');
      return;
    }
    // RFC 3261 §8.2 / RFC 4475 §3.1.2: answer a malformed request, naming the problem (§20.43 Warning).
    this.logger.info(
      { connection: connection.id, status: error.status, reason: error.message },
      'malformed SIP request refused',
    );
    const headers = error.headers;
    if (headers === undefined) return;
    connection.send(
      buildResponse(headers, toHasTag(headers), error.status, {
        toTag: newTag(),
        headers: [warning(error.message), ...this.serverFields()],
      }),
    );
  }

  // ───────────────────────── requests ─────────────────────────

  private receiveRequest(request: SipRequest, connection: SipConnection): void {
    const valid = validateRequest(request);
    if (!valid.ok) {
      this.receiveParseError(connection, valid.error);
      return;
    }
    // validateRequest guarantees these parse.
    const via = request.topVia();
    const from = request.from();
    const callId = request.callId();
    const cseq = request.cseq();
    const to = request.to();
    if (!via.ok || !from.ok || !callId.ok || !cseq.ok || !to.ok) return;
    stampTopVia(request, via.value, connection);
    const fromTag = tagOf(from.value.params.get('tag'));
    const method = request.method;
    // RFC 3261 §17.2.3: match the request to a server transaction.
    const key = serverTransactionKey(request, via.value, method, fromTag, callId.value, cseq.value.seq);
    const existing = this.transactions.findServer(key);
    if (method === 'ACK') {
      const toTag = tagOf(to.value.params.get('tag'));
      if (existing !== undefined && existing.isInvite) {
        // §17.2.1: an ACK for a non-2xx is absorbed by its transaction; RFC 6026 §7.1: one that
        // matches an Accepted transaction goes to the TU.
        if (!existing.receiveAck(toTag)) return;
      }
      this.receiveAck(request, callId.value, toTag, fromTag, cseq.value.seq);
      return;
    }
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return;
    }
    const transaction = this.transactions.createServer(key, request, connection);
    try {
      this.processRequest(transaction, request, connection);
    } catch (error) {
      this.logger.error({ error: wrapError(error).message, method }, 'SIP request processing failed');
      if (transaction.awaitingFinalResponse)
        this.respond(transaction, request, 500, { headers: [warning('internal error')] });
    }
  }

  private processRequest(
    transaction: ServerTransaction,
    request: SipRequest,
    connection: SipConnection,
  ): void {
    const method = request.method;
    const cseq = request.cseq();
    if (!cseq.ok) return;
    // RFC 3261 §8.2.1 / §21.5.2: an unknown method gets 501 (RFC 4475 §3.1.1.2 intmeth,
    // §3.1.1.5 esc02, and §3.1.2.18 mismatch02 where 501 is the expected answer).
    if (!KNOWN_METHODS.has(method)) {
      this.respond(transaction, request, 501, { headers: [['Allow', ALLOW_HEADER_VALUE]] });
      return;
    }
    // RFC 3261 §8.1.1.5: the CSeq method MUST match the request method (RFC 4475 §3.1.2.17 mismatch01).
    if (cseq.value.method !== method) {
      this.respond(transaction, request, 400, {
        headers: [warning(`CSeq method ${cseq.value.method} does not match the request method ${method}`)],
      });
      return;
    }
    // RFC 3261 §8.2.1: "If the UAS recognizes but does not support the method of a request, it
    // MUST generate a 405 (Method Not Allowed) response ... The UAS MUST also add an Allow header".
    if (KNOWN_UNSUPPORTED_METHODS.has(method)) {
      this.respond(transaction, request, 405, { headers: [['Allow', ALLOW_HEADER_VALUE]] });
      return;
    }
    if (method === 'CANCEL') {
      this.processCancel(transaction, request);
      return;
    }
    // RFC 3261 §8.2.2.1: "If the Request-URI uses a scheme not supported by the UAS, it SHOULD
    // reject the request with a 416 (Unsupported URI Scheme) response" (RFC 4475 §3.3.2, §3.3.3).
    if (request.requestUri.kind !== 'sip') {
      this.respond(transaction, request, 416, {
        headers: [warning(`URI scheme "${request.requestUri.scheme}" is not supported`)],
      });
      return;
    }
    // RFC 3261 §8.2.2.3: option tags in Require that we do not support → 420 with Unsupported
    // listing them (RFC 4475 §3.3.5 bext01). Proxy-Require is for proxies and is ignored here.
    const required = request.require();
    if (required.ok) {
      const unsupported = required.value.filter((tag) => !SUPPORTED_OPTION_TAGS.has(tag.toLowerCase()));
      if (unsupported.length > 0) {
        this.respond(transaction, request, 420, { headers: [['Unsupported', unsupported.join(', ')]] });
        return;
      }
    }
    const to = request.to();
    const toTag = to.ok ? tagOf(to.value.params.get('tag')) : '';
    if (toTag !== '') this.processInDialog(transaction, request, toTag, connection);
    else this.processOutOfDialog(transaction, request, connection);
  }

  private processOutOfDialog(
    transaction: ServerTransaction,
    request: SipRequest,
    connection: SipConnection,
  ): void {
    switch (request.method) {
      case 'OPTIONS':
        // RFC 3261 §11.2: answer as to an INVITE, with Allow, Accept and Supported (Kamailio's
        // dispatcher probes with OPTIONS).
        {
          const unavailable = this.delegate.availability?.();
          if (unavailable !== undefined) {
            const headers: [string, string][] = [...this.capabilityFields(), warning(unavailable.reason)];
            if (unavailable.retryAfterSec !== undefined)
              headers.push(['Retry-After', String(unavailable.retryAfterSec)]);
            this.respond(transaction, request, unavailable.status, { headers });
            return;
          }
        }
        this.respond(transaction, request, 200, { headers: this.capabilityFields() });
        return;
      case 'INVITE':
        this.processInvite(transaction, request, connection);
        return;
      case 'BYE':
      case 'INFO':
      case 'UPDATE':
        // RFC 3261 §15.1.2 (BYE), RFC 6086 §4.2.2 (INFO), RFC 3311 §5.2 (UPDATE): outside a
        // dialog → 481 Call/Transaction Does Not Exist.
        this.respond(transaction, request, 481);
        return;
      default:
        this.respond(transaction, request, 405, { headers: [['Allow', ALLOW_HEADER_VALUE]] });
    }
  }

  private processInvite(
    transaction: ServerTransaction,
    request: SipRequest,
    connection: SipConnection,
    takeover?: { readonly toTag: string; readonly dialogId: string },
  ): void {
    // A cap on the sessions one connection carries, counting the INVITEs still being decided
    // (docs/robustness.md, "SIP transport limits"). RFC 3261 §21.5.4: 503 with Retry-After, which a
    // proxy or balancer in front takes as "try another server" (§16.7); checked first, before any
    // work is spent on the request.
    if (connection.dialogRefs + connection.dialogsOpening >= this.maxDialogsPerConnection) {
      this.dialogLimitRefusals++;
      this.logger.warn(
        {
          connection: connection.id,
          remote: `${connection.remoteAddress}:${connection.remotePort}`,
          limit: this.maxDialogsPerConnection,
        },
        'SIP session refused: too many sessions on this connection',
      );
      this.respond(transaction, request, 503, {
        headers: [
          ['Retry-After', String(DIALOG_LIMIT_RETRY_AFTER_S)],
          warning(
            `this connection carries ${this.maxDialogsPerConnection} sessions, the most allowed per connection`,
          ),
        ],
      });
      return;
    }
    if (!this.checkContent(transaction, request)) return;
    // RFC 3261 §8.1.1.8: a request that can establish a dialog carries exactly one SIP or SIPS Contact URI.
    const contact = request.contact();
    if (
      !contact.ok ||
      contact.value === '*' ||
      contact.value.length !== 1 ||
      contact.value[0]!.uri.kind !== 'sip'
    ) {
      this.respond(transaction, request, 400, {
        headers: [warning('INVITE needs exactly one SIP or SIPS Contact URI (RFC 3261 §8.1.1.8)')],
      });
      return;
    }
    const recordRoute = request.recordRoute();
    if (!recordRoute.ok) {
      this.respond(transaction, request, 400, { headers: [warning(recordRoute.error.message)] });
      return;
    }
    const sessionTimer = this.negotiate(transaction, request);
    if (sessionTimer === undefined) return;
    const toTag = takeover?.toTag ?? newTag();
    transaction.toTag = toTag;
    const invite = new IncomingInvite(
      this,
      transaction,
      request,
      toTag,
      sessionTimer,
      connection,
      takeover !== undefined,
    );
    transaction.owner = invite;
    // Counted until its final response (ServerTransaction → requestFinished).
    transaction.opensDialog = true;
    connection.dialogsOpening++;
    if (takeover !== undefined) {
      // Answered ones are forgotten as they are answered; one that ended without an answer (its
      // connection closed) is swept here, so the map stays as small as the take-overs in progress.
      if (this.takeoversPending.size >= TAKEOVERS_SWEEP_AT)
        for (const [id, pending] of this.takeoversPending)
          if (!pending.awaitingFinalResponse) this.takeoversPending.delete(id);
      this.takeoversPending.set(takeover.dialogId, transaction);
    }
    try {
      if (takeover !== undefined) this.delegate.onDialogTakeover?.(invite);
      else this.delegate.onInvite(invite);
    } catch (error) {
      this.logger.error({ error: wrapError(error).message }, 'onInvite failed');
      if (transaction.awaitingFinalResponse)
        this.respond(transaction, request, 500, { toTag, headers: [warning('internal error')] });
      return;
    }
    // RFC 3261 §17.2.1 / §8.2.6.1: if the TU does not answer at once, 100 Trying tells the UAC
    // its INVITE arrived.
    if (
      transaction.awaitingFinalResponse &&
      transaction.state === 'Proceeding' &&
      !invite.canceled &&
      connection.isOpen
    ) {
      transaction.respond(100, buildResponse(request.headers, false, 100, {}));
    }
  }

  private processCancel(transaction: ServerTransaction, request: SipRequest): void {
    // RFC 3261 §9.2: the CANCEL matches the INVITE's transaction by the §17.2.3 rules, method aside.
    const via = request.topVia();
    const from = request.from();
    const callId = request.callId();
    const cseq = request.cseq();
    if (!via.ok || !from.ok || !callId.ok || !cseq.ok) return;
    const inviteKey = serverTransactionKey(
      request,
      via.value,
      'INVITE',
      tagOf(from.value.params.get('tag')),
      callId.value,
      cseq.value.seq,
    );
    const invite = this.transactions.findServer(inviteKey);
    if (invite === undefined || !invite.isInvite) {
      // §9.2: "If the UAS did not find a matching transaction for the CANCEL ... it SHOULD respond 481".
      this.respond(transaction, request, 481);
      return;
    }
    // §9.2: "the UAS ... SHOULD respond to the INVITE with a 487 (Request Terminated)" if no final
    // response was sent; the CANCEL itself gets 200 either way.
    this.respond(transaction, request, 200);
    if (!invite.awaitingFinalResponse) return;
    const owner = invite.owner;
    if (owner instanceof IncomingInvite) {
      owner.markCanceled();
      this.answerInvite(owner, 487, {});
      try {
        owner.onCancel?.();
      } catch (error) {
        this.logger.error({ error: wrapError(error).message }, 'onCancel failed');
      }
    } else if (owner instanceof IncomingDialogRequest) {
      const original = invite.request;
      if (original !== undefined) this.respond(invite, original, 487);
      owner.dialog.reInviteCanceled();
    }
  }

  private processInDialog(
    transaction: ServerTransaction,
    request: SipRequest,
    toTag: string,
    connection: SipConnection,
  ): void {
    const from = request.from();
    const callId = request.callId();
    const cseq = request.cseq();
    if (!from.ok || !callId.ok || !cseq.ok) return;
    const id = dialogId(callId.value, toTag, tagOf(from.value.params.get('tag')));
    const dialog = this.dialogs.get(id);
    if (dialog === undefined) {
      if (
        request.method === 'INVITE' &&
        this.delegate.onDialogTakeover !== undefined &&
        this.mayOpenSession(request)
      ) {
        // A re-INVITE in a dialog we do not know: the layer above may take the dialog over
        // (docs/msrcc.md §8), checked exactly as a new INVITE. One at a time per dialog.
        const pending = this.takeoversPending.get(id);
        if (pending !== undefined && pending.awaitingFinalResponse) {
          this.respond(transaction, request, 491, { copyRecordRoute: true });
          return;
        }
        this.processInvite(transaction, request, connection, { toTag, dialogId: id });
        return;
      }
      // RFC 3261 §12.2.2: "If the UAS receives a request with a To tag that doesn't match any
      // existing dialog ... [it] SHOULD respond with a 481".
      this.respond(transaction, request, 481);
      return;
    }
    dialog.receiveRequest(transaction, request, cseq.value.seq, connection);
  }

  /** A re-INVITE in an unknown dialog is a take-over candidate only with a body we take
   *  (application/csta+xml): anything else — SDP, no body — gets 481 as it always did. */
  private mayOpenSession(request: SipRequest): boolean {
    if (request.body.length === 0) return false;
    const contentType = request.contentType();
    return (
      contentType.ok &&
      contentType.value !== undefined &&
      this.acceptedTypes.includes(contentType.value.essence)
    );
  }

  /** DialogPort: INFO, UPDATE or re-INVITE for the delegate. */
  handToDelegate(
    transaction: ServerTransaction,
    dialog: ServerDialog,
    request: SipRequest,
    sessionTimer: SessionTimerDecision | undefined,
  ): void {
    const incoming = new IncomingDialogRequest(transaction, dialog, request, sessionTimer);
    transaction.owner = incoming;
    try {
      this.delegate.onRequest(dialog, incoming);
    } catch (error) {
      this.logger.error({ error: wrapError(error).message, method: request.method }, 'onRequest failed');
      if (transaction.awaitingFinalResponse)
        dialog.answer(incoming, 500, { headers: [warning('internal error')] });
    }
  }

  /**
   * Accept (RFC 3261 §20.1; 406) and body checks (§8.2.3; 415). Accept is looked at first:
   * if we cannot answer in any type the UAC takes, the body does not matter (RFC 4475 §3.3.15
   * sdp01 expects 406). An absent Accept is not read as "application/sdp only" (§20.1's default
   * is for SDP sessions; Microsoft RCC clients send no Accept and take application/csta+xml).
   */
  /** DialogPort too. */
  checkContent(transaction: ServerTransaction, request: SipRequest): boolean {
    if (METHODS_ANSWERED_WITH_BODY.has(request.method)) {
      const accept = request.accept();
      if (!accept.ok) {
        this.respond(transaction, request, 400, { headers: [warning(accept.error.message)] });
        return false;
      }
      if (
        accept.value !== undefined &&
        !this.acceptedTypes.some((type) => acceptsMediaType(accept.value!, type))
      ) {
        // RFC 3261 §21.4.7 406 Not Acceptable.
        this.respond(transaction, request, 406, {
          headers: [warning(`we answer only in ${this.acceptHeader}`)],
        });
        return false;
      }
    }
    if (request.body.length === 0) return true;
    const contentType = request.contentType();
    if (!contentType.ok || contentType.value === undefined) {
      // RFC 3261 §7.4.1: "If the body is not empty, the Content-Type header field MUST be present."
      this.respond(transaction, request, 400, { headers: [warning('body without Content-Type')] });
      return false;
    }
    // RFC 3261 §8.2.3: "If a UAS does not understand the media type of a body ... 415 ... The
    // server MUST return a list of acceptable formats using the Accept ... header field"
    // (RFC 4475 §3.3.6 invut).
    if (!this.acceptedTypes.includes(contentType.value.essence)) {
      this.respond(transaction, request, 415, { headers: [['Accept', this.acceptHeader]] });
      return false;
    }
    const encoding = request.header('content-encoding');
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      this.respond(transaction, request, 415, { headers: [['Accept-Encoding', 'identity']] });
      return false;
    }
    const disposition = request.contentDisposition();
    if (!disposition.ok) {
      this.respond(transaction, request, 400, { headers: [warning(disposition.error.message)] });
      return false;
    }
    // RFC 3261 §20.11: an unknown disposition type with handling=required (the default) → 415.
    if (
      disposition.value !== undefined &&
      !UNDERSTOOD_DISPOSITIONS.has(disposition.value.type) &&
      disposition.value.handlingRequired
    ) {
      this.respond(transaction, request, 415, {
        headers: [
          ['Accept', this.acceptHeader],
          warning(`Content-Disposition "${disposition.value.type}" not understood`),
        ],
      });
      return false;
    }
    return true;
  }

  /** RFC 4028 §9 for INVITE, re-INVITE and UPDATE; answers 400/422 itself and returns undefined then. */
  negotiate(transaction: ServerTransaction, request: SipRequest): SessionTimerDecision | undefined {
    const sessionExpires = request.sessionExpires();
    if (!sessionExpires.ok) {
      this.respond(transaction, request, 400, { headers: [warning(sessionExpires.error.message)] });
      return undefined;
    }
    const minSE = request.minSE();
    if (!minSE.ok) {
      this.respond(transaction, request, 400, { headers: [warning(minSE.error.message)] });
      return undefined;
    }
    const allow = request.allow();
    const decision = negotiateSessionTimer(
      {
        supportsTimer: request.supportsOptionTag('timer'),
        sessionExpires: sessionExpires.value,
        minSE: minSE.value,
        allowsUpdate: allow.ok && allow.value.some((m) => m.toUpperCase() === 'UPDATE'),
      },
      this.sessionPolicy,
    );
    if (decision.kind === 'reject') {
      // RFC 4028 §6: 422 Session Interval Too Small, with Min-SE.
      this.respond(transaction, request, 422, { headers: [['Min-SE', String(decision.minSE)]] });
      return undefined;
    }
    return decision;
  }

  private receiveAck(
    request: SipRequest,
    callId: string,
    toTag: string,
    fromTag: string,
    cseq: number,
  ): void {
    if (toTag === '') return;
    const dialog = this.dialogs.get(dialogId(callId, toTag, fromTag));
    // RFC 3261 §13.3.1.4 / §17.1.1.3: the ACK for a 2xx is its own transaction, matched to the
    // dialog; an ACK that matches nothing is discarded.
    if (dialog === undefined || !dialog.receiveAck(cseq))
      this.logger.debug({ callId, cseq, method: request.method }, 'stray ACK discarded');
  }

  // ───────────────────────── answers from the delegate ─────────────────────────

  /** @internal */
  answerInvite(invite: IncomingInvite, status: number, init: ResponseInit): void {
    const transaction = invite.transaction;
    if (!transaction.awaitingFinalResponse) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        `INVITE already answered with ${transaction.finalStatus}`,
      );
    }
    if (invite.takeover) this.forgetTakeover(invite);
    this.respond(transaction, invite.message, status, {
      ...init,
      toTag: invite.toTag,
      // A client that rebuilds its route set from every answer to its re-INVITE (docs/msrcc.md
      // §13) keeps its proxies.
      copyRecordRoute: invite.takeover,
    });
  }

  /** The take-over re-INVITE `invite` is answered: the next one for its dialog may come. */
  private forgetTakeover(invite: IncomingInvite): void {
    for (const [id, transaction] of this.takeoversPending)
      if (transaction === invite.transaction) this.takeoversPending.delete(id);
  }

  /** @internal RFC 3261 §13.3.1.4: the 2xx creates the dialog (§12.1.1). */
  acceptInvite(invite: IncomingInvite, init: ResponseInit): ServerDialog {
    const transaction = invite.transaction;
    if (!transaction.awaitingFinalResponse) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        `INVITE already answered with ${transaction.finalStatus}`,
      );
    }
    const connection = transaction.connection;
    if (!connection.isOpen) {
      // RFC 3261 §18.2.2: the response goes back on the connection the request came on.
      transaction.terminate();
      throw new DesklineError(ErrorCode.SipTransport, 'the connection closed before the INVITE was answered');
    }
    const request = invite.message;
    if (invite.takeover) this.forgetTakeover(invite);
    const from = request.from();
    const to = request.to();
    const callId = request.callId();
    const cseq = request.cseq();
    const contact = request.contact();
    const recordRoute = request.recordRoute();
    if (
      !from.ok ||
      !to.ok ||
      !callId.ok ||
      !cseq.ok ||
      !contact.ok ||
      contact.value === '*' ||
      !recordRoute.ok
    ) {
      throw new Error('assertion failed: a validated INVITE lost its headers');
    }
    const extra = checkFields(init.headers);
    const decision = invite.sessionTimer;
    const fields: (readonly [string, string])[] = [
      ['Contact', this.contactFor(connection, request)],
      ['Allow', ALLOW_HEADER_VALUE],
      ['Supported', SUPPORTED_HEADER_VALUE],
    ];
    if (decision.kind === 'use') {
      // RFC 4028 §9: Session-Expires with the refresher in the 2xx; Require: timer when the UAC supports it.
      fields.push(['Session-Expires', sessionExpiresHeader(decision.interval, decision.refresher)]);
      if (decision.requireTimer) fields.push(['Require', 'timer']);
    }
    fields.push(...this.serverFields(), ...extra);
    const remoteTag = tagOf(from.value.params.get('tag'));
    const id = dialogId(callId.value, invite.toTag, remoteTag);
    if (this.dialogs.has(id)) {
      // Only a take-over can meet its own dialog ID, and only if another request created it meanwhile.
      throw new DesklineError(ErrorCode.InvalidState, `dialog ${callId.value} exists already`);
    }
    // A take-over's To carries its tag already (the dialog's local tag, kept: RFC 3261 §12.1.1).
    const bytes = buildResponse(request.headers, invite.takeover, 200, {
      reason: checkReason(init.reason),
      toTag: invite.toTag,
      copyRecordRoute: true,
      headers: fields,
      body: init.body,
      contentType: init.contentType ?? CSTA_CONTENT_TYPE,
    });
    const dialog = new ServerDialog(this, {
      callId: callId.value,
      localTag: invite.toTag,
      remoteTag,
      localUri: withoutTag(headerValue(request.headers, 'to')),
      remoteUri: headerValue(request.headers, 'from'),
      remoteTarget: contact.value[0]!.uri.text,
      // RFC 3261 §12.1.1: "The route set MUST be set to the list of URIs in the Record-Route
      // header field from the request, taken in order and preserving all URI parameters."
      routeSet: recordRoute.value.map((entry) => entry.text),
      remoteSeq: cseq.value.seq,
      secure:
        request.requestUri.kind === 'sip' &&
        request.requestUri.scheme === 'sips' &&
        connection.protocol !== 'TCP' &&
        connection.protocol !== 'WS',
      connection,
      takenOver: invite.takeover,
    });
    this.dialogs.set(dialog.id, dialog);
    this.bind(dialog, connection);
    dialog.awaitAck(cseq.value.seq);
    if (decision.kind === 'use') dialog.startSessionTimer(decision.interval, decision.refresher);
    transaction.respond(200, bytes);
    this.logger.debug(
      { dialog: dialog.callId, remote: `${connection.remoteAddress}:${connection.remotePort}` },
      'SIP dialog created',
    );
    return dialog;
  }

  // ───────────────────────── responses and our own requests ─────────────────────────

  private receiveResponse(response: SipResponse): void {
    const valid = validateResponse(response);
    if (!valid.ok) {
      // RFC 4475 §3.1.2.5 scalarlg: a response with overlarge values is discarded.
      this.logger.debug({ reason: valid.error.message }, 'malformed SIP response dropped');
      return;
    }
    const via = response.topVia();
    const cseq = response.cseq();
    if (!via.ok || !cseq.ok || via.value.branch === undefined) return;
    // RFC 3261 §17.1.3 / §8.1.3.3 (RFC 4475 §3.3.10 bcast, unreason, noreason): responses that
    // match no client transaction are dropped.
    if (!this.transactions.receiveResponse(response, via.value.branch, cseq.value.method)) {
      this.logger.debug(
        { status: response.status, method: cseq.value.method },
        'SIP response matches no transaction; dropped',
      );
    }
  }

  // ───────────────────────── DialogPort ─────────────────────────

  /** DialogPort: a connection to the next hop (RFC 3261 §18.1.1). */
  connect(hop: NextHop): Promise<SipConnection> {
    return this.transport.connect(hop);
  }

  /** DialogPort: a request of a dialog in its own client transaction. */
  sendRequest(
    connection: SipConnection,
    branch: string,
    method: string,
    bytes: Buffer,
  ): Promise<SipResponse> {
    return new Promise<SipResponse>((resolve, reject) => {
      const transaction = this.transactions.createClient(branch, method, connection, resolve, reject);
      if (!connection.send(bytes)) transaction.transportError('connection not writable');
    });
  }

  /** DialogPort: a response the dialog built. */
  send(transaction: ServerTransaction, status: number, bytes: Buffer): void {
    transaction.respond(status, bytes);
  }

  /** DialogPort: the ACK of a 2xx is awaited (64*T1), or no longer. */
  watchAck(dialog: ServerDialog, on: boolean): void {
    if (on) this.ackWait.add(dialog);
    else this.ackWait.delete(dialog);
  }

  // ───────────────────────── dialogs ─────────────────────────

  /** DialogPort: the dialog travels on `connection` now. */
  bind(dialog: ServerDialog, connection: SipConnection): void {
    const previous = dialog.connection;
    if (previous !== undefined && previous !== connection) {
      const set = this.dialogsByConnection.get(previous);
      if (set !== undefined && set.delete(dialog)) previous.dialogRefs--;
    }
    dialog.connection = connection;
    let set = this.dialogsByConnection.get(connection);
    if (set === undefined) {
      set = new Set();
      this.dialogsByConnection.set(connection, set);
    }
    if (!set.has(dialog)) {
      set.add(dialog);
      connection.dialogRefs++;
    }
  }

  /** DialogPort: the dialog ended (dialog.terminate()): forget it, and tell the delegate once. */
  terminated(dialog: ServerDialog, reason: DialogTerminationReason): void {
    this.dialogs.delete(dialog.id);
    const connection = dialog.connection;
    if (connection !== undefined) {
      const set = this.dialogsByConnection.get(connection);
      if (set !== undefined && set.delete(dialog)) {
        connection.dialogRefs--;
        if (set.size === 0) this.dialogsByConnection.delete(connection);
      }
    }
    this.logger.debug({ dialog: dialog.callId, reason }, 'SIP dialog terminated');
    try {
      this.delegate.onDialogTerminated(dialog, reason);
    } catch (error) {
      this.logger.error({ error: wrapError(error).message }, 'onDialogTerminated failed');
    }
  }

  // ───────────────────────── ServerTransactionUser ─────────────────────────

  applicationTimeout(transaction: ServerTransaction): void {
    const request = transaction.request;
    if (request === undefined || !transaction.awaitingFinalResponse) return;
    this.logger.warn(
      { method: transaction.method },
      'application did not answer a SIP request in time; answering 500',
    );
    const owner = transaction.owner;
    if (owner instanceof IncomingDialogRequest) {
      owner.dialog.answer(owner, 500, { headers: [warning('application did not answer in time')] });
      return;
    }
    if (owner instanceof IncomingInvite && owner.takeover) this.forgetTakeover(owner);
    this.respond(transaction, request, 500, {
      toTag: owner instanceof IncomingInvite ? owner.toTag : undefined,
      headers: [warning('application did not answer in time')],
    });
  }

  transportError(transaction: ServerTransaction): void {
    const owner = transaction.owner;
    if (owner instanceof IncomingInvite && owner.dialog !== undefined) owner.dialog.terminate('transport');
  }

  // ───────────────────────── helpers ─────────────────────────

  /** DialogPort too. */
  respond(
    transaction: ServerTransaction,
    request: SipRequest,
    status: number,
    options: {
      reason?: string | undefined;
      toTag?: string | undefined;
      headers?: HeaderFields;
      body?: Body;
      contentType?: string | undefined;
      /** Copy the request's Record-Route (answers to a re-INVITE, docs/msrcc.md §13). */
      copyRecordRoute?: boolean;
    } = {},
  ): void {
    const to = request.to();
    const hasTag = to.ok && to.value.params.get('tag') !== undefined;
    const toTag = options.toTag ?? transaction.toTag ?? newTag();
    transaction.toTag ??= toTag;
    const bytes = buildResponse(request.headers, hasTag, status, {
      reason: checkReason(options.reason),
      toTag,
      copyRecordRoute: options.copyRecordRoute,
      headers:
        options.headers === undefined
          ? this.serverFieldList
          : this.serverFieldList.length === 0
            ? options.headers
            : [...options.headers, ...this.serverFieldList],
      body: options.body,
      contentType: options.contentType ?? CSTA_CONTENT_TYPE,
    });
    transaction.respond(status, bytes);
  }

  capabilityFields(): [string, string][] {
    return [
      ['Allow', ALLOW_HEADER_VALUE],
      ['Accept', this.acceptHeader],
      ['Supported', SUPPORTED_HEADER_VALUE],
    ];
  }

  /** The Server header field, if any (one array for every response: callers only spread it). */
  serverFields(): [string, string][] {
    return this.serverFieldList;
  }

  hostPort(connection: SipConnection): string {
    const host = this.contactHost ?? connection.localAddress;
    const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `${bracketed}:${connection.localPort}`;
  }

  /** Our Contact (RFC 3261 §8.1.1.8): the user of the Request-URI at this connection's address. */
  contactFor(connection: SipConnection, request: SipRequest | undefined): string {
    const uri = request?.requestUri;
    const user =
      uri !== undefined && uri.kind === 'sip' && uri.user !== undefined ? `${escapeUser(uri.user)}@` : '';
    const transport = connection.protocol.toLowerCase();
    return `<sip:${user}${this.hostPort(connection)};transport=${transport}>`;
  }
}

/**
 * RFC 3261 §18.2.1: "the server MUST add a received parameter to that Via if the host portion of
 * the sent-by contains a domain name or an IP address that differs from the packet source
 * address"; RFC 3581 §4: with "rport", received is always added and rport gets the source port.
 * Responses copy the stamped value (§8.2.6.2). WebSocket clients put an invalid domain in
 * sent-by (RFC 7118 §5.2), so they always get received.
 */
function stampTopVia(request: SipRequest, via: Via, connection: SipConnection): void {
  const source = connection.remoteAddress.startsWith('::ffff:')
    ? connection.remoteAddress.slice(7)
    : connection.remoteAddress;
  if (source === '') return;
  const host = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  const wantsRport = via.rport === true;
  if (!wantsRport && host.toLowerCase() === source.toLowerCase()) return;
  const index = request.headers.names.indexOf('via');
  if (index < 0) return;
  const value = request.headers.values[index]!;
  // The top via-parm is the start of the first Via header value (values are trimmed).
  if (!value.startsWith(via.text)) return;
  let top = via.params.has('received') ? via.text.replace(/;\s*received\s*=\s*[^;,\s]*/i, '') : via.text;
  if (wantsRport) top = top.replace(/;\s*rport(?=\s*(?:;|$))/i, `;rport=${connection.remotePort}`);
  request.headers.values[index] = `${top};received=${source}${value.slice(via.text.length)}`;
}

function tagOf(value: string | null | undefined): string {
  return typeof value === 'string' ? value : '';
}

function headerValue(headers: SipHeaderList, name: string): string {
  const value = headers.get(name);
  if (value === undefined) throw new Error(`assertion failed: ${name} missing from a validated request`);
  return value;
}

/** A To or From header value without its tag parameter (RFC 3261 §19.3): a taken-over dialog's
 *  local URI is its re-INVITE's To, which carries the dialog's tag already. */
function withoutTag(value: string): string {
  // Header parameters follow the name-addr's closing ">" (or the addr-spec, which cannot hold ";tag").
  const close = value.lastIndexOf('>');
  const head = close >= 0 ? value.slice(0, close + 1) : '';
  const tail = close >= 0 ? value.slice(close + 1) : value;
  return `${head}${tail.replace(/;\s*tag\s*=\s*[^;\s]*/gi, '')}`.trim();
}

function toHasTag(headers: SipHeaderList): boolean {
  const value = headers.get('to');
  return value !== undefined && /;\s*tag\s*=/i.test(value);
}

/** User part escaping for our Contact (RFC 3261 §25.1 user = unreserved / escaped / user-unreserved). */
function escapeUser(user: string): string {
  return user.replace(
    /[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}
