// A/B of gateway builds (or Node flags) in one run, for engine changes (docs/benchmarks.md,
// "Profile findings and engine changes"): every variant's gateway is up for the whole run against
// one simulator; the variants are interleaved over rounds with the order rotated (as the
// yardstick's legs are), each running the same open-loop SIPp step at a fixed CSTA request rate
// with the microsecond probe alongside, and optionally the closed-loop maximum. Reported per
// variant: µs CPU per verified request, GC share, probe p99 (median [min–max] over rounds), and
// each variant's within-round ratio to the first one. A development tool: it writes nothing into
// bench/results and its figures are never published.
//
//   npx tsx bench/tools/ab.ts --variant base=HEAD~3 --variant new=. [--rounds 4] [--rate 4000]
//       [--seconds 8] [--max] [--users 20000] [--json FILE] [--alloc NAME,NAME|all] [--alloc-top N]
//
// A variant is NAME=SOURCE[,NODE-FLAG...]: SOURCE is `.` (this working tree), a git ref (its
// gateway, service, host, common and simulator folders are exported with `git archive` and
// bundled as `npm run build:service` does), or an existing bundle (a path ending in .mjs).
// `--variant gc=.,--max-semi-space-size=32` runs this tree with a V8 flag. `--alloc` samples where
// the named variants (or all) allocate during their fixed-rate steps (V8's sampling heap profiler
// through the inspector, short-lived objects included, one sample per 16 KiB: light enough to
// leave on for every variant) and reports bytes allocated per request — a figure a busy machine
// does not blur, and what sets the young-generation GC's rate — with the allocating functions of
// each sampled variant (`--alloc-top`; the profiles go to NAME.heapprofile beside --json).
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LoadProcess } from '../load/load-process.js';
import type { LoadUser } from '../load/rcc-load-client.js';
import { REPO_ROOT, type BenchContext } from '../lib/context.js';
import { InspectorSession, summarizeAllocations, type SamplingHeapProfile } from '../lib/inspector.js';
import {
  DIAL,
  FlowRunner,
  requestsPerCall,
  SCENARIO_FLOW,
  UserCursor,
  type StepFigures,
} from '../lib/flow.js';
import { ProcessMonitor, round } from '../lib/proc-stats.js';
import {
  BENCH_DOMAIN,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type GatewayProcess,
  type SimulatorProcess,
} from '../lib/services.js';
import { formatMs, formatRate, formatSpread, spreadOf } from '../lib/stats.js';
import { generatedDn } from '../../simulator/src/index.js';

const { values } = parseArgs({
  options: {
    variant: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '4' },
    rate: { type: 'string', default: '4000' },
    seconds: { type: 'string', default: '8' },
    max: { type: 'boolean', default: false },
    users: { type: 'string', default: '20000' },
    json: { type: 'string' },
    alloc: { type: 'string' },
    'alloc-top': { type: 'string', default: '30' },
  },
});

interface Variant {
  name: string;
  source: string;
  flags: string[];
  bundle?: string;
  gateway?: GatewayProcess;
  runner?: FlowRunner;
  probe?: LoadProcess;
}

const variants: Variant[] = (values.variant ?? []).map((spec) => {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--variant NAME=SOURCE[,FLAG...], not "${spec}"`);
  const [source, ...flags] = spec.slice(eq + 1).split(',');
  return { name: spec.slice(0, eq), source: source ?? '.', flags };
});
if (variants.length < 2) {
  process.stderr.write('usage: ab.ts --variant A=SOURCE[,FLAG...] --variant B=SOURCE[,FLAG...] [...]\n');
  process.exit(2);
}
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const userCount = Number(values.users);
const LOOPS = 10;
const perCall = requestsPerCall(LOOPS);
const PROBE_SESSIONS = 4;
const PROBE_RATE = 50;
const log = (m: string): void => void process.stdout.write(`${m}\n`);
const allocNames = values.alloc === undefined ? [] : values.alloc.split(',');
const sampled = (name: string): boolean => allocNames.includes('all') || allocNames.includes(name);

/** Bundles one variant's gateway into dist/ab/NAME (inside the checkout: npm imports resolve). */
async function bundleOf(v: Variant): Promise<string> {
  if (v.source.endsWith('.mjs')) return resolve(v.source);
  const dir = join(REPO_ROOT, 'dist', 'ab', v.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let root = REPO_ROOT;
  if (v.source !== '.') {
    root = join(dir, 'src');
    await mkdir(root, { recursive: true });
    const tar = execFileSync(
      'git',
      ['archive', v.source, 'gateway/src', 'service/src', 'host/src', 'common/src', 'simulator/src'],
      { cwd: REPO_ROOT, maxBuffer: 1 << 28 },
    );
    execFileSync('tar', ['-x', '-C', root], { input: tar });
  }
  const { build } = await import('esbuild');
  await build({
    entryPoints: { gateway: join(root, 'service', 'src', 'cli.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'gateway-chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    resolveExtensions: ['.ts', '.js', '.mjs', '.json'],
  });
  return join(dir, 'gateway.mjs');
}

const workDir = await mkdtemp(join(tmpdir(), 'deskline-ab-'));
const ctx: BenchContext = {
  quick: false,
  outDir: workDir,
  workDir,
  log,
  machine: () => {
    throw new Error('not used');
  },
  result: () => Promise.reject(new Error('not used')),
};

let sim: SimulatorProcess | undefined;
let monitor: ProcessMonitor | undefined;
interface Row {
  round: number;
  variant: string;
  fixed: StepFigures;
  max: StepFigures | null;
}
const rows: Row[] = [];
const loadAtStart = os.loadavg().map((l) => l.toFixed(2));
try {
  log(`ab: load average ${loadAtStart.join(' ')}; building ${variants.map((v) => v.name).join(', ')}`);
  for (const v of variants) v.bundle = await bundleOf(v);
  sim = await startSimulatorProcess(ctx, { users: userCount + PROBE_SESSIONS * variants.length });
  monitor = new ProcessMonitor({ simulator: sim.child.pid }).start();
  const users = new UserCursor(userCount);
  for (const [i, v] of variants.entries()) {
    const inspect = sampled(v.name) ? ['--inspect=127.0.0.1:0'] : [];
    const gw = await startGatewayProcess(ctx, sim, {
      id: `ab-${v.name}`,
      bundle: v.bundle!,
      nodeFlags: [...v.flags, ...inspect],
    });
    v.gateway = gw;
    await until(async () => (await gw.health()).directory.users >= userCount, 180_000, `${v.name} directory`);
    monitor.watch(v.name, gw.child.pid);
    const probe = await LoadProcess.start(`probe-${v.name}`);
    v.probe = probe;
    await probe.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, 1);
    const probeUsers: LoadUser[] = Array.from({ length: PROBE_SESSIONS }, (_, k) => {
      const n = userCount + i * PROBE_SESSIONS + k;
      return { id: `user${n}`, dn: generatedDn(n) };
    });
    const opened = await probe.open(probeUsers, PROBE_SESSIONS, true);
    if (opened.failed > 0) throw new Error(`${v.name} probe: ${JSON.stringify(opened.failures)}`);
    v.runner = new FlowRunner(ctx, {
      name: `ab/${v.name}`,
      target: `${gw.sip.host}:${gw.sip.port}`,
      monitor,
      users,
      server: v.name,
      probe,
      metrics: () => gw.metricsText(),
    });
  }
  const variables = { loops: LOOPS, dial: DIAL };
  const callRate = round(rate / perCall, 3);
  for (const v of variants) {
    // Warm-up: JIT and the directory's first lookups, not reported.
    await v.runner!.step('warm-up', SCENARIO_FLOW, {
      rate: callRate,
      limit: 10_000,
      calls: Math.round(callRate * 4),
      offered: callRate,
      requestsPerCall: perCall,
      variables,
    });
  }
  /** Per sampled variant: its inspector, the profiles of its fixed steps, the requests they served. */
  const allocOf = new Map<
    Variant,
    { inspector: InspectorSession; profiles: SamplingHeapProfile[]; requests: number; perRound: number[] }
  >();
  for (const v of variants) {
    if (!sampled(v.name)) continue;
    const url = v.gateway?.inspectorUrl;
    if (url == null) throw new Error(`--alloc: the inspector of ${v.name} did not start`);
    allocOf.set(v, {
      inspector: await InspectorSession.connect(url),
      profiles: [],
      requests: 0,
      perRound: [],
    });
  }
  for (const name of allocNames)
    if (name !== 'all' && !variants.some((v) => v.name === name))
      throw new Error(`--alloc: no variant ${name}`);
  for (let r = 0; r < rounds; r++) {
    const k = r % variants.length;
    const order = [...variants.slice(k), ...variants.slice(0, k)];
    log(`ab: round ${r + 1}/${rounds}: ${order.map((v) => v.name).join(', ')}`);
    for (const v of order) {
      const alloc = allocOf.get(v);
      if (alloc !== undefined) await alloc.inspector.startAllocationSampling();
      const fixed = await v.runner!.step(`round ${r + 1} ${rate}/s`, SCENARIO_FLOW, {
        rate: callRate,
        limit: 10_000,
        calls: Math.max(10, Math.round(callRate * seconds)),
        offered: callRate,
        requestsPerCall: perCall,
        variables,
        probeRate: PROBE_RATE,
      });
      if (alloc !== undefined) {
        const profile = await alloc.inspector.stopAllocationSampling();
        const requests = fixed.cstaRequests + (fixed.probe?.succeeded ?? 0);
        alloc.profiles.push(profile);
        alloc.requests += requests;
        alloc.perRound.push(summarizeAllocations(profile, 1).totalBytes / Math.max(1, requests));
      }
      const max = values.max
        ? await v.runner!.step(`round ${r + 1} maximum`, SCENARIO_FLOW, {
            rate: 100_000,
            limit: 100,
            calls: 2_000,
            offered: null,
            requestsPerCall: perCall,
            variables,
          })
        : null;
      rows.push({ round: r + 1, variant: v.name, fixed, max });
    }
  }
  monitor.stop();
  const top = Number(values['alloc-top']);
  for (const [v, alloc] of allocOf) {
    alloc.inspector.close();
    const out = join(
      values.json === undefined ? process.cwd() : dirname(values.json),
      `${v.name}.heapprofile`,
    );
    await writeFile(out, JSON.stringify(alloc.profiles[alloc.profiles.length - 1]));
    if (top <= 0) continue;
    let total = 0;
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    for (const p of alloc.profiles) {
      const sum = summarizeAllocations(p, 10_000);
      total += sum.totalBytes;
      for (const [k, b] of sum.self) self.set(k, (self.get(k) ?? 0) + b);
      for (const [k, b] of sum.inclusive) inclusive.set(k, (inclusive.get(k) ?? 0) + b);
    }
    const perReq = (b: number): string => `${(b / Math.max(1, alloc.requests)).toFixed(0)} B/req`;
    const table = (m: Map<string, number>): string =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([k, b]) => `  ${perReq(b).padStart(12)} ${((b / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
        .join('\n');
    log(
      `\nab: ${v.name} allocated ${perReq(total)} (sampled, ${alloc.requests} requests; last profile in ${out})\n` +
        `self:\n${table(self)}\ninclusive:\n${table(inclusive)}`,
    );
  }

  // ---- summary
  const of = (name: string): Row[] => rows.filter((row) => row.variant === name);
  const us = (x: number): string => `${Math.round(x)} µs`;
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const ratio = (x: number): string => `${x.toFixed(3)}×`;
  const first = variants[0]!.name;
  const perRoundRatio = (name: string, f: (row: Row) => number | null | undefined): (number | null)[] =>
    Array.from({ length: rounds }, (_, r) => {
      const a = rows.find((row) => row.round === r + 1 && row.variant === first);
      const b = rows.find((row) => row.round === r + 1 && row.variant === name);
      const x = a === undefined ? null : f(a);
      const y = b === undefined ? null : f(b);
      return x === null || x === undefined || y === null || y === undefined || x <= 0 ? null : y / x;
    });
  const lines = [
    `| variant | µs CPU/request at ${formatRate(rate)}/s | ratio to ${first} | GC share | main-thread GC | probe p99 | failed |` +
      (values.max ? ' maximum req/s | ratio to first |' : '') +
      (allocOf.size > 0 ? ' bytes allocated/request |' : ''),
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |' +
      (values.max ? ' ---: | ---: |' : '') +
      (allocOf.size > 0 ? ' ---: |' : ''),
  ];
  for (const v of variants) {
    const rs = of(v.name);
    const failed = rs.reduce((n, row) => n + row.fixed.calls.failed + (row.fixed.probe?.failed ?? 0), 0);
    lines.push(
      `| ${v.name} | ${formatSpread(spreadOf(rs.map((row) => row.fixed.serverCpuUsPerRequest)), us)} | ` +
        `${formatSpread(spreadOf(perRoundRatio(v.name, (row) => row.fixed.serverCpuUsPerRequest)), ratio)} | ` +
        `${formatSpread(spreadOf(rs.map((row) => row.fixed.gcShare?.share)), pct)} | ` +
        `${formatSpread(spreadOf(rs.map((row) => row.fixed.gcShare?.mainThreadShare)), pct)} | ` +
        `${formatSpread(spreadOf(rs.map((row) => row.fixed.probe?.latency.p99Ms)), formatMs)} | ${failed} |` +
        (values.max
          ? ` ${formatSpread(spreadOf(rs.map((row) => row.max?.cstaRequestsPerSec)), formatRate)} | ${formatSpread(spreadOf(perRoundRatio(v.name, (row) => row.max?.cstaRequestsPerSec)), ratio)} |`
          : '') +
        (allocOf.size > 0
          ? ` ${formatSpread(spreadOf(allocOf.get(v)?.perRound ?? []), (b) => `${Math.round(b).toLocaleString('en-US')} B`)} |`
          : ''),
    );
  }
  const loadAtEnd = os.loadavg().map((l) => l.toFixed(2));
  log(
    `\nab: ${rounds} rounds, load average at start ${loadAtStart.join(' ')}, at end ${loadAtEnd.join(' ')}\n` +
      lines.join('\n'),
  );
  if (values.json !== undefined)
    await writeFile(
      values.json,
      JSON.stringify(
        {
          variants: variants.map((v) => v.name),
          loadAverage: { start: loadAtStart.map(Number), end: loadAtEnd.map(Number) },
          allocBytesPerRequest: Object.fromEntries(
            [...allocOf].map(([v, alloc]) => [v.name, alloc.perRound.map((b) => Math.round(b))]),
          ),
          rows,
        },
        null,
        1,
      ),
    );
} finally {
  monitor?.stop();
  for (const v of variants) {
    await v.probe?.stop();
    await v.gateway?.child.stop(15_000);
  }
  await sim?.child.stop();
  await rm(workDir, { recursive: true, force: true });
}
