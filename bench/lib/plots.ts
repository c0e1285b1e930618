// The run's plots (docs/benchmarks.md shows them), drawn from the result JSON files by
// bench/lib/svg.ts and written next to them:
//   latency.svg          the gateway's response times against offered load (e2e: probe p50,
//                        p99, p99.9 and SIPp's p99)
//   latency-legs.svg     probe p99 against rate for the gateway, Kamailio and the floor (yardstick)
//   cpu-per-request.svg  CPU per request against rate for the three (yardstick, min–max whiskers)
//   memory.svg           gateway memory against sessions held (scale)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { E2eFigures } from '../e2e.js';
import type { ScaleFigures } from '../scale.js';
import { LEG_IDS, LEG_LABELS, type YardstickFigures } from '../yardstick.js';
import type { BenchName, BenchResult } from './results.js';
import { spreadOf } from './stats.js';
import { lineChart, type Point, type Series } from './svg.js';

export const PLOT_FILES = ['latency.svg', 'latency-legs.svg', 'cpu-per-request.svg', 'memory.svg'] as const;

function footnote(result: BenchResult): string {
  const m = result.machine;
  return (
    `${result.quick ? 'QUICK RUN — noisy, not for publication · ' : ''}${result.startedAt.slice(0, 10)} · commit ${m.gitCommit?.slice(0, 10) ?? '?'}` +
    `${m.gitDirty === true ? ' (+ local changes)' : ''} · ${m.cpuModel}, ${m.cores} cores · load ${m.loadAverage1m.toFixed(1)} at start`
  );
}

const MIB = 2 ** 20;

/** The SVG documents that the results in hand allow, by file name. */
export function buildPlots(results: Partial<Record<BenchName, BenchResult>>): Map<string, string> {
  const out = new Map<string, string>();
  const e2eResult = results.e2e;
  if (e2eResult !== undefined) {
    const e2e = e2eResult.figures as E2eFigures;
    const steps = e2e.steps.levels.filter((s) => s.offeredRequestsPerSec !== null);
    const at = (f: (s: (typeof steps)[number]) => number | undefined): Point[] =>
      steps.flatMap((s) => {
        const y = f(s);
        return y === undefined ? [] : [{ x: s.offeredRequestsPerSec as number, y }];
      });
    out.set(
      'latency.svg',
      lineChart({
        title: 'Gateway response time against offered load',
        description:
          'CSTA request response times of the gateway at 25, 50, 75 and 100 percent of its maximum rate: the microsecond probe p50, p99 and p99.9, and SIPp p99 on its millisecond clock.',
        xLabel: 'offered load (CSTA requests/s)',
        yLabel: 'response time (ms, log scale)',
        yLog: true,
        series: [
          { name: 'probe p50', points: at((s) => s.probe?.latency.p50Ms) },
          { name: 'probe p99', points: at((s) => s.probe?.latency.p99Ms) },
          { name: 'probe p99.9', points: at((s) => s.probe?.latency.p999Ms) },
          // SIPp reports 0 for "under one tick": not drawable on a log axis, so left out there.
          {
            name: 'SIPp p99 (ms clock)',
            points: at((s) => (s.latency.p99Ms > 0 ? s.latency.p99Ms : undefined)),
            dashed: true,
          },
        ],
        references: [{ y: 5, label: 'target: p99 ≤ 5 ms at half the maximum' }],
        footnote: footnote(e2eResult),
      }),
    );
  }
  const yardResult = results.yardstick;
  if (yardResult !== undefined) {
    const y = yardResult.figures as YardstickFigures;
    const cpuSeries: Series[] = LEG_IDS.map((id) => ({
      name: LEG_LABELS[id],
      points: y.legs[id].byRate.flatMap((b) =>
        b.cpuUsPerRequest === null
          ? []
          : [
              {
                x: b.rate,
                y: b.cpuUsPerRequest.median,
                yMin: b.cpuUsPerRequest.min,
                yMax: b.cpuUsPerRequest.max,
              },
            ],
      ),
    }));
    out.set(
      'cpu-per-request.svg',
      lineChart({
        title: 'CPU per request against rate',
        description:
          'Server CPU time per CSTA request at fixed request rates, median over rounds with min–max whiskers, for the gateway, Kamailio relaying the same traffic, and the minimal Node relay floor.',
        xLabel: 'fixed rate (CSTA requests/s)',
        yLabel: 'server CPU per request (µs)',
        series: cpuSeries,
        footnote: footnote(yardResult),
      }),
    );
    const latencySeries: Series[] = LEG_IDS.map((id) => ({
      name: LEG_LABELS[id],
      points: y.rates.flatMap((rate, i) => {
        const p99 = spreadOf(y.rounds.map((r) => r.legs[id].rates[i]?.probe?.latency.p99Ms));
        return p99 === null ? [] : [{ x: rate, y: p99.median, yMin: p99.min, yMax: p99.max }];
      }),
    }));
    out.set(
      'latency-legs.svg',
      lineChart({
        title: 'p99 response time against rate (probe)',
        description:
          'The microsecond probe p99 at fixed request rates, median over rounds with min–max whiskers, for the gateway, Kamailio and the Node relay floor.',
        xLabel: 'fixed rate (CSTA requests/s)',
        yLabel: 'probe p99 (ms, log scale)',
        yLog: true,
        series: latencySeries,
        footnote: footnote(yardResult),
      }),
    );
  }
  const scaleResult = results.scale;
  if (scaleResult !== undefined) {
    const s = scaleResult.figures as ScaleFigures;
    // The baseline (0 sessions, the directory loaded) is the first point: the lines' intercept.
    const pts = (base: number | null, f: (l: ScaleFigures['levels'][number]) => number): Point[] => [
      ...(base === null ? [] : [{ x: 0, y: base / MIB }]),
      ...s.levels.map((l) => ({ x: l.sessions, y: f(l) / MIB })),
    ];
    out.set(
      'memory.svg',
      lineChart({
        title: 'Gateway memory against sessions held',
        description:
          'Gateway resident memory, resident memory after a forced full garbage collection, and live V8 heap, against the number of monitored sessions held.',
        xLabel: 'monitored sessions held',
        yLabel: 'MiB',
        series: [
          { name: 'RSS', points: pts(s.baselineRssBytes, (l) => l.gatewayRssBytes) },
          {
            name: 'RSS after full GC',
            points: pts(s.baselineRssAfterGcBytes, (l) => l.gatewayRssAfterGcBytes),
          },
          { name: 'live V8 heap', points: pts(s.baselineLiveHeapBytes, (l) => l.gatewayLiveHeapBytes) },
        ],
        footnote: footnote(scaleResult),
      }),
    );
  }
  return out;
}

/** Writes the plots into `dir`; returns their file names. */
export async function writePlots(
  dir: string,
  results: Partial<Record<BenchName, BenchResult>>,
): Promise<string[]> {
  const plots = buildPlots(results);
  for (const [name, svg] of plots) await writeFile(join(dir, name), svg);
  return [...plots.keys()];
}
