// The always-visible parts: header (line, session, CTI state), screen tabs, notices,
// the keyboard help dialog.
import { useEffect, useRef } from 'react';
import type { DeskStateView } from '../../../common/src/api/views.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import { SCREEN_LABEL, SCREENS, SHORTCUT_HELP, type Screen } from '../lib/keyboard.js';
import { INFO_NOTICE_MS, type UiNotice } from '../lib/notices.js';
import { Icon, type IconName } from './Icon.js';

const SESSION_LABEL: Readonly<Record<DeskStateView['session']['state'], string>> = {
  noLine: 'No line',
  starting: 'Starting',
  active: 'Ready',
  recovering: 'Recovering',
  failed: 'Failed',
};

const CTI_LABEL: Readonly<Record<DeskStateView['cti']['overall'], string>> = {
  up: 'up',
  degraded: 'degraded',
  down: 'down',
};

const LINK_LABEL: Readonly<Record<LinkState, string>> = {
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
  // In a narrow tray the label gives way (ellipsis), never the number.
  const lineText =
    line === undefined ? (
      'Choose a line'
    ) : (
      <>
        <span className="line-chip-label">{line.label === '' ? line.dn : line.label}</span>
        <span className="line-chip-dn"> · {line.dn}</span>
      </>
    );
  return (
    <header className="topbar">
      <button
        type="button"
        className="line-chip"
        data-state={line === undefined ? 'none' : 'selected'}
        aria-label={
          line === undefined
            ? 'No line chosen. Choose a line'
            : `Line ${line.dn} on ${line.deviceName}. Change line`
        }
        onClick={() => onGo('lines')}
      >
        <Icon name="phone" />
        <span className="line-chip-text">
          <span className="line-chip-main">{lineText}</span>
          {line === undefined ? null : <span className="line-chip-sub">{line.deviceName}</span>}
        </span>
      </button>
      <div className="status-cluster">
        {link !== 'ipc' && link !== 'open' ? (
          <span className="badge badge-warn" role="status" data-link={link}>
            {LINK_LABEL[link]}
          </span>
        ) : null}
        {state.features.doNotDisturb ? (
          <span className="badge badge-warn" title="Do not disturb is on">
            <Icon name="moon" /> DND
          </span>
        ) : null}
        {forwarded === undefined ? null : (
          <span className="badge badge-warn" title={`All calls forwarded to ${forwarded.to ?? ''}`}>
            <Icon name="forward" /> {forwarded.to ?? 'Fwd'}
          </span>
        )}
        <span
          className="badge session-badge"
          role="status"
          data-state={state.session.state}
          aria-label={`Session: ${SESSION_LABEL[state.session.state]}`}
          title={state.session.reason}
        >
          {SESSION_LABEL[state.session.state]}
        </span>
        <button
          type="button"
          className="cti-indicator"
          data-state={state.cti.overall}
          aria-label={`CTI ${CTI_LABEL[state.cti.overall]}. Open health`}
          title={`CTI ${CTI_LABEL[state.cti.overall]}`}
          onClick={() => onGo('health')}
        >
          <span className="dot" data-state={state.cti.overall} aria-hidden="true" />
          <span className="cti-text">CTI</span>
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

export function Tabs({
  screen,
  callCount,
  onGo,
}: {
  screen: Screen;
  callCount: number;
  onGo: (screen: Screen) => void;
}) {
  return (
    <nav className="tabs" aria-label="Screens">
      {SCREENS.map((s, i) => (
        <button
          key={s}
          type="button"
          className="tab"
          aria-current={screen === s ? 'page' : undefined}
          aria-keyshortcuts={`Alt+${i + 1}`}
          aria-label={SCREEN_LABEL[s]}
          title={`${SCREEN_LABEL[s]} (Alt+${i + 1})`}
          onClick={() => onGo(s)}
        >
          <Icon name={SCREEN_ICON[s]} />
          <span className="tab-label">{SCREEN_LABEL[s]}</span>
          {s === 'calls' && callCount > 0 ? (
            <span className="tab-count" aria-hidden="true">
              {callCount}
            </span>
          ) : null}
        </button>
      ))}
    </nav>
  );
}

function NoticeItem({ notice, onDismiss }: { notice: UiNotice; onDismiss: (id: number) => void }) {
  useEffect(() => {
    if (notice.level !== 'info') return undefined;
    const timer = window.setTimeout(() => onDismiss(notice.id), INFO_NOTICE_MS);
    return () => window.clearTimeout(timer);
  }, [notice.id, notice.level, notice.at, onDismiss]);
  return (
    <div
      className="notice"
      data-level={notice.level}
      data-code={notice.code}
      role={notice.level === 'error' ? 'alert' : 'status'}
    >
      <Icon name={notice.level === 'info' ? 'check' : 'alert'} />
      <p className="notice-text">
        {notice.message}
        {notice.repeat > 1 ? <span className="notice-repeat"> ×{notice.repeat}</span> : null}
      </p>
      <button
        type="button"
        className="btn btn-quiet icon-only"
        aria-label="Dismiss notice"
        onClick={() => onDismiss(notice.id)}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}

export function Notices({
  notices,
  onDismiss,
}: {
  notices: readonly UiNotice[];
  onDismiss: (id: number) => void;
}) {
  return (
    <div className="notices" aria-label="Notices">
      {notices.map((notice) => (
        <NoticeItem key={notice.id} notice={notice} onDismiss={onDismiss} />
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
