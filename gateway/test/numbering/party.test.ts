// Party addresses: vectors of what clients send (tel, sip, name-addr, bare digits), refusals, and the
// property that parsing never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parsePartyAddress, PARTY_ADDRESS_MAX_LENGTH } from '../../src/numbering/party.js';
import { ErrorCode } from '../../src/util/errors.js';
import { loadVectors } from './vectors.js';

const PartySchema = z.strictObject({
  number: z.string(),
  ext: z.string().optional(),
  context: z.string().optional(),
  partition: z.string().optional(),
  source: z.enum(['tel', 'sip', 'digits']),
});
const vectors = loadVectors(
  'party.json',
  z.object({
    valid: z.array(z.strictObject({ name: z.string(), input: z.string(), expect: PartySchema })).min(1),
    invalid: z
      .array(
        z.strictObject({
          name: z.string(),
          input: z.string(),
          error: z.strictObject({
            code: z.enum([ErrorCode.NumberInvalid, ErrorCode.UriInvalid]),
            message: z.string(),
          }),
          mustNotContain: z.string().optional(),
        }),
      )
      .min(1),
  }),
);

describe('parsePartyAddress: accepted', () => {
  it.each(vectors.valid.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const result = parsePartyAddress(vector.input);
    if (!result.ok) throw new Error(`refused: ${result.error.message}`);
    expect(result.value).toStrictEqual(vector.expect);
  });
});

describe('parsePartyAddress: refused', () => {
  it.each(vectors.invalid.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const result = parsePartyAddress(vector.input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(vector.error.code);
    expect(result.error.message).toContain(vector.error.message);
    if (vector.mustNotContain !== undefined) {
      expect(result.error.message).not.toContain(vector.mustNotContain);
      expect(JSON.stringify(result.error.toJSON())).not.toContain(vector.mustNotContain);
    }
  });

  it('refuses over-long input before reading it', () => {
    const result = parsePartyAddress('1'.repeat(PARTY_ADDRESS_MAX_LENGTH + 1));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain(`the limit is ${PARTY_ADDRESS_MAX_LENGTH}`);
    expect(parsePartyAddress('1'.repeat(PARTY_ADDRESS_MAX_LENGTH)).ok).toBe(true);
  });

  it('a password in a SIP URI never reaches the result', () => {
    const result = parsePartyAddress('sip:1002:topsecret@host;user=phone');
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result)).not.toContain('topsecret');
  });
});

describe('parsePartyAddress properties', () => {
  it('never throws; a refusal is NUMBER_INVALID or URI_INVALID; a number is made of dial characters', () => {
    const partyish = fc.string({
      unit: fc.constantFrom(...'+0123456789 -.()*#/xext;=@:<>"sip:tel:v:%23%aA\t\u00a0'.split('')),
      maxLength: 60,
    });
    const withScheme = fc
      .tuple(fc.constantFrom('tel:', 'sip:', 'sips:', 'SIP:', '<sip:', '"A" <tel:', ''), partyish)
      .map(([a, b]) => a + b);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), withScheme),
        (text) => {
          const result = parsePartyAddress(text);
          if (!result.ok) {
            expect([ErrorCode.NumberInvalid, ErrorCode.UriInvalid]).toContain(result.error.code);
          } else {
            expect(result.value.number).toMatch(/^\+?[0-9A-F*#]+$/);
            if (result.value.ext !== undefined) expect(result.value.ext).toMatch(/^[0-9]+$/);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bare numbers: separators and spacing never change the digits', () => {
    const written = fc
      .tuple(
        fc.boolean(),
        fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 15 }),
        fc.array(fc.tuple(fc.nat({ max: 30 }), fc.constantFrom(' ', '-', '.', '(', ')', '/', '\u00a0')), {
          maxLength: 6,
        }),
      )
      .map(([plus, digits, seps]) => {
        let text = digits;
        for (const [at, sep] of seps) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + sep + text.slice(i);
        }
        return { text: (plus ? '+' : '') + text, number: (plus ? '+' : '') + digits };
      })
      // "(0)" after "+" is the trunk prefix that is dropped: not what this property is about.
      .filter(({ text }) => !(text.startsWith('+') && text.includes('(0)')));
    fc.assert(
      fc.property(written, ({ text, number }) => {
        const result = parsePartyAddress(text);
        expect(result.ok && result.value).toStrictEqual({ number, source: 'digits' });
      }),
      { numRuns: 500 },
    );
  });
});
