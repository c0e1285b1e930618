// The transaction layer (RFC 3261 §17) for reliable transports: INVITE and non-INVITE server
// transactions (§17.2.1 with RFC 6026's Accepted state, §17.2.2), the client non-INVITE
// transaction (§17.1.2) the gateway uses for INFO and BYE, and request/response matching
// (§17.2.3 with the RFC 2543 fallback, §17.1.3). Each transaction is a string-enum state
// machine with one guarded transition() that owns its timers (docs/architecture.md §5); the timers are
// shared ExpiryQueues, since every Timer F (or H, L, J) lasts the same time.
import type { Clock } from '../util/clock.js';
import { DesklineError, ErrorCode, assertNever } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { BRANCH_MAGIC_COOKIE, T1_MS } from './constants.js';
import { ExpiryQueue } from './expiry-queue.js';
import type { Via } from './headers/via.js';
import type { SipRequest, SipResponse } from './message.js';
import type { SipConnection } from './transport/connection.js';

export const ServerTransactionState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Confirmed: 'Confirmed',
  Accepted: 'Accepted',
  Terminated: 'Terminated',
} as const;
export type ServerTransactionState = (typeof ServerTransactionState)[keyof typeof ServerTransactionState];

export const ClientTransactionState = {
  Trying: 'Trying',
  Proceeding: 'Proceeding',
  Completed: 'Completed',
  Terminated: 'Terminated',
} as const;
export type ClientTransactionState = (typeof ClientTransactionState)[keyof typeof ClientTransactionState];

const RFC2543_KEY_PREFIX = '2543\u0000';

/** True for an RFC 3261 branch: the magic cookie followed by something (RFC 4475 §3.2.1 badbranch is not). */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return (
    branch !== undefined &&
    branch.length > BRANCH_MAGIC_COOKIE.length &&
    branch.startsWith(BRANCH_MAGIC_COOKIE)
  );
}

/**
 * The server transaction key (RFC 3261 §17.2.3). With a magic-cookie branch: branch, sent-by
 * and method (ACK matches its INVITE). Otherwise the RFC 2543 rules: Request-URI, From tag,
 * Call-ID, CSeq, top Via — the To tag is left out so that the ACK for a non-2xx (which carries
 * our tag) still finds its INVITE; the transaction checks that tag itself.
 */
export function serverTransactionKey(
  request: SipRequest,
  topVia: Via,
  method: string,
  fromTag: string,
  callId: string,
  cseq: number,
): string {
  const keyMethod = method === 'ACK' ? 'INVITE' : method;
  if (isRfc3261Branch(topVia.branch)) return `${topVia.branch}\u0000${topVia.sentBy}\u0000${keyMethod}`;
  return `${RFC2543_KEY_PREFIX}${request.uri}\u0000${fromTag}\u0000${callId}\u0000${cseq}\u0000${keyMethod}\u0000${topVia.text}`;
}

export interface ServerTransactionUser {
  /** The TU did not answer in time (our guard; the core answers 500 so nothing hangs). */
  applicationTimeout(transaction: ServerTransaction): void;
  /** RFC 3261 §17.2.1: Timer H fired — the ACK for a non-2xx never came. */
  ackTimeout?(transaction: ServerTransaction): void;
  /** RFC 3261 §17.2.4: the transport could not deliver a response. */
  transportError(transaction: ServerTransaction): void;
}

const INVITE_LEGAL: Record<ServerTransactionState, readonly ServerTransactionState[]> = {
  Trying: [],
  Proceeding: ['Completed', 'Accepted', 'Terminated'],
  Completed: ['Confirmed', 'Terminated'],
  Confirmed: ['Terminated'],
  Accepted: ['Terminated'],
  Terminated: [],
};

const NON_INVITE_LEGAL: Record<ServerTransactionState, readonly ServerTransactionState[]> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Confirmed: [],
  Accepted: [],
  Terminated: [],
};

export class ServerTransaction {
  readonly isInvite: boolean;
  /** Matched by the RFC 2543 rules (no magic-cookie branch). */
  readonly rfc2543: boolean;
  private stateValue: ServerTransactionState;
  /** Released once a final response has been sent (only the response is needed after that). */
  private requestValue: SipRequest | undefined;
  private lastProvisional: Buffer | undefined;
  private lastFinal: Buffer | undefined;
  /** Status of the final response, 0 before. */
  finalStatus = 0;
  /** The To tag of our responses (RFC 2543 ACK matching, and dialog creation). */
  toTag: string | undefined;
  /** Set by the core: what the TU hangs on this transaction (e.g. the IncomingInvite). */
  owner: unknown;
  /** Set by the core: a dialog-creating INVITE counted in its connection's `dialogsOpening`. */
  opensDialog = false;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    request: SipRequest,
    readonly connection: SipConnection,
    readonly method: string,
  ) {
    this.isInvite = method === 'INVITE';
    this.rfc2543 = key.startsWith(RFC2543_KEY_PREFIX);
    this.requestValue = request;
    // RFC 3261 §17.2.1: an INVITE server transaction starts in Proceeding; §17.2.2 non-INVITE in Trying.
    this.stateValue = this.isInvite ? ServerTransactionState.Proceeding : ServerTransactionState.Trying;
    layer.applicationDeadline.add(this);
    connection.requestStarted();
  }

  get state(): ServerTransactionState {
    return this.stateValue;
  }

  get request(): SipRequest | undefined {
    return this.requestValue;
  }

  /** True until a final response has been sent. */
  get awaitingFinalResponse(): boolean {
    return this.stateValue === 'Trying' || this.stateValue === 'Proceeding';
  }

  /** Sends a response built by the TU. */
  respond(status: number, bytes: Buffer): void {
    if (!this.awaitingFinalResponse) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        `transaction ${this.method} already answered (${this.finalStatus})`,
      );
    }
    const delivered = this.connection.send(bytes);
    if (status < 200) {
      this.lastProvisional = bytes;
      if (!this.isInvite && this.stateValue === ServerTransactionState.Trying)
        this.transition(ServerTransactionState.Proceeding);
    } else {
      this.lastFinal = bytes;
      this.finalStatus = status;
      this.requestValue = undefined;
      if (this.isInvite) {
        // RFC 6026 §7.1: a 2xx moves the INVITE server transaction to Accepted; others to Completed.
        this.transition(status < 300 ? ServerTransactionState.Accepted : ServerTransactionState.Completed);
      } else {
        this.transition(ServerTransactionState.Completed);
      }
    }
    if (!delivered && this.stateValue !== ServerTransactionState.Terminated) {
      // RFC 3261 §17.2.4: transport failure → Terminated, and the TU is told.
      this.transition(ServerTransactionState.Terminated);
      this.layer.user.transportError(this);
    }
    if (status >= 200) {
      // Answered: the TU's object (an IncomingInvite holds the whole INVITE) and the provisional
      // are no longer needed, and an INVITE answered 2xx absorbs retransmissions without
      // resending (RFC 6026 §7.1), so it keeps no response either. Otherwise every accepted
      // INVITE, parsed headers and all, would stay alive for Timer L's 32 s: thousands of them
      // at a few hundred sessions a second, promoted to V8's old generation for the major GC to
      // trace (docs/benchmarks.md, "Profile findings and engine changes").
      this.owner = undefined;
      this.lastProvisional = undefined;
      if (this.isInvite && status < 300) this.lastFinal = undefined;
    }
  }

  /** A retransmission of the request arrived (RFC 3261 §17.2.1, §17.2.2). */
  receiveRetransmission(): void {
    switch (this.stateValue) {
      case ServerTransactionState.Trying:
        // §17.2.2: "any retransmissions of the request received while in the Trying state MUST be discarded"
        return;
      case ServerTransactionState.Proceeding:
        // §17.2.1/§17.2.2: pass the most recent provisional response to the transport for retransmission
        if (this.lastProvisional !== undefined) this.connection.send(this.lastProvisional);
        return;
      case ServerTransactionState.Completed:
        // §17.2.1/§17.2.2: retransmit the final response
        if (this.lastFinal !== undefined) this.connection.send(this.lastFinal);
        return;
      case ServerTransactionState.Accepted:
      case ServerTransactionState.Confirmed:
      case ServerTransactionState.Terminated:
        // RFC 6026 §7.1 (Accepted) and §17.2.1 (Confirmed): absorbed.
        return;
      default:
        assertNever(this.stateValue, 'server transaction state');
    }
  }

  /**
   * An ACK matched this INVITE transaction. Returns true if the TU must see it (an ACK for a
   * 2xx that used the INVITE's branch, RFC 6026 §7.1 Accepted state).
   */
  receiveAck(ackToTag: string | undefined): boolean {
    switch (this.stateValue) {
      case ServerTransactionState.Completed:
        // RFC 2543 matching also requires the ACK's To tag to equal the one we sent (§17.2.3).
        if (!this.rfc2543 || ackToTag === this.toTag) {
          // §17.2.1: "If an ACK is received while the server transaction is in the Completed
          // state, the server transaction MUST transition to the Confirmed state"; Timer I is
          // zero on reliable transports, so it terminates at once.
          this.transition(ServerTransactionState.Confirmed);
          this.transition(ServerTransactionState.Terminated);
        }
        return false;
      case ServerTransactionState.Accepted:
        return true;
      case ServerTransactionState.Trying:
      case ServerTransactionState.Proceeding:
      case ServerTransactionState.Confirmed:
      case ServerTransactionState.Terminated:
        return false;
      default:
        return assertNever(this.stateValue, 'server transaction state');
    }
  }

  /** Ends the transaction (core disposal, connection loss). */
  terminate(): void {
    if (this.stateValue !== ServerTransactionState.Terminated)
      this.transition(ServerTransactionState.Terminated);
  }

  /** Timer expiry (called by the layer's queues). */
  expire(timer: 'H' | 'L' | 'J'): void {
    if (this.stateValue === ServerTransactionState.Terminated) return;
    if (timer === 'H') this.layer.user.ackTimeout?.(this);
    this.transition(ServerTransactionState.Terminated);
  }

  // docs/architecture.md §5: one guarded transition, owner of the timers.
  private transition(to: ServerTransactionState): void {
    const legal = this.isInvite ? INVITE_LEGAL : NON_INVITE_LEGAL;
    if (!legal[this.stateValue].includes(to)) {
      throw new Error(`server transaction ${this.method}: illegal transition ${this.stateValue} → ${to}`);
    }
    const layer = this.layer;
    const wasAwaiting = this.awaitingFinalResponse;
    this.stateValue = to;
    // Answered, or ended without an answer: no longer pending on its connection.
    if (wasAwaiting && !this.awaitingFinalResponse) this.connection.requestFinished(this.opensDialog);
    switch (to) {
      case ServerTransactionState.Proceeding:
        return;
      case ServerTransactionState.Completed:
        layer.applicationDeadline.delete(this);
        if (this.isInvite) {
          // §17.2.1: Timer H = 64*T1 waits for the ACK (Timer G only on unreliable transports).
          layer.timerH.add(this);
        } else if (layer.timerJ.durationMs > 0) {
          // §17.2.2: Timer J is zero on reliable transports; a positive linger keeps absorbing
          // retransmissions relayed by a stateless element.
          layer.timerJ.add(this);
        } else {
          this.transition(ServerTransactionState.Terminated);
        }
        return;
      case ServerTransactionState.Accepted:
        layer.applicationDeadline.delete(this);
        // RFC 6026 §7.1: Timer L = 64*T1.
        layer.timerL.add(this);
        return;
      case ServerTransactionState.Confirmed:
        layer.timerH.delete(this);
        return;
      case ServerTransactionState.Terminated:
        layer.applicationDeadline.delete(this);
        layer.timerH.delete(this);
        layer.timerL.delete(this);
        layer.timerJ.delete(this);
        this.requestValue = undefined;
        layer.removeServer(this);
        return;
      case ServerTransactionState.Trying:
        throw new Error('a server transaction never returns to Trying');
      default:
        assertNever(to, 'server transaction state');
    }
  }
}

const CLIENT_LEGAL: Record<ClientTransactionState, readonly ClientTransactionState[]> = {
  Trying: ['Proceeding', 'Completed', 'Terminated'],
  Proceeding: ['Completed', 'Terminated'],
  Completed: ['Terminated'],
  Terminated: [],
};

/** RFC 3261 §17.1.2: the client non-INVITE transaction (reliable transport: no Timer E, Timer K = 0). */
export class ClientTransaction {
  private stateValue: ClientTransactionState = ClientTransactionState.Trying;

  constructor(
    private readonly layer: TransactionLayer,
    readonly key: string,
    readonly method: string,
    readonly connection: SipConnection,
    private readonly onResponse: (response: SipResponse) => void,
    private readonly onFailure: (error: DesklineError) => void,
  ) {
    // §17.1.2.2: "the client transaction MUST set timer F to fire in 64*T1 seconds"
    layer.timerF.add(this);
  }

  get state(): ClientTransactionState {
    return this.stateValue;
  }

  receiveResponse(response: SipResponse): void {
    switch (this.stateValue) {
      case ClientTransactionState.Trying:
      case ClientTransactionState.Proceeding:
        if (response.status < 200) {
          if (this.stateValue === ClientTransactionState.Trying)
            this.transition(ClientTransactionState.Proceeding);
          return;
        }
        // §17.1.2.2: a final response moves to Completed and is passed to the TU; Timer K is
        // zero for reliable transports, so the transaction terminates at once.
        this.transition(ClientTransactionState.Completed);
        this.transition(ClientTransactionState.Terminated);
        this.onResponse(response);
        return;
      case ClientTransactionState.Completed:
      case ClientTransactionState.Terminated:
        return;
      default:
        assertNever(this.stateValue, 'client transaction state');
    }
  }

  /** Timer F (§17.1.2.2): "the client transaction SHOULD inform the TU about the timeout". */
  timeout(): void {
    if (this.stateValue === ClientTransactionState.Terminated) return;
    this.transition(ClientTransactionState.Terminated);
    this.onFailure(
      new DesklineError(
        ErrorCode.SipTimeout,
        `no final response to ${this.method} (Timer F, RFC 3261 §17.1.2.2)`,
      ),
    );
  }

  /** §17.1.4: a transport error is reported to the TU and the transaction terminates. */
  transportError(reason: string): void {
    if (this.stateValue === ClientTransactionState.Terminated) return;
    this.transition(ClientTransactionState.Terminated);
    this.onFailure(new DesklineError(ErrorCode.SipTransport, `${this.method} not delivered: ${reason}`));
  }

  private transition(to: ClientTransactionState): void {
    if (!CLIENT_LEGAL[this.stateValue].includes(to)) {
      throw new Error(`client transaction ${this.method}: illegal transition ${this.stateValue} → ${to}`);
    }
    this.stateValue = to;
    switch (to) {
      case ClientTransactionState.Proceeding:
      case ClientTransactionState.Completed:
        return;
      case ClientTransactionState.Terminated:
        this.layer.timerF.delete(this);
        this.layer.removeClient(this);
        return;
      case ClientTransactionState.Trying:
        throw new Error('a client transaction never returns to Trying');
      default:
        assertNever(to, 'client transaction state');
    }
  }
}

export interface TransactionTimers {
  readonly t1Ms?: number | undefined;
  /** How long a completed non-INVITE server transaction keeps absorbing retransmissions (Timer J; RFC: 0 on reliable transports). */
  readonly timerJMs?: number | undefined;
  /** How long the TU may take to answer a request before the core answers 500 itself. */
  readonly applicationTimeoutMs?: number | undefined;
}

export class TransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  readonly timerF: ExpiryQueue<ClientTransaction>;
  readonly timerH: ExpiryQueue<ServerTransaction>;
  readonly timerL: ExpiryQueue<ServerTransaction>;
  readonly timerJ: ExpiryQueue<ServerTransaction>;
  readonly applicationDeadline: ExpiryQueue<ServerTransaction>;
  private disposed = false;

  constructor(
    clock: Clock,
    private readonly logger: Logger,
    readonly user: ServerTransactionUser,
    timers: TransactionTimers = {},
  ) {
    const t1 = timers.t1Ms ?? T1_MS;
    this.timerF = new ExpiryQueue(clock, 64 * t1, (tx) => tx.timeout());
    this.timerH = new ExpiryQueue(clock, 64 * t1, (tx) => tx.expire('H'));
    this.timerL = new ExpiryQueue(clock, 64 * t1, (tx) => tx.expire('L'));
    this.timerJ = new ExpiryQueue(clock, timers.timerJMs ?? 0, (tx) => tx.expire('J'));
    this.applicationDeadline = new ExpiryQueue(clock, timers.applicationTimeoutMs ?? 64 * t1, (tx) => {
      if (tx.awaitingFinalResponse) this.user.applicationTimeout(tx);
    });
  }

  get serverCount(): number {
    return this.servers.size;
  }
  get clientCount(): number {
    return this.clients.size;
  }

  findServer(key: string): ServerTransaction | undefined {
    return this.servers.get(key);
  }

  createServer(key: string, request: SipRequest, connection: SipConnection): ServerTransaction {
    const transaction = new ServerTransaction(this, key, request, connection, request.method);
    this.servers.set(key, transaction);
    return transaction;
  }

  removeServer(transaction: ServerTransaction): void {
    if (this.servers.get(transaction.key) === transaction) this.servers.delete(transaction.key);
  }

  /** Starts a client non-INVITE transaction (the request has already been written by the caller). */
  createClient(
    branch: string,
    method: string,
    connection: SipConnection,
    onResponse: (response: SipResponse) => void,
    onFailure: (error: DesklineError) => void,
  ): ClientTransaction {
    const key = `${branch}\u0000${method}`;
    const transaction = new ClientTransaction(this, key, method, connection, onResponse, onFailure);
    this.clients.set(key, transaction);
    return transaction;
  }

  removeClient(transaction: ClientTransaction): void {
    if (this.clients.get(transaction.key) === transaction) this.clients.delete(transaction.key);
  }

  /**
   * RFC 3261 §17.1.3: a response matches the client transaction whose branch equals the top
   * Via branch and whose method equals the CSeq method. Returns false if none does.
   */
  receiveResponse(response: SipResponse, branch: string, cseqMethod: string): boolean {
    const transaction = this.clients.get(`${branch}\u0000${cseqMethod}`);
    if (transaction === undefined) return false;
    transaction.receiveResponse(response);
    return true;
  }

  /** Fails the client transactions that were waiting on a connection that closed (§17.1.4). */
  connectionClosed(connection: SipConnection): void {
    for (const transaction of [...this.clients.values()]) {
      if (transaction.connection === connection) transaction.transportError('connection closed');
    }
    for (const transaction of [...this.servers.values()]) {
      if (transaction.connection === connection && !transaction.awaitingFinalResponse)
        transaction.terminate();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const transaction of [...this.clients.values()]) transaction.transportError('disposed');
    for (const transaction of [...this.servers.values()]) transaction.terminate();
    this.timerF.dispose();
    this.timerH.dispose();
    this.timerL.dispose();
    this.timerJ.dispose();
    this.applicationDeadline.dispose();
    this.logger.debug({}, 'transaction layer disposed');
  }
}
