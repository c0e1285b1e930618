// Helpers for engine tests: a gateway on the in-process demo simulator (demo mode as the
// hosts start it, host/src/demo.ts), and waiting on
// desk state (named events, never sleeps).
import { startGateway, type HostedGateway } from '../../../../host/src/demo.js';
import type { GatewayConfigInput } from '../../../src/config/config.js';
import type { DeskSession } from '../../../src/faces/desk/desk-session.js';
import type { CallView, DeskStateView } from '../../../../common/src/api/views.js';
import { MemoryLogger } from '../../../src/util/logger.js';

export async function demoGateway(
  overrides: Partial<GatewayConfigInput> = {},
  logger = new MemoryLogger(),
): Promise<HostedGateway> {
  return startGateway({
    config: {
      demo: { enabled: true, nodes: 2 },
      http: { port: null },
      cti: {
        heartbeatIntervalMs: 500,
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
        requestTimeoutMs: 2000,
        ...(overrides.cti ?? {}),
      },
      ...overrides,
    } as GatewayConfigInput,
    logger,
  });
}

/** Resolves with the first desk state matching `predicate` (checked now and on every push). */
export function waitForState(
  desk: DeskSession,
  predicate: (s: DeskStateView) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<DeskStateView> {
  return new Promise((resolve, reject) => {
    const now = desk.getState();
    if (predicate(now)) return resolve(now);
    const timer = setTimeout(() => {
      off();
      const s = desk.getState();
      reject(
        new Error(
          `timed out waiting for ${what}; last state: session=${s.session.state} calls=${JSON.stringify(s.calls.map((c) => [c.callId, c.state, c.remote.number]))}`,
        ),
      );
    }, timeoutMs);
    const off = desk.onEvent((name, payload) => {
      if (name !== 'desk.state') return;
      const state = payload as DeskStateView;
      if (predicate(state)) {
        clearTimeout(timer);
        off();
        resolve(state);
      }
    });
  });
}

export const callIn = (state: DeskStateView, predicate: (c: CallView) => boolean): CallView | undefined =>
  state.calls.find(predicate);
