// The session core: one place where users, licences, line appearances, CTI connections,
// monitors and authorization meet. Both faces use it — the Microsoft RCC face (SIP) and the
// desk API (the desktop app, in-process) — and both get the same rules and the same errors.
//
// A CoreSession belongs to one user and controls one line appearance, bound to the CTI
// connection it started on (round-robin, docs/architecture.md §6). Everything it sends to and receives from
// the CTI Manager is in CTI form (device IDs `<device>/<dn>/<partition>`, docs/cti-link.md §5);
// faces translate to their own forms.
import {
  type CstaEvent,
  type CstaMessageOf,
  type CstaRequest,
  type CstaRequestType,
  type CstaResponse,
  type ResponseTypeOf,
  responseTypeOf,
  cstaError,
} from '../csta/index.js';
import type { CtiConnection } from '../cti/cti-connection.js';
import type { CtiPool } from '../cti/cti-pool.js';
import type { DirectoryUser } from '../cti-link/directory-codec.js';
import type { DirectoryProvider, DirectorySnapshot } from '../directory/provider.js';
import { DesklineError, ErrorCode, wrapError } from '../util/errors.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { err, ok, type Result } from '../util/result.js';
import { Directory, type AppearanceRecord, type UserIdentityMode } from './directory.js';
import { refusal } from './csta-errors.js';
import { CallLedger } from './call-ledger.js';

export const CoreSessionState = {
  /** Bound to a CTI connection that is up with the connection ID the session started on. */
  Active: 'active',
  /** Its CTI connection is down: requests fail fast with a CSTA error. */
  CtiDown: 'ctiDown',
  /** Its CTI connection came back with a new connection ID and its monitors are gone: with
   *  `cti.sessionRecovery: reinvite` the face has the client re-establish (Cisco: in-session INFO
   *  refused, the client re-INVITEs); with `transparent` the session restores itself (rebind) and
   *  is stale only while that fails. */
  Stale: 'stale',
  /** Moving to another connection (moveSessionsOnFailure, or a face-driven rebind). */
  Rebinding: 'rebinding',
  Closed: 'closed',
} as const;
export type CoreSessionState = (typeof CoreSessionState)[keyof typeof CoreSessionState];

const T: Readonly<Record<CoreSessionState, readonly CoreSessionState[]>> = {
  active: ['ctiDown', 'stale', 'rebinding', 'closed'],
  ctiDown: ['stale', 'rebinding', 'closed', 'active'],
  stale: ['rebinding', 'closed'],
  rebinding: ['active', 'ctiDown', 'stale', 'closed'],
  closed: [],
};

/** The face above a session (narrow, upward only). */
export interface SessionFace {
  /** A CTI event for one of the session's monitors; `monitorCrossRefID` is already the face's ID. */
  onCtiEvent(session: CoreSession, event: CstaEvent): void;
  onStateChange?(session: CoreSession, state: CoreSessionState, reason: string | undefined): void;
  /** The session's client is gone for now (its connection closed) and it may be ended to make room
   *  for the same user's new session (users.maxSessionsPerUser). */
  isAbandoned?(session: CoreSession): boolean;
}

interface MonitorEntry {
  /** The ID the face (client) knows; stable across rebinds. */
  readonly faceId: string;
  readonly deviceId: string;
  ctiId: string | undefined;
}

/** Requests a face may forward; the rest (RequestSystemStatus, GetCSTAFeatures, monitors,
 *  application sessions, directory) are handled by the face or the core itself. */
export const FORWARDED_REQUESTS = [
  'MakeCall',
  'AnswerCall',
  'ClearConnection',
  'ClearCall',
  'HoldCall',
  'RetrieveCall',
  'ConsultationCall',
  'TransferCall',
  'SingleStepTransferCall',
  'ConferenceCall',
  'AlternateCall',
  'ReconnectCall',
  'DeflectCall',
  'GenerateDigits',
  'SetForwarding',
  'GetForwarding',
  'SetDoNotDisturb',
  'GetDoNotDisturb',
  'SnapshotDevice',
] as const satisfies readonly CstaRequestType[];
export type ForwardedRequestType = (typeof FORWARDED_REQUESTS)[number];
export type ForwardedRequest = CstaMessageOf<ForwardedRequestType>;
const FORWARDED = new Set<string>(FORWARDED_REQUESTS);

export class CoreSession {
  readonly id: string;
  private stateValue: CoreSessionState = CoreSessionState.Active;
  private connectionValue: CtiConnection;
  private boundConnectionIdValue: string;
  private readonly monitors = new Map<string, MonitorEntry>();
  /** The calls the session's own appearances take part in, with their connections (learned from
   *  events and responses): what authorization by ownership consults (docs/robustness.md §5).
   *  Made when first needed: a held session that sees no call keeps none (docs/benchmarks.md,
   *  "Memory per session"). */
  private ledgerValue: CallLedger | undefined;
  private rebinding: Promise<void> | undefined;
  private nextMonitor = 1;
  readonly openedAt: number;

  constructor(
    private readonly core: SessionCore,
    readonly user: DirectoryUser,
    readonly appearance: AppearanceRecord,
    connection: CtiConnection,
    connectionId: string,
    readonly face: SessionFace,
    sequence: number,
  ) {
    this.id = `s${sequence.toString(36)}`;
    this.connectionValue = connection;
    this.boundConnectionIdValue = connectionId;
    this.openedAt = core.clock.now();
    connection.boundSessions++;
  }

  get state(): CoreSessionState {
    return this.stateValue;
  }
  get connection(): CtiConnection {
    return this.connectionValue;
  }
  /** The CTI connection ID the session is bound to (Cisco: changes after a reconnect). */
  get boundConnectionId(): string {
    return this.boundConnectionIdValue;
  }
  private get ledger(): CallLedger {
    return (this.ledgerValue ??= new CallLedger((deviceId) => this.ownsDevice(deviceId)));
  }
  get monitorCount(): number {
    return this.monitors.size;
  }
  /** The devices this session may control: the user's own appearances. */
  ownsDevice(deviceId: string): boolean {
    return deviceId === this.appearance.id || this.core.directory.userOwnsAppearance(this.user, deviceId);
  }

  transition(to: CoreSessionState, reason?: string): void {
    const from = this.stateValue;
    if (from === to) return;
    if (!T[from].includes(to)) throw new Error(`assertion failed: session ${from} → ${to}`);
    this.stateValue = to;
    if (to === CoreSessionState.Closed) this.connectionValue.boundSessions--;
    this.core.log.debug({ session: this.id, user: this.user.id, from, to, reason }, 'session state');
    this.face.onStateChange?.(this, to, reason);
  }

  /** Fails fast unless the session can talk to its CTI Manager now. */
  private usable(): Result<CtiConnection> {
    switch (this.stateValue) {
      case CoreSessionState.Active:
        return ok(this.connectionValue);
      case CoreSessionState.CtiDown:
        return err(
          refusal(
            ErrorCode.CtiNotConnected,
            `CTI Manager ${this.connectionValue.addressText} is unavailable`,
            cstaError('systemResourceAvailibility', 'resourceOutOfService'),
          ),
        );
      case CoreSessionState.Stale:
        // Transparent recovery tried to restore the session and could not yet (ready() tries
        // again at every request): a CSTA error, never the 481 of Cisco's way.
        if (this.core.recovery === 'transparent')
          return err(
            refusal(
              ErrorCode.CtiNotConnected,
              `the session could not be restored on CTI Manager ${this.connectionValue.addressText} yet`,
              cstaError('systemResourceAvailibility', 'resourceBusy'),
            ),
          );
        return err(
          new DesklineError(
            ErrorCode.SessionStale,
            `the CTI connection was re-established (new connection ID): the session must be re-established`,
          ),
        );
      case CoreSessionState.Rebinding:
        return err(
          refusal(
            ErrorCode.CtiNotConnected,
            'the session is moving to another CTI Manager',
            cstaError('systemResourceAvailibility', 'resourceBusy'),
          ),
        );
      case CoreSessionState.Closed:
        return err(new DesklineError(ErrorCode.Disposed, 'session closed'));
      default: {
        const never: never = this.stateValue;
        throw new Error(`unknown session state ${String(never)}`);
      }
    }
  }

  /** Waits for a rebind in progress (moveSessionsOnFailure, transparent recovery), then checks
   *  usability. With transparent recovery a stale session tries to restore itself first. */
  private async ready(): Promise<CtiConnection> {
    if (
      this.rebinding === undefined &&
      this.stateValue === CoreSessionState.Stale &&
      this.core.recovery === 'transparent'
    )
      void this.rebind().catch(() => undefined);
    if (this.rebinding !== undefined) await this.rebinding.catch(() => undefined);
    const usable = this.usable();
    if (!usable.ok) throw usable.error;
    return usable.value;
  }

  // ------------------------------------------------------------------ monitors (ECMA-269 §13.1)

  /**
   * MonitorStart on one of the user's own appearances; resolves with the face's cross-reference
   * ID — `faceId` when the face gives one (the MS-RCC face derives it from its dialog, so that any
   * node reproduces it: docs/msrcc.md §8), else one of the session's own.
   */
  async monitorStart(deviceId: string, faceId?: string): Promise<string> {
    const check = this.core.authorizeDevice(this.user, deviceId);
    if (!check.ok) throw check.error;
    if (faceId !== undefined && this.monitors.has(faceId))
      throw new DesklineError(ErrorCode.InvalidState, `monitorCrossRefID ${faceId} is in use already`);
    const limit = this.core.limits.maxMonitorsPerUser;
    if (this.core.monitorsOfUser(this.user.id) >= limit) {
      this.core.metrics?.limitRefused('users.maxMonitorsPerUser');
      throw refusal(
        ErrorCode.LimitExceeded,
        `user ${this.user.id} already has ${limit} monitors (users.maxMonitorsPerUser)`,
        cstaError('systemResourceAvailibility', 'overallMonitorLimitExceeded'),
      );
    }
    const connection = await this.ready();
    const response = await connection.request(
      { type: 'MonitorStart', monitorObject: { deviceObject: deviceId } },
      'MonitorStartResponse',
    );
    const id = faceId ?? `${this.id}m${(this.nextMonitor++).toString(36)}`;
    const entry: MonitorEntry = { faceId: id, deviceId, ctiId: response.monitorCrossRefID };
    if (this.stateValue === CoreSessionState.Closed || connection !== this.connectionValue) {
      // Closed or moved while the request was in flight: do not leak the CTI monitor.
      void connection
        .request(
          { type: 'MonitorStop', monitorCrossRefID: response.monitorCrossRefID },
          'MonitorStopResponse',
        )
        .catch(() => undefined);
      throw new DesklineError(ErrorCode.InvalidState, 'session changed while starting the monitor');
    }
    if (this.monitors.has(id)) {
      // Two MonitorStarts with one ID raced: keep the first.
      void connection
        .request(
          { type: 'MonitorStop', monitorCrossRefID: response.monitorCrossRefID },
          'MonitorStopResponse',
        )
        .catch(() => undefined);
      throw new DesklineError(ErrorCode.InvalidState, `monitorCrossRefID ${id} is in use already`);
    }
    this.monitors.set(id, entry);
    connection.registerMonitor(response.monitorCrossRefID, (event) => this.receiveEvent(entry, event));
    return id;
  }

  async monitorStop(faceId: string): Promise<void> {
    const entry = this.monitors.get(faceId);
    if (entry === undefined)
      throw refusal(
        ErrorCode.InvalidArgument,
        `unknown monitorCrossRefID ${faceId}`,
        cstaError('operation', 'invalidCrossRefID'),
      );
    this.monitors.delete(faceId);
    if (entry.ctiId === undefined) return;
    this.connectionValue.unregisterMonitor(entry.ctiId);
    if (this.stateValue === CoreSessionState.Active) {
      await this.connectionValue
        .request({ type: 'MonitorStop', monitorCrossRefID: entry.ctiId }, 'MonitorStopResponse')
        .catch((e: unknown) => {
          this.core.log.debug(
            { session: this.id, error: wrapError(e).message },
            'MonitorStop on the CTI side failed (ignored: monitor released here)',
          );
        });
    }
  }

  hasMonitor(faceId: string): boolean {
    return this.monitors.has(faceId);
  }

  /** The device (CTI form) the monitor `faceId` watches. */
  monitoredDevice(faceId: string): string | undefined {
    return this.monitors.get(faceId)?.deviceId;
  }

  private receiveEvent(entry: MonitorEntry, event: CstaEvent): void {
    if (this.stateValue === CoreSessionState.Closed) return;
    this.ledger.learnEvent(event);
    this.face.onCtiEvent(this, { ...event, monitorCrossRefID: entry.faceId } as CstaEvent);
  }

  // ------------------------------------------------------------------ call control

  /** Forwards a call-control / logical-device request (CTI form) after authorization; resolves
   *  with that request's own response type (MakeCall → MakeCallResponse, ...). */
  async request<T extends ForwardedRequestType>(
    message: ForwardedRequest & { type: T },
  ): Promise<CstaMessageOf<ResponseTypeOf<T>>> {
    if (!FORWARDED.has(message.type))
      throw refusal(
        ErrorCode.InvalidArgument,
        `${message.type} is not forwarded to the CTI Manager`,
        cstaError('operation', 'invalidObjectType'),
      );
    const check = this.authorize(message as CstaRequest);
    if (!check.ok) throw check.error;
    const connection = await this.ready();
    const started = this.core.clock.monotonic();
    try {
      const response = await connection.request(message, responseTypeOf(message.type));
      this.ledger.learnResponse(message as CstaRequest, response as CstaResponse);
      this.core.metrics?.requestCompleted(message.type, 'ok', this.core.clock.monotonic() - started);
      return response;
    } catch (cause) {
      const error = wrapError(cause, ErrorCode.CtiError);
      this.core.metrics?.requestCompleted(message.type, error.code, this.core.clock.monotonic() - started);
      throw error;
    }
  }

  /** A device the request names as the user's own. */
  private authorizeOwn(type: string, deviceId: string | undefined, what: string): Result<void> {
    if (deviceId === undefined || deviceId === '')
      return err(
        refusal(
          ErrorCode.InvalidArgument,
          `${type}: ${what} is missing`,
          cstaError('operation', 'invalidDeviceID'),
        ),
      );
    return this.core.authorizeDevice(this.user, deviceId);
  }

  /** A connection of one of the user's own line appearances, on a device CTI may control. The
   *  services that act on a party's connection (answer, hold, retrieve, deflect, send digits,
   *  consult, transfer, conference, alternate, reconnect) act for that party: only its owner may
   *  ask (ECMA-269 §17.1; docs/robustness.md §5). */
  private authorizeOwnConnection(
    type: string,
    c: { callID?: string; deviceID?: string },
    what: string,
  ): Result<void> {
    if (c.deviceID === undefined || c.deviceID === '')
      return err(
        refusal(
          ErrorCode.InvalidArgument,
          `${type}: ${what} names no device`,
          cstaError('operation', 'invalidConnectionID'),
        ),
      );
    if (!this.ownsDevice(c.deviceID)) return err(this.notOwn(type, what, c.deviceID));
    return this.core.authorizeDevice(this.user, c.deviceID);
  }

  private notOwn(type: string, what: string, deviceId: string | undefined, why?: string): DesklineError {
    return refusal(
      ErrorCode.LineNotOwned,
      `${type}: ${what}${deviceId === undefined ? '' : ` (${deviceId})`} is not a connection of ${this.user.id}'s own line${why === undefined ? '' : `: ${why}`}`,
      cstaError('operation', 'privilegeViolationSpecifiedDevice'),
    );
  }

  /**
   * ClearConnection: the session's own connection (hang up), or another party's connection only
   * as the controller of a conference its own device set up and is still in — "drop a party"
   * (ECMA-269 §17.1.9 with §17.1.6).
   */
  private authorizeClearConnection(c: { callID?: string; deviceID?: string }): Result<void> {
    const type = 'ClearConnection';
    if (c.deviceID !== undefined && this.ownsDevice(c.deviceID))
      return this.authorizeOwnConnection(type, c, 'connectionToBeCleared');
    const call = this.ledger.call(c.callID);
    if (call === undefined || call.own.size === 0)
      return err(this.notOwn(type, 'connectionToBeCleared', c.deviceID, 'the session is not in that call'));
    if (!call.controller)
      return err(
        this.notOwn(
          type,
          'connectionToBeCleared',
          c.deviceID,
          'only the party who set up a conference may drop others',
        ),
      );
    if (c.deviceID === undefined || !call.parties.has(c.deviceID))
      return err(this.notOwn(type, 'connectionToBeCleared', c.deviceID, 'no such party in the conference'));
    return this.authorizeOwnConnection(
      type,
      { deviceID: [...call.own][0] as string },
      'conference controller',
    );
  }

  /**
   * ClearCall releases every party (ECMA-269 §17.1.8): only for a call the session's own device is
   * still in, and for a conference only by its controller.
   */
  private authorizeClearCall(c: { callID?: string; deviceID?: string }): Result<void> {
    const type = 'ClearCall';
    if (c.deviceID !== undefined && !this.ownsDevice(c.deviceID))
      return err(this.notOwn(type, 'callToBeCleared', c.deviceID));
    const call = this.ledger.call(c.callID);
    if (call === undefined || call.own.size === 0)
      return err(this.notOwn(type, 'callToBeCleared', c.deviceID, 'the session is not in that call'));
    if (call.conference && !call.controller)
      return err(
        this.notOwn(
          type,
          'callToBeCleared',
          c.deviceID,
          'only the party who set up a conference may end it for all',
        ),
      );
    return this.authorizeOwnConnection(
      type,
      { deviceID: c.deviceID ?? ([...call.own][0] as string) },
      'callToBeCleared',
    );
  }

  /** "A session controls only the line appearances of its own user" (docs/robustness.md §5). */
  private authorize(message: CstaRequest): Result<void> {
    const type = message.type;
    switch (message.type) {
      case 'MakeCall':
        return this.authorizeOwn(type, message.callingDevice, 'callingDevice');
      case 'AnswerCall':
        return this.authorizeOwnConnection(type, message.callToBeAnswered, 'callToBeAnswered');
      case 'ClearConnection':
        return this.authorizeClearConnection(message.connectionToBeCleared);
      case 'ClearCall':
        return this.authorizeClearCall(message.callToBeCleared);
      case 'HoldCall':
        return this.authorizeOwnConnection(type, message.callToBeHeld, 'callToBeHeld');
      case 'RetrieveCall':
        return this.authorizeOwnConnection(type, message.callToBeRetrieved, 'callToBeRetrieved');
      case 'ConsultationCall':
        return this.authorizeOwnConnection(type, message.existingCall, 'existingCall');
      case 'SingleStepTransferCall':
        return this.authorizeOwnConnection(type, message.activeCall, 'activeCall');
      case 'DeflectCall':
        return this.authorizeOwnConnection(type, message.callToBeDiverted, 'callToBeDiverted');
      case 'GenerateDigits':
        return this.authorizeOwnConnection(type, message.connectionToSendDigits, 'connectionToSendDigits');
      case 'TransferCall':
      case 'ConferenceCall':
      case 'AlternateCall':
      case 'ReconnectCall': {
        const held = this.authorizeOwnConnection(type, message.heldCall, 'heldCall');
        return held.ok ? this.authorizeOwnConnection(type, message.activeCall, 'activeCall') : held;
      }
      case 'SetForwarding':
      case 'GetForwarding':
      case 'SetDoNotDisturb':
      case 'GetDoNotDisturb':
        return this.authorizeOwn(type, message.device, 'device');
      case 'SnapshotDevice':
        return this.authorizeOwn(type, message.snapshotObject, 'snapshotObject');
      default:
        return err(
          refusal(
            ErrorCode.InvalidArgument,
            `${message.type} is not allowed here`,
            cstaError('operation', 'invalidObjectType'),
          ),
        );
    }
  }

  // ------------------------------------------------------------------ CTI connection changes

  /** The bound connection went down (called by the core). */
  connectionLost(): void {
    for (const entry of this.monitors.values()) entry.ctiId = undefined;
    if (this.stateValue === CoreSessionState.Active || this.stateValue === CoreSessionState.Rebinding)
      this.transition(CoreSessionState.CtiDown, 'CTI connection lost');
  }

  /** The bound connection is up but answers no requests (docs/cti-link.md §3): fail fast like a
   *  down node. Its monitors are kept — the node may still hold them and send their events —
   *  so that when it answers again (same connection ID) the session is simply active again. */
  connectionDegraded(): void {
    if (this.stateValue === CoreSessionState.Active)
      this.transition(CoreSessionState.CtiDown, 'CTI Manager answers no requests');
  }

  /** The bound connection is up again, with `connectionId` (called by the core). */
  connectionRestored(connectionId: string): void {
    if (connectionId === this.boundConnectionIdValue) {
      if (this.stateValue === CoreSessionState.CtiDown) this.transition(CoreSessionState.Active);
      return;
    }
    if (this.stateValue !== CoreSessionState.CtiDown) return;
    this.transition(CoreSessionState.Stale, 'CTI connection ID changed');
    // docs/msrcc.md §8: transparent recovery (the default) restores the monitors at once, under
    // the IDs the client knows; Cisco's way (`reinvite`) leaves that to the client's re-INVITE.
    if (this.core.recovery === 'transparent')
      this.rebind().then(
        () => this.core.metrics?.sessionRestored?.('cti-reconnect'),
        (cause: unknown) =>
          this.core.log.warn(
            { session: this.id, user: this.user.id, error: wrapError(cause).message },
            'session not restored after the CTI reconnect yet (retried at its next request)',
          ),
      );
  }

  /**
   * Binds the session to a healthy CTI connection (its own if it is up, else the next in
   * round-robin) and re-creates its monitors there, keeping the face's monitor IDs — what a
   * re-INVITE does after a reconnect, what moveSessionsOnFailure does transparently, and what
   * the desk API does to recover without the user signing in again.
   */
  rebind(): Promise<void> {
    if (this.rebinding !== undefined) return this.rebinding;
    if (this.stateValue === CoreSessionState.Closed)
      return Promise.reject(new DesklineError(ErrorCode.Disposed, 'session closed'));
    if (this.stateValue === CoreSessionState.Active) return Promise.resolve();
    this.rebinding = this.doRebind().finally(() => {
      this.rebinding = undefined;
    });
    return this.rebinding;
  }

  private async doRebind(): Promise<void> {
    const previousState = this.stateValue;
    const target = this.connectionValue.isUsable ? this.connectionValue : this.core.pool.pick();
    if (target === undefined || target.connectionId === undefined) {
      throw refusal(
        ErrorCode.NoHealthyCtiConnection,
        'no CTI Manager is available',
        cstaError('systemResourceAvailibility', 'resourceOutOfService'),
      );
    }
    this.transition(CoreSessionState.Rebinding, `moving to ${target.addressText}`);
    const old = this.connectionValue;
    // Leaving a node that is up but answers no requests: its monitors are still ours there; stop
    // them (best effort: it may never answer) so that it does not keep them should it recover.
    const releaseOnOld = old !== target && old.isUp && old.connectionId === this.boundConnectionIdValue;
    for (const entry of this.monitors.values()) {
      if (entry.ctiId === undefined) continue;
      old.unregisterMonitor(entry.ctiId);
      if (releaseOnOld)
        void old
          .request({ type: 'MonitorStop', monitorCrossRefID: entry.ctiId }, 'MonitorStopResponse')
          .catch(() => undefined);
      entry.ctiId = undefined;
    }
    if (old !== target) {
      old.boundSessions--;
      target.boundSessions++;
      this.core.moveSession(this, old, target);
      this.connectionValue = target;
    }
    this.boundConnectionIdValue = target.connectionId as string;
    try {
      for (const entry of this.monitors.values()) {
        const response = await target.request(
          { type: 'MonitorStart', monitorObject: { deviceObject: entry.deviceId } },
          'MonitorStartResponse',
        );
        entry.ctiId = response.monitorCrossRefID;
        target.registerMonitor(response.monitorCrossRefID, (event) => this.receiveEvent(entry, event));
      }
    } catch (cause) {
      const error = wrapError(cause, ErrorCode.CtiError);
      if (this.stateValue === CoreSessionState.Rebinding)
        this.transition(target.isUp ? CoreSessionState.Stale : CoreSessionState.CtiDown, error.message);
      throw error;
    }
    if (this.stateValue === CoreSessionState.Rebinding)
      this.transition(
        CoreSessionState.Active,
        previousState === CoreSessionState.Stale ? 're-established' : 'moved',
      );
    this.core.log.info(
      {
        session: this.id,
        user: this.user.id,
        cti: target.addressText,
        connectionId: this.boundConnectionIdValue,
      },
      'session bound to CTI connection',
    );
  }

  /** Releases the monitors (MonitorStop when the connection is up) and the session. */
  async close(reason = 'closed'): Promise<void> {
    if (this.stateValue === CoreSessionState.Closed) return;
    const stops: Promise<unknown>[] = [];
    const connection = this.connectionValue;
    const live = this.stateValue === CoreSessionState.Active;
    for (const entry of this.monitors.values()) {
      if (entry.ctiId === undefined) continue;
      connection.unregisterMonitor(entry.ctiId);
      if (live)
        stops.push(
          connection
            .request({ type: 'MonitorStop', monitorCrossRefID: entry.ctiId }, 'MonitorStopResponse')
            .catch(() => undefined),
        );
    }
    this.monitors.clear();
    this.ledgerValue?.clear();
    this.transition(CoreSessionState.Closed, reason);
    this.core.forget(this);
    await Promise.all(stops);
  }
}

export interface CoreMetrics {
  requestCompleted(type: string, outcome: string, durationMs: number): void;
  sessionOpened(): void;
  sessionClosed(): void;
  /** A request refused at a configured limit, named by its config field. */
  limitRefused(limit: string): void;
  /** A session restored its monitors by itself (docs/msrcc.md §8). */
  sessionRestored?(how: SessionRestoreKind): void;
}

/** How a session came back: its CTI connection returned with a new ID (transparent recovery), or a
 *  client's in-dialog re-INVITE re-opened a dialog this node did not know (take-over). */
export type SessionRestoreKind = 'cti-reconnect' | 'takeover';

export interface SessionLimits {
  /** users.maxSessionsPerUser */
  readonly maxSessionsPerUser: number;
  /** users.maxMonitorsPerUser */
  readonly maxMonitorsPerUser: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
  maxSessionsPerUser: 4,
  maxMonitorsPerUser: 16,
});

export interface SessionCoreOptions {
  pool: CtiPool;
  clock: Clock;
  logger: Logger;
  identity: UserIdentityMode;
  moveSessionsOnFailure: boolean;
  /** `cti.sessionRecovery` (docs/msrcc.md §8); default transparent. */
  sessionRecovery?: SessionRecovery;
  /** Where users, licences and line appearances come from (docs/directory.md): the core takes
   *  every snapshot it accepts, and revalidates the sessions against it. */
  directory: DirectoryProvider;
  metrics?: CoreMetrics;
  limits?: SessionLimits;
}

/** What a session does when its CTI connection returns with a new ID (docs/msrcc.md §8). */
export type SessionRecovery = 'transparent' | 'reinvite';

/** What a session-initiating request resolved to. */
export interface SessionAuthorization {
  user: DirectoryUser;
  appearance: AppearanceRecord;
}

export class SessionCore {
  readonly pool: CtiPool;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: CoreMetrics | undefined;
  readonly limits: SessionLimits;
  readonly recovery: SessionRecovery;
  private directoryValue = Directory.empty();
  private readonly sessions = new Set<CoreSession>();
  /** Open sessions by user ID (lower case), oldest first: the session itself while the user has
   *  one (the common case, with no Set of its own: docs/benchmarks.md, "Memory per session"), a
   *  Set from the second on. Read through `sessionsOfUser`. */
  private readonly byUser = new Map<string, CoreSession | Set<CoreSession>>();
  private readonly byConnection = new Map<CtiConnection, Set<CoreSession>>();
  private sequence = 0;
  private directoryWaiters: (() => void)[] = [];
  private readonly unsubscribeDirectory: () => void;
  private readonly upListeners = new Set<(connection: CtiConnection) => void>();
  private disposed = false;

  constructor(private readonly options: SessionCoreOptions) {
    this.pool = options.pool;
    this.clock = options.clock;
    this.log = options.logger.child({ component: 'session-core' });
    this.metrics = options.metrics;
    this.limits = options.limits ?? DEFAULT_SESSION_LIMITS;
    this.recovery = options.sessionRecovery ?? 'transparent';
    this.unsubscribeDirectory = options.directory.onSnapshot((snapshot) => this.receiveDirectory(snapshot));
    const current = options.directory.current();
    if (current !== undefined) this.receiveDirectory(current);
  }

  get directory(): Directory {
    return this.directoryValue;
  }
  /** The provider the directory comes from. */
  get directoryProvider(): DirectoryProvider {
    return this.options.directory;
  }
  get sessionCount(): number {
    return this.sessions.size;
  }
  allSessions(): IterableIterator<CoreSession> {
    return this.sessions.values();
  }

  /** CTI monitors held by the user's sessions, all faces together. */
  monitorsOfUser(userId: string): number {
    let n = 0;
    for (const session of this.sessionsOfUser(userId.toLowerCase())) n += session.monitorCount;
    return n;
  }

  private sessionsOfUser(userKey: string): ReadonlySet<CoreSession> | readonly CoreSession[] {
    const mine = this.byUser.get(userKey);
    return mine === undefined ? [] : mine instanceof Set ? mine : [mine];
  }

  /**
   * users.maxSessionsPerUser: at the limit, the oldest session whose client is gone makes room
   * (a client that restarted without BYE, over TCP, leaves a dialog until its session timer);
   * otherwise the new session is refused.
   */
  private admit(user: DirectoryUser): Result<void> {
    const mine = this.sessionsOfUser(user.id.toLowerCase());
    const limit = this.limits.maxSessionsPerUser;
    if (('size' in mine ? mine.size : mine.length) < limit) return ok(undefined);
    for (const session of mine) {
      if (session.face.isAbandoned?.(session) !== true) continue;
      this.log.info(
        { session: session.id, user: user.id, limit },
        'session ended to make room: its client is gone and the user opened a new one',
      );
      void session.close('replaced by a new session of the same user (its client was gone)');
      return ok(undefined);
    }
    this.metrics?.limitRefused('users.maxSessionsPerUser');
    return err(
      refusal(
        ErrorCode.LimitExceeded,
        `user ${user.id} already has ${limit} open sessions (users.maxSessionsPerUser)`,
        cstaError('systemResourceAvailibility', 'generic'),
      ),
    );
  }

  /** Subscribe to "a CTI connection came up" (faces use it to recover). */
  onConnectionUp(listener: (connection: CtiConnection) => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  // ------------------------------------------------------------------ directory

  /** Loads the directory from its provider now (a refresh on demand; concurrent calls share one
   *  load). The provider keeps the last good directory when a load fails or is refused, and the
   *  core takes only what it accepts (docs/directory.md §2). */
  async loadDirectory(): Promise<void> {
    if (this.disposed) return;
    await this.options.directory.load();
  }

  /** A snapshot the provider accepted: the new indexes, then the sessions checked against them. */
  private receiveDirectory(snapshot: DirectorySnapshot): void {
    if (this.disposed) return;
    const first = this.directoryValue.loadedAt === 0;
    this.directoryValue = new Directory(
      snapshot.users,
      snapshot.devices,
      snapshot.meta.loadedAt,
      snapshot.meta.source,
    );
    for (const waiter of this.directoryWaiters) waiter();
    this.directoryWaiters = [];
    if (!first) void this.revalidateSessions();
  }

  /** Resolves once a directory has been loaded, or after `timeoutMs`. */
  whenDirectoryReady(timeoutMs: number): Promise<boolean> {
    if (this.directoryValue.loadedAt !== 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.directoryWaiters = this.directoryWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        this.clock.clearTimeout(timer);
        resolve(true);
      };
      this.directoryWaiters.push(done);
    });
  }

  /** After a reload: a user who lost the licence or the appearance loses the session. */
  private async revalidateSessions(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const session of this.sessions) {
      const user = this.directoryValue.userById(session.user.id);
      if (
        user === undefined ||
        user.licence === null ||
        !this.directoryValue.userOwnsAppearance(user, session.appearance.id)
      ) {
        this.log.warn(
          { session: session.id, user: session.user.id },
          'session closed: user no longer licensed or no longer owns the line',
        );
        closing.push(session.close('authorization revoked by a directory change'));
      }
    }
    await Promise.all(closing);
  }

  // ------------------------------------------------------------------ authorization

  /** Licence check (Cisco: only users assigned IM and Presence — UCL or CUWL — may use RCC). */
  authorizeUser(user: DirectoryUser): Result<void> {
    if (user.licence === null)
      return err(
        refusal(
          ErrorCode.NotLicensed,
          `user ${user.id} has no IM and Presence licence (UCL or CUWL) and may not use remote call control`,
          cstaError('security', 'generic'),
        ),
      );
    return ok(undefined);
  }

  /** The device must be one of the user's own line appearances, on a device CTI may control. */
  authorizeDevice(user: DirectoryUser, deviceId: string): Result<void> {
    const appearance = this.directoryValue.appearances.get(deviceId);
    if (appearance === undefined)
      return err(
        refusal(
          ErrorCode.UnknownLine,
          `${deviceId} is not a known line appearance`,
          cstaError('operation', 'invalidDeviceID'),
        ),
      );
    if (!user.controlledDevices.includes(appearance.device.name))
      return err(
        refusal(
          ErrorCode.LineNotOwned,
          `line appearance ${deviceId} does not belong to user ${user.id}`,
          cstaError('operation', 'privilegeViolationSpecifiedDevice'),
        ),
      );
    if (!appearance.device.ctiAllowed)
      return err(
        refusal(
          ErrorCode.CtiControlDisallowed,
          `CTI control is not allowed on device ${appearance.device.name}`,
          cstaError('operation', 'privilegeViolationSpecifiedDevice'),
        ),
      );
    return ok(undefined);
  }

  /**
   * Resolves a session-initiating request: the user (licensed) and the appearance of the
   * requested line on one of the user's devices. A shared line may appear on several of the
   * user's devices; a CTI-controllable one is preferred, in the user's device order.
   */
  authorizeLine(
    user: DirectoryUser,
    dn: string,
    partition: string | undefined,
  ): Result<SessionAuthorization> {
    const licensed = this.authorizeUser(user);
    if (!licensed.ok) return licensed;
    const lines =
      partition !== undefined
        ? [this.directoryValue.findLine(dn, partition)].filter((l) => l !== undefined)
        : this.directoryValue.linesWithDn(dn);
    if (lines.length === 0)
      return err(
        refusal(
          ErrorCode.UnknownLine,
          `line ${dn}${partition === undefined ? '' : ` in partition ${partition}`} is not in the directory`,
          cstaError('operation', 'invalidDeviceID'),
        ),
      );
    const mine = this.directoryValue.appearancesOfUser(user).filter((a) => lines.includes(a.line));
    if (mine.length === 0)
      return err(
        refusal(
          ErrorCode.LineNotOwned,
          `line ${dn}${partition === undefined ? '' : ` (${partition})`} is not associated with user ${user.id}`,
          cstaError('operation', 'privilegeViolationSpecifiedDevice'),
        ),
      );
    const controllable = mine.find((a) => a.device.ctiAllowed);
    if (controllable === undefined) {
      const device = (mine[0] as AppearanceRecord).device.name;
      return err(
        refusal(
          ErrorCode.CtiControlDisallowed,
          `CTI control is not allowed on device ${device}`,
          cstaError('operation', 'privilegeViolationSpecifiedDevice'),
        ),
      );
    }
    return ok({ user, appearance: controllable });
  }

  // ------------------------------------------------------------------ sessions

  /** Opens a session on the next healthy CTI connection (round-robin). */
  openSession(authorization: SessionAuthorization, face: SessionFace): Result<CoreSession> {
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'gateway is shutting down'));
    const admitted = this.admit(authorization.user);
    if (!admitted.ok) return admitted;
    const connection = this.pool.pick();
    if (connection === undefined || connection.connectionId === undefined)
      return err(
        refusal(
          ErrorCode.NoHealthyCtiConnection,
          'no CTI Manager is available',
          cstaError('systemResourceAvailibility', 'resourceOutOfService'),
        ),
      );
    const session = new CoreSession(
      this,
      authorization.user,
      authorization.appearance,
      connection,
      connection.connectionId,
      face,
      ++this.sequence,
    );
    this.sessions.add(session);
    this.index(session, connection);
    const userKey = authorization.user.id.toLowerCase();
    const mine = this.byUser.get(userKey);
    if (mine === undefined) this.byUser.set(userKey, session);
    else if (mine instanceof Set) mine.add(session);
    else this.byUser.set(userKey, new Set([mine, session]));
    this.metrics?.sessionOpened();
    this.log.info(
      {
        session: session.id,
        user: authorization.user.id,
        line: authorization.appearance.id,
        cti: connection.addressText,
        connectionId: connection.connectionId,
      },
      'session opened',
    );
    return ok(session);
  }

  private index(session: CoreSession, connection: CtiConnection): void {
    let set = this.byConnection.get(connection);
    if (set === undefined) this.byConnection.set(connection, (set = new Set()));
    set.add(session);
  }

  /** Called by a session that moved connections. */
  moveSession(session: CoreSession, from: CtiConnection, to: CtiConnection): void {
    this.byConnection.get(from)?.delete(session);
    this.index(session, to);
  }

  /** Called by a session when it closes. */
  forget(session: CoreSession): void {
    if (!this.sessions.delete(session)) return;
    this.byConnection.get(session.connection)?.delete(session);
    const userKey = session.user.id.toLowerCase();
    const mine = this.byUser.get(userKey);
    if (mine === session) this.byUser.delete(userKey);
    else if (mine instanceof Set) {
      mine.delete(session);
      if (mine.size === 0) this.byUser.delete(userKey);
    }
    this.metrics?.sessionClosed();
    this.log.info({ session: session.id, user: session.user.id }, 'session closed');
  }

  // ------------------------------------------------------------------ CTI pool events

  connectionUp(connection: CtiConnection, connectionId: string): void {
    const bound = this.byConnection.get(connection);
    if (bound !== undefined) for (const session of [...bound]) session.connectionRestored(connectionId);
    if (this.options.moveSessionsOnFailure) this.moveOrphans();
    for (const listener of this.upListeners) listener(connection);
  }

  /** Up but answering no requests (docs/cti-link.md §3): its sessions fail fast, or move. */
  connectionDegraded(connection: CtiConnection): void {
    const bound = this.byConnection.get(connection);
    if (bound === undefined || bound.size === 0) return;
    this.log.warn(
      { cti: connection.addressText, sessions: bound.size, move: this.options.moveSessionsOnFailure },
      'CTI connection answers no requests under live sessions',
    );
    for (const session of [...bound]) session.connectionDegraded();
    if (this.options.moveSessionsOnFailure) this.moveOrphans();
  }

  /** A degraded connection answers again: its sessions (same connection ID) are active again. */
  connectionRestored(connection: CtiConnection): void {
    const id = connection.connectionId;
    if (id === undefined) return;
    const bound = this.byConnection.get(connection);
    if (bound !== undefined) for (const session of [...bound]) session.connectionRestored(id);
    if (this.options.moveSessionsOnFailure) this.moveOrphans();
    for (const listener of this.upListeners) listener(connection);
  }

  connectionDown(connection: CtiConnection): void {
    const bound = this.byConnection.get(connection);
    if (bound === undefined || bound.size === 0) return;
    this.log.warn(
      { cti: connection.addressText, sessions: bound.size, move: this.options.moveSessionsOnFailure },
      'CTI connection down under live sessions',
    );
    for (const session of [...bound]) session.connectionLost();
    if (this.options.moveSessionsOnFailure) this.moveOrphans();
  }

  /** Beyond Cisco: move every session whose connection is down to a healthy one. */
  private moveOrphans(): void {
    for (const session of this.sessions) {
      if (session.state === CoreSessionState.CtiDown || session.state === CoreSessionState.Stale) {
        session
          .rebind()
          .catch((cause: unknown) =>
            this.log.warn(
              { session: session.id, error: wrapError(cause).message },
              'could not move session yet',
            ),
          );
      }
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeDirectory();
    for (const waiter of this.directoryWaiters) waiter();
    this.directoryWaiters = [];
    await Promise.all([...this.sessions].map((s) => s.close('gateway shutting down')));
    this.upListeners.clear();
  }
}
