// CTI device IDs of line appearances and line URIs: vectors, limits, and round-trip properties
// (appearanceId ↔ parseAppearanceId; lineUriOf → lineKeyOf gives the line back).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  appearanceId,
  DEVICE_NAME_MAX_LENGTH,
  DN_MAX_LENGTH,
  lineUriOf,
  parseAppearanceId,
  PARTITION_MAX_LENGTH,
  validateDeviceName,
  validateDn,
  validatePartition,
  type LineUriStyle,
} from '../../src/numbering/appearance.js';
import { compileNumberingRules, lineKeyOf, type NumberingRules } from '../../src/numbering/index.js';
import { parseTelUri } from '../../src/numbering/tel.js';
import { ErrorCode } from '../../src/util/errors.js';
import { unwrap } from '../../src/util/result.js';
import { loadVectors } from './vectors.js';

const Key = z.strictObject({ device: z.string(), dn: z.string(), partition: z.string() });
const vectors = loadVectors(
  'appearance.json',
  z.strictObject({
    about: z.string(),
    ids: z.strictObject({
      valid: z.array(z.strictObject({ id: z.string(), expect: Key })).min(1),
      invalid: z.array(z.strictObject({ id: z.string(), message: z.string() })).min(1),
    }),
    lineUris: z
      .array(
        z.strictObject({
          name: z.string(),
          line: z.strictObject({ dn: z.string(), partition: z.string(), e164: z.string().optional() }),
          style: z.string(),
          expect: z.string().optional(),
          error: z.string().optional(),
        }),
      )
      .min(1),
  }),
);

describe('appearance IDs (docs/cti-link.md §5)', () => {
  it.each(vectors.ids.valid.map((v) => [v.id, v] as const))('parses %s', (id, vector) => {
    expect(unwrap(parseAppearanceId(id))).toStrictEqual(vector.expect);
    expect(unwrap(appearanceId(vector.expect.device, vector.expect.dn, vector.expect.partition))).toBe(id);
  });

  it.each(vectors.ids.invalid.map((v) => [v.id, v] as const))('refuses %j', (id, vector) => {
    const result = parseAppearanceId(id);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(ErrorCode.InvalidArgument);
    expect(result.error.message).toContain(vector.message);
  });

  it('refuses names one character over their limits, accepts them at the limits', () => {
    expect(validateDeviceName('S'.repeat(DEVICE_NAME_MAX_LENGTH)).ok).toBe(true);
    expect(validateDeviceName('S'.repeat(DEVICE_NAME_MAX_LENGTH + 1)).ok).toBe(false);
    expect(validateDn('1'.repeat(DN_MAX_LENGTH)).ok).toBe(true);
    expect(validateDn('1'.repeat(DN_MAX_LENGTH + 1)).ok).toBe(false);
    expect(validatePartition('P'.repeat(PARTITION_MAX_LENGTH)).ok).toBe(true);
    expect(validatePartition('P'.repeat(PARTITION_MAX_LENGTH + 1)).ok).toBe(false);
    expect(parseAppearanceId('x'.repeat(10_000)).ok).toBe(false);
  });

  it('appearanceId refuses parts that would make an ambiguous ID', () => {
    const slash = appearanceId('SEP00AABB000001', '1001', 'A/B');
    expect(slash.ok).toBe(false);
    if (!slash.ok) expect(slash.error.message).toContain('"/" separates the parts of an appearance ID');
    expect(appearanceId('SEP/1', '1001', 'P').ok).toBe(false);
    expect(appearanceId('SEP1', '10/01', 'P').ok).toBe(false);
  });
});

describe('lineUriOf', () => {
  it.each(vectors.lineUris.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    // The vector file names the style as text: an unknown one is part of what is tested.
    const result = lineUriOf(vector.line, vector.style as LineUriStyle);
    if (vector.expect !== undefined) {
      expect(unwrap(result)).toBe(vector.expect);
      // What we provision must be what we parse without leniency.
      expect(unwrap(parseTelUri(vector.expect)).leniencies).toStrictEqual([]);
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe(ErrorCode.InvalidArgument);
        expect(result.error.message).toContain(vector.error);
      }
    }
  });
});

// ---------------------------------------------------------------------------- properties

const chars = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: min, maxLength: max });
const device = chars('ABCDEFabcdef0123456789._-', 1, DEVICE_NAME_MAX_LENGTH);
const dn = fc.oneof(
  chars('0123456789*#', 1, DN_MAX_LENGTH),
  chars('0123456789', 1, 15).map((d) => `+${d}`),
);
const partition = chars('ABCZabz09_-', 0, PARTITION_MAX_LENGTH);
const rulesWithoutDefaults: NumberingRules = unwrap(compileNumberingRules({}));

describe('appearance properties', () => {
  it('parseAppearanceId(appearanceId(d, n, p)) gives back (d, n, p)', () => {
    fc.assert(
      fc.property(device, dn, partition, (d, n, p) => {
        expect(unwrap(parseAppearanceId(unwrap(appearanceId(d, n, p))))).toStrictEqual({
          device: d,
          dn: n,
          partition: p,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('lineKeyOf(lineUriOf(line)) gives the line back, in both styles', () => {
    fc.assert(
      fc.property(
        dn,
        partition,
        chars('0123456789', 6, 14).map((d) => `+${1 + (Number(d[0]) % 9)}${d}`),
        (n, p, e164) => {
          const dialstring = unwrap(
            lineKeyOf(unwrap(lineUriOf({ dn: n, partition: p }, 'dialstring')), rulesWithoutDefaults),
          );
          expect(dialstring.dn).toBe(n);
          expect(dialstring.partition).toBe(p === '' ? undefined : p);
          if (/^[0-9]+$/.test(n)) {
            const e164Style = unwrap(
              lineKeyOf(unwrap(lineUriOf({ dn: n, partition: p, e164 }, 'e164')), rulesWithoutDefaults),
            );
            expect(e164Style).toStrictEqual({ dn: n, from: 'ext' });
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
