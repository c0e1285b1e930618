// The benchmark plots and report blocks (bench/lib/svg.ts, bench/report.ts): the SVG is
// well-formed XML, carries every series and its accessible title, is the same bytes for the same
// input, and the report replaces exactly what lies between its markers.
import { describe, expect, it } from 'vitest';
import { DEFAULT_XML_LIMITS, parseXml } from '../../src/csta/xml.js';
import { lineChart, logTicks, niceTicks } from '../../../bench/lib/svg.js';
import { replaceBetween, README_MARKERS } from '../../../bench/report.js';

/** Well-formed by the engine's own XML parser (no DTD, so the SVG declares none). */
const wellFormed = (svg: string): boolean => parseXml(svg, { ...DEFAULT_XML_LIMITS, maxBytes: 1 << 20 }).ok;

const spec = {
  title: 'CPU per request against rate',
  description: 'three legs & their whiskers',
  xLabel: 'rate (requests/s)',
  yLabel: 'µs',
  series: [
    {
      name: 'gateway <main>',
      points: [
        { x: 1000, y: 250, yMin: 240, yMax: 262 },
        { x: 4000, y: 130 },
      ],
    },
    {
      name: 'floor',
      points: [
        { x: 1000, y: 100 },
        { x: 4000, y: 50 },
      ],
      dashed: true,
    },
  ],
  references: [{ y: 200, label: 'limit' }],
  footnote: 'QUICK RUN · commit 0123456789 · AMD EPYC, 2 cores',
};

describe('bench SVG line charts', () => {
  it('writes well-formed, accessible, deterministic SVG with every series', () => {
    const svg = lineChart(spec);
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('<title id="t">CPU per request against rate</title>');
    expect(svg).toContain('three legs &amp; their whiskers');
    expect(svg).toContain('gateway &lt;main&gt;');
    expect(svg.match(/<polyline /g)?.length).toBe(2);
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(lineChart(spec)).toBe(svg);
  });

  it('puts log-scale points in order and leaves non-positive values out', () => {
    const svg = lineChart({
      ...spec,
      yLog: true,
      series: [
        {
          name: 'p99',
          points: [
            { x: 2, y: 0 },
            { x: 1, y: 3 },
            { x: 3, y: 30 },
          ],
        },
      ],
    });
    expect(wellFormed(svg)).toBe(true);
    const points = /<polyline points="([^"]+)"/.exec(svg)?.[1]?.split(' ') ?? [];
    expect(points.length).toBe(2);
    const xs = points.map((p) => Number(p.split(',')[0]));
    expect(xs[0]).toBeLessThan(xs[1] as number);
  });

  it('chooses round tick values that cover the data', () => {
    expect(niceTicks(0, 262)).toEqual([0, 100, 200, 300]);
    expect(niceTicks(0, 262, 10)).toEqual([0, 50, 100, 150, 200, 250, 300]);
    expect(niceTicks(1000, 6000)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);
    expect(logTicks(2, 500)).toEqual([2, 5, 10, 20, 50, 100, 200, 500]);
  });
});

describe('bench:report markers', () => {
  it('replaces only the text between the markers, which stay', () => {
    const before = `# Title\n\nintro\n\n${README_MARKERS[0]}\nold table\n${README_MARKERS[1]}\n\n## Next\n`;
    const after = replaceBetween(before, README_MARKERS, ['', '| new | table |', '']);
    expect(after).toBe(
      `# Title\n\nintro\n\n${README_MARKERS[0]}\n\n| new | table |\n\n${README_MARKERS[1]}\n\n## Next\n`,
    );
    expect(replaceBetween(after, README_MARKERS, ['', '| new | table |', ''])).toBe(after);
  });

  it('refuses a file without its markers', () => {
    expect(() => replaceBetween('no markers here', README_MARKERS, ['x'])).toThrow(/markers/);
  });
});
