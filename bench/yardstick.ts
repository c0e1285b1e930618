// Benchmark "yardstick" — the gateway against two yardsticks measured in the same run, on the
// same machine, with the same kind of SIPp traffic (docs/benchmarks.md, "yardstick"):
//
//   gateway:  SIPp rcc-uac.xml → gateway → CTI link → simulator                 (the real work)
//   floor:    SIPp rcc-uac.xml → bench/floor/floor-server.ts → echo backend     (Node's own I/O:
//             Content-Length framing, a backend round trip per request, canned answers)
//   kamailio: SIPp relay-uac.xml → Kamailio (TLSF, tm wait 2 s) → SIPp UAS       (a C SIP relay)
//
// Every server is started once and stays up; the legs are interleaved over several rounds, the
// order rotated each round (round r runs the legs starting from leg r), so that a slow minute on
// a shared machine does not land on one leg only. Each leg in each round: the closed-loop
// maximum, then a sweep of fixed request rates (open loop) with the microsecond probe alongside.
// Ratios (gateway / Kamailio, gateway / floor) are taken within a round, then summarised over
// rounds as median [min–max]. CPU per request is compared at an equal fixed rate (4,000 CSTA
// requests/s by default): it depends on the rate (batching), so only equal rates compare.
import { LoadProcess } from './load/load-process.js';
import { RccRequestKind, type LoadUser } from './load/rcc-load-client.js';
import type { BenchContext } from './lib/context.js';
import {
  DIAL,
  FlowRunner,
  requestsPerCall,
  SCENARIO_FLOW,
  SCENARIO_RELAY,
  UserCursor,
  type StepFigures,
} from './lib/flow.js';
import { KAMAILIO_SHM_MB, startRelayYardstick, type RelayYardstick } from './lib/kamailio.js';
import { ProcessMonitor, round } from './lib/proc-stats.js';
import type { BenchResult, TargetCheck } from './lib/results.js';
import {
  BENCH_DOMAIN,
  startFloorProcess,
  startGatewayProcess,
  startSimulatorProcess,
  until,
  type FloorProcess,
  type GatewayProcess,
  type SimulatorProcess,
} from './lib/services.js';
import { formatBytes, formatMs, formatRate, formatSpread, spreadOf, type Spread } from './lib/stats.js';
import { generatedDn } from '../simulator/src/index.js';

export const LEG_IDS = ['gateway', 'kamailio', 'floor'] as const;
export type LegId = (typeof LEG_IDS)[number];

export const LEG_LABELS: Record<LegId, string> = {
  gateway: 'gateway',
  kamailio: 'Kamailio t_relay (TLSF)',
  floor: 'Node relay floor',
};

interface Plan {
  users: number;
  loops: number;
  rounds: number;
  warmupCalls: number;
  concurrency: number;
  maxSeconds: number;
  /** Fixed CSTA request rates of the sweep (requests/s). */
  rates: number[];
  /** The equal rate at which CPU per request is compared (one of `rates`). */
  fixedRate: number;
  rateSeconds: number;
  probeSessions: number;
  probeRate: number;
  kamailioWorkers: number;
}

const FULL: Plan = {
  users: 30_000,
  loops: 10,
  rounds: 3,
  warmupCalls: 400,
  concurrency: 100,
  maxSeconds: 8,
  rates: [1000, 2000, 4000, 6000],
  fixedRate: 4000,
  rateSeconds: 6,
  probeSessions: 10,
  probeRate: 50,
  kamailioWorkers: 2,
};
const QUICK: Plan = {
  users: 2_000,
  loops: 10,
  rounds: 2,
  warmupCalls: 40,
  concurrency: 20,
  maxSeconds: 2,
  rates: [1000, 4000],
  fixedRate: 4000,
  rateSeconds: 2,
  probeSessions: 4,
  probeRate: 20,
  kamailioWorkers: 2,
};

export interface YardstickOptions {
  rounds?: number;
  fixedRate?: number;
  rates?: number[];
}

/** One leg in one round. */
export interface LegRound {
  max: StepFigures;
  /** One per plan rate; null when the rate was above what the leg reached at its maximum. */
  rates: (StepFigures | null)[];
  /** SIPp (the client) — or, on the Kamailio leg, the SIPp UAS behind it — used ≥ 90 % of a core
   *  during the maximum: the load generator, not the server, may have set that maximum. */
  clientBound: boolean;
}

export interface LegSummary {
  maxRequestsPerSec: Spread | null;
  cpuUsPerRequestAtMax: Spread | null;
  /** Per plan rate: CPU µs per request and the rate achieved, over the rounds that ran it. */
  byRate: { rate: number; cpuUsPerRequest: Spread | null; achievedPerSec: Spread | null }[];
  cpuUsPerRequestAtFixed: Spread | null;
  /** Rounds in which the leg answered less than 95 % of the fixed rate (it was overloaded there:
   *  its CPU per request at that rate is of a queue, and its latency is not comparable). */
  fixedShortRounds: number;
  probeP99MsAtFixed: Spread | null;
  sippP99MsAtFixed: Spread | null;
  /** Failed SIPp calls and failed probe requests over every measured step of the leg. */
  failedCalls: number;
  probeFailed: number;
  clientBoundRounds: number;
}

export interface YardstickFigures {
  requestsPerCall: number;
  fixedRate: number;
  rates: number[];
  rounds: { round: number; order: LegId[]; legs: Record<LegId, LegRound> }[];
  legs: Record<LegId, LegSummary>;
  /** Within-round ratios, summarised over rounds. */
  ratios: {
    maxGatewayOverKamailio: Spread | null;
    maxGatewayOverFloor: Spread | null;
    cpuGatewayOverKamailioAtFixed: Spread | null;
    cpuGatewayOverFloorAtFixed: Spread | null;
  };
  /** The gateway's GC share of its CPU at the fixed rate (lib/flow.ts GcShare). */
  gcAtFixed: { share: Spread | null; mainThreadShare: Spread | null };
  kamailioShm: { configuredBytes: number; maxUsedBytes: number | null };
}

/** Legs in the order of round `r`: the list rotated by r. */
export function rotation<T>(items: readonly T[], r: number): T[] {
  const k = ((r % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

interface Leg {
  id: LegId;
  runner: FlowRunner;
  scenario: string;
  /** The processes whose CPU is the leg's (the monitor's names). */
  server: string[];
}

export async function runYardstick(ctx: BenchContext, options: YardstickOptions = {}): Promise<BenchResult> {
  const base = ctx.quick ? QUICK : FULL;
  const fixedRate = options.fixedRate ?? base.fixedRate;
  const rates = [...new Set([...(options.rates ?? base.rates), fixedRate])].sort((a, b) => a - b);
  const plan: Plan = { ...base, rounds: options.rounds ?? base.rounds, fixedRate, rates };
  const perCall = requestsPerCall(plan.loops);
  const variables = { loops: plan.loops, dial: DIAL };
  let sim: SimulatorProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let floor: FloorProcess | undefined;
  let relay: RelayYardstick | undefined;
  const probes: LoadProcess[] = [];
  let monitor: ProcessMonitor | undefined;
  try {
    // ---- every server up, once
    ctx.log(
      `yardstick: simulator with ${plan.users.toLocaleString('en-US')} users, gateway, floor, Kamailio`,
    );
    sim = await startSimulatorProcess(ctx, { users: plan.users + plan.probeSessions });
    gateway = await startGatewayProcess(ctx, sim);
    const gw = gateway;
    await until(
      async () => (await gw.health()).directory.users >= plan.users,
      120_000,
      'the gateway directory',
    );
    floor = await startFloorProcess();
    relay = await startRelayYardstick(ctx, plan.kamailioWorkers);
    const kamPids = relay.kamailio.pids();
    monitor = new ProcessMonitor({
      gateway: gw.child.pid,
      simulator: sim.child.pid,
      floor: floor.child.pid,
      'floor-echo': floor.echo.pid,
      'sipp-uas': relay.uas.pid,
      ...kamPids,
    }).start();

    // ---- the probe of each leg: its own sessions, past the users SIPp takes
    const probeUsers: LoadUser[] = Array.from({ length: plan.probeSessions }, (_, k) => ({
      id: `user${plan.users + k}`,
      dn: generatedDn(plan.users + k),
    }));
    const targets: Record<LegId, { host: string; port: number }> = {
      gateway: gw.sip,
      floor: floor.sip,
      kamailio: { host: '127.0.0.1', port: relay.kamailio.port },
    };
    const probeOf = {} as Record<LegId, LoadProcess>;
    for (const id of LEG_IDS) {
      const probe = await LoadProcess.start(`probe-${id}`);
      probes.push(probe);
      await probe.connect(targets[id].host, targets[id].port, BENCH_DOMAIN, 1);
      // The UAS behind Kamailio answers every INFO with a SnapshotDeviceResponse: its probe opens
      // sessions without MonitorStart and asks SnapshotDevice only.
      const opened = await probe.open(probeUsers, plan.probeSessions, id !== 'kamailio');
      if (opened.failed > 0) throw new Error(`${id} probe sessions: ${JSON.stringify(opened.failures)}`);
      probeOf[id] = probe;
      monitor.watch(`probe-${id}`, probe.child.pid);
    }

    const users = new UserCursor(plan.users);
    const kamServer = Object.keys(kamPids);
    const legs: Record<LegId, Leg> = {
      gateway: {
        id: 'gateway',
        scenario: SCENARIO_FLOW,
        server: ['gateway'],
        runner: new FlowRunner(ctx, {
          name: 'yardstick/gateway',
          target: `${gw.sip.host}:${gw.sip.port}`,
          monitor,
          users,
          server: 'gateway',
          probe: probeOf.gateway,
          metrics: () => gw.metricsText(),
        }),
      },
      floor: {
        id: 'floor',
        scenario: SCENARIO_FLOW,
        server: ['floor'],
        runner: new FlowRunner(ctx, {
          name: 'yardstick/floor',
          target: `${floor.sip.host}:${floor.sip.port}`,
          monitor,
          users,
          server: 'floor',
          probe: probeOf.floor,
        }),
      },
      kamailio: {
        id: 'kamailio',
        scenario: SCENARIO_RELAY,
        server: kamServer,
        runner: new FlowRunner(ctx, {
          name: 'yardstick/kamailio',
          target: `127.0.0.1:${relay.kamailio.port}`,
          monitor,
          users,
          server: 'kamailio',
          serverGroup: kamServer,
          probe: probeOf.kamailio,
          probeKinds: [RccRequestKind.SnapshotDevice],
        }),
      },
    };

    // ---- warm-up and a first estimate of each maximum (not reported)
    const estimate: Record<LegId, number> = { gateway: 0, floor: 0, kamailio: 0 };
    for (const id of LEG_IDS) {
      const leg = legs[id];
      estimate[id] = await leg.runner.warmUpAndEstimate(leg.scenario, {
        limit: plan.concurrency,
        warmupCalls: plan.warmupCalls,
        requestsPerCall: perCall,
        variables,
      });
    }

    // ---- the rounds
    const rounds: YardstickFigures['rounds'] = [];
    for (let r = 0; r < plan.rounds; r++) {
      const order = rotation(LEG_IDS, r);
      ctx.log(`yardstick: round ${r + 1}/${plan.rounds}: ${order.join(', ')}`);
      const legRounds = {} as Record<LegId, LegRound>;
      for (const id of order) {
        const leg = legs[id];
        const max = await leg.runner.step(`round ${r + 1} maximum`, leg.scenario, {
          rate: 100_000,
          limit: plan.concurrency,
          calls: Math.max(plan.concurrency * 2, Math.round((estimate[id] / perCall) * plan.maxSeconds)),
          offered: null,
          requestsPerCall: perCall,
          variables,
        });
        if (max.cstaRequestsPerSec > 0) estimate[id] = max.cstaRequestsPerSec;
        const stepRates: (StepFigures | null)[] = [];
        for (const rate of plan.rates) {
          // Past ~95 % of the maximum an open-loop step measures a queue, not a cost — except
          // at the fixed rate, which every leg runs (flagged in the summary when not reached).
          if (rate !== plan.fixedRate && rate > 0.95 * max.cstaRequestsPerSec) {
            stepRates.push(null);
            continue;
          }
          const callRate = round(rate / perCall, 3);
          stepRates.push(
            await leg.runner.step(`round ${r + 1} ${rate}/s`, leg.scenario, {
              rate: callRate,
              limit: 10_000,
              calls: Math.max(10, Math.round(callRate * plan.rateSeconds)),
              offered: callRate,
              requestsPerCall: perCall,
              variables,
              probeRate: plan.probeRate,
            }),
          );
        }
        legRounds[id] = {
          max,
          rates: stepRates,
          clientBound:
            (max.processes['sipp']?.cpuPercent ?? 0) >= 90 ||
            (id === 'kamailio' && (max.processes['sipp-uas']?.cpuPercent ?? 0) >= 90),
        };
      }
      rounds.push({ round: r + 1, order, legs: legRounds });
    }
    const shmMaxUsed = await relay.kamailio.shmMaxUsedBytes();
    monitor.stop();

    // ---- summaries
    const fixedIndex = plan.rates.indexOf(plan.fixedRate);
    const fixedOf = (lr: LegRound): StepFigures | null => lr.rates[fixedIndex] ?? null;
    const legSummary = (id: LegId): LegSummary => {
      const all = rounds.map((r) => r.legs[id]);
      let failedCalls = 0;
      let probeFailed = 0;
      for (const lr of all)
        for (const s of [lr.max, ...lr.rates]) {
          if (s === null) continue;
          failedCalls += s.calls.failed;
          probeFailed += s.probe?.failed ?? 0;
        }
      return {
        maxRequestsPerSec: spreadOf(
          all.map((lr) => lr.max.cstaRequestsPerSec),
          1,
        ),
        cpuUsPerRequestAtMax: spreadOf(all.map((lr) => lr.max.serverCpuUsPerRequest)),
        byRate: plan.rates.map((rate, i) => ({
          rate,
          cpuUsPerRequest: spreadOf(all.map((lr) => lr.rates[i]?.serverCpuUsPerRequest)),
          achievedPerSec: spreadOf(
            all.map((lr) => lr.rates[i]?.cstaRequestsPerSec),
            1,
          ),
        })),
        cpuUsPerRequestAtFixed: spreadOf(all.map((lr) => fixedOf(lr)?.serverCpuUsPerRequest)),
        fixedShortRounds: all.filter((lr) => (fixedOf(lr)?.cstaRequestsPerSec ?? 0) < 0.95 * plan.fixedRate)
          .length,
        probeP99MsAtFixed: spreadOf(all.map((lr) => fixedOf(lr)?.probe?.latency.p99Ms)),
        sippP99MsAtFixed: spreadOf(all.map((lr) => fixedOf(lr)?.latency.p99Ms)),
        failedCalls,
        probeFailed,
        clientBoundRounds: all.filter((lr) => lr.clientBound).length,
      };
    };
    const summaries: Record<LegId, LegSummary> = {
      gateway: legSummary('gateway'),
      kamailio: legSummary('kamailio'),
      floor: legSummary('floor'),
    };
    const perRound = (f: (r: (typeof rounds)[number]) => number | null | undefined): Spread | null =>
      spreadOf(rounds.map(f));
    const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
      a === null || a === undefined || b === null || b === undefined || b <= 0 ? null : a / b;
    const ratios: YardstickFigures['ratios'] = {
      maxGatewayOverKamailio: perRound((r) =>
        ratio(r.legs.gateway.max.cstaRequestsPerSec, r.legs.kamailio.max.cstaRequestsPerSec),
      ),
      maxGatewayOverFloor: perRound((r) =>
        ratio(r.legs.gateway.max.cstaRequestsPerSec, r.legs.floor.max.cstaRequestsPerSec),
      ),
      cpuGatewayOverKamailioAtFixed: perRound((r) =>
        ratio(
          fixedOf(r.legs.gateway)?.serverCpuUsPerRequest,
          fixedOf(r.legs.kamailio)?.serverCpuUsPerRequest,
        ),
      ),
      cpuGatewayOverFloorAtFixed: perRound((r) =>
        ratio(fixedOf(r.legs.gateway)?.serverCpuUsPerRequest, fixedOf(r.legs.floor)?.serverCpuUsPerRequest),
      ),
    };
    const gcAtFixed = {
      share: perRound((r) => fixedOf(r.legs.gateway)?.gcShare?.share),
      mainThreadShare: perRound((r) => fixedOf(r.legs.gateway)?.gcShare?.mainThreadShare),
    };
    const figures: YardstickFigures = {
      requestsPerCall: perCall,
      fixedRate: plan.fixedRate,
      rates: plan.rates,
      rounds,
      legs: summaries,
      ratios,
      gcAtFixed,
      kamailioShm: { configuredBytes: KAMAILIO_SHM_MB * 2 ** 20, maxUsedBytes: shmMaxUsed },
    };

    // ---- the readable summary
    const x = (v: number): string => `${v.toFixed(2)}×`;
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    const us = (v: number): string => `${Math.round(v)} µs`;
    const summary = [
      `Three legs, ${plan.rounds} interleaved rounds (order rotated each round), every server up for the whole run; ` +
        `SIPp over one TCP connection, ${perCall} CSTA INFOs per session. Figures: median [min–max] over the rounds.`,
      '',
      `**Gateway maximum = ${formatSpread(ratios.maxGatewayOverKamailio, pct)} of tuned Kamailio's** and ${formatSpread(ratios.maxGatewayOverFloor, pct)} of the Node floor's. ` +
        `At an equal ${formatRate(plan.fixedRate)} requests/s the gateway uses **${formatSpread(ratios.cpuGatewayOverFloorAtFixed, x)} the floor's CPU per request** ` +
        `and **${formatSpread(ratios.cpuGatewayOverKamailioAtFixed, x)} Kamailio's**; GC is ${formatSpread(gcAtFixed.share, pct)} of the gateway's CPU there ` +
        `(main-thread pauses alone ${formatSpread(gcAtFixed.mainThreadShare, pct)}).`,
      '',
      `| leg | maximum (req/s) | µs CPU/request at maximum | µs CPU/request at ${formatRate(plan.fixedRate)}/s | probe p99 at ${formatRate(plan.fixedRate)}/s | SIPp p99 at ${formatRate(plan.fixedRate)}/s | failed calls | client-bound rounds | rounds short of ${formatRate(plan.fixedRate)}/s |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...LEG_IDS.map((id) => {
        const s = summaries[id];
        return (
          `| ${LEG_LABELS[id]} | ${formatSpread(s.maxRequestsPerSec, formatRate)} | ${formatSpread(s.cpuUsPerRequestAtMax, us)} | ${formatSpread(s.cpuUsPerRequestAtFixed, us)} | ` +
          `${formatSpread(s.probeP99MsAtFixed, formatMs)} | ${formatSpread(s.sippP99MsAtFixed, formatMs)} | ${s.failedCalls + s.probeFailed > 0 ? `**${s.failedCalls} (+${s.probeFailed} probe)**` : '0'} | ${s.clientBoundRounds} | ${s.fixedShortRounds > 0 ? `**${s.fixedShortRounds}**` : '0'} |`
        );
      }),
      '',
      `CPU per request by rate (µs, median [min–max]; "–" = above the leg's maximum in every round):`,
      '',
      `| leg | ${plan.rates.map((r) => `${formatRate(r)}/s`).join(' | ')} |`,
      `| --- | ${plan.rates.map(() => '---:').join(' | ')} |`,
      ...LEG_IDS.map(
        (id) =>
          `| ${LEG_LABELS[id]} | ${summaries[id].byRate.map((b) => formatSpread(b.cpuUsPerRequest, us)).join(' | ')} |`,
      ),
      '',
      `Kamailio: ${plan.kamailioWorkers} workers, \`-x tlsf -X tlsf\`, tm wait timer 2 s, ${KAMAILIO_SHM_MB} MB shared memory of which ${shmMaxUsed === null ? '?' : formatBytes(shmMaxUsed)} used at peak. ` +
        `Server CPU only: the simulator, the floor's echo backend and the SIPp UAS are the backends, not counted.`,
    ];
    const failed = LEG_IDS.some((id) => summaries[id].failedCalls + summaries[id].probeFailed > 0);
    const checks: TargetCheck[] = [];
    if (failed)
      checks.push({
        target: 'every call and probe request answered correctly',
        measured: LEG_IDS.map(
          (id) =>
            `${id}: ${summaries[id].failedCalls} failed calls, ${summaries[id].probeFailed} probe failures`,
        ).join('; '),
        met: false,
      });
    return await ctx.result('yardstick', {
      parameters: {
        plan,
        requestsPerCall: perCall,
        transport: 'SIPp -t t1 (one TCP connection)',
        kamailio: {
          config: 'bench/kamailio/kamailio.cfg',
          flags: `-x tlsf -X tlsf -m ${KAMAILIO_SHM_MB} -n ${plan.kamailioWorkers} -N ${plan.kamailioWorkers}`,
          tmWaitTimerMs: 2000,
        },
        floor: 'bench/floor/floor-server.ts (esbuild bundle, plain node) + bench/floor/echo-backend.ts',
        gatewayLogLevel: 'warn',
      },
      figures,
      targets: checks,
      notes: [
        'Ratios are taken within a round (the legs of one round ran minutes apart at most) and then summarised over the rounds.',
        'Kamailio only relays (no XML, no CSTA, no backend work beyond the SIPp UAS answering): it is the cost of SIP on this machine in C. The floor is the cost of the same I/O in Node. Neither is a race between equals; both are yardsticks.',
        '"client-bound": SIPp (or the SIPp UAS behind Kamailio) used ≥ 90 % of a core during that maximum, so the load generator may have set it.',
      ],
      summary,
    });
  } finally {
    monitor?.stop();
    for (const p of probes) await p.stop();
    await gateway?.child.stop(15_000);
    await sim?.child.stop();
    await floor?.child.stop();
    await floor?.echo.stop();
    await relay?.kamailio.stop();
    await relay?.uas.stop();
  }
}
