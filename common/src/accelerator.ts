// Syntax check of a global-shortcut accelerator, in Electron's grammar
// (https://www.electronjs.org/docs/latest/api/accelerator): modifiers joined by "+", then one
// key code. Checked when settings are saved so a typo is refused with a reason instead of
// failing silently at registration. Registration can still fail (another app owns the
// shortcut); main reports that as a notice.

const MODIFIERS = new Set([
  'command',
  'cmd',
  'control',
  'ctrl',
  'commandorcontrol',
  'cmdorctrl',
  'alt',
  'option',
  'altgr',
  'shift',
  'super',
  'meta',
]);

const NAMED_KEYS = new Set([
  'plus',
  'space',
  'tab',
  'capslock',
  'numlock',
  'scrolllock',
  'backspace',
  'delete',
  'insert',
  'return',
  'enter',
  'up',
  'down',
  'left',
  'right',
  'home',
  'end',
  'pageup',
  'pagedown',
  'escape',
  'esc',
  'volumeup',
  'volumedown',
  'volumemute',
  'medianexttrack',
  'mediaprevioustrack',
  'mediastop',
  'mediaplaypause',
  'printscreen',
  'numdec',
  'numadd',
  'numsub',
  'nummult',
  'numdiv',
]);

const PUNCTUATION = new Set([...')!@#$%^&*(:;=<,_->.?/~`[{]}\\|\'"']);

function isKeyCode(token: string): boolean {
  const lower = token.toLowerCase();
  if (/^[a-z0-9]$/.test(lower)) return true;
  if (/^f([1-9]|1[0-9]|2[0-4])$/.test(lower)) return true;
  if (/^num[0-9]$/.test(lower)) return true;
  return NAMED_KEYS.has(lower) || PUNCTUATION.has(token);
}

/** Undefined when `value` is empty (no shortcut) or a valid accelerator; else why not. */
export function acceleratorProblem(value: string): string | undefined {
  if (value === '') return undefined;
  const tokens = value.split('+');
  const key = tokens.pop();
  if (key === undefined || key === '') return 'ends with "+": write the plus key as "Plus"';
  if (tokens.length === 0)
    return 'needs at least one modifier (e.g. CommandOrControl+Shift+D): a bare key would be taken from every app';
  const seen = new Set<string>();
  for (const modifier of tokens) {
    const lower = modifier.toLowerCase();
    if (!MODIFIERS.has(lower)) return `"${modifier}" is not a modifier`;
    if (seen.has(lower)) return `"${modifier}" appears twice`;
    seen.add(lower);
  }
  if (!isKeyCode(key)) return `"${key}" is not a key`;
  return undefined;
}
