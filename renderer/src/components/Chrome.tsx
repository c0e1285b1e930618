// The always-visible parts: header (line, session, link to the phone system), screen tabs,
// notices, the keyboard help dialog. Every control is named by what it shows (WCAG 2.5.3:
// the visible label is inside the accessible name), with words for people (docs/ui.md §8).
import { useEffect, useRef } from 'react';
import type { DeskStateView } from '../../../common/src/api/views.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import { SCREEN_LABEL, SCREENS, SHORTCUT_HELP, type Screen } from '../lib/keyboard.js';
import { INFO_NOTICE_MS, type UiNotice } from '../lib/notices.js';
import { formatNumber } from '../lib/phone.js';
import { phoneName } from '../lib/plain.js';
import { Icon, type IconName } from './Icon.js';

const SESSION_LABEL: Readonly<Record<DeskStateView['session']['state'], string>> = {
  noLine: 'No line',
  starting: 'Starting',
  active: 'Ready',
  recovering: 'Reconnecting',
  failed: 'Not available',
};

/** The link to the phone system (the CTI link) as a person reads it. */
export const LINK_WORD: Readonly<Record<DeskStateView['cti']['overall'], string>> = {
  up: 'Online',
  degraded: 'Partly online',
  down: 'Offline',
};

const SHELL_LINK_LABEL: Readonly<Record<LinkState, string>> = {
  connecting: 'Connecting to Deskline…',
  open: 'Connected',
  reconnecting: 'Connection lost — reconnecting…',
  disposed: 'Disconnected',
};

export function Header({
  state,
  link,
  onGo,
}: {
  state: DeskStateView;
  link: LinkState | 'ipc';
  onGo: (screen: Screen) => void;
}) {
  const line = state.lines.find((l) => l.id === state.selectedLineId);
  const forwarded = state.features.forwarding.find((f) => f.on && f.type === 'forwardImmediate');
  return (
    <header className="topbar">
      {/* Named by its content: what it shows, then what it does. */}
      <button
        type="button"
        className="line-chip"
        data-state={line === undefined ? 'none' : 'selected'}
        onClick={() => onGo('lines')}
      >
        <Icon name="phone" />
        {line === undefined ? (
          <span className="line-chip-text">
            <span className="line-chip-main">
              <span className="name-only">No line chosen. </span>Choose a line
            </span>
          </span>
        ) : (
          <span className="line-chip-text">
            {/* In a narrow tray the label gives way (ellipsis), never the number. */}
            <span className="line-chip-main">
              <span className="line-chip-label">{line.label === '' ? 'Line' : line.label}</span>
              <span className="line-chip-dn">
                {' '}
                · {line.dn}
                <span className="name-only">, </span>
              </span>
            </span>
            <span className="line-chip-sub">
              {phoneName(line)}
              <span className="name-only">. Change line</span>
            </span>
          </span>
        )}
      </button>
      <div className="status-cluster">
        {link !== 'ipc' && link !== 'open' ? (
          <span className="badge badge-warn" role="status" data-link={link}>
            {SHELL_LINK_LABEL[link]}
          </span>
        ) : null}
        {state.features.doNotDisturb ? (
          <span className="badge badge-warn" title="Do not disturb is on">
            <Icon name="moon" />
            <span aria-hidden="true">DND</span>
            <span className="visually-hidden">Do not disturb is on</span>
          </span>
        ) : null}
        {forwarded === undefined ? null : (
          <span
            className="badge badge-warn"
            title={`All calls go to ${forwarded.to === undefined ? 'another number' : formatNumber(forwarded.to)}`}
          >
            <Icon name="forward" />
            <span className="visually-hidden">All calls go to </span>
            {forwarded.to === undefined ? 'Forwarded' : formatNumber(forwarded.to)}
          </span>
        )}
        <span
          className="badge session-badge"
          role="status"
          data-state={state.session.state}
          aria-label={`Session: ${SESSION_LABEL[state.session.state]}`}
        >
          {SESSION_LABEL[state.session.state]}
        </span>
        <button
          type="button"
          className="cti-indicator"
          data-state={state.cti.overall}
          aria-label={`Phone system ${LINK_WORD[state.cti.overall].toLowerCase()}. Open Health`}
          title={`Link to the phone system: ${LINK_WORD[state.cti.overall].toLowerCase()}`}
          onClick={() => onGo('health')}
        >
          <span className="dot" data-state={state.cti.overall} aria-hidden="true" />
          <span className="cti-text">{LINK_WORD[state.cti.overall]}</span>
        </button>
      </div>
    </header>
  );
}

const SCREEN_ICON: Readonly<Record<Screen, IconName>> = {
  calls: 'calls',
  dial: 'dial',
  lines: 'lines',
  history: 'history',
  health: 'health',
  settings: 'settings',
};

/** A count on a tab, named in words after the tab's own ("Calls, 2 active"). */
function TabCount({ count, what, tone }: { count: number; what: string; tone: 'accent' | 'bad' }) {
  return (
    <span className="tab-count" data-tone={tone}>
      {count}
      <span className="name-only"> {what}</span>
    </span>
  );
}

export function Tabs({
  screen,
  callCount,
  missedCount,
  onGo,
}: {
  screen: Screen;
  callCount: number;
  missedCount: number;
  onGo: (screen: Screen) => void;
}) {
  return (
    <nav className="tabs" aria-label="Screens">
      {SCREENS.map((s, i) => (
        <button
          key={s}
          type="button"
          className="tab"
          data-screen={s}
          aria-current={screen === s ? 'page' : undefined}
          aria-keyshortcuts={`Alt+${i + 1}`}
          title={`${SCREEN_LABEL[s]} (Alt+${i + 1})`}
          onClick={() => onGo(s)}
        >
          <Icon name={SCREEN_ICON[s]} />
          <span className="tab-label">
            {SCREEN_LABEL[s]}
            {(s === 'calls' && callCount > 0) || (s === 'history' && missedCount > 0) ? (
              <span className="name-only">, </span>
            ) : null}
          </span>
          {s === 'calls' && callCount > 0 ? <TabCount count={callCount} what="active" tone="accent" /> : null}
          {s === 'history' && missedCount > 0 ? (
            <TabCount count={missedCount} what="missed" tone="bad" />
          ) : null}
        </button>
      ))}
    </nav>
  );
}

function NoticeItem({
  notice,
  onDismiss,
  onExpire,
}: {
  notice: UiNotice;
  onDismiss: (id: number) => void;
  /** Stable (the timer is not restarted by every render). */
  onExpire: (id: number) => void;
}) {
  useEffect(() => {
    if (notice.level !== 'info') return undefined;
    const timer = window.setTimeout(() => onExpire(notice.id), INFO_NOTICE_MS);
    return () => window.clearTimeout(timer);
  }, [notice.id, notice.level, notice.at, onExpire]);
  return (
    <div className="notice" data-level={notice.level} data-code={notice.code} data-notice-id={notice.id}>
      <Icon name={notice.level === 'info' ? 'check' : 'alert'} />
      <p className="notice-text" title={notice.detail}>
        {notice.level === 'error' ? <span className="visually-hidden">Error: </span> : null}
        {notice.level === 'warning' ? <span className="visually-hidden">Warning: </span> : null}
        {notice.message}
        {notice.repeat > 1 ? <span className="notice-repeat"> ×{notice.repeat}</span> : null}
      </p>
      <button
        type="button"
        className="btn btn-quiet icon-only"
        aria-label="Dismiss notice"
        title="Dismiss notice"
        onClick={() => onDismiss(notice.id)}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}

/**
 * The notices: one live region (role=log, polite: each new notice is read once, after what
 * the user is hearing) that always exists, so the first notice is announced too. It sits in
 * the main landmark. Dismissing one moves focus to the next notice, else to the heading.
 */
export function Notices({
  notices,
  onDismiss,
  onFocusAway,
}: {
  notices: readonly UiNotice[];
  onDismiss: (id: number) => void;
  /** Called when the dismissed notice was the last one and had focus. */
  onFocusAway?: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const dismiss = (id: number): void => {
    const others = notices.filter((n) => n.id !== id);
    const index = notices.findIndex((n) => n.id === id);
    const next = others[Math.min(index, others.length - 1)];
    if (next !== undefined)
      ref.current?.querySelector<HTMLButtonElement>(`[data-notice-id="${next.id}"] button`)?.focus();
    else onFocusAway?.();
    onDismiss(id);
  };
  return (
    <div ref={ref} className="notices" role="log" aria-label="Notices">
      {notices.map((notice) => (
        <NoticeItem key={notice.id} notice={notice} onDismiss={dismiss} onExpire={onDismiss} />
      ))}
    </div>
  );
}

export function HelpDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="help-dialog" aria-labelledby="help-title" onClose={onClose}>
      <h2 id="help-title">Keyboard shortcuts</h2>
      <table className="help-table">
        <tbody>
          {SHORTCUT_HELP.map((row) => (
            <tr key={row.keys}>
              <th scope="row">
                <kbd>{row.keys}</kbd>
              </th>
              <td>{row.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit" className="btn btn-primary">
          Close
        </button>
      </form>
    </dialog>
  );
}
