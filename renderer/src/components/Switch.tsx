// An on/off control with the ARIA switch role (WAI-ARIA 1.2 §5.4 "switch").
import { useId } from 'react';

export interface SwitchProps {
  label: string;
  checked: boolean;
  onChange: (next: boolean) => void;
  description?: string;
  disabled?: boolean;
}

export function Switch({ label, checked, onChange, description, disabled = false }: SwitchProps) {
  const id = useId();
  return (
    <div className="switch-row">
      <button
        type="button"
        role="switch"
        id={id}
        className="switch"
        aria-checked={checked}
        aria-disabled={disabled ? 'true' : undefined}
        aria-describedby={description === undefined ? undefined : `${id}-d`}
        data-state={checked ? 'on' : 'off'}
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
      </div>
    </div>
  );
}
