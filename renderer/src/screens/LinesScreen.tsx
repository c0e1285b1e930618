// Lines: pick the line appearance (device × line) to control. Choosing one calls
// desk.selectLine; one that cannot be controlled says why.
import { useId } from 'react';
import type { LineAppearanceView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';

export const lineName = (line: LineAppearanceView): string => `${line.dn} on ${line.deviceName}`;

function LineOption({ line, selected }: { line: LineAppearanceView; selected: boolean }) {
  const { run, nav } = useDeskContext();
  const reasonId = useId();
  const unavailable = !line.controllable;
  const reason = line.notControllableReason ?? 'This line cannot be controlled';
  const choose = async (): Promise<void> => {
    if (unavailable || selected) return;
    const result = await run((a) => a.desk.selectLine({ lineId: line.id }));
    if (result.ok) nav.go('calls');
  };
  return (
    <li>
      <button
        type="button"
        className="line-option"
        data-state={selected ? 'selected' : unavailable ? 'unavailable' : 'available'}
        data-line-id={line.id}
        aria-pressed={selected}
        aria-disabled={unavailable ? 'true' : undefined}
        aria-describedby={unavailable ? reasonId : undefined}
        aria-label={`${line.label === '' ? 'Line' : line.label}: ${lineName(line)}`}
        title={unavailable ? reason : undefined}
        onClick={() => void choose()}
      >
        <span className="line-main">
          <span className="line-label">{line.label === '' ? line.dn : line.label}</span>
          <span className="line-dn">{line.dn}</span>
          {line.partition === '' ? null : <span className="line-partition">{line.partition}</span>}
          {selected ? (
            <span className="line-selected">
              <Icon name="check" /> Controlling
            </span>
          ) : null}
        </span>
        <span className="line-device">
          {line.deviceName} · {line.deviceModel}
          {line.deviceDescription === '' ? '' : ` · ${line.deviceDescription}`}
        </span>
        {line.shared ? (
          <span className="line-shared">
            Shared line{line.sharedWith.length > 0 ? ` · also on ${line.sharedWith.join(', ')}` : ''}
          </span>
        ) : null}
        {unavailable ? <span className="line-reason">{reason}</span> : null}
      </button>
      {unavailable ? (
        <span id={reasonId} hidden>
          {reason}
        </span>
      ) : null}
    </li>
  );
}

export function LinesScreen() {
  const { state } = useDeskContext();
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Lines</ScreenHeading>
      {state.user === null ? (
        <p className="muted">No user is configured yet: set your user ID in Settings.</p>
      ) : (
        <p className="muted">
          {state.user.displayName} ({state.user.userId})
          {state.user.licence === null ? ' · no IM and Presence licence: lines cannot be controlled' : ''}
        </p>
      )}
      {state.lines.length === 0 ? (
        <p className="empty">No line appearances found for this user.</p>
      ) : (
        <ul className="line-list" aria-label="Line appearances">
          {state.lines.map((line) => (
            <LineOption key={line.id} line={line} selected={line.id === state.selectedLineId} />
          ))}
        </ul>
      )}
    </section>
  );
}
