// Where the Electron binary is, and getting it on first run (docs/desktop.md "First run").
//
// locateElectron() finds the binary exactly the way node_modules/electron/index.js does, but
// WITHOUT its silent fallback (`require('electron')` spawns install.js with inherited output
// and throws a two-line message when that fails). ensureElectron() is what `npm start` runs:
// when the binary is missing it runs Electron's OWN installer — node_modules/electron/install.js,
// i.e. @electron/get with the package's checksums, mirror and cache settings — as a child
// process whose output it keeps, then locates the binary again. Every failure becomes one
// sentence (`reason`), which start.mjs prints on one line with the browser-shell hint.
//
// electron/index.js (v45): path.txt (written by install.js after extracting) names the
// executable inside dist/ ('electron', 'electron.exe' or 'Electron.app/Contents/MacOS/Electron');
// ELECTRON_OVERRIDE_DIST_PATH replaces dist/ (and, when path.txt is absent, the executable is
// 'electron').
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Electron 45's installer (@electron/get 5, @electron-internal/extract-zip) and electron-builder's
 *  native tooling (@electron/rebuild 4, node-abi 4) declare Node >= 22.12 (docs/desktop.md,
 *  "Node versions"). The engine, the service and the tests need only 20.19. */
export const DESKTOP_NODE_MIN = '22.12.0';

/** A download of ~100 MB on a slow line; past this the installer is stopped and the reason says so. */
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

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
 * @returns {{ ok: true, path: string } | { ok: false, reason: string, missing: 'package' | 'binary' }}
 */
export function locateElectron(options = {}) {
  const electronDir = 'electronDir' in options ? options.electronDir : electronPackageDir();
  const env = options.env ?? process.env;
  if (electronDir === undefined)
    return { ok: false, missing: 'package', reason: 'the electron package is not installed (run npm ci)' };
  const pathFile = join(electronDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  let candidate;
  if (override !== undefined && override !== '') candidate = join(override, executable || 'electron');
  else if (executable === undefined || executable === '')
    return {
      ok: false,
      missing: 'binary',
      reason: 'the Electron binary was never downloaded (node_modules/electron/path.txt is missing)',
    };
  else candidate = join(electronDir, 'dist', executable);
  let isFile;
  try {
    isFile = statSync(candidate).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile)
    return { ok: false, missing: 'binary', reason: `the Electron binary is missing (${candidate})` };
  return { ok: true, path: candidate };
}

/** True when `version` (e.g. process.versions.node) is at least `minimum`; both `major.minor.patch`. */
export function nodeAtLeast(version, minimum) {
  const parse = (text) =>
    text
      .replace(/^v/, '')
      .split('.')
      .map((part) => Number.parseInt(part, 10) || 0);
  const [a, b] = [parse(version), parse(minimum)];
  for (let i = 0; i < 3; i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

/**
 * The sentence that explains an installer failure, from what install.js wrote. It prints
 * `err.stack`: the first line is the error itself ("TypeError: fetch failed", "HTTPError: …
 * 404"). A network failure's cause is named in words.
 * @param {string} output
 * @param {number | null} code
 */
export function installerFailureReason(output, code) {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('at '));
  const first = lines.find((line) => /error/i.test(line)) ?? lines[0] ?? `exit code ${String(code)}`;
  const network =
    /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up/i.test(
      output,
    );
  const detail = first.replace(/\s+/g, ' ').slice(0, 160);
  return network
    ? `the Electron binary could not be downloaded (no network? ${detail})`
    : `Electron's installer failed (${detail})`;
}

/**
 * Electron's own installer as a port: runs node_modules/electron/install.js with this Node and
 * keeps its output (the one-line rule: start.mjs decides what is printed).
 * @param {{ electronDir: string, env: Record<string, string | undefined>, timeoutMs?: number }} options
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export function runElectronInstaller({ electronDir, env, timeoutMs = INSTALL_TIMEOUT_MS }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(electronDir, 'install.js')], {
      cwd: electronDir,
      env: { ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let output = '';
    const keep = (chunk) => {
      // The stack and a progress bar at most: bounded anyway.
      if (output.length < 64 * 1024) output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `Electron's installer could not be run (${error.message})` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut)
        resolve({
          ok: false,
          reason: `the Electron binary could not be downloaded within ${Math.round(timeoutMs / 60_000)} minutes`,
        });
      else if (code === 0) resolve({ ok: true });
      else resolve({ ok: false, reason: installerFailureReason(output, code) });
    });
  });
}

/**
 * The binary, downloaded first with Electron's installer when it is missing.
 * @param {{
 *   electronDir?: string | undefined,
 *   env?: Record<string, string | undefined>,
 *   nodeVersion?: string,
 *   install?: (options: { electronDir: string, env: Record<string, string | undefined> }) => Promise<{ ok: true } | { ok: false, reason: string }>,
 *   onInstalling?: () => void,
 * }} [options]
 * @returns {Promise<{ ok: true, path: string, installed: boolean } | { ok: false, reason: string, installerRan: boolean }>}
 */
export async function ensureElectron(options = {}) {
  const electronDir = 'electronDir' in options ? options.electronDir : electronPackageDir();
  const env = options.env ?? process.env;
  const nodeVersion = options.nodeVersion ?? process.versions.node;
  const install = options.install ?? runElectronInstaller;
  const found = locateElectron({ electronDir, env });
  if (found.ok) return { ...found, installed: false };
  // Nothing to install into, or a binary someone else placed (ELECTRON_OVERRIDE_DIST_PATH):
  // Electron's installer would not help.
  if (found.missing === 'package' || electronDir === undefined)
    return { ok: false, reason: found.reason, installerRan: false };
  if (env.ELECTRON_OVERRIDE_DIST_PATH !== undefined && env.ELECTRON_OVERRIDE_DIST_PATH !== '')
    return { ok: false, reason: `${found.reason}, set by ELECTRON_OVERRIDE_DIST_PATH`, installerRan: false };
  if (!nodeAtLeast(nodeVersion, DESKTOP_NODE_MIN))
    return {
      ok: false,
      reason: `${found.reason}, and Electron's installer needs Node ${DESKTOP_NODE_MIN} or newer (this is Node ${nodeVersion})`,
      installerRan: false,
    };
  options.onInstalling?.();
  const installed = await install({ electronDir, env });
  if (!installed.ok) return { ok: false, reason: installed.reason, installerRan: true };
  const again = locateElectron({ electronDir, env });
  if (!again.ok)
    return { ok: false, reason: `Electron's installer finished but ${again.reason}`, installerRan: true };
  return { ...again, installed: true };
}

/** The one line `npm start` prints when the desktop app cannot start. */
export function cannotStartLine(reason) {
  return `deskline: cannot start the desktop app: ${reason}; open the browser shell instead with: npm run shell`;
}
