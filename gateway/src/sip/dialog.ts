// The UAS side of a dialog (RFC 3261 §12): created by our 2xx to an INVITE, it holds the
// dialog ID, the route set and remote target, both CSeq spaces and the RFC 4028 session timer.
// Kept small on purpose (100,000 may be alive at once): strings and numbers, one timer, no
// request kept, no closure per message.
import type { Clock, TimerHandle } from '../util/clock.js';
import { assertNever } from '../util/errors.js';
import type { HeaderFields, Body } from './serializer.js';
import type { SipResponse } from './message.js';
import type { ConnectionInfo, SipConnection } from './transport/connection.js';
import { expiryDelayMs, refreshDelayMs } from './session-timer.js';

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
  /** A request in the dialog got 408 or no answer (RFC 3261 §12.2.1.2). */
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

/** What the dialog needs from the core (never a socket). */
export interface DialogHost {
  readonly clock: Clock;
  sendInDialog(dialog: ServerDialog, method: string, options: DialogRequestOptions): Promise<SipResponse>;
  byeDialog(dialog: ServerDialog, options: DialogRequestOptions): Promise<void>;
  sessionTimerFired(dialog: ServerDialog, phase: 'refresh' | 'expire'): void;
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
}

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
  /** @internal The Contact URI of the peer; replaced by target refresh requests (§12.2.2) via setRemoteTarget(). */
  remoteTarget: string;
  /** @internal Last CSeq number received (§12.2.2). */
  remoteSeq: number;
  /** @internal Last CSeq number we used; 0 = empty (§12.2.1.1). */
  localSeq = 0;
  /** @internal The connection the dialog's requests arrived on (RFC 3261 §18: reuse it). */
  connection: SipConnection | undefined;
  /** @internal CSeq of an INVITE (initial or re-INVITE) answered 2xx whose ACK has not come; 0 when none. */
  awaitingAckFor = 0;
  /** @internal CSeq of a re-INVITE not yet answered; 0 when none (RFC 3261 §14.2). */
  pendingReInvite = 0;
  /** RFC 4028 session interval in seconds; 0 when no session timer runs. */
  sessionInterval = 0;
  /** Who refreshes the session (RFC 4028 §7.4 / §9). */
  refresher: 'uac' | 'uas' | undefined;
  private stateValue: DialogState = DialogState.Confirmed;
  private sessionTimer: TimerHandle | undefined;
  /** Monotonic ms of the last successful refresh (RFC 4028 §10 counts the expiry from it). */
  private refreshedAt = 0;

  constructor(
    private readonly host: DialogHost,
    init: ServerDialogInit,
  ) {
    this.callId = detach(init.callId);
    this.localTag = detach(init.localTag);
    this.remoteTag = detach(init.remoteTag);
    this.id = detach(dialogId(this.callId, this.localTag, this.remoteTag));
    this.localUri = detach(init.localUri);
    this.remoteUri = detach(init.remoteUri);
    this.remoteTarget = detach(init.remoteTarget);
    this.routeSet = init.routeSet.map(detach);
    this.remoteSeq = init.remoteSeq;
    this.secure = init.secure;
    this.connection = init.connection;
  }

  get state(): DialogState {
    return this.stateValue;
  }

  get isTerminated(): boolean {
    return this.stateValue === DialogState.Terminated;
  }

  /** Where the dialog's messages currently travel (undefined between connections). */
  get transport(): ConnectionInfo | undefined {
    return this.connection;
  }

  /**
   * Sends a request inside the dialog (RFC 3261 §12.2.1.1), e.g. INFO with a CSTA event.
   * Resolves with the final response (any status); rejects with SIP_TIMEOUT (Timer F),
   * SIP_TRANSPORT, or INVALID_STATE once the dialog has ended.
   */
  sendRequest(method: string, options: DialogRequestOptions = {}): Promise<SipResponse> {
    return this.host.sendInDialog(this, method, options);
  }

  /** Ends the dialog with BYE (RFC 3261 §15.1.1); resolves once the BYE is answered or has failed. */
  bye(options: DialogRequestOptions = {}): Promise<void> {
    return this.host.byeDialog(this, options);
  }

  /** @internal RFC 3261 §12.2.2 target refresh. */
  setRemoteTarget(uri: string): void {
    this.remoteTarget = detach(uri);
  }

  /** @internal (Re)starts the RFC 4028 session timer after a successful negotiation or refresh. */
  startSessionTimer(interval: number, refresher: 'uac' | 'uas'): void {
    if (this.isTerminated) return;
    this.sessionInterval = interval;
    this.refresher = refresher;
    this.refreshedAt = this.host.clock.monotonic();
    this.armSessionTimer(refresher === 'uas' ? 'refresh' : 'expire');
  }

  /** @internal Our own refresh failed softly (RFC 4028 §10): the session still expires on time. */
  keepExpiryOnly(): void {
    if (this.isTerminated || this.sessionInterval === 0) return;
    this.armSessionTimer('expire');
  }

  /** @internal */
  stopSessionTimer(): void {
    this.host.clock.clearTimeout(this.sessionTimer);
    this.sessionTimer = undefined;
    this.sessionInterval = 0;
    this.refresher = undefined;
  }

  private armSessionTimer(phase: 'refresh' | 'expire'): void {
    const clock = this.host.clock;
    clock.clearTimeout(this.sessionTimer);
    const due =
      this.refreshedAt +
      (phase === 'refresh' ? refreshDelayMs(this.sessionInterval) : expiryDelayMs(this.sessionInterval));
    this.sessionTimer = clock.setTimeout(
      () => {
        this.sessionTimer = undefined;
        if (this.isTerminated) return;
        if (phase === 'refresh') this.armSessionTimer('expire');
        this.host.sessionTimerFired(this, phase);
      },
      Math.max(0, due - clock.monotonic()),
    );
  }

  /** @internal The only way to end a dialog (STYLE habit 5): owns the session timer. */
  transition(to: DialogState): void {
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
