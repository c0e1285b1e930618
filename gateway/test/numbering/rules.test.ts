// The numbering rules engine: the default rule set (vectors), precedence and `continue`, explain() traces,
// line URI mapping, directory lookup, configuration refusals, regex safety, and properties: normalisation
// never throws, always answers a valid NumberView, is idempotent on its own output, and agrees with a
// reference model of Cisco rule precedence.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NumberView } from '../../../common/src/api/views.js';
import {
  compileNumberingRules,
  DIAL_INPUT_MAX_LENGTH,
  directoryLookupKey,
  explain,
  explainDirectoryLookup,
  explainLineUri,
  formatNumberForDisplay,
  lineKeyOf,
  normalizeDialString,
  NumberingRules,
  NumberingRulesConfig,
  regexProblem,
  type RuleStep,
} from '../../src/numbering/index.js';
import { ErrorCode } from '../../src/util/errors.js';
import { unwrap } from '../../src/util/result.js';
import { loadVectors } from './vectors.js';
// The default rule set of these vectors is the demo cluster's (written once, in the simulator).
import { DEMO_NUMBERING_RULES as DEFAULT_NUMBERING_RULES_CONFIG } from '../../../simulator/src/index.js';

const ExpectedView = z.strictObject({
  dialString: z.string(),
  display: z.string(),
  valid: z.boolean(),
  rule: z.string().optional(),
});
/** [rule, status, before, after?, continued?] */
const TraceStep = z.union([
  z.tuple([z.string(), z.enum(['matched', 'notMatched', 'skipped']), z.string()]),
  z.tuple([z.string(), z.literal('matched'), z.string(), z.string()]),
  z.tuple([z.string(), z.literal('matched'), z.string(), z.string(), z.literal(true)]),
]);
type TraceStep = z.infer<typeof TraceStep>;

const dialDefault = loadVectors(
  'dial-default.json',
  z.object({
    vectors: z
      .array(
        z.strictObject({
          name: z.string(),
          input: z.string(),
          expect: ExpectedView,
          reasonIncludes: z.string().optional(),
        }),
      )
      .min(1),
  }),
).vectors;
const ruleSets = loadVectors(
  'rules.json',
  z.object({
    sets: z
      .array(
        z.strictObject({
          name: z.string(),
          config: z.unknown(),
          cases: z
            .array(
              z.strictObject({
                input: z.string(),
                expect: ExpectedView,
                reasonIncludes: z.string().optional(),
                trace: z.array(TraceStep),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
).sets;
const lineSets = loadVectors(
  'line-uri.json',
  z.object({
    sets: z
      .array(
        z.strictObject({
          name: z.string(),
          config: z.unknown(),
          cases: z
            .array(
              z.strictObject({
                input: z.string(),
                expect: z
                  .strictObject({
                    dn: z.string(),
                    partition: z.string().optional(),
                    from: z.enum(['ext', 'number']),
                    rule: z.string().optional(),
                    partitionFrom: z.enum(['uri', 'rule', 'default']).optional(),
                  })
                  .optional(),
                error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
                trace: z.array(TraceStep).optional(),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  }),
).sets;
const configVectors = loadVectors(
  'config.json',
  z.object({
    invalidConfigs: z
      .array(z.strictObject({ name: z.string(), config: z.unknown(), messages: z.array(z.string()).min(1) }))
      .min(1),
    regexes: z.strictObject({ accepted: z.array(z.string()).min(1), refused: z.array(z.string()).min(1) }),
  }),
);

const rules = unwrap(compileNumberingRules(DEFAULT_NUMBERING_RULES_CONFIG));
const compiled = (config: unknown): NumberingRules =>
  config === null ? rules : unwrap(compileNumberingRules(config));
const asTuple = (step: RuleStep): TraceStep => {
  if (step.continued === true && step.after !== undefined)
    return [step.rule, 'matched', step.before, step.after, true];
  if (step.after !== undefined) return [step.rule, 'matched', step.before, step.after];
  return [step.rule, step.status, step.before];
};

describe('default rule set (docs/numbering.md §4)', () => {
  it('compiles, and the exported schema accepts it', () => {
    expect(NumberingRulesConfig.safeParse(DEFAULT_NUMBERING_RULES_CONFIG).success).toBe(true);
    expect(compileNumberingRules(DEFAULT_NUMBERING_RULES_CONFIG).ok).toBe(true);
  });

  it.each(dialDefault.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    const view = normalizeDialString(vector.input, rules);
    const { reason, ...rest } = view;
    expect(rest).toStrictEqual({ input: vector.input, ...vector.expect });
    if (vector.expect.valid) expect(reason).toBeUndefined();
    else expect(reason).toContain(vector.reasonIncludes ?? '(a reason)');
    expect(NumberView.parse(view)).toStrictEqual(view);
  });

  it('refuses input longer than the desk API allows, without reading it', () => {
    const view = normalizeDialString('1'.repeat(DIAL_INPUT_MAX_LENGTH + 1), rules);
    expect(view.valid).toBe(false);
    expect(view.reason).toContain(`the limit is ${DIAL_INPUT_MAX_LENGTH}`);
  });

  it('answers a value that is not a string with an invalid view, not a throw', () => {
    for (const notAString of [undefined, null, 42, {}, ['1001']]) {
      // cast: simulates an untyped caller (IPC before validation)
      const view = normalizeDialString(notAString as unknown as string, rules);
      expect(view.valid).toBe(false);
      expect(NumberView.safeParse(view).success).toBe(true);
    }
  });
});

describe('rule precedence, continue, and explain() traces', () => {
  for (const set of ruleSets) {
    describe(set.name, () => {
      const setRules = compiled(set.config);
      it.each(set.cases.map((c) => [c.input, c] as const))('%s', (input, c) => {
        const view = normalizeDialString(input, setRules);
        const { reason, ...rest } = view;
        expect(rest).toStrictEqual({ input, ...c.expect });
        if (c.expect.valid) expect(reason).toBeUndefined();
        else expect(reason).toContain(c.reasonIncludes ?? '(a reason)');

        const explanation = explain(input, setRules);
        expect(explanation.result).toStrictEqual(view);
        expect(explanation.steps.map(asTuple)).toStrictEqual(c.trace);
        for (const step of explanation.steps) expect(step.why.length).toBeGreaterThan(0);
      });
    });
  }

  it('explains in words: why a Cisco rule did not match, and what a match did', () => {
    const explanation = explain('9 408 555 1001', rules);
    const byRule = new Map(explanation.steps.map((s) => [s.rule, s]));
    expect(byRule.get('long-distance')?.why).toBe('"+14085551001" does not begin with "1"');
    expect(byRule.get('outside-national')?.why).toBe(
      '"94085551001" matches /^9([2-9]\\d{2}[2-9]\\d{6})$/; replaced by "+1$1" → "+14085551001"',
    );
    expect(byRule.get('site-did')?.why).toBe(
      '"+14085551001" begins with "+14085551" and has 12 characters: removed 8 → "1001"',
    );
    expect(explanation.party).toStrictEqual({ number: '94085551001', source: 'digits' });
    const short = explain('+1408555100', rules).steps.find((s) => s.rule === 'site-did');
    expect(short?.why).toBe('"+1408555100" has 11 characters; the rule wants 12');
  });

  it('explains why the extension of a tel URI is not dialled, and when nothing matched', () => {
    expect(explain('tel:+14085550100;ext=55', rules).notes.join(' ')).toContain(
      'the extension 55 is not dialled',
    );
    expect(explain('12', rules).notes).toContain('no rule matched: dialled as it is');
  });

  it('explains a refusal before any rule', () => {
    const explanation = explain('sip:alice@example.com', rules);
    expect(explanation.steps).toStrictEqual([]);
    expect(explanation.party).toBeUndefined();
    expect(explanation.result.reason).toContain('not a telephone number');
  });
});

describe('line URI → line key', () => {
  for (const set of lineSets) {
    describe(set.name, () => {
      const setRules = compiled(set.config);
      it.each(set.cases.map((c) => [c.input, c] as const))('%s', (input, c) => {
        const result = lineKeyOf(input, setRules);
        if (c.expect !== undefined) {
          expect(unwrap(result)).toStrictEqual(c.expect);
        } else {
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.error.code).toBe(c.error?.code);
            expect(result.error.message).toContain(c.error?.message);
          }
        }
        const explanation = explainLineUri(input, setRules);
        expect(explanation.result).toStrictEqual(result);
        if (c.trace !== undefined) expect(explanation.steps.map(asTuple)).toStrictEqual(c.trace);
      });
    });
  }
});

describe('directory lookup rules', () => {
  it.each([
    ['+14085551001', { number: '1001', rule: 'site-did' }],
    ['tel:+14085551001', { number: '1001', rule: 'site-did' }],
    ['(408) 555-0100', { number: '+14085550100', rule: 'national' }],
    ['+3222220220', { number: '+3222220220' }],
  ])('%s', (input, expected) => {
    expect(unwrap(directoryLookupKey(input, rules))).toStrictEqual(expected);
    expect(explainDirectoryLookup(input, rules).result).toStrictEqual(directoryLookupKey(input, rules));
  });

  it('refuses what is not a number, and a rule that leaves nothing', () => {
    expect(directoryLookupKey('alice', rules).ok).toBe(false);
    const eat = unwrap(
      compileNumberingRules({ directoryLookup: { rules: [{ name: 'eat', removeDigits: 8 }] } }),
    );
    const result = directoryLookupKey('1001', eat);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(ErrorCode.NumberInvalid);
    expect(explainDirectoryLookup('1001', eat).steps.map(asTuple)).toStrictEqual([
      ['eat', 'matched', '1001', ''],
    ]);
  });
});

describe('configuration', () => {
  it.each(configVectors.invalidConfigs.map((v) => [v.name, v] as const))('refuses %s', (_name, vector) => {
    const result = compileNumberingRules(vector.config);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(ErrorCode.ConfigInvalid);
    for (const message of vector.messages) expect(result.error.message).toContain(message);
  });

  it('an empty configuration is Cisco pass-through', () => {
    const empty = unwrap(NumberingRules.compile({}));
    expect(empty.config).toStrictEqual({
      lineUri: { rewrites: [], unmatched: 'useNumber' },
      dial: { rules: [], unmatched: 'dialAsIs' },
      directoryLookup: { rules: [] },
    });
  });

  it.each(configVectors.regexes.accepted)('accepts the pattern %s', (source) => {
    expect(regexProblem(source)).toBeUndefined();
  });

  it.each(configVectors.regexes.refused)('refuses the pattern %s', (source) => {
    expect(regexProblem(source)).toBeDefined();
  });
});

describe('formatNumberForDisplay', () => {
  it.each([
    ['+14085551234', '+1 408 555 1234'],
    ['+1408', '+1 408'],
    ['+1', '+1'],
    ['+3222220220', '+32 222 202 20'],
    ['+442079460958', '+44 207 946 0958'],
    ['+35312345678', '+353 123 456 78'],
    ['+79161234567', '+7 916 123 4567'],
    ['+353', '+353'],
    ['1001', '1001'],
    ['*67#', '*67#'],
    ['+0123', '+0123'],
    ['', ''],
  ])('%s → %s', (input, display) => {
    expect(formatNumberForDisplay(input)).toBe(display);
  });
});

// ---------------------------------------------------------------------------- properties

const DIGIT = fc.constantFrom(...'0123456789'.split(''));
/** Inputs shaped like what people dial: access codes, then digits, with separators sometimes. */
const dialLike = fc
  .tuple(
    fc.constantFrom(
      '',
      '',
      '9',
      '91',
      '9011',
      '011',
      '1',
      '+1',
      '+1408555',
      '+',
      '+44',
      '+0',
      '*',
      '#',
      'tel:',
      'tel:+',
      'sip:',
    ),
    fc.string({
      unit: fc.oneof(
        { weight: 8, arbitrary: DIGIT },
        { weight: 1, arbitrary: fc.constantFrom(' ', '-', '(', ')', '.', '*', '#', 'x') },
      ),
      maxLength: 18,
    }),
    fc.constantFrom('', '', '@host;user=phone', ';ext=12', ';phone-context=dialstring'),
  )
  .map(([head, body, tail]) => head + body + (head.startsWith('tel:') || head === 'sip:' ? tail : ''));
const anyInput = fc.oneof(
  dialLike,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: DIAL_INPUT_MAX_LENGTH + 8 }),
);

describe('normalisation properties', () => {
  it('never throws, always answers a valid NumberView, and is idempotent on its own output (default rules)', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const view = normalizeDialString(input, rules);
        expect(NumberView.parse(view)).toStrictEqual(view);
        expect(view.input).toBe(input);
        expect(view.valid).toBe(view.dialString !== '');
        expect(view.valid ? view.reason === undefined : (view.reason ?? '').length > 0).toBe(true);
        if (view.valid) {
          expect(view.dialString).toMatch(/^\+?[0-9*#]+$/);
          const again = normalizeDialString(view.dialString, rules);
          expect(again.valid).toBe(true);
          expect(again.dialString).toBe(view.dialString);
          expect(again.display).toBe(view.display);
        }
        expect(explain(input, rules).result).toStrictEqual(view);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with a reference model of Cisco rule precedence and continue', () => {
    const ciscoRule = fc
      .record({
        beginsWith: fc.string({ unit: DIGIT, maxLength: 2 }),
        numberOfDigits: fc.option(fc.integer({ min: 2, max: 6 }), { nil: undefined }),
        removeDigits: fc.integer({ min: 0, max: 2 }),
        prefix: fc.string({ unit: DIGIT, maxLength: 2 }),
        continue: fc.boolean(),
      })
      .filter((r) => r.numberOfDigits === undefined || r.beginsWith.length <= r.numberOfDigits);
    fc.assert(
      fc.property(
        fc.array(ciscoRule, { maxLength: 6 }),
        fc.string({ unit: DIGIT, minLength: 1, maxLength: 6 }),
        (list, input) => {
          const named = list.map((r, i) => ({ name: `r${i}`, ...r }));
          const setRules = unwrap(compileNumberingRules({ dial: { rules: named } }));
          // The model: in order, a rule matches when the number begins with beginsWith and (if set) has
          // exactly numberOfDigits characters; a match rewrites, and stops the list unless it continues.
          let value = input;
          const matched: string[] = [];
          for (const rule of named) {
            if (
              !value.startsWith(rule.beginsWith) ||
              (rule.numberOfDigits !== undefined && value.length !== rule.numberOfDigits)
            )
              continue;
            value = rule.prefix + value.slice(rule.removeDigits);
            matched.push(rule.name);
            if (!rule.continue) break;
          }
          const view = normalizeDialString(input, setRules);
          expect(view.rule).toBe(matched.length === 0 ? undefined : matched.join(' → '));
          expect(view.dialString).toBe(value === '' ? '' : value);
          expect(view.valid).toBe(value !== '');
          const steps = explain(input, setRules).steps;
          expect(steps).toHaveLength(named.length);
          expect(steps.filter((s) => s.status === 'matched').map((s) => s.rule)).toStrictEqual(matched);
          const lastMatched = named.findIndex((r) => r.name === matched[matched.length - 1]);
          const stopped = matched.length > 0 && named[lastMatched]?.continue === false;
          for (const [i, step] of steps.entries())
            expect(step.status === 'skipped').toBe(stopped && i > lastMatched);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
