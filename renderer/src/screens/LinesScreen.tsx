// Lines: the user's line appearances (a line on one of their phones). Calls on every line are
// shown; this screen chooses the line to dial from — the default, remembered by the host.
// Choosing one calls desk.selectLine; one that cannot be controlled says why, in plain words.
// Phones are named as their owner knows them (description, model), never by device name;
// partitions and device names stay in a tooltip (docs/ui.md §8).
import { useId } from 'react';
import type { DeskStateView, LineAppearanceView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { Icon } from '../components/Icon.js';
import { NoAccess } from '../components/NoAccess.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { phoneName, plainLineReason } from '../lib/plain.js';

/** The phone under the line: "Alice Archer - desk · Cisco 8865". */
const phoneLine = (line: LineAppearanceView): string => {
  const name = phoneName(line);
  return name === line.deviceModel ? name : `${name} · ${line.deviceModel}`;
};

/** For an administrator: where exactly this appearance is. */
const technical = (line: LineAppearanceView): string =>
  `Device ${line.deviceName}, line ${line.dn}${line.partition === '' ? '' : ` in partition ${line.partition}`}`;

function LineOption({
  line,
  selected,
  user,
}: {
  line: LineAppearanceView;
  selected: boolean;
  user: DeskStateView['user'];
}) {
  const { run, nav } = useDeskContext();
  const detailsId = useId();
  const unavailable = !line.controllable;
  const reason = unavailable ? plainLineReason(line, user) : undefined;
  // Left out by the gateway's limit of watched lines (users.maxMonitorsPerUser).
  const unwatched = !unavailable && line.watched === false;
  const shared =
    line.shared && line.sharedWith.length > 0
      ? `Shared line: also on ${line.sharedWith.length === 1 ? 'another phone' : `${line.sharedWith.length} other phones`}`
      : line.shared
        ? 'Shared line'
        : undefined;
  const choose = async (): Promise<void> => {
    if (unavailable) return;
    // The line already chosen: back to the calls.
    if (selected) return nav.go('calls', { focus: 'heading' });
    const result = await run((a) => a.desk.selectLine({ lineId: line.id }), 'choose this line');
    if (result.ok) nav.go('calls', { focus: 'heading' });
  };
  const hasDetails = shared !== undefined || reason !== undefined || unwatched;
  return (
    <li
      className="line-item"
      data-state={selected ? 'selected' : unavailable ? 'unavailable' : 'available'}
      data-line-id={line.id}
    >
      {/* Named by what it shows (label, number, phone); the rest describes it. */}
      <button
        type="button"
        className="line-option"
        data-state={selected ? 'selected' : unavailable ? 'unavailable' : 'available'}
        data-line-id={line.id}
        aria-pressed={selected}
        aria-disabled={unavailable ? 'true' : undefined}
        aria-describedby={hasDetails ? detailsId : undefined}
        title={technical(line)}
        onClick={() => void choose()}
      >
        <span className="line-main">
          {/* Reads "Alice Archer · 1001", on screen and in the button's name. */}
          <span className="line-label">
            {line.label === '' ? 'Line' : line.label} · <span className="line-dn">{line.dn}</span>
            <span className="name-only">, </span>
          </span>
          {/* Shown, not said: aria-pressed already says it, and the button's name stays the
              line's own whether or not it is the one controlled. */}
          {selected ? (
            <span className="line-selected" aria-hidden="true">
              <Icon name="check" />
              Dial from here
            </span>
          ) : null}
        </span>
        <span className="line-device">{phoneLine(line)}</span>
      </button>
      {hasDetails ? (
        <p id={detailsId} className="line-details">
          {shared === undefined ? null : (
            <span className="line-shared" title={line.sharedWith.join(', ')}>
              {shared}
            </span>
          )}
          {shared !== undefined && reason !== undefined ? <span className="visually-hidden">. </span> : null}
          {reason === undefined ? null : (
            <span className="line-reason" title={reason.detail}>
              {reason.text}
            </span>
          )}
          {unwatched ? (
            <span className="line-reason">
              {shared !== undefined ? <span className="visually-hidden">. </span> : null}
              Its calls are not shown: you have more lines than this gateway watches. Choose it to dial from
              to see them.
            </span>
          ) : null}
        </p>
      ) : null}
    </li>
  );
}

export function LinesScreen() {
  const { state } = useDeskContext();
  const { user, access } = state;
  const usable = state.lines.filter((l) => l.controllable).length;
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Lines</ScreenHeading>
      {user === null ? null : (
        <p className="muted">
          {user.displayName} ({user.userId})
        </p>
      )}
      {access !== undefined ? (
        <NoAccess access={access} />
      ) : user === null ? (
        <p className="muted">No user is set yet: enter your user ID in Settings.</p>
      ) : (
        <p className="hint lines-intro">
          {usable > 1
            ? 'Calls on all your lines show on Calls. Choose the line you dial from: Deskline remembers it.'
            : 'Calls on your line show on Calls, and you dial from it.'}
        </p>
      )}
      {state.lines.length === 0 ? (
        access === undefined ? (
          <p className="empty">
            No lines found for you. Ask your administrator which phones you may control.
          </p>
        ) : null
      ) : (
        <ul className="line-list" aria-label="Your lines">
          {state.lines.map((line) => (
            <LineOption key={line.id} line={line} selected={line.id === state.selectedLineId} user={user} />
          ))}
        </ul>
      )}
    </section>
  );
}
