// The browser shell host: the desktop UI served by the headless gateway over loopback, with the
// same domain API as Electron's preload (desk.* from the engine, app.* from the settings and
// history stores), carried over a token-protected WebSocket (host/src/shell/).
//
// A restart within the same data directory is the same shell to an open tab: the token and the
// port are kept in `shell.json` (shell-state.ts), so the tab reconnects by itself (docs/ui.md §5).
import { mkdirSync } from 'node:fs';
import type { EventName, MethodHandlers } from '../../../common/src/api/contract.js';
import type { DeskStateView, HostInfoView, SettingsView } from '../../../common/src/api/views.js';
import {
  DesklineError,
  ErrorCode,
  type Gateway,
  type Clock,
  type Logger,
} from '../../../gateway/src/index.js';
import { createAppHandlers } from '../app-handlers.js';
import type { HostedGateway } from '../demo.js';
import { LineKeeper } from '../line-keeper.js';
import { HistoryStore } from '../stores/history-store.js';
import { MemorySecretStore } from '../stores/secret-store.js';
import { SettingsStore } from '../stores/settings-store.js';
import { startShellServer, type ShellServer } from '../shell/shell-server.js';
import { openShellState } from './shell-state.js';

export interface ShellHost {
  readonly server: ShellServer;
  dispose(): Promise<void>;
}

/** The settings the browser shell applies: the rest (CTI, user, SIP, login, shortcut) come from
 *  the service's configuration, so Settings does not show them (docs/ui.md §2 Settings). */
export const SHELL_SETTINGS: readonly (keyof SettingsView)[] = ['favourites', 'theme'];

/** The outside number "Ring my phone" calls from (demo mode; DEMO_NUMBERS has no caller). */
export const DEMO_CALLER = '+14085550123';

export interface ShellHostOptions {
  /** The gateway; a HostedGateway in demo mode carries the simulator ("Ring my phone"). */
  gateway: Gateway & Partial<Pick<HostedGateway, 'simulator'>>;
  userId: string;
  staticDir: string;
  dataDir: string;
  host: string;
  port: number;
  /** `port` is only the default: listen on the port of the last start (same data dir) when it
   *  is free, so an open tab reconnects; else on `port`. */
  rememberPort?: boolean;
  clock: Clock;
  logger: Logger;
  token?: string;
}

const addressInUse = (error: unknown): boolean => {
  for (let e: unknown = error; e instanceof Error; e = e.cause)
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || /EADDRINUSE/.test(e.message)) return true;
  return false;
};

export async function startShellHost(options: ShellHostOptions): Promise<ShellHost> {
  const { gateway, logger, clock, userId } = options;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // The headless shell keeps no CTI password of its own (the service config has it): memory only.
  const settings = await SettingsStore.open({
    dir: options.dataDir,
    secrets: new MemorySecretStore(),
    logger,
  });
  const history = await HistoryStore.open({ dir: options.dataDir, logger, clock });
  const state = await openShellState(options.dataDir, logger);
  const desk = gateway.desk(userId);
  const simulator = gateway.simulator;
  const hostInfo: HostInfoView = {
    kind: 'browserShell',
    settings: [...SHELL_SETTINGS],
    demo: simulator !== undefined,
  };
  const app = createAppHandlers({
    settings,
    history,
    hideWindow: () => undefined,
    hostInfo: () => hostInfo,
    ...(simulator === undefined
      ? {}
      : {
          ringMyPhone: async (lineId: string | undefined) => {
            const current = desk.getState();
            const id = lineId ?? current.selectedLineId;
            const line = current.lines.find((l) => l.id === id);
            if (line === undefined)
              throw new DesklineError(ErrorCode.InvalidState, 'Choose a line first, then ring it');
            const placed = simulator.placeInboundCall(DEMO_CALLER, line.dn);
            if (!placed.ok)
              throw new DesklineError(
                ErrorCode.InvalidState,
                `Cannot ring the line: ${placed.error.message}`,
              );
          },
        }),
  });
  const handlers: MethodHandlers = { ...desk.handlers, ...app };

  const listeners = new Set<(name: EventName, payload: unknown) => void>();
  const publish = (name: EventName, payload: unknown): void => {
    for (const listener of listeners) listener(name, payload);
  };
  const keeper = new LineKeeper({
    userId,
    settings,
    selectLine: (lineId) => desk.selectLine(lineId),
    logger,
  });
  const offDesk = desk.onEvent((name, payload) => {
    if (name === 'desk.state') {
      history.observe(payload as DeskStateView);
      keeper.observe(payload as DeskStateView);
    }
    publish(name, payload);
  });
  const offSettings = settings.onChange((view) => publish('app.settings', view));
  const offHistory = history.onChange((entries) => publish('app.history', entries));
  const offMissed = history.onMissedChange((missed) => publish('app.missedCalls', missed));
  keeper.observe(desk.getState());

  const start = (port: number): Promise<ShellServer> =>
    startShellServer({
      host: options.host,
      port,
      staticDir: options.staticDir,
      handlers,
      events: {
        on(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
      },
      logger,
      clock,
      token: options.token ?? state.token,
    });
  let server: ShellServer;
  try {
    const remembered = options.rememberPort === true ? state.port : undefined;
    if (remembered === undefined) server = await start(options.port);
    else
      server = await start(remembered).catch((error: unknown) => {
        if (!addressInUse(error)) throw error;
        logger.warn(
          { port: remembered },
          'shell: the port of the last start is taken; an open tab needs the new link',
        );
        return start(options.port);
      });
  } catch (error) {
    offDesk();
    offSettings();
    offHistory();
    offMissed();
    await Promise.all([history.dispose(), settings.dispose(), state.dispose()]);
    throw error;
  }
  await state.savePort(server.port);
  return {
    server,
    async dispose() {
      offDesk();
      offSettings();
      offHistory();
      offMissed();
      listeners.clear();
      await server.dispose();
      await history.dispose();
      await settings.dispose();
      await state.dispose();
    },
  };
}
