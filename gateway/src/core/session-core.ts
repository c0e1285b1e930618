// The session core: one place where users, licences, line appearances, CTI connections,
// monitors and authorization meet. Both faces use it — the Microsoft RCC face (SIP) and the
// desk API (the desktop app, in-process) — and both get the same rules and the same errors.
//
// A CoreSession belongs to one user and controls one line appearance, bound to the CTI
// connection it started on (round-robin, DESIGN §5). Everything it sends to and receives from
// the CTI Manager is in CTI form (device IDs `<device>/<dn>/<partition>`, docs/cti-link.md §5);
// faces translate to their own forms.
import type { CstaEvent, CstaMessageOf, CstaRequest, CstaRequestType, CstaResponse } from '../csta/index.js';
import { responseTypeOf } from '../csta/index.js';
import type { CtiConnection } from '../cti/cti-connection.js';
import type { CtiPool } from '../cti/cti-pool.js';
import type { DirectoryUser } from '../cti/directory-codec.js';
import { DesklineError, ErrorCode, wrapError } from '../util/errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { err, ok, type Result } from '../util/result.js';
import { Directory, type AppearanceRecord, type UserIdentityMode } from './directory.js';
import { refusal } from './csta-errors.js';
import { cstaError } from '../csta/index.js';

export const CoreSessionState = {
  /** Bound to a CTI connection that is up with the connection ID the session started on. */
  Active: 'active',
  /** Its CTI connection is down: requests fail fast with a CSTA error. */
  CtiDown: 'ctiDown',
  /** Its CTI connection came back with a new connection ID: monitors are gone; the face must
   *  have the client re-establish (Cisco: in-session INFO refused, the client re-INVITEs). */
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

const KNOWN_CALLS_LIMIT = 64;

export class CoreSession {
  readonly id: string;
  private stateValue: CoreSessionState = CoreSessionState.Active;
  private connectionValue: CtiConnection;
  private boundConnectionIdValue: string;
  private readonly monitors = new Map<string, MonitorEntry>();
  /** Calls the session's device takes part in (learned from events and responses): a
   *  connection of another party may be addressed only within one of these. */
  private readonly knownCalls = new Set<string>();
  private rebinding: Promise<void> | undefined;
  private nextMonitor = 1;
  readonly openedAt: number;

  constructor(
    private readonly core: SessionCore,
    readonly user: DirectoryUser,
    readonly appearance: AppearanceRecord,
    connection: CtiConnection,
    connectionId: string,
    private readonly face: SessionFace,
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

  /** Waits for a rebind in progress (moveSessionsOnFailure), then checks usability. */
  private async ready(): Promise<CtiConnection> {
    if (this.rebinding !== undefined) await this.rebinding.catch(() => undefined);
    const usable = this.usable();
    if (!usable.ok) throw usable.error;
    return usable.value;
  }

  // ------------------------------------------------------------------ monitors (ECMA-269 §13.1)

  /** MonitorStart on one of the user's own appearances; resolves with the face's cross-reference ID. */
  async monitorStart(deviceId: string): Promise<string> {
    const check = this.core.authorizeDevice(this.user, deviceId);
    if (!check.ok) throw check.error;
    const connection = await this.ready();
    const response = await connection.request(
      { type: 'MonitorStart', monitorObject: { deviceObject: deviceId } },
      'MonitorStartResponse',
    );
    const faceId = `${this.id}m${(this.nextMonitor++).toString(36)}`;
    const entry: MonitorEntry = { faceId, deviceId, ctiId: response.monitorCrossRefID };
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
    this.monitors.set(faceId, entry);
    connection.registerMonitor(response.monitorCrossRefID, (event) => this.receiveEvent(entry, event));
    return faceId;
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

  private receiveEvent(entry: MonitorEntry, event: CstaEvent): void {
    if (this.stateValue === CoreSessionState.Closed) return;
    this.learnCalls(event);
    this.face.onCtiEvent(this, { ...event, monitorCrossRefID: entry.faceId } as CstaEvent);
  }

  // The helpers below are methods, not closures made on every call: the service runs under tsx,
  // whose esbuild keepNames wraps each named closure in __name() at creation — a few per request
  // added up to ~3 % of the gateway's CPU (docs/benchmarks.md, "Profile findings").

  /** Remembers a call the session's device takes part in; the oldest is forgotten past the limit. */
  private rememberCall(callID: string | undefined): void {
    if (callID === undefined) return;
    if (this.knownCalls.has(callID)) return;
    this.knownCalls.add(callID);
    if (this.knownCalls.size > KNOWN_CALLS_LIMIT)
      this.knownCalls.delete(this.knownCalls.values().next().value as string);
  }

  private learnCalls(event: CstaEvent): void {
    for (const value of Object.values(event)) {
      if (value !== null && typeof value === 'object' && 'callID' in value)
        this.rememberCall((value as { callID?: string }).callID);
    }
    if (event.type === 'TransferedEvent' || event.type === 'ConferencedEvent') {
      const list =
        event.type === 'TransferedEvent' ? event.transferredConnections : event.conferenceConnections;
      for (const item of list) this.rememberCall(item.newConnection?.callID);
    }
  }

  // ------------------------------------------------------------------ call control

  /** Forwards a call-control / logical-device request (CTI form) after authorization. */
  async request(message: ForwardedRequest): Promise<CstaResponse> {
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
      const response = (await connection.request(
        message as CstaMessageOf<'MakeCall'>,
        responseTypeOf(message.type as 'MakeCall'),
      )) as CstaResponse;
      this.learnFromResponse(response);
      this.core.metrics?.requestCompleted(message.type, 'ok', this.core.clock.monotonic() - started);
      return response;
    } catch (cause) {
      const error = wrapError(cause, ErrorCode.CtiError);
      this.core.metrics?.requestCompleted(message.type, error.code, this.core.clock.monotonic() - started);
      throw error;
    }
  }

  private learnFromResponse(response: CstaResponse): void {
    // Bounded like the calls learned from events (a session that dials without a monitor never
    // sees the events that would push old calls out).
    if (response.type === 'MakeCallResponse') this.rememberCall(response.callingDevice.callID);
    else if (response.type === 'ConsultationCallResponse') this.rememberCall(response.initiatedCall.callID);
    else if (response.type === 'SingleStepTransferCallResponse' || response.type === 'TransferCallResponse')
      this.rememberCall(response.transferredCall.callID);
    else if (response.type === 'ConferenceCallResponse') this.rememberCall(response.conferenceCall.callID);
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

  /** A connection the request acts on: the user's own, or another party's within a known call. */
  private authorizeConnection(
    type: string,
    c: { callID?: string; deviceID?: string },
    what: string,
  ): Result<void> {
    if (c.deviceID !== undefined && this.ownsDevice(c.deviceID))
      return this.core.authorizeDevice(this.user, c.deviceID);
    // Another party's connection (e.g. dropping a conference member): only within a call we are in.
    if (c.callID !== undefined && this.knownCalls.has(c.callID)) return ok(undefined);
    return err(
      refusal(
        ErrorCode.LineNotOwned,
        `${type}: ${what} is not a connection of ${this.user.id}'s own line`,
        cstaError('operation', 'privilegeViolationSpecifiedDevice'),
      ),
    );
  }

  /** "A session controls only the line appearances of its own user" (DESIGN §5). */
  private authorize(message: CstaRequest): Result<void> {
    const type = message.type;
    switch (message.type) {
      case 'MakeCall':
        return this.authorizeOwn(type, message.callingDevice, 'callingDevice');
      case 'AnswerCall':
        return this.authorizeConnection(type, message.callToBeAnswered, 'callToBeAnswered');
      case 'ClearConnection':
        return this.authorizeConnection(type, message.connectionToBeCleared, 'connectionToBeCleared');
      case 'ClearCall':
        return this.authorizeConnection(type, message.callToBeCleared, 'callToBeCleared');
      case 'HoldCall':
        return this.authorizeConnection(type, message.callToBeHeld, 'callToBeHeld');
      case 'RetrieveCall':
        return this.authorizeConnection(type, message.callToBeRetrieved, 'callToBeRetrieved');
      case 'ConsultationCall':
        return this.authorizeConnection(type, message.existingCall, 'existingCall');
      case 'SingleStepTransferCall':
        return this.authorizeConnection(type, message.activeCall, 'activeCall');
      case 'DeflectCall':
        return this.authorizeConnection(type, message.callToBeDiverted, 'callToBeDiverted');
      case 'GenerateDigits':
        return this.authorizeConnection(type, message.connectionToSendDigits, 'connectionToSendDigits');
      case 'TransferCall':
      case 'ConferenceCall':
      case 'AlternateCall':
      case 'ReconnectCall': {
        const held = this.authorizeConnection(type, message.heldCall, 'heldCall');
        return held.ok ? this.authorizeConnection(type, message.activeCall, 'activeCall') : held;
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

  /** The bound connection is up again, with `connectionId` (called by the core). */
  connectionRestored(connectionId: string): void {
    if (connectionId === this.boundConnectionIdValue) {
      if (this.stateValue === CoreSessionState.CtiDown) this.transition(CoreSessionState.Active);
      return;
    }
    if (this.stateValue === CoreSessionState.CtiDown)
      this.transition(CoreSessionState.Stale, 'CTI connection ID changed');
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
    const target = this.connectionValue.isUp ? this.connectionValue : this.core.pool.pick();
    if (target === undefined || target.connectionId === undefined) {
      throw refusal(
        ErrorCode.NoHealthyCtiConnection,
        'no CTI Manager is available',
        cstaError('systemResourceAvailibility', 'resourceOutOfService'),
      );
    }
    this.transition(CoreSessionState.Rebinding, `moving to ${target.addressText}`);
    const old = this.connectionValue;
    for (const entry of this.monitors.values())
      if (entry.ctiId !== undefined) old.unregisterMonitor(entry.ctiId);
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
    this.knownCalls.clear();
    this.transition(CoreSessionState.Closed, reason);
    this.core.forget(this);
    await Promise.all(stops);
  }
}

export interface CoreMetrics {
  requestCompleted(type: string, outcome: string, durationMs: number): void;
  sessionOpened(): void;
  sessionClosed(): void;
}

export interface SessionCoreOptions {
  pool: CtiPool;
  clock: Clock;
  logger: Logger;
  identity: UserIdentityMode;
  moveSessionsOnFailure: boolean;
  directoryRefreshMs: number;
  metrics?: CoreMetrics;
}

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
  private directoryValue = Directory.empty();
  private readonly sessions = new Set<CoreSession>();
  private readonly byConnection = new Map<CtiConnection, Set<CoreSession>>();
  private sequence = 0;
  private directoryTimer: TimerHandle | undefined;
  private directoryLoading: Promise<void> | undefined;
  private directoryWaiters: (() => void)[] = [];
  private readonly upListeners = new Set<(connection: CtiConnection) => void>();
  private disposed = false;

  constructor(private readonly options: SessionCoreOptions) {
    this.pool = options.pool;
    this.clock = options.clock;
    this.log = options.logger.child({ component: 'session-core' });
    this.metrics = options.metrics;
  }

  get directory(): Directory {
    return this.directoryValue;
  }
  get sessionCount(): number {
    return this.sessions.size;
  }
  allSessions(): IterableIterator<CoreSession> {
    return this.sessions.values();
  }

  /** Subscribe to "a CTI connection came up" (faces use it to recover). */
  onConnectionUp(listener: (connection: CtiConnection) => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  // ------------------------------------------------------------------ directory

  /** Loads the directory from the first connection that is up; keeps the previous one on failure. */
  loadDirectory(): Promise<void> {
    if (this.directoryLoading !== undefined) return this.directoryLoading;
    const connection = this.pool.firstUp();
    if (connection === undefined) return Promise.resolve();
    this.directoryLoading = (async () => {
      const started = this.clock.monotonic();
      try {
        const segments = await connection.loadDirectory();
        const users = segments.flatMap((s) => s.users);
        const devices = segments.flatMap((s) => s.devices);
        this.directoryValue = new Directory(
          users,
          devices,
          this.clock.now(),
          connection.connectionId ?? connection.addressText,
        );
        this.log.info(
          {
            ...this.directoryValue.size,
            segments: segments.length,
            ms: Math.round(this.clock.monotonic() - started),
            cti: connection.addressText,
          },
          'directory loaded',
        );
        for (const waiter of this.directoryWaiters) waiter();
        this.directoryWaiters = [];
        await this.revalidateSessions();
      } catch (cause) {
        this.log.warn(
          { error: wrapError(cause).message, cti: connection.addressText },
          'directory load failed; keeping the previous directory',
        );
      } finally {
        this.directoryLoading = undefined;
        this.scheduleDirectoryRefresh();
      }
    })();
    return this.directoryLoading;
  }

  private scheduleDirectoryRefresh(): void {
    if (this.disposed) return;
    this.clock.clearTimeout(this.directoryTimer);
    // Retry soon after a failure (empty directory), else at the configured refresh interval.
    const delay =
      this.directoryValue.loadedAt === 0
        ? Math.min(5000, this.options.directoryRefreshMs)
        : this.options.directoryRefreshMs;
    this.directoryTimer = this.clock.setTimeout(() => {
      this.directoryTimer = undefined;
      void this.loadDirectory();
    }, delay);
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
    this.metrics?.sessionClosed();
    this.log.info({ session: session.id, user: session.user.id }, 'session closed');
  }

  // ------------------------------------------------------------------ CTI pool events

  connectionUp(connection: CtiConnection, connectionId: string): void {
    const bound = this.byConnection.get(connection);
    if (bound !== undefined) for (const session of [...bound]) session.connectionRestored(connectionId);
    if (this.directoryValue.loadedAt === 0) void this.loadDirectory();
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
    this.clock.clearTimeout(this.directoryTimer);
    this.directoryTimer = undefined;
    for (const waiter of this.directoryWaiters) waiter();
    this.directoryWaiters = [];
    await Promise.all([...this.sessions].map((s) => s.close('gateway shutting down')));
    this.upListeners.clear();
  }
}
