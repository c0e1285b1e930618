// The `app.*` methods of the contract over the settings and history stores, shared by
// Electron main and the gateway's browser shell. Requests arrive already validated by
// parseRequest at the boundary (IPC or WebSocket); failures throw DesklineErrors, which the
// boundary turns into { code, message }.
import type { MethodHandlers, MethodName } from '../../common/src/api/contract.js';
import type { HostInfoView, SettingsView } from '../../common/src/api/views.js';
import { DesklineError, ErrorCode, unwrap } from '../../gateway/src/index.js';
import type { HistoryStore } from './stores/history-store.js';
import type { SettingsStore } from './stores/settings-store.js';

export type AppMethodName = Extract<MethodName, `app.${string}`>;
export type AppHandlers = Pick<MethodHandlers, AppMethodName>;

/** Every field of the Settings screen, in its order: what the desktop app applies. */
export const ALL_SETTINGS_FIELDS: readonly (keyof SettingsView)[] = [
  'ctiAddresses',
  'applicationUser',
  'hasPassword',
  'heartbeatIntervalSec',
  'userId',
  'favourites',
  'sipListenerEnabled',
  'startAtLogin',
  'theme',
  'globalShortcut',
];

export const DESKTOP_HOST_INFO: HostInfoView = Object.freeze({
  kind: 'desktop',
  settings: [...ALL_SETTINGS_FIELDS],
  demo: false,
});

export interface AppHandlerDeps {
  settings: SettingsStore;
  history: HistoryStore;
  /** Hides the UI window (Electron: the tray popup); the browser shell may do nothing. */
  hideWindow: () => void;
  /** What this host is and applies (default: the desktop app, every setting, no demo controls). */
  hostInfo?: () => HostInfoView;
  /** Demo mode: the simulator rings the line (default: refused, there is no simulator to ask). */
  ringMyPhone?: (lineId: string | undefined) => Promise<void>;
}

export function createAppHandlers({
  settings,
  history,
  hideWindow,
  hostInfo = () => DESKTOP_HOST_INFO,
  ringMyPhone,
}: AppHandlerDeps): AppHandlers {
  return {
    'app.getSettings': () => settings.get(),
    'app.updateSettings': async (patch) => unwrap(await settings.update(patch)),
    'app.listHistory': ({ limit }) => history.list(limit),
    'app.clearHistory': async () => {
      unwrap(await history.clear());
      return { ok: true } as const;
    },
    'app.setFavourites': async ({ favourites }) => unwrap(await settings.update({ favourites })),
    'app.recentNumbers': () => history.recentNumbers(),
    'app.hideWindow': () => {
      hideWindow();
      return { ok: true } as const;
    },
    'app.getMissedCalls': () => history.missedCalls(),
    'app.markMissedSeen': async ({ upTo }) => unwrap(await history.markMissedSeen(upTo)),
    'app.getHostInfo': () => hostInfo(),
    'app.ringMyPhone': async ({ lineId }) => {
      if (ringMyPhone === undefined)
        throw new DesklineError(
          ErrorCode.InvalidState,
          'Ringing your phone from here works only in demo mode, with the built-in phone system',
        );
      await ringMyPhone(lineId);
      return { ok: true } as const;
    },
  };
}
