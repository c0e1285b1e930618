// The real Deskline service for end-to-end tests: the headless gateway CLI
// (service/src/cli.ts) started as a child process exactly as a person starts it —
// a generated YAML config, `--shell --user <id> --data-dir <dir>` — with the CTI Manager
// simulator in-process (demo cluster) and its admin API on a free loopback port.
//
// Nothing here sleeps: start-up waits for the line the CLI prints with the browser-shell URL
// (bounded, and it fails at once with the service's output if the process exits first);
// stop sends SIGTERM (the CLI drains and exits 0) and waits for the exit.
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ServiceHealth as GatewayHealth } from '../../host/src/demo.js';
import type { CallSnapshot, NodeView } from '../../simulator/src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../service/src/cli.ts', import.meta.url));

/** Bounds, not sleeps: how long start-up and a graceful stop may take on a busy 2-core box. */
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
/** How much of the service's output is kept for failure messages. */
const OUTPUT_LINES = 200;

/** Services still running: killed if the test runner exits without stopping them (a crash, a
 *  hard timeout), so no gateway outlives the run. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

export type NodeOperation = 'stop' | 'start' | 'freeze' | 'thaw';

/** The simulator's admin HTTP API (docs/simulator.md §5), loopback only. */
export interface SimulatorAdmin {
  readonly url: string;
  calls(): Promise<CallSnapshot[]>;
  /** POST /calls: an inbound call from an external number; the simulator offers it at once. */
  placeInboundCall(from: string, to: string): Promise<CallSnapshot>;
  clearCall(callId: string): Promise<void>;
  nodes(): Promise<NodeView[]>;
  node(index: number, operation: NodeOperation): Promise<NodeView>;
}

export interface RealService {
  readonly user: string;
  readonly dataDir: string;
  /** The browser-shell URL with its token, as printed by the CLI. */
  readonly shellUrl: string;
  readonly shellOrigin: string;
  /** `http://127.0.0.1:<port>` of /health, /metrics, /troubleshoot. */
  readonly httpUrl: string;
  readonly admin: SimulatorAdmin;
  health(): Promise<GatewayHealth>;
  /** The last lines the service wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then the exit code (the CLI drains and exits 0). Idempotent. */
  stop(): Promise<number | null>;
}

export interface StartServiceOptions {
  /** The CUCM user whose phone the browser shell controls (demo: alice, grace, ...). */
  user: string;
  /** Settings and history live here; give the same one to a restarted service. */
  dataDir: string;
  nodes?: number;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

function simulatorAdmin(url: string): SimulatorAdmin {
  const post = { method: 'POST', headers: { 'content-type': 'application/json' } } as const;
  return {
    url,
    calls: () => json<CallSnapshot[]>(`${url}/calls`),
    placeInboundCall: (from, to) =>
      json<CallSnapshot>(`${url}/calls`, { ...post, body: JSON.stringify({ from, to }) }),
    clearCall: async (callId) => {
      await json<undefined>(`${url}/calls/${encodeURIComponent(callId)}`, { method: 'DELETE' });
    },
    nodes: () => json<NodeView[]>(`${url}/nodes`),
    node: (index, operation) => json<NodeView>(`${url}/nodes/${index}/${operation}`, { ...post, body: '{}' }),
  };
}

/** A fresh temporary directory (for a data dir that outlives one service). */
/** Each party's connection state, by device, of one call the simulator holds. */
export const parties = (call: CallSnapshot): Record<string, string> =>
  Object.fromEntries(call.connections.map((c) => [c.deviceId, c.state]));

/** The same for every call the service's simulator holds. */
export async function simCalls(service: RealService): Promise<Array<Record<string, string>>> {
  return (await service.admin.calls()).map(parties);
}

export const makeTempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));
export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });

/**
 * Starts `service/src/cli.ts --config <generated> --shell --user <user> --data-dir <dir>`.
 * The renderer must already be built into dist/renderer (the CLI refuses to start the shell
 * otherwise, with a message saying so).
 */
export async function startService(options: StartServiceOptions): Promise<RealService> {
  const configDir = await makeTempDir('deskline-e2e-config-');
  await mkdir(options.dataDir, { recursive: true });
  const configFile = join(configDir, 'gateway.yaml');
  const config = {
    node: { id: 'e2e' },
    // The simulator in-process (demo cluster), its admin API on any free port.
    demo: { enabled: true, nodes: options.nodes ?? 2, adminPort: 0 },
    cti: {
      // Heartbeats every second give the health view RTT samples within a test, and a short
      // reconnect ceiling brings a restarted node back within seconds (the defaults, 5 s and
      // 30 s, are right for production, not for a bounded test).
      heartbeatIntervalMs: 1000,
      reconnectInitialMs: 200,
      reconnectMaxMs: 1000,
    },
    // No SIP listeners: the browser shell speaks the desk API in-process.
    sip: { tcp: [], tls: [], ws: [] },
    http: { host: '127.0.0.1', port: 0 },
    shell: { enabled: true, host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
  };
  await writeFile(configFile, stringify(config), 'utf8');

  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      '--config',
      configFile,
      '--shell',
      '--user',
      options.user,
      '--data-dir',
      options.dataDir,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  track(child);
  const lines: string[] = [];
  const keep = (prefix: string) => (line: string) => {
    lines.push(`${prefix}${line}`);
    if (lines.length > OUTPUT_LINES) lines.shift();
  };
  const output = (): string => lines.join('\n');
  const stdout = createInterface({ input: child.stdout });
  createInterface({ input: child.stderr }).on('line', keep('stderr: '));

  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal === null ? null : -1);
      resolve(exitCode);
    });
  });

  const urls = await new Promise<{ shell: string; http: string }>((resolve, reject) => {
    let http: string | undefined;
    const timer = setTimeout(() => {
      reject(
        new Error(
          `the service did not print its browser-shell URL within ${START_TIMEOUT_MS} ms:\n${output()}`,
        ),
      );
    }, START_TIMEOUT_MS);
    stdout.on('line', (line) => {
      keep('')(line);
      const health = /\bhealth (http:\/\/\S+)\/health\b/.exec(line);
      if (health?.[1] !== undefined) http = health[1];
      const shell = /browser shell: (http:\/\/\S+)/.exec(line);
      if (shell?.[1] !== undefined) {
        clearTimeout(timer);
        if (http === undefined) reject(new Error(`the service printed no health URL:\n${output()}`));
        else resolve({ shell: shell[1], http });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (code ${String(code)}) before printing its URL:\n${output()}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    await removeDir(configDir);
    throw error;
  });

  const health = (): Promise<GatewayHealth> => json<GatewayHealth>(`${urls.http}/health`);
  const demo = (await health()).demo;
  if (demo?.adminUrl === null || demo?.adminUrl === undefined) {
    child.kill('SIGKILL');
    await exited;
    await removeDir(configDir);
    throw new Error(`the service's /health has no demo.adminUrl:\n${output()}`);
  }

  let stopping: Promise<number | null> | undefined;
  const stop = (): Promise<number | null> => {
    stopping ??= (async () => {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await removeDir(configDir);
      return exitCode ?? null;
    })();
    return stopping;
  };

  return {
    user: options.user,
    dataDir: options.dataDir,
    shellUrl: urls.shell,
    shellOrigin: new URL(urls.shell).origin,
    httpUrl: urls.http,
    admin: simulatorAdmin(demo.adminUrl),
    health,
    output,
    stop,
  };
}
