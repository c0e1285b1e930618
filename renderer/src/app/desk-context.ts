// One context for the screens: the data layer plus navigation and focus.
import { createContext, useContext } from 'react';
import type { DeskStateView } from '../../../common/src/api/views.js';
import type { Screen } from '../lib/keyboard.js';
import type { DeskData } from './use-desk.js';

/**
 * Where focus goes after an action (docs/ui.md §3): the screen's heading, the dial box, or
 * the card of a call — the first of `calls` that is shown (a consultation card answers for
 * both of its calls). Never the page body.
 */
export type FocusTarget = 'heading' | 'dial' | { calls: readonly string[] };

export interface Navigation {
  screen: Screen;
  /** Opens a screen; `focus` moves focus to its heading, the dial box or a call card once it shows. */
  go: (screen: Screen, options?: { number?: string; focus?: FocusTarget }) => void;
  /** Moves focus without changing screen. */
  focus: (target: FocusTarget) => void;
  /** For an action that ends calls (hang up, transfer): call before the action, run the
   *  result after it succeeded — focus goes to the card that was next to them, else the
   *  heading. (Planned first: the new snapshot may arrive before the action's answer.) */
  focusAfterEnd: (callIds: readonly string[]) => () => void;
  /** Set by app.navigate to prefill the dial box; consumed by the Dial screen. */
  dialPrefill: { number: string; seq: number } | null;
  focusRequest: { target: FocusTarget; seq: number } | null;
  /** True exactly once per focus request: the element that takes focus claims it. */
  claimFocus: (seq: number) => boolean;
}

export interface DeskContextValue extends DeskData {
  state: DeskStateView;
  nav: Navigation;
  /** Why calls cannot be controlled now (the link to the phone system is down), else undefined. */
  controlBlocked: string | undefined;
  /** Missed calls not seen yet on the History screen. */
  unseenMissed: number;
}

export const DeskContext = createContext<DeskContextValue | null>(null);

export function useDeskContext(): DeskContextValue {
  const value = useContext(DeskContext);
  if (value === null) throw new Error('assertion failed: screens render inside DeskContext');
  return value;
}

/** True when `request` asks for focus on one of `callIds`. */
export const wantsCall = (request: Navigation['focusRequest'], callIds: readonly string[]): boolean =>
  request !== null &&
  typeof request.target === 'object' &&
  request.target.calls.some((id) => callIds.includes(id));
