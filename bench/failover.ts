// Benchmark 5 — failover: what clients see when a CTI Manager node hangs or dies, and when it
// comes back (docs/architecture.md §6, docs/cti-link.md).
//
// Gateway (own process) on a 2-node simulator (own process, admin API on), S RCC sessions from the
// Node load client, spread round-robin over both nodes, each probing in a loop (GetDoNotDisturb,
// then a short pause). Twice — node 0 frozen then thawed, node 0 stopped then started — the
// benchmark drives the simulator's admin API and lines the client's answers up with it:
//   - detection: first "fail fast" answer (200 + CSTAErrorCode systemResourceAvailibility) after
//     the node was frozen/stopped; also when /health first shows the node not up;
//   - fail fast: how long requests on the dead node's sessions take to be refused once detected;
//   - restore: from the node's return to each affected session working again (by default the
//     gateway restores the session's monitors itself; with cti.sessionRecovery: reinvite the client
//     gets 481 and opens the session again with a new INVITE + MonitorStart, as Communicator does;
//     docs/msrcc.md §8).
import { generatedDn } from '../simulator/src/index.js';
import { LoadProcess } from './load/load-process.js';
import { ProbeOutcome, type LoadUser, type ProbeRecords } from './load/rcc-load-client.js';
import type { BenchContext } from './lib/context.js';
import { round } from './lib/proc-stats.js';
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
import { formatMs, summarize, type LatencySummary } from './lib/stats.js';

interface Plan {
  sessions: number;
  /** Freeze/thaw cycles (the heartbeat's phase at the moment of the freeze differs each time). */
  freezeCycles: number;
  heartbeatIntervalMs: number;
  pauseMs: number;
  /** Steady running before the failure, and time the node stays down after detection. */
  beforeMs: number;
  downMs: number;
  /** Longest wait for detection and for restoration. */
  timeoutMs: number;
}

const FULL: Plan = {
  sessions: 400,
  freezeCycles: 3,
  heartbeatIntervalMs: 1000,
  pauseMs: 20,
  beforeMs: 2000,
  downMs: 3000,
  timeoutMs: 20_000,
};
const QUICK: Plan = {
  sessions: 40,
  freezeCycles: 1,
  heartbeatIntervalMs: 500,
  pauseMs: 20,
  beforeMs: 500,
  downMs: 1000,
  timeoutMs: 10_000,
};

interface CycleFigures {
  kind: 'freeze' | 'stop';
  /** ms from the admin call to the first fail-fast answer seen by a client. */
  detectionMs: number | null;
  /** ms from the admin call to /health showing the node degraded (a heartbeat missed). */
  healthDegradedMs: number | null;
  /** ms from the admin call to /health showing the node down. */
  healthDownMs: number | null;
  /** Latency of requests refused fast (sent after detection, before the node came back). */
  failFastLatency: LatencySummary;
  /** Requests that were in flight when the node failed: how long they waited for their answer. */
  strandedRequests: LatencySummary;
  affectedSessions: number;
  /** ms from the admin call that brought the node back to /health showing it up. */
  healthUpMs: number | null;
  /** Per affected session: ms from the node's return to its first successful request again. */
  restore: LatencySummary;
  restoredSessions: number;
  reopened: number;
  otherFailures: number;
}

const wall = (): number => performance.timeOrigin + performance.now();

async function admin(url: string, path: string): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${await response.text()}`);
}

function analyse(
  kind: 'freeze' | 'stop',
  records: ProbeRecords,
  failAt: number,
  backAt: number,
  detection: { healthDegraded: number | null; healthDown: number | null; healthUp: number | null },
): CycleFigures {
  const n = records.outcome.length;
  let detectedAt = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const done = records.doneAt[i] as number;
    if (records.outcome[i] === ProbeOutcome.CstaUnavailable && done >= failAt && done < detectedAt)
      detectedAt = done;
  }
  const failFast: number[] = [];
  const stranded: number[] = [];
  const affected = new Set<number>();
  const restoredAt = new Map<number, number>();
  let reopened = 0;
  let otherFailures = 0;
  for (let i = 0; i < n; i++) {
    const outcome = records.outcome[i] as number;
    const sent = records.sentAt[i] as number;
    const done = records.doneAt[i] as number;
    const session = records.session[i] as number;
    if (done < failAt) continue;
    if (outcome === ProbeOutcome.CstaUnavailable || outcome === ProbeOutcome.Sip481) affected.add(session);
    if (outcome === ProbeOutcome.CstaUnavailable) {
      if (sent >= detectedAt && sent < backAt) failFast.push(done - sent);
      else if (sent < detectedAt) stranded.push(done - sent);
    }
    if (outcome === ProbeOutcome.Reopened) reopened++;
    if (
      outcome === ProbeOutcome.CstaOther ||
      outcome === ProbeOutcome.SipOther ||
      outcome === ProbeOutcome.Transport ||
      outcome === ProbeOutcome.ReopenFailed
    )
      otherFailures++;
  }
  for (let i = 0; i < n; i++) {
    const session = records.session[i] as number;
    const outcome = records.outcome[i] as number;
    const done = records.doneAt[i] as number;
    if (!affected.has(session) || done < backAt) continue;
    if ((outcome === ProbeOutcome.Ok || outcome === ProbeOutcome.Reopened) && !restoredAt.has(session))
      restoredAt.set(session, done);
  }
  return {
    kind,
    detectionMs: Number.isFinite(detectedAt) ? round(detectedAt - failAt, 1) : null,
    healthDegradedMs: detection.healthDegraded === null ? null : round(detection.healthDegraded - failAt, 1),
    healthDownMs: detection.healthDown === null ? null : round(detection.healthDown - failAt, 1),
    failFastLatency: summarize(failFast),
    strandedRequests: summarize(stranded),
    affectedSessions: affected.size,
    healthUpMs: detection.healthUp === null ? null : round(detection.healthUp - backAt, 1),
    restore: summarize([...restoredAt.values()].map((t) => t - backAt)),
    restoredSessions: restoredAt.size,
    reopened,
    otherFailures,
  };
}

export async function runFailover(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let load: LoadProcess | undefined;
  try {
    sim = await startSimulatorProcess(ctx, { users: plan.sessions, nodes: 2, admin: true });
    const adminUrl = sim.adminUrl;
    if (adminUrl === null) throw new Error('the simulator has no admin API');
    gateway = await startGatewayProcess(ctx, sim, {
      // A short heartbeat keeps the benchmark short; detection is reported against it. Reconnect
      // attempts are capped at 1 s apart so that "restore" measures the gateway, not a long backoff.
      cti: {
        heartbeatIntervalMs: plan.heartbeatIntervalMs,
        heartbeatMissLimit: 2,
        requestTimeoutMs: 2000,
        reconnectInitialMs: 200,
        reconnectMaxMs: 1000,
      },
    });
    const gw = gateway;
    await until(
      async () => {
        const h = await gw.health();
        return h.directory.users >= plan.sessions && h.cti.nodes.every((node) => node.state === 'up');
      },
      60_000,
      'both CTI connections up',
    );
    load = await LoadProcess.start();
    const client = load;
    await client.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, 2);
    const users: LoadUser[] = Array.from({ length: plan.sessions }, (_, i) => ({
      id: `user${i}`,
      dn: generatedDn(i),
    }));
    const opened = await client.open(users, 50, true);
    if (opened.failed > 0) throw new Error(`could not open the sessions: ${JSON.stringify(opened.failures)}`);
    const nodeAddress = (await gw.health()).cti.nodes[0]?.address ?? '';

    const cycle = async (kind: 'freeze' | 'stop'): Promise<CycleFigures> => {
      const probe = client.probe(plan.timeoutMs * 3, plan.pauseMs);
      await sleep(plan.beforeMs);
      const failAt = wall();
      await admin(adminUrl, `/nodes/0/${kind}`);
      let healthDegraded: number | null = null;
      let healthDown: number | null = null;
      await until(
        async () => {
          const node = (await gw.health()).cti.nodes.find((x) => x.address === nodeAddress);
          if (node !== undefined && node.state !== 'up') healthDegraded ??= wall();
          if (node !== undefined && node.state !== 'up' && node.state !== 'degraded') healthDown = wall();
          return healthDown !== null;
        },
        plan.timeoutMs,
        `node 0 seen down after ${kind}`,
        20,
      );
      await sleep(plan.downMs);
      const backAt = wall();
      await admin(adminUrl, kind === 'freeze' ? '/nodes/0/thaw' : '/nodes/0/start');
      let healthUp: number | null = null;
      await until(
        async () => {
          const node = (await gw.health()).cti.nodes.find((x) => x.address === nodeAddress);
          if (node?.state === 'up') healthUp = wall();
          return healthUp !== null;
        },
        plan.timeoutMs,
        `node 0 seen up after ${kind}`,
        20,
      );
      // Give every session time to be restored (or, with sessionRecovery: reinvite, to meet its 481 and open again).
      await sleep(Math.max(1000, plan.heartbeatIntervalMs * 2));
      await client.stopProbe();
      const records = await probe;
      const figures = analyse(kind, records, failAt, backAt, { healthDegraded, healthDown, healthUp });
      ctx.log(
        `failover: ${kind}: detected by clients after ${figures.detectionMs ?? '–'} ms (health ${figures.healthDownMs ?? '–'} ms); ` +
          `fail-fast p50 ${formatMs(figures.failFastLatency.p50Ms)} max ${formatMs(figures.failFastLatency.maxMs)}; ${figures.affectedSessions} sessions affected, ` +
          `${figures.restoredSessions} restored (p50 ${formatMs(figures.restore.p50Ms)}, max ${formatMs(figures.restore.maxMs)} after the node's return; health up after ${figures.healthUpMs ?? '–'} ms)`,
      );
      return figures;
    };

    const freezes: CycleFigures[] = [];
    for (let i = 0; i < plan.freezeCycles; i++) freezes.push(await cycle('freeze'));
    const stop = await cycle('stop');
    const twoIntervals = 2 * plan.heartbeatIntervalMs;
    const detections = freezes.map((f) => f.detectionMs);
    const worst = detections.some((d) => d === null) ? null : Math.max(...(detections as number[]));
    const targets: TargetCheck[] = [
      {
        target: `a frozen node detected within two heartbeat intervals (${twoIntervals} ms)`,
        measured: `${worst ?? 'never'} ms at worst over ${freezes.length} freeze${freezes.length === 1 ? '' : 's'} (clients: first fail-fast answer); /health down after ${freezes.map((f) => f.healthDownMs ?? '–').join(', ')} ms`,
        met: worst !== null && worst <= twoIntervals,
      },
    ];
    const row = (c: CycleFigures): string =>
      `| ${c.kind} | ${c.detectionMs ?? '–'} ms | ${c.healthDegradedMs ?? '–'} / ${c.healthDownMs ?? '–'} ms | ${formatMs(c.strandedRequests.maxMs)} | ${formatMs(c.failFastLatency.p50Ms)} / ${formatMs(c.failFastLatency.maxMs)} | ` +
      `${c.affectedSessions} | ${c.healthUpMs ?? '–'} ms | ${c.restoredSessions} | ${formatMs(c.restore.p50Ms)} / ${formatMs(c.restore.maxMs)} | ${c.otherFailures} |`;
    const summary = [
      `${plan.sessions} RCC sessions over 2 CTI Manager nodes, each probing every ${plan.pauseMs} ms; heartbeat ${plan.heartbeatIntervalMs} ms, miss limit 2. Node 0 is frozen then thawed (${plan.freezeCycles}×), then stopped then started.`,
      '',
      '| failure | detected (clients) | /health degraded / down | longest stranded request | fail-fast p50 / max | sessions affected | node up again after | sessions restored | restore p50 / max | other failures |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...freezes.map(row),
      row(stop),
      '',
      '"Restore" runs from the admin call that brought the node back to the session\'s first successful request: reconnection and the gateway restoring the monitors (transparent recovery, the default; docs/msrcc.md §8).',
    ];
    return await ctx.result('failover', {
      parameters: {
        plan,
        ctiNodes: 2,
        gatewayCti: {
          heartbeatIntervalMs: plan.heartbeatIntervalMs,
          heartbeatMissLimit: 2,
          requestTimeoutMs: 2000,
          reconnectInitialMs: 200,
          reconnectMaxMs: 1000,
        },
      },
      figures: { freeze: freezes[0], freezes, stop },
      targets,
      notes: [
        'Times are wall-clock, taken by the harness around its admin API call and by the load client around each request; both processes read the same clock.',
      ],
      summary,
    });
  } finally {
    await load?.stop();
    await gateway?.child.stop(15_000);
    await sim?.child.stop();
  }
}
