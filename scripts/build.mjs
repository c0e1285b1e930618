#!/usr/bin/env node
// npm run build: bundles Electron main and preload with esbuild, and builds the renderer with
// Vite. Output:
//   dist/main/main.cjs      main process (CommonJS; electron external; engine bundled in)
//   dist/main/preload.cjs   preload (one file: a sandboxed preload can require only 'electron')
//   dist/renderer/          the UI (renderer/vite.config.ts)
//   dist/service/gateway.mjs  the headless gateway service (--service): runs with plain `node`
//                             and the production dependencies only (npm ci --omit=dev); the
//                             simulator sits in gateway-chunks/, loaded by demo mode only
// Flags: --main-only (skip the renderer), --service (only the service bundle), --quiet.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet') || process.env.DESKLINE_BUILD_QUIET === '1';
const log = (text) => {
  if (!quiet) console.log(text);
};

/** Electron 45 ships Node 22 and Chromium 142. */
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome140';

export async function buildMain({ outDir = join(root, 'dist', 'main') } = {}) {
  const { build } = await import('esbuild');
  const common = {
    bundle: true,
    format: 'cjs',
    external: ['electron'],
    sourcemap: true,
    logLevel: quiet ? 'error' : 'warning',
    outExtension: { '.js': '.cjs' },
    outdir: outDir,
    // Our sources use ESM-style ".js" specifiers for ".ts" files; esbuild resolves them.
    resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    legalComments: 'none',
  };
  await build({
    ...common,
    entryPoints: { main: join(root, 'main', 'src', 'main.ts') },
    platform: 'node',
    target: NODE_TARGET,
    // A CJS bundle has no import.meta; the engine only uses it for paths next to its sources.
    define: { 'import.meta.dirname': '__dirname' },
  });
  await build({
    ...common,
    entryPoints: { preload: join(root, 'main', 'src', 'preload.ts') },
    // The sandboxed preload runs in the renderer with a polyfilled `require('electron')` only.
    platform: 'browser',
    target: CHROME_TARGET,
    // It is parsed on every page load: keep it small (the source map keeps it readable).
    minify: true,
  });
  log(`built ${join('dist', 'main', 'main.cjs')} and ${join('dist', 'main', 'preload.cjs')}`);
}

export async function buildRenderer() {
  const configFile = join(root, 'renderer', 'vite.config.ts');
  if (!existsSync(configFile)) {
    throw new Error(
      'renderer/vite.config.ts not found: the renderer is not in this checkout yet, so the app has no UI to build (use --main-only to build main alone)',
    );
  }
  const { build } = await import('vite');
  await build({ configFile, logLevel: quiet ? 'error' : 'info' });
  log(`built ${join('dist', 'renderer')}`);
}

/** The headless service as ESM: dist/service/gateway.mjs, plus the simulator in a chunk of its
 *  own that only demo mode loads (host/src/demo.ts imports it dynamically). npm dependencies stay
 *  external (installed with `npm ci --omit=dev`), so the bundle is our code only and needs
 *  neither tsx nor dev tools. */
export async function buildService({ outFile = join(root, 'dist', 'service', 'gateway.mjs') } = {}) {
  const { build } = await import('esbuild');
  const entryName = basename(outFile).replace(/\.mjs$/, '');
  await build({
    entryPoints: { [entryName]: join(root, 'service', 'src', 'cli.ts') },
    outdir: dirname(outFile),
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: `${entryName}-chunks/[name]-[hash]`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: quiet ? 'error' : 'warning',
    resolveExtensions: ['.ts', '.js', '.mjs', '.json'],
    legalComments: 'none',
  });
  log(`built ${join('dist', 'service', 'gateway.mjs')}`);
}

async function main() {
  if (args.has('--service')) {
    await buildService();
    return;
  }
  await buildMain();
  if (!args.has('--main-only')) await buildRenderer();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
