// One SIPp run of a Microsoft RCC shaped scenario, with everything measured around it: calls,
// CSTA request rate and response times (SIPp -trace_rtt), session set-ups, the Node probe's
// microsecond response times, and the CPU and RSS of the processes that matter (from /proc).
// Shared by the end-to-end, yardstick and scale-out benchmarks.
//
// What counts as throughput: only the requests of calls that succeeded. SIPp checks every answer
// body (check_it in bench/sipp/*.xml), but a failed check does not stop its call — SIPp records
// the response time, marks the call failed and goes on — so its rtd samples include answers
// that failed their check (a 200 carrying a CSTAErrorCode, say). A call that succeeded passed
// every check, so `successful calls × requests per call` is the number of verified answers.
import { join } from 'node:path';
import { generatedDn } from '../../simulator/src/index.js';
import type { LoadProcess } from '../load/load-process.js';
import { RccRequestKind } from '../load/rcc-load-client.js';
import { type BenchContext, REPO_ROOT } from './context.js';
import { round, type ProcessMonitor, type WindowStats } from './proc-stats.js';
import { formatGc, gcDelta, readGc, type GcFigures } from './gc.js';
import { runSipp, type SippResult } from './sipp.js';
import { formatBytes, formatMs, formatRate, summarize, type LatencySummary } from './stats.js';

export const SCENARIO_FLOW = join(REPO_ROOT, 'bench/sipp/rcc-uac.xml');
export const SCENARIO_SETUP = join(REPO_ROOT, 'bench/sipp/rcc-setup.xml');
export const SCENARIO_RELAY = join(REPO_ROOT, 'bench/sipp/relay-uac.xml');
export const SCENARIO_RELAY_UAS = join(REPO_ROOT, 'bench/sipp/relay-uas.xml');

/** MakeCall destination: a far end (no rule matches it: it would answer after 3 s; it is cleared first). */
export const DIAL = '+16505550100';

/** CSTA requests (INFO) per call of rcc-uac.xml: MonitorStart, MakeCall, ClearConnection, 2 per loop, MonitorStop. */
export const requestsPerCall = (loops: number): number => 4 + 2 * loops;

/** CSTA requests (INFO) per call of rcc-setup.xml: MonitorStart, MonitorStop. */
export const SETUP_REQUESTS_PER_CALL = 2;

/** Where the server's garbage collection went during a step (docs/benchmarks.md, "GC share"). */
export interface GcShare {
  /** Main-thread GC pauses (perf_hooks, the gateway's /metrics), ms. */
  pauseMs: number;
  /** CPU of the process's other threads (V8's parallel/concurrent GC helpers; also background
   *  compilation, small after the warm-up), ms. */
  helperThreadsCpuMs: number;
  /** The whole process's CPU, ms. */
  processCpuMs: number;
  /** (pauses + helper threads) / process CPU: GC's share of the gateway's CPU (an upper bound:
   *  helper threads also compile). */
  share: number;
  /** pauses / process CPU alone (the main thread's GC). */
  mainThreadShare: number;
}

export interface StepFigures {
  label: string;
  offeredCallsPerSec: number | null;
  /** Offered CSTA requests/s (calls/s × requests per call) for open-loop steps. */
  offeredRequestsPerSec: number | null;
  calls: { successful: number; failed: number; failures: Record<string, number> };
  /** Answers SIPp timed (rtd "csta"), whether their check passed or not. */
  cstaAnswered: number;
  /** Verified CSTA requests: those of successful calls (the only ones counted as throughput). */
  cstaRequests: number;
  cstaRequestsPerSec: number;
  /** Session set-ups (calls that succeeded) per second of the "setup" rtd's span. */
  sessionSetupsPerSec: number;
  /** SIPp's response times (whole milliseconds). */
  latency: LatencySummary;
  setupLatency: LatencySummary;
  /** The Node probe's response times (microsecond clock), when a probe ran alongside. */
  probe: {
    offeredPerSec: number;
    succeeded: number;
    failed: number;
    /** Why (the first reasons, with counts). */
    failures: Record<string, number>;
    /** Not sent: the session still awaited its previous answer (slow, not wrong). */
    skipped: number;
    latency: LatencySummary;
  } | null;
  processes: Record<string, WindowStats>;
  /** CPU time of the server process(es) per verified CSTA request (SIPp's and the probe's), µs. */
  serverCpuUsPerRequest: number | null;
  /** The gateway's garbage collection during the step (when its /metrics was given). */
  gc: GcFigures | null;
  gcShare: GcShare | null;
}

export class UserCursor {
  private next = 0;
  constructor(
    private readonly total: number,
    private readonly first = 0,
  ) {}
  /** `count` distinct users (wrapping only if a run needs more calls than the cluster has users). */
  take(count: number): string[] {
    const rows: string[] = [];
    for (let k = 0; k < count; k++) {
      const i = this.first + (this.next++ % this.total);
      rows.push(`user${i};${generatedDn(i)}`);
    }
    return rows;
  }
}

function spanSeconds(result: SippResult, rtd: string): number {
  const span = result.rttSpan.get(rtd);
  return span === undefined ? 0 : Math.max(0.001, (span.lastMs - span.firstMs) / 1000);
}

export interface StepOptions {
  rate: number;
  limit: number;
  calls: number;
  offered: number | null;
  /** CSTA requests in one call of the scenario (requestsPerCall(loops) or SETUP_REQUESTS_PER_CALL). */
  requestsPerCall: number;
  variables?: Record<string, string | number>;
  /** Run the Node probe at this many requests/s while SIPp runs. */
  probeRate?: number;
}

function gcShareOf(gc: GcFigures, server: WindowStats | undefined): GcShare | null {
  if (server === undefined || server.cpuSeconds <= 0) return null;
  let pauseMs = 0;
  for (const g of Object.values(gc)) pauseMs += g.totalMs;
  const processCpuMs = server.cpuSeconds * 1000;
  const helperThreadsCpuMs = Math.max(0, (server.cpuSeconds - server.mainThreadCpuSeconds) * 1000);
  return {
    pauseMs: round(pauseMs, 1),
    helperThreadsCpuMs: round(helperThreadsCpuMs, 1),
    processCpuMs: round(processCpuMs, 1),
    share: round((pauseMs + helperThreadsCpuMs) / processCpuMs, 4),
    mainThreadShare: round(pauseMs / processCpuMs, 4),
  };
}

export class FlowRunner {
  private runIndex = 0;

  constructor(
    private readonly ctx: BenchContext,
    private readonly options: {
      name: string;
      target: string;
      monitor: ProcessMonitor;
      users: UserCursor;
      /** The process whose CPU per request is reported (a key of the monitor). */
      server: string;
      /** Names of the monitored processes summed into the server's figure (e.g. Kamailio's workers). */
      serverGroup?: readonly string[];
      probe?: LoadProcess;
      /** What the probe asks for (default SnapshotDevice and GetDoNotDisturb in turn). */
      probeKinds?: readonly RccRequestKind[];
      /** The gateway's /metrics text, for its GC pauses during each step. */
      metrics?: () => Promise<string>;
    },
  ) {}

  /** A warm-up at 1,000 calls/s, then a short closed-loop run: a first estimate of the maximum
   *  (CSTA requests/s, at least 100), which sizes each round's steps (not reported). */
  async warmUpAndEstimate(
    scenario: string,
    options: Pick<StepOptions, 'limit' | 'requestsPerCall' | 'variables'> & { warmupCalls: number },
  ): Promise<number> {
    const common = { limit: options.limit, offered: null, requestsPerCall: options.requestsPerCall };
    const variables = options.variables === undefined ? {} : { variables: options.variables };
    await this.step('warm-up', scenario, { ...common, ...variables, rate: 1000, calls: options.warmupCalls });
    const calibration = await this.step('calibration', scenario, {
      ...common,
      ...variables,
      rate: 100_000,
      calls: options.limit * 3,
    });
    return Math.max(100, calibration.cstaRequestsPerSec);
  }

  async step(label: string, scenario: string, options: StepOptions): Promise<StepFigures> {
    const ctx = this.ctx;
    const monitor = this.options.monitor;
    const gcBefore = this.options.metrics === undefined ? undefined : readGc(await this.options.metrics());
    const from = monitor.mark();
    const probeRate = options.probeRate ?? 0;
    const expectedMs = (options.calls / Math.max(1, options.rate)) * 1000;
    const probing =
      this.options.probe !== undefined && probeRate > 0
        ? this.options.probe.requests(probeRate, Math.max(500, Math.min(expectedMs, 60_000)), [
            ...(this.options.probeKinds ?? [RccRequestKind.SnapshotDevice, RccRequestKind.GetDoNotDisturb]),
          ])
        : undefined;
    const result = await runSipp({
      scenario,
      target: this.options.target,
      dir: join(
        ctx.workDir,
        `sipp-${this.options.name.replace(/[^a-z0-9]+/gi, '-')}-${++this.runIndex}-${label.replace(/[^a-z0-9]+/gi, '-')}`,
      ),
      injection: this.options.users.take(options.calls),
      ...(options.variables === undefined ? {} : { variables: options.variables }),
      rate: options.rate,
      limit: options.limit,
      calls: options.calls,
      autoAnswer: true,
      timeoutSec: Math.max(30, Math.ceil(options.calls / Math.max(1, options.rate)) * 4 + 30),
      onStart: (pid) => monitor.watch('sipp', pid),
    });
    const probe = probing === undefined ? undefined : await probing;
    const to = monitor.mark();
    const gc =
      gcBefore === undefined || this.options.metrics === undefined
        ? null
        : gcDelta(gcBefore, readGc(await this.options.metrics()));
    const csta = result.rtt.get('csta');
    const setup = result.rtt.get('setup');
    const processes = monitor.window(from, to);
    const verified = result.stats.successfulCalls * options.requestsPerCall;
    const group = this.options.serverGroup ?? [this.options.server];
    const serverCpu = group.reduce((sum, name) => sum + (processes[name]?.cpuSeconds ?? 0), 0);
    const counted = verified + (probe?.succeeded ?? 0);
    const figures: StepFigures = {
      label,
      offeredCallsPerSec: options.offered,
      offeredRequestsPerSec:
        options.offered === null ? null : round(options.offered * options.requestsPerCall, 1),
      calls: {
        successful: result.stats.successfulCalls,
        failed: result.stats.failedCalls,
        failures: result.stats.failures,
      },
      cstaAnswered: csta?.length ?? 0,
      cstaRequests: verified,
      cstaRequestsPerSec: round(verified / spanSeconds(result, 'csta'), 1),
      sessionSetupsPerSec: round(result.stats.successfulCalls / spanSeconds(result, 'setup'), 1),
      latency: summarize(csta?.values() ?? []),
      setupLatency: summarize(setup?.values() ?? []),
      probe:
        probe === undefined
          ? null
          : {
              offeredPerSec: probeRate,
              succeeded: probe.succeeded,
              failed: probe.failed,
              failures: probe.failures,
              skipped: probe.skipped,
              latency: summarize(probe.latencyMs),
            },
      processes,
      serverCpuUsPerRequest:
        counted === 0 || serverCpu === 0 ? null : Math.round((serverCpu / counted) * 1e6),
      gc,
      gcShare: gc === null ? null : gcShareOf(gc, processes[this.options.server]),
    };
    if (result.overran)
      ctx.log(
        `${this.options.name}: ${label}: SIPp overran its time bound and was stopped; figures cover what completed`,
      );
    if (result.stats.failedCalls > 0)
      ctx.log(
        `${this.options.name}: ${label}: ${result.stats.failedCalls} failed calls ${JSON.stringify(result.stats.failures)} ${result.errors.slice(0, 600)}`,
      );
    const cpu = (name: string): string => `${processes[name]?.cpuPercent ?? '?'} %`;
    ctx.log(
      `${this.options.name}: ${label}: ${figures.calls.successful} calls${figures.calls.failed > 0 ? ` (${figures.calls.failed} FAILED)` : ''}, ${formatRate(figures.cstaRequestsPerSec)} CSTA req/s, ${formatRate(figures.sessionSetupsPerSec)} setups/s, ` +
        `SIPp p50 ${formatMs(figures.latency.p50Ms)} p99 ${formatMs(figures.latency.p99Ms)}` +
        `${figures.probe === null ? '' : `, probe p50 ${formatMs(figures.probe.latency.p50Ms)} p99 ${formatMs(figures.probe.latency.p99Ms)}${figures.probe.failed > 0 ? ` (${figures.probe.failed} failed)` : ''}`}, ` +
        `${this.options.server} ${group.length > 1 ? `${round((serverCpu / Math.max(0.001, (to - from) / 1000)) * 100, 1)} %` : cpu(this.options.server)} CPU ${formatBytes(processes[this.options.server]?.rssMaxBytes ?? 0)}, ${figures.serverCpuUsPerRequest ?? '?'} µs CPU/request` +
        `${gc === null ? '' : `, GC ${formatGc(gc)}${figures.gcShare === null ? '' : ` (${(figures.gcShare.share * 100).toFixed(1)} % of its CPU)`}`}, ` +
        // The other processes that did something (idle servers of other legs left out).
        Object.keys(processes)
          .filter((n) => !group.includes(n) && (processes[n]?.cpuPercent ?? 0) >= 1)
          .map((n) => `${n} ${cpu(n)}`)
          .join(', '),
    );
    return figures;
  }
}
