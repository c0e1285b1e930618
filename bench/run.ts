// `npm run bench -- [--only codec,e2e,scale,kamailio,failover] [--quick] [--out DIR] [--keep] [--profile]`
//
// Runs the benchmarks (docs/benchmarks.md), writes one JSON result per benchmark into DIR
// (default bench/results/) and rebuilds DIR/latest.md from them. Every child process (gateway,
// simulator, SIPp, Kamailio) is stopped when a benchmark ends, fails or the run is interrupted.
// Exit code: 0 when every selected benchmark ran (targets missed are reported, not failures),
// 1 when one could not run, 2 on bad arguments.
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { killAllChildrenNow } from './lib/children.js';
import { createContext, REPO_ROOT, type BenchContext } from './lib/context.js';
import { formatProfileSummary, summarizeProfile } from './lib/profile.js';
import {
  BENCH_NAMES,
  writeLatestMarkdown,
  writeResult,
  type BenchName,
  type BenchResult,
} from './lib/results.js';

const USAGE = `usage: npm run bench -- [--only ${BENCH_NAMES.join(',')}] [--quick] [--out DIR] [--keep] [--profile]
  --only LIST   run these benchmarks (default: all, in this order)
  --quick       a small, fast version of each (the smoke test runs this)
  --out DIR     where result JSON files and latest.md go (default bench/results/)
  --keep        keep each benchmark's scratch directory (configs, SIPp traces) and print where
  --profile     run the gateway process under --cpu-prof; profiles go to DIR/profiles/<benchmark>/
                and a summary of the gateway's main thread is printed`;

type Runner = (ctx: BenchContext) => Promise<BenchResult>;

// Loaded on demand: a quick `--only codec` run does not pay for importing the others.
const RUNNERS: Record<BenchName, () => Promise<Runner>> = {
  codec: async () => (await import('./codec.js')).runCodec,
  e2e: async () => (await import('./e2e.js')).runEndToEnd,
  scale: async () => (await import('./scale.js')).runScale,
  kamailio: async () => (await import('./kamailio.js')).runKamailio,
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
  const outDir = resolve(values.out ?? resolve(REPO_ROOT, 'bench', 'results'));
  const log = (message: string): void => {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  };

  let failures = 0;
  for (const name of selected) {
    log(`${name}: starting${values.quick ? ' (quick)' : ''}`);
    const { ctx, cleanup } = await createContext(name, {
      quick: values.quick,
      outDir,
      keepWorkDir: values.keep,
      log,
    });
    const profileDir = join(outDir, 'profiles', name);
    if (values.profile) {
      await rm(profileDir, { recursive: true, force: true });
      process.env['BENCH_GATEWAY_NODE_FLAGS'] = `--cpu-prof --cpu-prof-dir=${profileDir}`;
    }
    try {
      const runner = await RUNNERS[name]();
      const result = await runner(ctx);
      const path = await writeResult(outDir, result);
      process.stdout.write(`\n## ${name}${result.quick ? ' (quick)' : ''}\n\n${result.summary.join('\n')}\n`);
      for (const t of result.targets)
        process.stdout.write(`  target ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.measured}\n`);
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
  const latest = await writeLatestMarkdown(outDir);
  log(`summaries: ${latest}`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((cause: unknown) => {
  killAllChildrenNow();
  process.stderr.write(`bench: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
  process.exit(1);
});
