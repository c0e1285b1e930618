// SIPp (Debian sip-tester, /usr/bin/sipp) as a conformance client over TCP, in the test suite:
// msrcc-basic.xml runs the Microsoft RCC flow for each demo user of msrcc-users.csv, twice each
// (-users: a user's calls never overlap, so its events are exactly the scenario's); every CSTA
// answer and event is checked inside the scenario, so SIPp's own counters say how many sessions
// went right. msrcc-refused.xml: an unlicensed user's INVITE gets 403 with a reason and a body.
// SIPp writes its statistics (-trace_stat) and unexpected messages (-trace_err) into a scratch
// directory; its exit code and counters are asserted. Bounded: -recv_timeout fails a stuck call,
// -timeout ends SIPp, and a SIGKILL follows, all within the test timeout.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../host/src/demo.js';
import { DEMO_NUMBERS } from '../../../simulator/src/index.js';
import { listener, sipGateway } from '../faces/msrcc/helpers.js';

const SIPP = '/usr/bin/sipp';
const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const USERS = readFileSync(here('msrcc-users.csv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((line) => line.trim() !== '');
/** A far end of the demo cluster that rings for ever (DEMO_NUMBERS.noAnswer): Delivered comes at
 *  once and no Established can arrive at a moment the scenario does not expect it. */
const CALLED = DEMO_NUMBERS.noAnswer;

interface SippRun {
  readonly code: number | null;
  readonly output: string;
  /** The last line of the -trace_stat file, by column name. */
  readonly stats: Record<string, string>;
  /** What -trace_err wrote (unexpected messages), or ''. */
  readonly errors: string;
}

/** Runs SIPp in a scratch directory; `args` may write files there first (e.g. an injection file). */
async function runSipp(
  args: (dir: string) => readonly string[],
  target: string,
  timeoutMs = 25_000,
): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'deskline-sipp-'));
  try {
    const statFile = join(dir, 'stats.csv');
    const errorFile = join(dir, 'errors.log');
    const child = spawn(
      SIPP,
      [
        ...args(dir),
        '-t',
        't1',
        '-i',
        '127.0.0.1',
        '-nostdin',
        '-recv_timeout',
        '5000',
        '-timeout',
        '20s',
        '-timeout_error',
        '-trace_stat',
        '-stf',
        statFile,
        '-trace_err',
        '-error_file',
        errorFile,
        target,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exit) => resolve(exit));
    }).finally(() => clearTimeout(killer));
    const lines = existsSync(statFile)
      ? readFileSync(statFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
      : [];
    const header = lines[0]?.split(';') ?? [];
    const last = lines.at(-1)?.split(';') ?? [];
    const stats = Object.fromEntries(header.map((name, i) => [name, last[i] ?? '']));
    const errors = existsSync(errorFile) ? readFileSync(errorFile, 'utf8') : '';
    return { code, output, stats, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const diagnosis = (run: SippRun): string =>
  `SIPp exit ${run.code}\n${run.errors.slice(0, 4000)}\n${run.output.slice(-3000)}`;

describe('SIPp against the Microsoft RCC face (TCP)', () => {
  let gateway: HostedGateway | undefined;
  beforeAll(() => {
    // A missing peer is a failure, never a skip (scripts/ensure-system-deps.mjs installs it for `npm test`).
    expect(existsSync(SIPP), `${SIPP} is missing: apt-get install sip-tester`).toBe(true);
    expect(USERS.length).toBeGreaterThan(1);
  });
  afterEach(async () => {
    await gateway?.dispose();
    gateway = undefined;
  });

  it("msrcc-basic.xml: every user's session flow succeeds, twice, and nothing is left behind", async () => {
    gateway = await sipGateway();
    const { host, port } = listener(gateway, 'TCP');
    const calls = USERS.length * 2;
    const run = await runSipp(
      () => [
        '-sf',
        here('msrcc-basic.xml'),
        '-inf',
        here('msrcc-users.csv'),
        '-users',
        String(USERS.length),
        '-m',
        String(calls),
        '-key',
        'domain',
        'deskline.example',
        '-key',
        'called',
        CALLED,
      ],
      `${host}:${port}`,
    );
    expect(run.code, diagnosis(run)).toBe(0);
    expect(Number(run.stats['SuccessfulCall(C)']), diagnosis(run)).toBe(calls);
    expect(Number(run.stats['FailedCall(C)']), diagnosis(run)).toBe(0);
    expect(run.errors, diagnosis(run)).toBe('');
    expect(Number(run.stats['TotalCallCreated']), diagnosis(run)).toBe(calls);
    // Every session was closed by its BYE: no core session, no dialog, no CTI monitor; and every
    // event INFO got SIPp's 200 (no client transaction of the gateway left waiting for Timer F).
    const gw = gateway;
    const sim = gw.simulator;
    const released = (): boolean =>
      gw.core.sessionCount === 0 &&
      gw.sip?.dialogCount === 0 &&
      gw.sip.userAgent.stats().clientTransactions === 0 &&
      (sim?.nodes.every((n) => n.monitors === 0) ?? false);
    for (let i = 0; i < 100 && !released(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(released()).toBe(true);
  });

  it('msrcc-refused.xml: the unlicensed user gets 403 with a Warning and a CSTAErrorCode body', async () => {
    gateway = await sipGateway();
    const { host, port } = listener(gateway, 'TCP');
    const run = await runSipp(
      () => [
        '-sf',
        here('msrcc-refused.xml'),
        '-m',
        '2',
        '-key',
        'domain',
        'deskline.example',
        '-key',
        'user',
        'frank',
        '-key',
        'dn',
        '1006',
      ],
      `${host}:${port}`,
    );
    expect(run.code, diagnosis(run)).toBe(0);
    expect(Number(run.stats['SuccessfulCall(C)']), diagnosis(run)).toBe(2);
    expect(Number(run.stats['FailedCall(C)']), diagnosis(run)).toBe(0);
    expect(gateway.core.sessionCount).toBe(0);
  });

  it('the suite can fail: a session the gateway refuses is a failed call and a non-zero exit', async () => {
    // Guards the assertions above: alice claiming bob's line gets 403, which msrcc-basic.xml does not expect.
    gateway = await sipGateway();
    const { host, port } = listener(gateway, 'TCP');
    const run = await runSipp((dir) => {
      writeFileSync(join(dir, 'wrong-line.csv'), 'USERS\nalice;1002;INTERNAL\n');
      return [
        '-sf',
        here('msrcc-basic.xml'),
        '-inf',
        join(dir, 'wrong-line.csv'),
        '-users',
        '1',
        '-m',
        '1',
        '-key',
        'domain',
        'deskline.example',
        '-key',
        'called',
        CALLED,
      ];
    }, `${host}:${port}`);
    expect(run.code, diagnosis(run)).not.toBe(0);
    expect(Number(run.stats['FailedCall(C)']), diagnosis(run)).toBe(1);
    expect(Number(run.stats['SuccessfulCall(C)']), diagnosis(run)).toBe(0);
    expect(run.errors).toMatch(/403/);
  });
});
