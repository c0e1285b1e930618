// The desk API: the desktop app's typed, in-process face on the session core (no SIP inside
// the process for this path). One DeskSession per desktop user: list my line appearances,
// choose the one to dial from, and control calls on every line of my phones — each
// CTI-controllable appearance is watched by a monitor of the one core session, as many as
// `users.maxMonitorsPerUser` allows (the chosen line first). Call and device state stream out as
// DeskStateView snapshots. It recovers by itself when its CTI connection fails or comes back
// with a new connection ID — the user never signs in again.
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
import { assert, DesklineError, ErrorCode, isDesklineError, wrapError } from '../../util/errors.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type {
  CallState,
  CallView,
  DeskSessionState,
  DeskStateView,
  DirectorySearchView,
  FeaturesView,
  ForwardingType,
  LineAppearanceView,
  NumberView,
  TroubleshootView,
} from '../../../../common/src/api/views.js';
import type { MethodHandlers, MethodName } from '../../../../common/src/api/contract.js';
import type { DirectoryLookup } from '../../directory/provider.js';
import { troubleshoot } from '../../core/troubleshoot.js';
import { CallTracker, callViewOf, type PartyInfo, type TrackedCall } from './call-tracker.js';
import { deskAccess, lineAppearanceViews } from './line-views.js';
import { callActions, partnerOf } from './call-actions.js';
import { troubleshootView } from './troubleshoot-view.js';

type DeskMethod = Extract<MethodName, `desk.${string}`>;
export type DeskHandlers = Pick<MethodHandlers, DeskMethod>;

export type DeskEventName = 'desk.state' | 'desk.incomingCall';
export type DeskEventListener = (name: DeskEventName, payload: DeskStateView | CallView) => void;

export interface DeskSessionOptions {
  core: SessionCore;
  rules: NumberingRules;
  lineUriStyle: LineUriStyle;
  /** Names for numbers and people search: the configured provider's, else the core's directory. */
  lookup: DirectoryLookup;
  /** How SIP identities map to users (`users.identity`), for the troubleshooter. */
  identity: 'userPart' | 'sipUri';
  clock: Clock;
  logger: Logger;
}

/** One watched line appearance: its monitor and the calls seen on it. */
interface Watched {
  readonly appearanceId: string;
  readonly tracker: CallTracker;
  /** The face's monitor ID (stable across rebinds). */
  readonly monitorId: string;
}

/** A call as the desk shows it: one view per CSTA call, on the appearance that shows it best. */
interface Placed {
  readonly watched: Watched;
  readonly call: TrackedCall;
}

/** Names looked up at most this many at a time, and remembered for this many numbers. */
export const NAME_LOOKUPS_IN_FLIGHT = 8;
export const NAME_CACHE_ENTRIES = 1_000;

/**
 * A call seen on two of the user's appearances (a shared line ringing on two phones, a call
 * between two of the user's own lines) is shown once, on the appearance where it is most
 * advanced — where the user is talking rather than where it still rings — and, on a tie, on
 * the line chosen to dial from (it comes first in the watch order).
 */
const STATE_RANK: Readonly<Record<CallState, number>> = {
  connected: 0,
  held: 1,
  alerting: 2,
  initiated: 3,
  ringing: 4,
  failed: 5,
  cleared: 6,
};

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
  resourceLimitExceeded: 'this line already has as many calls as it can take; end or transfer one first',
  conferenceMemberLimitExceeded: 'the conference is full',
};

/** CSTA errors that get a code of their own (the UI words them differently). ECMA-269 §12.2.12:
 *  `resourceLimitExceeded` is the line's own call limit (CUCM "Maximum Number of Calls"), not
 *  `resourceBusy`, a busy phone system worth retrying. */
const CSTA_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  resourceLimitExceeded: ErrorCode.LineCallLimit,
};

function friendly(action: string, cause: unknown): DesklineError {
  const error = wrapError(cause, ErrorCode.CtiError);
  const csta = cstaErrorOf(error);
  if (csta === undefined) return error;
  const words = CSTA_ERROR_WORDS[csta.value] ?? `${csta.errorClass}: ${csta.value}`;
  return new DesklineError(CSTA_ERROR_CODES[csta.value] ?? error.code, `Cannot ${action}: ${words}`, {
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
  /** Watched appearances, the chosen line first (the order breaks ties: STATE_RANK). */
  private watched = new Map<string, Watched>();
  private readonly byMonitor = new Map<string, Watched>();
  /** Ringing calls already announced (desk.incomingCall once per call, however many lines ring). */
  private readonly announced = new Set<string>();
  private selected: string | null = null;
  private stateValue: DeskSessionState = 'noLine';
  private reason: string | undefined;
  private features: FeaturesView = { forwarding: [], doNotDisturb: false };
  private emitQueued = false;
  private recovering: Promise<void> | undefined;
  private disposed = false;
  /** Names found for numbers (null: nobody), bounded; and the look-ups in flight. */
  private readonly names = new Map<string, string | null>();
  private readonly naming = new Set<string>();
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
    if (this.session !== undefined)
      for (const view of views) view.watched = view.controllable && this.watched.has(view.id);
    return views;
  }

  /** Every call the desk shows: one per CSTA call (STATE_RANK), oldest first. */
  private placed(): Placed[] {
    const best = new Map<string, Placed>();
    for (const watched of this.watched.values()) {
      for (const call of watched.tracker.list()) {
        const current = best.get(call.callId);
        if (current === undefined || STATE_RANK[call.state] < STATE_RANK[current.call.state])
          best.set(call.callId, { watched, call });
      }
    }
    return [...best.values()].sort((a, b) => a.call.startedAt - b.call.startedAt);
  }

  private viewOf({ watched, call }: Placed): CallView {
    const all = watched.tracker.list();
    const partner = partnerOf(call, all);
    return callViewOf(call, callActions(call, all), {
      lineId: watched.appearanceId,
      ...(partner === undefined ? {} : { pairedWith: partner.callId }),
    });
  }

  getState(): DeskStateView {
    const user = this.user();
    const lines = this.listLines();
    const access = deskAccess(this.options.core.directory, this.userId, user, lines);
    const view: DeskStateView = {
      user:
        user === undefined ? null : { userId: user.id, displayName: user.displayName, licence: user.licence },
      lines,
      selectedLineId: this.selected,
      session:
        this.reason === undefined
          ? { state: this.stateValue }
          : { state: this.stateValue, reason: this.reason },
      calls: this.placed().map((p) => this.viewOf(p)),
      features: {
        forwarding: this.features.forwarding.map((f) => ({ ...f })),
        doNotDisturb: this.features.doNotDisturb,
      },
      cti: this.options.core.pool.health(),
    };
    if (access !== undefined) view.access = access;
    return view;
  }

  /** A CTI device reference as a person recognises it: a line of the directory by its label,
   *  else a name the directory lookup finds for the number (asynchronously: shown once found). */
  private describe = (deviceId: string): PartyInfo => {
    const directory = this.options.core.directory;
    const appearance = directory.appearances.get(deviceId);
    if (appearance !== undefined) return { number: appearance.line.dn, display: appearance.line.label };
    const line = directory.findLine(deviceId, undefined);
    if (line !== undefined) return { number: deviceId, display: line.label };
    const known = this.names.get(deviceId);
    if (known !== undefined)
      return known === null ? { number: deviceId } : { number: deviceId, display: known };
    this.lookUpName(deviceId);
    return { number: deviceId };
  };

  /** Names for numbers (docs/directory.md §7), bounded in flight and in memory. */
  private lookUpName(number: string): void {
    if (number === '' || this.naming.has(number) || this.naming.size >= NAME_LOOKUPS_IN_FLIGHT) return;
    this.naming.add(number);
    this.options.lookup.nameForNumber(number).then(
      (person) => {
        this.naming.delete(number);
        if (this.disposed) return;
        const name = person?.displayName.trim() || null;
        if (this.names.size >= NAME_CACHE_ENTRIES) {
          const oldest = this.names.keys().next();
          if (oldest.done !== true) this.names.delete(oldest.value);
        }
        this.names.set(number, name);
        if (name === null) return;
        let changed = false;
        for (const watched of this.watched.values())
          changed = watched.tracker.applyName(number, name) || changed;
        if (changed) this.queueEmit();
      },
      (cause: unknown) => {
        // A directory that cannot be read leaves the number as it is; not remembered, so the
        // next call from it tries again.
        this.naming.delete(number);
        this.log.debug({ error: wrapError(cause).message }, 'name for a number: lookup failed');
      },
    );
  }

  // ------------------------------------------------------------------ choosing a line

  async selectLine(lineId: string): Promise<DeskStateView> {
    const user = this.user();
    if (user === undefined)
      throw new DesklineError(ErrorCode.UnknownUser, `user ${this.userId} is not in the directory`);
    const licensed = this.options.core.authorizeUser(user);
    if (!licensed.ok) throw licensed.error;
    const allowed = this.options.core.authorizeDevice(user, lineId);
    if (!allowed.ok) throw allowed.error;
    const session = this.session;
    const already = this.watched.get(lineId);
    if (session !== undefined && session.state !== 'closed' && already !== undefined) {
      // Every line is watched already: choosing one only changes where calls are dialled from
      // (and whose forwarding and Do Not Disturb the Calls screen shows).
      this.selected = lineId;
      this.watched = new Map([[lineId, already], ...[...this.watched].filter(([id]) => id !== lineId)]);
      this.features = { forwarding: [], doNotDisturb: false };
      if (this.stateValue === 'active') await this.loadFeatures(session, lineId);
      this.queueEmit();
      return this.getState();
    }
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

  /** The user's appearances that may be watched, the chosen one first. */
  private watchOrder(user: DirectoryUser, lineId: string): string[] {
    const mine = this.options.core.directory
      .appearancesOfUser(user)
      .filter((a) => a.device.ctiAllowed)
      .map((a) => a.id);
    return [lineId, ...mine.filter((id) => id !== lineId)];
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
    this.watched = new Map();
    this.byMonitor.clear();
    try {
      for (const id of this.watchOrder(user, lineId)) {
        let monitorId: string;
        try {
          monitorId = await session.monitorStart(id);
        } catch (cause) {
          // The chosen line must be watched; the others as far as users.maxMonitorsPerUser goes.
          if (id === lineId) throw cause;
          const error = wrapError(cause);
          if (error.code === ErrorCode.LimitExceeded) {
            this.log.warn({ line: id, error: error.message }, 'line not watched: monitor limit reached');
            break;
          }
          this.log.warn({ line: id, error: error.message }, 'line not watched');
          continue;
        }
        const watched: Watched = { appearanceId: id, tracker: new CallTracker(id, this.describe), monitorId };
        this.watched.set(id, watched);
        this.byMonitor.set(monitorId, watched);
      }
      await this.resync(session);
    } catch (cause) {
      await session.close('could not start');
      if (this.session === session) {
        this.session = undefined;
        this.watched = new Map();
        this.byMonitor.clear();
      }
      throw cause;
    }
    this.transition('active');
  }

  /** Loads the calls every watched line has now, and the chosen line's features (after
   *  choosing a line, or a recovery). */
  private async resync(session: CoreSession): Promise<void> {
    const now = this.options.clock.now();
    for (const watched of this.watched.values()) {
      const device = watched.appearanceId;
      const snapshot = await session.request({ type: 'SnapshotDevice', snapshotObject: device });
      const tracker = watched.tracker;
      if (snapshot.type !== 'SnapshotDeviceResponse') continue;
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
    if (this.selected !== null) await this.loadFeatures(session, this.selected);
    this.queueEmit();
  }

  /** Forwarding and Do Not Disturb of the chosen line (what the Calls screen shows). */
  private async loadFeatures(session: CoreSession, device: string): Promise<void> {
    const [forwarding, dnd] = await Promise.all([
      session.request({ type: 'GetForwarding', device }).catch(() => undefined),
      session.request({ type: 'GetDoNotDisturb', device }).catch(() => undefined),
    ]);
    if (device !== this.selected) return;
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
    this.watched = new Map();
    this.byMonitor.clear();
    this.announced.clear();
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
        this.log.info({ line: lineId, watched: this.watched.size }, 'desk session recovered');
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
    if (session !== this.session) return;
    // SwitchingFunctionDevices (a directory segment) is the only event without a monitor.
    const watched = 'monitorCrossRefID' in event ? this.byMonitor.get(event.monitorCrossRefID) : undefined;
    if (watched === undefined) return;
    const now = this.options.clock.now();
    if (watched.appearanceId === this.selected) {
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
    }
    for (const change of watched.tracker.apply(event, now)) {
      if (change.kind === 'ringing' && !this.announced.has(change.call.callId)) {
        this.announced.add(change.call.callId);
        this.emit('desk.incomingCall', this.viewOf({ watched, call: change.call }));
      } else if (change.kind === 'ended' && !this.isShown(change.call.callId))
        this.announced.delete(change.call.callId);
    }
    this.queueEmit();
  }

  private isShown(callId: string): boolean {
    for (const watched of this.watched.values()) if (watched.tracker.get(callId) !== undefined) return true;
    return false;
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
          this.watched = new Map();
          this.byMonitor.clear();
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

  private active(): { session: CoreSession; selected: Watched } {
    const session = this.session;
    const selected = this.selected === null ? undefined : this.watched.get(this.selected);
    if (session === undefined || selected === undefined) {
      throw new DesklineError(
        ErrorCode.InvalidState,
        this.selected === null
          ? 'Choose the line to control first'
          : `The line is not ready (${this.reason ?? this.stateValue})`,
      );
    }
    return { session, selected };
  }

  /** The line a call is shown on, and the call there. */
  private placedCall(callId: string): Placed {
    this.active();
    const placed = this.placed().find((p) => p.call.callId === callId);
    if (placed === undefined)
      throw new DesklineError(ErrorCode.InvalidArgument, `There is no call ${callId} on your lines`);
    return placed;
  }

  /** The watched line to dial from: `lineId`, else the chosen one. */
  private dialFrom(lineId: string | undefined): Watched {
    const { selected } = this.active();
    if (lineId === undefined) return selected;
    const watched = this.watched.get(lineId);
    if (watched === undefined) {
      const known = this.listLines().find((l) => l.id === lineId);
      throw new DesklineError(
        known === undefined ? ErrorCode.LineNotOwned : ErrorCode.InvalidArgument,
        known === undefined
          ? 'That line is not one of yours'
          : known.controllable
            ? 'Calls on that line are not watched (too many lines): choose it as the line to dial from'
            : (known.notControllableReason ?? 'That line cannot be controlled'),
      );
    }
    return watched;
  }

  /** The two calls of a two-call service, on one line (ECMA-269 §17.1: both connections are at
   *  the same device). */
  private pair(heldCallId: string, activeCallId: string): { held: Placed; active: Placed } {
    const held = this.placedCall(heldCallId);
    const active = this.placedCall(activeCallId);
    if (held.watched !== active.watched)
      throw new DesklineError(
        ErrorCode.InvalidArgument,
        'The two calls are on different lines: they can only be joined or swapped on the same line',
      );
    return { held, active };
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

  private async search(query: string, limit: number | undefined): Promise<DirectorySearchView> {
    try {
      const found = await this.options.lookup.searchPeople(query, limit);
      return {
        people: found.people.map((p) => ({
          name: p.displayName,
          numbers: p.numbers.map((n) => ({ kind: n.kind, number: n.number })),
        })),
        truncated: found.truncated,
      };
    } catch (cause) {
      if (isDesklineError(cause, ErrorCode.InvalidArgument)) throw cause;
      const error = wrapError(cause);
      this.log.warn({ error: error.message }, 'directory search failed');
      throw new DesklineError(error.code, `Cannot search the directory: ${error.message}`, { cause: error });
    }
  }

  /** The troubleshooter for this desk's user (core/troubleshoot.ts), in plain words. */
  troubleshoot(): TroubleshootView {
    const report = troubleshoot(
      this.options.core,
      this.options.rules,
      { identity: this.options.identity, trustedPeers: [] },
      { user: this.userId },
    );
    return troubleshootView(this.userId, report, this.getState(), this.options.clock.now());
  }

  private buildHandlers(): DeskHandlers {
    const ok = { ok: true as const };
    const conn = ({ watched, call }: Placed): { callID: string; deviceID: string } => ({
      callID: call.callId,
      deviceID: watched.appearanceId,
    });
    const one = (callId: string): { callID: string; deviceID: string } => conn(this.placedCall(callId));
    return {
      'desk.getState': () => this.getState(),
      'desk.listLines': () => this.listLines(),
      'desk.selectLine': ({ lineId }) => this.selectLine(lineId),
      'desk.makeCall': async ({ number, lineId }) => {
        const from = this.dialFrom(lineId);
        const called = this.dial(number);
        const response = await this.send('make the call', {
          type: 'MakeCall',
          callingDevice: from.appearanceId,
          calledDirectoryNumber: called,
          autoOriginate: 'doNotPrompt',
        });
        if (response.type !== 'MakeCallResponse' || response.callingDevice.callID === undefined)
          throw new DesklineError(ErrorCode.CtiError, 'the CTI Manager did not return a call');
        const call = from.tracker.addOutbound(
          response.callingDevice.callID,
          this.describe(called),
          this.options.clock.now(),
        );
        this.queueEmit();
        return this.viewOf({ watched: from, call });
      },
      'desk.answer': async ({ callId }) => (
        await this.send('answer', { type: 'AnswerCall', callToBeAnswered: one(callId) }),
        ok
      ),
      'desk.hangup': async ({ callId }) => {
        const placed = this.placedCall(callId);
        const { call } = placed;
        if (call.state !== 'ringing') {
          await this.send('hang up', { type: 'ClearConnection', connectionToBeCleared: conn(placed) });
          return ok;
        }
        // Declining: ClearConnection of our alerting connection (ECMA-269 §17.1.8) on every
        // line of ours where it rings (a shared line rings on each of the user's phones). Marked
        // first, so that the snapshot the history sees last says it was declined, not missed.
        const ringing = [...this.watched.values()]
          .map((watched) => ({ watched, call: watched.tracker.get(callId) }))
          .filter((p): p is Placed => p.call?.state === 'ringing');
        for (const p of ringing) p.call.declined = true;
        this.queueEmit();
        try {
          for (const p of ringing)
            await this.send('decline', { type: 'ClearConnection', connectionToBeCleared: conn(p) });
        } catch (cause) {
          for (const p of ringing) p.call.declined = false;
          this.queueEmit();
          throw cause;
        }
        return ok;
      },
      'desk.hold': async ({ callId }) => (
        await this.send('hold', { type: 'HoldCall', callToBeHeld: one(callId) }),
        ok
      ),
      'desk.retrieve': async ({ callId }) => (
        await this.send('resume', { type: 'RetrieveCall', callToBeRetrieved: one(callId) }),
        ok
      ),
      'desk.singleStepTransfer': async ({ callId, to }) => (
        await this.send('transfer', {
          type: 'SingleStepTransferCall',
          activeCall: one(callId),
          transferredTo: this.dial(to),
        }),
        ok
      ),
      'desk.consult': async ({ callId, to }) => {
        const placed = this.placedCall(callId);
        const consulted = this.dial(to);
        const response = await this.send('consult', {
          type: 'ConsultationCall',
          existingCall: conn(placed),
          consultedDevice: consulted,
        });
        if (response.type !== 'ConsultationCallResponse' || response.initiatedCall.callID === undefined)
          throw new DesklineError(ErrorCode.CtiError, 'the CTI Manager did not return the consultation call');
        const call = placed.watched.tracker.addOutbound(
          response.initiatedCall.callID,
          this.describe(consulted),
          this.options.clock.now(),
          callId,
        );
        this.queueEmit();
        return this.viewOf({ watched: placed.watched, call });
      },
      'desk.transfer': async ({ heldCallId, activeCallId }) => {
        const { held, active } = this.pair(heldCallId, activeCallId);
        await this.send('transfer', { type: 'TransferCall', heldCall: conn(held), activeCall: conn(active) });
        return ok;
      },
      'desk.conference': async ({ heldCallId, activeCallId }) => {
        const { held, active } = this.pair(heldCallId, activeCallId);
        await this.send('conference', {
          type: 'ConferenceCall',
          heldCall: conn(held),
          activeCall: conn(active),
        });
        return ok;
      },
      'desk.alternate': async ({ heldCallId, activeCallId }) => {
        const { held, active } = this.pair(heldCallId, activeCallId);
        await this.send('swap calls', {
          type: 'AlternateCall',
          heldCall: conn(held),
          activeCall: conn(active),
        });
        return ok;
      },
      'desk.reconnect': async ({ heldCallId, activeCallId }) => {
        const { held, active } = this.pair(heldCallId, activeCallId);
        await this.send('return to the held call', {
          type: 'ReconnectCall',
          heldCall: conn(held),
          activeCall: conn(active),
        });
        return ok;
      },
      'desk.deflect': async ({ callId, to }) => (
        await this.send('redirect', {
          type: 'DeflectCall',
          callToBeDiverted: one(callId),
          newDestination: this.dial(to),
        }),
        ok
      ),
      'desk.digits': async ({ callId, digits }) => (
        await this.send('send tones', {
          type: 'GenerateDigits',
          connectionToSendDigits: one(callId),
          charactersToSend: digits,
        }),
        ok
      ),
      'desk.dropParty': async ({ callId, partyId }) => {
        const { call } = this.placedCall(callId);
        const party = call.parties.get(partyId);
        if (!call.conference || party === undefined)
          throw new DesklineError(ErrorCode.InvalidArgument, 'That person is not in this conference');
        // The core refuses it too (docs/robustness.md §5); said here in the user's words.
        if (!call.controller)
          throw new DesklineError(
            ErrorCode.LineNotOwned,
            'Cannot remove them: only the person who set up the conference can remove someone from it',
          );
        await this.send('remove them from the conference', {
          type: 'ClearConnection',
          connectionToBeCleared: { callID: call.callId, deviceID: partyId },
        });
        return ok;
      },
      'desk.setForwarding': async ({ type, on, to }) => {
        const { selected } = this.active();
        const device = selected.appearanceId;
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
        const { selected } = this.active();
        await this.send('change Do Not Disturb', {
          type: 'SetDoNotDisturb',
          device: selected.appearanceId,
          doNotDisturbOn: on,
        });
        this.features.doNotDisturb = on;
        this.queueEmit();
        return ok;
      },
      'desk.normalizeNumber': ({ input }) => normalizeDialString(input, this.options.rules),
      'desk.getCtiHealth': () => this.options.core.pool.health(),
      'desk.searchDirectory': ({ query, limit }) => this.search(query, limit),
      'desk.troubleshoot': () => this.troubleshoot(),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeUp();
    this.listeners.clear();
    this.names.clear();
    await this.closeSession('desk closed');
  }
}
