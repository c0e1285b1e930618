// One CTI connection: a TCP link to one CTI Manager node, with its application session
// (the session ID is the CTI connection ID), heartbeats, request/response correlation by
// invoke ID, event routing by monitorCrossRefID, and reconnection with capped backoff.
// The protocol is docs/cti-link.md; the state machine follows docs/architecture.md §5.
import { connect as netConnect, type Socket } from 'node:net';
import {
  cstaError,
  decodeCsta,
  encodeCsta,
  ECMA354_NAMESPACE,
  cstaNamespace,
  isCstaEvent,
  isCstaRequest,
  mapDeviceIds,
  type CstaEvent,
  type CstaMessage,
  type CstaMessageOf,
  type CstaRequest,
  type CstaRequestType,
  type ResponseTypeOf,
  type XmlLimits,
} from '../csta/index.js';
import { DesklineError, ErrorCode, wrapError } from '../util/errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { encodeFrame, FrameDecoder, type Frame } from '../cti-link/framing.js';
import { EVENT_INVOKE_ID, InvokeIdAllocator } from '../cti-link/invoke-id.js';
import { directoryFromPrivateData, type DirectorySegment } from '../cti-link/directory-codec.js';
import { standardStartApplicationSession } from '../cti-link/profile.js';
import { PeerDeadline, type DeadlineExpiry } from './deadline.js';
import { DESKLINE_LINK_PROFILE, serverDeviceNumber, type CtiLinkProfile } from './link-profile.js';

/** A connection's health as operators and UIs read it (mapped to the UI's CtiNodeView by the
 *  faces, docs/architecture.md "Layers"). */
export type CtiNodeState = 'connecting' | 'up' | 'degraded' | 'down' | 'disabled';

export interface CtiNodeHealth {
  /** Priority order, 0 first. */
  index: number;
  address: string;
  state: CtiNodeState;
  /** The CTI connection ID (application session ID); new after each reconnect. */
  connectionId?: string;
  rttMs?: number;
  /** Recent heartbeat round-trip times, oldest first. */
  rttHistory: number[];
  /** Epoch ms of the current connection's start; absent while not up. */
  upSince?: number;
  failures: number;
  missedHeartbeats: number;
  sessions: number;
  lastError?: string;
  /** Why the node is degraded (missed heartbeats, or requests unanswered), when it is. */
  degradedReason?: string;
  /** Standard profile: the devices the call server listed (GetSwitchingFunctionDevices) when this
   *  connection came up, or why it could not say. */
  deviceCheck?:
    | {
        at: number;
        listed: number;
        /** Lines of the directory whose device ID the server did not list (filled by the gateway). */
        missing?: number;
        missingExamples?: string[];
      }
    | { at: number; error: string };
}

export const CtiConnectionState = {
  /** Created, not started. */
  Idle: 'idle',
  /** TCP connect in progress. */
  Connecting: 'connecting',
  /** StartApplicationSession sent, waiting for the positive response. */
  Opening: 'opening',
  /** Application session open: requests flow, heartbeats run. */
  Up: 'up',
  /** Waiting before the next connection attempt. */
  Backoff: 'backoff',
  Disposed: 'disposed',
} as const;
export type CtiConnectionState = (typeof CtiConnectionState)[keyof typeof CtiConnectionState];

const S = CtiConnectionState;
/** Legal transitions; anything else is a bug. */
const TRANSITIONS: Readonly<Record<CtiConnectionState, readonly CtiConnectionState[]>> = {
  idle: [S.Connecting, S.Disposed],
  connecting: [S.Opening, S.Backoff, S.Disposed],
  opening: [S.Up, S.Backoff, S.Disposed],
  up: [S.Backoff, S.Disposed],
  backoff: [S.Connecting, S.Disposed],
  disposed: [],
};

export interface CtiAddress {
  host: string;
  port: number;
}

export function parseCtiAddress(text: string): CtiAddress {
  const colon = text.lastIndexOf(':');
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(text.slice(colon + 1)) };
}

export interface CtiConnectionOptions {
  /** Priority order among the configured addresses, 0 first. */
  index: number;
  address: CtiAddress;
  applicationUser: string;
  password: string;
  applicationId: string;
  heartbeatIntervalMs: number;
  /** A heartbeat not answered within this is a miss (default: defaultHeartbeatTimeoutMs). */
  heartbeatTimeoutMs?: number;
  heartbeatMissLimit: number;
  requestTimeoutMs: number;
  /** Consecutive request timeouts (heartbeats aside) that mark the connection degraded: a node
   *  that heartbeats but answers no request (default DEFAULT_REQUEST_TIMEOUT_LIMIT). */
  requestTimeoutLimit?: number;
  /** Most SwitchingFunctionDevices segments one directory load may take (default
   *  DEFAULT_DIRECTORY_MAX_SEGMENTS); beyond it the load fails. */
  directoryMaxSegments?: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  maxFrameBytes?: number;
  /** The CSTA parser's hostile-input caps (csta.* in the config); defaults otherwise. */
  xmlLimits?: Partial<XmlLimits>;
  clock: Clock;
  logger: Logger;
  /** Socket factory (tests may inject); default net.connect. */
  connect?: (address: CtiAddress) => Socket;
  /** For backoff jitter; default Math.random. */
  random?: () => number;
  /** The link's dialect (docs/cti-link.md §7); default the deskline profile. */
  profile?: CtiLinkProfile;
}

/** The narrow upward interface (SIP.js-core style: docs/architecture.md §4). */
export interface CtiConnectionDelegate {
  /** The application session is open; `connectionId` is new after every reconnect. */
  onUp(connection: CtiConnection, connectionId: string): void;
  /** The session is gone (socket error, close, heartbeats missed, refused). Everything bound
   *  to `previousConnectionId` is lost; requests in flight have already been rejected. */
  onDown(connection: CtiConnection, previousConnectionId: string | undefined, reason: DesklineError): void;
  /** Heartbeat RTT, misses, or state changed (for health views and metrics). */
  onHealth?(connection: CtiConnection): void;
  /** Up, but `requestTimeoutLimit` requests in a row went unanswered: new sessions avoid it and
   *  its sessions are moved or failed fast (docs/cti-link.md §3, "Unanswered requests"). */
  onRequestsDegraded?(connection: CtiConnection): void;
  /** A degraded connection answers requests again (same application session). */
  onRequestsRestored?(connection: CtiConnection): void;
}

/** Receives the events of one monitor. */
export type MonitorSink = (event: CstaEvent) => void;

type RequestKind = 'request' | 'heartbeat' | 'session';

interface SendOptions {
  readonly kind: RequestKind;
  /** No timeout when undefined (heartbeats: their deadline is the heartbeat's own). */
  readonly timeoutMs: number | undefined;
  readonly onInvokeId?: (id: number) => void;
  readonly onAnswer?: (message: CstaMessage) => void;
}

interface PendingRequest {
  readonly type: string;
  readonly expected: string;
  /** Only `request`s count as answered or unanswered requests (docs/cti-link.md §3): heartbeats
   *  have their own misses, application-session requests their own handling. */
  readonly kind: RequestKind;
  readonly resolve: (message: CstaMessage) => void;
  readonly reject: (error: DesklineError) => void;
  /** Runs synchronously when the expected answer is received, before the promise resolves (which
   *  happens only after the whole TCP chunk is parsed). */
  readonly onAnswer: ((message: CstaMessage) => void) | undefined;
  deadline: PeerDeadline | undefined;
  /** Standard profile: the server's device IDs this request named, and ours they stand for (the
   *  answer names them back). */
  readonly context: Map<string, string> | undefined;
}

/** A load of SwitchingFunctionDevices segments for one serviceCrossRefID (the directory, or the
 *  device check's list). */
interface SegmentCollector {
  /** Takes one segment; returns an error to stop the load. */
  readonly take: (message: CstaMessageOf<'SwitchingFunctionDevices'>) => DesklineError | undefined;
  readonly finish: () => void;
  readonly reject: (error: DesklineError) => void;
  segments: number;
  timer: TimerHandle | undefined;
}

const RTT_HISTORY = 30;

/**
 * A frozen node is seen at worst interval + missLimit × timeout after it froze (the last answered
 * heartbeat, the next one a full interval later, then one immediate probe per miss). With the
 * default miss limit of 2, 0.45 × the interval keeps that under two intervals with a margin for
 * a busy event loop; exactly half would make two intervals the bound itself.
 */
export function defaultHeartbeatTimeoutMs(heartbeatIntervalMs: number): number {
  return Math.max(50, Math.floor(heartbeatIntervalMs * 0.45));
}
/** Default of `cti.requestTimeoutLimit`. */
export const DEFAULT_REQUEST_TIMEOUT_LIMIT = 3;
/** Default of `cti.directoryMaxSegments`: about 320,000 users with the simulator's records,
 *  four times the largest CUCM cluster. */
export const DEFAULT_DIRECTORY_MAX_SEGMENTS = 2_000;
/** At most one log line per this interval about dropped unrequested directory segments. */
const DROP_LOG_INTERVAL_MS = 10_000;
const ECMA323_ED3 = cstaNamespace('ed3');

export class CtiConnection {
  readonly index: number;
  readonly address: CtiAddress;
  readonly addressText: string;
  private stateValue: CtiConnectionState = S.Idle;
  private socket: Socket | undefined;
  /** The socket corked until the end of this event-loop turn (writeFrame), if any. */
  private corkedSocket: Socket | undefined;
  private decoder: FrameDecoder | undefined;
  private readonly invokeIds = new InvokeIdAllocator();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly monitors = new Map<string, MonitorSink>();
  /** Directory loads in flight by serviceCrossRefID. A collector is created while the
   *  GetSwitchingFunctionDevicesResponse frame is processed, so segments that arrive in the same
   *  TCP chunk find it; segments for no collector are dropped (docs/cti-link.md §4). */
  private readonly directoryCollectors = new Map<string, SegmentCollector>();
  /** Standard profile: per monitor, the server's ID of its device and ours (its events name it). */
  private readonly monitorDevices = new Map<string, ReadonlyMap<string, string>>();
  private readonly profile: CtiLinkProfile;
  /** Connection IDs of our own for links without an application session. */
  private localSessions = 0;
  private deviceCheckValue: CtiNodeHealth['deviceCheck'];
  private listedDevicesValue: ReadonlySet<string> | undefined;
  private unrequestedSegmentsValue = 0;
  private unrequestedSegmentBytesValue = 0;
  private readonly rateLimitedLogs = new Map<string, { at: number; suppressed: number }>();
  // unanswered requests (docs/cti-link.md §3)
  private consecutiveRequestTimeouts = 0;
  private requestTimeoutsValue = 0;
  private requestsDegradedValue = false;
  private requestDegradationsValue = 0;
  private probeTimer: TimerHandle | undefined;
  private readonly requestTimeoutLimit: number;
  private deadlineStallExtensionsValue = 0;
  /** A deadline granted a fresh window because this process stalled (deadline.ts). */
  private readonly deadlineStalled = (lagMs: number): void => {
    this.deadlineStallExtensionsValue++;
    this.log.debug({ lagMs: Math.round(lagMs) }, 'event loop stalled: CTI deadline extended');
  };
  private readonly directoryMaxSegments: number;
  private connectionIdValue: string | undefined;
  private attempt = 0;
  private everUp = false;
  private reconnectTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private heartbeatDeadline: PeerDeadline | undefined;
  private heartbeatInvokeId: number | undefined;
  private heartbeatSentAt = 0;
  /** An ECMA-354 session whose heartbeat is not ResetApplicationSessionTimer still needs its
   *  session timer reset (docs/cti-link.md §7). */
  private sessionTimer: TimerHandle | undefined;
  private sessionDurationSec = 0;
  // health
  private missed = 0;
  private rttMs: number | undefined;
  private readonly rttHistory: number[] = [];
  private upSinceMs: number | undefined;
  private failuresValue = 0;
  private lastErrorValue: string | undefined;
  /** Sessions bound to this connection (maintained by the session core). */
  boundSessions = 0;
  private readonly log: Logger;
  private readonly heartbeatTimeoutMs: number;

  constructor(
    private readonly options: CtiConnectionOptions,
    private readonly delegate: CtiConnectionDelegate,
  ) {
    this.index = options.index;
    this.address = options.address;
    this.addressText = `${options.address.host.includes(':') ? `[${options.address.host}]` : options.address.host}:${options.address.port}`;
    this.log = options.logger.child({ cti: this.addressText, ctiIndex: options.index });
    this.heartbeatTimeoutMs =
      options.heartbeatTimeoutMs ?? defaultHeartbeatTimeoutMs(options.heartbeatIntervalMs);
    this.requestTimeoutLimit = options.requestTimeoutLimit ?? DEFAULT_REQUEST_TIMEOUT_LIMIT;
    this.directoryMaxSegments = options.directoryMaxSegments ?? DEFAULT_DIRECTORY_MAX_SEGMENTS;
    this.profile = options.profile ?? DESKLINE_LINK_PROFILE;
  }

  /** The link's dialect. */
  get linkProfile(): CtiLinkProfile {
    return this.profile;
  }
  /** Standard profile: the server's device IDs listed when this connection came up (undefined
   *  before, or when the server could not list them). */
  get listedDevices(): ReadonlySet<string> | undefined {
    return this.listedDevicesValue;
  }

  get state(): CtiConnectionState {
    return this.stateValue;
  }
  /** The application session ID while up. */
  get connectionId(): string | undefined {
    return this.stateValue === S.Up ? this.connectionIdValue : undefined;
  }
  get isUp(): boolean {
    return this.stateValue === S.Up;
  }
  /** Up with no missed heartbeat, and answering requests. */
  get isHealthy(): boolean {
    return this.stateValue === S.Up && this.missed === 0 && !this.requestsDegradedValue;
  }
  /** Up and answering requests (it may have missed a heartbeat): new sessions and moved ones
   *  may go here; a connection degraded by unanswered requests may not. */
  get isUsable(): boolean {
    return this.stateValue === S.Up && !this.requestsDegradedValue;
  }
  /** Up, but `requestTimeoutLimit` requests in a row timed out and none was answered since. */
  get requestsDegraded(): boolean {
    return this.stateValue === S.Up && this.requestsDegradedValue;
  }
  /** Requests (heartbeats aside) that timed out, since start. */
  get requestTimeouts(): number {
    return this.requestTimeoutsValue;
  }
  /** Times the connection was marked degraded for unanswered requests, since start. */
  get requestDegradations(): number {
    return this.requestDegradationsValue;
  }
  /** Deadlines extended because this process (not the node) stalled, since start. */
  get deadlineStallExtensions(): number {
    return this.deadlineStallExtensionsValue;
  }
  /** SwitchingFunctionDevices segments received for no directory load of ours (dropped). */
  get unrequestedSegments(): number {
    return this.unrequestedSegmentsValue;
  }
  get unrequestedSegmentBytes(): number {
    return this.unrequestedSegmentBytesValue;
  }
  get failures(): number {
    return this.failuresValue;
  }
  get missedHeartbeats(): number {
    return this.missed;
  }
  get monitorCount(): number {
    return this.monitors.size;
  }
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** Connects (and keeps reconnecting until disposed). */
  start(): void {
    if (this.stateValue !== S.Idle) return;
    this.openSocket();
  }

  // ------------------------------------------------------------------ state machine

  private transition(to: CtiConnectionState): void {
    const from = this.stateValue;
    if (!TRANSITIONS[from].includes(to)) throw new Error(`assertion failed: CTI connection ${from} → ${to}`);
    this.stateValue = to;
    // Timers are owned here: leaving a state cancels what belonged to it.
    if (from === S.Up) {
      this.options.clock.clearTimeout(this.heartbeatTimer);
      this.heartbeatDeadline?.cancel();
      this.heartbeatTimer = undefined;
      this.heartbeatDeadline = undefined;
      this.heartbeatInvokeId = undefined;
      this.options.clock.clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.options.clock.clearTimeout(this.sessionTimer);
      this.sessionTimer = undefined;
      this.deviceCheckValue = undefined;
    }
    if (from === S.Backoff) {
      this.options.clock.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
    }
    switch (to) {
      case S.Connecting:
      case S.Opening:
      case S.Disposed:
        break;
      case S.Up:
        this.everUp = true;
        this.attempt = 0;
        this.missed = 0;
        // A new application session starts with a clean slate.
        this.consecutiveRequestTimeouts = 0;
        this.requestsDegradedValue = false;
        this.upSinceMs = this.options.clock.now();
        this.scheduleHeartbeat(this.options.heartbeatIntervalMs);
        if (this.profile.session === 'ecma354' && this.profile.heartbeat !== 'resetApplicationSessionTimer')
          this.scheduleSessionReset();
        break;
      case S.Backoff: {
        this.attempt++;
        const base = Math.min(
          this.options.reconnectMaxMs,
          this.options.reconnectInitialMs * 2 ** Math.min(this.attempt - 1, 20),
        );
        // ±20 % jitter so that gateways do not reconnect in lockstep after a node restart.
        const delay = Math.round(base * (0.8 + 0.4 * (this.options.random ?? Math.random)()));
        this.reconnectTimer = this.options.clock.setTimeout(() => {
          this.reconnectTimer = undefined;
          this.openSocket();
        }, delay);
        break;
      }
      case S.Idle:
        throw new Error('assertion failed: no transition back to idle');
      default: {
        const never: never = to;
        throw new Error(`unknown CTI connection state ${String(never)}`);
      }
    }
    this.delegate.onHealth?.(this);
  }

  private openSocket(): void {
    this.transition(S.Connecting);
    const socket = (this.options.connect ?? ((a: CtiAddress) => netConnect({ host: a.host, port: a.port })))(
      this.address,
    );
    this.socket = socket;
    this.decoder = new FrameDecoder({ maxFrameBytes: this.options.maxFrameBytes ?? 65_535 });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const connectTimer = this.options.clock.setTimeout(() => {
      this.fail(
        socket,
        new DesklineError(ErrorCode.CtiTimeout, `TCP connect to ${this.addressText} timed out`),
      );
    }, this.options.requestTimeoutMs);
    socket.once('connect', () => {
      this.options.clock.clearTimeout(connectTimer);
      if (this.socket !== socket || this.stateValue !== S.Connecting) return;
      this.startApplicationSession(socket);
    });
    socket.on('data', (chunk: Buffer) => this.receiveFromCtiManager(socket, chunk));
    socket.on('error', (error) => {
      this.options.clock.clearTimeout(connectTimer);
      this.fail(
        socket,
        wrapError(error, ErrorCode.CtiConnectionClosed, `CTI connection to ${this.addressText}`),
      );
    });
    socket.on('close', () => {
      this.options.clock.clearTimeout(connectTimer);
      this.fail(
        socket,
        new DesklineError(
          ErrorCode.CtiConnectionClosed,
          `CTI Manager ${this.addressText} closed the connection`,
        ),
      );
    });
  }

  // ECMA-354 §8.1: StartApplicationSession opens the session this connection lives in.
  private startApplicationSession(socket: Socket): void {
    this.transition(S.Opening);
    this.sessionDurationSec = Math.max(
      5,
      Math.ceil((this.options.heartbeatIntervalMs * (this.options.heartbeatMissLimit + 2)) / 1000),
    );
    if (this.profile.session === 'none') {
      // docs/cti-link.md §7: a server that trusts the address has no application session; the
      // link is up once connected, under a connection ID of our own (new after every reconnect).
      this.sessionUp(socket, `${this.addressText}#${++this.localSessions}`);
      return;
    }
    const request: CstaMessageOf<'StartApplicationSession'> =
      this.profile.name === 'deskline'
        ? {
            type: 'StartApplicationSession',
            applicationInfo: {
              applicationID: this.options.applicationId,
              applicationSpecificInfo: {
                credentials: { userName: this.options.applicationUser, password: this.options.password },
              },
            },
            requestedProtocolVersions: [ECMA323_ED3],
            requestedSessionDuration: this.sessionDurationSec,
          }
        : standardStartApplicationSession({
            applicationId: this.options.applicationId,
            applicationUser: this.options.applicationUser,
            password: this.options.password,
            login: this.profile.login,
            edition: this.profile.edition,
            requestedSessionDuration: this.sessionDurationSec,
          });
    this.sendRequestRaw(request, 'StartApplicationSessionPosResponse', {
      kind: 'session',
      timeoutMs: this.options.requestTimeoutMs,
    }).then(
      (response) => {
        if (this.socket !== socket || this.stateValue !== S.Opening) return;
        if (response.type !== 'StartApplicationSessionPosResponse') return;
        this.sessionDurationSec = response.actualSessionDuration || this.sessionDurationSec;
        this.sessionUp(socket, response.sessionID);
      },
      (error: DesklineError) => {
        const refused =
          error.code === ErrorCode.CtiError
            ? new DesklineError(
                ErrorCode.CtiSessionRefused,
                `CTI Manager ${this.addressText} refused the application session: ${error.message}${
                  this.profile.name === 'standard'
                    ? ` (check cti.login: form ${this.profile.login.form})`
                    : ''
                }`,
                { cause: error },
              )
            : error;
        this.fail(socket, refused);
      },
    );
  }

  private sessionUp(socket: Socket, connectionId: string): void {
    this.connectionIdValue = connectionId;
    this.log.info(
      {
        connectionId,
        sessionDurationSec: this.profile.session === 'none' ? undefined : this.sessionDurationSec,
        profile: this.profile.name,
      },
      this.profile.session === 'none'
        ? 'CTI link up (no application session)'
        : 'CTI application session open',
    );
    this.transition(S.Up);
    this.delegate.onUp(this, connectionId);
    if (this.socket !== socket || this.stateValue !== S.Up) return;
    if (this.profile.systemRegister) this.systemRegister();
    if (this.profile.checkDevices) this.checkDevices();
  }

  /** ECMA-269 SystemRegister: ask for the server's SystemStatus (a refusal is logged: with
   *  `heartbeat: server` the missing SystemStatus is then seen as missed heartbeats). */
  private systemRegister(): void {
    this.sendRequestRaw(
      { type: 'SystemRegister', requestTypes: { systemStatus: true, requestSystemStatus: false } },
      'SystemRegisterResponse',
      { kind: 'session', timeoutMs: this.options.requestTimeoutMs },
    ).then(
      (response) => {
        if (response.type === 'SystemRegisterResponse')
          this.log.info(
            { sysStatRegisterID: response.sysStatRegisterID },
            "registered for the CTI Manager's SystemStatus",
          );
      },
      (error: DesklineError) =>
        this.log.warn({ reason: error.message }, 'SystemRegister refused (cti.systemRegister)'),
    );
  }

  /** docs/cti-link.md §7: the server's own list of devices (ECMA-269 GetSwitchingFunctionDevices,
   *  deviceList/device), to report configured lines it does not know. Optional in CSTA: a server
   *  that refuses it is noted, nothing more. */
  private checkDevices(): void {
    const connectionId = this.connectionIdValue;
    this.listDevices().then(
      (listed) => {
        if (this.connectionIdValue !== connectionId) return;
        this.listedDevicesValue = listed;
        this.deviceCheckValue = { at: this.options.clock.now(), listed: listed.size };
        const expected = this.profile.deviceIds?.expected();
        const missing = expected === undefined ? [] : [...expected].filter((id) => !listed.has(id));
        if (missing.length > 0)
          this.log.warn(
            { listed: listed.size, missing: missing.length, examples: missing.slice(0, 10) },
            'the CTI Manager does not list devices the directory has lines for (check cti.deviceIds)',
          );
        else this.log.info({ listed: listed.size }, 'CTI Manager device list checked');
        this.delegate.onHealth?.(this);
      },
      (error: DesklineError) => {
        if (this.connectionIdValue !== connectionId) return;
        this.listedDevicesValue = undefined;
        this.deviceCheckValue = { at: this.options.clock.now(), error: error.message };
        this.log.info(
          { reason: error.message },
          'the CTI Manager did not list its devices (cti.checkDevices)',
        );
      },
    );
  }

  /** Everything that ends a connection attempt or a session comes here, once per socket. */
  private fail(socket: Socket, reason: DesklineError): void {
    if (this.socket !== socket) return; // an old socket's late error
    this.socket = undefined;
    socket.removeAllListeners('data');
    socket.on('error', () => undefined); // late errors after destroy
    socket.destroy();
    this.decoder?.dispose();
    this.decoder = undefined;
    const previous = this.connectionIdValue;
    const wasUp = this.stateValue === S.Up;
    this.connectionIdValue = undefined;
    this.upSinceMs = undefined;
    this.failuresValue++;
    this.lastErrorValue = reason.message;
    this.rejectAllPending(reason);
    this.monitors.clear();
    this.monitorDevices.clear();
    this.listedDevicesValue = undefined;
    if (wasUp)
      this.log.warn(
        { connectionId: previous, reason: reason.message, code: reason.code },
        'CTI connection down',
      );
    else
      this.log.info(
        { reason: reason.message, code: reason.code, attempt: this.attempt + 1 },
        'CTI connection attempt failed',
      );
    if (this.stateValue === S.Disposed) return;
    this.transition(S.Backoff);
    if (wasUp) this.delegate.onDown(this, previous, reason);
  }

  private rejectAllPending(reason: DesklineError): void {
    const error = new DesklineError(
      ErrorCode.CtiConnectionClosed,
      `CTI connection ${this.addressText} lost: ${reason.message}`,
      { cause: reason },
    );
    for (const [id, pending] of this.pending) {
      pending.deadline?.cancel();
      this.invokeIds.release(id);
      pending.reject(error);
    }
    this.pending.clear();
    for (const collector of this.directoryCollectors.values()) {
      this.options.clock.clearTimeout(collector.timer);
      collector.reject(error);
    }
    this.directoryCollectors.clear();
  }

  // ------------------------------------------------------------------ heartbeats (docs/cti-link.md §3)

  private scheduleHeartbeat(delayMs: number): void {
    if (this.profile.heartbeat === 'server') {
      this.armServerWatch();
      return;
    }
    this.options.clock.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      this.sendHeartbeat();
    }, delayMs);
  }

  private sendHeartbeat(): void {
    if (this.stateValue !== S.Up || this.connectionIdValue === undefined) return;
    const sentAt = this.options.clock.monotonic();
    this.heartbeatSentAt = sentAt;
    // docs/cti-link.md §3, §7: ECMA-354's timer reset, or a SystemStatus of our own.
    const bySystemStatus = this.profile.heartbeat === 'systemStatus';
    const request: CstaRequest = bySystemStatus
      ? { type: 'SystemStatus', systemStatus: 'normal' }
      : {
          type: 'ResetApplicationSessionTimer',
          sessionID: this.connectionIdValue,
          requestedSessionDuration: this.sessionDurationSec,
        };
    let invokeId: number | undefined;
    const promise = this.sendRequestRaw(
      request,
      bySystemStatus ? 'SystemStatusResponse' : 'ResetApplicationSessionTimerPosResponse',
      {
        kind: 'heartbeat',
        timeoutMs: undefined,
        onInvokeId: (id) => (invokeId = id),
      },
    );
    this.heartbeatInvokeId = invokeId;
    this.heartbeatDeadline?.cancel();
    // A PeerDeadline, not a plain timer: a stall of this process is not the node's miss
    // (deadline.ts; docs/cti-link.md §3).
    this.heartbeatDeadline = new PeerDeadline(
      this.options.clock,
      this.heartbeatTimeoutMs,
      (expiry) => this.heartbeatMissed(invokeId, expiry),
      this.deadlineStalled,
    );
    const answered = (): void => {
      if (this.heartbeatInvokeId !== invokeId || this.stateValue !== S.Up) return;
      this.heartbeatDeadline?.cancel();
      this.heartbeatDeadline = undefined;
      const rtt = Math.max(0, this.options.clock.monotonic() - sentAt);
      this.rttMs = Math.round(rtt * 100) / 100;
      this.rttHistory.push(this.rttMs);
      if (this.rttHistory.length > RTT_HISTORY) this.rttHistory.shift();
      const hadMisses = this.missed > 0;
      this.missed = 0;
      if (hadMisses) this.log.info({ rttMs: this.rttMs }, 'CTI heartbeat answered again');
      this.delegate.onHealth?.(this);
      this.scheduleHeartbeat(Math.max(0, this.options.heartbeatIntervalMs - rtt));
    };
    promise.then(answered, (error: DesklineError) => {
      if (this.heartbeatInvokeId !== invokeId || this.stateValue !== S.Up) return;
      // Any answer to a SystemStatus, a CSTAErrorCode included, shows the server is alive.
      if (bySystemStatus && error.code === ErrorCode.CtiError) return answered();
      // A negative response (invalidSessionID) means the server no longer knows our session.
      if (error.code === ErrorCode.CtiError && this.socket !== undefined)
        this.fail(
          this.socket,
          new DesklineError(
            ErrorCode.CtiSessionRefused,
            `CTI Manager ${this.addressText} rejected the heartbeat: ${error.message}`,
          ),
        );
    });
  }

  /** ECMA-354 §8.3: reset the session timer at a third of its duration when the heartbeat is
   *  something else (an unanswered reset is the heartbeat's business, not this one's). */
  private scheduleSessionReset(): void {
    this.options.clock.clearTimeout(this.sessionTimer);
    this.sessionTimer = this.options.clock.setTimeout(
      () => {
        this.sessionTimer = undefined;
        const id = this.connectionIdValue;
        if (this.stateValue !== S.Up || id === undefined) return;
        this.sendRequestRaw(
          {
            type: 'ResetApplicationSessionTimer',
            sessionID: id,
            requestedSessionDuration: this.sessionDurationSec,
          },
          'ResetApplicationSessionTimerPosResponse',
          { kind: 'session', timeoutMs: this.options.requestTimeoutMs },
        ).then(
          () => undefined,
          (error: DesklineError) => {
            if (
              error.code === ErrorCode.CtiError &&
              this.socket !== undefined &&
              this.connectionIdValue === id
            )
              this.fail(
                this.socket,
                new DesklineError(
                  ErrorCode.CtiSessionRefused,
                  `CTI Manager ${this.addressText} no longer knows the application session: ${error.message}`,
                ),
              );
          },
        );
        this.scheduleSessionReset();
      },
      Math.max(1_000, Math.floor((this.sessionDurationSec * 1000) / 3)),
    );
  }

  /** `heartbeat: server`: the next SystemStatus of the server's is due within one interval (its
   *  own schedule, as configured) plus the timeout. */
  private armServerWatch(): void {
    this.heartbeatDeadline?.cancel();
    this.heartbeatDeadline = new PeerDeadline(
      this.options.clock,
      this.options.heartbeatIntervalMs + this.heartbeatTimeoutMs,
      (expiry) => this.serverHeartbeatMissed(expiry),
      this.deadlineStalled,
    );
  }

  /** A SystemStatus (or RequestSystemStatus) of the server's: with `heartbeat: server`, the proof
   *  the node lives. */
  private serverHeartbeat(status: string | undefined): void {
    if (status !== undefined && status !== 'normal' && status !== 'enabled')
      this.warnRateLimited(
        `system-status-${status}`,
        { systemStatus: status },
        'CTI Manager reports its status',
      );
    if (this.profile.heartbeat !== 'server' || this.stateValue !== S.Up) return;
    if (this.missed > 0) this.log.info({}, 'CTI Manager heartbeat (SystemStatus) received again');
    this.missed = 0;
    this.armServerWatch();
    this.delegate.onHealth?.(this);
  }

  private serverHeartbeatMissed(expiry: DeadlineExpiry): void {
    this.heartbeatDeadline = undefined;
    if (this.stateValue !== S.Up) return;
    this.missed++;
    this.log.warn(
      {
        missed: this.missed,
        limit: this.options.heartbeatMissLimit,
        windowMs: this.options.heartbeatIntervalMs + this.heartbeatTimeoutMs,
        stallExtensions: expiry.extensions,
      },
      'CTI heartbeat missed (no SystemStatus from the CTI Manager)',
    );
    this.delegate.onHealth?.(this);
    if (this.missed >= this.options.heartbeatMissLimit) {
      if (this.socket !== undefined)
        this.fail(
          this.socket,
          new DesklineError(
            ErrorCode.CtiTimeout,
            `CTI Manager ${this.addressText} sent no SystemStatus in ${this.missed} heartbeat windows (cti.heartbeat: server, cti.heartbeatIntervalMs)`,
          ),
        );
      return;
    }
    this.armServerWatch();
  }

  private heartbeatMissed(invokeId: number | undefined, expiry: DeadlineExpiry): void {
    this.heartbeatDeadline = undefined;
    if (this.stateValue !== S.Up || this.heartbeatInvokeId !== invokeId) return;
    // Forget the request: a late answer must not count for the next heartbeat.
    if (invokeId !== undefined) {
      const pending = this.pending.get(invokeId);
      this.pending.delete(invokeId);
      this.invokeIds.release(invokeId);
      pending?.deadline?.cancel();
    }
    this.missed++;
    this.log.warn(
      {
        missed: this.missed,
        limit: this.options.heartbeatMissLimit,
        waitedMs: Math.round(this.options.clock.monotonic() - this.heartbeatSentAt),
        stallExtensions: expiry.extensions,
      },
      'CTI heartbeat missed',
    );
    this.delegate.onHealth?.(this);
    if (this.missed >= this.options.heartbeatMissLimit) {
      if (this.socket !== undefined)
        this.fail(
          this.socket,
          new DesklineError(
            ErrorCode.CtiTimeout,
            `CTI Manager ${this.addressText} missed ${this.missed} heartbeats`,
          ),
        );
      return;
    }
    // Probe again at once rather than a whole interval later: detection stays within
    // interval + limit × timeout (two intervals with the defaults).
    this.sendHeartbeat();
  }

  // ------------------------------------------------------------------ unanswered requests (docs/cti-link.md §3)

  /** A request (not a heartbeat) timed out. */
  private requestTimedOut(type: string): void {
    this.requestTimeoutsValue++;
    if (this.stateValue !== S.Up) return;
    this.consecutiveRequestTimeouts++;
    if (this.requestsDegradedValue || this.consecutiveRequestTimeouts < this.requestTimeoutLimit) return;
    this.requestsDegradedValue = true;
    this.requestDegradationsValue++;
    this.log.warn(
      {
        consecutiveTimeouts: this.consecutiveRequestTimeouts,
        limit: this.requestTimeoutLimit,
        lastRequest: type,
      },
      'CTI Manager answers heartbeats but no requests: connection degraded',
    );
    this.scheduleProbe();
    this.delegate.onHealth?.(this);
    this.delegate.onRequestsDegraded?.(this);
  }

  /** A request got an answer (positive or not). */
  private requestAnswered(): void {
    this.consecutiveRequestTimeouts = 0;
    if (!this.requestsDegradedValue) return;
    this.requestsDegradedValue = false;
    this.options.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (this.stateValue !== S.Up) return;
    this.log.info({}, 'CTI Manager answers requests again: connection usable');
    this.delegate.onHealth?.(this);
    this.delegate.onRequestsRestored?.(this);
  }

  /**
   * While degraded, nothing is sent to the node but heartbeats — so a RequestSystemStatus
   * (ECMA-269 §22.1.4, which any CSTA call server answers) goes out every heartbeat interval as a
   * probe: its answer brings the connection back.
   */
  private scheduleProbe(): void {
    this.options.clock.clearTimeout(this.probeTimer);
    this.probeTimer = this.options.clock.setTimeout(() => {
      this.probeTimer = undefined;
      if (!this.requestsDegraded) return;
      const again = (): void => {
        if (this.requestsDegraded && this.probeTimer === undefined) this.scheduleProbe();
      };
      this.sendRequestRaw({ type: 'RequestSystemStatus' }, 'RequestSystemStatusResponse', {
        kind: 'request',
        timeoutMs: this.options.requestTimeoutMs,
      }).then(again, again);
    }, this.options.heartbeatIntervalMs);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Sends a CSTA request on this connection's session and resolves with its positive
   * response. Fails fast (CtiNotConnected) when the connection is not up; a CSTAErrorCode
   * answer rejects with CtiError carrying the CSTA error in `detail.cstaError`.
   */
  request<T extends CstaRequestType>(
    message: CstaRequest & { type: T },
    expected: ResponseTypeOf<T>,
    timeoutMs?: number,
  ): Promise<CstaMessageOf<ResponseTypeOf<T>>> {
    if (this.stateValue !== S.Up) {
      return Promise.reject(
        new DesklineError(ErrorCode.CtiNotConnected, `CTI Manager ${this.addressText} is not connected`, {
          detail: { cti: this.addressText },
        }),
      );
    }
    return this.sendRequestRaw(message, expected, {
      kind: 'request',
      timeoutMs: timeoutMs ?? this.options.requestTimeoutMs,
    }) as Promise<CstaMessageOf<ResponseTypeOf<T>>>;
  }

  private sendRequestRaw(message: CstaRequest, expected: string, send: SendOptions): Promise<CstaMessage> {
    const socket = this.socket;
    if (socket === undefined)
      return Promise.reject(
        new DesklineError(ErrorCode.CtiNotConnected, `CTI Manager ${this.addressText} is not connected`),
      );
    const idResult = this.invokeIds.tryNext();
    if (!idResult.ok) return Promise.reject(idResult.error);
    const invokeId = idResult.value;
    send.onInvokeId?.(invokeId);
    const context = this.profile.deviceIds === undefined ? undefined : new Map<string, string>();
    let frame: Buffer;
    try {
      frame = encodeFrame(
        invokeId,
        this.encode(this.toWire(message, context)),
        this.options.maxFrameBytes ?? 65_535,
      );
    } catch (cause) {
      this.invokeIds.release(invokeId);
      return Promise.reject(wrapError(cause, ErrorCode.CtiError, `cannot encode ${message.type}`));
    }
    return new Promise<CstaMessage>((resolve, reject) => {
      const pending: PendingRequest = {
        type: message.type,
        expected,
        kind: send.kind,
        resolve,
        reject,
        onAnswer: send.onAnswer,
        deadline: undefined,
        context,
      };
      const timeoutMs = send.timeoutMs;
      if (timeoutMs !== undefined) {
        // A PeerDeadline: a stall of this process does not time the request out (deadline.ts).
        pending.deadline = new PeerDeadline(
          this.options.clock,
          timeoutMs,
          (expiry) => {
            if (this.pending.get(invokeId) !== pending) return;
            this.pending.delete(invokeId);
            this.invokeIds.release(invokeId);
            reject(
              new DesklineError(
                ErrorCode.CtiTimeout,
                `${message.type} to CTI Manager ${this.addressText} timed out after ${expiry.waitedMs} ms`,
              ),
            );
            if (pending.kind === 'request') this.requestTimedOut(message.type);
          },
          this.deadlineStalled,
        );
      }
      this.pending.set(invokeId, pending);
      this.writeFrame(socket, frame);
    });
  }

  /** One document in the link's edition (ECMA-354 messages keep their own namespace). */
  private encode(message: CstaMessage): string {
    return encodeCsta(message, { edition: this.profile.edition });
  }

  /** Standard profile: our device IDs → the server's, remembering which stand for which. */
  private toWire<M extends CstaMessage>(message: M, context: Map<string, string> | undefined): M {
    const ids = this.profile.deviceIds;
    if (ids === undefined) return message;
    return mapDeviceIds(message, (id) => {
      const wire = ids.toWire(id);
      if (wire === undefined) return id;
      context?.set(wire, id);
      return wire;
    });
  }

  /** Standard profile: the server's device IDs → ours. A device the request (or the monitor)
   *  named is ours again; another is ours when exactly one of our appearances stands for it (a
   *  shared line's DN stays a number); anything else is a party by number. */
  private fromWire<M extends CstaMessage>(message: M, context: ReadonlyMap<string, string> | undefined): M {
    const ids = this.profile.deviceIds;
    if (ids === undefined) return message;
    return mapDeviceIds(message, (id) => {
      const wire = serverDeviceNumber(id);
      const named = context?.get(wire);
      if (named !== undefined) return named;
      const ours = ids.fromWire(wire);
      return ours.length === 1 ? (ours[0] as string) : wire;
    });
  }

  /**
   * Frames written in the same event-loop turn (the requests of many sessions, served from the
   * input of every SIP connection read in that turn) leave in one writev when it ends: a write(2)
   * per frame was a large share of the gateway's CPU under load (docs/benchmarks.md, "Profile
   * findings"). setImmediate rather than nextTick, so that requests read from several SIP
   * connections in one poll phase share the write.
   */
  private writeFrame(socket: Socket, frame: Buffer): void {
    if (this.corkedSocket !== socket) {
      this.corkedSocket = socket;
      socket.cork();
      setImmediate(() => {
        if (this.corkedSocket === socket) this.corkedSocket = undefined;
        socket.uncork();
      });
    }
    socket.write(frame);
  }

  // ------------------------------------------------------------------ monitors and directory

  /** Routes the events of a CTI monitor to `sink` (monitors die with the connection). */
  registerMonitor(monitorCrossRefId: string, sink: MonitorSink): void {
    this.monitors.set(monitorCrossRefId, sink);
  }

  unregisterMonitor(monitorCrossRefId: string): void {
    this.monitors.delete(monitorCrossRefId);
    this.monitorDevices.delete(monitorCrossRefId);
  }

  /** Loads the directory: GetSwitchingFunctionDevices, then every SwitchingFunctionDevices
   *  segment until `lastSegment` (docs/cti-link.md §4). */
  loadDirectory(
    timeoutMs = Math.max(this.options.requestTimeoutMs * 6, 30_000),
  ): Promise<DirectorySegment[]> {
    return new Promise<DirectorySegment[]>((resolve, reject) => {
      const segments: DirectorySegment[] = [];
      this.collectSegments(timeoutMs, 'directory', reject, {
        take: (message) => {
          const segment = directoryFromPrivateData(message.extensions?.privateData);
          if (!segment.ok) return segment.error;
          segments.push(segment.value);
          return undefined;
        },
        finish: () => resolve(segments),
      });
    });
  }

  /** The call server's devices (standard GetSwitchingFunctionDevices: `deviceList/device`), as
   *  the server names them. */
  listDevices(timeoutMs = Math.max(this.options.requestTimeoutMs * 6, 30_000)): Promise<ReadonlySet<string>> {
    return new Promise<ReadonlySet<string>>((resolve, reject) => {
      const listed = new Set<string>();
      this.collectSegments(timeoutMs, 'device list', reject, {
        take: (message) => {
          for (const device of message.deviceList ?? []) listed.add(device.deviceID);
          return undefined;
        },
        finish: () => resolve(listed),
      });
    });
  }

  private collectSegments(
    timeoutMs: number,
    what: string,
    reject: (error: DesklineError) => void,
    handlers: Pick<SegmentCollector, 'take' | 'finish'>,
  ): void {
    if (this.stateValue !== S.Up) {
      reject(
        new DesklineError(ErrorCode.CtiNotConnected, `CTI Manager ${this.addressText} is not connected`),
      );
      return;
    }
    // The collector is made while the response frame is processed, not when its promise
    // resolves: the first segments often arrive in the same TCP chunk as the response, and a
    // segment that finds no collector is dropped.
    const onAnswer = (message: CstaMessage): void => {
      if (message.type !== 'GetSwitchingFunctionDevicesResponse') return;
      const crossRef = message.serviceCrossRefID;
      if (this.directoryCollectors.has(crossRef)) {
        reject(
          new DesklineError(
            ErrorCode.CtiError,
            `CTI Manager ${this.addressText} reused serviceCrossRefID ${crossRef} of a ${what} load in progress`,
          ),
        );
        return;
      }
      const collector: SegmentCollector = { ...handlers, reject, segments: 0, timer: undefined };
      collector.timer = this.options.clock.setTimeout(() => {
        this.directoryCollectors.delete(crossRef);
        reject(
          new DesklineError(
            ErrorCode.CtiTimeout,
            `${what} from ${this.addressText} incomplete after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.directoryCollectors.set(crossRef, collector);
    };
    this.sendRequestRaw({ type: 'GetSwitchingFunctionDevices' }, 'GetSwitchingFunctionDevicesResponse', {
      kind: 'request',
      timeoutMs: this.options.requestTimeoutMs,
      onAnswer,
    }).catch(reject);
  }

  // ------------------------------------------------------------------ receiving

  private receiveFromCtiManager(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket || this.decoder === undefined) return;
    const frames = this.decoder.push(chunk);
    if (!frames.ok) {
      // docs/cti-link.md §1: a corrupt header is unrecoverable on a stream.
      this.log.error(
        { reason: frames.error.message, detail: frames.error.detail },
        'corrupt CTI frame: closing the connection',
      );
      this.fail(socket, frames.error);
      return;
    }
    for (const frame of frames.value) {
      if (this.socket !== socket) return;
      this.receiveFrame(frame);
    }
  }

  private receiveFrame(frame: Frame): void {
    if (frame.isEvent || frame.invokeId === EVENT_INVOKE_ID) {
      this.receiveEventFrame(frame);
      return;
    }
    const decoded = decodeCsta(frame.payload, this.options.xmlLimits);
    // A request of the server's own has an invoke ID of its own, which may equal one of ours: what
    // the document is, not its invoke ID, tells a request from an answer (docs/cti-link.md §7).
    if (decoded.ok && isCstaRequest(decoded.value.message)) {
      this.receiveServerRequest(frame.invokeId, decoded.value.message);
      return;
    }
    if (!decoded.ok) {
      const root = peekRootLocalName(frame.payload);
      if (root !== undefined && !isAnswerName(root)) {
        this.refuseServerRequest(frame.invokeId, root, decoded.error);
        return;
      }
    }
    const pending = this.pending.get(frame.invokeId);
    if (pending === undefined) {
      this.log.debug(
        { invokeId: frame.invokeId },
        'response to no pending request (late or unknown) dropped',
      );
      return;
    }
    this.pending.delete(frame.invokeId);
    this.invokeIds.release(frame.invokeId);
    pending.deadline?.cancel();
    // Any answer, an error included, shows that the node serves requests (docs/cti-link.md §3).
    if (pending.kind === 'request') this.requestAnswered();
    if (!decoded.ok) {
      pending.reject(
        new DesklineError(
          ErrorCode.CtiError,
          `undecodable response to ${pending.type}: ${decoded.error.message}`,
          { cause: decoded.error },
        ),
      );
      return;
    }
    const message = this.fromWire(decoded.value.message, pending.context);
    if (message.type === pending.expected) {
      if (
        message.type === 'MonitorStartResponse' &&
        pending.context !== undefined &&
        pending.context.size > 0
      )
        this.monitorDevices.set(message.monitorCrossRefID, pending.context);
      pending.onAnswer?.(message);
      pending.resolve(message);
      return;
    }
    if (message.type === 'CSTAErrorCode') {
      pending.reject(
        new DesklineError(
          ErrorCode.CtiError,
          `${pending.type} refused by the CTI Manager: ${message.errorClass}/${message.value}`,
          {
            detail: {
              cstaError: { errorClass: message.errorClass, value: message.value },
              request: pending.type,
            },
          },
        ),
      );
      return;
    }
    if ('errorCode' in message) {
      const defined =
        (message as { errorCode?: { definedError?: string } }).errorCode?.definedError ?? 'genericError';
      pending.reject(
        new DesklineError(ErrorCode.CtiError, `${pending.type} refused: ${defined}`, {
          detail: { applicationSessionError: defined, request: pending.type },
        }),
      );
      return;
    }
    pending.reject(
      new DesklineError(ErrorCode.CtiError, `unexpected ${message.type} in answer to ${pending.type}`),
    );
  }

  /**
   * A request the server sent us. Every one gets an answer, never silence (docs/cti-link.md §7):
   * StopApplicationSession ends the session; SystemStatus and RequestSystemStatus are answered
   * (and are the heartbeat with `cti.heartbeat: server`); anything else — a service the gateway
   * does not offer the server — gets CSTAErrorCode `operation/serviceNotSupported`.
   */
  private receiveServerRequest(invokeId: number, message: CstaRequest): void {
    const socket = this.socket;
    if (socket === undefined) return;
    switch (message.type) {
      case 'StopApplicationSession':
        this.receiveStopApplicationSession(socket, invokeId, message);
        return;
      case 'SystemStatus':
        this.answerServer(socket, invokeId, { type: 'SystemStatusResponse' });
        this.serverHeartbeat(message.systemStatus);
        return;
      case 'RequestSystemStatus':
        // The server asks how we are: the application is working normally.
        this.answerServer(socket, invokeId, { type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
        this.serverHeartbeat(undefined);
        return;
      default:
        this.warnRateLimited(
          `server-request-${message.type}`,
          { type: message.type, invokeId },
          'CTI Manager sent a request the gateway does not serve: answered serviceNotSupported',
        );
        this.answerServer(socket, invokeId, cstaError('operation', 'serviceNotSupported'));
    }
  }

  /** A request we could not read: answered all the same (an unknown service, or a malformed one). */
  private refuseServerRequest(invokeId: number, root: string, error: DesklineError): void {
    const socket = this.socket;
    if (socket === undefined) return;
    const unknown = error.code === ErrorCode.CstaUnknownMessage;
    this.warnRateLimited(
      `server-request-undecodable`,
      { root: root.slice(0, 64), invokeId, reason: error.message },
      unknown
        ? 'CTI Manager sent a request the gateway does not know: answered serviceNotSupported'
        : 'CTI Manager sent a request the gateway cannot read: answered with a CSTA error',
    );
    this.answerServer(socket, invokeId, cstaError('operation', unknown ? 'serviceNotSupported' : 'generic'));
  }

  private answerServer(socket: Socket, invokeId: number, message: CstaMessage): void {
    try {
      this.writeFrame(
        socket,
        encodeFrame(invokeId, this.encode(message), this.options.maxFrameBytes ?? 65_535),
      );
    } catch (cause) {
      this.log.error(
        { error: wrapError(cause).message, type: message.type },
        'cannot answer the CTI Manager',
      );
    }
  }

  private receiveStopApplicationSession(
    socket: Socket,
    invokeId: number,
    message: CstaMessageOf<'StopApplicationSession'>,
  ): void {
    // ECMA-354: the server ends our session (its session timer expired, or it is shutting down).
    this.log.warn(
      { reason: message.sessionEndReason.definedEndReason ?? message.sessionEndReason.appEndReason },
      'CTI Manager ended the application session',
    );
    try {
      socket.write(encodeFrame(invokeId, encodeCsta({ type: 'StopApplicationSessionPosResponse' })));
    } catch {
      // the socket is going away anyway
    }
    this.fail(
      socket,
      new DesklineError(
        ErrorCode.CtiConnectionClosed,
        `CTI Manager ${this.addressText} ended the application session (${message.sessionEndReason.definedEndReason ?? 'no reason'})`,
      ),
    );
  }

  private receiveEventFrame(frame: Frame): void {
    // docs/cti-link.md §4: with no directory load in flight a segment is unrequested; a broken or
    // hostile node may send them by the thousand, so they are not even decoded.
    if (
      this.directoryCollectors.size === 0 &&
      peekRootLocalName(frame.payload) === 'SwitchingFunctionDevices'
    ) {
      this.dropUnrequestedSegment(frame.payload.length, undefined);
      return;
    }
    const decoded = decodeCsta(frame.payload, this.options.xmlLimits);
    if (!decoded.ok) {
      this.warnRateLimited(
        'undecodable-event',
        { code: decoded.error.code, reason: decoded.error.message },
        'undecodable CTI event dropped',
      );
      return;
    }
    this.receiveEvent(decoded.value.message, frame.payload.length);
  }

  private dropUnrequestedSegment(bytes: number, serviceCrossRefID: string | undefined): void {
    this.unrequestedSegmentsValue++;
    this.unrequestedSegmentBytesValue += bytes;
    this.warnRateLimited(
      'unrequested-segment',
      {
        serviceCrossRefID,
        totalSegments: this.unrequestedSegmentsValue,
        totalBytes: this.unrequestedSegmentBytesValue,
      },
      'unrequested directory segment dropped',
    );
  }

  /** One warning per DROP_LOG_INTERVAL_MS per kind, saying how many were not logged since. */
  private warnRateLimited(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.options.clock.monotonic();
    const last = this.rateLimitedLogs.get(kind);
    if (last !== undefined && now - last.at < DROP_LOG_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    this.log.warn({ ...fields, notLoggedSinceLast: last?.suppressed ?? 0 }, message);
    this.rateLimitedLogs.set(kind, { at: now, suppressed: 0 });
  }

  private receiveEvent(message: CstaMessage, bytes: number): void {
    if (message.type === 'SwitchingFunctionDevices') {
      const collector = this.directoryCollectors.get(message.serviceCrossRefID);
      if (collector === undefined) {
        this.dropUnrequestedSegment(bytes, message.serviceCrossRefID);
        return;
      }
      const stop = (error: DesklineError): void => {
        this.directoryCollectors.delete(message.serviceCrossRefID);
        this.options.clock.clearTimeout(collector.timer);
        collector.reject(error);
      };
      const refused = collector.take(message);
      if (refused !== undefined) return stop(refused);
      collector.segments++;
      if (!message.lastSegment && collector.segments >= this.directoryMaxSegments)
        // A node that never ends its directory must not grow it without bound.
        return stop(
          new DesklineError(
            ErrorCode.CtiError,
            `directory from ${this.addressText} has more than ${this.directoryMaxSegments} segments (cti.directoryMaxSegments)`,
          ),
        );
      if (message.lastSegment) {
        this.directoryCollectors.delete(message.serviceCrossRefID);
        this.options.clock.clearTimeout(collector.timer);
        collector.finish();
      }
      return;
    }
    if (!isCstaEvent(message) || !('monitorCrossRefID' in message)) return;
    const sink = this.monitors.get(message.monitorCrossRefID);
    if (sink === undefined) {
      this.log.debug(
        { type: message.type, monitorCrossRefID: message.monitorCrossRefID },
        'event for an unknown monitor dropped',
      );
      return;
    }
    try {
      sink(this.fromWire(message, this.monitorDevices.get(message.monitorCrossRefID)));
    } catch (cause) {
      this.log.error({ error: wrapError(cause).message, type: message.type }, 'monitor sink threw');
    }
  }

  // ------------------------------------------------------------------ views and lifecycle

  get viewState(): CtiNodeState {
    switch (this.stateValue) {
      case S.Up:
        return this.missed > 0 || this.requestsDegradedValue ? 'degraded' : 'up';
      case S.Idle:
      case S.Connecting:
      case S.Opening:
        return this.everUp || this.failuresValue > 0 ? 'down' : 'connecting';
      case S.Backoff:
        return 'down';
      case S.Disposed:
        return 'disabled';
      default: {
        const never: never = this.stateValue;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
  }

  view(): CtiNodeHealth {
    const view: CtiNodeHealth = {
      index: this.index,
      address: this.addressText,
      state: this.viewState,
      rttHistory: [...this.rttHistory],
      failures: this.failuresValue,
      missedHeartbeats: this.missed,
      sessions: this.boundSessions,
    };
    if (this.connectionId !== undefined) view.connectionId = this.connectionId;
    if (this.rttMs !== undefined && this.stateValue === S.Up) view.rttMs = this.rttMs;
    if (this.upSinceMs !== undefined) view.upSince = this.upSinceMs;
    if (this.lastErrorValue !== undefined) view.lastError = this.lastErrorValue;
    if (this.deviceCheckValue !== undefined && this.stateValue === S.Up)
      view.deviceCheck = this.deviceCheckValue;
    if (this.requestsDegraded)
      view.degradedReason = `${this.consecutiveRequestTimeouts} requests in a row unanswered (cti.requestTimeoutLimit ${this.requestTimeoutLimit}); new sessions avoid this node`;
    else if (this.stateValue === S.Up && this.missed > 0)
      view.degradedReason = `${this.missed} heartbeat${this.missed === 1 ? '' : 's'} missed (limit ${this.options.heartbeatMissLimit})`;
    return view;
  }

  /** Ends the application session politely when up (bounded wait), closes the socket, stops
   *  reconnecting and clears every timer. */
  async dispose(): Promise<void> {
    if (this.stateValue === S.Disposed) return;
    const socket = this.socket;
    const sessionId = this.connectionIdValue;
    if (this.stateValue === S.Up && socket !== undefined && sessionId !== undefined) {
      const stop = this.sendRequestRaw(
        {
          type: 'StopApplicationSession',
          sessionID: sessionId,
          sessionEndReason: { definedEndReason: 'normal' },
        },
        'StopApplicationSessionPosResponse',
        { kind: 'session', timeoutMs: Math.min(1000, this.options.requestTimeoutMs) },
      );
      await stop.catch(() => undefined);
    }
    this.transition(S.Disposed);
    if (this.socket !== undefined) {
      const s = this.socket;
      this.socket = undefined;
      s.removeAllListeners();
      s.on('error', () => undefined);
      s.destroy();
    }
    this.decoder?.dispose();
    this.decoder = undefined;
    this.connectionIdValue = undefined;
    this.rejectAllPending(new DesklineError(ErrorCode.Disposed, 'CTI connection disposed'));
    this.monitors.clear();
  }
}

/** The namespace our CTI link messages travel in (for logs and docs). */
export const CTI_LINK_NAMESPACES = { csta: ECMA323_ED3, applicationSession: ECMA354_NAMESPACE } as const;

/**
 * The local name of a document's root element, read from its bytes without parsing: skips a BOM,
 * white space, processing instructions (the XML declaration) and comments. Undefined when the
 * document starts otherwise (a DOCTYPE, text, a cut document) — the decoder then judges it.
 * Linear in the bytes it skips and allocation-free but for the name.
 */
export function peekRootLocalName(xml: Buffer): string | undefined {
  const n = xml.length;
  let i = n >= 3 && xml[0] === 0xef && xml[1] === 0xbb && xml[2] === 0xbf ? 3 : 0;
  for (;;) {
    while (i < n && isXmlSpace(xml[i] as number)) i++;
    if (i + 1 >= n || xml[i] !== 0x3c /* < */) return undefined;
    const next = xml[i + 1];
    if (next === 0x3f /* ? */) {
      const end = xml.indexOf('?>', i + 2, 'latin1');
      if (end < 0) return undefined;
      i = end + 2;
      continue;
    }
    if (next === 0x21 /* ! */) {
      if (xml[i + 2] !== 0x2d || xml[i + 3] !== 0x2d) return undefined; // not a comment
      const end = xml.indexOf('-->', i + 4, 'latin1');
      if (end < 0) return undefined;
      i = end + 3;
      continue;
    }
    let j = i + 1;
    const limit = Math.min(n, i + 1 + MAX_PEEKED_NAME_BYTES);
    while (j < limit) {
      const c = xml[j] as number;
      if (isXmlSpace(c) || c === 0x3e /* > */ || c === 0x2f /* / */) break;
      j++;
    }
    if (j === i + 1 || j === limit) return undefined;
    const name = xml.toString('latin1', i + 1, j);
    return name.slice(name.indexOf(':') + 1);
  }
}

const MAX_PEEKED_NAME_BYTES = 256;

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** A root element name that is an answer, not a request: `…Response` (ECMA-323, and ECMA-354's
 *  `…PosResponse` / `…NegResponse`) or CSTAErrorCode. Events never come here (invoke ID 9999). */
function isAnswerName(local: string): boolean {
  return local.endsWith('Response') || local === 'CSTAErrorCode';
}
