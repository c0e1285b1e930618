// One SIPp run of a Microsoft RCC shaped scenario, with everything measured around it: calls,
// CSTA request rate and response times (SIPp -trace_rtt), session set-ups, and the CPU and RSS of
// the processes that matter (from /proc). Shared by the end-to-end and side-by-side benchmarks.
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

export interface StepFigures {
  label: string;
  offeredCallsPerSec: number | null;
  calls: { successful: number; failed: number; failures: Record<string, number> };
  cstaRequests: number;
  cstaRequestsPerSec: number;
  sessionSetupsPerSec: number;
  /** SIPp's response times (whole milliseconds). */
  latency: LatencySummary;
  setupLatency: LatencySummary;
  /** The Node probe's response times (microsecond clock), when a probe ran alongside. */
  probe: { offeredPerSec: number; failed: number; latency: LatencySummary } | null;
  processes: Record<string, WindowStats>;
  /** CPU time of the server process per CSTA request (µs): steadier than rates on a busy machine. */
  serverCpuUsPerRequest: number | null;
  /** The gateway's garbage collection during the step (when its /metrics was given). */
  gc: GcFigures | null;
}

export class UserCursor {
  private next = 0;
  constructor(private readonly total: number) {}
  /** `count` distinct users (wrapping only if a run needs more calls than the cluster has users). */
  take(count: number): string[] {
    const rows: string[] = [];
    for (let k = 0; k < count; k++) {
      const i = this.next++ % this.total;
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
  variables?: Record<string, string | number>;
  /** Run the Node probe at this many requests/s while SIPp runs. */
  probeRate?: number;
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
      /** The gateway's /metrics text, for its GC pauses during each step. */
      metrics?: () => Promise<string>;
    },
  ) {}

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
            RccRequestKind.SnapshotDevice,
            RccRequestKind.GetDoNotDisturb,
          ])
        : undefined;
    const result = await runSipp({
      scenario,
      target: this.options.target,
      dir: join(
        ctx.workDir,
        `sipp-${this.options.name}-${++this.runIndex}-${label.replace(/[^a-z0-9]+/gi, '-')}`,
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
    const cstaCount = csta?.length ?? 0;
    const group = this.options.serverGroup ?? [this.options.server];
    const serverCpu = group.reduce((sum, name) => sum + (processes[name]?.cpuSeconds ?? 0), 0);
    const figures: StepFigures = {
      label,
      offeredCallsPerSec: options.offered,
      calls: {
        successful: result.stats.successfulCalls,
        failed: result.stats.failedCalls,
        failures: result.stats.failures,
      },
      cstaRequests: cstaCount,
      cstaRequestsPerSec: round(cstaCount / spanSeconds(result, 'csta'), 1),
      sessionSetupsPerSec: round((setup?.length ?? 0) / spanSeconds(result, 'setup'), 1),
      latency: summarize(csta?.values() ?? []),
      setupLatency: summarize(setup?.values() ?? []),
      probe:
        probe === undefined
          ? null
          : { offeredPerSec: probeRate, failed: probe.failed, latency: summarize(probe.latencyMs) },
      processes,
      serverCpuUsPerRequest:
        cstaCount === 0 || serverCpu === 0 ? null : Math.round((serverCpu / cstaCount) * 1e6),
      gc,
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
      `${this.options.name}: ${label}: ${figures.calls.successful} calls, ${formatRate(figures.cstaRequestsPerSec)} CSTA req/s, ${formatRate(figures.sessionSetupsPerSec)} setups/s, ` +
        `SIPp p50 ${formatMs(figures.latency.p50Ms)} p99 ${formatMs(figures.latency.p99Ms)} p99.9 ${formatMs(figures.latency.p999Ms)}` +
        `${figures.probe === null ? '' : `, probe p50 ${formatMs(figures.probe.latency.p50Ms)} p99 ${formatMs(figures.probe.latency.p99Ms)}`}, ` +
        `${this.options.server} ${cpu(this.options.server)} CPU ${formatBytes(processes[this.options.server]?.rssMaxBytes ?? 0)}, ${figures.serverCpuUsPerRequest ?? '?'} µs CPU/request, ` +
        `${gc === null ? '' : `GC ${formatGc(gc)}, `}` +
        Object.keys(processes)
          .filter((n) => n !== this.options.server)
          .map((n) => `${n} ${cpu(n)}`)
          .join(', '),
    );
    return figures;
  }
}
