// Heartbeat RTT sparkline: plain SVG, attributes only (no inline style, CSP style-src 'self').
import { sparklinePoints, formatRtt } from '../lib/format.js';

// Drawn in a 240×32 box and stretched to the card's width (strokes do not scale).
const WIDTH = 240;
const HEIGHT = 32;

export function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  const points = sparklinePoints(values, WIDTH, HEIGHT);
  const finite = values.filter((v) => Number.isFinite(v));
  const summary =
    finite.length === 0
      ? `${label}: no samples yet`
      : `${label}: ${finite.length} samples, ${formatRtt(Math.min(...finite))} to ${formatRtt(Math.max(...finite))}, latest ${formatRtt(finite[finite.length - 1])}`;
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={summary}
    >
      <line
        className="sparkline-base"
        x1="0"
        y1={HEIGHT - 1}
        x2={WIDTH}
        y2={HEIGHT - 1}
        vectorEffect="non-scaling-stroke"
      />
      {points === '' ? null : (
        <polyline className="sparkline-line" points={points} vectorEffect="non-scaling-stroke" />
      )}
    </svg>
  );
}
