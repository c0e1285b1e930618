// Running SIPp (Debian sip-tester 3.6) as a load generator and reading what it measured.
//
// SIPp runs in its own scratch directory, in the foreground (-nostdin, no -bg: the harness owns
// its lifetime), with -trace_stat (call counts and rates, the last line is the total),
// -trace_rtt -rtt_freq 1 (every response time, per rtd timer) and -trace_err. Its response times
// have a resolution of 1 ms (its clock is a millisecond counter, read once per event-loop turn;
// -timer_resol 1 makes the turn at most 1 ms), which docs/benchmarks.md discusses.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startChild } from './children.js';
import { SampleBuffer } from './stats.js';

export interface SippRun {
  /** Scenario XML (absolute path). */
  scenario: string;
  /** host:port of the system under test. */
  target: string;
  /** Directory for SIPp's files (created). */
  dir: string;
  /** Injection rows (field0;field1;...), written to users.csv, read SEQUENTIAL. */
  injection?: readonly string[];
  /** -set name value. */
  variables?: Readonly<Record<string, string | number>>;
  /** Calls per second (-r). */
  rate: number;
  /** Simultaneous calls (-l). */
  limit: number;
  /** Total calls (-m). */
  calls: number;
  /** t1: every call over one TCP connection (default); tn: one per call. */
  transport?: 't1' | 'tn' | 'u1';
  /** Auto-answer INFO/UPDATE/NOTIFY/OPTIONS from the peer (-aa). */
  autoAnswer?: boolean;
  /** Hard stop (s) in case the system under test stops answering. */
  timeoutSec: number;
  /** Extra arguments. */
  extra?: readonly string[];
  /** Called with SIPp's pid once it runs (for CPU sampling). */
  onStart?: (pid: number) => void;
}

export interface SippStats {
  successfulCalls: number;
  failedCalls: number;
  /** Counters of why calls failed (non-zero ones only). */
  failures: Record<string, number>;
  elapsedSec: number;
}

export interface SippResult {
  exitCode: number | string;
  /** SIPp had to be stopped by the harness (its run went past timeoutSec). */
  overran: boolean;
  stats: SippStats;
  /** Response times (ms) per rtd name, in the order SIPp logged them. */
  rtt: Map<string, SampleBuffer>;
  /** SIPp's Date_ms of the first and last response time per rtd (ms since SIPp started). */
  rttSpan: Map<string, { firstMs: number; lastMs: number }>;
  /** The start of SIPp's error log (unexpected messages), if any. */
  errors: string;
}

/** A free TCP port on 127.0.0.1 for SIPp's own -p (it listens even as a TCP client). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function parseStats(csv: string): SippStats {
  const lines = csv.trim().split('\n');
  const header = (lines[0] ?? '').split(';');
  const last = (lines[lines.length - 1] ?? '').split(';');
  const value = (name: string): number => {
    const i = header.indexOf(name);
    return i < 0 ? 0 : Number(last[i]) || 0;
  };
  const failures: Record<string, number> = {};
  for (const name of header) {
    if (name.startsWith('Failed') && name.endsWith('(C)')) {
      const v = value(name);
      if (v > 0) failures[name.slice(0, -3)] = v;
    }
  }
  const elapsed = (last[header.indexOf('ElapsedTime(C)')] ?? '0:0:0').split(':').map(Number);
  return {
    successfulCalls: value('SuccessfulCall(C)'),
    failedCalls: value('FailedCall(C)'),
    failures,
    elapsedSec: (elapsed[0] ?? 0) * 3600 + (elapsed[1] ?? 0) * 60 + (elapsed[2] ?? 0),
  };
}

export async function runSipp(run: SippRun): Promise<SippResult> {
  await mkdir(run.dir, { recursive: true });
  const args = [
    run.target,
    '-sf',
    run.scenario,
    '-t',
    run.transport ?? 't1',
    '-p',
    String(await freePort()),
    '-i',
    '127.0.0.1',
  ];
  if (run.injection !== undefined) {
    await writeFile(join(run.dir, 'users.csv'), `SEQUENTIAL\n${run.injection.join('\n')}\n`);
    args.push('-inf', 'users.csv');
  }
  for (const [name, value] of Object.entries(run.variables ?? {})) args.push('-set', name, String(value));
  args.push('-r', String(run.rate), '-l', String(run.limit), '-m', String(run.calls));
  if (run.autoAnswer === true) args.push('-aa');
  args.push(
    '-timer_resol',
    '1',
    '-max_recv_loops',
    '10000',
    '-max_sched_loops',
    '10000',
    '-trace_stat',
    '-stf',
    'stat.csv',
    '-fd',
    '1',
    '-trace_rtt',
    '-rtt_freq',
    '1',
    '-trace_err',
    '-error_file',
    'errors.log',
    '-timeout',
    `${run.timeoutSec}s`,
    // A call whose next message never comes fails after this, instead of holding the run.
    '-recv_timeout',
    '15000',
    '-nostdin',
    ...(run.extra ?? []),
  );
  const child = startChild('sipp', 'sipp', args, { cwd: run.dir, captureStdout: false });
  run.onStart?.(child.pid);
  // SIPp's own -timeout does not always fire (seen with calls stuck mid-scenario): the harness
  // enforces the bound itself, and SIPp's statistics so far are still read.
  let overran = false;
  const guard = setTimeout(
    () => {
      overran = true;
      void child.stop(3000);
    },
    (run.timeoutSec + 15) * 1000,
  );
  const exitCode = await child.exited;
  clearTimeout(guard);
  const files = await readdir(run.dir);
  const statText = files.includes('stat.csv') ? await readFile(join(run.dir, 'stat.csv'), 'utf8') : '';
  const rttFile = files.find((f) => f.endsWith('_rtt.csv'));
  const rtt = new Map<string, SampleBuffer>();
  const rttSpan = new Map<string, { firstMs: number; lastMs: number }>();
  if (rttFile !== undefined) {
    const text = await readFile(join(run.dir, rttFile), 'utf8');
    let start = text.indexOf('\n') + 1; // header: Date_ms;response_time_ms;rtd_no
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const a = text.indexOf(';', start);
      const b = text.indexOf(';', a + 1);
      if (a > 0 && b > a && b < end) {
        const at = Number(text.slice(start, a));
        const ms = Number(text.slice(a + 1, b));
        const name = text.slice(b + 1, end).trim();
        let buffer = rtt.get(name);
        if (buffer === undefined) rtt.set(name, (buffer = new SampleBuffer()));
        buffer.push(ms);
        const span = rttSpan.get(name);
        if (span === undefined) rttSpan.set(name, { firstMs: at, lastMs: at });
        else span.lastMs = at;
      }
      start = end + 1;
    }
  }
  const errors = files.includes('errors.log')
    ? (await readFile(join(run.dir, 'errors.log'), 'utf8')).slice(0, 4000)
    : '';
  if (statText === '')
    throw new Error(`SIPp wrote no statistics (exit ${exitCode}): ${child.stderr().slice(-2000)}`);
  return { exitCode, overran, stats: parseStats(statText), rtt, rttSpan, errors };
}
