// The desk API: the desktop app's typed, in-process face on the session core (no SIP inside
// the process for this path). One DeskSession per desktop user: list my line appearances,
// choose one, and control calls on it; call and device state stream out as DeskStateView
// snapshots. It recovers by itself when its CTI connection fails or comes back with a new
// connection ID — the user never signs in again.
import type { CstaEvent, CstaMessageOf, ResponseTypeOf } from '../../csta/index.js';
import type {
  CoreSession,
  CoreSessionState,
  ForwardedRequest,
  ForwardedRequestType,
  SessionCore,
  SessionFace,
} from '../../core/session-core.js';
import { cstaErrorOf } from '../../core/csta-errors.js';
import type { DirectoryUser } from '../../cti-link/directory-codec.js';
import {
  normalizeDialString,
  type NumberingRules,
  lineUriOf,
  type LineUriStyle,
} from '../../numbering/index.js';
import type { LineRecord } from '../../core/directory.js';
import { assert, DesklineError, ErrorCode, wrapError } from '../../util/errors.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type {
  CallView,
  DeskSessionState,
  DeskStateView,
  FeaturesView,
  ForwardingType,
  LineAppearanceView,
  NumberView,
} from '../../../../common/src/api/views.js';
import type { MethodHandlers, MethodName } from '../../../../common/src/api/contract.js';
import { CallTracker, callViewOf, type PartyInfo, type TrackedCall } from './call-tracker.js';
import { lineAppearanceViews } from './line-views.js';
import { callActions } from './call-actions.js';

type DeskMethod = Extract<MethodName, `desk.${string}`>;
export type DeskHandlers = Pick<MethodHandlers, DeskMethod>;

export type DeskEventName = 'desk.state' | 'desk.incomingCall';
export type DeskEventListener = (name: DeskEventName, payload: DeskStateView | CallView) => void;

export interface DeskSessionOptions {
  core: SessionCore;
  rules: NumberingRules;
  lineUriStyle: LineUriStyle;
  clock: Clock;
  logger: Logger;
}

/** CSTA error values in words a person understands (the UI shows them: "a refused action shows why"). */
const CSTA_ERROR_WORDS: Record<string, string> = {
  invalidConnectionState: 'the call is not in a state that allows this',
  invalidObjectState: 'the call is not in a state that allows this',
  invalidConnectionID: 'that call no longer exists',
  invalidCallID: 'that call no longer exists',
  noActiveCall: 'there is no active call',
  noHeldCall: 'there is no held call',
  noCallToAnswer: 'there is no ringing call to answer',
  privilegeViolationSpecifiedDevice: 'CTI control of this phone is not allowed',
  invalidDestination: 'the number cannot be dialled',
  invalidCalledDeviceID: 'the number cannot be dialled',
  invalidDeviceID: 'that line is unknown',
  invalidForwardingDestination: 'the phone system does not accept that number as a forwarding destination',
  requestIncompatibleWithObject: 'that is not possible on this call',
  valueOutOfRange: 'a value is out of range',
  invalidFeature: 'the phone system does not support this',
  resourceOutOfService: 'the CTI Manager is unavailable',
  resourceBusy: 'the phone system is busy; try again',
  conferenceMemberLimitExceeded: 'the conference is full',
};

function friendly(action: string, cause: unknown): DesklineError {
  const error = wrapError(cause, ErrorCode.CtiError);
  const csta = cstaErrorOf(error);
  if (csta === undefined) return error;
  const words = CSTA_ERROR_WORDS[csta.value] ?? `${csta.errorClass}: ${csta.value}`;
  return new DesklineError(error.code, `Cannot ${action}: ${words}`, {
    cause: error,
    detail: { cstaError: { errorClass: csta.errorClass, value: csta.value } },
  });
}

/**
 * The desk's legal state changes (docs/architecture.md, "State machines"). A state may also be
 * entered again to update its reason (recovering: "reconnecting" → the last failure).
 *   noLine → starting                   a line is chosen
 *   starting → active | recovering | failed
 *   active → recovering | failed        CTI connection lost or stale / session closed
 *   recovering → active | failed        recovered / session closed
 *   failed → recovering                 a CTI Manager came back
 *   any but noLine → starting           another line is chosen
 */
const DESK_TRANSITIONS: Readonly<Record<DeskSessionState, readonly DeskSessionState[]>> = {
  noLine: ['starting'],
  starting: ['starting', 'active', 'recovering', 'failed'],
  active: ['starting', 'active', 'recovering', 'failed'],
  recovering: ['starting', 'recovering', 'active', 'failed'],
  failed: ['starting', 'recovering', 'failed', 'active'],
};

export class DeskSession implements SessionFace {
  private readonly listeners = new Set<DeskEventListener>();
  private session: CoreSession | undefined;
  private tracker: CallTracker | undefined;
  private selected: string | null = null;
  private stateValue: DeskSessionState = 'noLine';
  private reason: string | undefined;
  private features: FeaturesView = { forwarding: [], doNotDisturb: false };
  private emitQueued = false;
  private recovering: Promise<void> | undefined;
  private disposed = false;
  private readonly unsubscribeUp: () => void;
  private readonly log: Logger;
  readonly handlers: DeskHandlers;

  constructor(
    private readonly options: DeskSessionOptions,
    readonly userId: string,
  ) {
    this.log = options.logger.child({ component: 'desk', user: userId });
    this.unsubscribeUp = options.core.onConnectionUp(() => {
      if (this.selected !== null && (this.stateValue === 'recovering' || this.stateValue === 'failed'))
        void this.recover();
      else this.queueEmit();
    });
    this.handlers = this.buildHandlers();
  }

  // ------------------------------------------------------------------ events out

  onEvent(listener: DeskEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(name: DeskEventName, payload: DeskStateView | CallView): void {
    for (const listener of this.listeners) {
      try {
        listener(name, payload);
      } catch (cause) {
        this.log.error({ error: wrapError(cause).message }, 'desk event listener threw');
      }
    }
  }

  /** Coalesces bursts of events (a transfer is five or six CSTA events) into one state push. */
  queueEmit(): void {
    if (this.emitQueued || this.disposed) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      if (!this.disposed) this.emit('desk.state', this.getState());
    });
  }

  // ------------------------------------------------------------------ views

  private user(): DirectoryUser | undefined {
    return this.options.core.directory.userById(this.userId);
  }

  private lineUri = (line: LineRecord): string => {
    const uri = lineUriOf(
      { dn: line.dn, partition: line.partition, ...(line.e164 === undefined ? {} : { e164: line.e164 }) },
      this.options.lineUriStyle,
    );
    if (uri.ok) return uri.value;
    const fallback = lineUriOf({ dn: line.dn, partition: line.partition }, 'dialstring');
    return fallback.ok ? fallback.value : `tel:${line.dn}`;
  };

  listLines(): LineAppearanceView[] {
    const user = this.user();
    if (user === undefined) return [];
    const views = lineAppearanceViews(this.options.core.directory, user, this.lineUri);
    if (user.licence === null) {
      for (const view of views) {
        view.controllable = false;
        view.notControllableReason =
          'You have no IM and Presence licence (UCL or CUWL): ask your administrator to assign one';
      }
    }
    return views;
  }

  getState(): DeskStateView {
    const user = this.user();
    const tracked = this.tracker?.list() ?? [];
    const calls = tracked.map((call) => callViewOf(call, callActions(call, tracked)));
    const view: DeskStateView = {
      user:
        user === undefined ? null : { userId: user.id, displayName: user.displayName, licence: user.licence },
      lines: this.listLines(),
      selectedLineId: this.selected,
      session:
        this.reason === undefined
          ? { state: this.stateValue }
          : { state: this.stateValue, reason: this.reason },
      calls,
      features: {
        forwarding: this.features.forwarding.map((f) => ({ ...f })),
        doNotDisturb: this.features.doNotDisturb,
      },
      cti: this.options.core.pool.health(),
    };
    return view;
  }

  private describe = (deviceId: string): PartyInfo => {
    const directory = this.options.core.directory;
    const appearance = directory.appearances.get(deviceId);
    if (appearance !== undefined) return { number: appearance.line.dn, display: appearance.line.label };
    const line = directory.findLine(deviceId, undefined);
    if (line !== undefined) return { number: deviceId, display: line.label };
    return { number: deviceId };
  };

  // ------------------------------------------------------------------ choosing a line

  async selectLine(lineId: string): Promise<DeskStateView> {
    const user = this.user();
    if (user === undefined)
      throw new DesklineError(ErrorCode.UnknownUser, `user ${this.userId} is not in the directory`);
    const licensed = this.options.core.authorizeUser(user);
    if (!licensed.ok) throw licensed.error;
    const allowed = this.options.core.authorizeDevice(user, lineId);
    if (!allowed.ok) throw allowed.error;
    await this.closeSession('another line chosen');
    this.selected = lineId;
    this.transition('starting');
    try {
      await this.open(lineId);
    } catch (cause) {
      const error = wrapError(cause);
      this.transition(
        error.code === ErrorCode.NoHealthyCtiConnection || error.code === ErrorCode.CtiNotConnected
          ? 'recovering'
          : 'failed',
        error.message,
      );
      throw error;
    }
    return this.getState();
  }

  private async open(lineId: string): Promise<void> {
    const user = this.user();
    const appearance = this.options.core.directory.appearances.get(lineId);
    if (user === undefined || appearance === undefined)
      throw new DesklineError(ErrorCode.UnknownLine, `line appearance ${lineId} is not in the directory`);
    const opened = this.options.core.openSession({ user, appearance }, this);
    if (!opened.ok) throw opened.error;
    const session = opened.value;
    this.session = session;
    this.tracker = new CallTracker(appearance.id, this.describe);
    try {
      await session.monitorStart(appearance.id);
      await this.resync(session);
    } catch (cause) {
      await session.close('could not start');
      if (this.session === session) this.session = undefined;
      throw cause;
    }
    this.transition('active');
  }

  /** Loads the calls and features the phone has now (after choosing a line, or a recovery). */
  private async resync(session: CoreSession): Promise<void> {
    const device = session.appearance.id;
    const now = this.options.clock.now();
    const snapshot = await session.request({ type: 'SnapshotDevice', snapshotObject: device });
    const tracker = this.tracker;
    if (tracker !== undefined && snapshot.type === 'SnapshotDeviceResponse') {
      const present = new Set<string>();
      for (const info of snapshot.crossRefIDorSnapshotData.snapshotData ?? []) {
        const callId = info.connectionIdentifier.callID;
        if (callId === undefined) continue;
        present.add(callId);
        const states = info.localCallState?.compoundCallState;
        tracker.addFromSnapshot(info.connectionIdentifier, states?.[0], now);
      }
      // Calls that ended while we could not see them.
      for (const call of tracker.list())
        if (!present.has(call.callId))
          tracker.apply(
            {
              type: 'CallClearedEvent',
              monitorCrossRefID: '',
              clearedCall: { callID: call.callId },
              cause: 'normalClearing',
            },
            now,
          );
    }
    const [forwarding, dnd] = await Promise.all([
      session.request({ type: 'GetForwarding', device }).catch(() => undefined),
      session.request({ type: 'GetDoNotDisturb', device }).catch(() => undefined),
    ]);
    if (forwarding?.type === 'GetForwardingResponse') {
      this.features.forwarding = (forwarding.forwardingList ?? [])
        .filter(
          (f) =>
            f.forwardingType === 'forwardImmediate' ||
            f.forwardingType === 'forwardBusy' ||
            f.forwardingType === 'forwardNoAns',
        )
        .map((f) => ({
          type: f.forwardingType as ForwardingType,
          on: f.forwardStatus,
          ...(f.forwardDN === undefined ? {} : { to: f.forwardDN }),
        }));
    }
    if (dnd?.type === 'GetDoNotDisturbResponse') this.features.doNotDisturb = dnd.doNotDisturbOn;
    this.queueEmit();
  }

  /** The only way the desk's state changes: checks DESK_TRANSITIONS, keeps the reason the UI
   *  shows, and pushes the new state (an illegal change is a bug: assert). */
  private transition(to: DeskSessionState, reason?: string): void {
    assert(
      DESK_TRANSITIONS[this.stateValue].includes(to),
      `desk ${this.userId}: illegal transition ${this.stateValue} → ${to}`,
    );
    this.stateValue = to;
    this.reason = reason;
    this.queueEmit();
  }

  private async closeSession(reason: string): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.tracker = undefined;
    this.features = { forwarding: [], doNotDisturb: false };
    if (session !== undefined) await session.close(reason);
  }

  // ------------------------------------------------------------------ recovery

  /** Re-establishes the session after a CTI failure or a new connection ID. */
  private recover(): Promise<void> {
    if (this.recovering !== undefined) return this.recovering;
    this.recovering = (async () => {
      const lineId = this.selected;
      if (lineId === null || this.disposed) return;
      this.transition('recovering', 'reconnecting to the CTI Manager');
      try {
        const session = this.session;
        if (session !== undefined && session.state !== 'closed') {
          await session.rebind();
          await this.resync(session);
        } else {
          await this.open(lineId);
        }
        this.transition('active');
        this.log.info({ line: lineId }, 'desk session recovered');
      } catch (cause) {
        const error = wrapError(cause);
        this.transition('recovering', error.message);
        this.log.info({ error: error.message }, 'desk session not recovered yet (waiting for a CTI Manager)');
      }
    })().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  // ------------------------------------------------------------------ SessionFace

  onCtiEvent(session: CoreSession, event: CstaEvent): void {
    if (session !== this.session || this.tracker === undefined) return;
    const now = this.options.clock.now();
    if (event.type === 'DoNotDisturbEvent') this.features.doNotDisturb = event.doNotDisturbOn;
    else if (event.type === 'ForwardingEvent') {
      const type = event.forwardingType;
      if (type === 'forwardImmediate' || type === 'forwardBusy' || type === 'forwardNoAns') {
        this.features.forwarding = this.features.forwarding.filter((f) => f.type !== type);
        this.features.forwarding.push({
          type,
          on: event.forwardStatus,
          ...(event.forwardTo === undefined ? {} : { to: event.forwardTo }),
        });
      }
    }
    for (const change of this.tracker.apply(event, now)) {
      if (change.kind === 'ringing')
        this.emit(
          'desk.incomingCall',
          callViewOf(change.call, callActions(change.call, this.tracker.list())),
        );
    }
    this.queueEmit();
  }

  onStateChange(session: CoreSession, state: CoreSessionState, reason: string | undefined): void {
    if (session !== this.session) return;
    switch (state) {
      case 'ctiDown':
      case 'stale':
        this.transition('recovering', reason);
        void this.recover();
        break;
      case 'closed':
        if (this.session === session) {
          this.session = undefined;
          this.transition('failed', reason);
        }
        break;
      case 'active':
      case 'rebinding':
        this.queueEmit();
        break;
      default: {
        const never: never = state;
        throw new Error(`unknown session state ${String(never)}`);
      }
    }
  }

  // ------------------------------------------------------------------ call control

  private active(): { session: CoreSession; tracker: CallTracker; device: string } {
    const session = this.session;
    const tracker = this.tracker;
    if (session === undefined || tracker === undefined) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        this.selected === null
          ? 'Choose the line to control first'
          : `The line is not ready (${this.reason ?? this.stateValue})`,
      );
    }
    return { session, tracker, device: session.appearance.id };
  }

  private call(callId: string): TrackedCall {
    const call = this.tracker?.get(callId);
    if (call === undefined)
      throw new DesklineError(ErrorCode.InvalidArgument, `There is no call ${callId} on this line`);
    return call;
  }

  private dial(number: string): string {
    const view: NumberView = normalizeDialString(number, this.options.rules);
    if (!view.valid)
      throw new DesklineError(
        ErrorCode.NumberInvalid,
        `Cannot dial ${JSON.stringify(number)}: ${view.reason ?? 'not a dialable number'}`,
      );
    return view.dialString;
  }

  private async send(
    action: string,
    message: ForwardedRequest,
  ): Promise<CstaMessageOf<ResponseTypeOf<ForwardedRequestType>>> {
    const { session } = this.active();
    try {
      return await session.request(message);
    } catch (cause) {
      throw friendly(action, cause);
    }
  }

  private view(call: TrackedCall): CallView {
    const all = this.tracker?.list() ?? [call];
    return callViewOf(call, callActions(call, all));
  }

  private buildHandlers(): DeskHandlers {
    const ok = { ok: true as const };
    const conn = (callId: string): { callID: string; deviceID: string } => ({
      callID: this.call(callId).callId,
      deviceID: this.active().device,
    });
    return {
      'desk.getState': () => this.getState(),
      'desk.listLines': () => this.listLines(),
      'desk.selectLine': ({ lineId }) => this.selectLine(lineId),
      'desk.makeCall': async ({ number }) => {
        const { tracker, device } = this.active();
        const called = this.dial(number);
        const response = await this.send('make the call', {
          type: 'MakeCall',
          callingDevice: device,
          calledDirectoryNumber: called,
          autoOriginate: 'doNotPrompt',
        });
        if (response.type !== 'MakeCallResponse' || response.callingDevice.callID === undefined)
          throw new DesklineError(ErrorCode.CtiError, 'the CTI Manager did not return a call');
        const call = tracker.addOutbound(
          response.callingDevice.callID,
          this.describe(called),
          this.options.clock.now(),
        );
        this.queueEmit();
        return this.view(call);
      },
      'desk.answer': async ({ callId }) => (
        await this.send('answer', { type: 'AnswerCall', callToBeAnswered: conn(callId) }),
        ok
      ),
      'desk.hangup': async ({ callId }) => (
        await this.send('hang up', { type: 'ClearConnection', connectionToBeCleared: conn(callId) }),
        ok
      ),
      'desk.hold': async ({ callId }) => (
        await this.send('hold', { type: 'HoldCall', callToBeHeld: conn(callId) }),
        ok
      ),
      'desk.retrieve': async ({ callId }) => (
        await this.send('resume', { type: 'RetrieveCall', callToBeRetrieved: conn(callId) }),
        ok
      ),
      'desk.singleStepTransfer': async ({ callId, to }) => (
        await this.send('transfer', {
          type: 'SingleStepTransferCall',
          activeCall: conn(callId),
          transferredTo: this.dial(to),
        }),
        ok
      ),
      'desk.consult': async ({ callId, to }) => {
        const { tracker } = this.active();
        const consulted = this.dial(to);
        const response = await this.send('consult', {
          type: 'ConsultationCall',
          existingCall: conn(callId),
          consultedDevice: consulted,
        });
        if (response.type !== 'ConsultationCallResponse' || response.initiatedCall.callID === undefined)
          throw new DesklineError(ErrorCode.CtiError, 'the CTI Manager did not return the consultation call');
        const call = tracker.addOutbound(
          response.initiatedCall.callID,
          this.describe(consulted),
          this.options.clock.now(),
          callId,
        );
        this.queueEmit();
        return this.view(call);
      },
      'desk.transfer': async ({ heldCallId, activeCallId }) => (
        await this.send('transfer', {
          type: 'TransferCall',
          heldCall: conn(heldCallId),
          activeCall: conn(activeCallId),
        }),
        ok
      ),
      'desk.conference': async ({ heldCallId, activeCallId }) => (
        await this.send('conference', {
          type: 'ConferenceCall',
          heldCall: conn(heldCallId),
          activeCall: conn(activeCallId),
        }),
        ok
      ),
      'desk.alternate': async ({ heldCallId, activeCallId }) => (
        await this.send('swap calls', {
          type: 'AlternateCall',
          heldCall: conn(heldCallId),
          activeCall: conn(activeCallId),
        }),
        ok
      ),
      'desk.reconnect': async ({ heldCallId, activeCallId }) => (
        await this.send('return to the held call', {
          type: 'ReconnectCall',
          heldCall: conn(heldCallId),
          activeCall: conn(activeCallId),
        }),
        ok
      ),
      'desk.deflect': async ({ callId, to }) => (
        await this.send('redirect', {
          type: 'DeflectCall',
          callToBeDiverted: conn(callId),
          newDestination: this.dial(to),
        }),
        ok
      ),
      'desk.digits': async ({ callId, digits }) => (
        await this.send('send tones', {
          type: 'GenerateDigits',
          connectionToSendDigits: conn(callId),
          charactersToSend: digits,
        }),
        ok
      ),
      'desk.setForwarding': async ({ type, on, to }) => {
        const { device } = this.active();
        if (on && (to === undefined || to === ''))
          throw new DesklineError(ErrorCode.InvalidArgument, 'Forwarding needs a number to forward to');
        const forwardDN = to === undefined || to === '' ? undefined : this.dial(to);
        await this.send('change forwarding', {
          type: 'SetForwarding',
          device,
          forwardingType: type,
          activateForward: on,
          ...(forwardDN === undefined ? {} : { forwardDN }),
        });
        this.features.forwarding = this.features.forwarding.filter((f) => f.type !== type);
        this.features.forwarding.push({ type, on, ...(forwardDN === undefined ? {} : { to: forwardDN }) });
        this.queueEmit();
        return ok;
      },
      'desk.setDoNotDisturb': async ({ on }) => {
        const { device } = this.active();
        await this.send('change Do Not Disturb', { type: 'SetDoNotDisturb', device, doNotDisturbOn: on });
        this.features.doNotDisturb = on;
        this.queueEmit();
        return ok;
      },
      'desk.normalizeNumber': ({ input }) => normalizeDialString(input, this.options.rules),
      'desk.getCtiHealth': () => this.options.core.pool.health(),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeUp();
    this.listeners.clear();
    await this.closeSession('desk closed');
  }
}
