// Property tests: encode -> decode is the identity for messages generated from the descriptors,
// and no mutation or truncation of valid XML makes the decoder throw or answer untyped.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSTA_EDITIONS, DESCRIPTORS, decodeCsta, encodeCsta } from '../../src/csta/index.js';
import { ErrorCode, isDesklineError } from '../../src/util/errors.js';
import { cstaMessage, messageArbitraryOf } from './arbitraries.js';

const RUNS = Number(process.env.CSTA_PROPERTY_RUNS ?? 300);

describe('encode -> decode is the identity', () => {
  it('for every message type', () => {
    for (const descriptor of DESCRIPTORS) {
      fc.assert(
        fc.property(messageArbitraryOf(descriptor), fc.constantFrom(...CSTA_EDITIONS), (message, edition) => {
          const xml = encodeCsta(message, { edition });
          const decoded = decodeCsta(xml);
          if (!decoded.ok) throw decoded.error;
          expect(decoded.value.message).toEqual(message);
          expect(decoded.value.edition).toBe(descriptor.standard === 'ecma354' ? 'ecma354' : edition);
        }),
        { numRuns: Math.max(20, Math.floor(RUNS / 10)) },
      );
    }
  });

  it('across the whole union, as bytes, with and without declaration', () => {
    fc.assert(
      fc.property(cstaMessage, fc.boolean(), (message, declaration) => {
        const xml = encodeCsta(message, { declaration });
        const decoded = decodeCsta(Buffer.from(xml, 'utf8'));
        if (!decoded.ok) throw decoded.error;
        expect(decoded.value.message).toEqual(message);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------

const VECTORS = new URL('../vectors/csta/', import.meta.url);
const seeds = readdirSync(VECTORS)
  .filter((f) => f.endsWith('.xml'))
  .map((f) => readFileSync(new URL(f, VECTORS), 'utf8'));

const NASTY = [
  '<',
  '>',
  '&',
  '"',
  "'",
  '</',
  '/>',
  '<!DOCTYPE x>',
  '<!--',
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#0;',
  '&#x10FFFF;',
  'xmlns:a="u"',
  '\u0000',
  '\uFFFE',
  '<a:b>',
  '<?pi?>',
  ' ',
  '\n',
];

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'flipByte'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 6 })),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 60 }),
  }),
  fc.record({
    kind: fc.constant('flipByte' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 255 }),
  }),
);

function mutate(seed: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = seed;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'utf8'), b.subarray(at)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at)]);
        break;
      case 'flipByte':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[at % b.length] = m.value;
        }
        break;
    }
  }
  return b;
}

const TYPED_CODES = new Set<string>([
  ErrorCode.XmlMalformed,
  ErrorCode.XmlForbiddenConstruct,
  ErrorCode.XmlTooLarge,
  ErrorCode.XmlTooDeep,
  ErrorCode.XmlEncoding,
  ErrorCode.CstaUnknownMessage,
  ErrorCode.CstaMissingField,
  ErrorCode.CstaInvalidField,
]);

describe('fuzz: mutated and truncated XML', () => {
  it('never throws, and answers a message or a typed codec error', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (seed, mutations, asString) => {
          const bytes = mutate(Buffer.from(seed, 'utf8'), mutations);
          const input = asString ? bytes.toString('utf8') : bytes;
          const result = decodeCsta(input);
          if (result.ok) {
            // Whatever we accepted, we can write back and read again identically.
            const again = decodeCsta(encodeCsta(result.value.message));
            if (!again.ok) throw again.error;
            expect(again.value.message).toEqual(result.value.message);
          } else {
            expect(isDesklineError(result.error)).toBe(true);
            expect(TYPED_CODES.has(result.error.code), `${result.error.code}: ${result.error.message}`).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? RUNS * 5) },
    );
  });
});

describe('fuzz regressions', () => {
  it('re-encodes a features list whose element name holds a non-ASCII name character (found by the fuzz property)', () => {
    // A flipped byte made an invalid UTF-8 sequence that, read as a string, became U+FFFD inside
    // an element name of a GetCSTAFeaturesResponse list: an XML NameChar the parser accepts, which
    // the encoder used to refuse with an assertion.
    const xml =
      '<GetCSTAFeaturesResponse xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><supportedServices><logicalServList><get\uFFFDForwarding/></logicalServList></supportedServices></GetCSTAFeaturesResponse>';
    const decoded = decodeCsta(xml);
    if (!decoded.ok) throw decoded.error;
    const again = decodeCsta(encodeCsta(decoded.value.message));
    if (!again.ok) throw again.error;
    expect(again.value.message).toEqual(decoded.value.message);
  });
});
