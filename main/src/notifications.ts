// Incoming-call notifications: the model (title, body, Answer / Decline actions) as a pure
// function of the call, and a notifier that follows the desk state — one notification per
// ringing call, closed as soon as the call stops ringing (answered here, on the phone, or
// elsewhere; declined; gone). Electron shows the actions as buttons on macOS; on Windows and
// Linux a click on the notification opens the popup on the calls screen instead.
import type { CallView, DeskStateView, LineAppearanceView } from '../../common/src/api/views.js';
import type { Logger } from '../../gateway/src/index.js';
import { lineName, partyName } from './tray-icon.js';

export type NotificationActionId = 'answer' | 'decline';

export interface IncomingCallNotification {
  callId: string;
  title: string;
  body: string;
  /** In button order: Electron reports the index of the one clicked. */
  actions: ReadonlyArray<{ id: NotificationActionId; text: string }>;
  /** Linux: stays until dismissed; a ringing phone is urgent. */
  urgency: 'critical';
  /** Windows: stays until dismissed instead of the short default. */
  timeoutType: 'never';
}

export function incomingCallNotification(
  call: CallView,
  line: LineAppearanceView | undefined,
): IncomingCallNotification {
  const onLine = line === undefined ? '' : ` on ${lineName(line)}`;
  const available = (action: NotificationActionId): boolean => call.actions[action]?.enabled === true;
  const actions: Array<{ id: NotificationActionId; text: string }> = [];
  if (available('answer')) actions.push({ id: 'answer', text: 'Answer' });
  if (available('decline')) actions.push({ id: 'decline', text: 'Decline' });
  return {
    callId: call.callId,
    title: `Call from ${partyName(call)}`,
    body: `Ringing${onLine}`,
    actions,
    urgency: 'critical',
    timeoutType: 'never',
  };
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
  answer(callId: string): void;
  decline(callId: string): void;
  /** Opens the popup on the calls screen. */
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
    const line = state.lines.find((candidate) => candidate.id === state.selectedLineId);
    for (const call of state.calls) {
      if (call.state !== 'ringing' || call.direction !== 'inbound') continue;
      ringing.add(call.callId);
      if (!this.shown.has(call.callId)) this.show(call, line);
    }
    for (const [callId, handle] of this.shown) {
      if (ringing.has(callId)) continue;
      this.shown.delete(callId);
      this.close(handle);
    }
  }

  get open(): number {
    return this.shown.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const handle of this.shown.values()) this.close(handle);
    this.shown.clear();
  }

  private show(call: CallView, line: LineAppearanceView | undefined): void {
    const { callId } = call;
    const handle = this.deps.port.show(incomingCallNotification(call, line), {
      onAction: (id) => {
        if (!this.shown.has(callId)) return; // the call stopped ringing meanwhile
        if (id === 'answer') this.deps.answer(callId);
        else this.deps.decline(callId);
      },
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
