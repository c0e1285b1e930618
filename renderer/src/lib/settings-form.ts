// The Settings screen's form model: text fields as typed, turned into a validated
// SettingsPatch of only what changed. Errors are keyed by field path ("ctiAddresses.2",
// "favourites.0.number") so each one is shown next to its field.
import { CtiAddress, SettingsPatch, type SettingsView } from '../../../common/src/api/views.js';
import { MAX_CTI_NODES } from '../../../common/src/limits.js';

export const MAX_CTI_ADDRESSES = MAX_CTI_NODES;
export const MAX_FAVOURITES = 50;

export type ThemeChoice = SettingsView['theme'];

export interface SettingsForm {
  ctiAddresses: string[];
  applicationUser: string;
  /** Write-only: empty means "keep the stored password". */
  password: string;
  heartbeatIntervalSec: string;
  userId: string;
  favourites: Array<{ name: string; number: string }>;
  sipListenerEnabled: boolean;
  startAtLogin: boolean;
  theme: ThemeChoice;
  globalShortcut: string;
}

export type FieldErrors = Record<string, string>;

export function formFromSettings(settings: SettingsView): SettingsForm {
  return {
    ctiAddresses: [...settings.ctiAddresses],
    applicationUser: settings.applicationUser,
    password: '',
    heartbeatIntervalSec: String(settings.heartbeatIntervalSec),
    userId: settings.userId,
    favourites: settings.favourites.map((f) => ({ ...f })),
    sipListenerEnabled: settings.sipListenerEnabled,
    startAtLogin: settings.startAtLogin,
    theme: settings.theme,
    globalShortcut: settings.globalShortcut,
  };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export type PatchResult =
  { ok: true; patch: SettingsPatch; changed: boolean } | { ok: false; errors: FieldErrors };

export function buildPatch(form: SettingsForm, current: SettingsView): PatchResult {
  const errors: FieldErrors = {};
  const addresses = form.ctiAddresses.map((a) => a.trim());
  // Each row is checked on its own: the schema's array checks stop at the first failure
  // (too many rows), and every row deserves its own message.
  addresses.forEach((a, i) => {
    if (a === '') errors[`ctiAddresses.${i}`] = 'Enter host:port, or remove this row';
    else if (!CtiAddress.safeParse(a).success)
      errors[`ctiAddresses.${i}`] = friendlyMessage(`ctiAddresses.${i}`, '');
  });
  if (addresses.length > MAX_CTI_ADDRESSES) errors.ctiAddresses = friendlyMessage('ctiAddresses', '');
  const heartbeatText = form.heartbeatIntervalSec.trim();
  const heartbeat = /^\d{1,3}$/.test(heartbeatText) ? Number(heartbeatText) : NaN;
  if (!(heartbeat >= 1 && heartbeat <= 300))
    errors.heartbeatIntervalSec = 'A whole number of seconds, 1 to 300';
  const favourites = form.favourites.map((f) => ({ name: f.name.trim(), number: f.number.trim() }));

  const full = {
    ctiAddresses: addresses,
    applicationUser: form.applicationUser.trim(),
    heartbeatIntervalSec: heartbeat,
    userId: form.userId.trim(),
    favourites,
    sipListenerEnabled: form.sipListenerEnabled,
    startAtLogin: form.startAtLogin,
    theme: form.theme,
    globalShortcut: form.globalShortcut.trim(),
  };
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(full)) {
    if (!sameJson(value, current[key as keyof SettingsView])) patch[key] = value;
  }
  if (form.password !== '') patch.password = form.password;

  const parsed = SettingsPatch.strict().safeParse(patch);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.');
      if (!(path in errors)) errors[path] = friendlyMessage(path, issue.message);
    }
  }
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, patch: parsed.data, changed: Object.keys(patch).length > 0 };
}

function friendlyMessage(path: string, message: string): string {
  if (path.startsWith('ctiAddresses.')) return 'Expected host:port, for example cucm1.example.com:2748';
  if (path === 'ctiAddresses') return `At most ${MAX_CTI_ADDRESSES} addresses`;
  if (/^favourites\.\d+\.name$/.test(path)) return 'A name of 1 to 80 characters';
  if (/^favourites\.\d+\.number$/.test(path)) return 'A number of 1 to 64 characters';
  return message;
}

/** The engine reports a refused field as "app.updateSettings: <path>: <message>"
 *  (parseRequest's format); returns it keyed by path so it lands next to the field. */
export function fieldErrorFromServer(message: string): FieldErrors | null {
  const match = /^app\.updateSettings: ([A-Za-z]+(?:\.[A-Za-z0-9]+)*): (.+)$/.exec(message);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { [match[1]]: match[2] };
}
