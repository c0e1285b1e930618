// RFC 3966 tel URIs: vectors (RFC examples, Microsoft and Cisco line URIs, every refusal), the builder, the
// comparison rules, and properties: format(parse(x)) round-trips, parse never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  formatTelUri,
  makeTelUri,
  parseTelUri,
  telUriEquals,
  TEL_URI_MAX_LENGTH,
  type TelParameter,
  type TelUri,
} from '../../src/numbering/tel.js';
import { ErrorCode } from '../../src/util/errors.js';
import { loadVectors } from './vectors.js';

const TelParameterSchema = z.strictObject({ name: z.string(), value: z.string().optional() });
const TelUriSchema = z.strictObject({
  global: z.boolean(),
  number: z.string(),
  ext: z.string().optional(),
  isub: z.string().optional(),
  phoneContext: z.string().optional(),
  partition: z.string().optional(),
  params: z.array(TelParameterSchema),
  leniencies: z.array(z.enum(['missingPhoneContext', 'phoneContextOnGlobal', 'percentEncodedNumber'])),
});
const valid = loadVectors(
  'tel-valid.json',
  z.object({
    vectors: z
      .array(
        z.strictObject({ name: z.string(), input: z.string(), expect: TelUriSchema, format: z.string() }),
      )
      .min(1),
  }),
).vectors;
const invalid = loadVectors(
  'tel-invalid.json',
  z.object({
    vectors: z.array(z.strictObject({ name: z.string(), input: z.string(), message: z.string() })).min(1),
  }),
).vectors;

function parsed(text: string): TelUri {
  const result = parseTelUri(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.error.message}`);
  return result.value;
}

describe('parseTelUri: valid vectors', () => {
  it.each(valid.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const uri = parsed(vector.input);
    expect(uri).toStrictEqual(vector.expect);
    expect(formatTelUri(uri)).toBe(vector.format);
    // The formatted form is canonical: it parses to the same URI and formats to itself.
    const again = parsed(vector.format);
    expect(formatTelUri(again)).toBe(vector.format);
    expect(telUriEquals(again, uri)).toBe(true);
  });
});

describe('parseTelUri: refusals', () => {
  it.each(invalid.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const result = parseTelUri(vector.input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(ErrorCode.UriInvalid);
    expect(result.error.message).toContain(vector.message);
  });

  it('refuses input over the length limit, and accepts it at the limit', () => {
    const atLimit = 'tel:+1' + '2'.repeat(TEL_URI_MAX_LENGTH - 6);
    expect(atLimit).toHaveLength(TEL_URI_MAX_LENGTH);
    expect(parseTelUri(atLimit).ok).toBe(true);
    const over = parseTelUri(atLimit + '3');
    expect(over.ok).toBe(false);
    if (!over.ok)
      expect(over.error.message).toContain(
        `${TEL_URI_MAX_LENGTH + 1} characters long; the limit is ${TEL_URI_MAX_LENGTH}`,
      );
    // A huge input is refused on its length, before anything scans it.
    const huge = parseTelUri('tel:' + '1'.repeat(1_000_000));
    expect(huge.ok).toBe(false);
  });

  it('refuses a value that is not a string without throwing', () => {
    // The parser sits at the protocol boundary, where a decoded XML field may be anything.
    const notAString: unknown = 42;
    const result = parseTelUri(notAString as string); // cast: simulates an untyped caller
    expect(result.ok).toBe(false);
  });
});

describe('makeTelUri', () => {
  it('builds what lineUriOf needs', () => {
    const made = makeTelUri({ number: '+1-408-555-1001', ext: '1001' });
    expect(made.ok && formatTelUri(made.value)).toBe('tel:+14085551001;ext=1001');
    const local = makeTelUri({
      number: '1001',
      phoneContext: 'dialstring',
      partition: 'Site A',
      params: [{ name: 'X-Site', value: 'brs' }],
    });
    expect(local.ok && formatTelUri(local.value)).toBe(
      'tel:1001;phone-context=dialstring;partition=Site%20A;x-site=brs',
    );
  });

  it.each([
    ['parameter injection through the number', { number: '1001;partition=EVIL' }, 'not valid in a tel URI'],
    ['percent in the number', { number: '10%3B01' }, 'not valid in a tel URI'],
    ['control character in the number', { number: '1001\r\n' }, 'not valid in a tel URI'],
    ['letters in a global number', { number: '+1FLOWERS' }, 'has "F"'],
    ['bad ext', { number: '+1234567', ext: '1a' }, 'ext "1a"'],
    ['bad phone-context', { number: '1234', phoneContext: 'not a domain' }, 'neither a domain name'],
    ['empty partition', { number: '1234', partition: '' }, 'partition is empty'],
    [
      'reserved name in params',
      { number: '1234', params: [{ name: 'EXT', value: '1' }] },
      'has its own field',
    ],
    ['bad parameter name', { number: '1234', params: [{ name: 'a b' }] }, 'is not valid'],
    [
      'duplicate other parameters',
      {
        number: '1234',
        params: [
          { name: 'x', value: '1' },
          { name: 'X', value: '2' },
        ],
      },
      'appears twice',
    ],
    ['control character in a value', { number: '1234', partition: 'a\u0000' }, 'control character U+0000'],
  ])('refuses %s', (_name, fields, message) => {
    const made = makeTelUri(fields);
    expect(made.ok).toBe(false);
    if (!made.ok) {
      expect(made.error.code).toBe(ErrorCode.UriInvalid);
      expect(made.error.message).toContain(message);
    }
  });
});

describe('telUriEquals (RFC 3966 §4)', () => {
  it.each([
    ['separators are ignored', 'tel:+1-201-555-0123', 'tel:+12015550123', true],
    [
      'parameter order is ignored',
      'tel:1;phone-context=a.com;partition=P;x=1',
      'tel:1;x=1;partition=P;phone-context=a.com',
      true,
    ],
    [
      'names and values are case-insensitive',
      'tel:1;phone-context=Example.COM;partition=p',
      'TEL:1;PHONE-CONTEXT=example.com;PARTITION=P',
      true,
    ],
    [
      'a trailing dot on the domain is ignored',
      'tel:1;phone-context=example.com.',
      'tel:1;phone-context=example.com',
      true,
    ],
    ['hex digits are case-insensitive', 'tel:*6a;phone-context=a.com', 'tel:*6A;phone-context=a.com', true],
    ['different ext', 'tel:+14085551234;ext=1', 'tel:+14085551234;ext=2', false],
    ['ext present in one only', 'tel:+14085551234;ext=1', 'tel:+14085551234', false],
    ['extra parameter', 'tel:+14085551234;x', 'tel:+14085551234', false],
    ['same name, different value', 'tel:+14085551234;x=1', 'tel:+14085551234;x=2', false],
    ['global and local', 'tel:+1234;phone-context=a.com', 'tel:1234;phone-context=a.com', false],
    [
      'different partition',
      'tel:1;phone-context=dialstring;partition=A',
      'tel:1;phone-context=dialstring;partition=B',
      false,
    ],
  ])('%s', (_name, a, b, equal) => {
    expect(telUriEquals(parsed(a), parsed(b))).toBe(equal);
    expect(telUriEquals(parsed(b), parsed(a))).toBe(equal);
  });
});

// ---------------------------------------------------------------------------- properties

const DIGITS = '0123456789'.split('');
const digitString = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...DIGITS), minLength: min, maxLength: max });

/** Inserts RFC 3966 visual separators at random places. */
const withSeparators = (core: string): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(fc.nat({ max: 40 }), fc.constantFrom('-', '.', '(', ')')), { maxLength: 4 })
    .map((inserts) => {
      let out = core;
      for (const [at, sep] of inserts) {
        const i = at % (out.length + 1);
        out = out.slice(0, i) + sep + out.slice(i);
      }
      return out;
    });

/** Randomly upper-/lower-cases ASCII letters. */
const randomCase = (text: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((flags) =>
      [...text].map((ch, i) => (flags[i] === true ? ch.toUpperCase() : ch.toLowerCase())).join(''),
    );

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
const alpha = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split(''));
const label = (first: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(first, fc.string({ unit: fc.oneof(alnum, fc.constant('-')), maxLength: 6 }), alnum)
    .map(([a, mid, z]) => `${a}${mid}${z}`);
const domain = fc
  .tuple(fc.array(label(alnum), { maxLength: 2 }), label(alpha))
  .map(([labels, top]) => [...labels, top].join('.'));

/** Parameter values, including characters that must be percent-encoded and non-ASCII ones. */
const paramValue = fc.string({
  unit: fc.constantFrom(...'aZ09-_.!~*\'()[]/:&+$ %;,="<>é中'.split(''), '😀'),
  minLength: 1,
  maxLength: 12,
});

/** The RFC 3986 percent-encoding of a pvalue, written independently of the code under test. */
const encodeParamValue = (value: string): string =>
  encodeURIComponent(value).replace(/%(5B|5D|2F|3A|26|2B|24)/g, (escape) => decodeURIComponent(escape));

interface Model {
  uri: TelUri;
  canonical: string;
  noisy: fc.Arbitrary<string>;
}

const model: fc.Arbitrary<Model> = fc
  .record({
    global: fc.boolean(),
    digits: digitString(1, 15),
    localExtra: fc.string({ unit: fc.constantFrom('*', '#', 'A', 'B', 'C', 'D', 'E', 'F'), maxLength: 3 }),
    ext: fc.option(digitString(1, 6), { nil: undefined }),
    isub: fc.option(
      fc.string({ unit: fc.constantFrom(...'0123456789abc/?:@&=+$,'.split('')), minLength: 1, maxLength: 8 }),
      { nil: undefined },
    ),
    context: fc.option(
      fc.oneof(
        domain,
        digitString(1, 6).map((d) => `+${d}`),
      ),
      { nil: undefined },
    ),
    partition: fc.option(paramValue, { nil: undefined }),
    params: fc.uniqueArray(
      fc.record({
        name: fc.string({ unit: alnum, minLength: 1, maxLength: 6 }).map((n) => `x-${n}`),
        value: fc.option(paramValue, { nil: undefined }),
      }),
      { maxLength: 3, selector: (p) => p.name },
    ),
  })
  .chain((m) => {
    const number = m.global ? `+${m.digits}` : `${m.digits}${m.localExtra}`;
    const params: TelParameter[] = m.params.map((p) =>
      p.value === undefined ? { name: p.name } : { name: p.name, value: p.value },
    );
    const leniencies: TelUri['leniencies'] =
      m.context === undefined
        ? m.global
          ? []
          : ['missingPhoneContext']
        : m.global
          ? ['phoneContextOnGlobal']
          : [];
    const uri: { -readonly [K in keyof TelUri]: TelUri[K] } = {
      global: m.global,
      number,
      params,
      leniencies,
    };
    if (m.ext !== undefined) uri.ext = m.ext;
    if (m.isub !== undefined) uri.isub = m.isub;
    if (m.context !== undefined) uri.phoneContext = m.context;
    if (m.partition !== undefined) uri.partition = m.partition;

    // Canonical form, RFC 3966 §3 order, written here without the formatter.
    const parts: string[] = [`tel:${number}`];
    if (m.ext !== undefined) parts.push(`ext=${m.ext}`);
    if (m.isub !== undefined) parts.push(`isub=${m.isub}`);
    if (m.context !== undefined) parts.push(`phone-context=${m.context}`);
    if (m.partition !== undefined) parts.push(`partition=${encodeParamValue(m.partition)}`);
    for (const p of params)
      parts.push(p.value === undefined ? p.name : `${p.name}=${encodeParamValue(p.value)}`);
    const canonical = parts.join(';');

    // A noisy equivalent: separators in the numbers, random case in names and hex digits, shuffled parameters.
    const noisy = fc
      .tuple(
        withSeparators(m.global ? m.digits : number),
        m.ext === undefined ? fc.constant(undefined) : withSeparators(m.ext),
        m.context !== undefined && m.context.startsWith('+')
          ? withSeparators(m.context.slice(1)).map((d) => `+${d}`)
          : fc.constant(m.context),
        // ext, isub, phone-context and partition may come anywhere; the other parameters keep their order.
        fc.array(fc.nat({ max: 10 }), { minLength: 4, maxLength: 4 }).map((places) => {
          const special = /^(ext|isub|phone-context|partition)=/;
          const merged = parts.slice(1).filter((part) => !special.test(part));
          parts
            .slice(1)
            .filter((part) => special.test(part))
            .forEach((part, i) => merged.splice((places[i] ?? 0) % (merged.length + 1), 0, part));
          return merged;
        }),
        randomCase('tel'),
      )
      .chain(([num, ext, context, shuffled, scheme]) => {
        const numberText = m.global ? `+${num}` : num;
        const rewritten = shuffled.map((part) => {
          if (part.startsWith('ext=') && ext !== undefined) return `ext=${ext}`;
          if (part.startsWith('phone-context=') && context !== undefined) return `phone-context=${context}`;
          return part;
        });
        return fc
          .tuple(
            ...rewritten.map((part) => {
              const eq = part.indexOf('=');
              const name = eq < 0 ? part : part.slice(0, eq);
              return randomCase(name).map((n) => (eq < 0 ? n : n + part.slice(eq)));
            }),
          )
          .map((ps) => [`${scheme}:${m.global ? numberText : numberText.toLowerCase()}`, ...ps].join(';'));
      });
    return fc.constant({ uri, canonical, noisy });
  });

describe('tel URI properties', () => {
  it('format(parse(x)) round-trips generated valid URIs, canonical and noisy', () => {
    fc.assert(
      fc.property(
        model.chain((m) => fc.tuple(fc.constant(m), m.noisy)),
        ([m, noisy]) => {
          expect(parsed(m.canonical)).toStrictEqual(m.uri);
          expect(formatTelUri(m.uri)).toBe(m.canonical);
          const fromNoisy = parsed(noisy);
          expect(fromNoisy).toStrictEqual(m.uri);
          expect(formatTelUri(fromNoisy)).toBe(m.canonical);
          expect(telUriEquals(fromNoisy, parsed(m.canonical))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parse never throws, and refusals are URI_INVALID', () => {
    const telish = fc
      .string({
        unit: fc.constantFrom(
          ...'+0123456789-.()*#abcdefABCDEFxX;=%:/ ext=phone-context=partition=isub=\r\n\u0000é'.split(''),
        ),
        maxLength: 80,
      })
      .map((s) => `tel:${s}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), telish),
        (text) => {
          const result = parseTelUri(text);
          if (!result.ok) {
            expect(result.error.code).toBe(ErrorCode.UriInvalid);
            expect(result.error.message.length).toBeGreaterThan(0);
          } else {
            // Whatever is accepted formats to something that parses to an equal URI.
            const again = parsed(formatTelUri(result.value));
            expect(telUriEquals(again, result.value)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
