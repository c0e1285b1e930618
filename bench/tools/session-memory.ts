// What one more monitored session costs the gateway, and which objects make it up: a development
// tool beside the scale benchmark (docs/benchmarks.md, "scale"), for work on the records a held
// session keeps. The gateway runs as in the benchmarks (the bundle, or another build with
// --bundle), its V8 inspector open on loopback; the Node load client opens sessions (INVITE +
// MonitorStart) over a few TCP connections.
//
//   npx tsx bench/tools/session-memory.ts [--sessions 20000] [--warm 2000] [--bundle FILE] [--top 30]
//
// After `--warm` sessions (so that maps and pools have grown), a full GC gives the live heap and
// RSS; V8's sampling heap profiler then records the allocations made while `--sessions` more
// sessions open; after another full GC, what is still alive is what the sessions hold. Printed:
// live heap and RSS per session, and the live bytes per session by allocating function.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generatedDn } from '../../simulator/src/index.js';
import { LoadProcess } from '../load/load-process.js';
import type { LoadUser } from '../load/rcc-load-client.js';
import type { BenchContext } from '../lib/context.js';
import { InspectorSession, summarizeAllocations, type SamplingHeapProfile } from '../lib/inspector.js';
import { sampleProcess } from '../lib/proc-stats.js';
import {
  BENCH_DOMAIN,
  sleep,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type GatewayProcess,
  type SimulatorProcess,
} from '../lib/services.js';
import { formatBytes } from '../lib/stats.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '20000' },
    warm: { type: 'string', default: '2000' },
    bundle: { type: 'string' },
    top: { type: 'string', default: '30' },
  },
});
const N = Number(values.sessions);
const WARM = Number(values.warm);
const log = (m: string): void => void process.stdout.write(`${m}\n`);

const workDir = await mkdtemp(join(tmpdir(), 'deskline-session-memory-'));
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
let gateway: GatewayProcess | undefined;
let load: LoadProcess | undefined;
let inspector: InspectorSession | undefined;
try {
  const users = WARM + N;
  sim = await startSimulatorProcess(ctx, { users });
  gateway = await startGatewayProcess(ctx, sim, {
    nodeFlags: ['--inspect=127.0.0.1:0'],
    ...(values.bundle === undefined ? {} : { bundle: resolve(values.bundle) }),
  });
  const gw = gateway;
  if (gw.inspectorUrl === null) throw new Error('the gateway printed no inspector URL');
  inspector = await InspectorSession.connect(gw.inspectorUrl);
  await until(async () => (await gw.health()).directory.users >= users, 300_000, 'the gateway directory');
  load = await LoadProcess.start();
  await load.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, 10);
  const batch = (from: number, to: number): LoadUser[] => {
    const out: LoadUser[] = [];
    for (let i = from; i < to; i++) out.push({ id: `user${i}`, dn: generatedDn(i) });
    return out;
  };
  const warm = await load.open(batch(0, WARM), 200, true);
  if (warm.failed > 0) throw new Error(`warm-up sessions failed: ${JSON.stringify(warm.failures)}`);
  await sleep(2000);
  const heapBefore = await inspector.liveHeapBytes();
  const rssBefore = sampleProcess(gw.child.pid)?.rssBytes ?? 0;
  // Retention sampling: objects collected before stopSampling are not in the profile.
  await inspector.startRetentionSampling(1024);
  const opened = await load.open(batch(WARM, WARM + N), 200, true);
  if (opened.failed > 0) throw new Error(`sessions failed: ${JSON.stringify(opened.failures)}`);
  await until(async () => (await gw.health()).sessions >= WARM + N, 60_000, 'every session in /health');
  // Timer L (32 s) still holds the INVITE transactions of the last sessions: wait it out.
  await sleep(34_000);
  const heapAfter = await inspector.liveHeapBytes();
  const profile: SamplingHeapProfile = await inspector.stopAllocationSampling();
  const rssAfter = sampleProcess(gw.child.pid)?.rssBytes ?? 0;
  const summary = summarizeAllocations(profile, Number(values.top));
  const per = (b: number): string => `${(b / N).toFixed(0).padStart(6)} B`;
  log(
    `${N} sessions (after ${WARM}): live heap ${formatBytes(heapBefore)} → ${formatBytes(heapAfter)}: ` +
      `${((heapAfter - heapBefore) / N).toFixed(0)} B per session; RSS after GC ${formatBytes(rssBefore)} → ${formatBytes(rssAfter)}: ` +
      `${((rssAfter - rssBefore) / N).toFixed(0)} B per session; sampled as live: ${per(summary.totalBytes)}`,
  );
  log(`live per session by allocating function (self):`);
  for (const [where, bytes] of summary.self) log(`  ${per(bytes)}  ${where}`);
  log(`inclusive:`);
  for (const [where, bytes] of summary.inclusive) log(`  ${per(bytes)}  ${where}`);
} finally {
  inspector?.close();
  await load?.stop();
  await gateway?.child.stop(15_000);
  await sim?.child.stop();
  await rm(workDir, { recursive: true, force: true });
}
