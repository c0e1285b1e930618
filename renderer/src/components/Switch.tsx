// An on/off control with the ARIA switch role (WAI-ARIA 1.2 §5.4 "switch"). A switch that
// cannot be used now stays focusable and says why, in its description and on screen.
import { useId } from 'react';

export interface SwitchProps {
  label: string;
  checked: boolean;
  onChange: (next: boolean) => void;
  description?: string;
  /** Set when the switch cannot be used now: why. */
  disabledReason?: string;
}

export function Switch({ label, checked, onChange, description, disabledReason }: SwitchProps) {
  const id = useId();
  const disabled = disabledReason !== undefined;
  const descriptionIds = [description === undefined ? null : `${id}-d`, disabled ? `${id}-r` : null]
    .filter((x) => x !== null)
    .join(' ');
  return (
    <div className="switch-row">
      <button
        type="button"
        role="switch"
        id={id}
        className="switch"
        aria-checked={checked}
        aria-disabled={disabled ? 'true' : undefined}
        aria-describedby={descriptionIds === '' ? undefined : descriptionIds}
        data-state={checked ? 'on' : 'off'}
        title={disabledReason}
        onClick={() => {
          if (!disabled) onChange(!checked);
        }}
      >
        <span className="switch-thumb" aria-hidden="true" />
      </button>
      <div className="switch-text">
        <label htmlFor={id} className="switch-label">
          {label}
        </label>
        {description === undefined ? null : (
          <span id={`${id}-d`} className="hint">
            {description}
          </span>
        )}
        {disabledReason === undefined ? null : (
          <span id={`${id}-r`} className="hint why">
            {disabledReason}
          </span>
        )}
      </div>
    </div>
  );
}
