// Benchmark 2 — end to end: SIPp clients doing the Microsoft RCC flow over TCP against the
// gateway service (its own process, `service/src/cli.ts --config <generated YAML>`), on
// the CTI Manager simulator (its own process, a generated cluster; bench/processes/simulator.ts
// says why it is not the gateway's in-process demo simulator). Every CSTA request travels
// SIP → session → CTI link → simulator → back. One distinct user per call (SIPp injection CSV).
//
//   1. warm-up (not reported), so that V8 has optimised the hot paths;
//   2. session set-up rate: bench/sipp/rcc-setup.xml, closed loop (-l) with SIPp's rate far above
//      what the gateway can take, so the gateway sets the pace; a session is set up when its
//      MonitorStart is answered (INVITE → 200 → ACK → MonitorStart → 200);
//   3. maximum CSTA request rate: bench/sipp/rcc-uac.xml, closed loop, the same way;
//   4. latency at 25/50/75/100 % of that maximum: the same scenario open loop (-r, fixed rate).
// Response times: a Node probe (bench/load/) sending a few requests per second on its own
// sessions with a microsecond clock — the figure targets are judged on — and SIPp's -trace_rtt
// for every request (whole milliseconds), a second column. Throughput counts only the requests of
// calls whose every answer passed its check (bench/lib/flow.ts); the targets themselves are
// judged for the whole run in bench/lib/targets.ts.
// Gateway, simulator and SIPp CPU and RSS come from /proc, sampled every 500 ms.
import { LoadProcess } from './load/load-process.js';
import type { BenchContext } from './lib/context.js';
import {
  DIAL,
  FlowRunner,
  requestsPerCall,
  SCENARIO_FLOW,
  SCENARIO_SETUP,
  SETUP_REQUESTS_PER_CALL,
  UserCursor,
  type StepFigures,
} from './lib/flow.js';
import type { GcFigures } from './lib/gc.js';
import { ProcessMonitor, round } from './lib/proc-stats.js';
import type { BenchResult } from './lib/results.js';
import {
  BENCH_DOMAIN,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type GatewayProcess,
  type SimulatorProcess,
} from './lib/services.js';
import { formatBytes, formatMs, formatRate } from './lib/stats.js';
import { availableParallelism } from 'node:os';
import { generatedDn } from '../simulator/src/index.js';

interface Plan {
  users: number;
  loops: number;
  warmupCalls: number;
  setupConcurrency: number;
  setupSeconds: number;
  flowConcurrency: number;
  saturationSeconds: number;
  levelSeconds: number;
  levels: number[];
  probeSessions: number;
  probeRate: number;
}

const FULL: Plan = {
  users: 60_000,
  loops: 10,
  warmupCalls: 600,
  // Set-up is four round trips per session: 200 in flight keep the gateway, not latency, the limit.
  setupConcurrency: 200,
  setupSeconds: 10,
  flowConcurrency: 100,
  saturationSeconds: 15,
  levelSeconds: 15,
  levels: [25, 50, 75, 100],
  probeSessions: 20,
  probeRate: 50,
};

const QUICK: Plan = {
  users: 3_000,
  // The same request mix as the full run, so that per-request figures compare.
  loops: 10,
  warmupCalls: 50,
  setupConcurrency: 20,
  setupSeconds: 2,
  flowConcurrency: 20,
  saturationSeconds: 2,
  levelSeconds: 2,
  levels: [25, 50, 75, 100],
  probeSessions: 5,
  probeRate: 20,
};

/** "412 ms (3)": GC time in the step and the number of pauses over 10 ms. */
function gcCell(gc: GcFigures): string {
  let ms = 0;
  let long = 0;
  for (const g of Object.values(gc)) {
    ms += g.totalMs;
    long += g.over10ms;
  }
  return `${Math.round(ms)} ms (${long})`;
}

export interface E2eFigures {
  plan: { levels: number[]; probeRate: number; probeSessions: number };
  /** Sessions set up (MonitorStart answered) per second, closed loop. */
  sessionSetupsPerSec: number;
  /** Verified CSTA requests/s at the closed-loop maximum. */
  maxCstaRequestsPerSec: number;
  gatewayCpuPercentAtMaximum: number;
  gatewayCpuBoundAtMaximum: boolean;
  gatewayCpuUsPerRequestAtMaximum: number | null;
  oneCoreCapacityEstimate: number | null;
  leftAfterRun: { sessions: number; dialogs: number };
  sipReadPauses: number;
  /** levels: open loop at plan.levels % of the maximum, in order, with the probe alongside. */
  steps: { setup: StepFigures; saturation: StepFigures; levels: StepFigures[] };
}

export async function runEndToEnd(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const perCall = requestsPerCall(plan.loops);
  const variables = { loops: plan.loops, dial: DIAL };
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let monitor: ProcessMonitor | undefined;
  let probe: LoadProcess | undefined;
  try {
    ctx.log(`e2e: simulator with ${plan.users.toLocaleString('en-US')} generated users`);
    sim = await startSimulatorProcess(ctx, { users: plan.users + plan.probeSessions });
    gateway = await startGatewayProcess(ctx, sim);
    const gw = gateway;
    await until(
      async () => (await gw.health()).directory.users >= plan.users,
      120_000,
      'the gateway directory',
    );
    ctx.log(`e2e: gateway up (SIP ${gw.sip.host}:${gw.sip.port})`);
    // The probe's users are past the ones SIPp uses.
    probe = await LoadProcess.start('probe');
    await probe.connect(gw.sip.host, gw.sip.port, BENCH_DOMAIN, 1);
    const probeUsers = Array.from({ length: plan.probeSessions }, (_, k) => ({
      id: `user${plan.users + k}`,
      dn: generatedDn(plan.users + k),
    }));
    const probeOpen = await probe.open(probeUsers, plan.probeSessions, true);
    if (probeOpen.failed > 0) throw new Error(`probe sessions: ${JSON.stringify(probeOpen.failures)}`);
    monitor = new ProcessMonitor({
      gateway: gw.child.pid,
      simulator: sim.child.pid,
      probe: probe.child.pid,
    }).start();
    const runner = new FlowRunner(ctx, {
      name: 'e2e',
      target: `${gw.sip.host}:${gw.sip.port}`,
      monitor,
      users: new UserCursor(plan.users),
      server: 'gateway',
      probe,
      metrics: () => gw.metricsText(),
    });

    // 1. warm-up
    await runner.step('warm-up', SCENARIO_FLOW, {
      rate: 1000,
      limit: plan.flowConcurrency,
      calls: plan.warmupCalls,
      offered: null,
      requestsPerCall: perCall,
      variables,
    });

    // 2. session set-up rate, closed loop; a short calibration sizes the measured run.
    const setupProbe = await runner.step('set-up calibration', SCENARIO_SETUP, {
      rate: 100_000,
      limit: plan.setupConcurrency,
      calls: plan.setupConcurrency * 5,
      offered: null,
      requestsPerCall: SETUP_REQUESTS_PER_CALL,
    });
    const setupCalls = Math.max(
      plan.setupConcurrency * 5,
      Math.round(Math.max(100, setupProbe.sessionSetupsPerSec) * plan.setupSeconds),
    );
    const setupRun = await runner.step('session set-up (closed loop)', SCENARIO_SETUP, {
      rate: 100_000,
      limit: plan.setupConcurrency,
      calls: setupCalls,
      offered: null,
      requestsPerCall: SETUP_REQUESTS_PER_CALL,
    });

    // 3. maximum CSTA request rate, closed loop.
    const calibration = await runner.step('saturation calibration', SCENARIO_FLOW, {
      rate: 100_000,
      limit: plan.flowConcurrency,
      calls: plan.flowConcurrency * 2,
      offered: null,
      requestsPerCall: perCall,
      variables,
    });
    const saturationCalls = Math.max(
      plan.flowConcurrency * 2,
      Math.round((Math.max(100, calibration.cstaRequestsPerSec) / perCall) * plan.saturationSeconds),
    );
    const saturation = await runner.step('maximum (closed loop)', SCENARIO_FLOW, {
      rate: 100_000,
      limit: plan.flowConcurrency,
      calls: saturationCalls,
      offered: null,
      requestsPerCall: perCall,
      variables,
    });
    const maxRequestsPerSec = saturation.cstaRequestsPerSec;

    // 4. latency at fractions of the maximum, open loop, with the probe alongside.
    const levels: StepFigures[] = [];
    for (const percent of plan.levels) {
      const callRate = round((maxRequestsPerSec * percent) / 100 / perCall, 2);
      const calls = Math.max(10, Math.round(callRate * plan.levelSeconds));
      levels.push(
        await runner.step(`${percent} % of maximum`, SCENARIO_FLOW, {
          rate: callRate,
          limit: 10_000,
          calls,
          offered: callRate,
          requestsPerCall: perCall,
          variables,
          probeRate: plan.probeRate,
        }),
      );
    }
    monitor.stop();
    // Nothing may be left behind: every SIPp call ended with BYE (the probe's sessions remain).
    const after = await gw.health();

    // On a shared machine the closed-loop maximum is often set by the CPU the gateway could get,
    // not by the gateway: its CPU per request says what one whole core would carry.
    const gatewayCpu = saturation.processes['gateway']?.cpuPercent ?? 0;
    const oneCoreEstimate =
      saturation.serverCpuUsPerRequest === null ? null : Math.round(1e6 / saturation.serverCpuUsPerRequest);
    const cpuBound = gatewayCpu >= 85;

    const row = (s: StepFigures): string =>
      `| ${s.label} | ${s.offeredRequestsPerSec === null ? 'closed loop' : `${formatRate(s.offeredRequestsPerSec)} req/s`} | ${s.calls.successful}${s.calls.failed > 0 ? ` (**${s.calls.failed} failed**)` : ''} | ` +
      `${formatRate(s.cstaRequestsPerSec)} | ` +
      `${s.probe === null ? '–' : `${formatMs(s.probe.latency.p50Ms)} / ${formatMs(s.probe.latency.p99Ms)} / ${formatMs(s.probe.latency.p999Ms)}${s.probe.failed > 0 ? ` (**${s.probe.failed} failed**)` : ''}`} | ` +
      `${formatMs(s.latency.p50Ms)} / ${formatMs(s.latency.p99Ms)} / ${formatMs(s.latency.p999Ms)} | ` +
      `${s.processes['gateway']?.cpuPercent ?? '–'} % | ${formatBytes(s.processes['gateway']?.rssMaxBytes ?? 0)} | ${s.processes['simulator']?.cpuPercent ?? '–'} % | ${s.processes['sipp']?.cpuPercent ?? '–'} % | ${s.serverCpuUsPerRequest ?? '–'} | ` +
      `${s.gc === null ? '–' : gcCell(s.gc)} |`;
    const summary = [
      `SIPp over one TCP connection (-t t1), ${plan.users.toLocaleString('en-US')}-user generated cluster, one distinct user per call; ` +
        `${perCall} CSTA requests per session (MonitorStart, MakeCall, ClearConnection, ${plan.loops}× SnapshotDevice + GetDoNotDisturb, MonitorStop).`,
      '',
      `**Session set-up: ${formatRate(setupRun.sessionSetupsPerSec)}/s** (closed loop, ${plan.setupConcurrency} concurrent; set up = MonitorStart answered; INVITE → MonitorStart answered p50 ${formatMs(setupRun.setupLatency.p50Ms)}, p99 ${formatMs(setupRun.setupLatency.p99Ms)}, SIPp's clock). ` +
        `**Maximum: ${formatRate(maxRequestsPerSec)} CSTA requests/s** (closed loop, ${plan.flowConcurrency} concurrent sessions), ` +
        `with the gateway at ${gatewayCpu} % of a core` +
        (cpuBound
          ? '.'
          : ` — it was not CPU-bound: the rest of the machine set the pace (load average ${ctx.machine().loadAverage1m.toFixed(1)} at the start). At ${saturation.serverCpuUsPerRequest ?? '–'} µs of CPU per request, one whole core would carry ≈ ${oneCoreEstimate === null ? '–' : formatRate(oneCoreEstimate)} requests/s (an estimate, not a measurement).`),
      `After the run: ${after.sessions - plan.probeSessions} sessions and ${after.sip.dialogs - plan.probeSessions} dialogs left besides the probe's (0 expected). ` +
        `SIP read pauses (a connection at sip.maxPendingRequestsPerConnection unanswered): ${after.sip.readPauses}.`,
      '',
      '| step | offered | calls | CSTA req/s (verified) | probe p50 / p99 / p99.9 | SIPp p50 / p99 / p99.9 | gateway CPU | gateway RSS | simulator CPU | SIPp CPU | gateway µs CPU/request | gateway GC (pauses > 10 ms) |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row(setupRun),
      row(saturation),
      ...levels.map(row),
      '',
      `CPU in % of one core (the machine has ${availableParallelism()}). Probe: ${plan.probeSessions} more sessions sending ${plan.probeRate} requests/s, microsecond clock. ` +
        `SIPp: every INFO → 200, whole milliseconds (0 = under 1 ms). "CSTA req/s" counts only the requests of calls whose every answer passed its check.`,
    ];
    return await ctx.result('e2e', {
      parameters: {
        plan,
        requestsPerCall: perCall,
        transport: 'SIPp -t t1 (one TCP connection)',
        dial: DIAL,
        gatewayLogLevel: 'warn',
        ctiNodes: 1,
      },
      figures: {
        plan: { levels: plan.levels, probeRate: plan.probeRate, probeSessions: plan.probeSessions },
        sessionSetupsPerSec: setupRun.sessionSetupsPerSec,
        maxCstaRequestsPerSec: maxRequestsPerSec,
        gatewayCpuPercentAtMaximum: gatewayCpu,
        gatewayCpuBoundAtMaximum: cpuBound,
        gatewayCpuUsPerRequestAtMaximum: saturation.serverCpuUsPerRequest,
        oneCoreCapacityEstimate: oneCoreEstimate,
        leftAfterRun: {
          sessions: after.sessions - plan.probeSessions,
          dialogs: after.sip.dialogs - plan.probeSessions,
        },
        sipReadPauses: after.sip.readPauses,
        steps: { setup: setupRun, saturation, levels },
      } satisfies E2eFigures,
      targets: [],
      notes: [
        'Gateway, simulator, SIPp and the probe share this machine\'s cores; absolute rates move with whatever else runs (see the load average). "gateway µs CPU/request" is the steadier figure for comparing runs.',
        'SIPp measures response times with a millisecond clock read once per scheduler turn: values are whole milliseconds, quantized to its tick.',
      ],
      summary,
    });
  } finally {
    monitor?.stop();
    await probe?.stop();
    const how = await gateway?.child.stop(15_000);
    if (how === 'killed') ctx.log('e2e: the gateway did not stop within 15 s of SIGTERM and was killed');
    await sim?.child.stop();
  }
}
