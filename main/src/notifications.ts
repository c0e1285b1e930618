// Incoming-call notifications (docs/desktop.md "Notifications"): the model as a pure function
// of the call and the platform, and a notifier that follows the desk state — one notification
// per ringing call on any line, closed as soon as the call stops ringing (answered here, on
// the phone or elsewhere; declined; gone). What each OS offers:
//   Windows  a toast of the "incomingCall" scenario (custom toast XML: it stays on screen, rings
//            with the looping call sound, green Answer and red Decline buttons). The buttons'
//            arguments name the action and the call; they come back through
//            Notification.handleActivation (also after the app restarted), parsed by
//            parseToastArguments().
//   macOS    Answer and Decline as notification actions (the 'action' event).
//   Linux    no buttons (libnotify actions are not offered by Electron): the notification says
//            "Click to answer in Deskline" and a click opens the popup at the ringing call.
import type { CallView, DeskStateView, LineAppearanceView } from '../../common/src/api/views.js';
import type { Logger } from '../../gateway/src/index.js';
import { callLine, lineName, partyName } from './tray-icon.js';

export type NotificationActionId = 'answer' | 'decline';

export interface IncomingCallNotification {
  callId: string;
  title: string;
  body: string;
  /** Buttons, in order (Electron reports the index of the one clicked); none on Linux. */
  actions: ReadonlyArray<{ id: NotificationActionId; text: string }>;
  /** Windows: the toast, superseding the fields above. */
  toastXml?: string;
  /** Linux: stays until dismissed; a ringing phone is urgent. */
  urgency: 'critical';
  /** Windows and Linux: stays until dismissed instead of the short default. */
  timeoutType: 'never';
}

/** Prefix of the activation arguments of our toasts (`deskline-call:<action>:<callId>`). */
export const TOAST_ARGUMENT_PREFIX = 'deskline-call';

export type ToastActivation = { action: NotificationActionId | 'open'; callId: string };

export function toastArguments(activation: ToastActivation): string {
  return `${TOAST_ARGUMENT_PREFIX}:${activation.action}:${encodeURIComponent(activation.callId)}`;
}

/** The activation a toast button or body sent back; undefined for anything else (not ours). */
export function parseToastArguments(args: string): ToastActivation | undefined {
  const match = /^deskline-call:(answer|decline|open):([^:]{1,400})$/.exec(args.trim());
  if (match === null) return undefined;
  try {
    const callId = decodeURIComponent(match[2] as string);
    return callId.length > 0 && callId.length <= 128
      ? { action: match[1] as ToastActivation['action'], callId }
      : undefined;
  } catch {
    return undefined;
  }
}

/** XML 1.0 §2.4 (character data) and §3.3.3 (attribute values): &, <, > and quotes escaped;
 *  characters XML cannot carry at all are dropped (a caller's name is not ours to trust). */
export function escapeXml(text: string): string {
  return (
    text
      // XML 1.0 §2.2 Char: tab, LF, CR and U+0020 upwards (surrogates and U+FFFE/F excluded).
      .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** The Windows toast of a ringing call (Toast XML schema: toast scenario="incomingCall",
 *  action hint-buttonStyle, audio loop; https://learn.microsoft.com/windows/apps/design/shell/tiles-and-notifications/adaptive-interactive-toasts). */
export function incomingCallToastXml(model: Omit<IncomingCallNotification, 'toastXml'>): string {
  const open = escapeXml(toastArguments({ action: 'open', callId: model.callId }));
  const buttons = model.actions
    .map((action) => {
      const style = action.id === 'answer' ? 'Success' : 'Critical';
      const args = escapeXml(toastArguments({ action: action.id, callId: model.callId }));
      return `<action content="${escapeXml(action.text)}" arguments="${args}" activationType="foreground" hint-buttonStyle="${style}"/>`;
    })
    .join('');
  return [
    `<toast scenario="incomingCall" launch="${open}" activationType="foreground">`,
    '<visual><binding template="ToastGeneric">',
    `<text hint-maxLines="1">${escapeXml(model.title)}</text>`,
    `<text>${escapeXml(model.body)}</text>`,
    '</binding></visual>',
    `<actions>${buttons}</actions>`,
    '<audio src="ms-winsoundevent:Notification.Looping.Call" loop="true"/>',
    '</toast>',
  ].join('');
}

export function incomingCallNotification(
  call: CallView,
  line: LineAppearanceView | undefined,
  platform: NodeJS.Platform,
): IncomingCallNotification {
  const onLine = line === undefined ? '' : ` on ${lineName(line)}`;
  const available = (action: NotificationActionId): boolean => call.actions[action]?.enabled === true;
  const actions: Array<{ id: NotificationActionId; text: string }> = [];
  if (platform === 'darwin' || platform === 'win32') {
    if (available('answer')) actions.push({ id: 'answer', text: 'Answer' });
    if (available('decline')) actions.push({ id: 'decline', text: 'Decline' });
  }
  const base = {
    callId: call.callId,
    title: `Call from ${partyName(call)}`,
    body:
      platform === 'darwin' || platform === 'win32'
        ? `Ringing${onLine}`
        : `Ringing${onLine}. Click to answer in Deskline.`,
    actions,
    urgency: 'critical' as const,
    timeoutType: 'never' as const,
  };
  return platform === 'win32' ? { ...base, toastXml: incomingCallToastXml(base) } : base;
}

export interface NotificationHandle {
  close(): void;
}

/** How a notification is shown (Electron's Notification in main; a fake in tests). */
export interface NotifierPort {
  show(
    model: IncomingCallNotification,
    events: { onAction: (id: NotificationActionId) => void; onClick: () => void },
  ): NotificationHandle;
}

export interface IncomingCallNotifierDeps {
  port: NotifierPort;
  platform: NodeJS.Platform;
  answer(callId: string): void;
  decline(callId: string): void;
  /** Opens the popup at the ringing call. */
  open(callId: string): void;
  logger: Logger;
}

export class IncomingCallNotifier {
  private readonly shown = new Map<string, NotificationHandle>();
  private disposed = false;

  constructor(private readonly deps: IncomingCallNotifierDeps) {}

  /** Feeds one desk.state snapshot. */
  observe(state: DeskStateView): void {
    if (this.disposed) return;
    const ringing = new Set<string>();
    for (const call of state.calls) {
      if (call.state !== 'ringing' || call.direction !== 'inbound') continue;
      ringing.add(call.callId);
      if (!this.shown.has(call.callId)) this.show(call, callLine(state, call));
    }
    for (const [callId, handle] of this.shown) {
      if (ringing.has(callId)) continue;
      this.shown.delete(callId);
      this.close(handle);
    }
  }

  /** A Windows toast's activation (Notification.handleActivation): only a call still ringing
   *  is answered or declined; a stale toast just opens the app. */
  activate(args: string): void {
    const activation = parseToastArguments(args);
    if (activation === undefined || this.disposed) return;
    if (activation.action === 'open' || !this.shown.has(activation.callId)) {
      this.deps.open(activation.callId);
      return;
    }
    this.act(activation.callId, activation.action);
  }

  get open(): number {
    return this.shown.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const handle of this.shown.values()) this.close(handle);
    this.shown.clear();
  }

  private act(callId: string, id: NotificationActionId): void {
    if (!this.shown.has(callId)) return; // the call stopped ringing meanwhile
    if (id === 'answer') this.deps.answer(callId);
    else this.deps.decline(callId);
  }

  private show(call: CallView, line: LineAppearanceView | undefined): void {
    const { callId } = call;
    const handle = this.deps.port.show(incomingCallNotification(call, line, this.deps.platform), {
      onAction: (id) => this.act(callId, id),
      onClick: () => this.deps.open(callId),
    });
    this.shown.set(callId, handle);
  }

  private close(handle: NotificationHandle): void {
    try {
      handle.close();
    } catch (error) {
      this.deps.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'notifications: close failed',
      );
    }
  }
}
