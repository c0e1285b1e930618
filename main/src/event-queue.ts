// Events from main to one renderer, queued until that renderer says READY (electron/fiddle's
// habit): a page that is still loading would otherwise miss the first desk state or an
// incoming call. Whole-state events (desk.state, app.settings, app.history) replace any
// queued copy of themselves — only the newest matters — so the queue stays small however
// long the page takes; the others (incomingCall, notice, navigate) are kept in order, up to
// a bound. A reload or a crashed renderer makes it not-ready again until it re-sends READY.
import { EVENT_CHANNEL, type EventName, type EventPayload } from '../../common/src/api/contract.js';
import type { Logger } from '../../gateway/src/index.js';

/** What travels on EVENT_CHANNEL. */
export type EventMessage = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName];

/** webContents, reduced to what sending needs. */
export interface EventSink {
  send(channel: string, message: EventMessage): void;
  isDestroyed(): boolean;
}

/** Snapshots: a newer one makes an older queued one worthless. */
const SNAPSHOT_EVENTS: ReadonlySet<EventName> = new Set<EventName>([
  'desk.state',
  'app.settings',
  'app.history',
]);
export const EVENT_QUEUE_LIMIT = 256;

export class RendererEventQueue {
  private queue: EventMessage[] = [];
  private ready = false;
  private dropped = 0;
  private disposed = false;

  constructor(
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly limit = EVENT_QUEUE_LIMIT,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  get pending(): number {
    return this.queue.length;
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    // The mapped union cannot be built from a generic E without help; name and payload match by the signature.
    this.push({ name, payload } as EventMessage);
  }

  push(message: EventMessage): void {
    if (this.disposed || this.sink.isDestroyed()) return;
    if (this.ready) {
      this.deliver(message);
      return;
    }
    if (SNAPSHOT_EVENTS.has(message.name)) {
      const index = this.queue.findIndex((queued) => queued.name === message.name);
      if (index !== -1) this.queue.splice(index, 1);
    }
    this.queue.push(message);
    if (this.queue.length > this.limit) {
      // Drop the oldest non-snapshot event: snapshots are at most one each and always current.
      const victim = this.queue.findIndex((queued) => !SNAPSHOT_EVENTS.has(queued.name));
      this.queue.splice(victim === -1 ? 0 : victim, 1);
      if (this.dropped++ === 0)
        this.logger.warn({ limit: this.limit }, 'ipc: renderer not ready, dropping old events');
    }
  }

  /** The renderer sent READY: flush the queue in order, then deliver directly. */
  markReady(): void {
    if (this.disposed) return;
    this.ready = true;
    const queued = this.queue;
    this.queue = [];
    for (const message of queued) this.deliver(message);
    if (this.dropped > 0)
      this.logger.info({ dropped: this.dropped }, 'ipc: renderer ready after dropping events');
    this.dropped = 0;
  }

  /** The page is reloading or its renderer died: queue again until the next READY. */
  reset(): void {
    this.ready = false;
  }

  dispose(): void {
    this.disposed = true;
    this.queue = [];
  }

  private deliver(message: EventMessage): void {
    if (this.sink.isDestroyed()) return;
    try {
      this.sink.send(EVENT_CHANNEL, message);
    } catch (error) {
      // Sending to a renderer that is going away throws; the event is not worth a crash.
      this.logger.warn(
        { event: message.name, err: error instanceof Error ? error.message : String(error) },
        'ipc: event not delivered',
      );
    }
  }
}
