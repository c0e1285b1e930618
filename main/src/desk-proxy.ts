// The desk handlers main registers once, in front of an engine that comes and goes (it
// starts after the window, restarts when the CTI settings change, may fail to start). While
// no desk is attached, desk.getState answers an "offline" state saying why, desk.getCtiHealth
// says down, and every command is refused with INVALID_STATE and the reason.
import type { EventPayload, MethodHandlers } from '../../common/src/api/contract.js';
import type { CtiHealthView, DeskStateView } from '../../common/src/api/views.js';
import { DesklineError, ErrorCode, type Logger } from '../../gateway/src/index.js';
import type { DeskApi, DeskEvent, DeskEventName, DeskMethodName } from './engine.js';

export type DeskHandlers = Pick<MethodHandlers, DeskMethodName>;

export const OFFLINE_HEALTH: CtiHealthView = { overall: 'down', nodes: [] };

/** The desk state shown while the engine is not running. */
export function offlineDeskState(reason: string): DeskStateView {
  return {
    user: null,
    lines: [],
    selectedLineId: null,
    session: { state: 'failed', reason },
    calls: [],
    features: { forwarding: [], doNotDisturb: false },
    cti: OFFLINE_HEALTH,
  };
}

export class DeskProxy {
  private desk: DeskApi | undefined;
  private unsubscribe: (() => void) | undefined;
  private offlineReason = 'Deskline is starting';
  private readonly listeners = new Set<(event: DeskEvent) => void>();
  /** The latest desk.state seen (null until the first): the tray and notifications read it. */
  private latest: DeskStateView | null = null;

  constructor(private readonly logger: Logger) {}

  get state(): DeskStateView | null {
    return this.latest;
  }

  get attached(): DeskApi | undefined {
    return this.desk;
  }

  attach(desk: DeskApi): void {
    this.detach('switching engines');
    this.desk = desk;
    this.unsubscribe = desk.onEvent((name: DeskEventName, payload: EventPayload<DeskEventName>) => {
      // The engine's listener types name and payload separately but sends each name with its
      // own payload (desk.state → DeskStateView, desk.incomingCall → CallView).
      const event = { name, payload } as DeskEvent;
      if (event.name === 'desk.state') this.latest = event.payload;
      this.emit(event);
    });
  }

  /** The engine stopped (or never started): say why until the next attach. */
  detach(reason: string): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const wasAttached = this.desk !== undefined;
    this.desk = undefined;
    this.offlineReason = reason;
    if (wasAttached || this.latest !== null) {
      this.latest = offlineDeskState(reason);
      this.emit({ name: 'desk.state', payload: this.latest });
    }
  }

  onEvent(listener: (event: DeskEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Seeds `state` from the desk itself (the first snapshot, before any event). */
  async refresh(): Promise<void> {
    const desk = this.desk;
    if (desk === undefined) return;
    try {
      const state = await desk['desk.getState']({});
      if (this.desk !== desk) return;
      this.latest = state;
      this.emit({ name: 'desk.state', payload: state });
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'desk: first state unavailable',
      );
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.desk = undefined;
    this.listeners.clear();
  }

  /** The contract's desk.* handlers over whatever desk is attached now. */
  handlers(): DeskHandlers {
    const current = (): DeskApi => {
      if (this.desk === undefined)
        throw new DesklineError(ErrorCode.InvalidState, `Not connected: ${this.offlineReason}`);
      return this.desk;
    };
    return {
      'desk.getState': (request) =>
        this.desk === undefined ? offlineDeskState(this.offlineReason) : this.desk['desk.getState'](request),
      'desk.getCtiHealth': (request) =>
        this.desk === undefined ? OFFLINE_HEALTH : this.desk['desk.getCtiHealth'](request),
      'desk.listLines': (request) => (this.desk === undefined ? [] : this.desk['desk.listLines'](request)),
      'desk.selectLine': (request) => current()['desk.selectLine'](request),
      'desk.makeCall': (request) => current()['desk.makeCall'](request),
      'desk.answer': (request) => current()['desk.answer'](request),
      'desk.hangup': (request) => current()['desk.hangup'](request),
      'desk.hold': (request) => current()['desk.hold'](request),
      'desk.retrieve': (request) => current()['desk.retrieve'](request),
      'desk.singleStepTransfer': (request) => current()['desk.singleStepTransfer'](request),
      'desk.consult': (request) => current()['desk.consult'](request),
      'desk.transfer': (request) => current()['desk.transfer'](request),
      'desk.conference': (request) => current()['desk.conference'](request),
      'desk.alternate': (request) => current()['desk.alternate'](request),
      'desk.reconnect': (request) => current()['desk.reconnect'](request),
      'desk.deflect': (request) => current()['desk.deflect'](request),
      'desk.digits': (request) => current()['desk.digits'](request),
      'desk.setForwarding': (request) => current()['desk.setForwarding'](request),
      'desk.setDoNotDisturb': (request) => current()['desk.setDoNotDisturb'](request),
      'desk.normalizeNumber': (request) => current()['desk.normalizeNumber'](request),
      'desk.dropParty': (request) => current()['desk.dropParty'](request),
      'desk.searchDirectory': (request) => current()['desk.searchDirectory'](request),
      'desk.troubleshoot': (request) => current()['desk.troubleshoot'](request),
    };
  }

  private emit(event: DeskEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error(
          { event: event.name, err: error instanceof Error ? error.message : String(error) },
          'desk: event listener threw',
        );
      }
    }
  }
}
