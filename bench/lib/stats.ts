// Latency statistics. Percentiles are computed exactly from every sample (nearest-rank on a
// sorted copy): a benchmark holds at most a few million samples, so no sketch is needed.

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export function summarize(samplesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
  return {
    count: sorted.length,
    minMs: r3(sorted.length === 0 ? Number.NaN : (sorted[0] as number)),
    meanMs: r3(sorted.length === 0 ? Number.NaN : sum / sorted.length),
    p50Ms: r3(rank(sorted, 50)),
    p90Ms: r3(rank(sorted, 90)),
    p99Ms: r3(rank(sorted, 99)),
    p999Ms: r3(rank(sorted, 99.9)),
    maxMs: r3(sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number)),
  };
}

/** A growable Float64 buffer for latency samples (no per-sample object). */
export class SampleBuffer {
  private data = new Float64Array(1024);
  private size = 0;

  push(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  get length(): number {
    return this.size;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.size);
  }

  clear(): void {
    this.size = 0;
  }
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 1) return `${value.toFixed(3)} ms`;
  if (value < 100) return `${value.toFixed(2)} ms`;
  return `${Math.round(value)} ms`;
}

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(2)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/**
 * The middle and the spread of one figure over several rounds of a benchmark (docs/benchmarks.md:
 * "Rounds"): median, min–max and the interquartile range, with the values themselves so that a
 * reader can see every round. Quartiles by linear interpolation between order statistics (the
 * usual "type 7" definition); with 3 rounds, q1/q3 fall between min, median and max.
 */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  q1: number;
  q3: number;
  values: number[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

/** The spread of the finite values among `values` (null when there are none). */
export function spreadOf(values: readonly (number | null | undefined)[], digits = 3): Spread | null {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const f = 10 ** digits;
  const r = (x: number): number => Math.round(x * f) / f;
  return {
    n: sorted.length,
    median: r(quantile(sorted, 0.5)),
    min: r(sorted[0] as number),
    max: r(sorted[sorted.length - 1] as number),
    q1: r(quantile(sorted, 0.25)),
    q3: r(quantile(sorted, 0.75)),
    values: finite.map(r),
  };
}

/** "2.19× [1.96–2.30]": a median with its min–max, formatted by `format`. */
export function formatSpread(s: Spread | null, format: (v: number) => string): string {
  if (s === null) return '–';
  if (s.n === 1) return format(s.median);
  return `${format(s.median)} [${format(s.min)}–${format(s.max)}]`;
}
