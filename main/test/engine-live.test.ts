// The adapter against the real engine: the demo cluster on the real simulator (loopback,
// port 0), the real gateway over real CTI connections, the desk API as main wires it (through
// DeskProxy), and main's IPC handlers in front. No fakes below the IPC boundary.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DeskStateView } from '../../common/src/api/views.js';
import { systemClock, MemoryLogger } from '../../gateway/src/index.js';
import { DeskProxy } from '../src/desk-proxy.js';
import { DEMO_USER_ID, engineModules, startEngine } from '../src/engine.js';

const SETTINGS = {
  ctiAddresses: [],
  applicationUser: '',
  hasPassword: false,
  heartbeatIntervalSec: 5,
  userId: '',
  favourites: [],
  sipListenerEnabled: false,
  startAtLogin: false,
  theme: 'system' as const,
  globalShortcut: '',
};

/** Resolves with the first desk.state that satisfies `test`. */
function nextState(proxy: DeskProxy, test: (state: DeskStateView) => boolean): Promise<DeskStateView> {
  return new Promise((resolve) => {
    if (proxy.state !== null && test(proxy.state)) return resolve(proxy.state);
    const off = proxy.onEvent((event) => {
      if (event.name === 'desk.state' && test(event.payload)) {
        off();
        resolve(event.payload);
      }
    });
  });
}

describe('the desktop engine, live (demo cluster)', () => {
  it("starts, lists the demo user's lines, dials, and stops cleanly", async () => {
    const logger = new MemoryLogger();
    const started = await startEngine({
      settings: SETTINGS,
      password: undefined,
      modules: engineModules,
      logger,
      clock: systemClock,
    });
    if (!started.ok) throw started.error;
    const engine = started.value;
    const proxy = new DeskProxy(logger);
    try {
      expect(engine).toMatchObject({ mode: 'demo', userId: DEMO_USER_ID });
      proxy.attach(engine.desk);
      await proxy.refresh();
      const desk = proxy.handlers();
      const lines = await desk['desk.listLines']({});
      expect(lines.map((line) => line.dn)).toContain('1001');
      const line = lines.find((candidate) => candidate.dn === '1001' && candidate.controllable);
      if (line === undefined) throw new Error('no controllable 1001 line for the demo user');
      if ((await desk['desk.getState']({})).selectedLineId !== line.id)
        await desk['desk.selectLine']({ lineId: line.id });
      await nextState(proxy, (state) => state.session.state === 'active');
      const placed = await desk['desk.makeCall']({ number: '1002' });
      expect(placed.direction).toBe('outbound');
      const withCall = await nextState(proxy, (state) =>
        state.calls.some((call) => call.callId === placed.callId),
      );
      expect(withCall.calls.find((call) => call.callId === placed.callId)?.remote.number).toMatch(/1002/);
      await desk['desk.hangup']({ callId: placed.callId });
    } finally {
      proxy.dispose();
      await engine.dispose();
    }
    // Nothing left listening.
    for (const address of engine.addresses) {
      const at = address.lastIndexOf(':');
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)) });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(outcome).toBe('ECONNREFUSED');
    }
  }, 30_000);
});
