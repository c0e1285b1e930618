// Line charts as SVG text, for the benchmark plots (bench/lib/plots.ts, docs/benchmarks.md).
//
// Written here rather than taken from a library: the plots are three small line charts (points,
// optional min–max whiskers, linear or log axes, a legend), and the charting libraries that
// render SVG either need a DOM or a canvas to run (Chart.js, Vega; in Node that means jsdom or
// node-canvas, native code included) or, like d3's modules, still leave the axes, layout and
// legend to the caller. What remains to write is the part no library removes: ~250 lines of
// deterministic text, with no dependency, that a reviewer can read in one sitting. Output is
// stable for the same input (no random ids, fixed number formatting), so a re-run that changes
// nothing changes no bytes.

export interface Point {
  x: number;
  y: number;
  /** Whisker from yMin to yMax (e.g. min–max over rounds). */
  yMin?: number;
  yMax?: number;
}

export interface Series {
  name: string;
  points: Point[];
  /** Dashed line: a secondary reading (e.g. SIPp's millisecond clock beside the probe's). */
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  /** One sentence for screen readers (the SVG's <desc>). */
  description: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Start the linear y axis at zero (default true). */
  yFromZero?: boolean;
  /** Horizontal reference lines (e.g. a target). */
  references?: { y: number; label: string }[];
  /** Small print under the plot (machine, commit, "quick run"). */
  footnote?: string;
  width?: number;
  height?: number;
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;

const fmt = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Splits text at " · " separators (or spaces) into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const parts = text.split(' · ');
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    const next = line === '' ? part : `${line} · ${part}`;
    if (next.length <= width || line === '') line = next;
    else {
      lines.push(line);
      line = part;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" linear ticks (1, 2, 5 × 10^k steps) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  if ((ticks[ticks.length - 1] ?? lo) < hi) ticks.push((ticks[ticks.length - 1] ?? lo) + step);
  return ticks;
}

/** The 1-2-5 step at or below (down) / at or above (up) a positive value. */
function step125(v: number, up: boolean): number {
  const k = Math.floor(Math.log10(v));
  const steps = [1, 2, 5, 10].map((m) => m * 10 ** k);
  if (up) return steps.find((s) => s >= v * 0.9999) ?? 10 ** (k + 1);
  return [...steps].reverse().find((s) => s <= v * 1.0001) ?? 10 ** k;
}

/** Log ticks: 1, 2, 5 × 10^k inside [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo / 1.0001 && v <= hi * 1.0001) ticks.push(v);
    }
  return ticks;
}

/** 1,500 → "1.5k", 0.25 → "0.25", 2 000 000 → "2M". */
export function tickLabel(v: number): string {
  const a = Math.abs(v);
  const trim = (n: number): string => String(Number(n.toFixed(2)));
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

interface Axis {
  map(v: number): number;
  ticks: number[];
}

function axis(values: number[], log: boolean, fromZero: boolean, lo: number, hi: number): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let min = finite.length === 0 ? (log ? 1 : 0) : Math.min(...finite);
  let max = finite.length === 0 ? 1 : Math.max(...finite);
  if (log) {
    min = step125(min, false);
    max = step125(max, true);
    if (max <= min) max = step125(min * 1.5, true);
    const a = Math.log10(min);
    const b = Math.log10(max);
    return { map: (v) => lo + ((Math.log10(v) - a) / (b - a)) * (hi - lo), ticks: logTicks(min, max) };
  }
  if (fromZero) min = Math.min(0, min);
  const ticks = niceTicks(min, max);
  const a = ticks[0] as number;
  const b = ticks[ticks.length - 1] as number;
  return { map: (v) => lo + ((v - a) / (b - a || 1)) * (hi - lo), ticks };
}

function marker(kind: (typeof MARKERS)[number], x: number, y: number, colour: string): string {
  const r = 3.5;
  switch (kind) {
    case 'circle':
      return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="${r}" fill="${colour}"/>`;
    case 'square':
      return `<rect x="${fmt(x - r)}" y="${fmt(y - r)}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
    case 'triangle':
      return `<path d="M${fmt(x)} ${fmt(y - r - 0.5)}L${fmt(x + r)} ${fmt(y + r)}L${fmt(x - r)} ${fmt(y + r)}Z" fill="${colour}"/>`;
    case 'diamond':
      return `<path d="M${fmt(x)} ${fmt(y - r - 1)}L${fmt(x + r + 1)} ${fmt(y)}L${fmt(x)} ${fmt(y + r + 1)}L${fmt(x - r - 1)} ${fmt(y)}Z" fill="${colour}"/>`;
    default: {
      const never: never = kind;
      throw new Error(`unknown marker ${String(never)}`);
    }
  }
}

/** The chart as a standalone SVG document. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const legendRows = spec.series.length;
  const footLines = spec.footnote === undefined ? [] : wrap(spec.footnote, 118);
  const margin = { left: 72, right: 24, top: 40, bottom: 58 + footLines.length * 14 };
  const legendWidth = 210;
  const plot = {
    left: margin.left,
    right: width - margin.right - legendWidth,
    top: margin.top,
    bottom: height - margin.bottom,
  };
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series)
    for (const p of s.points) {
      xs.push(p.x);
      ys.push(p.y, p.yMin ?? p.y, p.yMax ?? p.y);
    }
  for (const r of spec.references ?? []) ys.push(r.y);
  const xa = axis(xs, spec.xLog === true, false, plot.left, plot.right);
  const ya = axis(ys, spec.yLog === true, spec.yFromZero !== false, plot.bottom, plot.top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="t d" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<title id="t">${escapeXml(spec.title)}</title>`,
    `<desc id="d">${escapeXml(spec.description)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="22" font-size="15" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`,
  );
  // grid and ticks
  for (const t of ya.ticks) {
    const y = ya.map(t);
    out.push(
      `<line x1="${plot.left}" x2="${fmt(plot.right)}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#e4e4e4"/>`,
      `<text x="${plot.left - 6}" y="${fmt(y + 4)}" text-anchor="end" fill="#444">${tickLabel(t)}</text>`,
    );
  }
  for (const t of xa.ticks) {
    const x = xa.map(t);
    out.push(
      `<line x1="${fmt(x)}" x2="${fmt(x)}" y1="${plot.top}" y2="${fmt(plot.bottom)}" stroke="#f0f0f0"/>`,
      `<text x="${fmt(x)}" y="${fmt(plot.bottom + 16)}" text-anchor="middle" fill="#444">${tickLabel(t)}</text>`,
    );
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${fmt(plot.right - plot.left)}" height="${fmt(plot.bottom - plot.top)}" fill="none" stroke="#888"/>`,
    `<text x="${fmt((plot.left + plot.right) / 2)}" y="${fmt(plot.bottom + 36)}" text-anchor="middle" fill="#222">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(18 ${fmt((plot.top + plot.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(spec.yLabel)}</text>`,
  );
  for (const r of spec.references ?? []) {
    const y = ya.map(r.y);
    out.push(
      `<line x1="${plot.left}" x2="${fmt(plot.right)}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="#b00020" stroke-dasharray="2 3"/>`,
      `<text x="${fmt(plot.right - 4)}" y="${fmt(y - 4)}" text-anchor="end" fill="#b00020">${escapeXml(r.label)}</text>`,
    );
  }
  // series; whiskers of different series at the same x are set slightly apart (dodged)
  const dodge = (i: number): number => (i - (spec.series.length - 1) / 2) * 4;
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const kind = MARKERS[i % MARKERS.length] as (typeof MARKERS)[number];
    const pts = s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (spec.yLog !== true || p.y > 0))
      .sort((a, b) => a.x - b.x);
    out.push(`<g aria-label="${escapeXml(s.name)}">`);
    for (const p of pts) {
      if (p.yMin === undefined || p.yMax === undefined || p.yMax <= p.yMin) continue;
      const x = xa.map(p.x) + dodge(i);
      out.push(
        `<path d="M${fmt(x)} ${fmt(ya.map(p.yMin))}V${fmt(ya.map(p.yMax))}M${fmt(x - 4)} ${fmt(ya.map(p.yMin))}H${fmt(x + 4)}M${fmt(x - 4)} ${fmt(ya.map(p.yMax))}H${fmt(x + 4)}" stroke="${colour}" stroke-width="1" fill="none"/>`,
      );
    }
    if (pts.length > 1)
      out.push(
        `<polyline points="${pts.map((p) => `${fmt(xa.map(p.x))},${fmt(ya.map(p.y))}`).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    for (const p of pts) out.push(marker(kind, xa.map(p.x), ya.map(p.y), colour));
    out.push('</g>');
  });
  // legend
  const lx = plot.right + 16;
  spec.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    const kind = MARKERS[i % MARKERS.length] as (typeof MARKERS)[number];
    const y = plot.top + 10 + i * 20;
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      marker(kind, lx + 12, y, colour),
      `<text x="${lx + 30}" y="${y + 4}" fill="#222">${escapeXml(s.name)}</text>`,
    );
  });
  if (spec.series.some((s) => s.points.some((p) => p.yMin !== undefined && p.yMax !== undefined))) {
    const y = plot.top + 10 + legendRows * 20 + 6;
    out.push(`<text x="${lx}" y="${y}" fill="#555" font-size="11">whiskers: min–max over rounds</text>`);
  }
  footLines.forEach((line, i) =>
    out.push(
      `<text x="${plot.left}" y="${height - 10 - (footLines.length - 1 - i) * 14}" fill="#666" font-size="11">${escapeXml(line)}</text>`,
    ),
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
