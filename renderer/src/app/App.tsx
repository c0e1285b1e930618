// The tray window: header, tabs, ringing calls, then the main landmark with the notices and
// the current screen.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { CallView } from '../../../common/src/api/views.js';
import type { HostBridge } from '../bridge/host.js';
import { RingingCard } from '../components/CallCards.js';
import { Header, HelpDialog, Notices, Tabs } from '../components/Chrome.js';
import {
  availability,
  controlBlocked,
  focusCall,
  layoutCalls,
  neighbourOf,
  partyName,
} from '../lib/call-model.js';
import { shortcutFor, type Screen } from '../lib/keyboard.js';
import { newestMissedAt, unseenMissed } from '../lib/history.js';
import { CallsScreen } from '../screens/CallsScreen.js';
import { DialScreen } from '../screens/DialScreen.js';
import { HealthScreen } from '../screens/HealthScreen.js';
import { HistoryScreen } from '../screens/HistoryScreen.js';
import { LinesScreen } from '../screens/LinesScreen.js';
import { SettingsScreen } from '../screens/SettingsScreen.js';
import { DeskContext, type DeskContextValue, type FocusTarget, type Navigation } from './desk-context.js';
import { useTheme } from './theme.js';
import { useDesk } from './use-desk.js';

const isTextField = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable ||
    target instanceof HTMLTextAreaElement ||
    (target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit'].includes(target.type)));

function CurrentScreen({ screen }: { screen: Screen }) {
  switch (screen) {
    case 'calls':
      return <CallsScreen />;
    case 'dial':
      return <DialScreen />;
    case 'lines':
      return <LinesScreen />;
    case 'history':
      return <HistoryScreen />;
    case 'health':
      return <HealthScreen />;
    case 'settings':
      return <SettingsScreen />;
    default: {
      const never: never = screen;
      throw new Error(`unknown screen ${String(never)}`);
    }
  }
}

const subscribeVisibility = (onChange: () => void): (() => void) => {
  document.addEventListener('visibilitychange', onChange);
  return () => document.removeEventListener('visibilitychange', onChange);
};
const pageVisible = (): boolean => document.visibilityState === 'visible';

/** The screen's heading: where focus goes when nothing better is left (docs/ui.md §3). */
const focusHeading = (): void => document.getElementById('screen-heading')?.focus();

/**
 * Focus never falls to the page body: when the element that had focus leaves the page (its
 * call ended, its panel closed, its notice was dismissed) and nothing took focus, the screen's
 * heading takes it. Actions that know a better place (the next call card) ask for it first.
 */
function useFocusRescue(): void {
  useEffect(() => {
    let last: Element | null = null;
    const onFocusIn = (event: FocusEvent): void => {
      if (event.target instanceof Element) last = event.target;
    };
    const observer = new MutationObserver(() => {
      if (last === null || last.isConnected) return;
      last = null;
      const active = document.activeElement;
      if (active === null || active === document.body) focusHeading();
    });
    document.addEventListener('focusin', onFocusIn);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      observer.disconnect();
    };
  }, []);
}

export function App({ host }: { host: HostBridge }) {
  const desk = useDesk(host);
  const { state, settings, history, run, notify } = desk;
  const [screen, setScreen] = useState<Screen>('calls');
  const [dialPrefill, setDialPrefill] = useState<Navigation['dialPrefill']>(null);
  const [focusRequest, setFocusRequest] = useState<Navigation['focusRequest']>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const seq = useRef(0);
  const claimed = useRef(0);
  useTheme(settings?.theme);
  useFocusRescue();

  const go = useCallback((next: Screen, options?: { number?: string; focus?: FocusTarget }) => {
    seq.current += 1;
    const id = seq.current;
    setScreen(next);
    if (options?.number !== undefined) setDialPrefill({ number: options.number, seq: id });
    if (options?.focus !== undefined) setFocusRequest({ target: options.focus, seq: id });
  }, []);
  const focus = useCallback((target: FocusTarget) => {
    seq.current += 1;
    setFocusRequest({ target, seq: seq.current });
  }, []);
  const claimFocus = useCallback((id: number): boolean => {
    if (id <= claimed.current) return false;
    claimed.current = id;
    return true;
  }, []);

  const { bridge } = host;
  useEffect(() => {
    const offNavigate = bridge.on('app.navigate', (request) => {
      go(
        request.screen,
        request.number === undefined ? { focus: 'heading' } : { number: request.number, focus: 'dial' },
      );
    });
    const offIncoming = bridge.on('desk.incomingCall', (call: CallView) => {
      setAnnouncement(`Incoming call from ${partyName(call)}`);
    });
    return () => {
      offNavigate();
      offIncoming();
    };
  }, [bridge, go]);

  const calls = state?.calls;
  const layout = useMemo(() => layoutCalls(calls ?? []), [calls]);
  const blocked = state === null ? undefined : controlBlocked(state);

  const focusAfterEnd = useCallback(
    (callIds: readonly string[]) => {
      const next = neighbourOf(layout.groups, callIds);
      return () => focus(next === undefined ? 'heading' : { calls: next });
    },
    [layout, focus],
  );

  // Missed calls are "seen" once the History screen is on screen (docs/ui.md §2); the host
  // keeps it (app.markMissedSeen), so the tray's badge and every window agree.
  const visible = useSyncExternalStore(subscribeVisibility, pageVisible);
  const { markMissedSeen } = desk;
  const hostSeenAt = desk.missed?.seenAt ?? 0;
  const [askedSeenAt, setAskedSeenAt] = useState(0);
  const seenAt = Math.max(hostSeenAt, askedSeenAt);
  const newestMissed = newestMissedAt(history);
  const seeing = screen === 'history' && visible && history !== null && newestMissed > seenAt;
  if (seeing) setAskedSeenAt(newestMissed);
  useEffect(() => {
    if (askedSeenAt > hostSeenAt) markMissedSeen(askedSeenAt);
  }, [askedSeenAt, hostSeenAt, markMissedSeen]);
  const missedCount = desk.missed === null && history === null ? 0 : unseenMissed(history, seenAt);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      if (event.defaultPrevented) return;
      const shortcut = shortcutFor(event, isTextField(event.target));
      if (shortcut === null) return;
      event.preventDefault();
      const ringing = layout.ringing[0];
      const current = focusCall(calls ?? []);
      switch (shortcut.kind) {
        case 'screen':
          go(shortcut.screen, { focus: 'heading' });
          return;
        case 'focusDial':
          go('dial', { focus: 'dial' });
          return;
        case 'help':
          setHelpOpen(true);
          return;
        case 'answer':
        case 'decline': {
          if (ringing === undefined) return notify('info', 'No call is ringing.');
          const action = shortcut.kind === 'answer' ? 'answer' : 'decline';
          const can = availability(ringing, action, blocked);
          if (!can.enabled)
            return notify(
              'warning',
              `${action === 'answer' ? 'Answer' : 'Decline'}: ${can.reason ?? 'not available'}`,
            );
          void (async () => {
            const result = await run(
              (a) =>
                action === 'answer'
                  ? a.desk.answer({ callId: ringing.callId })
                  : a.desk.hangup({ callId: ringing.callId }),
              action,
            );
            if (result.ok && action === 'answer') go('calls', { focus: { calls: [ringing.callId] } });
          })();
          return;
        }
        case 'holdToggle': {
          if (current === undefined) return notify('info', 'No call to hold or resume.');
          const action = current.state === 'held' ? 'retrieve' : 'hold';
          const can = availability(current, action, blocked);
          if (!can.enabled)
            return notify(
              'warning',
              `${action === 'hold' ? 'Hold' : 'Resume'}: ${can.reason ?? 'not available'}`,
            );
          void run(
            (a) =>
              action === 'hold'
                ? a.desk.hold({ callId: current.callId })
                : a.desk.retrieve({ callId: current.callId }),
            action === 'hold' ? 'hold' : 'resume',
          );
          return;
        }
        case 'hangup': {
          if (current === undefined) return notify('info', 'No call to end.');
          const can = availability(current, 'hangup', blocked);
          if (!can.enabled) return notify('warning', `Hang up: ${can.reason ?? 'not available'}`);
          void run((a) => a.desk.hangup({ callId: current.callId }), 'hang up');
          return;
        }
        default: {
          const never: never = shortcut;
          throw new Error(`unknown shortcut ${JSON.stringify(never)}`);
        }
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [calls, layout, blocked, go, run, notify]);

  if (state === null) {
    return (
      <div className="app app-loading" data-ready="false">
        <main className="main">
          <h1 className="visually-hidden">Deskline</h1>
          <p className="loading" role="status">
            {desk.loadError ??
              (desk.link === 'reconnecting'
                ? 'Cannot reach Deskline yet. This page keeps trying; if Deskline was started again with a new link, open that link.'
                : 'Connecting to Deskline…')}
          </p>
          <Notices notices={desk.notices} onDismiss={desk.dismiss} />
        </main>
      </div>
    );
  }

  const nav: Navigation = { screen, go, focus, focusAfterEnd, dialPrefill, focusRequest, claimFocus };
  const context: DeskContextValue = {
    ...desk,
    state,
    nav,
    controlBlocked: blocked,
    unseenMissed: missedCount,
  };
  const liveCalls = state.calls.filter((c) => c.state !== 'cleared').length;

  return (
    <DeskContext.Provider value={context}>
      <div
        className="app"
        data-ready="true"
        data-screen={screen}
        data-session={state.session.state}
        data-cti={state.cti.overall}
      >
        <Header state={state} link={desk.link} onGo={(s) => go(s)} />
        <Tabs screen={screen} callCount={liveCalls} missedCount={missedCount} onGo={(s) => go(s)} />
        {layout.ringing.length > 0 ? (
          <div className="ringing-area">
            {layout.ringing.map((call) => (
              <RingingCard key={call.callId} call={call} />
            ))}
          </div>
        ) : null}
        <main className="main">
          <Notices notices={desk.notices} onDismiss={desk.dismiss} onFocusAway={focusHeading} />
          <CurrentScreen screen={screen} />
          <p className="visually-hidden" aria-live="assertive">
            {announcement}
          </p>
        </main>
        <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      </div>
    </DeskContext.Provider>
  );
}
