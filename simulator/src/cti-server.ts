// The CTI Manager nodes of the simulator, on the wire (docs/cti-link.md is the contract).
//
//   CtiService   what every node shares: the cluster, the call model, the monitors of every
//                node, session and cross-reference IDs, credentials, and the fan-out of call
//                model events to every monitor of every affected device (on any node).
//   CtiNode      one TCP listener; can be stopped, started, frozen and thawed (docs/simulator.md).
//   ApplicationSession  one TCP connection = one ECMA-354 application session (the server side
//                of what the engine's CtiConnection is the client side of).
//
// Requests are answered before the events they cause (the model's events are held while a
// request is served), so a client always knows a call ID from its MakeCallResponse before the
// events that carry it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  CALL_CONTROL_EVENTS,
  CALL_CONTROL_SERVICES,
  cstaError,
  cstaNamespace,
  decodeCsta,
  editionOfNamespace,
  encodeCsta,
  isCstaRequest,
  roleOf,
  type ConnectionID,
  type CstaMessage,
  type CstaRequest,
  switchingFunctionDevicesMessage,
  segmentDirectory,
  clusterDirectory,
  mapDeviceIds,
  presentedLogin,
  CSTA_EDITIONS,
  type CstaXmlEdition,
  type LoginSpec,
  type DirectorySegment,
  encodeFrame,
  FrameDecoder,
  type Frame,
  EVENT_INVOKE_ID,
  InvokeIdAllocator,
  type Clock,
  type TimerHandle,
  DesklineError,
  ErrorCode,
  assert,
  assertNever,
  wrapError,
  type Logger,
  err,
  ok,
  type Result,
} from '../../gateway/src/protocol.js';
import {
  CallModelError,
  FORWARDING_TYPES,
  type CallModel,
  type CallModelEvent,
  type ConnectionRef,
  type ForwardingType,
} from './call-model.js';
import { callEventMessage, deviceEventMessage, RING_CYCLE_MS, ringCountOf } from './csta-events.js';
import type { ClusterModel } from './model.js';

/** Session timer when the client asks for none (seconds), and the bounds of what it may ask. */
export const DEFAULT_SESSION_DURATION_S = 60;
export const MIN_SESSION_DURATION_S = 5;
export const MAX_SESSION_DURATION_S = 3_600;
/** A connection that has not opened a session within this time is closed. */
export const SESSION_START_TIMEOUT_MS = 30_000;
/** Wrong credentials this many times on one connection: the connection is closed. */
export const MAX_FAILED_LOGINS = 3;
/** Monitors one session may hold (the gateway monitors every line of every signed-in user). */
export const MAX_MONITORS_PER_SESSION = 250_000;
/** A peer that lets this much output pile up is not reading: it is disconnected. */
export const MAX_PENDING_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Directory segments are written while less than this is waiting in the socket. */
const DIRECTORY_HIGH_WATER_BYTES = 1024 * 1024;

const ED3 = cstaNamespace('ed3');
/** Devices listed per SwitchingFunctionDevices segment in the standard profile (well under the
 *  frame limit with DN-sized IDs). */
const DEVICE_LIST_SEGMENT = 500;

/**
 * The dialect the nodes speak (docs/simulator.md §7, docs/cti-link.md §7):
 * - `deskline`: `dl:credentials`, `dl:directory`, devices named `<device>/<dn>/<partition>`;
 * - `standard`: nothing private — devices named by DN (a DN names its line's first appearance),
 *   the login in the configured form, the directory as `deviceList/device` only, and SystemStatus
 *   requests of the node's own every `systemStatusIntervalMs`, as OpenScape Voice and the Alcatel
 *   servers send them: a session that answers `systemStatusMissLimit` of them in a row with
 *   silence is closed.
 */
export interface SimulatorLinkProfile {
  readonly name: 'deskline' | 'standard';
  readonly login: LoginSpec;
  /** 0: the node sends no SystemStatus. */
  readonly systemStatusIntervalMs: number;
  readonly systemStatusMissLimit: number;
}

export const DESKLINE_SIMULATOR_PROFILE: SimulatorLinkProfile = Object.freeze({
  name: 'deskline',
  login: Object.freeze({ form: 'none', userElement: 'userName', passwordElement: 'password', extra: {} }),
  systemStatusIntervalMs: 0,
  systemStatusMissLimit: 2,
});

/** Alcatel-Lucent's servers ask every 30 s when the link is idle (docs/real-deployments.md §4). */
export const DEFAULT_SYSTEM_STATUS_INTERVAL_MS = 30_000;

// ---------------------------------------------------------------- monitors

export interface MonitorOwner {
  /** Sends an event (invoke ID 9999); dropped when the owner's node is frozen or the connection closing. */
  sendEvent(message: CstaMessage): void;
}

export interface Monitor {
  readonly crossRefId: string;
  readonly deviceId: string;
  readonly owner: MonitorOwner;
}

/** Monitors of every node, by device (event fan-out) and by cross-reference ID (MonitorStop). */
export class MonitorRegistry {
  private readonly byDevice = new Map<string, Set<Monitor>>();
  private readonly byId = new Map<string, Monitor>();

  add(monitor: Monitor): void {
    let set = this.byDevice.get(monitor.deviceId);
    if (set === undefined) this.byDevice.set(monitor.deviceId, (set = new Set()));
    set.add(monitor);
    this.byId.set(monitor.crossRefId, monitor);
  }

  remove(monitor: Monitor): void {
    this.byId.delete(monitor.crossRefId);
    const set = this.byDevice.get(monitor.deviceId);
    if (set === undefined) return;
    set.delete(monitor);
    if (set.size === 0) this.byDevice.delete(monitor.deviceId);
  }

  get(crossRefId: string): Monitor | undefined {
    return this.byId.get(crossRefId);
  }

  forDevice(deviceId: string): ReadonlySet<Monitor> | undefined {
    return this.byDevice.get(deviceId);
  }

  get size(): number {
    return this.byId.size;
  }
}

// ---------------------------------------------------------------- the shared service

export interface CtiServiceOptions {
  cluster: ClusterModel;
  model: CallModel;
  applicationUser: string;
  applicationPassword: string;
  logger: Logger;
  /** Default: the deskline profile. */
  profile?: SimulatorLinkProfile;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class CtiService {
  readonly cluster: ClusterModel;
  readonly model: CallModel;
  readonly monitors = new MonitorRegistry();
  private readonly logger: Logger;
  private readonly userDigest: Buffer;
  private readonly passwordDigest: Buffer;
  /** Session IDs are never reused: a random per-simulator prefix and a counter. */
  private readonly idPrefix = randomBytes(4).toString('hex');
  private sessionCounter = 0;
  private monitorCounter = 0;
  private serviceCrossRefCounter = 0;
  private holdDepth = 0;
  private held: CallModelEvent[] = [];
  private directoryCache: DirectorySegment[] | undefined;
  private deviceListCache: string[] | undefined;
  private registerCounter = 0;
  private readonly unsubscribe: () => void;
  readonly profile: SimulatorLinkProfile;

  constructor(options: CtiServiceOptions) {
    this.profile = options.profile ?? DESKLINE_SIMULATOR_PROFILE;
    this.cluster = options.cluster;
    this.model = options.model;
    this.logger = options.logger;
    this.userDigest = digest(options.applicationUser);
    this.passwordDigest = digest(options.applicationPassword);
    this.unsubscribe = this.model.subscribe((event) => this.receiveFromModel(event));
  }

  /** Constant-time on both fields: neither the user name nor the password leaks through timing. */
  checkCredentials(userName: string, password: string): boolean {
    const userOk = timingSafeEqual(digest(userName), this.userDigest);
    const passwordOk = timingSafeEqual(digest(password), this.passwordDigest);
    return userOk && passwordOk;
  }

  /**
   * The login a StartApplicationSession presents, checked as the profile says: the deskline
   * profile's `dl:credentials`; in the standard profile, nothing (`none`: the address is
   * trusted), the applicationID, or the configured credential block. Constant time on what is
   * compared. Returns the user name shown, for the log (never the password).
   */
  checkLogin(request: Extract<CstaRequest, { type: 'StartApplicationSession' }>): {
    ok: boolean;
    userName: string | undefined;
  } {
    if (this.profile.name === 'deskline') {
      const credentials = request.applicationInfo.applicationSpecificInfo?.credentials;
      return {
        ok: credentials !== undefined && this.checkCredentials(credentials.userName, credentials.password),
        userName: credentials?.userName,
      };
    }
    const presented = presentedLogin(request, this.profile.login);
    switch (this.profile.login.form) {
      case 'none':
        return { ok: true, userName: undefined };
      case 'applicationId': {
        const userName = presented?.userName ?? '';
        return { ok: timingSafeEqual(digest(userName), this.userDigest), userName };
      }
      case 'sessionLoginInfo':
      case 'custom':
        return {
          ok:
            presented !== undefined &&
            this.checkCredentials(presented.userName ?? '', presented.password ?? ''),
          userName: presented?.userName,
        };
      default:
        return assertNever(this.profile.login.form, 'login form');
    }
  }

  /** Standard profile: the cluster's device for a server device ID — a DN names the first
   *  appearance of its line; an appearance ID is taken as it is. Anything else passes unchanged
   *  (the model refuses an unknown device). */
  deviceForWire(id: string): string {
    if (this.profile.name === 'deskline') return id;
    if (this.cluster.appearance(id) !== undefined) return id;
    const destination = this.cluster.resolve(id);
    return destination.kind === 'line' ? (destination.line.appearances[0]?.id ?? id) : id;
  }

  /** Standard profile: the server's device ID of a cluster device — its line's DN. */
  wireForDevice(id: string): string {
    return this.cluster.appearance(id)?.line.dn ?? id;
  }

  /** Standard profile: every device the server lists (the lines' DNs, once each, in file order). */
  deviceList(): string[] {
    if (this.deviceListCache === undefined)
      this.deviceListCache = [
        ...new Set(this.cluster.lines.filter((l) => l.appearances.length > 0).map((l) => l.dn)),
      ];
    return this.deviceListCache;
  }

  newSysStatRegisterId(): string {
    return `ssr${++this.registerCounter}`;
  }

  newSessionId(): string {
    return `${this.idPrefix}-${(++this.sessionCounter).toString().padStart(6, '0')}`;
  }

  newMonitorCrossRefId(): string {
    return `m${++this.monitorCounter}`;
  }

  newServiceCrossRefId(): string {
    return `sfd${++this.serviceCrossRefCounter}`;
  }

  /** The directory in frame-sized segments, built on first use (the cluster never changes). The
   *  records are the cluster file's (clusterDirectory), as the `file` directory provider reads them. */
  directory(): DirectorySegment[] {
    if (this.directoryCache === undefined)
      this.directoryCache = segmentDirectory(clusterDirectory(this.cluster.validated));
    return this.directoryCache;
  }

  /**
   * Serves one request: `run` calls the model, `respond` writes the response; the events the
   * model reported meanwhile go out afterwards, to every monitor concerned.
   */
  serve<T>(run: () => T, respond: (result: T) => void): void {
    this.holdDepth++;
    try {
      respond(run());
    } finally {
      this.holdDepth--;
      if (this.holdDepth === 0 && this.held.length > 0) {
        const events = this.held;
        this.held = [];
        for (const event of events) this.dispatch(event);
      }
    }
  }

  dispose(): void {
    this.unsubscribe();
    this.held = [];
  }

  private receiveFromModel(event: CallModelEvent): void {
    if (this.holdDepth > 0) this.held.push(event);
    else this.dispatch(event);
  }

  /** docs/cti-link.md §6: every monitor of every affected device, with that monitor's cross reference. */
  private dispatch(event: CallModelEvent): void {
    try {
      if ('parties' in event) {
        for (const party of event.parties) {
          const monitors = this.monitors.forDevice(party.deviceId);
          if (monitors === undefined) continue;
          for (const m of monitors) m.owner.sendEvent(callEventMessage(event, m.crossRefId, party.state));
        }
      } else {
        for (const deviceId of event.devices) {
          const monitors = this.monitors.forDevice(deviceId);
          if (monitors === undefined) continue;
          for (const m of monitors) m.owner.sendEvent(deviceEventMessage(event, m.crossRefId, deviceId));
        }
      }
    } catch (cause) {
      this.logger.error({ err: wrapError(cause).message, event: event.type }, 'sim: event dispatch failed');
    }
  }
}

// ---------------------------------------------------------------- nodes

/** Node lifecycle (docs/simulator.md): running answers; frozen keeps sockets open and answers nothing;
 *  muted answers heartbeats and application-session requests only (docs/simulator.md §4). */
export const NodeState = {
  Stopped: 'stopped',
  Starting: 'starting',
  Running: 'running',
  Frozen: 'frozen',
  Muted: 'muted',
  Stopping: 'stopping',
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

const NODE_TRANSITIONS: Readonly<Record<NodeState, readonly NodeState[]>> = {
  stopped: ['starting'],
  starting: ['running', 'stopped'],
  running: ['frozen', 'muted', 'stopping'],
  frozen: ['running', 'stopping'],
  muted: ['running', 'stopping'],
  stopping: ['stopped'],
};

export interface NodeView {
  index: number;
  state: NodeState;
  host: string;
  /** The port it listens on (0 before the first start when any port was asked for). */
  port: number;
  /** `host:port`, what a gateway is configured with. */
  address: string;
  connections: number;
  sessions: number;
  monitors: number;
}

export interface CtiNodeOptions {
  index: number;
  host: string;
  /** 0 = any free port; kept across restarts once bound. */
  port: number;
  service: CtiService;
  clock: Clock;
  logger: Logger;
}

export class CtiNode {
  readonly index: number;
  readonly host: string;
  private _state: NodeState = NodeState.Stopped;
  private port: number;
  private server: Server | undefined;
  private readonly connections = new Set<ApplicationSession>();
  private readonly service: CtiService;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(options: CtiNodeOptions) {
    this.index = options.index;
    this.host = options.host;
    this.port = options.port;
    this.service = options.service;
    this.clock = options.clock;
    this.logger = options.logger.child({ node: options.index });
  }

  get state(): NodeState {
    return this._state;
  }

  get frozen(): boolean {
    return this._state === NodeState.Frozen;
  }

  get muted(): boolean {
    return this._state === NodeState.Muted;
  }

  view(): NodeView {
    let sessions = 0;
    let monitors = 0;
    for (const c of this.connections) {
      if (c.hasSession) sessions++;
      monitors += c.monitorCount;
    }
    return {
      index: this.index,
      state: this._state,
      host: this.host,
      port: this.port,
      address: formatAddress(this.host, this.port),
      connections: this.connections.size,
      sessions,
      monitors,
    };
  }

  /** Listens again on the same port as before (a gateway keeps its configured address). */
  async start(): Promise<Result<NodeView>> {
    if (this.serving()) return ok(this.view());
    if (this._state !== NodeState.Stopped) return err(this.busy('start'));
    this.transition(NodeState.Starting);
    const server = createServer({ noDelay: true });
    server.on('connection', (socket) => this.accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.host, port: this.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (cause) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.transition(NodeState.Stopped);
      return err(
        wrapError(
          cause,
          ErrorCode.Internal,
          `CTI node ${this.index} cannot listen on ${formatAddress(this.host, this.port)}`,
        ),
      );
    }
    server.on('error', (cause) =>
      this.logger.error({ err: wrapError(cause).message }, 'sim: listener error'),
    );
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.server = server;
    this.transition(NodeState.Running);
    this.logger.info({ address: formatAddress(this.host, this.port) }, 'sim: CTI node listening');
    return ok(this.view());
  }

  /** Closes the listener and every connection; their sessions and monitors are released. */
  async stop(): Promise<Result<NodeView>> {
    if (this._state === NodeState.Stopped) return ok(this.view());
    if (!this.serving()) return err(this.busy('stop'));
    this.transition(NodeState.Stopping);
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.connections]) c.close('node stopped', true);
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.transition(NodeState.Stopped);
    this.logger.info({}, 'sim: CTI node stopped');
    return ok(this.view());
  }

  /** Stops answering anything, heartbeats included; sockets stay open, new ones are accepted but never served. */
  freeze(): Result<NodeView> {
    if (this._state === NodeState.Frozen) return ok(this.view());
    if (this._state !== NodeState.Running) return err(this.wrongState('freeze', 'it is not running'));
    this.transition(NodeState.Frozen);
    for (const c of this.connections) c.freeze();
    this.logger.info({}, 'sim: CTI node frozen');
    return ok(this.view());
  }

  thaw(): Result<NodeView> {
    if (this._state === NodeState.Running) return ok(this.view());
    if (this._state !== NodeState.Frozen) return err(this.wrongState('thaw', 'it is not frozen'));
    this.transition(NodeState.Running);
    for (const c of this.connections) c.thaw();
    this.logger.info({}, 'sim: CTI node thawed');
    return ok(this.view());
  }

  /** Answers heartbeats (and application-session requests) but no other request, and sends no
   *  events: a CTI Manager whose call-control side hangs while its session layer lives on. */
  muteRequests(): Result<NodeView> {
    if (this._state === NodeState.Muted) return ok(this.view());
    if (this._state !== NodeState.Running) return err(this.wrongState('mute requests', 'it is not running'));
    this.transition(NodeState.Muted);
    for (const c of this.connections) c.setMuted(true);
    this.logger.info({}, 'sim: CTI node answers heartbeats only');
    return ok(this.view());
  }

  unmuteRequests(): Result<NodeView> {
    if (this._state === NodeState.Running) return ok(this.view());
    if (this._state !== NodeState.Muted) return err(this.wrongState('unmute requests', 'it is not muted'));
    this.transition(NodeState.Running);
    for (const c of this.connections) c.setMuted(false);
    this.logger.info({}, 'sim: CTI node answers requests again');
    return ok(this.view());
  }

  /** Listening: running, frozen or muted. */
  private serving(): boolean {
    return (
      this._state === NodeState.Running || this._state === NodeState.Frozen || this._state === NodeState.Muted
    );
  }

  async dispose(): Promise<void> {
    // A start or stop in progress finishes first (listen and close always complete).
    for (
      let turns = 0;
      (this._state === NodeState.Starting || this._state === NodeState.Stopping) && turns < 10_000;
      turns++
    )
      await new Promise<void>((resolve) => setImmediate(resolve));
    await this.stop();
  }

  /** Called by a connection once it is closed. */
  forget(connection: ApplicationSession): void {
    this.connections.delete(connection);
  }

  /** The one guarded state change of a node. */
  private transition(to: NodeState): void {
    assert(
      NODE_TRANSITIONS[this._state].includes(to),
      `CTI node ${this.index}: ${this._state} -> ${to} is not a legal transition`,
    );
    this._state = to;
  }

  private accept(socket: Socket): void {
    if (!this.serving()) {
      socket.destroy();
      return;
    }
    const connection = new ApplicationSession({
      node: this,
      socket,
      service: this.service,
      clock: this.clock,
      logger: this.logger,
      frozen: this.frozen,
    });
    if (this.muted) connection.setMuted(true);
    this.connections.add(connection);
  }

  private busy(what: string): DesklineError {
    return new DesklineError(
      ErrorCode.InvalidState,
      `CTI node ${this.index} cannot ${what} while ${this._state}`,
      { detail: { node: this.index, state: this._state } },
    );
  }

  private wrongState(what: string, why: string): DesklineError {
    return new DesklineError(
      ErrorCode.InvalidState,
      `CTI node ${this.index} cannot ${what}: ${why} (${this._state})`,
      { detail: { node: this.index, state: this._state } },
    );
  }
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// ---------------------------------------------------------------- connections (application sessions)

/** ECMA-354 application session on one connection (docs/cti-link.md §3). */
const SessionState = {
  AwaitingSession: 'awaitingSession',
  Active: 'active',
  Closed: 'closed',
} as const;
type SessionState = (typeof SessionState)[keyof typeof SessionState];

const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  awaitingSession: ['active', 'closed'],
  active: ['closed'],
  closed: [],
};

interface ApplicationSessionOptions {
  node: CtiNode;
  socket: Socket;
  service: CtiService;
  clock: Clock;
  logger: Logger;
  frozen: boolean;
}

class ApplicationSession implements MonitorOwner {
  private state: SessionState = SessionState.AwaitingSession;
  private sessionId: string | undefined;
  private sessionDurationS = DEFAULT_SESSION_DURATION_S;
  /** Session-start timeout, then the session timer. */
  private timer: TimerHandle | undefined;
  private frozen = false;
  /** Heartbeats only (NodeState.Muted). */
  private muted = false;
  private corked = false;
  private failedLogins = 0;
  /** The ECMA-323 edition written (standard profile: the one the client asked for or spoke). */
  private edition: CstaXmlEdition = 'ed3';
  /** Standard profile: the node's own SystemStatus requests (invoke ID awaiting its answer). */
  private statusTimer: TimerHandle | undefined;
  private statusPending: number | undefined;
  private statusMisses = 0;
  private readonly decoder = new FrameDecoder();
  private readonly invokeIds = new InvokeIdAllocator();
  private readonly monitors = new Set<Monitor>();
  private readonly node: CtiNode;
  private readonly socket: Socket;
  private readonly service: CtiService;
  private readonly clock: Clock;
  private logger: Logger;

  constructor(options: ApplicationSessionOptions) {
    this.node = options.node;
    this.socket = options.socket;
    this.service = options.service;
    this.clock = options.clock;
    this.logger = options.logger.child({
      peer: `${options.socket.remoteAddress ?? '?'}:${options.socket.remotePort ?? '?'}`,
    });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.receiveFromTransport(chunk));
    this.socket.on('error', (cause) => this.logger.debug({ err: cause.message }, 'sim: socket error'));
    this.socket.on('close', () => this.close('peer closed', false));
    this.armTimer(SESSION_START_TIMEOUT_MS, () => this.close('no application session started in time', true));
    if (options.frozen) this.freeze();
  }

  get hasSession(): boolean {
    return this.state === SessionState.Active;
  }

  get monitorCount(): number {
    return this.monitors.size;
  }

  /** A method, not a comparison: TypeScript keeps a narrowed `this.state` across calls that change it. */
  private isClosed(): boolean {
    return this.state === SessionState.Closed;
  }

  freeze(): void {
    if (this.state === SessionState.Closed) return;
    this.frozen = true;
    // A hung process reads nothing: what the peer sends waits in the socket until thawed.
    this.socket.pause();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.clock.clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
  }

  thaw(): void {
    if (this.state === SessionState.Closed) return;
    this.frozen = false;
    if (this.state === SessionState.Active) {
      this.armSessionTimer();
      this.armStatusTimer();
    } else
      this.armTimer(SESSION_START_TIMEOUT_MS, () =>
        this.close('no application session started in time', true),
      );
    this.socket.resume();
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  sendEvent(message: CstaMessage): void {
    if (this.frozen || this.muted || this.state !== SessionState.Active) return;
    this.send(EVENT_INVOKE_ID, message);
  }

  /** Releases the session (monitors included) and the socket. `destroy` = the server drops it. */
  close(reason: string, destroy: boolean): void {
    if (this.state === SessionState.Closed) return;
    this.transition(SessionState.Closed);
    this.logger.debug({ reason, sessionId: this.sessionId }, 'sim: connection closed');
    if (destroy) this.socket.destroy();
    this.node.forget(this);
  }

  /** The one guarded state change of a session; owns its timers and its monitors. */
  private transition(to: SessionState): void {
    assert(
      SESSION_TRANSITIONS[this.state].includes(to),
      `CTI session: ${this.state} -> ${to} is not a legal transition`,
    );
    this.state = to;
    switch (to) {
      case SessionState.Active:
        this.armSessionTimer();
        this.armStatusTimer();
        break;
      case SessionState.Closed:
        this.clock.clearTimeout(this.timer);
        this.timer = undefined;
        this.clock.clearTimeout(this.statusTimer);
        this.statusTimer = undefined;
        for (const m of this.monitors) this.service.monitors.remove(m);
        this.monitors.clear();
        this.decoder.dispose();
        this.invokeIds.dispose();
        break;
      case SessionState.AwaitingSession:
        break;
      default:
        assertNever(to, 'session state');
    }
  }

  private armTimer(ms: number, action: () => void): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      action();
    }, ms);
  }

  /** ECMA-354 session timer: reset by every request; on expiry the server ends the session. */
  private armSessionTimer(): void {
    this.armTimer(this.sessionDurationS * 1000, () => this.expire());
  }

  /** Standard profile: the node's SystemStatus every interval, as a real server's heartbeat. The
   *  previous one still unanswered is a miss; at the limit the peer is taken for gone. */
  private armStatusTimer(): void {
    const profile = this.service.profile;
    if (profile.name !== 'standard' || profile.systemStatusIntervalMs <= 0) return;
    this.clock.clearTimeout(this.statusTimer);
    this.statusTimer = this.clock.setTimeout(() => {
      this.statusTimer = undefined;
      if (this.state !== SessionState.Active || this.frozen) return;
      if (this.statusPending !== undefined) {
        this.invokeIds.release(this.statusPending);
        this.statusPending = undefined;
        this.statusMisses++;
        this.logger.info({ misses: this.statusMisses }, 'sim: SystemStatus unanswered');
        if (this.statusMisses >= profile.systemStatusMissLimit) {
          this.uncork();
          this.close('the application answered no SystemStatus', true);
          return;
        }
      }
      const id = this.invokeIds.tryNext();
      if (id.ok) {
        this.statusPending = id.value;
        this.send(id.value, { type: 'SystemStatus', systemStatus: 'normal' });
      }
      this.armStatusTimer();
    }, profile.systemStatusIntervalMs);
  }

  /** An answer from the client to one of the node's requests. */
  private receiveAnswer(invokeId: number, type: string): void {
    this.invokeIds.release(invokeId);
    if (invokeId === this.statusPending) {
      // Any answer, a CSTAErrorCode included, shows the application is there.
      this.statusPending = undefined;
      this.statusMisses = 0;
      if (type !== 'SystemStatusResponse')
        this.logger.debug({ type }, 'sim: SystemStatus answered with something else');
    }
  }

  private expire(): void {
    if (this.state !== SessionState.Active || this.sessionId === undefined) return;
    this.logger.info({ sessionId: this.sessionId }, 'sim: application session timer expired');
    const id = this.invokeIds.tryNext();
    if (id.ok)
      this.send(id.value, {
        type: 'StopApplicationSession',
        sessionID: this.sessionId,
        // ECMA-354 defines only `normal`; any other reason is `appEndReason` text.
        sessionEndReason: { appEndReason: 'sessionTimerExpired' },
      });
    this.uncork();
    // Flush what is written, then close whatever the peer does (a half-open peer must not pin the socket).
    this.socket.destroySoon();
    this.close('session timer expired', false);
  }

  // ------------------------------------------------------------ input

  private receiveFromTransport(chunk: Buffer): void {
    if (this.state === SessionState.Closed) return;
    const frames = this.decoder.push(chunk);
    if (!frames.ok) {
      // docs/cti-link.md §1: a corrupt header is unrecoverable on a stream.
      this.logger.warn(
        { err: frames.error.message, code: frames.error.code },
        'sim: corrupt frame, closing the connection',
      );
      this.close('corrupt frame', true);
      return;
    }
    for (const frame of frames.value) {
      if (this.isClosed()) return;
      try {
        this.receiveFrame(frame);
      } catch (cause) {
        // A bug in a service must not take the node down: answer what we can and log it.
        this.logger.error(
          { err: wrapError(cause).message, invokeId: frame.invokeId },
          'sim: request handling failed',
        );
        if (!frame.isEvent && !this.isClosed()) this.send(frame.invokeId, cstaError('unspecified', ''));
      }
    }
  }

  private receiveFrame(frame: Frame): void {
    const decoded = decodeCsta(frame.payload);
    if (!decoded.ok) {
      // The frame was well formed, only its document is not: answer it and carry on.
      this.logger.warn(
        { err: decoded.error.message, code: decoded.error.code, invokeId: frame.invokeId },
        'sim: undecodable request',
      );
      if (!frame.isEvent) this.send(frame.invokeId, cstaError('operation', 'generic'));
      return;
    }
    const message = decoded.value.message;
    const role = roleOf(message.type);
    switch (role) {
      case 'response':
        // Answers to StopApplicationSession (no action) and, in the standard profile, to the
        // node's SystemStatus. Any message from the client keeps its session alive.
        if (this.state === SessionState.Active && !this.frozen) this.armSessionTimer();
        this.receiveAnswer(frame.invokeId, message.type);
        return;
      case 'event':
        this.logger.debug({ type: message.type }, 'sim: ignoring an event sent by the client');
        return;
      case 'request':
        if (frame.isEvent || !isCstaRequest(message)) {
          this.logger.warn({ type: message.type }, 'sim: request on the event invoke ID 9999 ignored');
          return;
        }
        this.receiveRequest(frame.invokeId, message, decoded.value.edition);
        return;
      default:
        assertNever(role, 'message role');
    }
  }

  private receiveRequest(invokeId: number, request: CstaRequest, edition: string): void {
    const profile = this.service.profile;
    if (
      this.state === SessionState.AwaitingSession &&
      request.type !== 'StartApplicationSession' &&
      profile.name === 'standard' &&
      profile.login.form === 'none'
    ) {
      // A server that trusts the address needs no application session: the link is served at
      // once (docs/cti-link.md §7), answering in the edition the client speaks.
      if (isCstaXmlEdition(edition)) this.edition = edition;
      this.sessionId = this.service.newSessionId();
      this.logger = this.logger.child({ sessionId: this.sessionId });
      this.transition(SessionState.Active);
      this.logger.info({}, 'sim: link served without an application session (trusted address)');
    }
    if (this.state === SessionState.AwaitingSession) {
      if (request.type === 'StartApplicationSession') return this.startSession(invokeId, request);
      this.logger.warn({ type: request.type }, 'sim: request before an application session, refused');
      if (request.type === 'ResetApplicationSessionTimer')
        return this.send(invokeId, {
          type: 'ResetApplicationSessionTimerNegResponse',
          errorCode: { definedError: 'invalidSessionID' },
        });
      if (request.type === 'StopApplicationSession')
        return this.send(invokeId, {
          type: 'StopApplicationSessionNegResponse',
          errorCode: { definedError: 'invalidSessionID' },
        });
      return this.send(invokeId, cstaError('security', 'generic'));
    }
    if (this.isClosed()) return;
    // docs/cti-link.md §3: any request resets the session timer.
    this.armSessionTimer();
    if (this.muted && !HEARTBEAT_AND_SESSION_REQUESTS.has(request.type)) {
      // A hung call-control side: the request is swallowed, never answered, never executed.
      this.logger.debug({ type: request.type, invokeId }, 'sim: muted node swallowed a request');
      return;
    }
    this.serveRequest(invokeId, request);
  }

  private startSession(
    invokeId: number,
    request: Extract<CstaRequest, { type: 'StartApplicationSession' }>,
  ): void {
    const login = this.service.checkLogin(request);
    if (!login.ok) {
      this.failedLogins++;
      // Never the password; the user name helps whoever configures the gateway.
      this.logger.warn(
        { userName: login.userName, attempt: this.failedLogins, form: this.service.profile.login.form },
        'sim: application session refused: bad credentials',
      );
      this.send(invokeId, {
        type: 'StartApplicationSessionNegResponse',
        errorCode: { definedError: 'invalidApplicationInfo' },
      });
      if (this.failedLogins >= MAX_FAILED_LOGINS) {
        this.uncork();
        this.socket.destroySoon();
        this.close('too many failed logins', false);
      }
      return;
    }
    const versions = request.requestedProtocolVersions;
    const csta = versions.filter((v) => {
      const edition = editionOfNamespace(v);
      return edition !== 'unknown' && edition !== 'ecma354';
    });
    if (csta.length === 0) {
      this.send(invokeId, {
        type: 'StartApplicationSessionNegResponse',
        errorCode: { definedError: 'requestedProtocolVersionNotSupported' },
      });
      return;
    }
    // The deskline profile writes ed3 (what its gateway asks for); the standard profile writes the
    // edition the client asked for first.
    const first = editionOfNamespace(csta[0] as string);
    const chosen =
      this.service.profile.name === 'standard' && isCstaXmlEdition(first)
        ? (csta[0] as string)
        : csta.includes(ED3)
          ? ED3
          : (csta[0] as string);
    if (this.service.profile.name === 'standard' && isCstaXmlEdition(first)) this.edition = first;
    const requested = request.requestedSessionDuration ?? DEFAULT_SESSION_DURATION_S;
    this.sessionDurationS = Math.min(MAX_SESSION_DURATION_S, Math.max(MIN_SESSION_DURATION_S, requested));
    this.sessionId = this.service.newSessionId();
    this.logger = this.logger.child({ sessionId: this.sessionId });
    this.transition(SessionState.Active);
    this.logger.info(
      { applicationID: request.applicationInfo.applicationID, durationS: this.sessionDurationS },
      'sim: application session started',
    );
    this.send(invokeId, {
      type: 'StartApplicationSessionPosResponse',
      sessionID: this.sessionId,
      actualProtocolVersion: chosen,
      actualSessionDuration: this.sessionDurationS,
    });
  }

  /** Every request once a session exists. */
  private serveRequest(invokeId: number, request: CstaRequest): void {
    const model = this.service.model;
    // Standard profile: the devices a request acts on are named by DN on the wire; the numbers it
    // dials (calledDirectoryNumber, consultedDevice, transferredTo, …) are numbers either way.
    const dev = (id: string): string => this.service.deviceForWire(id);
    const ref = (c: ConnectionID): ConnectionRef => ({
      callId: c.callID ?? '',
      deviceId: dev(c.deviceID ?? ''),
    });
    switch (request.type) {
      case 'StartApplicationSession':
        return this.send(invokeId, {
          type: 'StartApplicationSessionNegResponse',
          errorCode: { definedError: 'maxNumberSessions' },
        });
      case 'ResetApplicationSessionTimer':
        if (request.sessionID !== this.sessionId)
          return this.send(invokeId, {
            type: 'ResetApplicationSessionTimerNegResponse',
            errorCode: { definedError: 'invalidSessionID' },
          });
        if (request.requestedSessionDuration > 0) {
          this.sessionDurationS = Math.min(
            MAX_SESSION_DURATION_S,
            Math.max(MIN_SESSION_DURATION_S, request.requestedSessionDuration),
          );
          this.armSessionTimer();
        }
        return this.send(invokeId, {
          type: 'ResetApplicationSessionTimerPosResponse',
          actualSessionDuration: this.sessionDurationS,
        });
      case 'StopApplicationSession':
        if (request.sessionID !== this.sessionId)
          return this.send(invokeId, {
            type: 'StopApplicationSessionNegResponse',
            errorCode: { definedError: 'invalidSessionID' },
          });
        this.send(invokeId, { type: 'StopApplicationSessionPosResponse' });
        this.uncork();
        this.socket.destroySoon();
        return this.close('application session stopped by the client', false);
      case 'RequestSystemStatus':
        return this.send(invokeId, { type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
      case 'SystemStatus':
        return this.send(invokeId, { type: 'SystemStatusResponse' });
      case 'SystemRegister':
        return this.send(invokeId, {
          type: 'SystemRegisterResponse',
          sysStatRegisterID: this.service.newSysStatRegisterId(),
        });
      case 'GetCSTAFeatures':
        return this.send(invokeId, FEATURES);
      case 'GetSwitchingFunctionDevices':
        return this.sendDirectory(invokeId, request.requestedDeviceID, request.requestedDeviceCategory);
      case 'MonitorStart':
        return this.monitorStart(invokeId, request);
      case 'MonitorStop': {
        const monitor = this.service.monitors.get(request.monitorCrossRefID);
        if (monitor === undefined || !this.monitors.has(monitor))
          return this.send(invokeId, cstaError('operation', 'invalidCrossRefID'));
        this.monitors.delete(monitor);
        this.service.monitors.remove(monitor);
        return this.send(invokeId, { type: 'MonitorStopResponse' });
      }
      case 'SnapshotDevice':
        return this.call(
          invokeId,
          () => model.snapshotDevice(dev(request.snapshotObject)),
          (items) => ({
            type: 'SnapshotDeviceResponse',
            crossRefIDorSnapshotData: {
              snapshotData: items.map((i) => ({
                connectionIdentifier: cid(i.connection),
                localCallState: { compoundCallState: [i.state] },
              })),
            },
          }),
        );
      case 'MakeCall':
        return this.call(
          invokeId,
          () => model.makeCall(dev(request.callingDevice), request.calledDirectoryNumber),
          (r) => ({
            type: 'MakeCallResponse',
            callingDevice: cid(r.callingDevice),
          }),
        );
      case 'AnswerCall':
        return this.call(
          invokeId,
          () => model.answerCall(ref(request.callToBeAnswered)),
          () => ({ type: 'AnswerCallResponse' }),
        );
      case 'ClearConnection':
        return this.call(
          invokeId,
          () => model.clearConnection(ref(request.connectionToBeCleared)),
          () => ({ type: 'ClearConnectionResponse' }),
        );
      case 'ClearCall':
        return this.call(
          invokeId,
          () => model.clearCall(ref(request.callToBeCleared)),
          () => ({ type: 'ClearCallResponse' }),
        );
      case 'HoldCall':
        return this.call(
          invokeId,
          () => model.holdCall(ref(request.callToBeHeld)),
          () => ({ type: 'HoldCallResponse' }),
        );
      case 'RetrieveCall':
        return this.call(
          invokeId,
          () => model.retrieveCall(ref(request.callToBeRetrieved)),
          () => ({ type: 'RetrieveCallResponse' }),
        );
      case 'ConsultationCall':
        return this.call(
          invokeId,
          () => model.consultationCall(ref(request.existingCall), request.consultedDevice),
          (r) => ({
            type: 'ConsultationCallResponse',
            initiatedCall: cid(r.initiatedCall),
          }),
        );
      case 'TransferCall':
        return this.call(
          invokeId,
          () => model.transferCall(ref(request.heldCall), ref(request.activeCall)),
          (r) => ({
            type: 'TransferCallResponse',
            transferredCall: cid(r.transferredCall),
          }),
        );
      case 'SingleStepTransferCall':
        return this.call(
          invokeId,
          () => model.singleStepTransferCall(ref(request.activeCall), request.transferredTo),
          (r) => ({
            type: 'SingleStepTransferCallResponse',
            transferredCall: cid(r.transferredCall),
          }),
        );
      case 'ConferenceCall':
        return this.call(
          invokeId,
          () => model.conferenceCall(ref(request.heldCall), ref(request.activeCall)),
          (r) => ({
            type: 'ConferenceCallResponse',
            conferenceCall: cid(r.conferenceCall),
          }),
        );
      case 'AlternateCall':
        return this.call(
          invokeId,
          () => model.alternateCall(ref(request.heldCall), ref(request.activeCall)),
          () => ({ type: 'AlternateCallResponse' }),
        );
      case 'ReconnectCall':
        return this.call(
          invokeId,
          () => model.reconnectCall(ref(request.heldCall), ref(request.activeCall)),
          () => ({ type: 'ReconnectCallResponse' }),
        );
      case 'DeflectCall':
        return this.call(
          invokeId,
          () => model.deflectCall(ref(request.callToBeDiverted), request.newDestination),
          () => ({ type: 'DeflectCallResponse' }),
        );
      case 'GenerateDigits':
        return this.call(
          invokeId,
          () => model.generateDigits(ref(request.connectionToSendDigits), request.charactersToSend),
          () => ({ type: 'GenerateDigitsResponse' }),
        );
      case 'SetForwarding': {
        const type = request.forwardingType ?? 'forwardImmediate';
        if (!isSupportedForwarding(type))
          return this.send(invokeId, cstaError('operation', 'invalidFeature'));
        const ringMs = request.ringCount === undefined ? undefined : request.ringCount * RING_CYCLE_MS;
        return this.call(
          invokeId,
          () =>
            model.setForwarding(
              dev(request.device),
              type,
              request.activateForward,
              request.forwardDN,
              ringMs,
            ),
          () => ({
            type: 'SetForwardingResponse',
          }),
        );
      }
      case 'GetForwarding':
        return this.call(
          invokeId,
          () => model.getForwarding(dev(request.device)),
          (settings) => ({
            type: 'GetForwardingResponse',
            forwardingList: settings.map((s) => {
              const item: {
                forwardingType: ForwardingType;
                forwardStatus: boolean;
                forwardDN?: string;
                ringCount?: number;
              } = { forwardingType: s.type, forwardStatus: s.on };
              if (s.to !== undefined) item.forwardDN = s.to;
              if (s.ringDurationMs !== undefined) item.ringCount = ringCountOf(s.ringDurationMs);
              return item;
            }),
          }),
        );
      case 'SetDoNotDisturb':
        return this.call(
          invokeId,
          () => model.setDoNotDisturb(dev(request.device), request.doNotDisturbOn),
          () => ({ type: 'SetDoNotDisturbResponse' }),
        );
      case 'GetDoNotDisturb':
        return this.call(
          invokeId,
          () => model.getDoNotDisturb(dev(request.device)),
          (on) => ({ type: 'GetDoNotDisturbResponse', doNotDisturbOn: on }),
        );
      default:
        return assertNever(request, 'CSTA request');
    }
  }

  /** A call-model service: its response (or CSTAErrorCode), then the events it caused. */
  private call<T>(invokeId: number, run: () => Result<T>, toResponse: (value: T) => CstaMessage): void {
    this.service.serve(run, (result) =>
      this.send(invokeId, result.ok ? toResponse(result.value) : errorFor(result.error)),
    );
  }

  private monitorStart(invokeId: number, request: Extract<CstaRequest, { type: 'MonitorStart' }>): void {
    const wire = request.monitorObject.deviceObject;
    const deviceId = wire === undefined ? undefined : this.service.deviceForWire(wire);
    // Call-type monitors are not offered: Deskline monitors line appearances (docs/cti-link.md §6).
    if (deviceId === undefined || request.monitorType === 'call')
      return this.send(invokeId, cstaError('operation', 'invalidObjectType'));
    const appearance = this.service.cluster.appearance(deviceId);
    if (appearance === undefined) return this.send(invokeId, cstaError('operation', 'invalidMonitorObject'));
    if (!appearance.device.ctiAllowed)
      return this.send(invokeId, cstaError('operation', 'privilegeViolationSpecifiedDevice'));
    if (this.monitors.size >= MAX_MONITORS_PER_SESSION)
      return this.send(invokeId, cstaError('subscribedResourceAvailability', 'objectMonitorLimitExceeded'));
    const monitor: Monitor = { crossRefId: this.service.newMonitorCrossRefId(), deviceId, owner: this };
    this.monitors.add(monitor);
    this.service.monitors.add(monitor);
    this.send(invokeId, { type: 'MonitorStartResponse', monitorCrossRefID: monitor.crossRefId });
  }

  /** docs/cti-link.md §4: response with a cross reference, then the segments as events. */
  private sendDirectory(
    invokeId: number,
    requestedDeviceID: string | undefined,
    category: string | undefined,
  ): void {
    if (this.service.profile.name === 'standard')
      return this.sendDeviceList(invokeId, requestedDeviceID, category);
    let segments: DirectorySegment[];
    if (category !== undefined && category !== 'station') segments = [{ users: [], devices: [] }];
    else if (requestedDeviceID !== undefined) {
      const name = requestedDeviceID.split('/')[0] ?? '';
      const all = this.service.directory();
      let found: DirectorySegment | undefined;
      for (const s of all) {
        const device = s.devices.find((d) => d.name === name);
        if (device !== undefined) found = { users: [], devices: [device] };
      }
      if (found === undefined) return this.send(invokeId, cstaError('operation', 'invalidDeviceID'));
      segments = [found];
    } else segments = this.service.directory();
    const serviceCrossRefID = this.service.newServiceCrossRefId();
    this.send(invokeId, { type: 'GetSwitchingFunctionDevicesResponse', serviceCrossRefID });
    this.writeSegments(segments, serviceCrossRefID).catch((cause: unknown) =>
      this.logger.error({ err: wrapError(cause).message }, 'sim: directory segments failed'),
    );
  }

  /** Standard profile (ECMA-269 GetSwitchingFunctionDevices): the devices by DN, `deviceList/device`
   *  only — no users, no licences, nothing private. */
  private sendDeviceList(
    invokeId: number,
    requestedDeviceID: string | undefined,
    category: string | undefined,
  ): void {
    let devices = this.service.deviceList();
    if (category !== undefined && category !== 'station') devices = [];
    else if (requestedDeviceID !== undefined) {
      if (!devices.includes(requestedDeviceID))
        return this.send(invokeId, cstaError('operation', 'invalidDeviceID'));
      devices = [requestedDeviceID];
    }
    const messages: CstaMessage[] = [];
    const serviceCrossRefID = this.service.newServiceCrossRefId();
    const count = Math.max(1, Math.ceil(devices.length / DEVICE_LIST_SEGMENT));
    for (let i = 0; i < count; i++)
      messages.push({
        type: 'SwitchingFunctionDevices',
        serviceCrossRefID,
        segmentID: i + 1,
        lastSegment: i === count - 1,
        deviceList: devices
          .slice(i * DEVICE_LIST_SEGMENT, (i + 1) * DEVICE_LIST_SEGMENT)
          .map((deviceID) => ({ deviceID, deviceCategory: 'station' })),
      });
    this.send(invokeId, { type: 'GetSwitchingFunctionDevicesResponse', serviceCrossRefID });
    this.writeSegments(messages, serviceCrossRefID).catch((cause: unknown) =>
      this.logger.error({ err: wrapError(cause).message }, 'sim: device list segments failed'),
    );
  }

  private async writeSegments(
    segments: readonly (DirectorySegment | CstaMessage)[],
    serviceCrossRefID: string,
  ): Promise<void> {
    for (let i = 0; i < segments.length; i++) {
      // A frozen or muted node sends nothing, a closed connection nothing more: the client re-requests.
      if (this.state !== SessionState.Active || this.frozen || this.muted) return;
      const segment = segments[i] as DirectorySegment | CstaMessage;
      const message =
        'type' in segment
          ? segment
          : switchingFunctionDevicesMessage(segment, {
              serviceCrossRefID,
              segmentID: i + 1,
              lastSegment: i === segments.length - 1,
            });
      this.send(EVENT_INVOKE_ID, message);
      if (this.socket.writableLength > DIRECTORY_HIGH_WATER_BYTES) {
        this.uncork();
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
  }

  // ------------------------------------------------------------ output

  private send(invokeId: number, message: CstaMessage): void {
    if (this.state === SessionState.Closed || this.socket.destroyed) return;
    let frame: Buffer;
    try {
      const standard = this.service.profile.name === 'standard';
      // Standard profile: cluster devices go out by DN, in the edition of the session.
      const wire = standard ? mapDeviceIds(message, (id) => this.service.wireForDevice(id)) : message;
      frame = encodeFrame(invokeId, encodeCsta(wire, standard ? { edition: this.edition } : undefined));
    } catch (cause) {
      // Only a bug can get here (a message over 64 KiB, a malformed value): skip it, keep serving.
      this.logger.error(
        { err: wrapError(cause).message, type: message.type },
        'sim: cannot encode a message',
      );
      return;
    }
    if (this.socket.writableLength > MAX_PENDING_OUTPUT_BYTES) {
      this.logger.warn(
        { pendingBytes: this.socket.writableLength },
        'sim: peer is not reading, disconnecting it',
      );
      this.close('peer not reading', true);
      return;
    }
    // Everything written in one turn of the event loop leaves in as few TCP segments as possible.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => this.uncork());
    }
    this.socket.write(frame);
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }
}

/** What a muted node still answers: heartbeats and its application sessions (docs/simulator.md §4). */
const HEARTBEAT_AND_SESSION_REQUESTS: ReadonlySet<string> = new Set([
  'ResetApplicationSessionTimer',
  'SystemStatus',
  'SystemRegister',
  'StartApplicationSession',
  'StopApplicationSession',
]);

/** The gateway's call control, plus what only a CTI link client asks for (the directory). */
const FEATURES: CstaMessage = {
  type: 'GetCSTAFeaturesResponse',
  supportedServices: {
    ...CALL_CONTROL_SERVICES,
    // ECMA-323 lists the directory services under capability exchange, in this order.
    capExchangeServList: [
      ...(CALL_CONTROL_SERVICES['capExchangeServList'] ?? []),
      'getSwitchingFunctionDevices',
      'switchingFunctionDevices',
    ],
    // ECMA-323's order: systemRegister before requestSystemStatus and systemStatus.
    systemStatServList: [
      'systemRegister',
      ...(CALL_CONTROL_SERVICES['systemStatServList'] ?? []),
      'systemStatus',
    ],
  },
  supportedEvents: CALL_CONTROL_EVENTS,
};

function isSupportedForwarding(type: string): type is ForwardingType {
  return (FORWARDING_TYPES as readonly string[]).includes(type);
}

function cid(ref: ConnectionRef): { callID: string; deviceID: string } {
  return { callID: ref.callId, deviceID: ref.deviceId };
}

function errorFor(error: DesklineError): CstaMessage {
  if (error instanceof CallModelError) return cstaError(error.csta.errorClass, error.csta.value);
  if (error.code === ErrorCode.Disposed)
    return cstaError('systemResourceAvailibility', 'resourceOutOfService');
  return cstaError('unspecified', '');
}

function isCstaXmlEdition(edition: string): edition is CstaXmlEdition {
  return (CSTA_EDITIONS as readonly string[]).includes(edition);
}
