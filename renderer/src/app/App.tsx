// The tray window: header, notices, ringing calls, tabs and the current screen.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CallView } from '../../../common/src/api/views.js';
import type { HostBridge } from '../bridge/host.js';
import { RingingCard } from '../components/CallCards.js';
import { Header, HelpDialog, Notices, Tabs } from '../components/Chrome.js';
import { availability, focusCall, layoutCalls } from '../lib/call-model.js';
import { shortcutFor, type Screen } from '../lib/keyboard.js';
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

export function App({ host }: { host: HostBridge }) {
  const desk = useDesk(host);
  const { state, settings, run, notify } = desk;
  const [screen, setScreen] = useState<Screen>('calls');
  const [dialPrefill, setDialPrefill] = useState<Navigation['dialPrefill']>(null);
  const [focusRequest, setFocusRequest] = useState<Navigation['focusRequest']>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const seq = useRef(0);
  const claimed = useRef(0);
  useTheme(settings?.theme);

  const go = useCallback((next: Screen, options?: { number?: string; focus?: FocusTarget }) => {
    seq.current += 1;
    const id = seq.current;
    setScreen(next);
    if (options?.number !== undefined) setDialPrefill({ number: options.number, seq: id });
    if (options?.focus !== undefined) setFocusRequest({ target: options.focus, seq: id });
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
      setAnnouncement(`Incoming call from ${call.remote.display ?? call.remote.number}`);
    });
    return () => {
      offNavigate();
      offIncoming();
    };
  }, [bridge, go]);

  const calls = state?.calls;
  const layout = useMemo(() => layoutCalls(calls ?? []), [calls]);

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
          const can = availability(ringing, action);
          if (!can.enabled)
            return notify(
              'warning',
              `${action === 'answer' ? 'Answer' : 'Decline'}: ${can.reason ?? 'not available'}`,
            );
          void run((a) =>
            action === 'answer'
              ? a.desk.answer({ callId: ringing.callId })
              : a.desk.hangup({ callId: ringing.callId }),
          );
          return;
        }
        case 'holdToggle': {
          if (current === undefined) return notify('info', 'No call to hold or resume.');
          const action = current.state === 'held' ? 'retrieve' : 'hold';
          const can = availability(current, action);
          if (!can.enabled)
            return notify(
              'warning',
              `${action === 'hold' ? 'Hold' : 'Resume'}: ${can.reason ?? 'not available'}`,
            );
          void run((a) =>
            action === 'hold'
              ? a.desk.hold({ callId: current.callId })
              : a.desk.retrieve({ callId: current.callId }),
          );
          return;
        }
        case 'hangup': {
          if (current === undefined) return notify('info', 'No call to end.');
          const can = availability(current, 'hangup');
          if (!can.enabled) return notify('warning', `Hang up: ${can.reason ?? 'not available'}`);
          void run((a) => a.desk.hangup({ callId: current.callId }));
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
  }, [calls, layout, go, run, notify]);

  if (state === null) {
    return (
      <div className="app app-loading" data-ready="false">
        <p className="loading" role="status">
          {desk.loadError ?? 'Connecting to Deskline…'}
        </p>
        <Notices notices={desk.notices} onDismiss={desk.dismiss} />
      </div>
    );
  }

  const nav: Navigation = { screen, go, dialPrefill, focusRequest, claimFocus };
  const context: DeskContextValue = { ...desk, state, nav };
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
        <Tabs screen={screen} callCount={liveCalls} onGo={(s) => go(s)} />
        <Notices notices={desk.notices} onDismiss={desk.dismiss} />
        {layout.ringing.length > 0 ? (
          <div className="ringing-area">
            {layout.ringing.map((call) => (
              <RingingCard key={call.callId} call={call} />
            ))}
          </div>
        ) : null}
        <main className="main">
          <CurrentScreen screen={screen} />
        </main>
        <p className="visually-hidden" aria-live="assertive">
          {announcement}
        </p>
        <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
      </div>
    </DeskContext.Provider>
  );
}
