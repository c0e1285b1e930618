// The UAS side of a dialog (RFC 3261 §12): created by our 2xx to an INVITE, it holds the
// dialog ID, the route set and remote target, both CSeq spaces and the RFC 4028 session timer,
// and it owns its in-dialog behaviour (as sipgo's and SIP.js's dialogs do): the CSeq checks of
// incoming requests, the methods a dialog answers (BYE, OPTIONS, INFO, UPDATE, re-INVITE and its
// glare rules), ACK matching, target refresh and session-timer restarts in its answers, the
// requests it sends (route set and next hop, CSeq, what an answer means for the dialog), BYE,
// and its refresh or expiry. Two compatibility rules for real clients live here too
// (docs/msrcc.md §13-14): a CSeq that restarts after our 2xx to an INVITE (pidgin-sipe), and an
// unanswered request that fails its transaction only.
// The user agent core (user-agent-core.ts) finds the dialog of a message and gives it a narrow
// port to the transport and transaction layers (DialogPort): it never touches sockets itself.
// Kept small on purpose (100,000 may be alive at once): strings and numbers, one timer, no
// request kept, no closure per message.
import type { Clock, TimerHandle } from '../util/clock.js';
import { DesklineError, ErrorCode, assertNever, wrapError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { ALLOW_HEADER_VALUE, CSTA_CONTENT_TYPE, SUPPORTED_HEADER_VALUE } from './constants.js';
import { isToken } from './grammar.js';
import { parseNameAddrList } from './headers/name-addr.js';
import type { SipRequest, SipResponse } from './message.js';
import { initialCSeq, newBranch, takeoverCSeq } from './random.js';
import { buildResponse, serializeRequest, type Body, type HeaderFields } from './serializer.js';
import {
  expiryDelayMs,
  refreshDelayMs,
  sessionExpiresHeader,
  type SessionTimerDecision,
} from './session-timer.js';
import type { ServerTransaction } from './transaction.js';
import type { ConnectionInfo, SipConnection } from './transport/connection.js';
import { nextHopOf, parseUriOrThrow, type NextHop } from './uri.js';

export const DialogState = {
  Confirmed: 'Confirmed',
  Terminated: 'Terminated',
} as const;
export type DialogState = (typeof DialogState)[keyof typeof DialogState];

const LEGAL: Record<DialogState, readonly DialogState[]> = {
  Confirmed: ['Terminated'],
  Terminated: [],
};

/** Why a dialog ended, as told to the delegate. */
export type DialogTerminationReason =
  /** The peer sent BYE. */
  | 'bye'
  /** We sent BYE (dialog.bye()). */
  | 'local-bye'
  /** RFC 4028 §10: no session refresh came in time (we sent BYE). */
  | 'expired'
  /** The connection closed and the peer cannot be reached again (WebSocket), or a new one failed. */
  | 'transport'
  /** The peer answered a request with 481: it no longer knows the dialog (RFC 3261 §12.2.1.2). */
  | '481'
  /** The peer answered a request with another status that ends the dialog (RFC 5057 §5.1:
   *  404, 410, 416, 480, 482-485, 502, 604). */
  | 'rejected'
  /** Our own session refresh (UPDATE, refresher=uas) got 408 or no answer (RFC 4028 §10). Any
   *  other request that times out fails its transaction only (docs/msrcc.md §5). */
  | 'timeout'
  /** RFC 3261 §13.3.1.4: the ACK for our 2xx never came. */
  | 'ack-timeout'
  /** The user agent core was disposed. */
  | 'disposed';

export interface DialogRequestOptions {
  readonly body?: Body;
  /** Content-Type of the body (default application/csta+xml when a body is given). */
  readonly contentType?: string | undefined;
  /** Extra header fields (e.g. Content-Disposition). Content-Length is always computed. */
  readonly headers?: HeaderFields | undefined;
}

/** How the layer above answers a request of the dialog (Content-Type defaults to application/csta+xml). */
export interface DialogResponseInit {
  readonly reason?: string | undefined;
  readonly headers?: HeaderFields | undefined;
  readonly body?: Body;
  readonly contentType?: string | undefined;
}

/** A request of the dialog handed to the layer above, answered once through the dialog. */
export interface DialogRequestHandle {
  readonly method: string;
  readonly message: SipRequest;
  /** @internal */ readonly transaction: ServerTransaction;
  /** @internal The RFC 4028 negotiation of a re-INVITE or UPDATE. */
  readonly sessionTimer: SessionTimerDecision | undefined;
}

/** What a dialog needs from the user agent core: the transport and transaction layers, the
 *  core's policies for request content, and its bookkeeping of dialogs. Never a socket. */
export interface DialogPort {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The core is disposed: nothing is sent any more. */
  readonly disposed: boolean;
  /** Compatibility rule (docs/msrcc.md §14, `sip.tolerateCSeqReset`): a peer whose CSeq numbering
   *  restarts after our 2xx to its INVITE or re-INVITE is re-baselined, not refused. */
  readonly tolerateCSeqReset: boolean;
  /** A connection to the next hop (RFC 3261 §18.1.1). */
  connect(hop: NextHop): Promise<SipConnection>;
  /** Sends `bytes` in a new client transaction; settles with its final response or failure. */
  sendRequest(connection: SipConnection, branch: string, method: string, bytes: Buffer): Promise<SipResponse>;
  /** Answers a server transaction (the core's response building: Server header, tags). */
  respond(
    transaction: ServerTransaction,
    request: SipRequest,
    status: number,
    options?: { headers?: HeaderFields; copyRecordRoute?: boolean },
  ): void;
  /** Sends an already built response on its server transaction. */
  send(transaction: ServerTransaction, status: number, bytes: Buffer): void;
  /** The core's content checks (Accept, Content-Type, disposition): false once it answered. */
  checkContent(transaction: ServerTransaction, request: SipRequest): boolean;
  /** RFC 4028 negotiation of a refresh: undefined once the core answered (400/422). */
  negotiate(transaction: ServerTransaction, request: SipRequest): SessionTimerDecision | undefined;
  /** INFO, UPDATE or re-INVITE for the layer above. */
  handToDelegate(
    transaction: ServerTransaction,
    dialog: ServerDialog,
    request: SipRequest,
    sessionTimer: SessionTimerDecision | undefined,
  ): void;
  /** Allow, Accept, Supported (answers to OPTIONS). */
  capabilityFields(): [string, string][];
  /** The Server header, if any. */
  serverFields(): [string, string][];
  /** Via sent-by host:port for a connection. */
  hostPort(connection: SipConnection): string;
  /** Our Contact for a connection (RFC 3261 §8.1.1.8). */
  contactFor(connection: SipConnection, request: SipRequest | undefined): string;
  /** The dialog now travels on `connection` (the core indexes dialogs by connection). */
  bind(dialog: ServerDialog, connection: SipConnection): void;
  /** Watch for the ACK of a 2xx (RFC 3261 §13.3.1.4: 64*T1); `false` stops watching. */
  watchAck(dialog: ServerDialog, on: boolean): void;
  /** The dialog ended: the core forgets it and tells the layer above, once. */
  terminated(dialog: ServerDialog, reason: DialogTerminationReason): void;
}

export interface ServerDialogInit {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly remoteTarget: string;
  readonly routeSet: readonly string[];
  readonly remoteSeq: number;
  readonly secure: boolean;
  readonly connection: SipConnection;
  /** The dialog was created by a 2xx to an in-dialog re-INVITE for a dialog this node did not
   *  know (docs/msrcc.md §8): another node (or this one before a restart) sent requests in it
   *  with CSeq numbers we cannot know, so ours start above any it can have used. */
  readonly takenOver?: boolean;
}

/**
 * RFC 5057 §5.1: answers to a request inside a dialog that destroy the dialog itself — the peer
 * (or a proxy on the path) says the dialog, or the peer, is gone. 480 is counted with them: it is
 * what a proxy answers when the client's connection is gone (deploy/kamailio/kamailio.cfg, Lync
 * front ends), and no later request could reach the client either. 408 and a transaction timeout
 * are not: a proxy answers 408 for a client that is alive but never answers some requests
 * (pidgin-sipe never answers an event INFO), so they fail that transaction only.
 */
export const DIALOG_TERMINATING_STATUSES: ReadonlySet<number> = new Set([
  404, 410, 416, 480, 481, 482, 483, 484, 485, 502, 604,
]);

export class ServerDialog {
  /** Dialog ID (RFC 3261 §12): Call-ID, local tag, remote tag. */
  readonly id: string;
  readonly callId: string;
  readonly localTag: string;
  /** Empty for an RFC 2543 peer that sent no From tag. */
  readonly remoteTag: string;
  /** The To header value of the INVITE (without our tag): our From in requests we send. */
  readonly localUri: string;
  /** The From header value of the INVITE (with its tag): our To in requests we send. */
  readonly remoteUri: string;
  /** RFC 3261 §12.1.1: Record-Route values of the INVITE, in order, kept verbatim. */
  readonly routeSet: readonly string[];
  readonly secure: boolean;
  /** The Contact URI of the peer; replaced by target refresh requests (§12.2.2). */
  private remoteTargetValue: string;
  /** Last CSeq number received (§12.2.2). */
  private remoteSeq: number;
  /** Last CSeq number we used; 0 = empty (§12.2.1.1). */
  private localSeq = 0;
  /** @internal The connection the dialog's requests arrived on (RFC 3261 §18: reuse it). */
  connection: SipConnection | undefined;
  /** CSeq of an INVITE (initial or re-INVITE) answered 2xx whose ACK has not come; 0 when none. */
  private awaitingAckFor = 0;
  /** Our 2xx to an INVITE went out and no request of the peer followed yet: with
   *  `tolerateCSeqReset` its numbering may restart once (docs/msrcc.md §14). */
  private cseqMayRestart = false;
  /** CSeq of a re-INVITE not yet answered; 0 when none (RFC 3261 §14.2). */
  private pendingReInvite = 0;
  /** RFC 4028 session interval in seconds; 0 when no session timer runs. */
  sessionInterval = 0;
  /** Who refreshes the session (RFC 4028 §7.4 / §9). */
  refresher: 'uac' | 'uas' | undefined;
  private stateValue: DialogState = DialogState.Confirmed;
  private sessionTimer: TimerHandle | undefined;
  /** Monotonic ms of the last successful refresh (RFC 4028 §10 counts the expiry from it). */
  private refreshedAt = 0;

  constructor(
    private readonly port: DialogPort,
    init: ServerDialogInit,
  ) {
    this.callId = detach(init.callId);
    this.localTag = detach(init.localTag);
    this.remoteTag = detach(init.remoteTag);
    this.id = detach(dialogId(this.callId, this.localTag, this.remoteTag));
    this.localUri = detach(init.localUri);
    this.remoteUri = detach(init.remoteUri);
    this.remoteTargetValue = detach(init.remoteTarget);
    this.routeSet = init.routeSet.map(detach);
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.connection = init.connection;
    if (init.takenOver === true) this.localSeq = takeoverCSeq(this.port.clock.now()) - 1;
  }

  get state(): DialogState {
    return this.stateValue;
  }

  get isTerminated(): boolean {
    return this.stateValue === DialogState.Terminated;
  }

  /** The peer's Contact URI, as its last target refresh left it (RFC 3261 §12.2.2). */
  get remoteTarget(): string {
    return this.remoteTargetValue;
  }

  /** Where the dialog's messages currently travel (undefined between connections). */
  get transport(): ConnectionInfo | undefined {
    return this.connection;
  }

  // ───────────────────────── requests we send ─────────────────────────

  /**
   * Sends a request inside the dialog (RFC 3261 §12.2.1.1), e.g. INFO with a CSTA event.
   * Resolves with the final response (any status); rejects with SIP_TIMEOUT (Timer F),
   * SIP_TRANSPORT, or INVALID_STATE once the dialog has ended.
   */
  sendRequest(method: string, options: DialogRequestOptions = {}): Promise<SipResponse> {
    if (this.isTerminated)
      return Promise.reject(new DesklineError(ErrorCode.InvalidState, 'dialog terminated'));
    if (
      !isToken(method) ||
      method === 'INVITE' ||
      method === 'ACK' ||
      method === 'CANCEL' ||
      method === 'BYE'
    ) {
      return Promise.reject(
        new DesklineError(ErrorCode.InvalidArgument, `sendRequest cannot send ${method} (use bye() for BYE)`),
      );
    }
    return this.send(method, options);
  }

  /** Ends the dialog with BYE (RFC 3261 §15.1.1) at once; resolves once the BYE is answered or has failed. */
  async bye(options: DialogRequestOptions = {}): Promise<void> {
    if (this.isTerminated) return;
    this.terminate('local-bye');
    try {
      await this.send('BYE', options);
    } catch (error) {
      this.port.logger.debug({ dialog: this.callId, error: wrapError(error).message }, 'BYE not answered');
    }
  }

  private async send(method: string, options: DialogRequestOptions): Promise<SipResponse> {
    if (this.port.disposed) throw new DesklineError(ErrorCode.Disposed, 'SIP user agent disposed');
    const extra = checkFields(options.headers);
    let connection: SipConnection;
    try {
      connection = await this.connectionForRequest();
    } catch (error) {
      const failure = wrapError(error, ErrorCode.SipTransport);
      if (method !== 'BYE') this.terminate('transport');
      throw failure;
    }
    if (method !== 'BYE' && this.isTerminated)
      throw new DesklineError(ErrorCode.InvalidState, 'dialog terminated');
    // RFC 3261 §12.2.1.1: "the local sequence number MUST be incremented by one" (chosen at random when empty).
    this.localSeq = this.localSeq === 0 ? initialCSeq() : this.localSeq + 1;
    const branch = newBranch();
    const { requestUri, routes } = this.routing();
    const fields: (readonly [string, string])[] = [
      ['Via', `SIP/2.0/${connection.protocol} ${this.port.hostPort(connection)};branch=${branch};rport`],
      ['Max-Forwards', '70'],
      ['From', `${this.localUri};tag=${this.localTag}`],
      ['To', this.remoteUri],
      ['Call-ID', this.callId],
      ['CSeq', `${this.localSeq} ${method}`],
    ];
    for (const route of routes) fields.push(['Route', route]);
    // RFC 3311 §5.1: UPDATE is a target refresh request and carries a Contact.
    if (method === 'UPDATE') fields.push(['Contact', this.port.contactFor(connection, undefined)]);
    const hasBody = options.body !== undefined && options.body.length > 0;
    if (hasBody) fields.push(['Content-Type', options.contentType ?? CSTA_CONTENT_TYPE]);
    fields.push(...extra);
    const bytes = serializeRequest(method, requestUri, fields, options.body);
    try {
      const response = await this.port.sendRequest(connection, branch, method, bytes);
      if (method === 'BYE') return response;
      // RFC 3261 §12.2.1.2: "If the response for a request within a dialog is a 481 ... the UAC
      // SHOULD terminate the dialog"; RFC 5057 §5.1 lists the other answers that destroy it.
      if (DIALOG_TERMINATING_STATUSES.has(response.status))
        this.terminate(response.status === 481 ? '481' : 'rejected');
      // RFC 4028 §10: our own refresh answered 408 ends the session. §12.2.1.2 says the same of a
      // 408 to any request, but a 408 to an INFO says nothing of the dialog: a proxy answers it
      // for a client that is alive and never answers INFO (pidgin-sipe) — transaction only.
      else if (response.status === 408 && method === 'UPDATE') this.terminate('timeout');
      return response;
    } catch (error) {
      // §12.2.1.2: "A UAC SHOULD also terminate a dialog if no response at all is received" —
      // for our session refresh (RFC 4028 §10) only; an INFO without an answer (Timer F) fails
      // its transaction only, for the same reason as a 408.
      if (method === 'UPDATE' && error instanceof DesklineError && error.code === ErrorCode.SipTimeout)
        this.terminate('timeout');
      throw error;
    }
  }

  /** RFC 3261 §12.2.1.1: Request-URI and Route from the route set (loose or strict routing). */
  private routing(): { requestUri: string; routes: string[] } {
    if (this.routeSet.length === 0) return { requestUri: this.remoteTarget, routes: [] };
    const first = parseNameAddrList(this.routeSet[0]!, { requireBrackets: true })[0]!;
    if (first.uri.kind === 'sip' && first.uri.params.has('lr')) {
      // "If the route set is not empty, and the first URI in the route set contains the lr
      // parameter ..., the UAC MUST place the remote target URI into the Request-URI and MUST
      // include a Route header field containing the route set values in order".
      return { requestUri: this.remoteTarget, routes: [...this.routeSet] };
    }
    // "... the UAC MUST place the first URI from the route set into the Request-URI, stripping
    // any parameters that are not allowed in a Request-URI ... [and] MUST add the remote target
    // URI as the last value in the Route header field."
    const text = first.uri.text;
    const question = text.indexOf('?');
    return {
      requestUri: question >= 0 ? text.slice(0, question) : text,
      routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`],
    };
  }

  /** RFC 3261 §18.1.1: the dialog's connection if still open, else a new one to the next hop. */
  private async connectionForRequest(): Promise<SipConnection> {
    const current = this.connection;
    if (current !== undefined && current.isOpen) return current;
    const { requestUri, routes } = this.routing();
    const target =
      routes.length > 0 && this.routeSet.length > 0
        ? parseNameAddrList(this.routeSet[0]!, { requireBrackets: true })[0]!.uri
        : parseUriOrThrow(requestUri);
    if (target.kind !== 'sip')
      throw new DesklineError(ErrorCode.SipTransport, `cannot route to ${target.text}`);
    const hop = nextHopOf(target);
    if (!hop.ok) throw hop.error;
    const connection = await this.port.connect(hop.value);
    if (!this.isTerminated) this.port.bind(this, connection);
    return connection;
  }

  // ───────────────────────── requests we receive ─────────────────────────

  /** A request with this dialog's ID (RFC 3261 §12.2.2), after the core's generic checks. */
  receiveRequest(
    transaction: ServerTransaction,
    request: SipRequest,
    seq: number,
    connection: SipConnection,
  ): void {
    const port = this.port;
    const mayRestart = this.cseqMayRestart;
    this.cseqMayRestart = false;
    // RFC 3261 §12.2.2: "If the remote sequence number was not empty, but the sequence number of
    // the request is lower than the remote sequence number, the request is out of order and MUST
    // be rejected with a 500". An equal number is a request we already processed: refused the same
    // way, so that a CSTA request is never executed twice.
    if (seq <= this.remoteSeq) {
      if (mayRestart && port.tolerateCSeqReset) {
        // Compatibility rule (docs/msrcc.md §14): the first request after our 2xx to an INVITE
        // restarts the numbering (pidgin-sipe resets its CSeq to 0 after every such 2xx). Over a
        // stream transport a UAC never retransmits a non-INVITE request (RFC 3261 §17.1.2.2), so
        // this is no replay: re-baseline once, here, and check every later request as usual.
        port.logger.debug(
          { dialog: this.callId, cseq: seq, previous: this.remoteSeq },
          'peer restarted its CSeq after our 2xx: re-baselined',
        );
      } else {
        port.respond(transaction, request, 500, {
          headers: [warning(`CSeq ${seq} is not above ${this.remoteSeq}`)],
          copyRecordRoute: request.method === 'INVITE',
        });
        return;
      }
    }
    this.remoteSeq = seq;
    if (this.connection !== connection && this.fromNextHop(request)) port.bind(this, connection);
    switch (request.method) {
      case 'BYE':
        // RFC 3261 §15.1.2: "the UAS MUST ... generate a 2xx response to the BYE, and terminate the session".
        port.respond(transaction, request, 200);
        this.terminate('bye');
        return;
      case 'OPTIONS':
        port.respond(transaction, request, 200, { headers: port.capabilityFields() });
        return;
      case 'INFO':
        if (!port.checkContent(transaction, request)) return;
        port.handToDelegate(transaction, this, request, undefined);
        return;
      case 'UPDATE': {
        // RFC 3311 §5.2; a body, if any, must be one we understand.
        if (!port.checkContent(transaction, request)) return;
        const sessionTimer = port.negotiate(transaction, request);
        if (sessionTimer === undefined) return;
        port.handToDelegate(transaction, this, request, sessionTimer);
        return;
      }
      case 'INVITE': {
        // RFC 3261 §14.2: "A UAS that receives a second INVITE before it sends the final response
        // to a first INVITE with a lower CSeq sequence number on the same dialog MUST return a 500
        // ... and MUST include a Retry-After header field with a randomly chosen value of between 0
        // and 10 seconds."
        if (this.pendingReInvite !== 0) {
          port.respond(transaction, request, 500, {
            headers: [['Retry-After', String(Math.floor(Math.random() * 11))]],
            copyRecordRoute: true,
          });
          return;
        }
        // Our 2xx to the previous INVITE is not yet acknowledged: that offer/answer exchange is
        // still open (RFC 3261 §14.2 glare), so the UAC is asked to retry later with 491.
        if (this.awaitingAckFor !== 0) {
          port.respond(transaction, request, 491, { copyRecordRoute: true });
          return;
        }
        if (!port.checkContent(transaction, request)) return;
        const sessionTimer = port.negotiate(transaction, request);
        if (sessionTimer === undefined) return;
        this.pendingReInvite = seq;
        port.handToDelegate(transaction, this, request, sessionTimer);
        return;
      }
      default:
        port.respond(transaction, request, 405, { headers: [['Allow', ALLOW_HEADER_VALUE]] });
    }
  }

  /** An ACK with this dialog's ID (RFC 3261 §13.3.1.4, §17.1.1.3): false when it matches no 2xx of ours. */
  receiveAck(seq: number): boolean {
    if (this.awaitingAckFor === 0) return false;
    if (this.awaitingAckFor !== seq) {
      // RFC 3261 §17.1.1.3: the ACK carries the CSeq number of its INVITE. Compatibility rule
      // (docs/msrcc.md §14): in a dialog awaiting the ACK of our 2xx, an ACK of the dialog is that
      // ACK whatever its CSeq — pidgin-sipe resets its CSeq to 0 before it ACKs, so the ACK of a
      // refresh re-INVITE with CSeq 5 says 1 — and the peer's numbering restarts from it.
      if (!this.port.tolerateCSeqReset) return false;
      this.port.logger.debug(
        { dialog: this.callId, cseq: seq, invite: this.awaitingAckFor },
        'ACK with a restarted CSeq taken as the ACK of our 2xx; numbering re-baselined',
      );
      this.remoteSeq = seq;
      this.cseqMayRestart = false; // restarted here: the requests that follow are checked as usual
    }
    this.awaitingAckFor = 0;
    this.port.watchAck(this, false);
    return true;
  }

  /**
   * Whether a request of the dialog that arrived on `connection` came from the dialog's next hop,
   * so that our requests may travel back on that connection (RFC 3261 §12.2.1.1: they go to the
   * first hop of the route set, or to the remote target when it is empty). Without a route set the
   * peer is the client itself, whatever connection it uses now. With one, the INVITE's connection
   * came from the first hop (the proxy that added the top Record-Route); a request arriving on
   * another connection is taken as the first hop's only when its top Via names that hop — a
   * request that reached us some other way (another member of a pool, a client bypassing its
   * proxy) must not divert the dialog's requests off its route.
   */
  private fromNextHop(request: SipRequest): boolean {
    if (this.routeSet.length === 0) return true;
    const via = request.topVia();
    if (!via.ok) return false;
    const first = parseNameAddrList(this.routeSet[0]!, { requireBrackets: true })[0];
    if (first === undefined || first.uri.kind !== 'sip') return false;
    const hop = nextHopOf(first.uri);
    if (!hop.ok) return false;
    const host = via.value.host.startsWith('[') ? via.value.host.slice(1, -1) : via.value.host;
    // RFC 3261 §18.2.2 / §19.1.2: a sent-by without a port means the transport's default.
    const secure = via.value.transport === 'TLS' || via.value.transport === 'WSS';
    const port = via.value.port ?? (secure ? 5061 : 5060);
    return host.toLowerCase() === hop.value.host.toLowerCase() && port === hop.value.port;
  }

  /** A CANCEL ended a pending re-INVITE (RFC 3261 §9.2: the core answered it 487). */
  reInviteCanceled(): void {
    this.pendingReInvite = 0;
  }

  /**
   * The layer above answers a request of the dialog (200-699, exactly once). A 2xx to a re-INVITE
   * or UPDATE refreshes the remote target (RFC 3261 §12.2.2) and the session (RFC 4028 §10); a
   * 2xx to a re-INVITE then waits for its ACK.
   */
  answer(incoming: DialogRequestHandle, status: number, init: DialogResponseInit): void {
    const transaction = incoming.transaction;
    if (!transaction.awaitingFinalResponse) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        `${incoming.method} already answered with ${transaction.finalStatus}`,
      );
    }
    const request = incoming.message;
    const method = request.method;
    const extra = checkFields(init.headers);
    const fields: (readonly [string, string])[] = [];
    const success = status >= 200 && status < 300;
    const decision = incoming.sessionTimer;
    const refreshes = method === 'INVITE' || method === 'UPDATE';
    if (success && refreshes && !this.isTerminated) {
      // RFC 3261 §12.2.2 / RFC 3311 §5.2: a target refresh answered 2xx carries our Contact and
      // replaces the remote target with the request's Contact.
      fields.push(['Contact', this.port.contactFor(transaction.connection, request)]);
      const contact = request.contact();
      if (
        contact.ok &&
        contact.value !== '*' &&
        contact.value.length === 1 &&
        contact.value[0]!.uri.kind === 'sip'
      ) {
        this.remoteTargetValue = detach(contact.value[0]!.uri.text);
      }
      // RFC 4028 §10: a 2xx to a session refresh restarts the session timer.
      if (decision !== undefined && decision.kind === 'use') {
        fields.push(['Session-Expires', sessionExpiresHeader(decision.interval, decision.refresher)]);
        if (decision.requireTimer) fields.push(['Require', 'timer']);
        this.startSessionTimer(decision.interval, decision.refresher);
      } else if (decision !== undefined && decision.kind === 'none') {
        this.stopSessionTimer();
      }
    }
    fields.push(...this.port.serverFields(), ...extra);
    if (method === 'INVITE') {
      this.pendingReInvite = 0;
      const cseq = request.cseq();
      if (success && !this.isTerminated && cseq.ok) this.awaitAck(cseq.value.seq);
    }
    const bytes = buildResponse(request.headers, true, status, {
      reason: checkReason(init.reason),
      // A re-INVITE's Record-Route goes into its answer (RFC 3261 §12.1.1 says so of the 2xx that
      // creates a dialog). A client that keeps its route set ignores it; pidgin-sipe rebuilds its
      // route set from every final answer to its re-INVITE, and without it would lose the proxies
      // at its first refresh (docs/msrcc.md §13).
      copyRecordRoute: method === 'INVITE',
      headers: fields,
      body: init.body,
      contentType: init.contentType ?? CSTA_CONTENT_TYPE,
    });
    this.port.send(transaction, status, bytes);
    // RFC 5057 §5.1: a 481 to a request inside the dialog tells the peer the dialog no longer
    // exists, and the peer destroys it; we must not keep our side of it alive until its session
    // timer runs out (the delegate answers 481 when its session is gone, e.g. stale after a CTI
    // reconnect).
    if (status === 481 && !this.isTerminated) this.terminate('481');
  }

  // ───────────────────────── ACK wait ─────────────────────────

  /** @internal Our 2xx to the INVITE of CSeq `seq` waits for its ACK (RFC 3261 §13.3.1.4). */
  awaitAck(seq: number): void {
    this.awaitingAckFor = seq;
    this.cseqMayRestart = true;
    this.port.watchAck(this, true);
  }

  /** @internal No ACK came for 64*T1. */
  ackTimedOut(): void {
    if (this.isTerminated || this.awaitingAckFor === 0) return;
    const cseq = this.awaitingAckFor;
    this.awaitingAckFor = 0;
    // RFC 3261 §13.3.1.4: "If the server retransmits the 2xx response for 64*T1 seconds without
    // receiving an ACK, the dialog is confirmed, but the session SHOULD be terminated. This is
    // accomplished with a BYE".
    this.port.logger.info({ dialog: this.callId, cseq }, 'no ACK for our 2xx; ending the session');
    this.terminate('ack-timeout');
    this.send('BYE', {}).catch(() => undefined);
  }

  // ───────────────────────── RFC 4028 session timer ─────────────────────────

  /** @internal (Re)starts the RFC 4028 session timer after a successful negotiation or refresh. */
  startSessionTimer(interval: number, refresher: 'uac' | 'uas'): void {
    if (this.isTerminated) return;
    this.sessionInterval = interval;
    this.refresher = refresher;
    this.refreshedAt = this.port.clock.monotonic();
    this.armSessionTimer(refresher === 'uas' ? 'refresh' : 'expire');
  }

  /** Our own refresh failed softly (RFC 4028 §10): the session still expires on time. */
  private keepExpiryOnly(): void {
    if (this.isTerminated || this.sessionInterval === 0) return;
    this.armSessionTimer('expire');
  }

  private stopSessionTimer(): void {
    this.port.clock.clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
    this.sessionInterval = 0;
    this.refresher = undefined;
  }

  private armSessionTimer(phase: 'refresh' | 'expire'): void {
    const clock = this.port.clock;
    clock.clearTimeout(this.sessionTimer);
    const due =
      this.refreshedAt +
      (phase === 'refresh' ? refreshDelayMs(this.sessionInterval) : expiryDelayMs(this.sessionInterval));
    this.sessionTimer = clock.setTimeout(
      () => {
        this.sessionTimer = undefined;
        if (this.isTerminated) return;
        if (phase === 'refresh') this.armSessionTimer('expire');
        this.sessionTimerFired(phase);
      },
      Math.max(0, due - clock.monotonic()),
    );
  }

  /** RFC 4028 §10. */
  private sessionTimerFired(phase: 'refresh' | 'expire'): void {
    if (this.isTerminated || this.port.disposed) return;
    if (phase === 'expire') {
      // RFC 4028 §10: "If the side not performing refreshes does not receive a session refresh
      // request before the session expiration, it SHOULD send a BYE to terminate the session".
      this.port.logger.info(
        { dialog: this.callId, interval: this.sessionInterval },
        'SIP session expired (no refresh)',
      );
      this.terminate('expired');
      this.send('BYE', {}).catch(() => undefined);
      return;
    }
    // We are the refresher (RFC 4028 §9 refresher=uas): refresh with UPDATE (RFC 3311).
    const interval = this.sessionInterval;
    this.send('UPDATE', {
      headers: [
        ['Session-Expires', sessionExpiresHeader(interval, 'uas')],
        ['Supported', SUPPORTED_HEADER_VALUE],
      ],
    }).then(
      (response) => {
        if (this.isTerminated) return;
        if (response.status >= 200 && response.status < 300) {
          const answered = response.sessionExpires();
          const next = answered.ok && answered.value !== undefined ? answered.value : undefined;
          this.startSessionTimer(next?.deltaSeconds ?? interval, next?.refresher ?? 'uas');
        } else {
          // RFC 4028 §10: other failures leave the session to expire at its time.
          this.keepExpiryOnly();
        }
      },
      () => undefined,
    );
  }

  // ───────────────────────── ending ─────────────────────────

  /** @internal Ends the dialog (once) and tells the core, which tells the layer above. */
  terminate(reason: DialogTerminationReason): void {
    if (this.isTerminated) return;
    this.transition(DialogState.Terminated);
    this.port.watchAck(this, false);
    this.port.terminated(this, reason);
  }

  /** The only way the dialog's state changes (docs/architecture.md, "State machines"): owns the
   *  session timer and the ACK wait. */
  private transition(to: DialogState): void {
    if (!LEGAL[this.stateValue].includes(to))
      throw new Error(`dialog ${this.id}: illegal transition ${this.stateValue} → ${to}`);
    this.stateValue = to;
    switch (to) {
      case DialogState.Terminated:
        this.stopSessionTimer();
        this.awaitingAckFor = 0;
        this.pendingReInvite = 0;
        return;
      case DialogState.Confirmed:
        throw new Error('a dialog never returns to Confirmed');
      default:
        assertNever(to, 'dialog state');
    }
  }
}

/**
 * A copy of `text` that shares no memory with the message it was cut from. V8 keeps substrings
 * as slices of their parent string, so without this every dialog would pin the whole header
 * section of its INVITE (~0.5-1 KB) for the life of the session.
 */
function detach(text: string): string {
  return text.length === 0 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * Dialog ID (RFC 3261 §12): Call-ID, local tag, remote tag, joined by ";" — a character neither a
 * Call-ID (word ["@" word]) nor a tag (token) can contain (§25.1), so the join is unambiguous and
 * the ID reads well in logs.
 */
export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId};${localTag};${remoteTag}`;
}

const WARN_AGENT = 'deskline';

/** RFC 3261 §20.43: Warning: 399 agent "text" (399 = miscellaneous warning). */
export function warning(text: string): [string, string] {
  // warn-text is a quoted-string: no control characters (qdtext), quotes and backslashes escaped.
  const safe = text
    // eslint-disable-next-line no-control-regex -- qdtext excludes control characters
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]+/g, ' ')
    .replace(/["\\]/g, (c) => `\\${c}`)
    .slice(0, 200);
  return ['Warning', `399 ${WARN_AGENT} "${safe}"`];
}

/** Header fields from the layer above: names must be tokens, values free of CR/LF (no header injection). */
export function checkFields(fields: HeaderFields | undefined): HeaderFields {
  if (fields === undefined) return [];
  for (const [name, value] of fields) {
    if (!isToken(name)) throw new DesklineError(ErrorCode.InvalidArgument, `invalid header name "${name}"`);
    if (/[\r\n\0]/.test(value))
      throw new DesklineError(ErrorCode.InvalidArgument, `header ${name} contains CR, LF or NUL`);
  }
  return fields;
}

export function checkReason(reason: string | undefined): string | undefined {
  if (reason !== undefined && /[\r\n\0]/.test(reason))
    throw new DesklineError(ErrorCode.InvalidArgument, 'reason phrase contains CR, LF or NUL');
  return reason;
}
