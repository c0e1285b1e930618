// Benchmark 3 — scale: hold 10k, 50k and 100k concurrent Microsoft RCC sessions, each with its
// line monitored, and measure the gateway's memory per session and its request latency while
// they are held.
//
// The client is the Node load client (bench/load/), not SIPp: SIPp's -t t1 puts every dialog on
// one socket and -t tn one socket per dialog, and 100,000 sockets would need 100,000 file
// descriptors on each side of loopback (ulimit -n is 20,000 here) and as many ephemeral ports.
// A Lync front-end pool, like our client, carries many dialogs over a few connections.
//
// Memory per session = (gateway RSS with N sessions − RSS before the first session) / N, RSS from
// /proc after the sessions are open and the gateway has been idle for a few seconds. The
// gateway's V8 heap (from its /metrics) is reported beside it. The baseline already holds the
// directory of the whole cluster (100,000 users).
import { generatedDn } from '../simulator/src/index.js';
import { LoadProcess } from './load/load-process.js';
import { RccRequestKind, type LoadUser } from './load/rcc-load-client.js';
import type { BenchContext } from './lib/context.js';
import { formatGc, gcDelta, readGc, type GcFigures } from './lib/gc.js';
import { sampleProcess, round } from './lib/proc-stats.js';
import type { BenchResult, TargetCheck } from './lib/results.js';
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
  levels: [10_000, 50_000, 100_000],
  connections: 10,
  openConcurrency: 200,
  requestRate: 1000,
  requestSeconds: 10,
  settleMs: 5000,
};
const QUICK: Plan = {
  levels: [200, 500],
  connections: 2,
  openConcurrency: 50,
  requestRate: 100,
  requestSeconds: 1,
  settleMs: 500,
};

interface LevelFigures {
  sessions: number;
  openedInStep: number;
  failedInStep: number;
  openSeconds: number;
  setupsPerSec: number;
  setupLatency: LatencySummary;
  gatewayRssBytes: number;
  gatewayHeapUsedBytes: number | null;
  bytesPerSession: number;
  heapBytesPerSession: number | null;
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

export async function runScale(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const users = Math.max(...plan.levels);
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let load: LoadProcess | undefined;
  try {
    ctx.log(`scale: simulator with ${users.toLocaleString('en-US')} generated users`);
    sim = await startSimulatorProcess(ctx, { users });
    gateway = await startGatewayProcess(ctx, sim);
    const gw = gateway;
    await until(async () => (await gw.health()).directory.users >= users, 300_000, 'the gateway directory');
    load = await LoadProcess.start();
    await load.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, plan.connections);
    // Let start-up garbage settle before the baseline.
    await sleep(plan.settleMs);
    const base = sampleProcess(gw.child.pid);
    const baseHeap = metricValue(await gw.metricsText(), 'deskline_nodejs_heap_size_used_bytes');
    if (base === undefined) throw new Error('cannot read the gateway process from /proc');
    ctx.log(`scale: baseline gateway RSS ${formatBytes(base.rssBytes)} (directory of ${users} users loaded)`);

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
      const metricsBefore = await gw.metricsText();
      const heap = metricValue(metricsBefore, 'deskline_nodejs_heap_size_used_bytes');
      const health = await gw.health();
      const requests = await load.requests(plan.requestRate, plan.requestSeconds * 1000, [
        RccRequestKind.SnapshotDevice,
        RccRequestKind.GetDoNotDisturb,
      ]);
      const gcDuringRequests = gcDelta(readGc(metricsBefore), readGc(await gw.metricsText()));
      const rss = sample?.rssBytes ?? 0;
      const figures: LevelFigures = {
        sessions: health.sessions,
        openedInStep: report.succeeded,
        failedInStep: report.failed,
        openSeconds: round(report.elapsedMs / 1000, 1),
        setupsPerSec: round(report.succeeded / (report.elapsedMs / 1000), 1),
        setupLatency: summarize(report.latencyMs),
        gatewayRssBytes: rss,
        gatewayHeapUsedBytes: heap,
        bytesPerSession: Math.round((rss - base.rssBytes) / Math.max(1, health.sessions)),
        heapBytesPerSession:
          heap === null || baseHeap === null
            ? null
            : Math.round((heap - baseHeap) / Math.max(1, health.sessions)),
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
        `scale: ${figures.sessions} sessions held: gateway RSS ${formatBytes(rss)} (${formatBytes(figures.bytesPerSession)}/session), heap ${formatBytes(heap ?? 0)}, ` +
          `opened at ${formatRate(figures.setupsPerSec)}/s; requests at ${plan.requestRate}/s p50 ${formatMs(figures.requests.latency.p50Ms)} p99 ${formatMs(figures.requests.latency.p99Ms)} (${requests.failed} failed); gateway GC meanwhile: ${formatGc(gcDuringRequests)}`,
      );
    }

    const top = levels[levels.length - 1];
    const targets: TargetCheck[] =
      ctx.quick || top === undefined
        ? []
        : [
            {
              target: '100,000 concurrent sessions under 2 GiB RSS',
              measured: `${top.sessions.toLocaleString('en-US')} sessions: ${formatBytes(top.gatewayRssBytes)}`,
              met: top.sessions >= 100_000 && top.gatewayRssBytes < 2 * 2 ** 30,
            },
          ];
    const summary = [
      `Node load client (bench/load/), ${plan.connections} TCP connections carrying every dialog; each session monitors its line. ` +
        `Baseline gateway RSS ${formatBytes(base.rssBytes)} with the ${users.toLocaleString('en-US')}-user directory loaded.`,
      '',
      '| sessions held | gateway RSS | per session (RSS) | V8 heap used | per session (heap) | set-ups/s while opening | requests while held | p50 | p99 | p99.9 | gateway GC meanwhile | failed |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...levels.map(
        (l) =>
          `| ${l.sessions.toLocaleString('en-US')} | ${formatBytes(l.gatewayRssBytes)} | ${formatBytes(l.bytesPerSession)} | ${l.gatewayHeapUsedBytes === null ? '–' : formatBytes(l.gatewayHeapUsedBytes)} | ` +
          `${l.heapBytesPerSession === null ? '–' : formatBytes(l.heapBytesPerSession)} | ${formatRate(l.setupsPerSec)} | ${l.requests.offeredPerSec}/s | ` +
          `${formatMs(l.requests.latency.p50Ms)} | ${formatMs(l.requests.latency.p99Ms)} | ${formatMs(l.requests.latency.p999Ms)} | ` +
          `${formatGc(l.gcDuringRequests)} | ${l.requests.failed + l.failedInStep} |`,
      ),
    ];
    return await ctx.result('scale', {
      parameters: { plan, clusterUsers: users, client: 'bench/load (Node, TCP)', gatewayLogLevel: 'warn' },
      figures: { baselineRssBytes: base.rssBytes, baselineHeapUsedBytes: baseHeap, levels },
      targets,
      notes: [
        'RSS is what the kernel charges the gateway process; V8 may hold freed heap for a while, so RSS per session is an upper bound of what a session needs.',
      ],
      summary,
    });
  } finally {
    await load?.stop();
    const how = await gateway?.child.stop(20_000);
    if (how === 'killed') ctx.log('scale: the gateway did not stop within 20 s of SIGTERM and was killed');
    await sim?.child.stop();
  }
}
