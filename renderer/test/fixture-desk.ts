// TEST ONLY (never imported by renderer/src, so never in the shipped bundle).
// An in-memory desk that implements every contract method and emits the contract's events,
// so the renderer can be driven without the gateway: in the page as window.deskline
// (fixture-bridge.ts), or in Node behind the real shell server (e2e/renderer.e2e.ts).
// It is a fake with plausible behaviour, not the engine: the engine's rules for which
// action is allowed live in the gateway; these are just enough to exercise every UI state.
// Pure TypeScript: no DOM, no Node.
import {
  events as eventSchemas,
  type EventName,
  type MethodHandlers,
  type MethodName,
} from '../../common/src/api/contract.js';
import type {
  ActionAvailability,
  CallAction,
  CallView,
  CtiHealthView,
  CtiNodeView,
  DeskStateView,
  HistoryEntryView,
  HostInfoView,
  LineAppearanceView,
  MissedCallsView,
  NumberView,
  PersonView,
  SettingsView,
  TroubleshootView,
} from '../../common/src/api/views.js';

export class FixtureError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FixtureError';
  }
}

export type FixtureListener = (name: EventName, payload: unknown) => void;

export interface FixtureInvocation {
  method: MethodName;
  request: unknown;
}

export type FixtureScenario = 'empty' | 'demo' | 'shell';

export interface FixtureDesk {
  handlers: MethodHandlers;
  /** The event source (shape of ShellEventSource). */
  on(listener: FixtureListener): () => void;
  /** Every method call received, in order. */
  readonly invocations: FixtureInvocation[];
  state(): DeskStateView;
  settings(): SettingsView;
  setSession(state: DeskStateView['session']['state'], reason?: string): void;
  /** A call from `number` starts ringing at the chosen line (or `lineId`). */
  ringIn(number: string, display?: string, lineId?: string): CallView;
  /** The far end of an outbound call answers. */
  farEndAnswers(callId?: string): void;
  /** The far end hangs up. */
  farEndHangsUp(callId: string): void;
  /** The call fails or ends with an ECMA-269 cause and stays listed (until dismissed). */
  endCall(callId: string, state: 'failed' | 'cleared', cause: string): void;
  /** Replaces the user (e.g. one without a licence: every line not controllable). */
  setUser(user: DeskStateView['user'], lines?: LineAppearanceView[]): void;
  setCallAction(callId: string, action: CallAction, availability: ActionAvailability): void;
  /** Whether the user set up the conference `callId` (only the controller may drop a party). */
  setController(callId: string, controller: boolean): void;
  /** Why the user has no line at all (DeskStateView.access), or undefined. */
  setAccess(access: DeskStateView['access']): void;
  /** What the host is and applies (the browser shell applies fewer settings). */
  setHostInfo(info: HostInfoView): void;
  setCti(cti: CtiHealthView): void;
  setNodeState(index: number, state: CtiNodeView['state'], lastError?: string): void;
  /** The next call of `method` fails with this code and message. */
  failNext(method: MethodName, code: string, message: string): void;
  notice(level: 'info' | 'warning' | 'error', message: string, code?: string): void;
  navigate(screen: 'dial' | 'calls' | 'lines' | 'health' | 'settings' | 'history', number?: string): void;
  /** Emits a raw event, unvalidated (to test the bridge's own checks). */
  emitRaw(name: string, payload: unknown): void;
}

const ALL_ACTIONS: readonly CallAction[] = [
  'answer',
  'decline',
  'hold',
  'retrieve',
  'hangup',
  'singleStepTransfer',
  'consult',
  'transfer',
  'conference',
  'alternate',
  'reconnect',
  'deflect',
  'digits',
];

const on = (): ActionAvailability => ({ enabled: true });
const off = (reason: string): ActionAvailability => ({ enabled: false, reason });

export const DEMO_LINES: LineAppearanceView[] = [
  {
    id: 'SEP00AABBCC0101:1001',
    deviceName: 'SEP00AABBCC0101',
    deviceModel: 'Cisco 8865',
    deviceDescription: 'Desk phone',
    dn: '1001',
    partition: 'INTERNAL',
    lineUri: 'tel:1001;phone-context=dialstring;partition=INTERNAL',
    label: 'Alice',
    shared: false,
    sharedWith: [],
    controllable: true,
    watched: true,
  },
  {
    id: 'SEP00AABBCC0101:1050',
    deviceName: 'SEP00AABBCC0101',
    deviceModel: 'Cisco 8865',
    deviceDescription: 'Desk phone',
    dn: '1050',
    partition: 'INTERNAL',
    lineUri: 'tel:1050;phone-context=dialstring;partition=INTERNAL',
    label: 'Sales hunt',
    shared: true,
    sharedWith: ['SEP00AABBCC0202', 'SEP00AABBCC0303'],
    controllable: true,
    watched: true,
  },
  {
    id: 'SEP00AABBCC0909:1001',
    deviceName: 'SEP00AABBCC0909',
    deviceModel: 'Cisco 7841',
    deviceDescription: 'Lab phone',
    dn: '1001',
    partition: 'INTERNAL',
    lineUri: 'tel:1001;phone-context=dialstring;partition=INTERNAL',
    label: 'Lab',
    shared: false,
    sharedWith: [],
    controllable: false,
    notControllableReason: 'Your administrator has not allowed this phone to be controlled from a computer',
    unavailable: {
      code: 'ctiControlDisallowed',
      detail: '"Allow Control of Device from CTI" is off on SEP00AABBCC0909',
    },
    watched: false,
  },
];

/** The fixture's directory (desk.searchDirectory). */
const DIRECTORY: PersonView[] = [
  { name: 'Bob Martin', numbers: [{ kind: 'work', number: '+14085550111' }] },
  { name: 'Carol Diaz', numbers: [{ kind: 'line', number: '2002' }] },
  {
    name: 'Dana Whitfield',
    numbers: [
      { kind: 'line', number: '2044' },
      { kind: 'mobile', number: '+14085550144' },
    ],
  },
  { name: 'Service desk', numbers: [{ kind: 'line', number: '4000' }] },
];

const DESKTOP_INFO: HostInfoView = {
  kind: 'desktop',
  settings: [
    'ctiAddresses',
    'applicationUser',
    'hasPassword',
    'heartbeatIntervalSec',
    'userId',
    'favourites',
    'sipListenerEnabled',
    'startAtLogin',
    'theme',
    'globalShortcut',
  ],
  demo: false,
};
const SHELL_INFO: HostInfoView = { kind: 'browserShell', settings: ['favourites', 'theme'], demo: true };

function demoCti(now: number): CtiHealthView {
  const history = (base: number): number[] =>
    Array.from({ length: 24 }, (_, i) => base + ((i * 7) % 5) * 0.3 + (i % 3) * 0.1);
  return {
    overall: 'up',
    nodes: [
      {
        index: 0,
        address: 'cucm-pub.example.com:2748',
        state: 'up',
        connectionId: 'a1f3c9e0-0001',
        rttMs: 1.4,
        rttHistory: history(1.1),
        upSince: now - 2 * 3600_000 - 13 * 60_000,
        failures: 0,
        missedHeartbeats: 0,
        sessions: 42,
      },
      {
        index: 1,
        address: 'cucm-sub1.example.com:2748',
        state: 'up',
        connectionId: 'b7d2e4a1-0003',
        rttMs: 2.2,
        rttHistory: history(1.9),
        upSince: now - 26 * 60_000,
        failures: 2,
        missedHeartbeats: 1,
        sessions: 39,
      },
    ],
  };
}

/**
 * Two calls today and two yesterday, whatever the time of day the suite runs: "80
 * minutes ago" is yesterday before 01:20, so times are placed inside the local
 * calendar day (before `now`) rather than at fixed offsets from it.
 */
function demoHistory(now: number): HistoryEntryView[] {
  const clock = new Date(now);
  const startOfToday = new Date(clock.getFullYear(), clock.getMonth(), clock.getDate()).getTime();
  const startOfYesterday = new Date(clock.getFullYear(), clock.getMonth(), clock.getDate() - 1).getTime();
  const sinceMidnight = now - startOfToday;
  const today = (minutesAgo: number, share: number): number =>
    now - Math.min(minutesAgo * 60_000, Math.floor(sinceMidnight * share));
  const yesterday = (hour: number): number => startOfYesterday + hour * 3600_000;
  return [
    {
      id: 'h1',
      callId: 'c-h1',
      direction: 'inbound',
      number: '+14085550111',
      display: 'Bob Martin',
      startedAt: today(35, 1 / 3),
      durationMs: 184_000,
      outcome: 'answered',
    },
    {
      id: 'h2',
      callId: 'c-h2',
      direction: 'inbound',
      number: '2002',
      display: 'Carol Diaz',
      startedAt: today(80, 2 / 3),
      durationMs: 0,
      outcome: 'missed',
    },
    {
      id: 'h3',
      callId: 'c-h3',
      direction: 'outbound',
      number: '+442071234567',
      startedAt: yesterday(17),
      durationMs: 61_000,
      outcome: 'answered',
    },
    {
      id: 'h4',
      callId: 'c-h4',
      direction: 'outbound',
      number: '3003',
      startedAt: yesterday(16),
      durationMs: 0,
      outcome: 'failed',
    },
  ];
}

const DEFAULT_SETTINGS: SettingsView = {
  ctiAddresses: ['cucm-pub.example.com:2748', 'cucm-sub1.example.com:2748'],
  applicationUser: 'deskline-app',
  hasPassword: true,
  heartbeatIntervalSec: 30,
  userId: 'alice',
  favourites: [
    { name: 'Bob Martin', number: '+14085550111' },
    { name: 'Service desk', number: '4000' },
  ],
  sipListenerEnabled: true,
  startAtLogin: false,
  theme: 'light',
  globalShortcut: 'CommandOrControl+Alt+D',
};

/** Normalisation good enough to exercise the UI (the engine has the real rules). */
export function fixtureNormalize(input: string): NumberView {
  const stripped = input.replace(/[\s().-]/g, '');
  if (stripped === '') return { input, dialString: '', display: '', valid: false, reason: 'Enter a number' };
  if (/[a-z]/i.test(stripped))
    return {
      input,
      dialString: '',
      display: '',
      valid: false,
      reason: 'Letters are not part of a phone number',
    };
  if (!/^\+?[0-9*#]+$/.test(stripped))
    return {
      input,
      dialString: '',
      display: '',
      valid: false,
      reason: 'Only digits, + * and # can be dialled',
    };
  if (stripped.startsWith('+')) {
    const digits = stripped.slice(1);
    if (digits.length < 8 || digits.length > 15)
      return {
        input,
        dialString: '',
        display: '',
        valid: false,
        reason: 'An E.164 number has 8 to 15 digits',
      };
    const grouped = `+${digits.slice(0, digits.length - 10 > 0 ? digits.length - 10 : 1)} ${digits.slice(-10, -7)} ${digits.slice(-7, -4)} ${digits.slice(-4)}`;
    return {
      input,
      dialString: stripped,
      display: grouped.replace(/\s+/g, ' ').trim(),
      valid: true,
      rule: 'E.164',
    };
  }
  if (stripped.length < 3)
    return { input, dialString: '', display: '', valid: false, reason: 'Too short to dial' };
  if (stripped.length <= 6)
    return { input, dialString: stripped, display: stripped, valid: true, rule: 'Internal extension' };
  return { input, dialString: stripped, display: stripped, valid: true, rule: 'National' };
}

export function createFixtureDesk(
  options: { scenario?: FixtureScenario; now?: () => number } = {},
): FixtureDesk {
  const now = options.now ?? (() => Date.now());
  const scenario = options.scenario ?? 'demo';
  const listeners = new Set<FixtureListener>();
  const invocations: FixtureInvocation[] = [];
  const failures = new Map<MethodName, FixtureError>();
  const overrides = new Map<string, Partial<Record<CallAction, ActionAvailability>>>();
  let callSeq = 0;
  let historySeq = 100;
  let missedSeenAt = 0;
  let hostInfo: HostInfoView = scenario === 'shell' ? SHELL_INFO : DESKTOP_INFO;
  const controllers = new Map<string, boolean>();

  const t0 = now();
  let settings: SettingsView = {
    ...DEFAULT_SETTINGS,
    favourites: DEFAULT_SETTINGS.favourites.map((f) => ({ ...f })),
  };
  let history: HistoryEntryView[] = scenario !== 'empty' ? demoHistory(t0) : [];
  let desk: DeskStateView =
    scenario !== 'empty'
      ? {
          user: { userId: 'alice', displayName: 'Alice Example', licence: 'CUWL' },
          lines: DEMO_LINES.map((l) => ({ ...l, sharedWith: [...l.sharedWith] })),
          selectedLineId: DEMO_LINES[0]?.id ?? null,
          session: { state: 'active' },
          calls: [],
          features: {
            forwarding: [
              { type: 'forwardImmediate', on: false },
              { type: 'forwardBusy', on: false },
              { type: 'forwardNoAns', on: false },
            ],
            doNotDisturb: false,
          },
          cti: demoCti(t0),
        }
      : {
          user: null,
          lines: [],
          selectedLineId: null,
          session: { state: 'noLine' },
          calls: [],
          features: { forwarding: [], doNotDisturb: false },
          cti: { overall: 'down', nodes: [] },
        };

  const emit = (name: EventName, payload: unknown): void => {
    // The fixture must only emit what the contract allows: a bad fixture is a test bug.
    const parsed = eventSchemas[name].safeParse(payload);
    if (!parsed.success) throw new Error(`fixture emitted an invalid ${name}: ${parsed.error.message}`);
    for (const listener of [...listeners]) listener(name, parsed.data);
  };

  const computeActions = (
    call: CallView,
    calls: readonly CallView[],
  ): Record<CallAction, ActionAvailability> => {
    const others = calls.filter(
      (c) => c.callId !== call.callId && c.state !== 'cleared' && c.state !== 'failed',
    );
    const otherConnected = others.some((c) => c.state === 'connected');
    const consultPartner =
      call.consultationOf !== undefined
        ? calls.find((c) => c.callId === call.consultationOf)
        : calls.find((c) => c.consultationOf === call.callId);
    // Two calls on one line, one held and one connected, pair too (merge, swap).
    const samePair =
      (call.state === 'held' || call.state === 'connected') &&
      others.length === 1 &&
      others[0]?.lineId === call.lineId &&
      (others[0]?.state === 'held' || others[0]?.state === 'connected') &&
      others[0]?.state !== call.state
        ? others[0]
        : undefined;
    const pairPartner = consultPartner ?? samePair;
    const ringing = call.direction === 'inbound' && call.state === 'ringing';
    const connected = call.state === 'connected';
    const ended = call.state === 'cleared' || call.state === 'failed';
    const notConnected =
      call.state === 'held' ? 'The call is on hold: resume it first' : 'The call is not connected';
    const pairAction = pairPartner === undefined ? off('Needs a consultation call') : on();
    const base: Record<CallAction, ActionAvailability> = {
      answer: ringing ? on() : off('Only a ringing call can be answered'),
      decline: ringing ? on() : off('Only a ringing call can be declined'),
      hold: connected ? on() : call.state === 'held' ? off('The call is already on hold') : off(notConnected),
      retrieve:
        call.state !== 'held'
          ? off('The call is not on hold')
          : otherConnected
            ? off('Another call is connected: hold it first')
            : on(),
      hangup: call.state === 'cleared' ? off('The call has ended') : on(),
      singleStepTransfer: connected ? on() : off(`Only a connected call can be transferred`),
      consult: !connected
        ? off('Only a connected call can be consulted from')
        : pairPartner !== undefined
          ? off('A consultation is already in progress')
          : on(),
      transfer: ended ? off('The call has ended') : pairAction,
      conference: ended ? off('The call has ended') : pairAction,
      alternate: ended ? off('The call has ended') : pairAction,
      reconnect: ended ? off('The call has ended') : pairAction,
      deflect: ringing ? on() : off('Only a ringing call can be deflected'),
      digits: connected ? on() : off('Tones can only be sent on a connected call'),
    };
    return { ...base, ...overrides.get(call.callId) };
  };

  /** What the engine adds to a call: its partner, and for a conference who may drop whom. */
  const decorate = (c: CallView, calls: readonly CallView[]): CallView => {
    const actions = computeActions(c, calls);
    const partner =
      c.consultationOf ??
      calls.find((o) => o.consultationOf === c.callId)?.callId ??
      (actions.conference.enabled || actions.alternate.enabled
        ? calls.find((o) => o.callId !== c.callId && o.state !== 'cleared' && o.state !== 'failed')?.callId
        : undefined);
    const { pairedWith: _old, controller: _c, ...rest } = c;
    const controller = controllers.get(c.callId) ?? true;
    return {
      ...rest,
      actions,
      ...(partner === undefined ? {} : { pairedWith: partner }),
      ...(c.conference ? { controller } : {}),
      parties: c.parties.map((p) => {
        const { drop: _d, ...party } = p;
        return c.conference
          ? {
              ...party,
              id: p.id ?? `party-${p.number}`,
              drop: controller
                ? on()
                : off('Only the person who set up the conference can remove someone from it'),
            }
          : { ...party, id: p.id ?? `party-${p.number}` };
      }),
    };
  };

  const missed = (): MissedCallsView => ({
    seenAt: missedSeenAt,
    unseen: history.filter((h) => h.outcome === 'missed' && h.startedAt > missedSeenAt).length,
  });

  const publish = (): void => {
    desk = { ...desk, calls: desk.calls.map((c) => decorate(c, desk.calls)) };
    emit('desk.state', desk);
  };

  const findCall = (callId: string): CallView => {
    const call = desk.calls.find((c) => c.callId === callId);
    if (call === undefined) throw new FixtureError('INVALID_STATE', `No call ${callId} on this line`);
    return call;
  };

  const updateCall = (callId: string, patch: Partial<CallView>): void => {
    desk = { ...desk, calls: desk.calls.map((c) => (c.callId === callId ? { ...c, ...patch } : c)) };
  };

  const removeCall = (callId: string, outcome: HistoryEntryView['outcome']): void => {
    const call = desk.calls.find((c) => c.callId === callId);
    desk = { ...desk, calls: desk.calls.filter((c) => c.callId !== callId) };
    if (call === undefined) return;
    historySeq += 1;
    const entry: HistoryEntryView = {
      id: `h${historySeq}`,
      callId: call.callId,
      direction: call.direction,
      number: call.remote.number,
      startedAt: call.startedAt,
      durationMs: call.connectedAt === undefined ? 0 : now() - call.connectedAt,
      outcome,
      ...(call.remote.display === undefined ? {} : { display: call.remote.display }),
    };
    history = [entry, ...history];
    emit('app.history', history);
    if (outcome === 'missed') emit('app.missedCalls', missed());
  };

  const newCall = (
    direction: 'inbound' | 'outbound',
    number: string,
    state: CallView['state'],
    display?: string,
    lineId?: string,
  ): CallView => {
    callSeq += 1;
    const line = lineId ?? desk.selectedLineId ?? undefined;
    const call: CallView = {
      callId: `call-${callSeq}`,
      direction,
      state,
      ...(line === undefined ? {} : { lineId: line }),
      remote: display === undefined ? { number } : { number, display },
      parties: [],
      conference: false,
      startedAt: now(),
      actions: Object.fromEntries(ALL_ACTIONS.map((a) => [a, off('pending')])) as Record<
        CallAction,
        ActionAvailability
      >,
      ...(state === 'connected' ? { connectedAt: now() } : {}),
    };
    return call;
  };

  const requireActive = (): void => {
    if (desk.session.state !== 'active')
      throw new FixtureError('INVALID_STATE', 'Choose a line to control first');
  };

  const requireAction = (call: CallView, action: CallAction): void => {
    const can = computeActions(call, desk.calls)[action];
    if (!can.enabled) throw new FixtureError('INVALID_STATE', can.reason ?? `${action} is not available`);
  };

  const ok = { ok: true as const };

  const handlers: MethodHandlers = {
    'desk.getState': () => desk,
    'desk.listLines': () => desk.lines,
    'desk.selectLine': ({ lineId }) => {
      const line = desk.lines.find((l) => l.id === lineId);
      if (line === undefined) throw new FixtureError('UNKNOWN_LINE', `No line appearance ${lineId}`);
      if (!line.controllable)
        throw new FixtureError(
          'CTI_CONTROL_DISALLOWED',
          line.notControllableReason ?? 'This line cannot be controlled',
        );
      desk = { ...desk, selectedLineId: lineId, session: { state: 'active' }, calls: [] };
      publish();
      return desk;
    },
    'desk.makeCall': ({ number, lineId }) => {
      requireActive();
      const normalized = fixtureNormalize(number);
      if (!normalized.valid) throw new FixtureError('NUMBER_INVALID', normalized.reason ?? 'Invalid number');
      if (lineId !== undefined && !desk.lines.some((l) => l.id === lineId && l.controllable))
        throw new FixtureError('LINE_NOT_OWNED', 'That line is not one of yours');
      const call = newCall('outbound', normalized.dialString, 'alerting', undefined, lineId);
      desk = { ...desk, calls: [...desk.calls, call] };
      publish();
      return desk.calls.find((c) => c.callId === call.callId) ?? call;
    },
    'desk.answer': ({ callId }) => {
      const call = findCall(callId);
      requireAction(call, 'answer');
      // Answering a second call holds the connected one, as a phone does.
      for (const other of desk.calls)
        if (other.state === 'connected') updateCall(other.callId, { state: 'held' });
      updateCall(callId, { state: 'connected', connectedAt: now() });
      publish();
      return ok;
    },
    'desk.hangup': ({ callId }) => {
      const call = findCall(callId);
      requireAction(call, 'hangup');
      removeCall(
        callId,
        call.state === 'ringing' ? 'declined' : call.connectedAt === undefined ? 'cancelled' : 'answered',
      );
      publish();
      return ok;
    },
    'desk.hold': ({ callId }) => {
      requireAction(findCall(callId), 'hold');
      updateCall(callId, { state: 'held' });
      publish();
      return ok;
    },
    'desk.retrieve': ({ callId }) => {
      requireAction(findCall(callId), 'retrieve');
      updateCall(callId, { state: 'connected' });
      publish();
      return ok;
    },
    'desk.singleStepTransfer': ({ callId }) => {
      requireAction(findCall(callId), 'singleStepTransfer');
      removeCall(callId, 'answered');
      publish();
      return ok;
    },
    'desk.consult': ({ callId, to }) => {
      requireAction(findCall(callId), 'consult');
      updateCall(callId, { state: 'held' });
      const consultation: CallView = { ...newCall('outbound', to, 'connected'), consultationOf: callId };
      desk = { ...desk, calls: [...desk.calls, consultation] };
      publish();
      return desk.calls.find((c) => c.callId === consultation.callId) ?? consultation;
    },
    'desk.transfer': ({ heldCallId, activeCallId }) => {
      requireAction(findCall(activeCallId), 'transfer');
      removeCall(activeCallId, 'answered');
      removeCall(heldCallId, 'answered');
      publish();
      return ok;
    },
    'desk.conference': ({ heldCallId, activeCallId }) => {
      const held = findCall(heldCallId);
      const active = findCall(activeCallId);
      requireAction(active, 'conference');
      desk = { ...desk, calls: desk.calls.filter((c) => c.callId !== activeCallId) };
      updateCall(heldCallId, {
        state: 'connected',
        conference: true,
        consultationOf: undefined,
        remote: active.remote,
        parties: [
          {
            number: held.remote.number,
            ...(held.remote.display === undefined ? {} : { display: held.remote.display }),
            state: 'connected',
          },
          {
            number: active.remote.number,
            ...(active.remote.display === undefined ? {} : { display: active.remote.display }),
            state: 'connected',
          },
        ],
      });
      publish();
      return ok;
    },
    'desk.alternate': ({ heldCallId, activeCallId }) => {
      requireAction(findCall(activeCallId), 'alternate');
      updateCall(heldCallId, { state: 'connected' });
      updateCall(activeCallId, { state: 'held' });
      publish();
      return ok;
    },
    'desk.reconnect': ({ heldCallId, activeCallId }) => {
      requireAction(findCall(activeCallId), 'reconnect');
      removeCall(activeCallId, 'answered');
      updateCall(heldCallId, { state: 'connected' });
      publish();
      return ok;
    },
    'desk.deflect': ({ callId }) => {
      requireAction(findCall(callId), 'deflect');
      removeCall(callId, 'missed');
      publish();
      return ok;
    },
    'desk.digits': ({ callId }) => {
      requireAction(findCall(callId), 'digits');
      return ok;
    },
    'desk.setForwarding': ({ type, on: enable, to }) => {
      requireActive();
      if (enable && to === undefined)
        throw new FixtureError('INVALID_ARGUMENT', 'A forwarding destination is required');
      const rest = desk.features.forwarding.filter((f) => f.type !== type);
      const entry = enable && to !== undefined ? { type, on: true, to } : { type, on: false };
      const order = ['forwardImmediate', 'forwardBusy', 'forwardNoAns'];
      desk = {
        ...desk,
        features: {
          ...desk.features,
          forwarding: [...rest, entry].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type)),
        },
      };
      publish();
      return ok;
    },
    'desk.setDoNotDisturb': ({ on: enable }) => {
      requireActive();
      desk = { ...desk, features: { ...desk.features, doNotDisturb: enable } };
      publish();
      return ok;
    },
    'desk.normalizeNumber': ({ input }) => fixtureNormalize(input),
    'desk.getCtiHealth': () => desk.cti,
    'desk.dropParty': ({ callId, partyId }) => {
      const call = findCall(callId);
      const party = call.parties.find((p) => (p.id ?? `party-${p.number}`) === partyId);
      if (!call.conference || party === undefined)
        throw new FixtureError('INVALID_ARGUMENT', 'That person is not in this conference');
      if (controllers.get(callId) === false)
        throw new FixtureError(
          'LINE_NOT_OWNED',
          'Cannot remove them: only the person who set up the conference can remove someone from it',
        );
      const parties = call.parties.filter((p) => p !== party);
      const remaining = parties[0];
      updateCall(callId, {
        parties,
        ...(parties.length <= 1 && remaining !== undefined
          ? {
              conference: false,
              remote: {
                number: remaining.number,
                ...(remaining.display === undefined ? {} : { display: remaining.display }),
              },
            }
          : {}),
      });
      publish();
      return ok;
    },
    'desk.searchDirectory': ({ query, limit }) => {
      const text = query.trim().toLowerCase();
      if (text.length < 2)
        throw new FixtureError('INVALID_ARGUMENT', 'type at least 2 characters to search the directory');
      const digits = text.replace(/[\s().+-]/g, '');
      const byNumber = /^[+\d\s().-]+$/.test(text);
      const words = text.split(/\s+/);
      const people = DIRECTORY.filter((p) =>
        byNumber
          ? p.numbers.some((n) => n.number.replace(/\D/g, '').includes(digits))
          : words.every((w) => p.name.toLowerCase().includes(w)),
      );
      const max = limit ?? 25;
      return { people: people.slice(0, max), truncated: people.length > max };
    },
    'desk.troubleshoot': (): TroubleshootView => {
      const licensed = desk.user?.licence !== null && desk.user !== null;
      const checks: TroubleshootView['checks'] = [
        {
          id: 'directory',
          status: 'ok',
          title: "The phone system's list of users",
          text: 'Deskline has the list of users and phones.',
          detail: '8 users, 12 line appearances, loaded 2026-01-01T09:00:00.000Z',
        },
        {
          id: 'licence',
          status: licensed ? 'ok' : 'fail',
          title: 'Your licence',
          text: licensed
            ? 'You have a licence to control your phone from a computer.'
            : 'You have no licence to control your phone from a computer. Ask your administrator to assign one.',
          detail: licensed
            ? 'CUWL'
            : 'no IM and Presence licence (UCL or CUWL): remote call control is refused',
        },
        {
          id: 'ctiControl',
          status: 'warning',
          title: 'Control from a computer',
          text: 'Some of your phones do not allow control from a computer: their lines cannot be used here.',
          detail: '"Allow Control of Device from CTI" is off on SEP00AABBCC0909',
        },
        {
          id: 'link',
          status: desk.cti.overall === 'up' ? 'ok' : desk.cti.overall === 'down' ? 'fail' : 'warning',
          title: 'Link to the phone system',
          text:
            desk.cti.overall === 'up'
              ? 'Every connection to the phone system is up.'
              : 'No connection to the phone system is up: calls cannot be controlled from here.',
          detail: desk.cti.nodes.map((n) => `${n.address} ${n.state}`).join(', '),
        },
      ];
      const problem = checks.find((c) => c.status === 'fail');
      return {
        userId: desk.user?.userId ?? 'alice',
        verdict: problem === undefined ? 'ok' : 'problem',
        summary:
          problem?.text ??
          checks.find((c) => c.status === 'warning')?.text ??
          'Everything needed to control your phone from here is in place.',
        checks,
        at: now(),
      };
    },
    'app.getSettings': () => settings,
    'app.updateSettings': (patch) => {
      const { password, ...rest } = patch;
      settings = {
        ...settings,
        ...rest,
        hasPassword: settings.hasPassword || (password !== undefined && password !== ''),
      };
      emit('app.settings', settings);
      return settings;
    },
    'app.listHistory': ({ limit }) => history.slice(0, limit ?? 1000),
    'app.clearHistory': () => {
      history = [];
      emit('app.history', history);
      emit('app.missedCalls', missed());
      return ok;
    },
    // The fixture keeps no "seen" state of its own (the renderer's badge logic is tested
    // against the history it is given).
    'app.setFavourites': ({ favourites }) => {
      settings = { ...settings, favourites };
      emit('app.settings', settings);
      return settings;
    },
    'app.recentNumbers': () =>
      [...new Set(history.filter((h) => h.direction === 'outbound').map((h) => h.number))].slice(0, 10),
    'app.hideWindow': () => ok,
    'app.getMissedCalls': () => missed(),
    'app.markMissedSeen': ({ upTo }) => {
      missedSeenAt = Math.max(missedSeenAt, Math.min(upTo, now()));
      emit('app.missedCalls', missed());
      return missed();
    },
    'app.getHostInfo': () => hostInfo,
    'app.ringMyPhone': () => {
      if (!hostInfo.demo)
        throw new FixtureError('INVALID_STATE', 'Ringing your phone works only in demo mode');
      requireActive();
      const call = newCall('inbound', '+14085550123', 'ringing');
      desk = { ...desk, calls: [...desk.calls, call] };
      publish();
      emit('desk.incomingCall', desk.calls.find((c) => c.callId === call.callId) ?? call);
      return ok;
    },
  };

  // Log every call and apply failNext before the real handler runs.
  const wrapped = Object.fromEntries(
    (Object.keys(handlers) as MethodName[]).map((method) => {
      const inner = handlers[method] as (request: unknown) => unknown;
      const outer = (request: unknown): unknown => {
        invocations.push({ method, request });
        const failure = failures.get(method);
        if (failure !== undefined) {
          failures.delete(method);
          throw failure;
        }
        return inner(request);
      };
      return [method, outer];
    }),
  ) as unknown as MethodHandlers; // same keys and signatures as `handlers`, each wrapped

  // Demo: give the calls their computed actions from the start.
  desk = { ...desk, calls: desk.calls.map((c) => decorate(c, desk.calls)) };

  return {
    handlers: wrapped,
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    invocations,
    state: () => desk,
    settings: () => settings,
    setSession(state, reason) {
      desk = { ...desk, session: reason === undefined ? { state } : { state, reason } };
      publish();
    },
    ringIn(number, display, lineId) {
      const call = newCall('inbound', number, 'ringing', display, lineId);
      desk = { ...desk, calls: [...desk.calls, call] };
      publish();
      const withActions = desk.calls.find((c) => c.callId === call.callId) ?? call;
      emit('desk.incomingCall', withActions);
      return withActions;
    },
    farEndAnswers(callId) {
      const call =
        callId === undefined
          ? desk.calls.find((c) => c.state === 'alerting')
          : desk.calls.find((c) => c.callId === callId);
      if (call === undefined) throw new Error('fixture: no alerting call');
      updateCall(call.callId, { state: 'connected', connectedAt: now() });
      publish();
    },
    farEndHangsUp(callId) {
      const call = findCall(callId);
      // A caller who gives up before anyone answers leaves a missed call.
      removeCall(
        callId,
        call.direction === 'inbound' && call.connectedAt === undefined ? 'missed' : 'answered',
      );
      publish();
    },
    endCall(callId, state, cause) {
      findCall(callId);
      updateCall(callId, { state, cause, endedAt: now() });
      publish();
    },
    setUser(user, lines) {
      desk = { ...desk, user, ...(lines === undefined ? {} : { lines }) };
      publish();
    },
    setCallAction(callId, action, availability) {
      overrides.set(callId, { ...overrides.get(callId), [action]: availability });
      publish();
    },
    setController(callId, controller) {
      controllers.set(callId, controller);
      publish();
    },
    setAccess(access) {
      const { access: _a, ...rest } = desk;
      desk = access === undefined ? rest : { ...rest, access };
      publish();
    },
    setHostInfo(info) {
      hostInfo = info;
    },
    setCti(cti) {
      desk = { ...desk, cti };
      publish();
    },
    setNodeState(index, state, lastError) {
      const nodes = desk.cti.nodes.map((n): CtiNodeView => {
        if (n.index !== index) return n;
        const { connectionId: _c, upSince: _u, rttMs: _r, lastError: _e, ...rest } = n;
        if (state === 'up')
          return { ...rest, state, connectionId: `reconnected-${now()}`, upSince: now(), rttMs: 1.2 };
        return {
          ...rest,
          state,
          failures: n.failures + 1,
          ...(lastError === undefined ? {} : { lastError }),
        };
      });
      const up = nodes.filter((n) => n.state === 'up').length;
      desk = {
        ...desk,
        cti: { overall: up === nodes.length ? 'up' : up === 0 ? 'down' : 'degraded', nodes },
      };
      publish();
    },
    failNext(method, code, message) {
      failures.set(method, new FixtureError(code, message));
    },
    notice(level, message, code) {
      emit('app.notice', { level, message, at: now(), ...(code === undefined ? {} : { code }) });
    },
    navigate(screen, number) {
      emit('app.navigate', number === undefined ? { screen } : { screen, number });
    },
    emitRaw(name, payload) {
      for (const listener of [...listeners]) listener(name as EventName, payload);
    },
  };
}
