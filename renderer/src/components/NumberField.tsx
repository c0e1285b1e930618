// A number input with the live normalised preview under it (shared by transfer, deflect
// and forwarding panels; the Dial screen has its own, richer box).
import { useId, type KeyboardEvent, type RefObject } from 'react';
import type { NumberView } from '../../../common/src/api/views.js';

export interface NumberFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  view: NumberView | null;
  onEnter?: () => void;
  onEscape?: () => void;
  inputRef?: RefObject<HTMLInputElement | null>;
  error?: string;
  autoFocus?: boolean;
  labelHidden?: boolean;
  placeholder?: string;
}

export function NumberField({
  label,
  value,
  onChange,
  view,
  onEnter,
  onEscape,
  inputRef,
  error,
  autoFocus,
  labelHidden,
  placeholder,
}: NumberFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    if (event.key === 'Enter' && onEnter !== undefined) {
      event.preventDefault();
      onEnter();
    } else if (event.key === 'Escape' && onEscape !== undefined) {
      event.preventDefault();
      event.stopPropagation();
      onEscape();
    }
  };
  const hint =
    error ??
    (view === null
      ? ''
      : view.valid
        ? `Dials ${view.display}`
        : (view.reason ?? 'Not a number that can be dialled'));
  const bad = error !== undefined || (view !== null && !view.valid);
  return (
    <div className="field">
      <label htmlFor={id} className={labelHidden ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <input
        id={id}
        ref={inputRef}
        type="text"
        inputMode="tel"
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={placeholder}
        maxLength={64}
        aria-invalid={bad ? 'true' : undefined}
        aria-describedby={hint === '' ? undefined : hintId}
        onChange={(event) => onChange(event.target.value)}
        onKeyDown={onKeyDown}
        autoFocus={autoFocus}
      />
      <p id={hintId} className={bad ? 'hint hint-bad' : 'hint'} aria-live="polite">
        {hint}
      </p>
    </div>
  );
}
