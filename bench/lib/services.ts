// The system under test as real processes: the CTI Manager simulator (bench/processes/simulator.ts)
// and the gateway service (service/src/cli.ts --config <generated YAML>), both on 127.0.0.1
// with port 0 everywhere; addresses are read from what each prints at start.
//
// The gateway runs as production does: the esbuild bundle `npm run build:service` makes
// (dist/service/gateway.mjs, plain `node`, no tsx loader), built once per bench run. The
// simulator runs as `node --import tsx <file>`: one process, so the pid we read /proc for is
// the process itself. BENCH_GATEWAY_FROM_SOURCES=1 runs the gateway from its sources instead.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startChild, type Child } from './children.js';
import { REPO_ROOT, type BenchContext } from './context.js';

export const BENCH_DOMAIN = 'bench.example';
export const CTI_APPLICATION_USER = 'bench';

export interface SimulatorProcess {
  child: Child;
  nodes: string[];
  adminUrl: string | null;
  password: string;
  passwordFile: string;
}

/** Extra V8/Node flags for the gateway (e.g. `--cpu-prof --cpu-prof-dir=DIR` when profiling). */
export function gatewayNodeFlags(): string[] {
  const extra = process.env['BENCH_GATEWAY_NODE_FLAGS'];
  return extra === undefined || extra.trim() === '' ? [] : extra.trim().split(/\s+/);
}

export async function startSimulatorProcess(
  ctx: BenchContext,
  options: { users: number; nodes?: number; admin?: boolean; autoAnswerMs?: number },
): Promise<SimulatorProcess> {
  const password = randomBytes(12).toString('base64url');
  const passwordFile = join(ctx.workDir, 'cti-password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const args = [
    '--import',
    'tsx',
    join(REPO_ROOT, 'bench/processes/simulator.ts'),
    '--users',
    String(options.users),
    '--nodes',
    String(options.nodes ?? 1),
  ];
  if (options.admin === true) args.push('--admin');
  if (options.autoAnswerMs !== undefined) args.push('--auto-answer-ms', String(options.autoAnswerMs));
  const child = startChild('simulator', process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_CTI_PASSWORD: password },
  });
  const match = await child.waitFor(/^SIMULATOR (\{.*\})$/m, 120_000);
  const info = JSON.parse(match[1] as string) as { nodes: string[]; adminUrl: string | null };
  return { child, nodes: info.nodes, adminUrl: info.adminUrl, password, passwordFile };
}

export interface GatewayProcess {
  child: Child;
  sip: { host: string; port: number };
  httpUrl: string;
  configFile: string;
  /** The V8 inspector's WebSocket URL when started with --inspect (bench/lib/inspector.ts). */
  inspectorUrl: string | null;
  health(): Promise<GatewayHealthView>;
  metricsText(): Promise<string>;
}

/** The fields of /health that benchmarks read. */
export interface GatewayHealthView {
  status: string;
  sessions: number;
  directory: { users: number; loadedAt: number | null };
  cti: { overall: string; nodes: { address: string; state: string; connectionId?: string | null }[] };
  sip: { dialogs: number; readPauses: number };
}

let bundle: Promise<string> | undefined;
/** Builds the production bundle once per run (inside the checkout, so its npm imports resolve). */
function gatewayBundle(): Promise<string> {
  bundle ??= (async () => {
    const outFile = join(REPO_ROOT, 'dist', 'bench-service', 'gateway.mjs');
    process.env['DESKLINE_BUILD_QUIET'] = '1';
    const { buildService } = await import('../../scripts/build.mjs');
    await buildService({ outFile });
    return outFile;
  })();
  return bundle;
}

export interface GatewayConfigOverrides {
  /** node.id, and the name of its config file (default bench-gw). */
  id?: string;
  cti?: Record<string, unknown>;
  sip?: Record<string, unknown>;
  log?: { level: string };
  /** Extra Node flags for this gateway (after BENCH_GATEWAY_NODE_FLAGS). */
  nodeFlags?: string[];
  /** Another build of the gateway to run instead of this checkout's (bench/tools/ab.ts). */
  bundle?: string;
}

export async function startGatewayProcess(
  ctx: BenchContext,
  sim: SimulatorProcess,
  overrides: GatewayConfigOverrides = {},
): Promise<GatewayProcess> {
  const config = {
    node: { id: overrides.id ?? 'bench-gw' },
    sip: { domain: BENCH_DOMAIN, tcp: [{ host: '127.0.0.1', port: 0 }], ...overrides.sip },
    cti: {
      addresses: sim.nodes,
      applicationUser: CTI_APPLICATION_USER,
      passwordFile: sim.passwordFile,
      ...overrides.cti,
    },
    http: { host: '127.0.0.1', port: 0 },
    // warn: the gateway logs every session open and close at info; a benchmark measures the
    // engine, not pino writing 4,000 lines/s to a pipe nobody reads (docs/benchmarks.md).
    log: overrides.log ?? { level: 'warn' },
  };
  const configFile = join(ctx.workDir, `${overrides.id ?? 'gateway'}.yaml`);
  await writeFile(configFile, stringify(config));
  const entry =
    overrides.bundle !== undefined
      ? [overrides.bundle]
      : process.env['BENCH_GATEWAY_FROM_SOURCES'] === '1'
        ? ['--import', 'tsx', join(REPO_ROOT, 'service/src/cli.ts')]
        : [await gatewayBundle()];
  const child = startChild(
    overrides.id ?? 'gateway',
    process.execPath,
    [...gatewayNodeFlags(), ...(overrides.nodeFlags ?? []), ...entry, '--config', configFile],
    {
      // `--import tsx` resolves from the working directory: the repository root.
      cwd: REPO_ROOT,
      captureStdout: true,
    },
  );
  const sipMatch = await child.waitFor(/SIP TCP ([\d.]+):(\d+)/, 180_000);
  const httpMatch = await child.waitFor(/health (http:\/\/[\d.]+:\d+)\/health/, 10_000);
  const httpUrl = httpMatch[1] as string;
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(child.stderr())?.[1] ?? null;
  const get = async (path: string): Promise<Response> => {
    const response = await fetch(`${httpUrl}${path}`, { signal: AbortSignal.timeout(30_000) });
    return response;
  };
  return {
    child,
    sip: { host: sipMatch[1] as string, port: Number(sipMatch[2]) },
    httpUrl,
    configFile,
    inspectorUrl: inspector,
    async health() {
      return (await (await get('/health')).json()) as GatewayHealthView;
    },
    async metricsText() {
      return (await get('/metrics')).text();
    },
  };
}

/** Polls until `predicate` holds (or throws after `timeoutMs`). */
export async function until(
  predicate: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let floorBundle: Promise<{ floor: string; echo: string }> | undefined;
/** Bundles the floor and its echo backend once per run: plain JavaScript under plain `node`, as
 *  the gateway runs (no loader; in particular none of tsx's keepNames wrappers, docs/benchmarks.md). */
function floorFiles(): Promise<{ floor: string; echo: string }> {
  floorBundle ??= (async () => {
    const { build } = await import('esbuild');
    const dir = join(REPO_ROOT, 'dist', 'bench-floor');
    const entries = { floor: 'floor-server', echo: 'echo-backend' } as const;
    for (const name of Object.values(entries)) {
      await build({
        entryPoints: [join(REPO_ROOT, 'bench', 'floor', `${name}.ts`)],
        outfile: join(dir, `${name}.mjs`),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
      });
    }
    return { floor: join(dir, `${entries.floor}.mjs`), echo: join(dir, `${entries.echo}.mjs`) };
  })();
  return floorBundle;
}

export interface FloorProcess {
  /** The floor server (its CPU is the floor's figure). */
  child: Child;
  /** Its backend, standing for the CTI Manager. */
  echo: Child;
  sip: { host: string; port: number };
}

/** Starts the Node relay floor and its echo backend (bench/floor/), both on 127.0.0.1, port 0.
 *  `errorEvery` (tests of the harness only): every Nth INFO answered with a CSTAErrorCode. */
export async function startFloorProcess(options: { errorEvery?: number } = {}): Promise<FloorProcess> {
  const files = await floorFiles();
  const echo = startChild('floor-echo', process.execPath, [files.echo], { cwd: REPO_ROOT });
  const echoInfo = JSON.parse((await echo.waitFor(/^ECHO (\{.*\})$/m, 20_000))[1] as string) as {
    address: string;
  };
  const args = [files.floor, '--backend', echoInfo.address];
  if (options.errorEvery !== undefined) args.push('--error-every', String(options.errorEvery));
  const child = startChild('floor', process.execPath, args, {
    cwd: REPO_ROOT,
  });
  const info = JSON.parse((await child.waitFor(/^FLOOR (\{.*\})$/m, 20_000))[1] as string) as { sip: string };
  const [host, port] = info.sip.split(':');
  return { child, echo, sip: { host: host ?? '127.0.0.1', port: Number(port) } };
}
