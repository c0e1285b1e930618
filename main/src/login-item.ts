// "Start at login" per platform. macOS and Windows: Electron's app.setLoginItemSettings.
// Linux has no such API in Electron; the XDG Autostart specification says a .desktop file
// in $XDG_CONFIG_HOME/autostart (default ~/.config/autostart) starts an app at login.
// https://specifications.freedesktop.org/autostart-spec/latest/
import { join } from 'node:path';
import { HIDDEN_ARG } from './args.js';

export const AUTOSTART_FILE = 'dev.deskline.app.desktop';

export function autostartPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const configHome =
    env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== ''
      ? env['XDG_CONFIG_HOME']
      : join(home, '.config');
  return join(configHome, 'autostart', AUTOSTART_FILE);
}

/** Desktop Entry Specification, "The Exec key": arguments with reserved characters are
 *  quoted, inside quotes `"`, `` ` ``, `$` and `\` take a backslash, and a literal `%` is `%%`
 *  (field codes start with %). */
export function quoteExecArgument(arg: string): string {
  if (/^[A-Za-z0-9_\-./=:@+,]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
}

/** The autostart entry starting `executable` hidden in the tray. An AppImage is started
 *  through its own path ($APPIMAGE), not the temporary mount point of the running copy. */
export function autostartDesktopEntry(executable: string, extraArgs: readonly string[] = []): string {
  const exec = [executable, ...extraArgs, HIDDEN_ARG].map(quoteExecArgument).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Deskline',
    'Comment=Control your desk phone from the tray',
    `Exec=${exec}`,
    'Icon=deskline',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}
