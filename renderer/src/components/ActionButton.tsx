// A call-control button. A disabled action stays focusable (aria-disabled, not the disabled
// attribute) so a keyboard or screen-reader user can reach it and hear why it is not
// available: the engine's reason is the button's accessible description and its tooltip, and
// inside an ActionGroup it is also written next to the buttons — when the button has focus
// (shown) and when it is pressed (shown and announced) — so "why not" never depends on a
// mouse hover (docs/ui.md §2).
import { createContext, useContext, useId, useState, type MouseEvent, type ReactNode } from 'react';
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
  pressed?: boolean;
  expanded?: boolean;
  controls?: string;
  className?: string;
  /** A tooltip for an enabled button (a disabled one shows its reason). */
  title?: string;
  /** Said after the visible label, not shown ("Call back" + " Bob Baker"): the accessible
   *  name starts with the visible label (WCAG 2.5.3) and still says which one. */
  hiddenSuffix?: string;
  /** A form's submit button: pressing it submits the form (onPress is not called). */
  submit?: boolean;
}

const ENABLED: ActionAvailability = { enabled: true };

/** Why a disabled action is disabled, as the group shows it: on focus (quiet) or on press (announced). */
interface Why {
  text: string;
  announce: boolean;
}
type Explain = (why: Why | null) => void;
const ExplainContext = createContext<Explain | null>(null);

export interface ActionGroupProps {
  /** The group's accessible name ("Actions for call with Bob"). */
  label: string;
  className?: string;
  children: ReactNode;
  /** When this changes (a call's state), an old explanation is cleared. */
  resetKey?: string;
  /** An explanation the owner of the group gives (Enter in the dial box on a disabled Call):
   *  shown and announced while set. */
  announce?: string | null;
}

/** A labelled group of actions with one line under it saying why a disabled one is disabled. */
export function ActionGroup({ label, className, children, resetKey, announce }: ActionGroupProps) {
  // Two explanations, kept apart so that neither moves the page under the pointer:
  //  - pressed (announced): in the flow under the group, until another one or resetKey changes;
  //  - focused (shown only): a bubble under the group, gone on blur — were it in the flow, a
  //    click elsewhere would blur the button, shift what is below, and miss its target.
  const [pressed, setPressed] = useState<{ text: string; key: string | undefined } | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  const said =
    announce !== undefined && announce !== null
      ? announce
      : pressed !== null && pressed.key === resetKey
        ? pressed.text
        : '';
  const explain: Explain = (next) => {
    if (next === null) setFocused(null);
    else if (next.announce) {
      setPressed({ text: next.text, key: resetKey });
      setFocused(null);
    } else setFocused(next.text);
  };
  return (
    <>
      <div className={`${className ?? 'actions'} action-group`} role="group" aria-label={label}>
        <ExplainContext.Provider value={explain}>{children}</ExplainContext.Provider>
        {focused !== null && focused !== said ? (
          <p className="why why-tip" aria-hidden="true">
            {focused}
          </p>
        ) : null}
      </div>
      {/* Always present, so the announcement of a pressed disabled action is heard
          (a live region must exist before its text changes). */}
      <p className="why" role="status">
        {said}
      </p>
    </>
  );
}

export function ActionButton({
  label,
  availability = ENABLED,
  onPress,
  icon,
  variant = 'default',
  action,
  pressed,
  expanded,
  controls,
  className,
  title,
  hiddenSuffix,
  submit = false,
}: ActionButtonProps) {
  const descriptionId = useId();
  const explain = useContext(ExplainContext);
  const [busy, setBusy] = useState(false);
  const disabled = !availability.enabled;
  const reason = disabled ? (availability.reason ?? 'Not available now') : undefined;
  const name = hiddenSuffix === undefined ? label : `${label} ${hiddenSuffix}`;

  const press = (event: MouseEvent<HTMLButtonElement>): void => {
    if (reason !== undefined) {
      event.preventDefault();
      explain?.({ text: `${name}: ${reason}`, announce: true });
      return;
    }
    if (submit) return;
    if (busy) return;
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
        type={submit ? 'submit' : 'button'}
        className={`btn btn-${variant}${className === undefined ? '' : ` ${className}`}`}
        aria-disabled={disabled ? 'true' : undefined}
        aria-describedby={reason === undefined ? undefined : descriptionId}
        aria-busy={busy ? 'true' : undefined}
        aria-pressed={pressed}
        aria-expanded={expanded}
        aria-controls={controls}
        data-action={action}
        title={reason ?? title}
        onClick={press}
        onFocus={() => {
          if (reason !== undefined) explain?.({ text: `${name}: ${reason}`, announce: false });
        }}
        onBlur={() => {
          if (reason !== undefined) explain?.(null);
        }}
      >
        {icon === undefined ? null : <Icon name={icon} />}
        <span>
          {label}
          {hiddenSuffix === undefined ? null : <span className="name-only"> {hiddenSuffix}</span>}
        </span>
      </button>
      {reason === undefined ? null : (
        <span id={descriptionId} hidden>
          {reason}
        </span>
      )}
    </>
  );
}
