// The targets, judged from the results of one run (docs/benchmarks.md, "Targets"): issue 14's
// performance targets (ratios to the yardsticks measured in the same run, GC share, marginal
// memory, p99 from the microsecond probe) and the product's own. One function, used by the run
// (printed, and written as `<out>/targets.json`) and by the report (README and docs tables).
//
// Rules, the same for every row:
//   - a target is not met when any call or probe request of the steps it is judged on failed
//     (an answer that failed its check, a timeout, a refused call): throughput with errors is not
//     throughput;
//   - with several rounds, the median is judged, and the spread is shown beside it;
//   - a target whose benchmark did not run (or ran too small to judge it, in a quick run) is
//     "not measured", never "met";
//   - when a target is missed, the gap says by how much.
import type { E2eFigures } from '../e2e.js';
import type { ScaleFigures } from '../scale.js';
import type { YardstickFigures } from '../yardstick.js';
import type { BenchName, BenchResult } from './results.js';
import { formatBytes, formatMs, formatRate, formatSpread, type Spread } from './stats.js';

export interface TargetRow {
  /** A stable key (e.g. "cpu-vs-floor"), for tests and for comparing runs. */
  id: string;
  group: 'performance' | 'product';
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
  /** How far from the target when missed (e.g. "46 % over", "12 % short"), else null. */
  gap: string | null;
  source: BenchName;
}

const x = (v: number): string => `${v.toFixed(2)}×`;
const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** "at most `limit`": met when value ≤ limit; the gap is how far above. */
function atMost(value: number, limit: number): { met: boolean; gap: string | null } {
  return value <= limit ? { met: true, gap: null } : { met: false, gap: over(value, limit) };
}

/** "46 % over", or "3.3× the limit" when far over. */
function over(value: number, limit: number): string {
  return value >= 2 * limit
    ? `${(value / limit).toFixed(1)}× the limit`
    : `${(((value - limit) / limit) * 100).toFixed(0)} % over`;
}

/** "under `limit`" (strictly): met when value < limit; the gap is how far at or above. */
function under(value: number, limit: number): { met: boolean; gap: string | null } {
  return value < limit ? { met: true, gap: null } : { met: false, gap: over(value, limit) };
}

/** "at least `floor`": met when value ≥ floor; the gap is how far below. */
function atLeast(value: number, floor: number): { met: boolean; gap: string | null } {
  return value >= floor
    ? { met: true, gap: null }
    : { met: false, gap: `${(((floor - value) / floor) * 100).toFixed(0)} % short` };
}

/** A judged row, or "not measured" when the figure is missing; failures override "met". */
function judged(
  base: Omit<TargetRow, 'measured' | 'met' | 'gap'>,
  value: number | null | undefined,
  judge: (v: number) => { met: boolean; gap: string | null },
  measured: (v: number) => string,
  failures: string | null,
): TargetRow {
  if (value === null || value === undefined || !Number.isFinite(value))
    return { ...base, measured: 'not measured in this run', met: null, gap: null };
  const j = judge(value);
  if (failures !== null)
    return {
      ...base,
      measured: `${measured(value)}; ${failures}`,
      met: false,
      gap: j.gap ?? 'failed requests',
    };
  return { ...base, measured: measured(value), met: j.met, gap: j.gap };
}

function failuresOf(parts: { what: string; calls: number; probe: number }[]): string | null {
  const bad = parts.filter((p) => p.calls + p.probe > 0);
  if (bad.length === 0) return null;
  return `**failed**: ${bad.map((p) => `${p.what} ${p.calls} call(s)${p.probe > 0 ? ` + ${p.probe} probe request(s)` : ''}`).join(', ')}`;
}

export function computeTargets(results: Partial<Record<BenchName, BenchResult>>): TargetRow[] {
  const rows: TargetRow[] = [];
  const yard = results.yardstick?.figures as YardstickFigures | undefined;
  const e2e = results.e2e?.figures as E2eFigures | undefined;
  const scale = results.scale?.figures as ScaleFigures | undefined;
  const withSpread =
    (s: Spread | null | undefined, f: (v: number) => string): ((v: number) => string) =>
    () =>
      formatSpread(s ?? null, f);

  // ---- issue 14's performance targets
  const yFail = (legs: ('gateway' | 'kamailio' | 'floor')[]): string | null =>
    yard === undefined
      ? null
      : failuresOf(
          legs.map((l) => ({ what: l, calls: yard.legs[l].failedCalls, probe: yard.legs[l].probeFailed })),
        );
  const fixed = yard === undefined ? '4,000' : formatRate(yard.fixedRate);
  /** Said beside a figure taken at the fixed rate when a leg could not carry that rate. */
  const short = (legs: ('gateway' | 'kamailio' | 'floor')[]): string => {
    const s = legs.filter((l) => (yard?.legs[l].fixedShortRounds ?? 0) > 0);
    return s.length === 0 ? '' : ` (${s.join(', ')} below ${fixed}/s in some rounds: overloaded there)`;
  };
  {
    const s = yard?.ratios.cpuGatewayOverFloorAtFixed;
    rows.push(
      judged(
        {
          id: 'cpu-vs-floor',
          group: 'performance',
          target: `CPU per CSTA request at ${fixed}/s ≤ 1.5× the Node relay floor's`,
          source: 'yardstick',
        },
        s?.median,
        (v) => atMost(v, 1.5),
        (v) => `${withSpread(s, x)(v)}${short(['gateway', 'floor'])}`,
        yFail(['gateway', 'floor']),
      ),
    );
  }
  {
    const s = yard?.ratios.maxGatewayOverKamailio;
    const bound =
      yard !== undefined && yard.legs.kamailio.clientBoundRounds > 0
        ? ' (Kamailio client-bound in some rounds)'
        : '';
    rows.push(
      judged(
        {
          id: 'max-vs-kamailio',
          group: 'performance',
          target: "maximum rate ≥ 0.8× tuned Kamailio's relay rate",
          source: 'yardstick',
        },
        s?.median,
        (v) => atLeast(v, 0.8),
        (v) => `${withSpread(s, x)(v)}${bound}`,
        yFail(['gateway', 'kamailio']),
      ),
    );
  }
  {
    const s = yard?.ratios.cpuGatewayOverKamailioAtFixed;
    rows.push(
      judged(
        {
          id: 'cpu-vs-kamailio',
          group: 'performance',
          target: `CPU per request ≤ 1.3× Kamailio's at an equal rate (${fixed}/s)`,
          source: 'yardstick',
        },
        s?.median,
        (v) => atMost(v, 1.3),
        (v) => `${withSpread(s, x)(v)}${short(['gateway', 'kamailio'])}`,
        yFail(['gateway', 'kamailio']),
      ),
    );
  }
  {
    const s = yard?.gcAtFixed.share;
    rows.push(
      judged(
        {
          id: 'gc-share',
          group: 'performance',
          target: `GC ≤ 10 % of gateway CPU at ${fixed}/s`,
          source: 'yardstick',
        },
        s?.median,
        (v) => atMost(v, 0.1),
        (v) =>
          `${withSpread(s, pct)(v)} (main-thread pauses ${formatSpread(yard?.gcAtFixed.mainThreadShare ?? null, pct)}, the rest V8's helper threads)${short(['gateway'])}`,
        yFail(['gateway']),
      ),
    );
  }
  {
    // Judged on RSS after a full GC (what a host must provide per session); the live V8 heap beside it.
    const quick = results.scale?.quick === true;
    const v = quick ? null : scale?.marginalRssBytesPerSession;
    const failed = scale?.levels.reduce((n, l) => n + l.failedInStep + l.requests.failed, 0) ?? 0;
    rows.push(
      judged(
        {
          id: 'marginal-memory',
          group: 'performance',
          target: 'marginal memory ≤ 5 KiB per monitored session',
          source: 'scale',
        },
        v,
        (b) => atMost(b, 5 * 1024),
        (b) =>
          `${formatBytes(b)} RSS per more session (slope over ${scale?.levels.map((l) => l.sessions.toLocaleString('en-US')).join(', ')} sessions, after a full GC), ${formatBytes(scale?.marginalLiveHeapBytesPerSession ?? 0)} of it live V8 heap`,
        failed > 0 ? `**failed**: ${failed} session(s) or request(s)` : null,
      ),
    );
  }
  const half = e2e?.steps.levels[e2e.plan.levels.indexOf(50)];
  {
    rows.push(
      judged(
        {
          id: 'p99-probe',
          group: 'performance',
          target: 'p99 ≤ 5 ms at half the maximum rate (microsecond probe)',
          source: 'e2e',
        },
        half?.probe?.latency.p99Ms,
        (v) => atMost(v, 5),
        (v) =>
          `${formatMs(v)} at ${formatRate(half?.cstaRequestsPerSec ?? 0)} requests/s (SIPp: ${formatMs(half?.latency.p99Ms ?? Number.NaN)})`,
        half === undefined
          ? null
          : failuresOf([{ what: 'e2e 50 %', calls: half.calls.failed, probe: half.probe?.failed ?? 0 }]),
      ),
    );
  }

  // ---- the product's targets
  {
    const max = e2e?.steps.saturation;
    rows.push(
      judged(
        { id: 'throughput', group: 'product', target: '≥ 5,000 CSTA requests/s end to end', source: 'e2e' },
        e2e?.maxCstaRequestsPerSec,
        (v) => atLeast(v, 5000),
        (v) => `${formatRate(v)} requests/s (verified answers only)`,
        max === undefined ? null : failuresOf([{ what: 'e2e maximum', calls: max.calls.failed, probe: 0 }]),
      ),
    );
  }
  {
    // Both clocks must be under the limit: the stricter reading.
    const worst =
      half === undefined ? undefined : Math.max(half.probe?.latency.p99Ms ?? Number.NaN, half.latency.p99Ms);
    rows.push(
      judged(
        { id: 'p99-20ms', group: 'product', target: 'p99 < 20 ms at half the maximum rate', source: 'e2e' },
        worst,
        (v) => under(v, 20),
        () =>
          `probe ${formatMs(half?.probe?.latency.p99Ms ?? Number.NaN)}, SIPp ${formatMs(half?.latency.p99Ms ?? Number.NaN)}`,
        half === undefined
          ? null
          : failuresOf([{ what: 'e2e 50 %', calls: half.calls.failed, probe: half.probe?.failed ?? 0 }]),
      ),
    );
  }
  {
    const setup = e2e?.steps.setup;
    rows.push(
      judged(
        {
          id: 'setups',
          group: 'product',
          target: '≥ 1,000 session set-ups/s (MonitorStart answered)',
          source: 'e2e',
        },
        e2e?.sessionSetupsPerSec,
        (v) => atLeast(v, 1000),
        (v) => `${formatRate(v)}/s`,
        setup === undefined ? null : failuresOf([{ what: 'set-up', calls: setup.calls.failed, probe: 0 }]),
      ),
    );
  }
  {
    const top = scale?.levels[scale.levels.length - 1];
    const enough = top !== undefined && top.sessions >= 100_000;
    rows.push(
      judged(
        {
          id: 'sessions-100k',
          group: 'product',
          target: '100,000 concurrent monitored sessions under 2 GiB RSS',
          source: 'scale',
        },
        enough ? top.gatewayRssBytes : null,
        (v) => under(v, 2 * 2 ** 30),
        (v) => `${formatBytes(v)} with ${top?.sessions.toLocaleString('en-US')} sessions`,
        top !== undefined && top.failedInStep > 0
          ? `**failed**: ${top.failedInStep} session(s) did not open`
          : null,
      ),
    );
  }
  for (const t of results.failover?.targets ?? []) {
    rows.push({
      id: 'failover-detection',
      group: 'product',
      target: t.target,
      measured: t.measured,
      met: t.met,
      gap: t.met ? null : 'over the bound',
      source: 'failover',
    });
  }
  if (results.failover === undefined)
    rows.push({
      id: 'failover-detection',
      group: 'product',
      target: 'a frozen CTI node detected within two heartbeat intervals',
      measured: 'not measured in this run',
      met: null,
      gap: null,
      source: 'failover',
    });
  return rows;
}

/** Markdown table of the rows. */
export function targetsTable(rows: readonly TargetRow[]): string[] {
  const met = (m: boolean | null): string => (m === null ? '–' : m ? 'yes' : '**no**');
  return [
    '| target | measured (median [min–max] over rounds) | met | gap |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.target} | ${r.measured} | ${met(r.met)} | ${r.gap ?? ''} |`),
  ];
}
