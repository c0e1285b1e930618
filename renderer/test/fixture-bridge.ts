// TEST ONLY. Bundled by the e2e test (esbuild) and injected with page.addInitScript, it
// plays the Electron preload: window.deskline is a DesklineBridge over the in-memory
// fixture desk, and window.__deskFixture lets the test drive the desk (ring a call, take
// a CTI node down, make the next action fail...). Like the real hosts, it validates each
// request with parseRequest and queues events until the UI says ready().
// First import: zod must be jitless before any schema is built (see ../src/csp.ts); init
// scripts run outside the page's CSP, so zod's own eval probe would wrongly succeed here.
import '../src/csp.js';
import {
  createDomainApi,
  parseRequest,
  type DesklineBridge,
  type Envelope,
  type EventName,
  type EventPayload,
  type MethodHandlers,
  type MethodName,
} from '../../common/src/api/contract.js';
import { createFixtureDesk, type FixtureDesk, type FixtureScenario } from './fixture-desk.js';

export interface FixtureWindow {
  deskline?: DesklineBridge;
  __deskFixture?: FixtureDesk;
  __deskFixtureScenario?: FixtureScenario;
}

async function invokeFixture<M extends MethodName>(
  handlers: MethodHandlers,
  method: M,
  request: unknown,
): Promise<Envelope<unknown>> {
  const parsed = parseRequest(method, request);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  try {
    const handler: MethodHandlers[M] = handlers[method];
    return { ok: true, value: await handler(parsed.value) };
  } catch (error) {
    const code =
      error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'INTERNAL';
    return { ok: false, error: { code, message: error instanceof Error ? error.message : String(error) } };
  }
}

export function installFixtureBridge(target: FixtureWindow, scenario: FixtureScenario = 'demo'): FixtureDesk {
  const desk = createFixtureDesk({ scenario });
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const queued: Array<[EventName, unknown]> = [];
  let ready = false;
  const deliver = (name: EventName, payload: unknown): void => {
    for (const listener of [...(listeners.get(name) ?? [])]) listener(payload);
  };
  desk.on((name, payload) => {
    if (ready) deliver(name, payload);
    else queued.push([name, payload]);
  });
  const bridge: DesklineBridge = {
    api: createDomainApi((method, request) => invokeFixture(desk.handlers, method, request)),
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      // Payloads reaching this listener were validated against this event's schema by the fixture.
      const stored = listener as (payload: unknown) => void;
      set.add(stored);
      return () => {
        listeners.get(event)?.delete(stored);
      };
    },
    ready() {
      if (ready) return;
      ready = true;
      for (const [name, payload] of queued.splice(0)) deliver(name, payload);
    },
  };
  target.deskline = bridge;
  target.__deskFixture = desk;
  return desk;
}

// Entry point when bundled as the init script.
const page = globalThis as unknown as FixtureWindow;
installFixtureBridge(page, page.__deskFixtureScenario ?? 'demo');
