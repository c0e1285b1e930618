// A 12-key telephone keypad (ITU-T E.161 layout). Used to dial and to send DTMF.
// While focus is inside it, typing 0-9 * # presses the key.
import type { KeyboardEvent } from 'react';

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
          aria-label={key}
          aria-disabled={disabledReason === undefined ? undefined : 'true'}
          title={disabledReason}
          onClick={() => {
            if (disabledReason === undefined) onKey(key);
          }}
        >
          <span className="key-main">{key}</span>
          <span className="key-sub" aria-hidden="true">
            {letters}
          </span>
        </button>
      ))}
    </div>
  );
}
