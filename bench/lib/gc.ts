// The gateway's garbage-collection pauses over a stretch of time, from the Prometheus histogram
// prom-client's default metrics keep (`deskline_nodejs_gc_duration_seconds{kind}`, buckets
// 1 ms, 10 ms, 100 ms, 1 s, ...): reading /metrics before and after a benchmark step tells how much
// of the step the gateway spent in GC, and how many pauses were long enough to show in p99.

export interface GcKindFigures {
  count: number;
  totalMs: number;
  /** Pauses longer than 10 ms / 100 ms. */
  over10ms: number;
  over100ms: number;
}

export type GcFigures = Record<string, GcKindFigures>;

const KINDS = ['minor', 'major', 'incremental', 'weakcb'] as const;

function value(text: string, name: string, labels: readonly string[]): number {
  const re = new RegExp(`^${name}\\{([^}]*)\\} ([0-9.eE+-]+)$`, 'gm');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const set = m[1] ?? '';
    if (labels.every((l) => set.includes(l))) return Number(m[2]);
  }
  return 0;
}

/** Cumulative GC figures from a /metrics text. */
export function readGc(metricsText: string): GcFigures {
  const out: GcFigures = {};
  const base = 'deskline_nodejs_gc_duration_seconds';
  for (const kind of KINDS) {
    const k = `kind="${kind}"`;
    const count = value(metricsText, `${base}_count`, [k]);
    if (count === 0) continue;
    out[kind] = {
      count,
      totalMs: value(metricsText, `${base}_sum`, [k]) * 1000,
      over10ms: count - value(metricsText, `${base}_bucket`, [k, 'le="0.01"']),
      over100ms: count - value(metricsText, `${base}_bucket`, [k, 'le="0.1"']),
    };
  }
  return out;
}

/** What happened between two readings. */
export function gcDelta(before: GcFigures, after: GcFigures): GcFigures {
  const out: GcFigures = {};
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { count: 0, totalMs: 0, over10ms: 0, over100ms: 0 };
    const d = {
      count: a.count - b.count,
      totalMs: Math.round((a.totalMs - b.totalMs) * 10) / 10,
      over10ms: a.over10ms - b.over10ms,
      over100ms: a.over100ms - b.over100ms,
    };
    if (d.count > 0) out[kind] = d;
  }
  return out;
}

export function formatGc(gc: GcFigures): string {
  const parts = Object.entries(gc).map(
    ([kind, g]) =>
      `${kind} ${g.count}× ${g.totalMs} ms${g.over10ms > 0 ? ` (${g.over10ms} > 10 ms${g.over100ms > 0 ? `, ${g.over100ms} > 100 ms` : ''})` : ''}`,
  );
  return parts.length === 0 ? 'none' : parts.join(', ');
}
