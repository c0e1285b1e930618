// The UI's whole data layer: the snapshots the host pushes (desk.state, app.settings,
// app.history) plus the notice list. UI state stays minimal: everything else is derived
// from the latest DeskStateView.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { errorViewOf, type DomainApi, type ErrorView } from '../../../common/src/api/contract.js';
import type {
  DeskStateView,
  HistoryEntryView,
  HostInfoView,
  MissedCallsView,
  NoticeView,
  SettingsView,
} from '../../../common/src/api/views.js';
import type { HostBridge } from '../bridge/host.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import { addNotice, removeNotice, type UiNotice } from '../lib/notices.js';
import { plainError } from '../lib/plain.js';

export const HISTORY_LIMIT = 200;

export type RunResult<T> = { ok: true; value: T } | { ok: false; error: ErrorView };

export interface DeskData {
  api: DomainApi;
  state: DeskStateView | null;
  settings: SettingsView | null;
  history: HistoryEntryView[] | null;
  /** The missed-call badge as the host keeps it (null until known). */
  missed: MissedCallsView | null;
  /** What the host is and applies (null until known). */
  hostInfo: HostInfoView | null;
  /** Tells the host the missed calls up to `upTo` were seen (the badge is the host's). */
  markMissedSeen: (upTo: number) => void;
  recent: string[];
  notices: UiNotice[];
  /** 'ipc' in Electron: there is no link that can drop. */
  link: LinkState | 'ipc';
  loadError: string | null;
  /** Runs an API call; a refusal becomes an error notice with the engine's reason in plain
   *  words (`action` names what was tried: "hold", "transfer the call"). */
  run: <T>(call: (api: DomainApi) => Promise<T>, action?: string) => Promise<RunResult<T>>;
  notify: (level: NoticeView['level'], message: string, code?: string) => void;
  dismiss: (id: number) => void;
}

/** Duck-typed (errorViewOf): the bridge may come from another bundle (the preload, a test
 *  fixture), and an error from Electron's preload carries its code inside the message. */
const toErrorView = (error: unknown): ErrorView => errorViewOf(error);

export function useDesk(host: HostBridge): DeskData {
  const { bridge } = host;
  const [state, setState] = useState<DeskStateView | null>(null);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [history, setHistory] = useState<HistoryEntryView[] | null>(null);
  const [missed, setMissed] = useState<MissedCallsView | null>(null);
  const [hostInfo, setHostInfo] = useState<HostInfoView | null>(null);
  const [recent, setRecent] = useState<string[]>([]);
  const [notices, setNotices] = useState<UiNotice[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const noticeSeq = useRef(0);

  const pushNotice = useCallback((notice: NoticeView & { detail?: string }) => {
    noticeSeq.current += 1;
    const id = noticeSeq.current;
    setNotices((list) => addNotice(list, notice, id));
  }, []);

  /** A notice from the host (main, the engine): its message may carry technical detail. */
  const pushHostNotice = useCallback(
    (notice: NoticeView) => {
      const plain = plainError({ code: notice.code ?? '', message: notice.message });
      pushNotice({
        ...notice,
        message: plain.text,
        ...(plain.detail === undefined ? {} : { detail: plain.detail }),
      });
    },
    [pushNotice],
  );

  const notify = useCallback(
    (level: NoticeView['level'], message: string, code?: string) =>
      pushNotice(
        code === undefined ? { level, message, at: Date.now() } : { level, message, code, at: Date.now() },
      ),
    [pushNotice],
  );

  const dismiss = useCallback((id: number) => setNotices((list) => removeNotice(list, id)), []);

  const run = useCallback(
    async <T>(call: (api: DomainApi) => Promise<T>, action?: string): Promise<RunResult<T>> => {
      try {
        return { ok: true, value: await call(bridge.api) };
      } catch (error) {
        const view = toErrorView(error);
        // "A refused action shows why": the engine's reason, in plain words (docs/ui.md §8).
        const plain = plainError(view, action);
        pushNotice({
          level: 'error',
          code: view.code,
          message: plain.text,
          at: Date.now(),
          ...(plain.detail === undefined ? {} : { detail: plain.detail }),
        });
        return { ok: false, error: view };
      }
    },
    [bridge, pushNotice],
  );

  useEffect(() => {
    let alive = true;
    // A snapshot pushed after we asked is newer than our answer: never regress to the answer.
    const seen = { state: false, settings: false, history: false, missed: false };
    const refreshRecent = (): void => {
      bridge.api.app.recentNumbers({}).then(
        (numbers) => alive && setRecent(numbers),
        () => undefined,
      );
    };
    const offs = [
      bridge.on('desk.state', (view) => {
        seen.state = true;
        setState(view);
        setLoadError(null);
      }),
      bridge.on('app.settings', (view) => {
        seen.settings = true;
        setSettings(view);
      }),
      bridge.on('app.history', (entries) => {
        seen.history = true;
        setHistory(entries);
        refreshRecent();
      }),
      bridge.on('app.missedCalls', (view) => {
        seen.missed = true;
        setMissed(view);
      }),
      bridge.on('app.notice', pushHostNotice),
    ];
    bridge.ready();
    const failed = (what: string) => (error: unknown) => {
      if (alive) setLoadError(`${what}: ${plainError(toErrorView(error)).text}`);
    };
    bridge.api.desk.getState({}).then((view) => {
      if (!alive) return;
      setLoadError(null);
      if (!seen.state) setState(view);
    }, failed('Cannot load the desk'));
    bridge.api.app.getSettings({}).then((view) => {
      if (alive && !seen.settings) setSettings(view);
    }, failed('Cannot load settings'));
    bridge.api.app.listHistory({ limit: HISTORY_LIMIT }).then((entries) => {
      if (alive && !seen.history) setHistory(entries);
    }, failed('Cannot load history'));
    bridge.api.app.getMissedCalls({}).then(
      (view) => alive && !seen.missed && setMissed(view),
      () => undefined,
    );
    bridge.api.app.getHostInfo({}).then(
      (view) => alive && setHostInfo(view),
      () => undefined,
    );
    refreshRecent();
    return () => {
      alive = false;
      for (const off of offs) off();
    };
  }, [bridge, pushHostNotice]);

  const markMissedSeen = useCallback(
    (upTo: number) => {
      bridge.api.app.markMissedSeen({ upTo: Math.floor(upTo) }).then(setMissed, () => undefined);
    },
    [bridge],
  );

  const link = useSyncExternalStore(
    useCallback(
      (onStoreChange: () => void) => host.link?.onChange(onStoreChange) ?? (() => undefined),
      [host],
    ),
    () => host.link?.current() ?? 'ipc',
  );

  // A page that never got its first snapshot (the shell was down when it loaded, so the first
  // requests timed out) asks again as soon as the link opens: no "Connecting…" for ever.
  const loaded = state !== null;
  useEffect(() => {
    if (link !== 'open' || loaded) return;
    bridge.api.desk.getState({}).then(
      (view) => {
        setState((current) => current ?? view);
        setLoadError(null);
      },
      () => undefined,
    );
    bridge.api.app.getSettings({}).then(
      (view) => setSettings((current) => current ?? view),
      () => undefined,
    );
    bridge.api.app.listHistory({ limit: HISTORY_LIMIT }).then(
      (entries) => setHistory((current) => current ?? entries),
      () => undefined,
    );
    bridge.api.app.getHostInfo({}).then(setHostInfo, () => undefined);
    bridge.api.app.getMissedCalls({}).then(
      (view) => setMissed((current) => current ?? view),
      () => undefined,
    );
  }, [bridge, link, loaded]);

  return {
    api: bridge.api,
    state,
    settings,
    history,
    missed,
    hostInfo,
    markMissedSeen,
    recent,
    notices,
    link,
    loadError,
    run,
    notify,
    dismiss,
  };
}

/** Epoch ms, re-rendered every `intervalMs` while `active` (call timers, uptimes). */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const tick = (): void => setNow(Date.now());
    // First tick at once: `now` may be old if nothing was ticking before.
    const first = window.setTimeout(tick, 0);
    const timer = window.setInterval(tick, intervalMs);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(timer);
    };
  }, [active, intervalMs]);
  return now;
}
