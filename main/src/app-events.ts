// Named app events (Signal-Desktop's habit): milestones of the app's life that end-to-end
// tests wait on instead of sleeping ("app.windowReady", "engine.started", "dial.started").
// The log keeps every event, so a test that starts waiting late still sees it. Exposed to
// Playwright (electronApp.evaluate runs in main) only when DESKLINE_E2E=1.

export type AppEventName =
  | 'app.storesOpened'
  | 'app.trayCreated'
  | 'app.trayUpdated'
  | 'notification.shown'
  | 'shortcut.pressed'
  | 'update.status'
  | 'app.windowReady'
  | 'engine.started'
  | 'engine.failed'
  | 'dial.requested'
  | 'dial.started'
  | 'dial.refused'
  | 'app.shutdown';

export interface AppEvent {
  name: AppEventName;
  at: number;
  detail: Readonly<Record<string, unknown>>;
}

/** Events kept; the app's life has a few dozen milestones, dials add one each. */
const LOG_LIMIT = 500;

export class AppEventLog {
  private readonly events: AppEvent[] = [];
  private readonly waiters = new Set<{
    name: AppEventName;
    test: (event: AppEvent) => boolean;
    resolve: (event: AppEvent) => void;
  }>();

  constructor(private readonly now: () => number) {}

  emit(name: AppEventName, detail: Record<string, unknown> = {}): void {
    const event: AppEvent = { name, at: this.now(), detail };
    this.events.push(event);
    if (this.events.length > LOG_LIMIT) this.events.splice(0, this.events.length - LOG_LIMIT);
    for (const waiter of this.waiters) {
      if (waiter.name !== name || !waiter.test(event)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(event);
    }
  }

  /** The first event of that name matching `test`, past or future. */
  waitFor(name: AppEventName, test: (event: AppEvent) => boolean = () => true): Promise<AppEvent> {
    const seen = this.events.find((event) => event.name === name && test(event));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.add({ name, test, resolve }));
  }

  list(): readonly AppEvent[] {
    return this.events;
  }

  /** Waiting tests are released by the app's exit, not left hanging on a promise. */
  dispose(): void {
    this.waiters.clear();
  }
}
