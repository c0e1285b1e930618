// Benchmark 4 — side by side: the same SIPp scenario shape through Kamailio, a C SIP server,
// on this machine in the same run, so that the gateway's figures read as a ratio to it.
//
//   gateway leg:  SIPp rcc-uac.xml → gateway → CTI link → simulator   (real CSTA work)
//   Kamailio leg: SIPp relay-uac.xml → Kamailio (stateful t_relay, record-routing,
//                 bench/kamailio/kamailio.cfg) → SIPp relay-uas.xml     (SIP relaying only)
// Both legs carry the same messages (INVITE with a CSTA body, ACK, 24 INFOs with CSTA bodies, BYE)
// over one TCP connection from SIPp. Each leg: warm-up, closed-loop maximum, then an open-loop
// step at the same fixed rate (half the gateway's maximum), where CPU per request and latency are
// compared. The legs run one after the other, so they do not compete for the cores.
// Kamailio runs as Debian configures it for a small box: 2 worker processes (-n/-N 2).
import { mkdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { type BenchContext, REPO_ROOT } from './lib/context.js';
import { startChild, type Child } from './lib/children.js';
import {
  DIAL,
  FlowRunner,
  requestsPerCall,
  SCENARIO_FLOW,
  SCENARIO_RELAY,
  SCENARIO_RELAY_UAS,
  UserCursor,
  type StepFigures,
} from './lib/flow.js';
import { childrenOf, ProcessMonitor, round } from './lib/proc-stats.js';
import type { BenchResult } from './lib/results.js';
import {
  startGatewayProcess,
  startSimulatorProcess,
  until,
  sleep,
  type GatewayProcess,
  type SimulatorProcess,
} from './lib/services.js';
import { freePort } from './lib/sipp.js';
import { formatMs, formatRate } from './lib/stats.js';

const KAMAILIO_CFG = join(REPO_ROOT, 'bench/kamailio/kamailio.cfg');

interface Plan {
  users: number;
  loops: number;
  warmupCalls: number;
  concurrency: number;
  saturationSeconds: number;
  fixedSeconds: number;
  kamailioWorkers: number;
}

const FULL: Plan = {
  users: 30_000,
  loops: 10,
  warmupCalls: 400,
  concurrency: 100,
  saturationSeconds: 15,
  fixedSeconds: 15,
  kamailioWorkers: 2,
};
const QUICK: Plan = {
  users: 2_000,
  loops: 10,
  warmupCalls: 40,
  concurrency: 20,
  saturationSeconds: 2,
  fixedSeconds: 2,
  kamailioWorkers: 2,
};

interface Leg {
  name: string;
  saturation: StepFigures;
  fixed: StepFigures | undefined;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function saturate(
  runner: FlowRunner,
  scenario: string,
  plan: Plan,
  variables: Record<string, string | number>,
): Promise<StepFigures> {
  const perCall = requestsPerCall(plan.loops);
  await runner.step('warm-up', scenario, {
    rate: 1000,
    limit: plan.concurrency,
    calls: plan.warmupCalls,
    offered: null,
    variables,
  });
  const calibration = await runner.step('calibration', scenario, {
    rate: 100_000,
    limit: plan.concurrency,
    calls: plan.concurrency * 2,
    offered: null,
    variables,
  });
  const calls = Math.max(
    plan.concurrency * 2,
    Math.round((Math.max(100, calibration.cstaRequestsPerSec) / perCall) * plan.saturationSeconds),
  );
  return runner.step('maximum (closed loop)', scenario, {
    rate: 100_000,
    limit: plan.concurrency,
    calls,
    offered: null,
    variables,
  });
}

export async function runKamailio(ctx: BenchContext): Promise<BenchResult> {
  const plan = ctx.quick ? QUICK : FULL;
  const perCall = requestsPerCall(plan.loops);
  const variables = { loops: plan.loops, dial: DIAL };
  const users = new UserCursor(plan.users);
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let uas: Child | undefined;
  let kamailio: Child | undefined;
  let monitor: ProcessMonitor | undefined;
  try {
    // ---- gateway leg
    sim = await startSimulatorProcess(ctx, { users: plan.users });
    gateway = await startGatewayProcess(ctx, sim);
    const gw = gateway;
    await until(
      async () => (await gw.health()).directory.users >= plan.users,
      120_000,
      'the gateway directory',
    );
    monitor = new ProcessMonitor({ gateway: gw.child.pid, simulator: sim.child.pid }).start();
    const gwRunner = new FlowRunner(ctx, {
      name: 'kamailio/gateway',
      target: `${gw.sip.host}:${gw.sip.port}`,
      monitor,
      users,
      server: 'gateway',
      metrics: () => gw.metricsText(),
    });
    const gwSaturation = await saturate(gwRunner, SCENARIO_FLOW, plan, variables);
    const fixedRequestRate = Math.max(50, gwSaturation.cstaRequestsPerSec / 2);
    const fixedCallRate = round(fixedRequestRate / perCall, 2);
    const fixedCalls = Math.max(10, Math.round(fixedCallRate * plan.fixedSeconds));
    const gwFixed = await gwRunner.step('fixed rate', SCENARIO_FLOW, {
      rate: fixedCallRate,
      limit: 10_000,
      calls: fixedCalls,
      offered: fixedCallRate,
      variables,
    });
    monitor.stop();
    await gw.child.stop(15_000);
    await sim.child.stop();
    gateway = undefined;
    sim = undefined;

    // ---- Kamailio leg
    const uasPort = await freePort();
    const uasDir = join(ctx.workDir, 'uas');
    await mkdir(uasDir, { recursive: true });
    uas = startChild(
      'sipp-uas',
      'sipp',
      [
        '-sf',
        SCENARIO_RELAY_UAS,
        '-t',
        't1',
        '-p',
        String(uasPort),
        '-i',
        '127.0.0.1',
        '-nostdin',
        '-timer_resol',
        '1',
        '-max_recv_loops',
        '10000',
        '-trace_err',
        '-error_file',
        'errors.log',
      ],
      {
        cwd: uasDir,
        captureStdout: false,
      },
    );
    const kamPort = await freePort();
    kamailio = startChild(
      'kamailio',
      'kamailio',
      [
        '-f',
        KAMAILIO_CFG,
        '-DD',
        '-E',
        '-l',
        `tcp:127.0.0.1:${kamPort}`,
        '-n',
        String(plan.kamailioWorkers),
        '-N',
        String(plan.kamailioWorkers),
        '-A',
        `UAS_URI="sip:127.0.0.1:${uasPort};transport=tcp"`,
        '-P',
        join(ctx.workDir, 'kamailio.pid'),
        '-Y',
        ctx.workDir,
        '-w',
        ctx.workDir,
        // tm keeps each transaction (~11 KB of shared memory here) for its wait timer (5 s): at
        // 5,000 transactions/s that is ~300 MB, past the 64 MB default.
        '-m',
        '1024',
        '-M',
        '16',
      ],
      { cwd: ctx.workDir, captureStdout: false },
    );
    const kam = kamailio;
    await until(
      async () => (await portOpen(kamPort)) && (await portOpen(uasPort)),
      20_000,
      'Kamailio and the UAS listening',
    );
    await sleep(300);
    const workers = childrenOf(kam.pid);
    const pids: Record<string, number> = { kamailio: kam.pid, uas: uas.pid };
    workers.forEach((pid, i) => (pids[`kamailio-${i}`] = pid));
    const group = Object.keys(pids).filter((n) => n.startsWith('kamailio'));
    monitor = new ProcessMonitor(pids).start();
    const kamRunner = new FlowRunner(ctx, {
      name: 'kamailio/relay',
      target: `127.0.0.1:${kamPort}`,
      monitor,
      users,
      server: 'kamailio',
      serverGroup: group,
    });
    const kamSaturation = await saturate(kamRunner, SCENARIO_RELAY, plan, variables);
    const kamFixed = await kamRunner.step('fixed rate', SCENARIO_RELAY, {
      rate: fixedCallRate,
      limit: 10_000,
      calls: fixedCalls,
      offered: fixedCallRate,
      variables,
    });
    monitor.stop();

    const legs: Leg[] = [
      { name: 'gateway (SIP + CSTA + CTI link + simulator)', saturation: gwSaturation, fixed: gwFixed },
      {
        name: `Kamailio t_relay (${plan.kamailioWorkers} workers) + SIPp UAS`,
        saturation: kamSaturation,
        fixed: kamFixed,
      },
    ];
    const ratio =
      kamSaturation.cstaRequestsPerSec > 0
        ? round(gwSaturation.cstaRequestsPerSec / kamSaturation.cstaRequestsPerSec, 3)
        : null;
    const cpuRatio =
      gwFixed.serverCpuUsPerRequest !== null &&
      kamFixed.serverCpuUsPerRequest !== null &&
      kamFixed.serverCpuUsPerRequest > 0
        ? round(gwFixed.serverCpuUsPerRequest / kamFixed.serverCpuUsPerRequest, 2)
        : null;
    const failed = (s: StepFigures): string =>
      s.calls.failed > 0 ? ` (**${s.calls.failed} failed calls**)` : '';
    const cpuOf = (s: StepFigures, names: string[]): number =>
      round(
        names.reduce((sum, n) => sum + (s.processes[n]?.cpuPercent ?? 0), 0),
        1,
      );
    const row = (leg: Leg, server: string[], backend: string): string[] => [
      `| ${leg.name} | maximum${failed(leg.saturation)} | ${formatRate(leg.saturation.cstaRequestsPerSec)} | ${formatMs(leg.saturation.latency.p50Ms)} / ${formatMs(leg.saturation.latency.p99Ms)} | ${cpuOf(leg.saturation, server)} % | ${leg.saturation.processes[backend]?.cpuPercent ?? '–'} % | ${leg.saturation.serverCpuUsPerRequest ?? '–'} |`,
      leg.fixed === undefined
        ? ''
        : `| ${leg.name} | ${formatRate(leg.fixed.cstaRequestsPerSec)}/s fixed${failed(leg.fixed)} | ${formatRate(leg.fixed.cstaRequestsPerSec)} | ${formatMs(leg.fixed.latency.p50Ms)} / ${formatMs(leg.fixed.latency.p99Ms)} | ${cpuOf(leg.fixed, server)} % | ${leg.fixed.processes[backend]?.cpuPercent ?? '–'} % | ${leg.fixed.serverCpuUsPerRequest ?? '–'} |`,
    ];
    const summary = [
      `The same SIPp scenario shape (INVITE + ${perCall} INFOs + BYE per session, one TCP connection) through the gateway and through Kamailio, one after the other on this machine.`,
      '',
      `**Gateway maximum = ${ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`} of Kamailio's** (${formatRate(gwSaturation.cstaRequestsPerSec)} vs ${formatRate(kamSaturation.cstaRequestsPerSec)} INFO transactions/s); ` +
        `at the same fixed rate the gateway uses **${cpuRatio ?? '–'}×** Kamailio's CPU per request.`,
      '',
      '| leg | load | INFO req/s | SIPp p50 / p99 | server CPU | backend CPU | server µs CPU/request |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
      ...row(legs[0] as Leg, ['gateway'], 'simulator').filter((l) => l !== ''),
      ...row(legs[1] as Leg, group, 'uas').filter((l) => l !== ''),
      '',
      "Server CPU in % of one core; Kamailio's is the sum of its processes. The backend is the simulator (gateway leg) or the SIPp UAS (Kamailio leg). " +
        'Kamailio only relays: no XML, no CSTA, no CTI round trip — the ratio is a yardstick, not a like-for-like race.',
    ];
    return await ctx.result('kamailio', {
      parameters: {
        plan,
        kamailioConfig: 'bench/kamailio/kamailio.cfg',
        fixedRequestRate: round(fixedRequestRate, 1),
      },
      figures: {
        gatewayMaxRequestsPerSec: gwSaturation.cstaRequestsPerSec,
        kamailioMaxRequestsPerSec: kamSaturation.cstaRequestsPerSec,
        ratio,
        cpuPerRequestRatio: cpuRatio,
        legs,
      },
      targets: [],
      notes: [
        "Both legs use SIPp -t t1 and -trace_rtt; see e2e for the method. Kamailio's workers are found as children of its main process.",
      ],
      summary,
    });
  } finally {
    monitor?.stop();
    await gateway?.child.stop(15_000);
    await sim?.child.stop();
    await kamailio?.stop();
    await uas?.stop();
  }
}
