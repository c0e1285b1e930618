// Benchmark 3 — scale: hold 10k, 50k and 100k concurrent Microsoft RCC sessions, each with its
// line monitored, and measure the gateway's memory per session and its request latency while
// they are held.
//
// The client is the Node load client (bench/load/), not SIPp: SIPp's -t t1 puts every dialog on
// one socket and -t tn one socket per dialog, and 100,000 sockets would need 100,000 file
// descriptors on each side of loopback (ulimit -n is 20,000 here) and as many ephemeral ports.
// A Lync front-end pool, like our client, carries many dialogs over a few connections.
//
// Memory per session, two ways (docs/benchmarks.md, "scale"):
//   - average: (gateway memory with N sessions − memory before the first session) / N;
//   - marginal: what one more session costs, the slope between levels (pairwise, and the
//     least-squares slope over all levels) — the figure a sizing rule needs, free of the
//     start-up and directory memory that the average spreads over the sessions.
// Memory is read after a full garbage collection forced through the gateway's V8 inspector
// (bench/lib/inspector.ts): the live V8 heap (Runtime.getHeapUsage) and RSS from /proc; RSS
// before that collection is kept too. The baseline already holds the whole cluster's directory.
import { generatedDn } from '../simulator/src/index.js';
import { LoadProcess } from './load/load-process.js';
import { RccRequestKind, type LoadUser } from './load/rcc-load-client.js';
import type { BenchContext } from './lib/context.js';
import { formatGc, gcDelta, readGc, type GcFigures } from './lib/gc.js';
import { InspectorSession } from './lib/inspector.js';
import { sampleProcess, round } from './lib/proc-stats.js';
import type { BenchResult } from './lib/results.js';
import {
  BENCH_DOMAIN,
  sleep,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type GatewayProcess,
  type SimulatorProcess,
} from './lib/services.js';
import { formatBytes, formatMs, formatRate, summarize, type LatencySummary } from './lib/stats.js';

interface Plan {
  levels: number[];
  connections: number;
  openConcurrency: number;
  requestRate: number;
  requestSeconds: number;
  settleMs: number;
}

const FULL: Plan = {
  levels: [10_000, 25_000, 50_000, 75_000, 100_000],
  connections: 10,
  openConcurrency: 200,
  requestRate: 1000,
  requestSeconds: 10,
  settleMs: 5000,
};
const QUICK: Plan = {
  levels: [200, 500, 800],
  connections: 2,
  openConcurrency: 50,
  requestRate: 100,
  requestSeconds: 1,
  settleMs: 500,
};

export interface LevelFigures {
  sessions: number;
  openedInStep: number;
  failedInStep: number;
  openSeconds: number;
  setupsPerSec: number;
  setupLatency: LatencySummary;
  /** RSS after the settle time, before the forced collection (what an operator's `ps` shows). */
  gatewayRssBytes: number;
  /** RSS right after a forced full collection. */
  gatewayRssAfterGcBytes: number;
  /** V8 heap in use without forcing a collection (/metrics), and live after a full collection. */
  gatewayHeapUsedBytes: number | null;
  gatewayLiveHeapBytes: number;
  /** Averages: (memory − baseline) / sessions. */
  bytesPerSession: number;
  rssAfterGcBytesPerSession: number;
  liveHeapBytesPerSession: number;
  /** Marginal: (memory − memory at the previous level) / (sessions − sessions there); null at the first level. */
  marginalRssAfterGcBytesPerSession: number | null;
  marginalLiveHeapBytesPerSession: number | null;
  simulatorRssBytes: number;
  requests: {
    offeredPerSec: number;
    succeeded: number;
    failed: number;
    failures: Record<string, number>;
    latency: LatencySummary;
  };
  /** The gateway's garbage collection while the requests ran. */
  gcDuringRequests: GcFigures;
}

function metricValue(text: string, name: string, label?: string): number | null {
  const re = new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (label === undefined || (m[1] ?? '').includes(label)) return Number(m[2]);
  }
  return null;
}

export interface ScaleFigures {
  baselineRssBytes: number;
  baselineRssAfterGcBytes: number;
  baselineHeapUsedBytes: number | null;
  baselineLiveHeapBytes: number;
  /** Least-squares slope of memory (after a full GC) over sessions held: bytes per more session. */
  marginalRssBytesPerSession: number | null;
  marginalLiveHeapBytesPerSession: number | null;
  levels: LevelFigures[];
}

/** Least-squares slope of y over x (null with fewer than two distinct x). */
export function slope(points: readonly (readonly [number, number])[]): number | null {
  if (points.length < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / points.length;
  const my = sy / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? null : num / den;
}

export async function runScale(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const users = Math.max(...plan.levels);
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let load: LoadProcess | undefined;
  let inspector: InspectorSession | undefined;
  try {
    ctx.log(`scale: simulator with ${users.toLocaleString('en-US')} generated users`);
    sim = await startSimulatorProcess(ctx, { users });
    gateway = await startGatewayProcess(ctx, sim, { nodeFlags: ['--inspect=127.0.0.1:0'] });
    const gw = gateway;
    if (gw.inspectorUrl === null) throw new Error('the gateway printed no inspector URL');
    inspector = await InspectorSession.connect(gw.inspectorUrl);
    const heap = inspector;
    await until(async () => (await gw.health()).directory.users >= users, 300_000, 'the gateway directory');
    load = await LoadProcess.start();
    await load.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, plan.connections);
    // Let start-up garbage settle before the baseline.
    await sleep(plan.settleMs);
    const base = sampleProcess(gw.child.pid);
    const baseHeap = metricValue(await gw.metricsText(), 'deskline_nodejs_heap_size_used_bytes');
    const baseLive = await heap.liveHeapBytes();
    const baseAfterGc = sampleProcess(gw.child.pid);
    if (base === undefined || baseAfterGc === undefined)
      throw new Error('cannot read the gateway process from /proc');
    ctx.log(
      `scale: baseline gateway RSS ${formatBytes(base.rssBytes)}, ${formatBytes(baseAfterGc.rssBytes)} and live heap ${formatBytes(baseLive)} after a full GC (directory of ${users} users loaded)`,
    );

    const levels: LevelFigures[] = [];
    let opened = 0;
    for (const level of plan.levels) {
      const batch: LoadUser[] = [];
      for (let i = opened; i < level; i++) batch.push({ id: `user${i}`, dn: generatedDn(i) });
      const report = await load.open(batch, plan.openConcurrency, true);
      opened = level;
      if (report.failed > 0)
        ctx.log(`scale: ${report.failed} sessions failed to open: ${JSON.stringify(report.failures)}`);
      await until(
        async () => (await gw.health()).sessions >= level - report.failed,
        60_000,
        `${level} sessions in /health`,
      );
      await sleep(plan.settleMs);
      const sample = sampleProcess(gw.child.pid);
      const simSample = sampleProcess(sim.child.pid);
      const heapUsed = metricValue(await gw.metricsText(), 'deskline_nodejs_heap_size_used_bytes');
      const live = await heap.liveHeapBytes();
      const afterGc = sampleProcess(gw.child.pid)?.rssBytes ?? 0;
      const health = await gw.health();
      const metricsBefore = await gw.metricsText();
      const requests = await load.requests(plan.requestRate, plan.requestSeconds * 1000, [
        RccRequestKind.SnapshotDevice,
        RccRequestKind.GetDoNotDisturb,
      ]);
      const gcDuringRequests = gcDelta(readGc(metricsBefore), readGc(await gw.metricsText()));
      const rss = sample?.rssBytes ?? 0;
      const previous = levels[levels.length - 1];
      const added = previous === undefined ? 0 : health.sessions - previous.sessions;
      const figures: LevelFigures = {
        sessions: health.sessions,
        openedInStep: report.succeeded,
        failedInStep: report.failed,
        openSeconds: round(report.elapsedMs / 1000, 1),
        setupsPerSec: round(report.succeeded / (report.elapsedMs / 1000), 1),
        setupLatency: summarize(report.latencyMs),
        gatewayRssBytes: rss,
        gatewayRssAfterGcBytes: afterGc,
        gatewayHeapUsedBytes: heapUsed,
        gatewayLiveHeapBytes: live,
        bytesPerSession: Math.round((rss - base.rssBytes) / Math.max(1, health.sessions)),
        rssAfterGcBytesPerSession: Math.round(
          (afterGc - baseAfterGc.rssBytes) / Math.max(1, health.sessions),
        ),
        liveHeapBytesPerSession: Math.round((live - baseLive) / Math.max(1, health.sessions)),
        marginalRssAfterGcBytesPerSession:
          previous === undefined || added <= 0
            ? null
            : Math.round((afterGc - previous.gatewayRssAfterGcBytes) / added),
        marginalLiveHeapBytesPerSession:
          previous === undefined || added <= 0
            ? null
            : Math.round((live - previous.gatewayLiveHeapBytes) / added),
        simulatorRssBytes: simSample?.rssBytes ?? 0,
        requests: {
          offeredPerSec: plan.requestRate,
          succeeded: requests.succeeded,
          failed: requests.failed,
          failures: requests.failures,
          latency: summarize(requests.latencyMs),
        },
        gcDuringRequests,
      };
      levels.push(figures);
      ctx.log(
        `scale: ${figures.sessions} sessions held: gateway RSS ${formatBytes(rss)} (${formatBytes(afterGc)} after a full GC; ${formatBytes(figures.rssAfterGcBytesPerSession)}/session on average, ` +
          `${figures.marginalRssAfterGcBytesPerSession === null ? '–' : formatBytes(figures.marginalRssAfterGcBytesPerSession)} marginal), live heap ${formatBytes(live)} (${figures.marginalLiveHeapBytesPerSession === null ? '–' : formatBytes(figures.marginalLiveHeapBytesPerSession)} marginal), ` +
          `opened at ${formatRate(figures.setupsPerSec)}/s; requests at ${plan.requestRate}/s p50 ${formatMs(figures.requests.latency.p50Ms)} p99 ${formatMs(figures.requests.latency.p99Ms)} (${requests.failed} failed); gateway GC meanwhile: ${formatGc(gcDuringRequests)}`,
      );
    }

    const slopeRss = slope(levels.map((l) => [l.sessions, l.gatewayRssAfterGcBytes]));
    const slopeLive = slope(levels.map((l) => [l.sessions, l.gatewayLiveHeapBytes]));
    const top = levels[levels.length - 1];
    const kib = (b: number | null): string => (b === null ? '–' : formatBytes(b));
    const summary = [
      `Node load client (bench/load/), ${plan.connections} TCP connections carrying every dialog; each session monitors its line. ` +
        `Baseline gateway RSS ${formatBytes(base.rssBytes)} (${formatBytes(baseAfterGc.rssBytes)} after a full GC, live heap ${formatBytes(baseLive)}) with the ${users.toLocaleString('en-US')}-user directory loaded.`,
      '',
      `**Marginal memory per monitored session: ${kib(slopeRss === null ? null : Math.round(slopeRss))} RSS, ${kib(slopeLive === null ? null : Math.round(slopeLive))} of it live V8 heap** ` +
        `(least-squares slope over the levels, after a forced full GC)${top === undefined ? '' : `; ${top.sessions.toLocaleString('en-US')} sessions held in ${formatBytes(top.gatewayRssBytes)} RSS`}.`,
      '',
      '| sessions held | gateway RSS | RSS after full GC | live V8 heap | per session: RSS (average / marginal) | per session: live heap (average / marginal) | set-ups/s while opening | requests while held | p50 | p99 | p99.9 | gateway GC meanwhile | failed |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...levels.map(
        (l) =>
          `| ${l.sessions.toLocaleString('en-US')} | ${formatBytes(l.gatewayRssBytes)} | ${formatBytes(l.gatewayRssAfterGcBytes)} | ${formatBytes(l.gatewayLiveHeapBytes)} | ` +
          `${formatBytes(l.rssAfterGcBytesPerSession)} / ${kib(l.marginalRssAfterGcBytesPerSession)} | ${formatBytes(l.liveHeapBytesPerSession)} / ${kib(l.marginalLiveHeapBytesPerSession)} | ` +
          `${formatRate(l.setupsPerSec)} | ${l.requests.offeredPerSec}/s | ` +
          `${formatMs(l.requests.latency.p50Ms)} | ${formatMs(l.requests.latency.p99Ms)} | ${formatMs(l.requests.latency.p999Ms)} | ` +
          `${formatGc(l.gcDuringRequests)} | ${l.requests.failed + l.failedInStep} |`,
      ),
    ];
    return await ctx.result('scale', {
      parameters: { plan, clusterUsers: users, client: 'bench/load (Node, TCP)', gatewayLogLevel: 'warn' },
      figures: {
        baselineRssBytes: base.rssBytes,
        baselineRssAfterGcBytes: baseAfterGc.rssBytes,
        baselineHeapUsedBytes: baseHeap,
        baselineLiveHeapBytes: baseLive,
        marginalRssBytesPerSession: slopeRss === null ? null : Math.round(slopeRss),
        marginalLiveHeapBytesPerSession: slopeLive === null ? null : Math.round(slopeLive),
        levels,
      } satisfies ScaleFigures,
      targets: [],
      notes: [
        'RSS is what the kernel charges the gateway process. Before a full collection it includes garbage; after one, V8 may still keep freed pages for a while, so RSS per session stays an upper bound of what a session needs. The live heap after a full collection is what sessions really hold in V8.',
      ],
      summary,
    });
  } finally {
    inspector?.close();
    await load?.stop();
    const how = await gateway?.child.stop(20_000);
    if (how === 'killed') ctx.log('scale: the gateway did not stop within 20 s of SIGTERM and was killed');
    await sim?.child.stop();
  }
}
