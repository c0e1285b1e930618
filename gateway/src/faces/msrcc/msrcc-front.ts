// The Microsoft Remote Call Control face (docs/msrcc.md): CSTA XML (ECMA-323) inside SIP, as
// Communicator / Lync / Skype for Business (and pidgin-sipe) speak it.
//
//   INVITE + RequestSystemStatus{lcs:line}  → a session for the From user and that line; the 200 OK
//                                             carries RequestSystemStatusResponse{normal}
//   INFO + a CSTA request                   → the CSTA response in the body of the 200 OK
//   events                                  → new INFO requests in the dialog, with the monitorCrossRefID
//   UPDATE / re-INVITE                      → session refresh (RFC 4028); a re-INVITE also restores a
//                                             session whose CTI connection is down or stale, and
//                                             re-opens a dialog this node does not know
//   BYE / session expiry                    → the monitors and the session are released
//
// SIP status decisions (ours to choose; docs/msrcc.md §3–4 records them):
//   - A CSTA-level refusal of an INFO request is a 200 OK whose body is CSTAErrorCode: the SIP
//     transaction succeeded, the CSTA service did not (ECMA TR/87 carries CSTA responses, positive or
//     negative, in the 200 OK). This includes "CTI Manager unavailable" (systemResourceAvailibility, sic).
//   - A session whose CTI connection came back with a new connection ID restores its monitors itself
//     (cti.sessionRecovery: transparent, the default); with `reinvite` its next INFO gets 481 and the
//     client re-INVITEs (Cisco's behaviour), without the user signing in again (docs/msrcc.md §8).
//   - A re-INVITE carrying RequestSystemStatus in a dialog this node does not know re-opens the session
//     for that dialog, authorized as an INVITE; an INFO in such a dialog gets 481 (docs/msrcc.md §8.1).
//   - An event INFO the client leaves unanswered (or a proxy answers 408) fails alone; events are
//     windowed and bounded per session (docs/msrcc.md §5).
//   - A refused INVITE gets a SIP status that says why (403 not licensed / not your line / CTI control
//     disallowed, 404 unknown user or line, 503 + Retry-After when no CTI Manager is available), the
//     reason in the reason phrase and a Warning header, and a CSTAErrorCode body.
import {
  CALL_CONTROL_EVENTS,
  CALL_CONTROL_SERVICES,
  decodeCsta,
  encodeCsta,
  getLcsLine,
  cstaError,
  type CstaEdition,
  type CstaErrorCode,
  type CstaEvent,
  type CstaMessage,
  type CstaXmlEdition,
  type DecodedCsta,
  type XmlLimits,
} from '../../csta/index.js';
import { toCstaError } from '../../core/csta-errors.js';
import type { AppearanceRecord } from '../../core/directory.js';
import type { DirectoryUser } from '../../cti-link/directory-codec.js';
import {
  CoreSessionState,
  type CoreSession,
  type ForwardedRequest,
  type SessionCore,
  type SessionFace,
} from '../../core/session-core.js';
import { lineKeyOf, type NumberingRules } from '../../numbering/index.js';
import type { GatewayConfig } from '../../config/config.js';
import type { SipFaceMetrics } from '../../observability/metrics.js';
import {
  SipUserAgentCore,
  type IncomingDialogRequest,
  type IncomingInvite,
  type ServerDialog,
  type DialogTerminationReason,
  type SipUserAgentCoreDelegate,
  type SipTransportConfig,
} from '../../sip/index.js';
import { DesklineError, ErrorCode, wrapError } from '../../util/errors.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { err, ok, type Result } from '../../util/result.js';
import { detachString } from '../../util/strings.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DeviceTranslator } from './translate.js';

const CSTA_HEADERS: [string, string][] = [['Content-Disposition', 'signal;handling=required']];

const editionOf = (edition: CstaEdition): CstaXmlEdition =>
  edition.startsWith('ed') ? (edition as CstaXmlEdition) : 'ed3';

/** SIP status and phrase for an INVITE the core refused. */
function inviteStatus(error: DesklineError): { status: number; phrase: string; retryAfter?: number } {
  switch (error.code) {
    case ErrorCode.NotLicensed:
    case ErrorCode.LineNotOwned:
    case ErrorCode.CtiControlDisallowed:
      return { status: 403, phrase: 'Forbidden' };
    case ErrorCode.LimitExceeded:
      // A limit of this user (users.maxSessionsPerUser) is not lifted by retrying elsewhere.
      return { status: 403, phrase: 'Forbidden' };
    case ErrorCode.UnknownUser:
    case ErrorCode.UnknownLine:
      return { status: 404, phrase: 'Not Found' };
    case ErrorCode.NoHealthyCtiConnection:
    case ErrorCode.CtiNotConnected:
    case ErrorCode.CtiConnectionClosed:
    case ErrorCode.CtiTimeout:
      return { status: 503, phrase: 'Service Unavailable', retryAfter: 10 };
    case ErrorCode.Disposed:
      return { status: 503, phrase: 'Service Unavailable', retryAfter: 5 };
    default:
      return { status: 400, phrase: 'Bad Request' };
  }
}

/** How long SIGTERM's drain waits for the clients' answers to its BYEs. */
const DRAIN_BYE_WAIT_MS = 3000;

/**
 * A body from a Microsoft RCC client: ECMA-323 only, under the configured parser caps. A root in
 * no namespace (or in ECMA-354's) is not an RCC request (docs/msrcc.md §6); foreign namespaces are
 * already refused by the codec.
 */
function decodeNorthbound(body: Uint8Array | string, limits: Partial<XmlLimits>): Result<DecodedCsta> {
  const decoded = decodeCsta(body, limits);
  if (!decoded.ok) return decoded;
  const { edition, message } = decoded.value;
  if (edition === 'unknown' || edition === 'ecma354')
    return err(
      new DesklineError(
        ErrorCode.CstaUnknownMessage,
        edition === 'unknown'
          ? `<${message.type}> is in no namespace: an RCC body must be ECMA-323 XML`
          : `<${message.type}> is an ECMA-354 application-session message, not an RCC request`,
      ),
    );
  return decoded;
}

/** Warning header text (RFC 3261 §20.43: 399 = miscellaneous warning). Quotes and controls removed. */
const warning = (text: string): string => `399 deskline "${text.replace(/["\\\r\n]/g, "'").slice(0, 200)}"`;

// Device translation for serve(). Module functions rather than closures made per request: the
// service runs under tsx, whose esbuild keepNames wraps each named closure in __name() at
// creation — measurable per request (docs/benchmarks.md, "Profile findings").

/** A device the client names as its own (callingDevice, monitorObject, device of a feature). */
function ownDevice(t: DeviceTranslator, north: string): string {
  const cti = t.ownToCti(north);
  if (!cti.ok)
    throw new DesklineError(ErrorCode.LineNotOwned, cti.error.message, {
      detail: { cstaError: { errorClass: 'operation', value: 'privilegeViolationSpecifiedDevice' } },
    });
  return cti.value;
}

/** A connection's device: one the session owns or was told of, else refused. */
function connectionDevice(t: DeviceTranslator, north: string): string {
  const cti = t.connectionToCti(north);
  if (!cti.ok)
    throw new DesklineError(ErrorCode.LineNotOwned, cti.error.message, {
      detail: { cstaError: { errorClass: 'operation', value: 'privilegeViolationSpecifiedDevice' } },
    });
  return cti.value;
}

/** A destination the user dialled. */
function destination(t: DeviceTranslator, north: string): string {
  const cti = t.destinationToCti(north);
  if (!cti.ok) throw cti.error;
  return cti.value;
}

/** A connection (callID + deviceID) in CTI form. */
function connectionOf(
  t: DeviceTranslator,
  c: { callID?: string; deviceID?: string },
): { callID?: string; deviceID?: string } {
  return {
    ...(c.callID === undefined ? {} : { callID: c.callID }),
    ...(c.deviceID === undefined ? {} : { deviceID: connectionDevice(t, c.deviceID) }),
  };
}

/** The element of each call event that holds the connection the event is about. */
const EVENT_CONNECTION: Readonly<Partial<Record<string, string>>> = {
  ServiceInitiatedEvent: 'initiatedConnection',
  OriginatedEvent: 'originatedConnection',
  DeliveredEvent: 'connection',
  EstablishedEvent: 'establishedConnection',
  ConnectionClearedEvent: 'droppedConnection',
  HeldEvent: 'heldConnection',
  RetrievedEvent: 'retrievedConnection',
  FailedEvent: 'failedConnection',
  DivertedEvent: 'connection',
};

/** Connections (as the client sees them, per monitor) whose CTI devices a session keeps track of, at most. */
const TRACKED_CONNECTIONS_LIMIT = 256;

/**
 * The monitorCrossRefID of the `index`-th monitor of an RCC dialog (docs/msrcc.md §8): derived
 * from the dialog (its Call-ID and the client's tag) and the session's line, so that any node —
 * this one after a restart, another after this one died — gives the same ID to the monitor it
 * restores for a client that never sends MonitorStart again (pidgin-sipe). A one-way hash: the ID
 * reveals nothing of the dialog or the line, and without the dialog's Call-ID and tag (both chosen
 * at random by the client) it cannot be guessed. 64 bits, in hex.
 */
export function monitorCrossRefIdOf(
  dialog: { readonly callId: string; readonly remoteTag: string },
  line: { readonly dn: string; readonly partition: string },
  index: number,
): string {
  return createHash('sha256')
    .update(
      `deskline/msrcc/monitor\n${dialog.callId}\n${dialog.remoteTag}\n${line.dn}\n${line.partition}\n${index}`,
    )
    .digest('hex')
    .slice(0, 16);
}

class RccSession implements SessionFace {
  readonly translator: DeviceTranslator;
  /** The edition the client spoke in its INVITE: events go out in it (docs/msrcc.md). */
  edition: CstaXmlEdition;
  closed = false;
  /** MonitorStarts in this dialog so far: the index of the next monitorCrossRefID. */
  monitorsStarted = 0;
  /**
   * INFO requests being served. The CTI Manager sends a response before the events its request
   * causes, but our answer takes more asynchronous steps than an event does: without holding
   * them, OriginatedEvent would reach the client before the MakeCallResponse carrying its callID
   * — and clients match events by that callID (pidgin-sipe's sip_csta_update_id_and_status()
   * drops events of an unknown callID), and by the monitorCrossRefID of MonitorStartResponse.
   */
  private serving = 0;
  /** A response so slow that `sip.maxQueuedEventsPerSession` events piled up behind it: the
   *  events go out without waiting for it any more (order among them still holds). */
  private holdGivenUp = false;
  /** Events waiting, in order: behind a response, or behind the in-flight window. Allocated
   *  only while needed (100,000 sessions). */
  private queue: CstaEvent[] | undefined;
  /** Event INFOs sent and not yet answered (or timed out): at most `sip.maxEventsInFlightPerSession`. */
  private inFlight = 0;
  /** Client connection (monitor, callID, its deviceID) → the CTI devices behind it (docs/msrcc.md §5). */
  private tracked: Map<string, Set<string>> | undefined;

  constructor(
    readonly front: MsRccFront,
    readonly dialog: ServerDialog,
    readonly core: CoreSession,
    readonly lineUri: string,
    edition: CstaXmlEdition,
    appearances: () => readonly AppearanceRecord[],
  ) {
    this.edition = edition;
    this.translator = new DeviceTranslator(
      () => front.core.directory,
      front.rules,
      core.appearance,
      lineUri,
      appearances,
    );
  }

  /**
   * MonitorStart of `deviceId` (CTI form) under the dialog's next monitorCrossRefID. The index
   * counts the monitors started in this dialog: one that failed gives its index back, so that a
   * client's first monitor is always index 1 — the one a take-over restores.
   */
  async startMonitor(deviceId: string): Promise<string> {
    const index = ++this.monitorsStarted;
    try {
      return await this.core.monitorStart(
        deviceId,
        monitorCrossRefIdOf(this.dialog, this.core.appearance.line, index),
      );
    } catch (cause) {
      if (this.monitorsStarted === index) this.monitorsStarted--;
      throw cause;
    }
  }

  onCtiEvent(_session: CoreSession, event: CstaEvent): void {
    if (this.closed || this.dialog.isTerminated) return;
    if (!this.distinguishable(event)) return;
    const queue = (this.queue ??= []);
    queue.push(event);
    if (queue.length > this.front.eventLimits.maxQueued) {
      if (this.inFlight < this.front.eventLimits.maxInFlight) {
        // Only a slow response holds them: it no longer gets to go first.
        this.holdGivenUp = true;
      } else {
        this.front.eventBacklogExceeded(this);
        return;
      }
    }
    this.pump();
  }

  /**
   * One DeliveredEvent per connection the client can tell apart (docs/msrcc.md §5). Several CTI
   * connections may look the same to the client: a call alerting on two appearances of a shared
   * line (two phones, one number) is two connections on the CTI link and one in the client's terms
   * (same callID, same deviceID). Per monitor, the client sees that connection alert once, and
   * cleared when the last CTI connection behind it clears — when the call is answered on one phone
   * the other stops ringing, which must not read as "the party you called hung up". Except when
   * the phone that stops is the monitored one: its monitor sees nothing more of that call, so the
   * client is told (and forgets the others behind it).
   */
  private distinguishable(event: CstaEvent): boolean {
    const xref = 'monitorCrossRefID' in event ? String(event.monitorCrossRefID) : '';
    if (event.type === 'CallClearedEvent') {
      const callId = event.clearedCall.callID;
      if (callId !== undefined && this.tracked !== undefined) {
        const prefix = `${xref}\n${callId}\n`;
        for (const key of this.tracked.keys()) if (key.startsWith(prefix)) this.tracked.delete(key);
      }
      return true;
    }
    const element = EVENT_CONNECTION[event.type];
    if (element === undefined) return true;
    const connection = (
      event as unknown as Record<string, { callID?: string; deviceID?: string } | undefined>
    )[element];
    const callId = connection?.callID;
    const device = connection?.deviceID;
    if (callId === undefined || device === undefined) return true;
    const key = `${xref}\n${callId}\n${this.translator.toNorth(device)}`;
    const tracked = (this.tracked ??= new Map());
    const devices = tracked.get(key);
    if (event.type === 'DivertedEvent') {
      // The diverted connection is gone (ECMA-269: no ConnectionCleared follows for it); shown.
      devices?.delete(device);
      if (devices?.size === 0) tracked.delete(key);
      return true;
    }
    if (event.type === 'ConnectionClearedEvent') {
      if (devices === undefined) return true;
      devices.delete(device);
      if (devices.size > 0 && device !== this.core.monitoredDevice(xref)) return false;
      tracked.delete(key);
      return true;
    }
    const alreadyShown = devices !== undefined && [...devices].some((d) => d !== device);
    if (devices === undefined) {
      tracked.set(key, new Set([device]));
      if (tracked.size > TRACKED_CONNECTIONS_LIMIT) tracked.delete(tracked.keys().next().value as string);
    } else devices.add(device);
    return !(event.type === 'DeliveredEvent' && alreadyShown);
  }

  /** An INFO request of this client is being served: its events wait for its response. */
  beginRequest(): void {
    this.serving++;
  }

  /** The response went out: the events held meanwhile follow it, in order. */
  endRequest(): void {
    this.serving--;
    if (this.serving === 0) {
      this.holdGivenUp = false;
      this.pump();
    }
  }

  /** Sends waiting events, in order, while the window allows and no response holds them. */
  private pump(): void {
    const queue = this.queue;
    if (queue === undefined) return;
    const window = this.front.eventLimits.maxInFlight;
    while (queue.length > 0 && this.inFlight < window && (this.serving === 0 || this.holdGivenUp)) {
      if (this.closed || this.dialog.isTerminated) {
        this.queue = undefined;
        return;
      }
      this.sendEvent(queue.shift() as CstaEvent);
    }
    if (queue.length === 0) this.queue = undefined;
  }

  private sendEvent(event: CstaEvent): void {
    const north = this.translator.messageToNorth(event);
    const body = encodeCsta(north, { edition: this.edition, declaration: true });
    this.front.metrics.cstaEventSent(event.type);
    this.inFlight++;
    this.dialog
      .sendRequest('INFO', { body, contentType: 'application/csta+xml', headers: CSTA_HEADERS })
      .then(
        (response) => {
          this.inFlight--;
          // A status that ends the dialog (RFC 5057 §5.1: 481, 404, 480, ...) has ended it in the
          // SIP layer already, and the session with it (onDialogTerminated). Any other failure —
          // a 408 from a proxy for a client that never answers (pidgin-sipe) — fails this event's
          // transaction only (docs/msrcc.md §5).
          if (response.status >= 300) this.front.metrics.cstaEventFailed(String(response.status));
          this.pump();
        },
        (cause: unknown) => {
          this.inFlight--;
          const error = wrapError(cause);
          if (error.code === ErrorCode.SipTimeout) {
            // Timer F: no answer at all — transaction only, as a 408.
            this.front.metrics.cstaEventFailed('timeout');
            this.pump();
            return;
          }
          this.front.log.debug({ error: error.message, dialog: this.dialog.id }, 'event INFO not delivered');
          // No way to the client (a new connection to its route or Contact failed, RFC 3261
          // §18.1.1): the SIP layer ended the dialog. BYE otherwise: a TCP dialog outlives its
          // connection, and without it the dialog would stay with no session behind it.
          this.front.endSession(this, 'event INFO not delivered', true);
        },
      );
  }

  /** Over TCP or TLS a dialog outlives its connection (events open a new one, docs/msrcc.md §2);
   *  while it has none, a new session of the same user may take its place. */
  isAbandoned(): boolean {
    return this.closed || this.dialog.isTerminated || this.dialog.connection === undefined;
  }

  onStateChange(_session: CoreSession, state: CoreSessionState, reason: string | undefined): void {
    if (state === CoreSessionState.Closed && !this.closed) {
      // Closed by the core (authorization revoked by a directory change, gateway shutdown).
      this.front.endSession(this, reason ?? 'session closed', true);
    }
  }
}

export interface MsRccFrontOptions {
  config: GatewayConfig;
  core: SessionCore;
  rules: NumberingRules;
  clock: Clock;
  logger: Logger;
  metrics: SipFaceMetrics;
}

export class MsRccFront implements SipUserAgentCoreDelegate {
  readonly core: SessionCore;
  readonly rules: NumberingRules;
  readonly metrics: SipFaceMetrics;
  readonly log: Logger;
  private readonly sessions = new Map<string, RccSession>();
  private readonly xmlLimits: Partial<XmlLimits>;
  /** `sip.maxEventsInFlightPerSession`, `sip.maxQueuedEventsPerSession` (docs/msrcc.md §5). */
  readonly eventLimits: { readonly maxInFlight: number; readonly maxQueued: number };
  private sip!: SipUserAgentCore;
  private disposing = false;

  private constructor(private readonly options: MsRccFrontOptions) {
    this.core = options.core;
    this.rules = options.rules;
    this.metrics = options.metrics;
    this.log = options.logger.child({ component: 'msrcc' });
    this.xmlLimits = {
      maxAttributes: options.config.csta.maxAttributesPerElement,
      maxElements: options.config.csta.maxElements,
    };
    this.eventLimits = {
      maxInFlight: options.config.sip.maxEventsInFlightPerSession,
      maxQueued: options.config.sip.maxQueuedEventsPerSession,
    };
  }

  static async start(options: MsRccFrontOptions): Promise<MsRccFront> {
    const front = new MsRccFront(options);
    const sip = options.config.sip;
    const tls = sip.tls[0];
    const transports: SipTransportConfig = {
      tcp: sip.tcp,
      ws: sip.ws,
      tls: sip.tls.map((t) => ({ host: t.host, port: t.port })),
      maxConnections: sip.maxConnections,
      idleTimeoutMs: sip.idleTimeoutSec * 1000,
      maxBodyBytes: sip.maxMessageBytes,
      maxPendingRequests: sip.maxPendingRequestsPerConnection,
      maxConnectionsPerSource: sip.maxConnectionsPerSource,
      messageTimeoutMs: sip.messageTimeoutSec * 1000,
      maxMessagesPerTurn: sip.maxMessagesPerTurn,
      maxMessagesPerTurnPerConnection: sip.maxMessagesPerTurnPerConnection,
      ...(tls === undefined
        ? {}
        : {
            tlsConfig: {
              cert: readFileSync(tls.cert),
              key: readFileSync(tls.key),
              ...(tls.ca === undefined ? {} : { ca: readFileSync(tls.ca) }),
              trustedPeers: tls.trustedPeers,
            },
          }),
    };
    front.sip = new SipUserAgentCore({
      transports,
      delegate: front,
      clock: options.clock,
      logger: options.logger.child({ component: 'sip' }),
      sessionTimer: { defaultSeconds: sip.sessionExpiresSec, minSeconds: sip.minSessionExpiresSec },
      serverHeader: `Deskline/${options.config.node.id}`,
      maxDialogsPerConnection: sip.maxSessionsPerConnection,
      tolerateCSeqReset: sip.tolerateCSeqReset,
    });
    const bound = await front.sip.start();
    front.log.info({ listeners: bound.map((b) => `${b.protocol} ${b.host}:${b.port}`) }, 'SIP listeners up');
    return front;
  }

  listenerAddresses(): { transport: string; address: string }[] {
    return this.sip.addresses().map((b) => ({
      transport: b.protocol,
      address: `${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}`,
    }));
  }

  get dialogCount(): number {
    return this.sessions.size;
  }

  /** The SIP user agent (stats and tests). */
  get userAgent(): SipUserAgentCore {
    return this.sip;
  }

  private body(
    message: CstaMessage,
    edition: CstaXmlEdition,
  ): { body: string; contentType: string; headers: [string, string][] } {
    return {
      body: encodeCsta(message, { edition, declaration: true }),
      contentType: 'application/csta+xml',
      headers: CSTA_HEADERS,
    };
  }

  /** OPTIONS probes (Kamailio's dispatcher) see what an INVITE would: 503 when no session could open. */
  availability(): { status: number; reason: string; retryAfterSec?: number } | undefined {
    if (this.disposing) return { status: 503, reason: 'the gateway is shutting down', retryAfterSec: 5 };
    if (this.core.pool.upCount === 0)
      return { status: 503, reason: 'no CTI Manager is available', retryAfterSec: 10 };
    if (this.core.directory.loadedAt === 0)
      return { status: 503, reason: 'the user directory is not loaded yet', retryAfterSec: 5 };
    return undefined;
  }

  // ------------------------------------------------------------------ INVITE: open a session

  onInvite(invite: IncomingInvite): void {
    void this.openSession(invite).catch((cause: unknown) => {
      const error = wrapError(cause);
      this.log.error({ error: error.message }, 'INVITE handling failed');
      if (!invite.answered) this.refuse(invite, error, 'ed3');
    });
  }

  /**
   * An in-dialog re-INVITE for a dialog this node does not know (docs/msrcc.md §8): this node
   * restarted, or a balancer re-dispatched it from a node that died. pidgin-sipe never re-INVITEs
   * out of dialog and would be stranded by a 481; a re-INVITE carrying RequestSystemStatus is what
   * opens a session, so it opens one here for that dialog — authorized exactly as an INVITE (From
   * user, licence, line, every limit) — and the session restores the client's monitor itself,
   * under the monitorCrossRefID the client already has (the ID is derived from the dialog).
   */
  onDialogTakeover(invite: IncomingInvite): void {
    void this.openSession(invite).catch((cause: unknown) => {
      const error = wrapError(cause);
      this.log.error({ error: error.message }, 'take-over re-INVITE handling failed');
      if (!invite.answered) this.refuse(invite, error, 'ed3');
    });
  }

  /** A re-INVITE for an unknown dialog that is not a session-opening request: there is no such
   *  dialog here (RFC 3261 §12.2.2), as before take-overs existed. */
  private noSuchDialog(invite: IncomingInvite, why: string): void {
    if (invite.answered) return;
    this.metrics.sipRequest('INVITE', 481);
    this.log.info({ reason: why }, 're-INVITE for an unknown dialog not taken over');
    invite.reject(481, {
      reason: 'Call/Transaction Does Not Exist',
      headers: [['Warning', warning(why)]],
    });
  }

  private refuse(
    invite: IncomingInvite,
    error: DesklineError,
    edition: CstaXmlEdition,
    csta?: CstaErrorCode,
  ): void {
    if (invite.answered) {
      // CANCELed while we were deciding (the SIP core sent 487, RFC 3261 §9.2): this refusal is
      // never sent, so it is neither counted nor logged as one.
      this.log.debug(
        { code: error.code, reason: error.message },
        'INVITE already answered (canceled); refusal not sent',
      );
      return;
    }
    const { status, phrase, retryAfter } = inviteStatus(error);
    const headers: [string, string][] = [['Warning', warning(error.message)], ...CSTA_HEADERS];
    if (retryAfter !== undefined) headers.push(['Retry-After', String(retryAfter)]);
    this.metrics.refusal(error.code);
    this.metrics.sipRequest('INVITE', status);
    const from = invite.message.from();
    this.log.warn(
      { status, code: error.code, reason: error.message, from: from.ok ? from.value.uri.text : undefined },
      'session refused',
    );
    invite.reject(status, {
      reason: `${phrase} (${error.message})`.slice(0, 240),
      headers,
      body: encodeCsta(csta ?? toCstaError(error), { edition, declaration: true }),
      contentType: 'application/csta+xml',
    });
  }

  private async openSession(invite: IncomingInvite): Promise<void> {
    if (this.disposing)
      return this.refuse(
        invite,
        new DesklineError(ErrorCode.Disposed, 'the gateway is shutting down'),
        'ed3',
      );
    // Who is asking comes first, from the headers: the body is parsed only for a licensed user
    // (parsing is the costly part of a hostile INVITE, docs/robustness.md §6). Refusals before the
    // body is read go out in ed3, what every Microsoft client speaks.
    const from = invite.message.from();
    if (!from.ok) return this.refuse(invite, from.error, 'ed3');
    const fromUri =
      from.value.uri.kind === 'sip'
        ? `${from.value.uri.scheme}:${from.value.uri.user ?? ''}@${from.value.uri.host}`
        : from.value.uri.text;
    if (!(await this.core.whenDirectoryReady(3000))) {
      return this.refuse(
        invite,
        new DesklineError(
          ErrorCode.NoHealthyCtiConnection,
          'the user directory is not loaded yet (no CTI Manager reachable)',
        ),
        'ed3',
      );
    }
    const identified = this.identify(fromUri);
    if (!identified.ok) return this.refuse(invite, identified.error, 'ed3');
    const user = identified.value;
    const decoded = decodeNorthbound(invite.message.body, this.xmlLimits);
    if (invite.takeover && (!decoded.ok || decoded.value.message.type !== 'RequestSystemStatus'))
      return this.noSuchDialog(
        invite,
        decoded.ok
          ? `this node knows no such dialog, and a re-INVITE carrying ${decoded.value.message.type} opens none`
          : `this node knows no such dialog, and the re-INVITE carries no readable RequestSystemStatus`,
      );
    if (!decoded.ok) return this.refuse(invite, decoded.error, 'ed3');
    const edition = editionOf(decoded.value.edition);
    const request = decoded.value.message;
    if (request.type !== 'RequestSystemStatus') {
      return this.refuse(
        invite,
        new DesklineError(
          ErrorCode.InvalidArgument,
          `the session-opening INVITE must carry RequestSystemStatus, not ${request.type}`,
        ),
        edition,
        cstaError('operation', 'invalidObjectType'),
      );
    }
    const authorization = this.authorizeLine(user, getLcsLine(request));
    if (!authorization.ok) return this.refuse(invite, authorization.error, edition);
    const { appearance, lineUri } = authorization.value;
    if (invite.canceled) return;

    // The face exists before the dialog (the core session is opened first); events can only
    // start after MonitorStart, which needs the dialog, so the late binding loses nothing.
    const late: { rcc?: RccSession } = {};
    const face: SessionFace = {
      onCtiEvent: (s, e) => late.rcc?.onCtiEvent(s, e),
      onStateChange: (s, state, reason) => late.rcc?.onStateChange(s, state, reason),
      isAbandoned: () => late.rcc?.isAbandoned() ?? false,
    };
    const opened = this.core.openSession({ user, appearance }, face);
    if (!opened.ok) return this.refuse(invite, opened.error, edition);
    const session = opened.value;
    if (invite.canceled || invite.answered) {
      await session.close('INVITE canceled');
      return;
    }
    let dialog: ServerDialog;
    try {
      dialog = invite.accept(
        this.body({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' }, edition),
      );
    } catch (cause) {
      // The INVITE's connection went while we decided (RFC 3261 §18.2.2: the 200 can only go back
      // on it): release the core session, which no dialog will ever end.
      await session.close('INVITE connection closed before the answer');
      throw cause;
    }
    const rcc = new RccSession(this, dialog, session, lineUri, edition, () =>
      this.core.directory.appearancesOfUser(user),
    );
    late.rcc = rcc;
    this.sessions.set(dialog.id, rcc);
    this.metrics.sipRequest('INVITE', 200);
    this.log.info(
      {
        dialog: dialog.id,
        user: user.id,
        line: appearance.id,
        transport: invite.transport.protocol,
        ...(invite.takeover ? { takeover: true } : {}),
      },
      invite.takeover ? 'RCC session re-opened for a dialog this node did not know' : 'RCC session open',
    );
    if (invite.takeover) await this.restoreMonitor(rcc);
  }

  /**
   * A taken-over session restores the client's monitor of its line under the monitorCrossRefID
   * the client has (its dialog's first, docs/msrcc.md §8): clients that keep their dialog never
   * send MonitorStart again (pidgin-sipe). Best effort: without it the session still serves
   * requests, and a MonitorStart from the client gets the next ID.
   */
  private async restoreMonitor(rcc: RccSession): Promise<void> {
    try {
      const id = await rcc.startMonitor(rcc.core.appearance.id);
      this.metrics.sessionRestored('takeover');
      this.log.info(
        { dialog: rcc.dialog.id, user: rcc.core.user.id, monitorCrossRefID: id },
        'monitor restored for the taken-over dialog',
      );
    } catch (cause) {
      this.log.warn(
        { dialog: rcc.dialog.id, user: rcc.core.user.id, error: wrapError(cause).message },
        'monitor of the taken-over dialog not restored',
      );
    }
  }

  /** A session whose client lets `sip.maxQueuedEventsPerSession` events pile up behind
   *  `sip.maxEventsInFlightPerSession` unanswered ones is not taking events: it ends (BYE). */
  eventBacklogExceeded(rcc: RccSession): void {
    this.metrics.limitRefused('sip.maxQueuedEventsPerSession');
    this.log.warn(
      {
        dialog: rcc.dialog.id,
        user: rcc.core.user.id,
        inFlight: this.eventLimits.maxInFlight,
        queued: this.eventLimits.maxQueued,
      },
      'RCC session ended: its client leaves its events unanswered (sip.maxQueuedEventsPerSession)',
    );
    this.endSession(rcc, 'events not taken (sip.maxQueuedEventsPerSession)', true);
  }

  /** From user → licensed directory user. */
  private identify(fromUri: string): Result<DirectoryUser> {
    const user = this.core.directory.userBySipUri(fromUri, this.options.config.users.identity);
    if (user === undefined)
      return err(new DesklineError(ErrorCode.UnknownUser, `no CUCM user for ${fromUri}`));
    const licensed = this.core.authorizeUser(user);
    if (!licensed.ok) return licensed;
    return ok(user);
  }

  /** lcs:line → one of the user's appearances. */
  private authorizeLine(
    user: DirectoryUser,
    lcsLine: string | undefined,
  ): Result<{ appearance: AppearanceRecord; lineUri: string }> {
    const directory = this.core.directory;
    if (lcsLine === undefined || lcsLine.trim() === '') {
      // Not what Communicator sends, but a client with one line needs no line URI to be useful.
      const mine = directory.appearancesOfUser(user).filter((a) => a.device.ctiAllowed);
      if (mine.length === 1)
        return ok({
          appearance: mine[0] as AppearanceRecord,
          lineUri: `tel:${(mine[0] as AppearanceRecord).line.dn};phone-context=dialstring`,
        });
      return err(
        new DesklineError(
          ErrorCode.InvalidArgument,
          'RequestSystemStatus carries no line URI (extensions/privateData/private/lcs:line) and the user has more than one line',
        ),
      );
    }
    const key = lineKeyOf(lcsLine, this.rules);
    if (!key.ok)
      return err(
        new DesklineError(
          key.error.code === ErrorCode.UnknownLine ? ErrorCode.UnknownLine : ErrorCode.UriInvalid,
          `line URI ${lcsLine}: ${key.error.message}`,
        ),
      );
    const resolved = this.core.authorizeLine(user, key.value.dn, key.value.partition);
    if (!resolved.ok) return resolved;
    // The session keeps the Line URI for its life: a copy, not a slice of the INVITE's decoded
    // body, which it would otherwise pin (docs/benchmarks.md, "Memory per session").
    return ok({ appearance: resolved.value.appearance, lineUri: detachString(lcsLine) });
  }

  // ------------------------------------------------------------------ in-dialog requests

  onRequest(dialog: ServerDialog, request: IncomingDialogRequest): void {
    const rcc = this.sessions.get(dialog.id);
    if (rcc === undefined) {
      request.respond(481, { reason: 'Call/Transaction Does Not Exist (no RCC session)' });
      return;
    }
    switch (request.method) {
      case 'INFO':
        void this.receiveInfo(rcc, request);
        return;
      case 'UPDATE':
        // RFC 3311 / RFC 4028: Communicator 2007 R2 refreshes every 25 minutes with UPDATE.
        if (this.mustReinvite(rcc)) return this.refuseStale(rcc, request);
        // Transparent recovery: a session whose restore failed so far tries again.
        if (rcc.core.state === CoreSessionState.Stale) void rcc.core.rebind().catch(() => undefined);
        request.respond(200);
        this.metrics.sipRequest('UPDATE', 200);
        return;
      case 'INVITE':
        void this.receiveReInvite(rcc, request);
        return;
      default:
        request.respond(405, { headers: [['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE']] });
    }
  }

  /** Cisco's recovery (`cti.sessionRecovery: reinvite`): a stale session is told to re-INVITE. */
  private mustReinvite(rcc: RccSession): boolean {
    return rcc.core.state === CoreSessionState.Stale && this.core.recovery === 'reinvite';
  }

  private refuseStale(rcc: RccSession, request: IncomingDialogRequest): void {
    // Cisco: after a reconnect the connection ID is new, so in-session requests are refused and the
    // client re-INVITEs. 481 makes it drop this dialog (RFC 5057 §5.1) and open a new one.
    request.respond(481, {
      reason: 'Call/Transaction Does Not Exist (CTI connection re-established: re-INVITE)',
      headers: [['Warning', warning('the CTI connection was re-established; open the session again')]],
    });
    this.metrics.sipRequest(request.method, 481);
    this.endSession(rcc, 'stale after CTI reconnect');
  }

  private async receiveInfo(rcc: RccSession, request: IncomingDialogRequest): Promise<void> {
    const decoded = decodeNorthbound(request.message.body, this.xmlLimits);
    if (!decoded.ok) {
      this.metrics.refusal(decoded.error.code);
      this.log.info(
        { dialog: rcc.dialog.id, code: decoded.error.code, reason: decoded.error.message },
        'CSTA body refused',
      );
      this.answer(request, toCstaError(decoded.error), rcc.edition, decoded.error.message);
      return;
    }
    const edition = editionOf(decoded.value.edition);
    if (this.mustReinvite(rcc)) return this.refuseStale(rcc, request);
    rcc.beginRequest();
    try {
      const response = await this.serve(rcc, decoded.value.message);
      this.answer(request, response, edition);
    } catch (cause) {
      const error = wrapError(cause);
      if (error.code === ErrorCode.SessionStale) return this.refuseStale(rcc, request);
      this.metrics.refusal(error.code);
      this.log.info(
        {
          dialog: rcc.dialog.id,
          request: decoded.value.message.type,
          code: error.code,
          reason: error.message,
        },
        'CSTA request refused',
      );
      this.answer(request, toCstaError(error), edition, error.message);
    } finally {
      // After the response: the events it caused follow it (see RccSession.serving).
      rcc.endRequest();
    }
  }

  private answer(
    request: IncomingDialogRequest,
    message: CstaMessage,
    edition: CstaXmlEdition,
    why?: string,
  ): void {
    if (request.answered) return;
    const headers: [string, string][] =
      why === undefined ? CSTA_HEADERS : [...CSTA_HEADERS, ['Warning', warning(why)]];
    request.respond(200, {
      body: encodeCsta(message, { edition, declaration: true }),
      contentType: 'application/csta+xml',
      headers,
    });
    this.metrics.sipRequest('INFO', 200);
  }

  private async forward(rcc: RccSession, request: ForwardedRequest): Promise<CstaMessage> {
    return rcc.translator.messageToNorth(await rcc.core.request(request));
  }

  /** One CSTA request from the client → its response (in the client's device IDs). */
  private async serve(rcc: RccSession, message: CstaMessage): Promise<CstaMessage> {
    const t = rcc.translator;
    const session = rcc.core;
    switch (message.type) {
      case 'RequestSystemStatus':
        return {
          type: 'RequestSystemStatusResponse',
          systemStatus: session.state === CoreSessionState.Active ? 'normal' : 'disabled',
        };
      case 'GetCSTAFeatures':
        return {
          type: 'GetCSTAFeaturesResponse',
          supportedServices: CALL_CONTROL_SERVICES,
          supportedEvents: CALL_CONTROL_EVENTS,
        };
      case 'MonitorStart': {
        const device = message.monitorObject.deviceObject;
        if (device === undefined)
          throw new DesklineError(
            ErrorCode.InvalidArgument,
            'MonitorStart of a call is not supported: monitor your line',
            { detail: { cstaError: { errorClass: 'operation', value: 'invalidMonitorObject' } } },
          );
        const id = await rcc.startMonitor(ownDevice(t, device));
        return { type: 'MonitorStartResponse', monitorCrossRefID: id };
      }
      case 'MonitorStop':
        await session.monitorStop(message.monitorCrossRefID);
        return { type: 'MonitorStopResponse' };
      case 'MakeCall':
        return this.forward(rcc, {
          ...message,
          callingDevice: ownDevice(t, message.callingDevice),
          calledDirectoryNumber: destination(t, message.calledDirectoryNumber),
        });
      case 'AnswerCall':
        return this.forward(rcc, { ...message, callToBeAnswered: connectionOf(t, message.callToBeAnswered) });
      case 'ClearConnection':
        return this.forward(rcc, {
          ...message,
          connectionToBeCleared: connectionOf(t, message.connectionToBeCleared),
        });
      case 'ClearCall':
        return this.forward(rcc, { ...message, callToBeCleared: connectionOf(t, message.callToBeCleared) });
      case 'HoldCall':
        return this.forward(rcc, { ...message, callToBeHeld: connectionOf(t, message.callToBeHeld) });
      case 'RetrieveCall':
        return this.forward(rcc, {
          ...message,
          callToBeRetrieved: connectionOf(t, message.callToBeRetrieved),
        });
      case 'ConsultationCall':
        return this.forward(rcc, {
          ...message,
          existingCall: connectionOf(t, message.existingCall),
          consultedDevice: destination(t, message.consultedDevice),
        });
      case 'SingleStepTransferCall':
        return this.forward(rcc, {
          ...message,
          activeCall: connectionOf(t, message.activeCall),
          transferredTo: destination(t, message.transferredTo),
        });
      case 'TransferCall':
      case 'ConferenceCall':
      case 'AlternateCall':
      case 'ReconnectCall':
        return this.forward(rcc, {
          ...message,
          heldCall: connectionOf(t, message.heldCall),
          activeCall: connectionOf(t, message.activeCall),
        } as ForwardedRequest);
      case 'DeflectCall':
        return this.forward(rcc, {
          ...message,
          callToBeDiverted: connectionOf(t, message.callToBeDiverted),
          newDestination: destination(t, message.newDestination),
        });
      case 'GenerateDigits':
        return this.forward(rcc, {
          ...message,
          connectionToSendDigits: connectionOf(t, message.connectionToSendDigits),
        });
      case 'SetForwarding':
        return this.forward(rcc, {
          ...message,
          device: ownDevice(t, message.device),
          ...(message.forwardDN === undefined ? {} : { forwardDN: destination(t, message.forwardDN) }),
        });
      case 'GetForwarding':
      case 'SetDoNotDisturb':
      case 'GetDoNotDisturb':
        return this.forward(rcc, { ...message, device: ownDevice(t, message.device) } as ForwardedRequest);
      case 'SnapshotDevice':
        return this.forward(rcc, { ...message, snapshotObject: ownDevice(t, message.snapshotObject) });
      default:
        throw new DesklineError(
          ErrorCode.CstaUnknownMessage,
          `${message.type} is not a service this gateway offers`,
          { detail: { cstaError: { errorClass: 'operation', value: 'invalidObjectType' } } },
        );
    }
  }

  /** re-INVITE: a refresh (Communicator < 2007 R2 every 10 minutes, sipe at Session-Expires − 60 s) and
   *  the way a session whose CTI connection came back with a new ID is restored. */
  private async receiveReInvite(rcc: RccSession, request: IncomingDialogRequest): Promise<void> {
    let edition = rcc.edition;
    if (request.message.body.length > 0) {
      const decoded = decodeNorthbound(request.message.body, this.xmlLimits);
      if (!decoded.ok) {
        request.respond(400, {
          reason: `Bad Request (${decoded.error.message})`.slice(0, 240),
          headers: [['Warning', warning(decoded.error.message)]],
        });
        this.metrics.sipRequest('INVITE', 400);
        return;
      }
      edition = editionOf(decoded.value.edition);
      const lineChange = this.lineChangeIn(rcc, decoded.value.message);
      if (lineChange !== undefined) {
        // A session controls the line it was opened for (authorized then); a re-INVITE naming
        // another one is refused and the session goes on unchanged (a 403 to a re-INVITE
        // leaves the dialog alone, RFC 5057 §5.2). Switching lines is a new session.
        request.respond(403, {
          reason: `Forbidden (${lineChange})`.slice(0, 240),
          headers: [['Warning', warning(lineChange)]],
        });
        this.metrics.refusal(ErrorCode.LineNotOwned);
        this.metrics.sipRequest('INVITE', 403);
        this.log.warn(
          { dialog: rcc.dialog.id, user: rcc.core.user.id, reason: lineChange },
          're-INVITE refused',
        );
        return;
      }
      rcc.edition = edition;
    }
    const session = rcc.core;
    if (session.state !== CoreSessionState.Active) {
      try {
        await session.rebind();
        this.log.info(
          { dialog: rcc.dialog.id, user: session.user.id, cti: session.connection.addressText },
          'RCC session restored by re-INVITE',
        );
      } catch (cause) {
        const error = wrapError(cause);
        if (this.core.recovery === 'transparent' && session.state !== CoreSessionState.Closed) {
          // The SIP session is fine, only the CTI Manager is not there yet: keep it, say so in the
          // answer (systemStatus disabled), and let transparent recovery restore it when the CTI
          // Manager is back. A refresh refused with a status ≥ 400 would be pidgin-sipe's last one:
          // it schedules a refresh only after a 200 (docs/msrcc.md §13).
          this.log.info(
            { dialog: rcc.dialog.id, user: session.user.id, reason: error.message },
            're-INVITE kept the session; its CTI Manager is not available yet',
          );
          request.respond(200, {
            ...this.body({ type: 'RequestSystemStatusResponse', systemStatus: 'disabled' }, edition),
            headers: [...CSTA_HEADERS, ['Warning', warning(error.message)]],
          });
          this.metrics.sipRequest('INVITE', 200);
          return;
        }
        const { status, phrase, retryAfter } = inviteStatus(error);
        const headers: [string, string][] = [['Warning', warning(error.message)]];
        if (retryAfter !== undefined) headers.push(['Retry-After', String(retryAfter)]);
        request.respond(status, { reason: `${phrase} (${error.message})`.slice(0, 240), headers });
        this.metrics.sipRequest('INVITE', status);
        return;
      }
    }
    request.respond(200, this.body({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' }, edition));
    this.metrics.sipRequest('INVITE', 200);
  }

  /** Why a re-INVITE's RequestSystemStatus cannot be accepted for this session's line, if it
   *  names another (or an unreadable) line; undefined when it names none or the same one. */
  private lineChangeIn(rcc: RccSession, message: CstaMessage): string | undefined {
    if (message.type !== 'RequestSystemStatus') return undefined;
    const lcsLine = getLcsLine(message);
    if (lcsLine === undefined || lcsLine.trim() === '' || lcsLine === rcc.lineUri) return undefined;
    const own = rcc.core.appearance.line;
    const key = lineKeyOf(lcsLine, this.rules);
    if (!key.ok) return `line URI ${lcsLine}: ${key.error.message}`;
    if (
      key.value.dn === own.dn &&
      (key.value.partition === undefined || key.value.partition === own.partition)
    )
      return undefined;
    return `this session controls ${rcc.lineUri}; the line of a session cannot change (re-INVITE named ${lcsLine}): end it and open a new session for that line`;
  }

  // ------------------------------------------------------------------ ending

  onDialogTerminated(dialog: ServerDialog, reason: DialogTerminationReason): void {
    const rcc = this.sessions.get(dialog.id);
    if (rcc === undefined) return;
    this.sessions.delete(dialog.id);
    rcc.closed = true;
    this.log.info({ dialog: dialog.id, user: rcc.core.user.id, reason }, 'RCC session ended');
    void rcc.core.close(`dialog ${reason}`);
  }

  /** Ends a session from our side: BYE when `bye` (the client should know), else only locally. */
  endSession(rcc: RccSession, reason: string, bye = false): void {
    if (rcc.closed) return;
    rcc.closed = true;
    this.sessions.delete(rcc.dialog.id);
    void rcc.core.close(reason);
    // Otherwise the SIP layer ends the dialog itself: a 481 to or from an in-dialog request
    // terminates it (RFC 5057 §5.1).
    if (bye && !rcc.dialog.isTerminated) rcc.dialog.bye().catch(() => undefined);
  }

  /** SIGTERM drain: every client gets a BYE (and re-INVITEs elsewhere), then the listeners close. */
  async dispose(): Promise<void> {
    if (this.disposing) return;
    this.disposing = true;
    const byes = [...this.sessions.values()].map(async (rcc) => {
      rcc.closed = true;
      await rcc.core.close('gateway shutting down');
      if (!rcc.dialog.isTerminated) await rcc.dialog.bye().catch(() => undefined);
    });
    // Bounded: a client that never answers its BYE does not hold the shutdown.
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    await Promise.race([
      Promise.all(byes),
      new Promise<void>((resolve) => (timer = this.options.clock.setTimeout(resolve, DRAIN_BYE_WAIT_MS))),
    ]);
    this.options.clock.clearTimeout(timer);
    this.sessions.clear();
    await this.sip.dispose();
  }
}
