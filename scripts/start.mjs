#!/usr/bin/env node
// npm start: build, then run the desktop app on the demo cluster (the embedded CTI Manager
// simulator). Where the Electron binary is missing (it cannot be downloaded on every
// machine), says so in ONE line, points at the browser shell, and exits non-zero — before
// building, and without ever triggering Electron's download (scripts/electron-binary.mjs).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateElectron } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const electron = locateElectron();
if (!electron.ok) {
  console.error(
    `deskline: cannot start the desktop app: ${electron.reason}; open the browser shell instead with: npm run shell`,
  );
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
