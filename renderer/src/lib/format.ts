// Display formatting. Pure, so it is unit-tested without a browser.

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** A call's running time: 0:07, 12:34, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

/** A connection's age, coarse: 40 s, 5 min, 2 h 13 min, 3 d 4 h. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Heartbeat round trip: sub-millisecond on loopback, so one decimal below 10 ms. */
export function formatRtt(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export function formatClock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "Today", "Yesterday" or a short date, for grouping history. */
export function formatDay(epochMs: number, nowMs: number): string {
  const day = new Date(epochMs);
  const today = new Date(nowMs);
  const startOf = (d: Date): number => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const diffDays = Math.round((startOf(today) - startOf(day)) / 86_400_000);
  if (diffDays === 0) return 'Today';
  if (diffDays === 1) return 'Yesterday';
  return day.toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: diffDays > 300 ? 'numeric' : undefined,
  });
}

/** Points of an SVG polyline for a sparkline, scaled into width × height (y grows down).
 *  A flat series sits in the middle; fewer than two samples draw nothing. */
export function sparklinePoints(values: readonly number[], width: number, height: number, pad = 2): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return '';
  let min = Infinity;
  let max = -Infinity;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const innerH = height - 2 * pad;
  const step = (width - 2 * pad) / (finite.length - 1);
  return finite
    .map((v, i) => {
      const x = pad + i * step;
      const y = span === 0 ? height / 2 : pad + innerH - ((v - min) / span) * innerH;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}
