// Runs the bundled main process (dist/main/main.cjs as scripts/build.mjs makes it) in this Node
// process against the fake 'electron' (fake-electron.ts): the test plays the OS and the page.
// One bundle per test file (each file runs in its own worker: main keeps module state).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { buildMain } from '../../../scripts/build.mjs';
import type { AppEventLog } from '../../src/app-events.js';
import { createFakeElectron } from './fake-electron.js';

export interface RunningMain {
  fake: ReturnType<typeof createFakeElectron>;
  events: AppEventLog;
}

/** Builds main into `outDir` and runs it; `resourcesPath` stands in for Electron's (packaged). */
export async function runMain(options: {
  root: string;
  outDir: string;
  isPackaged: boolean;
  resourcesPath: string;
}): Promise<RunningMain> {
  process.env['DESKLINE_BUILD_QUIET'] = '1';
  await buildMain({ outDir: options.outDir });
  process.env['DESKLINE_E2E'] = '1';
  const fake = createFakeElectron({ appPath: options.root, isPackaged: options.isPackaged });
  // Electron defines it read-only on its process; plain Node has none, so it is defined here.
  Object.defineProperty(process, 'resourcesPath', { value: options.resourcesPath, configurable: true });
  const bundlePath = join(options.outDir, 'main.cjs');
  const source = await readFile(bundlePath, 'utf8');
  const realRequire = createRequire(bundlePath);
  const wrapped = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundlePath },
  ) as (
    exports: unknown,
    require: (name: string) => unknown,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const module = { exports: {} };
  wrapped(
    module.exports,
    (name) => (name === 'electron' ? fake.electron : realRequire(name)),
    module,
    bundlePath,
    options.outDir,
  );
  const events = (globalThis as { desklineAppEvents?: AppEventLog }).desklineAppEvents;
  if (events === undefined) throw new Error('main did not expose its app events (DESKLINE_E2E)');
  return { fake, events };
}

/** After the test: forget what runMain put on the process. */
export function forgetMain(): void {
  delete (globalThis as { desklineAppEvents?: AppEventLog }).desklineAppEvents;
  delete (globalThis as { desklineE2E?: unknown }).desklineE2E;
  Reflect.deleteProperty(process, 'resourcesPath');
}
