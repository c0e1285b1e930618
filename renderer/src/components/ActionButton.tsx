// A call-control button. A disabled action stays focusable (aria-disabled, not the disabled
// attribute) so a keyboard or screen-reader user can reach it and hear why it is not
// available: the engine's reason is the button's accessible description (and its tooltip).
import { useId, useState, type ReactNode } from 'react';
import type { ActionAvailability } from '../../../common/src/api/views.js';
import { Icon, type IconName } from './Icon.js';

export type ButtonVariant = 'default' | 'primary' | 'good' | 'danger' | 'quiet';

export interface ActionButtonProps {
  label: string;
  availability?: ActionAvailability;
  onPress: () => unknown;
  icon?: IconName;
  variant?: ButtonVariant;
  /** Name used for the action in data-action (tests and styling). */
  action?: string;
  /** Visible text when it should differ from the accessible name. */
  children?: ReactNode;
  pressed?: boolean;
  expanded?: boolean;
  controls?: string;
  className?: string;
}

const ENABLED: ActionAvailability = { enabled: true };

export function ActionButton({
  label,
  availability = ENABLED,
  onPress,
  icon,
  variant = 'default',
  action,
  children,
  pressed,
  expanded,
  controls,
  className,
}: ActionButtonProps) {
  const descriptionId = useId();
  const [busy, setBusy] = useState(false);
  const disabled = !availability.enabled;
  const reason = disabled ? (availability.reason ?? 'Not available now') : undefined;

  const press = (): void => {
    if (disabled || busy) return;
    const result = onPress();
    // Ignore repeated presses while the request is in flight: a second MakeCall or
    // Transfer would be a second real action on the phone.
    if (result instanceof Promise) {
      setBusy(true);
      void result.finally(() => setBusy(false));
    }
  };

  return (
    <>
      <button
        type="button"
        className={`btn btn-${variant}${className === undefined ? '' : ` ${className}`}`}
        aria-disabled={disabled ? 'true' : undefined}
        aria-describedby={reason === undefined ? undefined : descriptionId}
        aria-busy={busy ? 'true' : undefined}
        aria-pressed={pressed}
        aria-expanded={expanded}
        aria-controls={controls}
        aria-label={children === undefined ? undefined : label}
        data-action={action}
        title={reason}
        onClick={press}
      >
        {icon === undefined ? null : <Icon name={icon} />}
        {children ?? <span>{label}</span>}
      </button>
      {reason === undefined ? null : (
        <span id={descriptionId} hidden>
          {reason}
        </span>
      )}
    </>
  );
}
