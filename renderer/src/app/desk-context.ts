// One context for the screens: the data layer plus navigation.
import { createContext, useContext } from 'react';
import type { DeskStateView } from '../../../common/src/api/views.js';
import type { Screen } from '../lib/keyboard.js';
import type { DeskData } from './use-desk.js';

export type FocusTarget = 'heading' | 'dial';

export interface Navigation {
  screen: Screen;
  /** Opens a screen; `focus` moves focus to its heading or to the dial box once it shows. */
  go: (screen: Screen, options?: { number?: string; focus?: FocusTarget }) => void;
  /** Set by app.navigate / "call back" to prefill the dial box; consumed by the Dial screen. */
  dialPrefill: { number: string; seq: number } | null;
  focusRequest: { target: FocusTarget; seq: number } | null;
  /** True exactly once per focus request: the element that takes focus claims it. */
  claimFocus: (seq: number) => boolean;
}

export interface DeskContextValue extends DeskData {
  state: DeskStateView;
  nav: Navigation;
}

export const DeskContext = createContext<DeskContextValue | null>(null);

export function useDeskContext(): DeskContextValue {
  const value = useContext(DeskContext);
  if (value === null) throw new Error('assertion failed: screens render inside DeskContext');
  return value;
}
