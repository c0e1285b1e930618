// Where the Electron binary is — found exactly the way node_modules/electron/index.js finds it,
// but WITHOUT its fallback: when the binary is missing, `require('electron')` spawns install.js,
// which downloads it (and hangs where there is no network). `npm start` and the Playwright
// Electron tests call this instead, so a missing binary is reported at once, never downloaded.
//
// electron/index.js (v45): path.txt (written by install.js after extracting) names the
// executable inside dist/ ('electron', 'electron.exe' or 'Electron.app/Contents/MacOS/Electron');
// ELECTRON_OVERRIDE_DIST_PATH replaces dist/ (and, when path.txt is absent, the executable is
// 'electron').
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The installed electron package's directory, or undefined when it is not installed. */
export function electronPackageDir() {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

/**
 * @param {{ electronDir?: string | undefined, env?: Record<string, string | undefined> }} [options]
 * @returns {{ ok: true, path: string } | { ok: false, reason: string }}
 */
export function locateElectron(options = {}) {
  const electronDir = 'electronDir' in options ? options.electronDir : electronPackageDir();
  const env = options.env ?? process.env;
  if (electronDir === undefined)
    return { ok: false, reason: 'the electron package is not installed (npm install)' };
  const pathFile = join(electronDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  let candidate;
  if (override !== undefined && override !== '') candidate = join(override, executable || 'electron');
  else if (executable === undefined || executable === '')
    return {
      ok: false,
      reason: 'the Electron binary was never downloaded (node_modules/electron/path.txt is missing)',
    };
  else candidate = join(electronDir, 'dist', executable);
  let isFile;
  try {
    isFile = statSync(candidate).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) return { ok: false, reason: `the Electron binary is missing (${candidate})` };
  return { ok: true, path: candidate };
}
