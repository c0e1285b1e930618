// Child processes for the cluster test: gateway nodes (`service/src/cli.ts`, the same
// entry point as `npm run gateway`) and Kamailio in the foreground. Each child's output is kept
// (bounded) for the failure message; every child started is killed when the test process exits,
// whatever happens (docs/architecture.md §4.8: nothing leaks, not even a process).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is gateway/test/cluster/processes.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const GATEWAY_CLI = fileURLToPath(new URL('../../../service/src/cli.ts', import.meta.url));
export const KAMAILIO_CFG = fileURLToPath(new URL('../../../deploy/kamailio/kamailio.cfg', import.meta.url));

const OUTPUT_LINES = 400;
const live = new Set<Child>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort (a crashed or timed-out worker): no child may outlive the test process.
  process.once('exit', () => {
    for (const child of live) child.killNow();
  });
}

/** Stops (SIGTERM, then SIGKILL) every child this process started that still runs: the sweep
 *  after a partial start-up, where some children were never handed to their owner. */
export async function stopAllChildren(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((child) => child.stop(graceMs)));
}

/** How many started children are still running (a leak check for afterAll). */
export function runningChildren(): number {
  return live.size;
}

/** A child process with its output kept line by line and its exit observable. */
export class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private readonly lineWaiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    live.add(this);
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        live.delete(this);
        this.push(`[${name} exited: code ${String(code)} signal ${String(signal)}]`);
        resolve(code);
      });
      proc.once('error', (error) => {
        this.push(`[${name} could not start: ${error.message}]`);
        this.exitCode = -1;
        live.delete(this);
        resolve(-1);
      });
    });
    const reader = (prefix: string): ((chunk: Buffer) => void) => {
      let partial = '';
      return (chunk) => {
        partial += chunk.toString('utf8');
        let nl = partial.indexOf('\n');
        while (nl >= 0) {
          this.push(`${prefix}${partial.slice(0, nl)}`);
          partial = partial.slice(nl + 1);
          nl = partial.indexOf('\n');
        }
      };
    };
    // Always drain both pipes: a child blocked on a full pipe would look like a hung node.
    proc.stdout?.on('data', reader(''));
    proc.stderr?.on('data', reader(''));
  }

  static start(
    name: string,
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ): Child {
    installExitHook();
    const proc = spawn(command, [...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Child(name, proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last lines of output, for an error message. */
  tail(n = 40): string {
    return this.lines
      .slice(-n)
      .map((l) => `  ${this.name}| ${l}`)
      .join('\n');
  }

  /** Resolves with the first output line matching `pattern` (also one already seen). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const m = line.match(pattern);
      if (m !== null) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve: (m: RegExpMatchArray) => done(() => resolve(m)) };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`),
            ),
          ),
        timeoutMs,
      );
      const onExit = (): void =>
        done(() => reject(new Error(`${this.name} exited before printing ${pattern}\n${this.tail()}`)));
      void this.exited.then(onExit);
      let settled = false;
      const done = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const at = this.lineWaiters.indexOf(waiter);
        if (at >= 0) this.lineWaiters.splice(at, 1);
        settle();
      };
      this.lineWaiters.push(waiter);
    });
  }

  /** SIGKILL: a crash, as far as its peers can tell. Resolves once the process is gone. */
  async kill(): Promise<void> {
    this.killNow();
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs` (the gateway drains its sessions on SIGTERM). */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.killNow(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** @internal */
  killNow(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > OUTPUT_LINES) this.lines.splice(0, this.lines.length - OUTPUT_LINES);
    for (const waiter of [...this.lineWaiters]) {
      const m = line.match(waiter.pattern);
      if (m !== null) waiter.resolve(m);
    }
  }
}

/**
 * A free TCP port on 127.0.0.1, for a peer that cannot listen on port 0 and tell us the port
 * (Kamailio). The port is released before the peer binds it: a small window, checked by the
 * caller (the peer fails loudly if the port was taken meanwhile).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (port === 0) throw new Error('could not find a free port');
  return port;
}

/** Resolves once something accepts TCP connections on host:port (polling, bounded). */
export async function waitForListener(
  host: string,
  port: number,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child !== undefined && !child.running)
      throw new Error(`${child.name} exited before listening on ${host}:${port}\n${child.tail()}`);
    if (Date.now() > deadline)
      throw new Error(
        `nothing listens on ${host}:${port} after ${timeoutMs} ms${child === undefined ? '' : `\n${child.tail()}`}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The Kamailio binary. The test installs nothing: `.ci/run` and scripts/ensure-system-deps.mjs
 * do (Debian package `kamailio`). A missing binary fails the suite with the command to run.
 */
export function kamailioBinary(): string {
  const candidates = [
    '/usr/sbin/kamailio',
    '/usr/local/sbin/kamailio',
    ...(process.env['PATH'] ?? '')
      .split(':')
      .filter((d) => d !== '')
      .map((d) => `${d}/kamailio`),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) {
    throw new Error(
      'kamailio is not installed: the cluster test drives a real Kamailio load balancer. ' +
        'Install it with `sudo apt-get install -y kamailio kamailio-websocket-modules` (or run `node scripts/ensure-system-deps.mjs`).',
    );
  }
  return found;
}

/**
 * Resolves once no TCP connection on this host still talks to 127.0.0.1:port from the other side
 * (states ESTABLISHED or CLOSE_WAIT in /proc/net/tcp): after a process listening there was killed,
 * its peers — Kamailio — have noticed the close. Linux only (as the cluster tests are). Bounded.
 */
export async function waitForPeersToClose(port: number, timeoutMs: number): Promise<void> {
  const remote = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await readFile('/proc/net/tcp', 'utf8');
    const open = table
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f[2]?.endsWith(remote) === true && (f[3] === '01' || f[3] === '08'));
    if (open.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`${open.length} connection(s) to port ${port} still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
