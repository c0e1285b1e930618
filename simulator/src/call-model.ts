// The simulator's call model: ECMA-269 calls and connections over a ClusterModel, driven by an
// injected clock (far ends answering, auto answer, no-answer forwarding, failed-call clean-up).
//
// ECMA-269 vocabulary throughout: a call has one connection per device taking part; each
// connection has a state (ECMA-269 §6, the call model: null, initiated, alerting, connected, hold, queued, fail) that
// changes only through CallModel.transition(), which checks the legal-transition table and owns
// the connection's timer. Services (MakeCall, AnswerCall, ...) validate first and return a
// CallModelError carrying the CSTA error (class and value) the CTI server answers with; they
// change nothing when they fail. State changes are reported as domain events (not XML): the CTI
// server maps them to CSTA event messages for every monitor of every device involved.
//
// Device identifiers (docs/cti-link.md §5): a line appearance is `<device>/<dn>/<partition>`; a
// party outside the cluster is the number as dialled or presented.
import {
  type Clock,
  type CstaErrorClass,
  type TimerHandle,
  DesklineError,
  ErrorCode,
  assert,
  assertNever,
  type Logger,
  nullLogger,
  err,
  ok,
  type Result,
} from '../../gateway/src/protocol.js';
import {
  DIALABLE_RE,
  type AppearanceRecord,
  type ClusterModel,
  type Destination,
  type LineRecord,
} from './model.js';

// ---------------------------------------------------------------- states and events

/** ECMA-269 §6 connection states (LocalConnectionState, §12.2.17). `queued` is part of the model but no feature queues calls yet. */
export const ConnectionState = {
  Null: 'null',
  Initiated: 'initiated',
  Alerting: 'alerting',
  Connected: 'connected',
  Hold: 'hold',
  Queued: 'queued',
  Fail: 'fail',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Legal connection state transitions (ECMA-269 §6, the connection state model). */
const LEGAL_TRANSITIONS: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = {
  null: ['initiated', 'alerting', 'connected', 'queued', 'fail'],
  initiated: ['connected', 'fail', 'null'],
  alerting: ['connected', 'fail', 'null'],
  connected: ['hold', 'fail', 'null'],
  hold: ['connected', 'null'],
  queued: ['alerting', 'connected', 'null'],
  fail: ['null'],
};

export function isLegalTransition(from: ConnectionState, to: ConnectionState): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}

/** ECMA-269 event causes the model reports (§12.2.13 EventCause). */
export type EventCause =
  | 'newCall'
  | 'makeCall'
  | 'consultation'
  | 'normal'
  | 'normalClearing'
  | 'callCancelled'
  | 'busy'
  | 'doNotDisturb'
  | 'destNotObtainable'
  | 'callForwardImmediate'
  | 'callForwardBusy'
  | 'callForwardNoAnswer'
  | 'redirected'
  | 'transfer'
  | 'singleStepTransfer'
  | 'conference'
  | 'alternate'
  | 'keyOperation';

export type ForwardingType = 'forwardImmediate' | 'forwardBusy' | 'forwardNoAns';
export const FORWARDING_TYPES: readonly ForwardingType[] = [
  'forwardImmediate',
  'forwardBusy',
  'forwardNoAns',
];

export interface ConnectionRef {
  readonly callId: string;
  readonly deviceId: string;
}

/** A device taking part in a call, with its connection's state when the event happened. */
export interface PartyState {
  readonly deviceId: string;
  readonly state: ConnectionState;
}

interface CallEventBase {
  /** The call the event is about (for Transfered/Conferenced: the resulting call). */
  readonly callId: string;
  readonly cause: EventCause;
  /**
   * Every device with a connection in the call when the event happened, plus the device(s) the
   * event removed (state null): whose monitors see the event, and each one's localConnectionInfo.
   */
  readonly parties: readonly PartyState[];
  readonly at: number;
}

export type CallEvent =
  | (CallEventBase & {
      readonly type: 'serviceInitiated';
      readonly connection: ConnectionRef;
      readonly initiatingDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'originated';
      readonly connection: ConnectionRef;
      readonly callingDevice: string;
      readonly calledDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'delivered';
      readonly connection: ConnectionRef;
      readonly alertingDevice: string;
      readonly callingDevice: string;
      readonly calledDevice: string;
      readonly lastRedirectionDevice: string | undefined;
    })
  | (CallEventBase & {
      readonly type: 'established';
      readonly connection: ConnectionRef;
      readonly answeringDevice: string;
      readonly callingDevice: string;
      readonly calledDevice: string;
      readonly lastRedirectionDevice: string | undefined;
    })
  | (CallEventBase & {
      readonly type: 'connectionCleared';
      readonly connection: ConnectionRef;
      readonly releasingDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'held';
      readonly connection: ConnectionRef;
      readonly holdingDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'retrieved';
      readonly connection: ConnectionRef;
      readonly retrievingDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'transferred';
      readonly primaryOldCall: ConnectionRef;
      readonly secondaryOldCall: ConnectionRef | undefined;
      readonly transferringDevice: string;
      readonly transferredToDevice: string;
      readonly transferredConnections: readonly {
        readonly oldConnection: ConnectionRef;
        readonly newConnection: ConnectionRef | undefined;
      }[];
    })
  | (CallEventBase & {
      readonly type: 'conferenced';
      readonly primaryOldCall: ConnectionRef;
      readonly secondaryOldCall: ConnectionRef;
      readonly conferencingDevice: string;
      readonly addedParty: string;
      readonly conferenceConnections: readonly ConnectionRef[];
    })
  | (CallEventBase & {
      readonly type: 'diverted';
      readonly connection: ConnectionRef;
      readonly divertingDevice: string;
      readonly newDestination: string;
      readonly callingDevice: string;
      readonly calledDevice: string;
      readonly lastRedirectionDevice: string | undefined;
    })
  | (CallEventBase & {
      readonly type: 'failed';
      readonly connection: ConnectionRef;
      readonly failingDevice: string;
      readonly callingDevice: string;
      readonly calledDevice: string;
    })
  | (CallEventBase & {
      readonly type: 'digitsGenerated';
      readonly connection: ConnectionRef;
      readonly digits: string;
    })
  | (CallEventBase & { readonly type: 'callCleared' });

interface DeviceEventBase {
  /** The device the feature was set on. */
  readonly device: string;
  /** Every device the change applies to (all appearances of the line, or of the phone): whose monitors see it. */
  readonly devices: readonly string[];
  readonly at: number;
}

export type DeviceEvent =
  | (DeviceEventBase & {
      readonly type: 'forwarding';
      readonly forwardingType: ForwardingType;
      readonly forwardStatus: boolean;
      readonly forwardTo: string | undefined;
      readonly ringDurationMs: number | undefined;
    })
  | (DeviceEventBase & { readonly type: 'doNotDisturb'; readonly doNotDisturbOn: boolean });

export type CallModelEvent = CallEvent | DeviceEvent;
export type CallModelListener = (event: CallModelEvent) => void;

// ---------------------------------------------------------------- errors

/** A CSTAErrorCode: its class (the codec's CSTA_ERROR_CLASSES, ECMA-323 §9) and value. */
export interface CstaErrorValue {
  readonly errorClass: CstaErrorClass;
  readonly value: string;
}

/** A refused service: a DesklineError that also says which CSTAErrorCode to answer with. */
export class CallModelError extends DesklineError {
  readonly csta: CstaErrorValue;
  constructor(csta: CstaErrorValue, message: string) {
    super(codeFor(csta), message, { detail: { cstaErrorClass: csta.errorClass, cstaError: csta.value } });
    this.name = 'CallModelError';
    this.csta = csta;
  }
}

function codeFor(csta: CstaErrorValue): ErrorCode {
  if (csta.value.startsWith('privilegeViolation')) return ErrorCode.CtiControlDisallowed;
  switch (csta.errorClass) {
    case 'operation':
      return ErrorCode.InvalidArgument;
    case 'stateIncompatibility':
      return ErrorCode.InvalidState;
    case 'security':
    case 'systemResourceAvailibility':
    case 'subscribedResourceAvailability':
    case 'performanceManagement':
    case 'privateData':
    case 'privateErrorCode':
    case 'unspecified':
      return ErrorCode.CtiError;
    default:
      return assertNever(csta.errorClass, 'CSTA error class');
  }
}

const refused = (errorClass: CstaErrorClass, value: string, message: string) =>
  err(new CallModelError({ errorClass, value }, message));

// ---------------------------------------------------------------- results of services

export interface ForwardingSetting {
  readonly type: ForwardingType;
  readonly on: boolean;
  readonly to: string | undefined;
  /** forwardNoAns only: how long the line rings first. */
  readonly ringDurationMs: number | undefined;
}

export interface SnapshotDeviceItem {
  readonly connection: ConnectionRef;
  readonly state: ConnectionState;
}

export interface CallSnapshot {
  readonly callId: string;
  readonly createdAt: number;
  readonly callingDevice: string;
  readonly calledDevice: string;
  readonly lastRedirectionDevice: string | undefined;
  readonly conference: boolean;
  readonly consultationOf: string | undefined;
  readonly connections: readonly PartyState[];
}

// ---------------------------------------------------------------- internals

class Call {
  readonly connections = new Map<string, Connection>();
  lastRedirectionDevice: string | undefined;
  redirections = 0;
  conference = false;
  consultationOf: string | undefined;
  /** The cause the called party was offered the call with; Established repeats it. */
  deliveryCause: EventCause = 'newCall';
  /** The connection that placed the call: the one that fails when the destination cannot be reached. */
  origin: Connection | undefined;

  constructor(
    readonly id: string,
    readonly createdAt: number,
    public callingDevice: string,
    public calledDevice: string,
  ) {}
}

class Connection {
  state: ConnectionState = ConnectionState.Null;
  /** One pending action (far end answers, auto answer, failed-call clean-up); cleared by every transition. */
  timer: TimerHandle | undefined;
  /** Set while alerting as one of the appearances a line rings on. */
  ringGroup: RingGroup | undefined;

  constructor(
    public call: Call,
    readonly deviceId: string,
    readonly appearance: AppearanceRecord | undefined,
  ) {}

  ref(): ConnectionRef {
    return { callId: this.call.id, deviceId: this.deviceId };
  }
}

/** The appearances of one line ringing for one call: answered together, forwarded together. */
class RingGroup {
  readonly members = new Set<Connection>();
  /** No-answer forwarding (CUCM "Forward No Answer Timer"). */
  timer: TimerHandle | undefined;
  constructor(readonly line: LineRecord) {}
}

interface LineForwarding {
  forwardImmediate?: string;
  forwardBusy?: string;
  forwardNoAns?: { to: string; ringDurationMs: number | undefined };
}

/** CUCM's "Forward Maximum Hop Count" default. */
export const MAX_FORWARD_HOPS = 12;
/** A call whose destination could not be reached (busy tone) clears by itself after this long. */
export const FAILED_CALL_CLEAR_MS = 10_000;
/** Calls one line appearance may take part in (CUCM "Maximum Number of Calls" default 4). */
export const MAX_CALLS_PER_APPEARANCE = 4;
/** GenerateDigits: DTMF characters (ECMA-269 §18, GenerateDigits charactersToSend). */
const DIGITS_RE = /^[0-9*#A-Da-d]{1,32}$/;
const MIN_RING_DURATION_MS = 1_000;
const MAX_RING_DURATION_MS = 300_000;

export interface CallModelOptions {
  cluster: ClusterModel;
  clock: Clock;
  logger?: Logger;
  /** First call ID handed out (IDs are never reused within a model). Default 1. */
  firstCallId?: number;
}

export class CallModel {
  readonly cluster: ClusterModel;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly calls = new Map<string, Call>();
  /** Appearance ID → its connections in any state but null (busy trigger, SnapshotDevice, auto hold). */
  private readonly atAppearance = new Map<string, Set<Connection>>();
  private readonly forwarding = new Map<string, LineForwarding>();
  /** Device names with Do Not Disturb on (DND is a phone feature in CUCM, not a line one). */
  private readonly dnd = new Set<string>();
  private readonly listeners = new Set<CallModelListener>();
  private readonly pending: CallModelEvent[] = [];
  private readonly ringGroups = new Set<RingGroup>();
  private nextCallId: number;
  private depth = 0;
  private flushing = false;
  private disposed = false;

  constructor(options: CallModelOptions) {
    this.cluster = options.cluster;
    this.clock = options.clock;
    this.logger = options.logger ?? nullLogger;
    this.nextCallId = options.firstCallId ?? 1;
  }

  /** Events are delivered after the service (or timer) that caused them has finished, in order. */
  subscribe(listener: CallModelListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------ services (ECMA-269 §16 snapshot, §17.1 call control, §18 call associated, §22 logical device features)

  /** MakeCall (ECMA-269 §17.1): originate from a line appearance; returns the calling connection. */
  makeCall(callingDevice: string, calledNumber: string): Result<{ callingDevice: ConnectionRef }> {
    return this.service(() => {
      const appearance = this.controlledAppearance(callingDevice, 'invalidCallingDeviceID');
      if (!appearance.ok) return appearance;
      if (!DIALABLE_RE.test(calledNumber))
        return refused('operation', 'invalidCalledDeviceID', `cannot dial "${calledNumber}": not a number`);
      const full = this.appearanceFull(appearance.value);
      if (full) return full;
      this.holdActiveCalls(appearance.value, undefined);
      const conn = this.originate(appearance.value, calledNumber, 'makeCall');
      return ok({ callingDevice: conn.ref() });
    });
  }

  /** AnswerCall (§17.1): only an alerting connection; the line's other appearances stop ringing. */
  answerCall(ref: ConnectionRef): Result<void> {
    return this.service(() => {
      const conn = this.controlledConnection(ref);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Alerting)
        return refused(
          'stateIncompatibility',
          'noCallToAnswer',
          `connection ${show(ref)} is ${conn.value.state}, not alerting`,
        );
      this.answer(conn.value);
      return ok(undefined);
    });
  }

  /** ClearConnection (§17.1): the device leaves the call (declines it when alerting). */
  clearConnection(ref: ConnectionRef): Result<void> {
    return this.service(() => {
      const conn = this.connectionFor(ref);
      if (!conn.ok) return conn;
      // Dropping a far end (a conference member) is allowed; a line appearance must allow CTI control.
      if (conn.value.appearance !== undefined && !conn.value.appearance.device.ctiAllowed)
        return this.privilegeViolation(conn.value.appearance);
      if (conn.value.state === ConnectionState.Alerting && conn.value.appearance !== undefined)
        this.decline(conn.value);
      else this.release(conn.value, 'normalClearing');
      return ok(undefined);
    });
  }

  /** ClearCall (§17.1): every connection of the call is released. */
  clearCall(ref: ConnectionRef): Result<void> {
    return this.service(() => {
      const conn = this.connectionFor(ref);
      if (!conn.ok) return conn;
      if (conn.value.appearance !== undefined && !conn.value.appearance.device.ctiAllowed)
        return this.privilegeViolation(conn.value.appearance);
      this.clearWholeCall(conn.value.call, 'normalClearing');
      return ok(undefined);
    });
  }

  /** HoldCall (§17.1). */
  holdCall(ref: ConnectionRef): Result<void> {
    return this.service(() => {
      const conn = this.controlledConnection(ref);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Connected)
        return refused(
          'stateIncompatibility',
          'noActiveCall',
          `connection ${show(ref)} is ${conn.value.state}: only a connected call can be held`,
        );
      this.hold(conn.value, 'normal');
      return ok(undefined);
    });
  }

  /** RetrieveCall (§17.1). A call active at the same appearance is put on hold first, as a phone does. */
  retrieveCall(ref: ConnectionRef): Result<void> {
    return this.service(() => {
      const conn = this.controlledConnection(ref);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Hold)
        return refused(
          'stateIncompatibility',
          'noHeldCall',
          `connection ${show(ref)} is ${conn.value.state}, not held`,
        );
      this.holdActiveCalls(conn.value.appearance as AppearanceRecord, conn.value.call);
      this.retrieve(conn.value, 'normal');
      return ok(undefined);
    });
  }

  /** ConsultationCall (§17.1): hold the active call and originate a new one from the same appearance. */
  consultationCall(
    existing: ConnectionRef,
    consultedNumber: string,
  ): Result<{ initiatedCall: ConnectionRef }> {
    return this.service(() => {
      const conn = this.controlledConnection(existing);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Connected)
        return refused(
          'stateIncompatibility',
          'noActiveCall',
          `connection ${show(existing)} is ${conn.value.state}: consult from a connected call`,
        );
      if (!DIALABLE_RE.test(consultedNumber))
        return refused(
          'operation',
          'invalidCalledDeviceID',
          `cannot dial "${consultedNumber}": not a number`,
        );
      const appearance = conn.value.appearance as AppearanceRecord;
      const full = this.appearanceFull(appearance);
      if (full) return full;
      this.hold(conn.value, 'consultation');
      const consult = this.originate(appearance, consultedNumber, 'consultation');
      consult.call.consultationOf = conn.value.call.id;
      return ok({ initiatedCall: consult.ref() });
    });
  }

  /**
   * TransferCall (§17.1), consultative: the transferring device leaves both calls and their
   * other parties are joined. The held (primary) call survives with its call ID; the active call's
   * parties move into it with new connection IDs.
   */
  transferCall(
    heldCall: ConnectionRef,
    activeCall: ConnectionRef,
  ): Result<{ transferredCall: ConnectionRef }> {
    return this.service(() => {
      const pair = this.heldActivePair(heldCall, activeCall, 'transfer');
      if (!pair.ok) return pair;
      const { held, active } = pair.value;
      const primary = held.call;
      const secondary = active.call;
      const transferring = held.deviceId;
      const primaryOld = held.ref();
      const secondaryOld = active.ref();
      this.transition(held, ConnectionState.Null);
      this.transition(active, ConnectionState.Null);
      const moved = this.merge(secondary, primary);
      const others = [...primary.connections.values()];
      primary.conference = others.length >= 3;
      const transferredTo = moved[0]?.deviceId ?? (others[0] as Connection).deviceId;
      this.emit({
        type: 'transferred',
        callId: primary.id,
        cause: 'transfer',
        parties: this.partiesOf(primary, [transferring]),
        at: this.clock.now(),
        primaryOldCall: primaryOld,
        secondaryOldCall: secondaryOld,
        transferringDevice: transferring,
        transferredToDevice: transferredTo,
        transferredConnections: [
          { oldConnection: primaryOld, newConnection: undefined },
          { oldConnection: secondaryOld, newConnection: undefined },
          ...moved.map((c) => ({
            oldConnection: { callId: secondary.id, deviceId: c.deviceId },
            newConnection: c.ref(),
          })),
        ],
      });
      this.checkStillACall(primary, 'normalClearing');
      return ok({ transferredCall: { callId: primary.id, deviceId: transferredTo } });
    });
  }

  /**
   * SingleStepTransferCall (§17.1): the transferring device leaves and the other party is
   * offered to the new destination within the same call.
   */
  singleStepTransferCall(activeCall: ConnectionRef, to: string): Result<{ transferredCall: ConnectionRef }> {
    return this.service(() => {
      const conn = this.controlledConnection(activeCall);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Connected)
        return refused(
          'stateIncompatibility',
          'noActiveCall',
          `connection ${show(activeCall)} is ${conn.value.state}: transfer a connected call`,
        );
      if (!DIALABLE_RE.test(to))
        return refused('operation', 'invalidDestination', `cannot transfer to "${to}": not a number`);
      const call = conn.value.call;
      const other = [...call.connections.values()].find((c) => c !== conn.value);
      if (call.connections.size !== 2 || other === undefined || other.state !== ConnectionState.Connected)
        return refused(
          'stateIncompatibility',
          'invalidObjectState',
          'single-step transfer needs a two-party call with the other party connected',
        );
      const transferring = conn.value.deviceId;
      const old = conn.value.ref();
      this.transition(conn.value, ConnectionState.Null);
      call.origin = other;
      call.callingDevice = other.deviceId;
      call.calledDevice = to;
      call.conference = false;
      call.lastRedirectionDevice = conn.value.appearance?.line.dn ?? transferring;
      this.emit({
        type: 'transferred',
        callId: call.id,
        cause: 'singleStepTransfer',
        parties: this.partiesOf(call, [transferring]),
        at: this.clock.now(),
        primaryOldCall: old,
        secondaryOldCall: undefined,
        transferringDevice: transferring,
        transferredToDevice: to,
        transferredConnections: [{ oldConnection: old, newConnection: undefined }],
      });
      this.route(call, to, other, 'singleStepTransfer');
      return ok({ transferredCall: other.ref() });
    });
  }

  /** ConferenceCall (§17.1): join the held call and the active call; the conferencing device stays in. */
  conferenceCall(
    heldCall: ConnectionRef,
    activeCall: ConnectionRef,
  ): Result<{ conferenceCall: ConnectionRef }> {
    return this.service(() => {
      const pair = this.heldActivePair(heldCall, activeCall, 'conference');
      if (!pair.ok) return pair;
      const { held, active } = pair.value;
      const primary = held.call;
      const secondary = active.call;
      for (const c of secondary.connections.values())
        if (c !== active && c.state !== ConnectionState.Connected)
          return refused(
            'stateIncompatibility',
            'invalidObjectState',
            `${c.deviceId} has not answered the consultation call yet`,
          );
      const size = primary.connections.size + secondary.connections.size - 1;
      if (size > this.cluster.limits.maxConferenceParties)
        return refused(
          'systemResourceAvailibility',
          'conferenceMemberLimitExceeded',
          `a conference holds at most ${this.cluster.limits.maxConferenceParties} parties`,
        );
      const primaryOld = held.ref();
      const secondaryOld = active.ref();
      this.transition(active, ConnectionState.Null);
      const moved = this.merge(secondary, primary);
      this.transition(held, ConnectionState.Connected);
      primary.conference = true;
      this.emit({
        type: 'conferenced',
        callId: primary.id,
        cause: 'conference',
        parties: this.partiesOf(primary),
        at: this.clock.now(),
        primaryOldCall: primaryOld,
        secondaryOldCall: secondaryOld,
        conferencingDevice: held.deviceId,
        addedParty: (moved[0] as Connection).deviceId,
        conferenceConnections: [...primary.connections.values()].map((c) => c.ref()),
      });
      return ok({ conferenceCall: held.ref() });
    });
  }

  /** AlternateCall (§17.1): hold the active call and retrieve the held one. */
  alternateCall(heldCall: ConnectionRef, activeCall: ConnectionRef): Result<void> {
    return this.service(() => {
      const pair = this.heldActivePair(heldCall, activeCall, 'alternate');
      if (!pair.ok) return pair;
      this.hold(pair.value.active, 'alternate');
      this.retrieve(pair.value.held, 'alternate');
      return ok(undefined);
    });
  }

  /** ReconnectCall (§17.1): clear the active call (connected, or failed) and retrieve the held one. */
  reconnectCall(heldCall: ConnectionRef, activeCall: ConnectionRef): Result<void> {
    return this.service(() => {
      const held = this.controlledConnection(heldCall);
      if (!held.ok) return held;
      const active = this.controlledConnection(activeCall);
      if (!active.ok) return active;
      const shape = this.samePairShape(held.value, active.value);
      if (shape) return shape;
      if (held.value.state !== ConnectionState.Hold)
        return refused(
          'stateIncompatibility',
          'noHeldCall',
          `connection ${show(heldCall)} is ${held.value.state}, not held`,
        );
      if (
        active.value.state !== ConnectionState.Connected &&
        active.value.state !== ConnectionState.Fail &&
        active.value.state !== ConnectionState.Initiated
      )
        return refused(
          'stateIncompatibility',
          'noActiveCall',
          `connection ${show(activeCall)} is ${active.value.state}: nothing to reconnect from`,
        );
      this.release(active.value, 'normalClearing');
      this.retrieve(held.value, 'normal');
      return ok(undefined);
    });
  }

  /** DeflectCall (§17.1): send an alerting call elsewhere; every appearance of the line stops ringing. */
  deflectCall(ref: ConnectionRef, to: string): Result<void> {
    return this.service(() => {
      const conn = this.controlledConnection(ref);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Alerting)
        return refused(
          'stateIncompatibility',
          'invalidObjectState',
          `connection ${show(ref)} is ${conn.value.state}: only an alerting call can be deflected`,
        );
      if (!DIALABLE_RE.test(to))
        return refused('operation', 'invalidDestination', `cannot deflect to "${to}": not a number`);
      const line = (conn.value.appearance as AppearanceRecord).line;
      const dest = this.cluster.resolve(to, line.partition);
      if (dest.kind === 'line' && dest.line === line)
        return refused('operation', 'invalidDestination', `cannot deflect a call to its own line ${line.dn}`);
      const call = conn.value.call;
      this.divertRinging(call, conn.value.ringGroup, [conn.value], line.dn, to, 'redirected');
      this.route(call, to, this.originOf(call), 'redirected');
      return ok(undefined);
    });
  }

  /** GenerateDigits (§18): DTMF on a connected call. */
  generateDigits(ref: ConnectionRef, digits: string): Result<void> {
    return this.service(() => {
      const conn = this.controlledConnection(ref);
      if (!conn.ok) return conn;
      if (conn.value.state !== ConnectionState.Connected)
        return refused(
          'stateIncompatibility',
          'noActiveCall',
          `connection ${show(ref)} is ${conn.value.state}: digits need a connected call`,
        );
      if (!DIGITS_RE.test(digits))
        return refused('operation', 'valueOutOfRange', 'digits are 0-9, *, #, A-D (1 to 32 of them)');
      this.emit({
        type: 'digitsGenerated',
        callId: conn.value.call.id,
        cause: 'normal',
        parties: this.partiesOf(conn.value.call),
        at: this.clock.now(),
        connection: conn.value.ref(),
        digits,
      });
      return ok(undefined);
    });
  }

  /** SetForwarding (ECMA-269 §22, logical device features): forwarding is a line setting, shared by its appearances. */
  setForwarding(
    deviceId: string,
    type: ForwardingType,
    activate: boolean,
    to?: string,
    ringDurationMs?: number,
  ): Result<void> {
    return this.service(() => {
      const appearance = this.controlledAppearance(deviceId, 'invalidDeviceID');
      if (!appearance.ok) return appearance;
      const line = appearance.value.line;
      if (activate) {
        if (to === undefined || !DIALABLE_RE.test(to))
          return refused(
            'operation',
            'invalidForwardingDestination',
            'forwarding needs a destination number',
          );
        const dest = this.cluster.resolve(to, line.partition);
        if (dest.kind === 'line' && dest.line === line)
          return refused(
            'operation',
            'invalidForwardingDestination',
            `line ${line.dn} cannot forward to itself`,
          );
      }
      if (
        ringDurationMs !== undefined &&
        (!Number.isInteger(ringDurationMs) ||
          ringDurationMs < MIN_RING_DURATION_MS ||
          ringDurationMs > MAX_RING_DURATION_MS)
      )
        return refused(
          'operation',
          'valueOutOfRange',
          `ring duration must be ${MIN_RING_DURATION_MS} to ${MAX_RING_DURATION_MS} ms`,
        );
      const current = this.forwarding.get(line.key) ?? {};
      switch (type) {
        case 'forwardImmediate':
          if (activate) current.forwardImmediate = to;
          else delete current.forwardImmediate;
          break;
        case 'forwardBusy':
          if (activate) current.forwardBusy = to;
          else delete current.forwardBusy;
          break;
        case 'forwardNoAns':
          if (activate) current.forwardNoAns = { to: to as string, ringDurationMs };
          else delete current.forwardNoAns;
          break;
        default:
          return refused('operation', 'invalidFeature', `unknown forwarding type ${String(type)}`);
      }
      if (
        current.forwardImmediate === undefined &&
        current.forwardBusy === undefined &&
        current.forwardNoAns === undefined
      )
        this.forwarding.delete(line.key);
      else this.forwarding.set(line.key, current);
      this.emit({
        type: 'forwarding',
        device: deviceId,
        devices: line.appearances.map((a) => a.id),
        at: this.clock.now(),
        forwardingType: type,
        forwardStatus: activate,
        forwardTo: activate ? to : undefined,
        ringDurationMs:
          type === 'forwardNoAns' && activate ? (ringDurationMs ?? line.noAnswerRingMs) : undefined,
      });
      return ok(undefined);
    });
  }

  /** GetForwarding: the three forwarding types of the appearance's line. */
  getForwarding(deviceId: string): Result<ForwardingSetting[]> {
    return this.service(() => {
      const appearance = this.controlledAppearance(deviceId, 'invalidDeviceID');
      if (!appearance.ok) return appearance;
      return ok(this.forwardingSettings(appearance.value.line));
    });
  }

  /** SetDoNotDisturb: applies to the whole phone (all its appearances), as in CUCM. */
  setDoNotDisturb(deviceId: string, on: boolean): Result<void> {
    return this.service(() => {
      const appearance = this.controlledAppearance(deviceId, 'invalidDeviceID');
      if (!appearance.ok) return appearance;
      const device = appearance.value.device;
      if (on) this.dnd.add(device.name);
      else this.dnd.delete(device.name);
      this.emit({
        type: 'doNotDisturb',
        device: deviceId,
        devices: device.appearances.map((a) => a.id),
        at: this.clock.now(),
        doNotDisturbOn: on,
      });
      return ok(undefined);
    });
  }

  getDoNotDisturb(deviceId: string): Result<boolean> {
    return this.service(() => {
      const appearance = this.controlledAppearance(deviceId, 'invalidDeviceID');
      if (!appearance.ok) return appearance;
      return ok(this.dnd.has(appearance.value.device.name));
    });
  }

  /** SnapshotDevice (§16): the calls at an appearance and its connection state in each. */
  snapshotDevice(deviceId: string): Result<SnapshotDeviceItem[]> {
    return this.service(() => {
      const appearance = this.controlledAppearance(deviceId, 'invalidDeviceID');
      if (!appearance.ok) return appearance;
      const items: SnapshotDeviceItem[] = [];
      for (const c of this.atAppearance.get(deviceId) ?? [])
        items.push({ connection: c.ref(), state: c.state });
      return ok(items);
    });
  }

  /** An inbound call on demand: from a number outside the cluster to a line in it. */
  placeInboundCall(from: string, to: string): Result<CallSnapshot> {
    return this.service(() => {
      if (!DIALABLE_RE.test(from))
        return refused('operation', 'invalidCallingDeviceID', `"${from}" is not a number`);
      if (!DIALABLE_RE.test(to))
        return refused('operation', 'invalidCalledDeviceID', `"${to}" is not a number`);
      if (this.cluster.resolve(from).kind === 'line')
        return refused(
          'operation',
          'invalidCallingDeviceID',
          `${from} is a line of the cluster: place internal calls with MakeCall`,
        );
      const dest = this.cluster.resolve(to);
      if (dest.kind !== 'line')
        return refused('operation', 'invalidCalledDeviceID', `${to} is not a line of the cluster`);
      const call = this.newCall(from, to);
      const conn = this.addConnection(call, from, undefined);
      call.origin = conn;
      this.transition(conn, ConnectionState.Connected);
      this.offer(call, dest, to, conn, 'newCall');
      return ok(this.snapshotOf(call));
    });
  }

  /** Clears a call by ID, whoever is in it (the admin API's DELETE /calls/:id). */
  clearCallById(callId: string): Result<void> {
    return this.service(() => {
      const call = this.calls.get(callId);
      if (call === undefined) return refused('operation', 'invalidCallID', `no call ${callId}`);
      this.clearWholeCall(call, 'normalClearing');
      return ok(undefined);
    });
  }

  // ------------------------------------------------------------ observation

  snapshot(): CallSnapshot[] {
    const out: CallSnapshot[] = [];
    for (const call of this.calls.values()) out.push(this.snapshotOf(call));
    return out;
  }

  call(callId: string): CallSnapshot | undefined {
    const call = this.calls.get(callId);
    return call === undefined ? undefined : this.snapshotOf(call);
  }

  callCount(): number {
    return this.calls.size;
  }

  /** Pending timers the model owns (tests check it is 0 once every call is gone). */
  timerCount(): number {
    let n = 0;
    for (const call of this.calls.values())
      for (const c of call.connections.values()) if (c.timer !== undefined) n++;
    for (const g of this.ringGroups) if (g.timer !== undefined) n++;
    return n;
  }

  /** Clears every timer and forgets every call; services then fail with DISPOSED. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const call of this.calls.values())
      for (const c of call.connections.values()) {
        this.clock.clearTimeout(c.timer);
        c.timer = undefined;
      }
    for (const g of this.ringGroups) this.clock.clearTimeout(g.timer);
    this.ringGroups.clear();
    this.calls.clear();
    this.atAppearance.clear();
    this.listeners.clear();
    this.pending.length = 0;
  }

  // ------------------------------------------------------------ the one guarded transition

  /**
   * Moves a connection to a new state (ECMA-269 §6). Illegal transitions are bugs: services
   * check states before calling. Owns the connection's timer (any transition cancels it), its
   * place in the appearance index, its ring group, and its membership of the call (null = gone).
   */
  private transition(conn: Connection, to: ConnectionState): void {
    const from = conn.state;
    assert(
      isLegalTransition(from, to),
      `connection ${conn.call.id}/${conn.deviceId}: ${from} -> ${to} is not a legal transition`,
    );
    if (conn.timer !== undefined) {
      this.clock.clearTimeout(conn.timer);
      conn.timer = undefined;
    }
    if (from === ConnectionState.Alerting && conn.ringGroup !== undefined) {
      const group = conn.ringGroup;
      group.members.delete(conn);
      conn.ringGroup = undefined;
      if (group.members.size === 0) this.endRingGroup(group);
    }
    conn.state = to;
    const id = conn.appearance?.id;
    switch (to) {
      case ConnectionState.Null:
        conn.call.connections.delete(conn.deviceId);
        if (id !== undefined) {
          const set = this.atAppearance.get(id);
          if (set !== undefined) {
            set.delete(conn);
            if (set.size === 0) this.atAppearance.delete(id);
          }
        }
        break;
      case ConnectionState.Initiated:
      case ConnectionState.Alerting:
      case ConnectionState.Connected:
      case ConnectionState.Hold:
      case ConnectionState.Queued:
      case ConnectionState.Fail:
        if (from === ConnectionState.Null && id !== undefined) {
          let set = this.atAppearance.get(id);
          if (set === undefined) this.atAppearance.set(id, (set = new Set()));
          set.add(conn);
        }
        break;
      default:
        assertNever(to, 'connection state');
    }
  }

  // ------------------------------------------------------------ call progress

  private newCall(callingDevice: string, calledDevice: string): Call {
    const call = new Call(String(this.nextCallId++), this.clock.now(), callingDevice, calledDevice);
    this.calls.set(call.id, call);
    return call;
  }

  private addConnection(call: Call, deviceId: string, appearance: AppearanceRecord | undefined): Connection {
    assert(!call.connections.has(deviceId), `call ${call.id} already has a connection at ${deviceId}`);
    const conn = new Connection(call, deviceId, appearance);
    call.connections.set(deviceId, conn);
    return conn;
  }

  /** ServiceInitiated then Originated at the calling appearance, then the call is offered to the number. */
  private originate(
    appearance: AppearanceRecord,
    dialled: string,
    cause: 'makeCall' | 'consultation',
  ): Connection {
    const call = this.newCall(appearance.id, dialled);
    const conn = this.addConnection(call, appearance.id, appearance);
    call.origin = conn;
    this.transition(conn, ConnectionState.Initiated);
    this.emit({
      type: 'serviceInitiated',
      callId: call.id,
      cause,
      parties: this.partiesOf(call),
      at: this.clock.now(),
      connection: conn.ref(),
      initiatingDevice: appearance.id,
    });
    this.transition(conn, ConnectionState.Connected);
    this.emit({
      type: 'originated',
      callId: call.id,
      cause,
      parties: this.partiesOf(call),
      at: this.clock.now(),
      connection: conn.ref(),
      callingDevice: appearance.id,
      calledDevice: dialled,
    });
    this.route(call, dialled, conn, 'newCall');
    return conn;
  }

  private route(call: Call, dialled: string, origin: Connection | undefined, cause: EventCause): void {
    this.offer(
      call,
      this.cluster.resolve(dialled, origin?.appearance?.line.partition),
      dialled,
      origin,
      cause,
    );
  }

  /** Offers a call to a destination: a line (forwarding, busy, DND, ringing its appearances) or a far end. */
  private offer(
    call: Call,
    dest: Destination,
    dialled: string,
    origin: Connection | undefined,
    cause: EventCause,
  ): void {
    call.deliveryCause = cause;
    if (dest.kind === 'external') {
      const rule = dest.rule;
      if (call.connections.has(dest.number)) return this.fail(call, origin, dest.number, 'busy');
      switch (rule.behaviour) {
        case 'busy':
          return this.fail(call, origin, dest.number, 'busy');
        case 'invalid':
          return this.fail(call, origin, dest.number, 'destNotObtainable');
        case 'answer':
        case 'noAnswer': {
          const conn = this.addConnection(call, dest.number, undefined);
          this.transition(conn, ConnectionState.Alerting);
          this.emitDelivered(call, conn, cause);
          if (rule.behaviour === 'answer')
            this.setTimer(conn, rule.answerAfterMs, () => this.farEndAnswers(conn));
          return;
        }
        default:
          return assertNever(rule.behaviour, 'far-end behaviour');
      }
    }
    const line = dest.line;
    const fwd = this.forwarding.get(line.key);
    if (fwd?.forwardImmediate !== undefined && call.redirections < MAX_FORWARD_HOPS) {
      this.divertBeforeRinging(call, line, fwd.forwardImmediate, 'callForwardImmediate');
      return this.route(call, fwd.forwardImmediate, origin, 'callForwardImmediate');
    }
    const free: AppearanceRecord[] = [];
    let candidates = 0;
    let inDnd = 0;
    for (const a of line.appearances) {
      if (call.connections.has(a.id)) continue; // the caller's own appearance, or already offered
      candidates++;
      if (this.dnd.has(a.device.name)) {
        inDnd++;
        continue;
      }
      if ((this.atAppearance.get(a.id)?.size ?? 0) >= line.busyTrigger) continue;
      free.push(a);
    }
    const reachable = candidates === 0 || inDnd < candidates;
    if (free.length === 0) {
      if (fwd?.forwardBusy !== undefined && call.redirections < MAX_FORWARD_HOPS) {
        this.divertBeforeRinging(call, line, fwd.forwardBusy, 'callForwardBusy');
        return this.route(call, fwd.forwardBusy, origin, 'callForwardBusy');
      }
      return this.fail(call, origin, dialled, reachable ? 'busy' : 'doNotDisturb');
    }
    const group = new RingGroup(line);
    const ringing: Connection[] = [];
    for (const a of free) {
      const conn = this.addConnection(call, a.id, a);
      this.transition(conn, ConnectionState.Alerting);
      conn.ringGroup = group;
      group.members.add(conn);
      ringing.push(conn);
    }
    this.ringGroups.add(group);
    for (const conn of ringing) this.emitDelivered(call, conn, cause);
    // A line that auto-answers does so on its first free appearance (CUCM auto answer is per line appearance).
    const first = ringing[0] as Connection;
    if (line.autoAnswerMs !== undefined && first.state === ConnectionState.Alerting)
      this.setTimer(first, line.autoAnswerMs, () => {
        if (first.state === ConnectionState.Alerting) this.answer(first);
      });
    const noAns = fwd?.forwardNoAns;
    if (noAns !== undefined && group.members.size > 0)
      group.timer = this.clock.setTimeout(
        () => this.fromTimer(() => this.forwardNoAnswer(group)),
        noAns.ringDurationMs ?? line.noAnswerRingMs,
      );
  }

  private emitDelivered(call: Call, conn: Connection, cause: EventCause): void {
    this.emit({
      type: 'delivered',
      callId: call.id,
      cause,
      parties: this.partiesOf(call),
      at: this.clock.now(),
      connection: conn.ref(),
      alertingDevice: conn.deviceId,
      callingDevice: call.callingDevice,
      calledDevice: call.calledDevice,
      lastRedirectionDevice: call.lastRedirectionDevice,
    });
  }

  private farEndAnswers(conn: Connection): void {
    if (conn.state !== ConnectionState.Alerting) return;
    this.connect(conn);
  }

  /** The answering connection; the line's other ringing appearances clear first (they never see Established). */
  private answer(conn: Connection): void {
    const appearance = conn.appearance;
    if (appearance !== undefined) this.holdActiveCalls(appearance, conn.call);
    const group = conn.ringGroup;
    if (group !== undefined)
      for (const other of [...group.members]) if (other !== conn) this.dropQuietly(other, 'normalClearing');
    this.connect(conn);
  }

  private connect(conn: Connection): void {
    const call = conn.call;
    this.transition(conn, ConnectionState.Connected);
    this.emit({
      type: 'established',
      callId: call.id,
      cause: call.deliveryCause,
      parties: this.partiesOf(call),
      at: this.clock.now(),
      connection: conn.ref(),
      answeringDevice: conn.deviceId,
      callingDevice: call.callingDevice,
      calledDevice: call.calledDevice,
      lastRedirectionDevice: call.lastRedirectionDevice,
    });
  }

  /** The destination cannot be reached: the placing party's connection fails (busy or reorder tone). */
  private fail(call: Call, origin: Connection | undefined, failingDevice: string, cause: EventCause): void {
    if (
      origin === undefined ||
      origin.call !== call ||
      !isLegalTransition(origin.state, ConnectionState.Fail)
    ) {
      this.clearWholeCall(call, cause);
      return;
    }
    this.transition(origin, ConnectionState.Fail);
    this.emit({
      type: 'failed',
      callId: call.id,
      cause,
      parties: this.partiesOf(call),
      at: this.clock.now(),
      connection: origin.ref(),
      failingDevice,
      callingDevice: call.callingDevice,
      calledDevice: call.calledDevice,
    });
    this.setTimer(origin, FAILED_CALL_CLEAR_MS, () => {
      if (this.calls.get(call.id) === call) this.clearWholeCall(call, 'normalClearing');
    });
  }

  /** Forwarding before anything rang (immediate, busy): Diverted to the line's appearances, which never had a connection. */
  private divertBeforeRinging(call: Call, line: LineRecord, to: string, cause: EventCause): void {
    call.redirections++;
    call.lastRedirectionDevice = line.dn;
    const appearances = line.appearances.filter((a) => !call.connections.has(a.id)).map((a) => a.id);
    const parties = this.partiesOf(call, appearances);
    for (const id of appearances)
      this.emit({
        type: 'diverted',
        callId: call.id,
        cause,
        parties,
        at: this.clock.now(),
        connection: { callId: call.id, deviceId: id },
        divertingDevice: id,
        newDestination: to,
        callingDevice: call.callingDevice,
        calledDevice: call.calledDevice,
        lastRedirectionDevice: call.lastRedirectionDevice,
      });
  }

  /** Ringing appearances stop ringing because the call goes elsewhere (deflect, no-answer forwarding). */
  private divertRinging(
    call: Call,
    group: RingGroup | undefined,
    fallback: Connection[],
    fromDn: string,
    to: string,
    cause: EventCause,
  ): void {
    call.redirections++;
    call.lastRedirectionDevice = fromDn;
    const members = group !== undefined ? [...group.members] : fallback;
    const refs = members.map((m) => m.ref());
    // All stop ringing at once; each appearance then hears of its own diversion only.
    for (const m of members) this.transition(m, ConnectionState.Null);
    for (let i = 0; i < members.length; i++) {
      const m = members[i] as Connection;
      const ref = refs[i] as ConnectionRef;
      this.emit({
        type: 'diverted',
        callId: call.id,
        cause,
        parties: this.partiesOf(call, [m.deviceId]),
        at: this.clock.now(),
        connection: ref,
        divertingDevice: m.deviceId,
        newDestination: to,
        callingDevice: call.callingDevice,
        calledDevice: call.calledDevice,
        lastRedirectionDevice: call.lastRedirectionDevice,
      });
    }
  }

  private forwardNoAnswer(group: RingGroup): void {
    group.timer = undefined;
    const first = group.members.values().next().value;
    if (first === undefined) return;
    const to = this.forwarding.get(group.line.key)?.forwardNoAns?.to;
    const call = first.call;
    if (to === undefined || call.redirections >= MAX_FORWARD_HOPS) return; // forwarding switched off meanwhile: ring on
    this.divertRinging(call, group, [], group.line.dn, to, 'callForwardNoAnswer');
    this.route(call, to, this.originOf(call), 'callForwardNoAnswer');
  }

  private endRingGroup(group: RingGroup): void {
    this.clock.clearTimeout(group.timer);
    group.timer = undefined;
    this.ringGroups.delete(group);
  }

  private hold(conn: Connection, cause: EventCause): void {
    this.transition(conn, ConnectionState.Hold);
    this.emit({
      type: 'held',
      callId: conn.call.id,
      cause,
      parties: this.partiesOf(conn.call),
      at: this.clock.now(),
      connection: conn.ref(),
      holdingDevice: conn.deviceId,
    });
  }

  private retrieve(conn: Connection, cause: EventCause): void {
    this.transition(conn, ConnectionState.Connected);
    this.emit({
      type: 'retrieved',
      callId: conn.call.id,
      cause,
      parties: this.partiesOf(conn.call),
      at: this.clock.now(),
      connection: conn.ref(),
      retrievingDevice: conn.deviceId,
    });
  }

  /** A phone has one active call per appearance: answering, dialling or retrieving holds the others. */
  private holdActiveCalls(appearance: AppearanceRecord, except: Call | undefined): void {
    const set = this.atAppearance.get(appearance.id);
    if (set === undefined) return;
    for (const c of [...set])
      if (c.call !== except && c.state === ConnectionState.Connected) this.hold(c, 'normal');
  }

  /** A connection leaves its call (ConnectionCleared); a call left with fewer than two live parties clears. */
  private release(conn: Connection, cause: EventCause): void {
    const call = conn.call;
    this.dropQuietly(conn, cause);
    this.checkStillACall(call, cause, conn.deviceId);
  }

  /**
   * ClearConnection on a ringing appearance (CUCM "Decline"): that appearance stops ringing. When
   * it was the last one and only the caller is left, the call goes where a busy line sends it:
   * forward-busy if set, else the caller hears busy.
   */
  private decline(conn: Connection): void {
    const call = conn.call;
    const line = conn.appearance?.line;
    this.dropQuietly(conn, 'normalClearing');
    const origin = this.originOf(call);
    if (
      line === undefined ||
      origin === undefined ||
      call.connections.size !== 1 ||
      !call.connections.has(origin.deviceId)
    ) {
      this.checkStillACall(call, 'normalClearing');
      return;
    }
    const forwardBusy = this.forwarding.get(line.key)?.forwardBusy;
    if (forwardBusy !== undefined && call.redirections < MAX_FORWARD_HOPS) {
      call.redirections++;
      call.lastRedirectionDevice = line.dn;
      this.route(call, forwardBusy, origin, 'callForwardBusy');
    } else this.fail(call, origin, line.dn, 'busy');
  }

  /** ConnectionCleared for one connection, without judging whether the call survives. */
  private dropQuietly(conn: Connection, cause: EventCause): void {
    const call = conn.call;
    const ref = conn.ref();
    this.transition(conn, ConnectionState.Null);
    this.emit({
      type: 'connectionCleared',
      callId: call.id,
      cause,
      parties: this.partiesOf(call, [conn.deviceId]),
      at: this.clock.now(),
      connection: ref,
      releasingDevice: conn.deviceId,
    });
  }

  /**
   * A call goes on while two parties are in it and at least one of them is more than ringing;
   * a caller who gives up before an answer therefore stops every ringing appearance (callCancelled).
   */
  private checkStillACall(call: Call, cause: EventCause, justLeft?: string): void {
    if (this.calls.get(call.id) !== call) return;
    let live = 0;
    for (const c of call.connections.values()) if (c.state !== ConnectionState.Alerting) live++;
    if (call.connections.size >= 2 && live >= 1) {
      if (call.conference && call.connections.size < 3) call.conference = false;
      return;
    }
    this.clearWholeCall(call, live === 0 && call.connections.size > 0 ? 'callCancelled' : cause, justLeft);
  }

  /** Every connection released, then CallCleared to every device that was still in the call (and the one whose leaving ended it). */
  private clearWholeCall(call: Call, cause: EventCause, justLeft?: string): void {
    const devices: string[] = justLeft === undefined ? [] : [justLeft];
    for (const c of [...call.connections.values()]) {
      devices.push(c.deviceId);
      this.dropQuietly(c, cause);
    }
    this.calls.delete(call.id);
    this.emit({
      type: 'callCleared',
      callId: call.id,
      cause,
      parties: devices.map((deviceId) => ({ deviceId, state: ConnectionState.Null })),
      at: this.clock.now(),
    });
  }

  /** Moves the parties of `from` into `into` (transfer, conference); `from` is gone afterwards. */
  private merge(from: Call, into: Call): Connection[] {
    const moved: Connection[] = [];
    for (const c of [...from.connections.values()]) {
      from.connections.delete(c.deviceId);
      c.call = into;
      into.connections.set(c.deviceId, c);
      moved.push(c);
    }
    this.calls.delete(from.id);
    return moved;
  }

  private originOf(call: Call): Connection | undefined {
    const origin = call.origin;
    if (origin !== undefined && origin.call === call && origin.state !== ConnectionState.Null) return origin;
    for (const c of call.connections.values())
      if (c.state === ConnectionState.Connected || c.state === ConnectionState.Initiated) return c;
    return undefined;
  }

  // ------------------------------------------------------------ checks shared by services

  private connectionFor(ref: ConnectionRef): Result<Connection> {
    const conn = this.calls.get(ref.callId)?.connections.get(ref.deviceId);
    if (conn === undefined) return refused('operation', 'invalidConnectionID', `no connection ${show(ref)}`);
    return ok(conn);
  }

  /** A connection at a line appearance this application may control. */
  private controlledConnection(ref: ConnectionRef): Result<Connection> {
    const conn = this.connectionFor(ref);
    if (!conn.ok) return conn;
    const appearance = conn.value.appearance;
    if (appearance === undefined)
      return refused(
        'operation',
        'requestIncompatibleWithObject',
        `${ref.deviceId} is a party outside the cluster and cannot be controlled`,
      );
    if (!appearance.device.ctiAllowed) return this.privilegeViolation(appearance);
    return conn;
  }

  private controlledAppearance(deviceId: string, unknownValue: string): Result<AppearanceRecord> {
    const appearance = this.cluster.appearance(deviceId);
    if (appearance === undefined)
      return refused('operation', unknownValue, `${deviceId} is not a line appearance of the cluster`);
    if (!appearance.device.ctiAllowed) return this.privilegeViolation(appearance);
    return ok(appearance);
  }

  private privilegeViolation(appearance: AppearanceRecord): { ok: false; error: CallModelError } {
    return refused(
      'operation',
      'privilegeViolationSpecifiedDevice',
      `device ${appearance.device.name} does not allow control from CTI`,
    );
  }

  private appearanceFull(appearance: AppearanceRecord): { ok: false; error: CallModelError } | undefined {
    if ((this.atAppearance.get(appearance.id)?.size ?? 0) < MAX_CALLS_PER_APPEARANCE) return undefined;
    // ECMA-269 §12.2.12: a limit of the resource (the line's maximum number of calls), not a
    // busy one: a client tells "end a call first" from "try again".
    return refused(
      'systemResourceAvailibility',
      'resourceLimitExceeded',
      `${appearance.id} already has ${MAX_CALLS_PER_APPEARANCE} calls`,
    );
  }

  /** Transfer, conference, alternate: a held and an active connection of two different calls at one appearance. */
  private heldActivePair(
    heldRef: ConnectionRef,
    activeRef: ConnectionRef,
    what: string,
  ): Result<{ held: Connection; active: Connection }> {
    const held = this.controlledConnection(heldRef);
    if (!held.ok) return held;
    const active = this.controlledConnection(activeRef);
    if (!active.ok) return active;
    const shape = this.samePairShape(held.value, active.value);
    if (shape) return shape;
    if (held.value.state !== ConnectionState.Hold)
      return refused(
        'stateIncompatibility',
        'noHeldCall',
        `${what} needs a held call: ${show(heldRef)} is ${held.value.state}`,
      );
    if (active.value.state !== ConnectionState.Connected)
      return refused(
        'stateIncompatibility',
        'noActiveCall',
        `${what} needs an active call: ${show(activeRef)} is ${active.value.state}`,
      );
    if (what !== 'alternate' && active.value.call.connections.size < 2)
      return refused(
        'stateIncompatibility',
        'noActiveCall',
        `${what} needs another party in the active call ${active.value.call.id}`,
      );
    if (what !== 'alternate')
      for (const deviceId of active.value.call.connections.keys())
        if (deviceId !== active.value.deviceId && held.value.call.connections.has(deviceId))
          return refused(
            'operation',
            'requestIncompatibleWithObject',
            `${deviceId} takes part in both calls`,
          );
    return ok({ held: held.value, active: active.value });
  }

  private samePairShape(
    held: Connection,
    active: Connection,
  ): { ok: false; error: CallModelError } | undefined {
    if (held.deviceId !== active.deviceId)
      return refused(
        'operation',
        'requestIncompatibleWithObject',
        `the held and active connections must be at the same device (${held.deviceId}, ${active.deviceId})`,
      );
    if (held.call === active.call)
      return refused(
        'operation',
        'requestIncompatibleWithObject',
        'the held and active connections must be in two different calls',
      );
    return undefined;
  }

  private forwardingSettings(line: LineRecord): ForwardingSetting[] {
    const f = this.forwarding.get(line.key);
    return [
      {
        type: 'forwardImmediate',
        on: f?.forwardImmediate !== undefined,
        to: f?.forwardImmediate,
        ringDurationMs: undefined,
      },
      {
        type: 'forwardBusy',
        on: f?.forwardBusy !== undefined,
        to: f?.forwardBusy,
        ringDurationMs: undefined,
      },
      {
        type: 'forwardNoAns',
        on: f?.forwardNoAns !== undefined,
        to: f?.forwardNoAns?.to,
        ringDurationMs:
          f?.forwardNoAns === undefined ? undefined : (f.forwardNoAns.ringDurationMs ?? line.noAnswerRingMs),
      },
    ];
  }

  // ------------------------------------------------------------ plumbing

  private partiesOf(call: Call, removed?: readonly string[]): PartyState[] {
    const out: PartyState[] = [];
    for (const c of call.connections.values()) out.push({ deviceId: c.deviceId, state: c.state });
    if (removed !== undefined)
      for (const deviceId of removed) out.push({ deviceId, state: ConnectionState.Null });
    return out;
  }

  private snapshotOf(call: Call): CallSnapshot {
    return {
      callId: call.id,
      createdAt: call.createdAt,
      callingDevice: call.callingDevice,
      calledDevice: call.calledDevice,
      lastRedirectionDevice: call.lastRedirectionDevice,
      conference: call.conference,
      consultationOf: call.consultationOf,
      connections: this.partiesOf(call),
    };
  }

  private setTimer(conn: Connection, delayMs: number, action: () => void): void {
    this.clock.clearTimeout(conn.timer);
    conn.timer = this.clock.setTimeout(() => {
      conn.timer = undefined;
      this.fromTimer(action);
    }, delayMs);
  }

  private fromTimer(action: () => void): void {
    if (this.disposed) return;
    try {
      this.run(action);
    } catch (cause) {
      // A bug in a timer path must not take the process down; it is logged loudly instead.
      this.logger.error(
        { err: cause instanceof Error ? cause.message : String(cause) },
        'call model timer failed',
      );
    }
  }

  private service<T>(body: () => Result<T>): Result<T> {
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'the call model has been disposed'));
    return this.run(body);
  }

  /** Runs a state change; events it queued are delivered once the outermost change has finished. */
  private run<T>(body: () => T): T {
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
      if (this.depth === 0) this.flush();
    }
  }

  private emit(event: CallModelEvent): void {
    this.pending.push(event);
  }

  private flush(): void {
    if (this.flushing) return; // a listener called a service: its events join this loop, in order
    this.flushing = true;
    try {
      for (let i = 0; i < this.pending.length; i++) {
        const event = this.pending[i] as CallModelEvent;
        for (const listener of this.listeners) {
          try {
            listener(event);
          } catch (cause) {
            this.logger.error(
              { err: cause instanceof Error ? cause.message : String(cause), event: event.type },
              'call model listener failed',
            );
          }
        }
      }
    } finally {
      this.pending.length = 0;
      this.flushing = false;
    }
  }
}

function show(ref: ConnectionRef): string {
  return `${ref.callId}/${ref.deviceId}`;
}
