#!/usr/bin/env node
// npm start: get the Electron binary if it is missing (Electron's own installer,
// scripts/electron-binary.mjs), build, then run the desktop app on the demo cluster (the
// embedded CTI Manager simulator). When the binary cannot be had — no network, or a Node older
// than Electron's installer supports — it says so in ONE line that points at the browser
// shell, and exits 1 before building (docs/desktop.md "First run").
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cannotStartLine, ensureElectron } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// On a terminal the "downloading" note is rewritten in place by the outcome, so a failure
// still leaves exactly one line; elsewhere (CI, a pipe) nothing is printed before it.
const tty = process.stderr.isTTY === true;
let noteShown = false;
const electron = await ensureElectron({
  onInstalling: () => {
    if (!tty) return;
    process.stderr.write("deskline: downloading Electron with Electron's installer (first run)…");
    noteShown = true;
  },
});
if (noteShown) process.stderr.write('\r\x1b[2K');
if (!electron.ok) {
  console.error(cannotStartLine(electron.reason));
  process.exit(1);
}

const { buildMain, buildRenderer } = await import('./build.mjs');
try {
  await buildMain();
  await buildRenderer();
} catch (error) {
  console.error(`deskline: build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// --demo: the embedded simulator whatever CTI addresses the user's settings hold.
const child = spawn(electron.path, [root, '--demo', ...process.argv.slice(2)], {
  stdio: 'inherit',
  windowsHide: false,
});
let closed = false;
child.on('error', (error) => {
  console.error(`deskline: Electron could not be started: ${error.message}`);
  process.exit(1);
});
child.on('close', (code) => {
  closed = true;
  process.exit(code ?? 1);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!closed) child.kill(signal);
  });
}
