// The `app.*` methods of the contract over the settings and history stores, shared by
// Electron main and the gateway's browser shell. Requests arrive already validated by
// parseRequest at the boundary (IPC or WebSocket); failures throw DesklineErrors, which the
// boundary turns into { code, message }.
import type { MethodHandlers, MethodName } from '../../common/src/api/contract.js';
import { unwrap } from '../../gateway/src/index.js';
import type { HistoryStore } from './stores/history-store.js';
import type { SettingsStore } from './stores/settings-store.js';

export type AppMethodName = Extract<MethodName, `app.${string}`>;
export type AppHandlers = Pick<MethodHandlers, AppMethodName>;

export interface AppHandlerDeps {
  settings: SettingsStore;
  history: HistoryStore;
  /** Hides the UI window (Electron: the tray popup); the browser shell may do nothing. */
  hideWindow: () => void;
}

export function createAppHandlers({ settings, history, hideWindow }: AppHandlerDeps): AppHandlers {
  return {
    'app.getSettings': () => settings.get(),
    'app.updateSettings': async (patch) => unwrap(await settings.update(patch)),
    'app.listHistory': ({ limit }) => history.list(limit),
    'app.clearHistory': async () => {
      unwrap(await history.clear());
      return { ok: true } as const;
    },
    'app.historySeen': async () => {
      unwrap(await history.markSeen());
      return { unseenMissed: history.unseenMissed() };
    },
    'app.setFavourites': async ({ favourites }) => unwrap(await settings.update({ favourites })),
    'app.recentNumbers': () => history.recentNumbers(),
    'app.hideWindow': () => {
      hideWindow();
      return { ok: true } as const;
    },
  };
}
