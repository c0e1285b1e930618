// A 12-key telephone keypad (ITU-T E.161 layout). Used to dial and to send DTMF.
// While focus is inside it, typing 0-9 * # presses the key. Each key is named by what it
// shows ("2 ABC", "0 +"): a visible label is part of the accessible name (WCAG 2.5.3), so
// voice control ("click 2 ABC") and screen readers agree with the screen.
import { useId, type KeyboardEvent } from 'react';

const KEYS: ReadonlyArray<{ key: string; letters: string }> = [
  { key: '1', letters: '' },
  { key: '2', letters: 'ABC' },
  { key: '3', letters: 'DEF' },
  { key: '4', letters: 'GHI' },
  { key: '5', letters: 'JKL' },
  { key: '6', letters: 'MNO' },
  { key: '7', letters: 'PQRS' },
  { key: '8', letters: 'TUV' },
  { key: '9', letters: 'WXYZ' },
  { key: '*', letters: '' },
  { key: '0', letters: '+' },
  { key: '#', letters: '' },
];

export interface KeypadProps {
  /** Accessible name of the group, e.g. "Dial pad" or "Keypad for Alice". */
  label: string;
  onKey: (key: string) => void;
  id?: string;
  disabledReason?: string;
}

export function Keypad({ label, onKey, id, disabledReason }: KeypadProps) {
  const reasonId = useId();
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (/^[0-9*#]$/.test(event.key)) {
      event.preventDefault();
      if (disabledReason === undefined) onKey(event.key);
    }
  };
  return (
    <div className="keypad" role="group" aria-label={label} id={id} onKeyDown={onKeyDown}>
      {KEYS.map(({ key, letters }) => (
        <button
          key={key}
          type="button"
          className="key"
          aria-disabled={disabledReason === undefined ? undefined : 'true'}
          aria-describedby={disabledReason === undefined ? undefined : reasonId}
          title={disabledReason}
          onClick={() => {
            if (disabledReason === undefined) onKey(key);
          }}
        >
          <span className="key-main">{key}</span>
          {letters === '' ? null : (
            <>
              <span className="name-only"> </span>
              <span className="key-sub">{letters}</span>
            </>
          )}
        </button>
      ))}
      {disabledReason === undefined ? null : (
        <p id={reasonId} className="why keypad-why">
          {disabledReason}
        </p>
      )}
    </div>
  );
}
