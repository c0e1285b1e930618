// `npm run bench -- [--only LIST] [--quick] [--out DIR] [--keep] [--profile] [--rounds N]
//                  [--fixed-rate R] [--rates LIST] [--gateways N]`
//
// Runs the benchmarks (docs/benchmarks.md), writes one JSON result per benchmark into DIR, then,
// from every result in DIR: the targets (`targets.json`, printed), the plots (`*.svg`) and
// `latest.md`. `npm run bench:report` turns the same files into the README and docs tables.
// Every child process (gateway, simulator, floor, SIPp, Kamailio) is stopped when a benchmark
// ends, fails or the run is interrupted.
// Exit code: 0 when every selected benchmark ran (targets missed are reported, not failures),
// 1 when one could not run, 2 on bad arguments.
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killAllChildrenNow } from './lib/children.js';
import { createContext, REPO_ROOT, type BenchContext } from './lib/context.js';
import { writePlots } from './lib/plots.js';
import { formatProfileSummary, summarizeProfile } from './lib/profile.js';
import {
  BENCH_NAMES,
  readResults,
  writeLatestMarkdown,
  writeResult,
  type BenchName,
  type BenchResult,
} from './lib/results.js';
import { computeTargets, targetsTable, type TargetRow } from './lib/targets.js';

const USAGE = `usage: npm run bench -- [options]
  --only LIST        run these benchmarks (default: all, in this order): ${BENCH_NAMES.join(',')}
  --quick            a small, fast version of each (noisy: for development and the smoke test);
                     results go to bench/results/quick/ unless --out says otherwise
  --out DIR          where result JSON, targets.json, plots and latest.md go (default bench/results/)
  --rounds N         interleaved rounds of the yardstick and scaleout legs (default 3; quick 2 and 1)
  --fixed-rate R     the equal rate (CSTA requests/s) at which CPU per request is compared (default 4000)
  --rates LIST       the yardstick's rate sweep, e.g. 1000,2000,4000,6000 (the fixed rate is always in it)
  --gateways N       gateway processes behind Kamailio in scaleout (default: the number of cores, at least 2)
  --keep             keep each benchmark's scratch directory (configs, SIPp traces) and print where
  --profile          run the gateway under --cpu-prof; profiles go to DIR/profiles/<benchmark>/
                     and a summary of the gateway's main thread is printed`;

interface RunOptions {
  rounds?: number;
  fixedRate?: number;
  rates?: number[];
  gateways?: number;
}

type Runner = (ctx: BenchContext, options: RunOptions) => Promise<BenchResult>;

// Loaded on demand: a quick `--only codec` run does not pay for importing the others.
const RUNNERS: Record<BenchName, () => Promise<Runner>> = {
  codec: async () => (await import('./codec.js')).runCodec,
  e2e: async () => (await import('./e2e.js')).runEndToEnd,
  yardstick: async () => {
    const { runYardstick } = await import('./yardstick.js');
    return (ctx, o) =>
      runYardstick(ctx, {
        ...(o.rounds === undefined ? {} : { rounds: o.rounds }),
        ...(o.fixedRate === undefined ? {} : { fixedRate: o.fixedRate }),
        ...(o.rates === undefined ? {} : { rates: o.rates }),
      });
  },
  scale: async () => (await import('./scale.js')).runScale,
  scaleout: async () => {
    const { runScaleout } = await import('./scaleout.js');
    return (ctx, o) =>
      runScaleout(ctx, {
        ...(o.rounds === undefined ? {} : { rounds: o.rounds }),
        ...(o.fixedRate === undefined ? {} : { fixedRate: o.fixedRate }),
        ...(o.gateways === undefined ? {} : { gateways: o.gateways }),
      });
  },
  failover: async () => (await import('./failover.js')).runFailover,
};

/** Prints the summary of the largest profile in `dir` (the gateway's main thread). */
async function printProfile(dir: string, log: (m: string) => void): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    log(`no profile in ${dir} (the gateway must exit by itself on SIGTERM for V8 to write it)`);
    return;
  }
  let best: { file: string; size: number } | undefined;
  for (const f of files) {
    const size = (await stat(join(dir, f))).size;
    if (best === undefined || size > best.size) best = { file: f, size };
  }
  if (best === undefined) return;
  const path = join(dir, best.file);
  process.stdout.write(`\nprofile ${path}\n${formatProfileSummary(summarizeProfile(path), 30)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer, not "${value}"`);
  return n;
}

/** The targets of every result in `outDir`, written as targets.json (with which runs they come from). */
export async function writeTargets(
  outDir: string,
  results: Partial<Record<BenchName, BenchResult>>,
): Promise<{ rows: TargetRow[]; mixed: boolean }> {
  const rows = computeTargets(results);
  const runs = Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r.runId]));
  const mixed = new Set(Object.values(runs)).size > 1;
  const quick = Object.values(results).some((r) => r.quick);
  await writeFile(
    join(outDir, 'targets.json'),
    `${JSON.stringify({ schema: 2, quick, mixedRuns: mixed, runs, targets: rows }, null, 2)}\n`,
  );
  return { rows, mixed };
}

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        keep: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        'fixed-rate': { type: 'string' },
        rates: { type: 'string' },
        gateways: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (cause) {
    fail((cause as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const selected: BenchName[] = [];
  for (const name of (values.only ?? BENCH_NAMES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (!(BENCH_NAMES as readonly string[]).includes(name)) fail(`unknown benchmark "${name}"`);
    if (!selected.includes(name as BenchName)) selected.push(name as BenchName);
  }
  if (selected.length === 0) fail('--only selects nothing');
  const options: RunOptions = {};
  const rounds = positiveInt('--rounds', values.rounds);
  if (rounds !== undefined) options.rounds = rounds;
  const fixedRate = positiveInt('--fixed-rate', values['fixed-rate']);
  if (fixedRate !== undefined) options.fixedRate = fixedRate;
  const gateways = positiveInt('--gateways', values.gateways);
  if (gateways !== undefined) options.gateways = gateways;
  if (values.rates !== undefined)
    options.rates = values.rates.split(',').map((r) => positiveInt('--rates', r.trim()) as number);

  const outDir = resolve(
    values.out ??
      (values.quick
        ? resolve(REPO_ROOT, 'bench', 'results', 'quick')
        : resolve(REPO_ROOT, 'bench', 'results')),
  );
  const log = (message: string): void => {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  };
  const runId = new Date().toISOString();
  const started = performance.now();

  let failures = 0;
  for (const name of selected) {
    log(`${name}: starting${values.quick ? ' (quick)' : ''}`);
    const { ctx, cleanup } = await createContext(name, {
      quick: values.quick,
      outDir,
      keepWorkDir: values.keep,
      log,
      runId,
    });
    const profileDir = join(outDir, 'profiles', name);
    if (values.profile) {
      await rm(profileDir, { recursive: true, force: true });
      process.env['BENCH_GATEWAY_NODE_FLAGS'] = `--cpu-prof --cpu-prof-dir=${profileDir}`;
    }
    try {
      const runner = await RUNNERS[name]();
      const result = await runner(ctx, options);
      const path = await writeResult(outDir, result);
      process.stdout.write(`\n## ${name}${result.quick ? ' (quick)' : ''}\n\n${result.summary.join('\n')}\n`);
      for (const t of result.targets)
        process.stdout.write(`  check ${t.met ? 'ok     ' : 'FAILED '} ${t.target}: ${t.measured}\n`);
      log(`${name}: done in ${result.durationSec} s → ${path}`);
      if (values.profile) await printProfile(profileDir, log);
    } catch (cause) {
      failures++;
      log(`${name}: FAILED: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    } finally {
      killAllChildrenNow();
      await cleanup();
    }
  }
  const results = await readResults(outDir);
  const { rows, mixed } = await writeTargets(outDir, results);
  process.stdout.write(
    `\n## Targets${values.quick ? ' (QUICK run: noisy, not for publication)' : ''}${mixed ? ' (from results of different runs)' : ''}\n\n${targetsTable(rows).join('\n')}\n`,
  );
  const plots = await writePlots(outDir, results);
  const latest = await writeLatestMarkdown(outDir, rows);
  log(`targets: ${join(outDir, 'targets.json')}; plots: ${plots.join(', ') || 'none'}; summaries: ${latest}`);
  log(`run took ${Math.round((performance.now() - started) / 1000)} s`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((cause: unknown) => {
  killAllChildrenNow();
  process.stderr.write(`bench: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
  process.exit(1);
});
