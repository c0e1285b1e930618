// The keyboard model (docs/ui.md §3): one table, so the help overlay and the handler
// cannot disagree. Alt+letter uses KeyboardEvent.code, not key, because on macOS Option
// turns letters into other characters.

export const SCREENS = ['calls', 'dial', 'lines', 'history', 'health', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];

export const SCREEN_LABEL: Readonly<Record<Screen, string>> = {
  calls: 'Calls',
  dial: 'Dial',
  lines: 'Lines',
  history: 'History',
  health: 'Health',
  settings: 'Settings',
};

export type Shortcut =
  | { kind: 'screen'; screen: Screen }
  | { kind: 'focusDial' }
  | { kind: 'answer' }
  | { kind: 'decline' }
  | { kind: 'holdToggle' }
  | { kind: 'hangup' }
  | { kind: 'help' };

export interface KeyLike {
  key: string;
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
}

export const SHORTCUT_HELP: ReadonlyArray<{ keys: string; does: string }> = [
  { keys: '/', does: 'Dial: focus the number box' },
  ...SCREENS.map((screen, i) => ({ keys: `Alt+${i + 1}`, does: `Go to ${SCREEN_LABEL[screen]}` })),
  { keys: 'Alt+A', does: 'Answer the ringing call' },
  { keys: 'Alt+D', does: 'Decline the ringing call' },
  { keys: 'Alt+H', does: 'Hold or resume the current call' },
  { keys: 'Alt+E', does: 'End the current call' },
  { keys: 'Enter', does: 'In the number box: call' },
  { keys: 'Escape', does: 'Clear the number box, close a panel or this help' },
  { keys: '?', does: 'Show this help' },
];

/** Maps a key press to a global shortcut. Plain keys ("/", "?") only count outside text
 *  fields, so typing a number or a name is never hijacked. */
export function shortcutFor(event: KeyLike, inTextField: boolean): Shortcut | null {
  if (event.ctrlKey || event.metaKey) return null;
  if (event.altKey && !event.shiftKey) {
    const digit = /^Digit([1-6])$/.exec(event.code);
    if (digit?.[1] !== undefined) {
      const screen = SCREENS[Number(digit[1]) - 1];
      return screen === undefined ? null : { kind: 'screen', screen };
    }
    switch (event.code) {
      case 'KeyA':
        return { kind: 'answer' };
      case 'KeyD':
        return { kind: 'decline' };
      case 'KeyH':
        return { kind: 'holdToggle' };
      case 'KeyE':
        return { kind: 'hangup' };
      default:
        return null;
    }
  }
  if (event.altKey || inTextField) return null;
  if (event.key === '/') return { kind: 'focusDial' };
  if (event.key === '?') return { kind: 'help' };
  return null;
}
