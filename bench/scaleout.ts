// Benchmark "scaleout" — does the second core pay? (issue 14 item 4, docs/benchmarks.md,
// "scaleout"). The gateway's JavaScript runs on one thread; a host with C cores can run N
// gateway processes behind Kamailio's dispatcher (deploy/kamailio/kamailio.cfg, as deployed,
// with the TLSF allocator). This measures, on this host, in one run:
//
//   direct-1:  SIPp → gateway                               (one process, no balancer)
//   lb-1:      SIPp → Kamailio dispatcher → gateway          (what the balancer costs)
//   lb-N:      SIPp → Kamailio dispatcher → N gateways       (what N processes buy)
//
// All gateways share one CTI Manager simulator (one node, one CTI connection per gateway). Every
// process is started once; the legs are interleaved over rounds with the order rotated, as in
// the yardstick. Per leg and round: the closed-loop maximum (the host's capacity: verified CSTA
// requests/s) and a fixed-rate step with the probe (CPU per request of each component at equal
// load, and latency). SIPp's scenario is rcc-uac.xml, whose in-dialog requests carry the route
// set ([routes]) and whose answers are all checked, through the balancer as well.
import { LoadProcess } from './load/load-process.js';
import type { LoadUser } from './load/rcc-load-client.js';
import type { BenchContext } from './lib/context.js';
import {
  DIAL,
  FlowRunner,
  requestsPerCall,
  SCENARIO_FLOW,
  UserCursor,
  type StepFigures,
} from './lib/flow.js';
import { startBalancer, type KamailioProcess } from './lib/kamailio.js';
import { ProcessMonitor, round } from './lib/proc-stats.js';
import type { BenchResult, TargetCheck } from './lib/results.js';
import {
  BENCH_DOMAIN,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type GatewayProcess,
  type SimulatorProcess,
} from './lib/services.js';
import { formatMs, formatRate, formatSpread, spreadOf, type Spread } from './lib/stats.js';
import { rotation } from './yardstick.js';
import { availableParallelism } from 'node:os';
import { generatedDn } from '../simulator/src/index.js';

interface Plan {
  users: number;
  loops: number;
  gateways: number;
  rounds: number;
  warmupCalls: number;
  concurrency: number;
  maxSeconds: number;
  fixedRate: number;
  fixedSeconds: number;
  probeSessions: number;
  probeRate: number;
  kamailioWorkers: number;
}

const FULL: Plan = {
  users: 30_000,
  loops: 10,
  gateways: Math.max(2, availableParallelism()),
  rounds: 3,
  warmupCalls: 400,
  concurrency: 100,
  maxSeconds: 8,
  fixedRate: 4000,
  fixedSeconds: 6,
  probeSessions: 10,
  probeRate: 50,
  kamailioWorkers: 2,
};
const QUICK: Plan = {
  users: 2_000,
  loops: 10,
  gateways: 2,
  rounds: 1,
  warmupCalls: 40,
  concurrency: 20,
  maxSeconds: 2,
  fixedRate: 2000,
  fixedSeconds: 2,
  probeSessions: 4,
  probeRate: 20,
  kamailioWorkers: 2,
};

export interface ScaleoutOptions {
  gateways?: number;
  rounds?: number;
  fixedRate?: number;
}

export type ScaleoutLegId = 'direct-1' | 'lb-1' | 'lb-N';

/** CPU of each component during a step, µs per verified request. */
export interface ComponentCost {
  gateways: number | null;
  balancer: number | null;
  simulator: number | null;
  /** Everything on the server side of the host: gateways + balancer + simulator. */
  host: number | null;
}

export interface ScaleoutLegRound {
  max: StepFigures;
  fixed: StepFigures;
  maxCost: ComponentCost;
  fixedCost: ComponentCost;
  /** CPU of each gateway process during the maximum, % of a core. */
  gatewayCpuPercentAtMax: number[];
  clientBound: boolean;
}

export interface ScaleoutLegSummary {
  gateways: number;
  balanced: boolean;
  maxRequestsPerSec: Spread | null;
  hostCpuUsPerRequestAtMax: Spread | null;
  fixed: {
    gatewaysCpuUsPerRequest: Spread | null;
    balancerCpuUsPerRequest: Spread | null;
    simulatorCpuUsPerRequest: Spread | null;
    hostCpuUsPerRequest: Spread | null;
    probeP99Ms: Spread | null;
  };
  failedCalls: number;
  probeFailed: number;
  clientBoundRounds: number;
}

export interface ScaleoutFigures {
  gateways: number;
  cores: number;
  fixedRate: number;
  requestsPerCall: number;
  rounds: { round: number; order: ScaleoutLegId[]; legs: Record<ScaleoutLegId, ScaleoutLegRound> }[];
  legs: Record<ScaleoutLegId, ScaleoutLegSummary>;
  /** Within-round ratios over rounds: lb-N maximum / direct-1 maximum, lb-N / lb-1. */
  speedup: { overDirect: Spread | null; overOneBehindBalancer: Spread | null };
}

const LEG_ORDER: readonly ScaleoutLegId[] = ['direct-1', 'lb-1', 'lb-N'];

export async function runScaleout(ctx: BenchContext, options: ScaleoutOptions = {}): Promise<BenchResult> {
  const base = ctx.quick ? QUICK : FULL;
  const plan: Plan = {
    ...base,
    gateways: Math.max(2, options.gateways ?? base.gateways),
    rounds: options.rounds ?? base.rounds,
    fixedRate: options.fixedRate ?? base.fixedRate,
  };
  const perCall = requestsPerCall(plan.loops);
  const variables = { loops: plan.loops, dial: DIAL };
  let sim: SimulatorProcess | undefined;
  const gateways: GatewayProcess[] = [];
  const balancers: KamailioProcess[] = [];
  const probes: LoadProcess[] = [];
  let monitor: ProcessMonitor | undefined;
  try {
    ctx.log(`scaleout: simulator, ${plan.gateways} gateway processes, 2 balancers`);
    sim = await startSimulatorProcess(ctx, { users: plan.users + 3 * plan.probeSessions });
    for (let i = 1; i <= plan.gateways; i++) {
      const gw = await startGatewayProcess(ctx, sim, { id: `gw${i}` });
      gateways.push(gw);
    }
    for (const gw of gateways)
      await until(
        async () => (await gw.health()).directory.users >= plan.users,
        120_000,
        'the gateway directories',
      );
    const gw1 = gateways[0] as GatewayProcess;
    const lbOne = await startBalancer(
      ctx,
      'balancer-1',
      [{ id: 'gw1', port: gw1.sip.port }],
      plan.kamailioWorkers,
    );
    balancers.push(lbOne);
    const lbAll = await startBalancer(
      ctx,
      'balancer-n',
      gateways.map((g, i) => ({ id: `gw${i + 1}`, port: g.sip.port })),
      plan.kamailioWorkers,
    );
    balancers.push(lbAll);
    // The dispatcher marks nodes up once its first OPTIONS probe is answered.
    await new Promise((r) => setTimeout(r, 1500));

    const pids: Record<string, number> = { simulator: sim.child.pid };
    gateways.forEach((g, i) => (pids[`gw${i + 1}`] = g.child.pid));
    const lbOnePids = lbOne.pids();
    const lbAllPids = lbAll.pids();
    monitor = new ProcessMonitor({ ...pids, ...lbOnePids, ...lbAllPids }).start();
    const gatewayNames = gateways.map((_, i) => `gw${i + 1}`);

    const targets: Record<
      ScaleoutLegId,
      { host: string; port: number; gateways: string[]; balancer: string[] }
    > = {
      'direct-1': { host: gw1.sip.host, port: gw1.sip.port, gateways: ['gw1'], balancer: [] },
      'lb-1': { host: '127.0.0.1', port: lbOne.port, gateways: ['gw1'], balancer: Object.keys(lbOnePids) },
      'lb-N': {
        host: '127.0.0.1',
        port: lbAll.port,
        gateways: gatewayNames,
        balancer: Object.keys(lbAllPids),
      },
    };
    const users = new UserCursor(plan.users);
    const runners = {} as Record<ScaleoutLegId, FlowRunner>;
    for (const [k, id] of LEG_ORDER.entries()) {
      const t = targets[id];
      const probe = await LoadProcess.start(`probe-${id}`);
      probes.push(probe);
      await probe.connect(t.host, t.port, BENCH_DOMAIN, 1);
      const probeUsers: LoadUser[] = Array.from({ length: plan.probeSessions }, (_, j) => {
        const n = plan.users + k * plan.probeSessions + j;
        return { id: `user${n}`, dn: generatedDn(n) };
      });
      const opened = await probe.open(probeUsers, plan.probeSessions, true);
      if (opened.failed > 0) throw new Error(`${id} probe sessions: ${JSON.stringify(opened.failures)}`);
      monitor.watch(`probe-${id}`, probe.child.pid);
      runners[id] = new FlowRunner(ctx, {
        name: `scaleout/${id}`,
        target: `${t.host}:${t.port}`,
        monitor,
        users,
        server: t.gateways[0] as string,
        serverGroup: [...t.gateways, ...t.balancer],
        probe,
      });
    }

    const cost = (s: StepFigures, id: ScaleoutLegId): ComponentCost => {
      const t = targets[id];
      const requests = s.cstaRequests + (s.probe?.succeeded ?? 0);
      const per = (names: readonly string[]): number | null => {
        if (requests === 0 || names.length === 0) return null;
        const cpu = names.reduce((sum, n) => sum + (s.processes[n]?.cpuSeconds ?? 0), 0);
        return Math.round((cpu / requests) * 1e6);
      };
      const g = per(t.gateways);
      const b = per(t.balancer);
      const m = per(['simulator']);
      return { gateways: g, balancer: b, simulator: m, host: g === null ? null : g + (b ?? 0) + (m ?? 0) };
    };

    // ---- warm-up and first estimates
    const estimate: Record<ScaleoutLegId, number> = { 'direct-1': 0, 'lb-1': 0, 'lb-N': 0 };
    for (const id of LEG_ORDER) {
      estimate[id] = await runners[id].warmUpAndEstimate(SCENARIO_FLOW, {
        limit: plan.concurrency,
        warmupCalls: plan.warmupCalls,
        requestsPerCall: perCall,
        variables,
      });
    }

    const rounds: ScaleoutFigures['rounds'] = [];
    for (let r = 0; r < plan.rounds; r++) {
      const order = rotation(LEG_ORDER, r);
      ctx.log(`scaleout: round ${r + 1}/${plan.rounds}: ${order.join(', ')}`);
      const legs = {} as Record<ScaleoutLegId, ScaleoutLegRound>;
      for (const id of order) {
        const max = await runners[id].step(`round ${r + 1} maximum`, SCENARIO_FLOW, {
          rate: 100_000,
          limit: plan.concurrency,
          calls: Math.max(plan.concurrency * 2, Math.round((estimate[id] / perCall) * plan.maxSeconds)),
          offered: null,
          requestsPerCall: perCall,
          variables,
        });
        if (max.cstaRequestsPerSec > 0) estimate[id] = max.cstaRequestsPerSec;
        const callRate = round(plan.fixedRate / perCall, 3);
        const fixed = await runners[id].step(`round ${r + 1} ${plan.fixedRate}/s`, SCENARIO_FLOW, {
          rate: callRate,
          limit: 10_000,
          calls: Math.max(10, Math.round(callRate * plan.fixedSeconds)),
          offered: callRate,
          requestsPerCall: perCall,
          variables,
          probeRate: plan.probeRate,
        });
        legs[id] = {
          max,
          fixed,
          maxCost: cost(max, id),
          fixedCost: cost(fixed, id),
          gatewayCpuPercentAtMax: targets[id].gateways.map((n) => max.processes[n]?.cpuPercent ?? 0),
          clientBound: (max.processes['sipp']?.cpuPercent ?? 0) >= 90,
        };
      }
      rounds.push({ round: r + 1, order, legs });
    }
    monitor.stop();

    const summarize = (id: ScaleoutLegId): ScaleoutLegSummary => {
      const all = rounds.map((r) => r.legs[id]);
      let failedCalls = 0;
      let probeFailed = 0;
      for (const lr of all)
        for (const s of [lr.max, lr.fixed]) {
          failedCalls += s.calls.failed;
          probeFailed += s.probe?.failed ?? 0;
        }
      return {
        gateways: targets[id].gateways.length,
        balanced: targets[id].balancer.length > 0,
        maxRequestsPerSec: spreadOf(
          all.map((lr) => lr.max.cstaRequestsPerSec),
          1,
        ),
        hostCpuUsPerRequestAtMax: spreadOf(all.map((lr) => lr.maxCost.host)),
        fixed: {
          gatewaysCpuUsPerRequest: spreadOf(all.map((lr) => lr.fixedCost.gateways)),
          balancerCpuUsPerRequest: spreadOf(all.map((lr) => lr.fixedCost.balancer)),
          simulatorCpuUsPerRequest: spreadOf(all.map((lr) => lr.fixedCost.simulator)),
          hostCpuUsPerRequest: spreadOf(all.map((lr) => lr.fixedCost.host)),
          probeP99Ms: spreadOf(all.map((lr) => lr.fixed.probe?.latency.p99Ms)),
        },
        failedCalls,
        probeFailed,
        clientBoundRounds: all.filter((lr) => lr.clientBound).length,
      };
    };
    const legs: Record<ScaleoutLegId, ScaleoutLegSummary> = {
      'direct-1': summarize('direct-1'),
      'lb-1': summarize('lb-1'),
      'lb-N': summarize('lb-N'),
    };
    const ratio = (a: ScaleoutLegId, b: ScaleoutLegId): Spread | null =>
      spreadOf(
        rounds.map((r) => {
          const x = r.legs[a].max.cstaRequestsPerSec;
          const y = r.legs[b].max.cstaRequestsPerSec;
          return y > 0 ? x / y : null;
        }),
      );
    const figures: ScaleoutFigures = {
      gateways: plan.gateways,
      cores: availableParallelism(),
      fixedRate: plan.fixedRate,
      requestsPerCall: perCall,
      rounds,
      legs,
      speedup: { overDirect: ratio('lb-N', 'direct-1'), overOneBehindBalancer: ratio('lb-N', 'lb-1') },
    };
    const labels: Record<ScaleoutLegId, string> = {
      'direct-1': '1 gateway, no balancer',
      'lb-1': '1 gateway behind Kamailio',
      'lb-N': `${plan.gateways} gateways behind Kamailio`,
    };
    const us = (v: number): string => `${Math.round(v)} µs`;
    const x = (v: number): string => `${v.toFixed(2)}×`;
    const summary = [
      `${plan.gateways} gateway processes and Kamailio (deploy/kamailio/kamailio.cfg, TLSF, ${plan.kamailioWorkers} workers) on this ${availableParallelism()}-core host, one simulator, SIPp over one TCP connection; ` +
        `${plan.rounds} interleaved round(s), median [min–max].`,
      '',
      `**${plan.gateways} gateways behind Kamailio carry ${formatSpread(figures.speedup.overDirect, x)} the requests of one gateway alone** ` +
        `(${formatSpread(figures.speedup.overOneBehindBalancer, x)} of one gateway behind the same balancer).`,
      '',
      `| setup | maximum (req/s) | host µs CPU/request at maximum | at ${formatRate(plan.fixedRate)}/s: gateways µs/request | balancer µs/request | simulator µs/request | probe p99 | failed calls | client-bound rounds |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...LEG_ORDER.map((id) => {
        const s = legs[id];
        return (
          `| ${labels[id]} | ${formatSpread(s.maxRequestsPerSec, formatRate)} | ${formatSpread(s.hostCpuUsPerRequestAtMax, us)} | ${formatSpread(s.fixed.gatewaysCpuUsPerRequest, us)} | ` +
          `${formatSpread(s.fixed.balancerCpuUsPerRequest, us)} | ${formatSpread(s.fixed.simulatorCpuUsPerRequest, us)} | ${formatSpread(s.fixed.probeP99Ms, formatMs)} | ` +
          `${s.failedCalls + s.probeFailed > 0 ? `**${s.failedCalls} (+${s.probeFailed} probe)**` : '0'} | ${s.clientBoundRounds} |`
        );
      }),
      '',
      'Host CPU = gateways + balancer + simulator (SIPp, the client, excluded). The simulator stands for the CTI Manager, which a real deployment runs elsewhere: subtract its column for a gateway host.',
    ];
    const checks: TargetCheck[] = [];
    if (LEG_ORDER.some((id) => legs[id].failedCalls + legs[id].probeFailed > 0))
      checks.push({
        target: 'every call and probe request answered correctly',
        measured: LEG_ORDER.map(
          (id) => `${id}: ${legs[id].failedCalls} failed calls, ${legs[id].probeFailed} probe failures`,
        ).join('; '),
        met: false,
      });
    return await ctx.result('scaleout', {
      parameters: {
        plan,
        balancer: 'deploy/kamailio/kamailio.cfg (-x tlsf -X tlsf, LOG_LEVEL=1)',
        transport: 'SIPp -t t1 (one TCP connection)',
      },
      figures,
      targets: checks,
      notes: [
        'On a 2-core host the gateways, Kamailio, the simulator and SIPp compete for the same two cores: what N processes buy here is a lower bound of what they buy on a host where the CTI Manager and the clients run elsewhere.',
      ],
      summary,
    });
  } finally {
    monitor?.stop();
    for (const p of probes) await p.stop();
    for (const b of balancers) await b.stop();
    for (const g of gateways) await g.child.stop(15_000);
    await sim?.child.stop();
  }
}
