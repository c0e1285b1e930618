// The one typed contract between the engine side (Electron main, or the gateway's
// browser shell) and the renderer (docs/architecture.md §4.3). The preload's domain API, main's
// IPC handlers and the browser shell's WebSocket server are all derived from these
// two tables, so a method cannot exist on one side only. Payloads are validated with
// the schemas at both boundaries; errors cross as { code, message }.
import { z } from 'zod';
import {
  CallView,
  DeskStateView,
  DirectorySearchView,
  HostInfoView,
  MissedCallsView,
  TroubleshootView,
  FavouriteView,
  ForwardingType,
  HistoryEntryView,
  LineAppearanceView,
  NoticeView,
  NumberView,
  SettingsPatch,
  SettingsView,
  CtiHealthView,
} from './views.js';

/** Every IPC channel name starts with this. */
export const CHANNEL_PREFIX = 'deskline:';
/** Channel on which main pushes events to the renderer. */
export const EVENT_CHANNEL = `${CHANNEL_PREFIX}event`;
/** The renderer says it is ready; events are queued until then (electron/fiddle habit). */
export const READY_CHANNEL = `${CHANNEL_PREFIX}ready`;

const Number = z.string().trim().min(1, 'a number is required').max(64, 'number too long');
const CallId = z.string().min(1).max(128);
const LineId = z.string().min(1).max(256);
const Empty = z.object({}).strict();
const Ok = z.object({ ok: z.literal(true) });

/** Dialable digits for GenerateDigits (DTMF). */
const Digits = z.string().regex(/^[0-9*#A-Da-d]{1,32}$/, 'digits are 0-9, *, #, A-D (at most 32)');

export const methods = {
  // ------------------------------------------------------------ desk (the engine's desk API)
  'desk.getState': { request: Empty, response: DeskStateView },
  'desk.listLines': { request: Empty, response: z.array(LineAppearanceView) },
  /** Chooses the line to dial from (the default); every line of the user's phones is watched. */
  'desk.selectLine': {
    request: z.object({ lineId: LineId }).strict(),
    response: DeskStateView,
  },
  /** Dials from `lineId`, else from the chosen line. */
  'desk.makeCall': {
    request: z.object({ number: Number, lineId: LineId.optional() }).strict(),
    response: CallView,
  },
  'desk.answer': { request: z.object({ callId: CallId }).strict(), response: Ok },
  'desk.hangup': { request: z.object({ callId: CallId }).strict(), response: Ok },
  'desk.hold': { request: z.object({ callId: CallId }).strict(), response: Ok },
  'desk.retrieve': { request: z.object({ callId: CallId }).strict(), response: Ok },
  'desk.singleStepTransfer': { request: z.object({ callId: CallId, to: Number }).strict(), response: Ok },
  'desk.consult': { request: z.object({ callId: CallId, to: Number }).strict(), response: CallView },
  'desk.transfer': { request: z.object({ heldCallId: CallId, activeCallId: CallId }).strict(), response: Ok },
  'desk.conference': {
    request: z.object({ heldCallId: CallId, activeCallId: CallId }).strict(),
    response: Ok,
  },
  'desk.alternate': {
    request: z.object({ heldCallId: CallId, activeCallId: CallId }).strict(),
    response: Ok,
  },
  'desk.reconnect': {
    request: z.object({ heldCallId: CallId, activeCallId: CallId }).strict(),
    response: Ok,
  },
  'desk.deflect': { request: z.object({ callId: CallId, to: Number }).strict(), response: Ok },
  'desk.digits': { request: z.object({ callId: CallId, digits: Digits }).strict(), response: Ok },
  /** Drops one party from a conference the user set up (PartyView.id, PartyView.drop). */
  'desk.dropParty': {
    request: z.object({ callId: CallId, partyId: z.string().min(1).max(256) }).strict(),
    response: Ok,
  },
  'desk.setForwarding': {
    request: z.object({ type: ForwardingType, on: z.boolean(), to: Number.optional() }).strict(),
    response: Ok,
  },
  'desk.setDoNotDisturb': { request: z.object({ on: z.boolean() }).strict(), response: Ok },
  'desk.normalizeNumber': {
    request: z.object({ input: z.string().max(128) }).strict(),
    response: NumberView,
  },
  'desk.getCtiHealth': { request: Empty, response: CtiHealthView },
  /** People in the directory by name (every word) or number. */
  'desk.searchDirectory': {
    request: z
      .object({ query: z.string().max(128), limit: z.number().int().min(1).max(50).optional() })
      .strict(),
    response: DirectorySearchView,
  },
  /** The troubleshooter for the signed-in user, in plain words (Health screen). */
  'desk.troubleshoot': { request: Empty, response: TroubleshootView },

  // ------------------------------------------------------------ app (settings, history, favourites)
  'app.getSettings': { request: Empty, response: SettingsView },
  'app.updateSettings': { request: SettingsPatch.strict(), response: SettingsView },
  'app.listHistory': {
    request: z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
    response: z.array(HistoryEntryView),
  },
  'app.clearHistory': { request: Empty, response: Ok },
  'app.setFavourites': {
    request: z.object({ favourites: z.array(FavouriteView).max(50) }).strict(),
    response: SettingsView,
  },
  'app.recentNumbers': { request: Empty, response: z.array(z.string()) },
  'app.hideWindow': { request: Empty, response: Ok },
  /** The missed-call badge (the host owns "seen", so the tray and every window agree). */
  'app.getMissedCalls': { request: Empty, response: MissedCallsView },
  /** Missed calls that started at or before `upTo` (epoch ms) have been seen. */
  'app.markMissedSeen': {
    request: z.object({ upTo: z.number().int().min(0) }).strict(),
    response: MissedCallsView,
  },
  /** What this host is and applies (Settings fields, demo controls). */
  'app.getHostInfo': { request: Empty, response: HostInfoView },
  /** Demo mode only: the simulator rings the chosen line (or `lineId`) from an outside number. */
  'app.ringMyPhone': { request: z.object({ lineId: LineId.optional() }).strict(), response: Ok },
} as const;

export const events = {
  /** The whole desk state after any change (small: a few lines and calls). */
  'desk.state': DeskStateView,
  /** A call started ringing at the chosen line. */
  'desk.incomingCall': CallView,
  'app.notice': NoticeView,
  'app.settings': SettingsView,
  'app.history': z.array(HistoryEntryView),
  'app.missedCalls': MissedCallsView,
  /** Ask the UI to open a screen (from the tray menu, a tel: link, a shortcut). */
  'app.navigate': z.object({
    screen: z.enum(['dial', 'calls', 'lines', 'health', 'settings', 'history']),
    number: z.string().optional(),
    /** The call to bring into view (a click on a ringing call's notification). */
    callId: z.string().max(128).optional(),
  }),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodRequest<M extends MethodName> = z.input<Methods[M]['request']>;
export type MethodResponse<M extends MethodName> = z.infer<Methods[M]['response']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.infer<Events[E]>;

/** What crosses for a failed call. Codes are the engine's stable error codes. */
export const ErrorView = z.object({ code: z.string(), message: z.string() });
export type ErrorView = z.infer<typeof ErrorView>;

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ErrorView };

export const isMethodName = (name: string): name is MethodName =>
  Object.prototype.hasOwnProperty.call(methods, name);
export const isEventName = (name: string): name is EventName =>
  Object.prototype.hasOwnProperty.call(events, name);

/** The IPC channel of a method. */
export const channelOf = (method: MethodName): string => `${CHANNEL_PREFIX}${method}`;

// ---------------------------------------------------------------- the domain API shape

type Namespace<M> = M extends `${infer NS}.${string}` ? NS : never;

/** `{ desk: { makeCall(req) ... }, app: { ... } }`, derived from the method table. */
export type DomainApi = {
  [NS in Namespace<MethodName>]: {
    [M in MethodName as M extends `${NS}.${infer Member}` ? Member : never]: (
      request: MethodRequest<M>,
    ) => Promise<MethodResponse<M>>;
  };
};

export interface DesklineBridge {
  api: DomainApi;
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Tell the host the UI is ready for events (queued ones are flushed). */
  ready(): void;
}

export class DeskApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeskApiError';
  }
}

/**
 * Electron's contextBridge copies a rejected Error's message but drops its other properties,
 * so an error crossing from the preload would lose its code. The preload therefore writes the
 * code into the message behind this marker, and errorViewOf() takes it back out.
 */
const CODE_MARKER = /^\u2063([A-Z][A-Z0-9_]*)\u2063 /;

/** The { code, message } of anything a domain API call rejected with, whichever side built it. */
export function errorViewOf(error: unknown): ErrorView {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const marked = CODE_MARKER.exec(error.message);
    if (marked !== null)
      return {
        code: typeof code === 'string' ? code : (marked[1] as string),
        message: error.message.slice(marked[0].length),
      };
    return { code: typeof code === 'string' ? code : 'INTERNAL', message: error.message };
  }
  return { code: 'INTERNAL', message: String(error) };
}

export interface DomainApiOptions {
  /** Put the error code into the message (for APIs exposed through Electron's contextBridge). */
  codeInMessage?: boolean;
}

/** Builds the nested domain API over a transport's invoke (IPC or WebSocket). Responses
 *  are validated here too: the renderer trusts nothing it did not check. */
export function createDomainApi(
  invoke: (method: MethodName, request: unknown) => Promise<Envelope<unknown>>,
  options: DomainApiOptions = {},
): DomainApi {
  const fail = (code: string, message: string): DeskApiError =>
    new DeskApiError(code, options.codeInMessage === true ? `\u2063${code}\u2063 ${message}` : message);
  const api: Record<string, Record<string, (request: unknown) => Promise<unknown>>> = {};
  for (const name of Object.keys(methods) as MethodName[]) {
    const [ns, member] = name.split('.') as [string, string];
    api[ns] ??= {};
    api[ns][member] = async (request: unknown) => {
      const envelope = await invoke(name, request ?? {});
      if (!envelope.ok)
        throw fail(
          /^[A-Z][A-Z0-9_]*$/.test(envelope.error.code) ? envelope.error.code : 'INTERNAL',
          envelope.error.message,
        );
      const parsed = methods[name].response.safeParse(envelope.value);
      if (!parsed.success)
        throw fail('INVALID_RESPONSE', `invalid response to ${name}: ${parsed.error.message}`);
      return parsed.data;
    };
  }
  return api as unknown as DomainApi;
}

/** Host side: validate a request against its schema. */
export function parseRequest<M extends MethodName>(
  method: M,
  request: unknown,
): { ok: true; value: z.infer<Methods[M]['request']> } | { ok: false; error: ErrorView } {
  const parsed = methods[method].request.safeParse(request ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as z.infer<Methods[M]['request']> };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return {
    ok: false,
    error: { code: 'INVALID_ARGUMENT', message: `${method}: ${where}${issue?.message ?? 'invalid request'}` },
  };
}

/** The host's implementation of every method, typed from the table. */
export type MethodHandlers = {
  [M in MethodName]: (
    request: z.infer<Methods[M]['request']>,
  ) => Promise<MethodResponse<M>> | MethodResponse<M>;
};
