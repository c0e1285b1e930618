// The browser shell host: the desktop UI served by the headless gateway over loopback, with the
// same domain API as Electron's preload (desk.* from the engine, app.* from the settings and
// history stores), carried over a token-protected WebSocket (host/src/shell/).
import { mkdirSync } from 'node:fs';
import type { EventName, MethodHandlers } from '../../../common/src/api/contract.js';
import type { Gateway, Clock, Logger } from '../../../gateway/src/index.js';
import { createAppHandlers } from '../app-handlers.js';
import { HistoryStore } from '../stores/history-store.js';
import { MemorySecretStore } from '../stores/secret-store.js';
import { SettingsStore } from '../stores/settings-store.js';
import { startShellServer, type ShellServer } from '../shell/shell-server.js';
import type { DeskStateView } from '../../../common/src/api/views.js';

export interface ShellHost {
  readonly server: ShellServer;
  dispose(): Promise<void>;
}

export interface ShellHostOptions {
  gateway: Gateway;
  userId: string;
  staticDir: string;
  dataDir: string;
  host: string;
  port: number;
  clock: Clock;
  logger: Logger;
  token?: string;
}

export async function startShellHost(options: ShellHostOptions): Promise<ShellHost> {
  const { gateway, logger, clock } = options;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // The headless shell keeps no CTI password of its own (the service config has it): memory only.
  const settings = await SettingsStore.open({
    dir: options.dataDir,
    secrets: new MemorySecretStore(),
    logger,
  });
  const history = await HistoryStore.open({ dir: options.dataDir, logger, clock });
  const desk = gateway.desk(options.userId);
  const app = createAppHandlers({ settings, history, hideWindow: () => undefined });
  const handlers: MethodHandlers = { ...desk.handlers, ...app };

  const listeners = new Set<(name: EventName, payload: unknown) => void>();
  const publish = (name: EventName, payload: unknown): void => {
    for (const listener of listeners) listener(name, payload);
  };
  const offDesk = desk.onEvent((name, payload) => {
    if (name === 'desk.state') history.observe(payload as DeskStateView);
    publish(name, payload);
  });
  const offSettings = settings.onChange((view) => publish('app.settings', view));
  const offHistory = history.onChange((entries) => publish('app.history', entries));

  const server = await startShellServer({
    host: options.host,
    port: options.port,
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
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  return {
    server,
    async dispose() {
      offDesk();
      offSettings();
      offHistory();
      listeners.clear();
      await server.dispose();
      await history.dispose();
      await settings.dispose();
    },
  };
}
