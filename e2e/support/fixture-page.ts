// The renderer driven by the in-memory fixture desk (renderer/test/fixture-desk.ts), shared by
// the renderer and accessibility suites. The renderer is built fresh (vite) into a temporary
// directory and served by the real shell server (gateway/src/shell); the fixture bridge is
// bundled (esbuild) and injected as window.deskline — the role of the Electron preload — and
// window.__deskFixture lets a test drive the desk (ring a call, take a CTI node down, refuse
// the next action...). No sleeps: every wait is on something visible.
import { expect, test as base, type Page } from '@playwright/test';
import { build as esbuild } from 'esbuild';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';
import type { MethodName } from '../../common/src/api/contract.js';
import { startShellServer, type ShellServer } from '../../host/src/shell/shell-server.js';
import {
  createFixtureDesk,
  type FixtureDesk,
  type FixtureScenario,
} from '../../renderer/test/fixture-desk.js';

declare global {
  interface Window {
    __deskFixture?: FixtureDesk;
    __deskFixtureScenario?: FixtureScenario;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
// Chromium says this about the meta CSP (frame-ancestors only works as a header, which the
// shell also sends); docs/ui.md §6 keeps it in the meta for Electron's file:// load.
const EXPECTED_CONSOLE = [/'frame-ancestors' is ignored when delivered via a <meta> element/];

export interface RendererBuild {
  /** The built renderer (what the shell serves). */
  outDir: string;
  /** The fixture bridge, bundled as an init script. */
  fixtureScript: string;
  /** Serves the build for the in-page fixture tests (their desk lives in the page). */
  server: ShellServer;
}

/** Builds the renderer and the fixture bridge, and serves the build. Call from beforeAll. */
export async function buildRenderer(): Promise<RendererBuild> {
  const outDir = await mkdtemp(join(tmpdir(), 'deskline-renderer-'));
  await viteBuild({
    configFile: join(ROOT, 'renderer/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const bundle = await esbuild({
    entryPoints: [join(ROOT, 'renderer/test/fixture-bridge.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'warning',
  });
  const fixtureScript = bundle.outputFiles[0]?.text ?? '';
  expect(fixtureScript.length).toBeGreaterThan(1000);
  await mkdir(SCREENSHOTS, { recursive: true });
  const idle = createFixtureDesk();
  const server = await startShellServer({ staticDir: outDir, handlers: idle.handlers, events: idle });
  return { outDir, fixtureScript, server };
}

export async function disposeRenderer(build: RendererBuild | undefined): Promise<void> {
  if (build === undefined) return;
  await build.server.dispose();
  await rm(build.outDir, { recursive: true, force: true });
}

export interface ConsoleErrors {
  /** A console error the test expects (e.g. refused WebSocket reconnects while a shell restarts). */
  allow(pattern: RegExp): void;
}

/** Any console error (a CSP violation among them) fails the test. */
export const test = base.extend<{ consoleErrors: ConsoleErrors }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    const allowed = [...EXPECTED_CONSOLE];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    await use({ allow: (pattern) => allowed.push(pattern) });
    expect(errors.filter((e) => !allowed.some((p) => p.test(e)))).toEqual([]);
  },
});

export { expect };

/** Opens the renderer with the fixture desk in the page, and waits for the first snapshot. */
export async function openFixture(
  page: Page,
  build: RendererBuild | undefined,
  scenario: FixtureScenario = 'demo',
): Promise<void> {
  if (build === undefined) throw new Error('renderer not built');
  await page.addInitScript((s) => {
    window.__deskFixtureScenario = s;
  }, scenario);
  await page.addInitScript({ content: build.fixtureScript });
  await page.goto(`${build.server.origin}/`);
  await expect(page.locator('.app')).toHaveAttribute('data-ready', 'true');
}

export const invocations = (page: Page): Promise<Array<{ method: MethodName; request: unknown }>> =>
  page.evaluate(() =>
    (window.__deskFixture?.invocations ?? []).map((i) => ({ method: i.method, request: i.request })),
  );

export const callsOf = async (page: Page, method: MethodName): Promise<unknown[]> =>
  (await invocations(page)).filter((i) => i.method === method).map((i) => i.request);

export const ringIn = (page: Page, number: string, display?: string): Promise<string | undefined> =>
  page.evaluate(({ n, d }) => window.__deskFixture?.ringIn(n, d).callId, { n: number, d: display });

/** Places an outbound call through the fixture's own handler and lets the far end answer. */
export async function connectedCall(page: Page, number: string): Promise<string> {
  return page.evaluate(async (n) => {
    const desk = window.__deskFixture;
    if (desk === undefined) throw new Error('no fixture');
    const call = await desk.handlers['desk.makeCall']({ number: n });
    desk.farEndAnswers(call.callId);
    return call.callId;
  }, number);
}

export async function setTheme(page: Page, theme: 'light' | 'dark' | 'system'): Promise<void> {
  await page.evaluate(async (t) => {
    await window.__deskFixture?.handlers['app.updateSettings']({ theme: t });
  }, theme);
  if (theme !== 'system') await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}
