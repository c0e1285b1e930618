// Smoke test of the benchmark harness (bench/, docs/benchmarks.md): `npm run bench -- --quick
// --only codec,failover` into a temporary directory must run to completion and leave result files
// with the figures filled in. It checks what was measured is there and coherent — never how fast
// anything was (benchmarks are not tests: no timed assertions).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUN_TIMEOUT_MS = 150_000;

let out: string | undefined;
afterAll(async () => {
  if (out !== undefined) await rm(out, { recursive: true, force: true });
});

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Its own process group, so that a timeout takes the harness and its children down together.
    const child = spawn('npm', ['run', '-s', 'bench', '--', ...args], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface CodecJson {
  benchmark: string;
  quick: boolean;
  machine: { cores: number; node: string; cpuModel: string };
  figures: {
    operations: {
      operation: string;
      input: string;
      opsPerSec: number;
      nsPerOp: number;
      iterations: number;
    }[];
  };
}

interface FailoverCycle {
  kind: string;
  detectionMs: number | null;
  healthDownMs: number | null;
  affectedSessions: number;
  restoredSessions: number;
  reopened: number;
  otherFailures: number;
  restore: { count: number };
}

describe('npm run bench -- --quick', () => {
  it(
    'runs the codec and failover benchmarks and writes their results',
    async () => {
      out = await mkdtemp(join(tmpdir(), 'deskline-bench-smoke-'));
      const run = await runBench(['--quick', '--only', 'codec,failover', '--out', out]);
      expect(run.code, run.stderr.slice(-3000)).toBe(0);

      const codec = JSON.parse(readFileSync(join(out, 'codec.json'), 'utf8')) as CodecJson;
      expect(codec.benchmark).toBe('codec');
      expect(codec.quick).toBe(true);
      expect(codec.machine.cores).toBeGreaterThan(0);
      expect(codec.machine.node).toBe(process.version);
      const inputs = codec.figures.operations.map((o) => `${o.operation} ${o.input}`);
      for (const wanted of [
        'decode CSTA MakeCall',
        'encode CSTA MakeCall',
        'decode CSTA DeliveredEvent',
        'encode CSTA DeliveredEvent',
      ])
        expect(inputs).toContain(wanted);
      expect(inputs.some((i) => i.startsWith('parse SIP INFO'))).toBe(true);
      for (const o of codec.figures.operations) {
        expect(o.iterations).toBeGreaterThan(0);
        expect(o.opsPerSec).toBeGreaterThan(0);
        expect(o.nsPerOp).toBeGreaterThan(0);
      }

      const failover = JSON.parse(readFileSync(join(out, 'failover.json'), 'utf8')) as {
        figures: { freeze: FailoverCycle; stop: FailoverCycle };
        targets: { met: boolean }[];
      };
      for (const cycle of [failover.figures.freeze, failover.figures.stop]) {
        // The failure was seen (fail-fast answers) and every affected session came back.
        expect(cycle.detectionMs, cycle.kind).not.toBeNull();
        expect(cycle.healthDownMs, cycle.kind).not.toBeNull();
        expect(cycle.affectedSessions, cycle.kind).toBeGreaterThan(0);
        expect(cycle.restoredSessions, cycle.kind).toBe(cycle.affectedSessions);
        // Transparent recovery (the default): restored without a new INVITE.
        expect(cycle.reopened, cycle.kind).toBe(0);
        expect(cycle.otherFailures, cycle.kind).toBe(0);
      }
      expect(failover.targets.length).toBeGreaterThan(0);

      // The run judged the targets from what it measured: failover's is judged, the others (their
      // benchmarks did not run) are "not measured", never met.
      const targets = JSON.parse(readFileSync(join(out, 'targets.json'), 'utf8')) as {
        quick: boolean;
        targets: { id: string; met: boolean | null }[];
      };
      expect(targets.quick).toBe(true);
      const byId = new Map(targets.targets.map((t) => [t.id, t]));
      expect(typeof byId.get('failover-detection')?.met).toBe('boolean');
      for (const id of ['cpu-vs-floor', 'max-vs-kamailio', 'gc-share', 'marginal-memory', 'throughput'])
        expect(byId.get(id)?.met, id).toBeNull();

      const latest = readFileSync(join(out, 'latest.md'), 'utf8');
      expect(latest).toContain('## codec (quick)');
      expect(latest).toContain('## failover (quick)');
      // Scratch directories are removed; only results remain.
      expect(existsSync(join(out, 'codec.json.tmp'))).toBe(false);
    },
    RUN_TIMEOUT_MS + 10_000,
  );
});
