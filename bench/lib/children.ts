// Child processes of a benchmark run (gateway, simulator, SIPp, Kamailio): each is remembered, so
// that every one of them — and whatever it forked (Kamailio's workers) — is stopped by its own id
// when a benchmark ends, fails, or the harness is interrupted. They stay in the harness's process
// group, so that a group kill of the harness (a test runner's timeout, Ctrl-C) reaches them too.
// Nothing outlives `npm run bench`.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { descendantsOf } from './proc-stats.js';

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything the child wrote to stdout so far (bounded). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: boolean;
  /** Resolves with the first stdout/stderr text matching `pattern`; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone: 'exited' when it
   *  stopped by itself after SIGTERM, 'killed' when SIGKILL was needed. */
  stop(graceMs?: number): Promise<'exited' | 'killed' | 'gone'>;
}

const OUTPUT_LIMIT = 1 << 20;
const live = new Set<Child>();
let hooksInstalled = false;

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  }
}

/** Kills every child still alive, and its descendants (synchronously: usable from 'exit'). */
export function killAllChildrenNow(): void {
  for (const child of live) signal([child.pid, ...descendantsOf(child.pid)], 'SIGKILL');
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildrenNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAllChildrenNow();
      process.exit(130);
    });
  }
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep stdout in memory (default true); false for chatty children. */
  captureStdout?: boolean;
  /** Open an IPC channel (structured-clone serialization: typed arrays cross intact). */
  ipc?: boolean;
}

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Child {
  installHooks();
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    ...(options.ipc === true ? { serialization: 'advanced' as const } : {}),
  };
  const proc = spawn(command, [...args], spawnOptions);
  if (proc.pid === undefined) throw new Error(`cannot start ${name} (${command})`);
  const pid = proc.pid;
  let out = '';
  let errText = '';
  let exited = false;
  const watchers = new Set<() => void>();
  const capture = options.captureStdout ?? true;
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    if (capture && out.length < OUTPUT_LIMIT) out += chunk;
    for (const w of watchers) w();
  });
  proc.stderr?.on('data', (chunk: string) => {
    if (errText.length < OUTPUT_LIMIT) errText += chunk;
    for (const w of watchers) w();
  });
  const exitedPromise = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      exited = true;
      live.delete(child);
      for (const w of watchers) w();
      resolve(code ?? signal ?? 'unknown');
    });
    proc.on('error', () => {
      exited = true;
      live.delete(child);
      for (const w of watchers) w();
      resolve('spawn-error');
    });
  });
  const child: Child = {
    name,
    process: proc,
    pid,
    stdout: () => out,
    stderr: () => errText,
    exited: exitedPromise,
    get hasExited() {
      return exited;
    },
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = out.match(pattern) ?? errText.match(pattern);
          if (match !== null) {
            done();
            resolve(match);
          } else if (exited) {
            done();
            reject(
              new Error(
                `${name} exited before printing ${pattern}: ${errText.slice(-2000) || out.slice(-2000)}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `${name}: no ${pattern} within ${timeoutMs} ms: ${errText.slice(-2000) || out.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (exited) return 'gone';
      // Known before the signal: a parent that dies first leaves its children to init.
      const descendants = descendantsOf(pid);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return 'gone';
      }
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        signal([pid, ...descendants], 'SIGKILL');
      }, graceMs);
      await exitedPromise;
      clearTimeout(timer);
      // Workers that outlived their parent (they should not) go now.
      signal(
        descendants.filter((d) => sampleAlive(d)),
        'SIGKILL',
      );
      return killed ? 'killed' : 'exited';
    },
  };
  live.add(child);
  return child;
}

function sampleAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion (for version probes and the like); never throws. */
export function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let proc: ChildProcess;
    try {
      proc = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (cause) {
      resolve({ code: null, stdout: '', stderr: String(cause) });
      return;
    }
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(e) });
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
