// The numbering rules engine: line URI → line key, dialled number → dial string, presented number →
// directory lookup key; with a trace of every rule tried, for the admin troubleshooter (docs/numbering.md).
//
// Rules are Cisco IM and Presence "Application Dial Rules" / "Directory Lookup Rules" (number begins with,
// number of digits, total digits to be removed, prefix with pattern) or regular expressions; ordered, first
// match wins unless the rule says `continue: true`. Configuration is validated by a zod schema (exported for
// the gateway config) and compiled once; normalizeDialString() then runs per keystroke and per MakeCall, so it
// is allocation-light and never throws.
import { z } from 'zod';
import type { NumberView } from '../../../common/src/api/views.js';
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { validateDn, validatePartition } from './appearance.js';
import { parsePartyAddress, type PartyAddress } from './party.js';

// ============================================================================ limits

/** Longest input normalizeDialString() reads (the desk API's `desk.normalizeNumber` allows 128). */
export const DIAL_INPUT_MAX_LENGTH = 128;
/** Longest dial string that is valid: CUCM DNs and patterns stay well under it. */
export const DIAL_STRING_MAX_LENGTH = 32;
/** ITU-T E.164 §6: at most 15 digits (country code included). */
export const E164_MAX_DIGITS = 15;
/** The shortest E.164 numbers in service (e.g. +683 and 4 digits) have 7 digits. */
export const E164_MIN_DIGITS = 7;
const REGEX_SOURCE_MAX_LENGTH = 200;

// ============================================================================ regex safety

interface Quantifier {
  length: number;
  /** More than one repetition possible. */
  repeats: boolean;
  /** The number of repetitions is not fixed (*, +, ?, {n,}, {n,m} with m > n). */
  variable: boolean;
}

function readQuantifier(src: string, i: number): Quantifier | undefined {
  const ch = src[i];
  let q: Quantifier | undefined;
  if (ch === '*' || ch === '+') q = { length: 1, repeats: true, variable: true };
  else if (ch === '?') q = { length: 1, repeats: false, variable: true };
  else if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 16));
    if (m === null) return undefined; // a literal "{" (Annex B)
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    q = { length: m[0].length, repeats: max > 1, variable: max !== min };
  }
  if (q !== undefined && src[i + q.length] === '?') q.length++; // lazy
  return q;
}

/**
 * Rejects the patterns that backtrack exponentially: a repeated group whose body is itself of variable
 * length, or has alternatives (`(\d+)+`, `(1|12)*`). A conservative star-height check: admins write
 * phone-number patterns, which never need either, and a runaway regex would stall the event loop.
 */
function backtrackingProblem(src: string): string | undefined {
  const stack: { variable: boolean; alternation: boolean }[] = [{ variable: false, alternation: false }];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const top = stack[stack.length - 1];
    if (top === undefined) return 'unbalanced parentheses';
    if (ch === '\\') {
      i += 2;
    } else if (ch === '[') {
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      i++;
    } else if (ch === '(') {
      stack.push({ variable: false, alternation: false });
      i++;
      continue; // a group's "(?:", "(?<name>" are not quantifiers: nothing below applies
    } else if (ch === '|') {
      top.alternation = true;
      i++;
      continue;
    } else if (ch === ')') {
      const inner = stack.pop();
      const outer = stack[stack.length - 1];
      if (inner === undefined || outer === undefined) return 'unbalanced parentheses';
      i++;
      const q = readQuantifier(src, i);
      if (q !== undefined && q.repeats && inner.variable)
        return 'a repeated group whose body has a variable length (such as "(\\d+)+") can take exponential time: write it without the nesting';
      if (q !== undefined && q.repeats && inner.alternation)
        return 'a repeated group with alternatives (such as "(1|12)*") can take exponential time: use a character class';
      if (inner.variable || (q !== undefined && q.variable)) outer.variable = true;
      if (q !== undefined) i += q.length;
      continue;
    } else {
      i++;
    }
    // After an atom (escape, class or plain character): its quantifier, if any.
    const q = readQuantifier(src, i);
    if (q !== undefined) {
      if (q.variable) top.variable = true;
      i += q.length;
    }
  }
  return undefined;
}

/** Why a regex source is refused, or undefined when it is fine. Shared by the schema and tests. */
export function regexProblem(source: string): string | undefined {
  if (source.length > REGEX_SOURCE_MAX_LENGTH)
    return `the pattern is ${source.length} characters long; the limit is ${REGEX_SOURCE_MAX_LENGTH}`;
  try {
    new RegExp(source);
  } catch (error) {
    // The RegExp constructor is the boundary with the engine's own parser.
    return `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  return backtrackingProblem(source);
}

/** Number of capture groups and their names, learnt by matching the empty alternative. */
function groupsOf(pattern: RegExp): { count: number; names: ReadonlySet<string> } {
  const probe = new RegExp(`${pattern.source}|`).exec('');
  return { count: probe === null ? 0 : probe.length - 1, names: new Set(Object.keys(probe?.groups ?? {})) };
}

/**
 * Checks a String.prototype.replace replacement: its references must name existing groups, and its literal
 * characters must be dialable (digits, `*`, `#`, `+`), so that a typo is a config error, not a failed call.
 */
function replacementProblem(replace: string, source: string): string | undefined {
  let groups: { count: number; names: ReadonlySet<string> };
  try {
    groups = groupsOf(new RegExp(source));
  } catch {
    return undefined; // the pattern itself is reported by regexProblem()
  }
  for (let i = 0; i < replace.length; i++) {
    const ch = replace[i] ?? '';
    if (ch === '$') {
      const next = replace[i + 1] ?? '';
      if (next === '$' || next === '&') {
        i++;
        continue;
      }
      if (next === '<') {
        const close = replace.indexOf('>', i);
        const name = close < 0 ? '' : replace.slice(i + 2, close);
        if (!groups.names.has(name)) return `"$<${name}>" names no group of the pattern`;
        i = close;
        continue;
      }
      if (next >= '0' && next <= '9') {
        const two = replace.slice(i + 1, i + 3);
        const n2 = /^\d\d$/.test(two) ? Number(two) : -1;
        const n = n2 >= 1 && n2 <= groups.count ? n2 : Number(next);
        if (n < 1 || n > groups.count)
          return `"$${n}" refers to group ${n}, and the pattern has ${groups.count}`;
        i += n === n2 ? 2 : 1;
        continue;
      }
      return `"$${next}" is not a replacement reference this engine supports ($$, $&, $1-$99, $<name>)`;
    }
    if (!/[0-9*#+]/.test(ch))
      return `"${ch}" in the replacement cannot be dialled: literals are digits, "*", "#" and "+"`;
  }
  return undefined;
}

// ============================================================================ configuration schema

const RuleName = z
  .string()
  .min(1)
  .max(64)
  .refine((name) => ![...name].some((ch) => ch < ' ' || ch === '\u007f'), 'no control characters');

const DialPattern = z
  .string()
  .max(32)
  .regex(/^\+?[0-9*#]*$/, 'digits, "*" and "#", with an optional leading "+"');

const RegexSource = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    const problem = regexProblem(source);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

const Description = z.string().max(200).optional();

/** Cisco style: "Number Begins With", "Number of Digits", "Total Digits to be Removed", "Prefix With Pattern". */
export const CiscoRule = z
  .strictObject({
    name: RuleName,
    description: Description,
    /** The number must begin with this (empty: any number). */
    beginsWith: DialPattern.default(''),
    /** The number must have exactly this many characters, the leading "+" included (absent: any length). */
    numberOfDigits: z.number().int().min(1).max(64).optional(),
    /** Characters removed from the start, the leading "+" included. */
    removeDigits: z.number().int().min(0).max(64).default(0),
    /** Prepended after the removal. */
    prefix: DialPattern.default(''),
    /** Go on with the next rules, on the rewritten number. */
    continue: z.boolean().default(false),
  })
  .superRefine((rule, ctx) => {
    if (rule.numberOfDigits !== undefined && rule.beginsWith.length > rule.numberOfDigits)
      ctx.addIssue({
        code: 'custom',
        path: ['beginsWith'],
        message: `"${rule.beginsWith}" is longer than numberOfDigits (${rule.numberOfDigits})`,
      });
    if (rule.numberOfDigits !== undefined && rule.removeDigits > rule.numberOfDigits)
      ctx.addIssue({
        code: 'custom',
        path: ['removeDigits'],
        message: `removes ${rule.removeDigits} of only ${rule.numberOfDigits} characters`,
      });
  });
export type CiscoRule = z.infer<typeof CiscoRule>;

/** Regex style: String.prototype.replace(new RegExp(match), replace) when `match` matches. */
export const RegexRule = z
  .strictObject({
    name: RuleName,
    description: Description,
    match: RegexSource,
    replace: z.string().max(64),
    continue: z.boolean().default(false),
  })
  .superRefine((rule, ctx) => {
    const problem = replacementProblem(rule.replace, rule.match);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['replace'], message: problem });
  });
export type RegexRule = z.infer<typeof RegexRule>;

type DialRuleInput = z.input<typeof RegexRule> | z.input<typeof CiscoRule>;
export type DialRule = RegexRule | CiscoRule;

/**
 * Either style, told apart by the `match` key. Not a z.union: a union that fails reports only "Invalid
 * input", and an admin needs to read which field of which rule is wrong.
 */
export const DialRule: z.ZodType<DialRule, DialRuleInput> = z
  .custom<DialRuleInput>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'a rule is an object',
  )
  .transform((value, ctx) => {
    const parsed = 'match' in value ? RegexRule.safeParse(value) : CiscoRule.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });

/** A line URI rewrite: the number of a line URI without `ext` → a DN (and, optionally, its partition). */
export const LineUriRewrite = z
  .strictObject({
    name: RuleName,
    description: Description,
    match: RegexSource,
    replace: z.string().max(64),
    /** Partition of the line, used when the URI has no `partition` parameter. */
    partition: z.string().optional(),
  })
  .superRefine((rule, ctx) => {
    const problem = replacementProblem(rule.replace, rule.match);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['replace'], message: problem });
    if (rule.partition !== undefined) {
      const partition = validatePartition(rule.partition);
      if (!partition.ok)
        ctx.addIssue({ code: 'custom', path: ['partition'], message: partition.error.message });
    }
  });
export type LineUriRewrite = z.infer<typeof LineUriRewrite>;

function uniqueNames(rules: readonly { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  rules.forEach((rule, index) => {
    if (seen.has(rule.name))
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `rule name "${rule.name}" is used twice`,
      });
    seen.add(rule.name);
  });
}

const RuleList = z.array(DialRule).max(256).superRefine(uniqueNames);

export const NumberingRulesConfig = z.strictObject({
  lineUri: z
    .strictObject({
      /** Tried in order on the number of a line URI without `ext`; the first match wins. */
      rewrites: z.array(LineUriRewrite).max(256).superRefine(uniqueNames).default([]),
      /** Partition of lines whose URI has no `partition` parameter (and no rewrite gave one). */
      defaultPartition: z
        .string()
        .superRefine((partition, ctx) => {
          const checked = validatePartition(partition);
          if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.error.message });
        })
        .optional(),
      /** A number no rewrite matched: taken as the DN (`useNumber`), or refused (`reject`). */
      unmatched: z.enum(['useNumber', 'reject']).default('useNumber'),
    })
    .prefault({}),
  dial: z
    .strictObject({
      rules: RuleList.default([]),
      /** A number no rule matched: dialled as it is (Cisco's behaviour), or refused. */
      unmatched: z.enum(['dialAsIs', 'reject']).default('dialAsIs'),
    })
    .prefault({}),
  directoryLookup: z.strictObject({ rules: RuleList.default([]) }).prefault({}),
});
export type NumberingRulesConfig = z.infer<typeof NumberingRulesConfig>;
export type NumberingRulesConfigInput = z.input<typeof NumberingRulesConfig>;

// ============================================================================ compiled rules

interface CompiledCisco {
  readonly kind: 'cisco';
  readonly name: string;
  readonly beginsWith: string;
  readonly numberOfDigits: number | undefined;
  readonly removeDigits: number;
  readonly prefix: string;
  readonly continue: boolean;
}

interface CompiledRegex {
  readonly kind: 'regex';
  readonly name: string;
  /** Non-global and non-sticky: test() and replace() keep no state between calls. */
  readonly pattern: RegExp;
  readonly replace: string;
  readonly continue: boolean;
  readonly partition?: string | undefined;
}

type CompiledRule = CompiledCisco | CompiledRegex;

/** A validated and compiled rule set. Immutable and stateless: share one across sessions. */
export class NumberingRules {
  private constructor(
    readonly config: NumberingRulesConfig,
    /** @internal */ readonly dial: readonly CompiledRule[],
    /** @internal */ readonly directoryLookup: readonly CompiledRule[],
    /** @internal */ readonly lineUriRewrites: readonly CompiledRegex[],
  ) {}

  /** Validates a configuration (from YAML/JSON, or a NumberingRulesConfigInput) and compiles it. Never throws. */
  static compile(config: unknown): Result<NumberingRules> {
    const parsed = NumberingRulesConfig.safeParse(config);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
      );
      return err(
        new DesklineError(ErrorCode.ConfigInvalid, `numbering rules: ${issues.join('; ')}`, {
          detail: { issues },
        }),
      );
    }
    const value = parsed.data;
    const compileList = (rules: readonly DialRule[]): CompiledRule[] =>
      rules.map((rule): CompiledRule =>
        'match' in rule
          ? {
              kind: 'regex',
              name: rule.name,
              pattern: new RegExp(rule.match),
              replace: rule.replace,
              continue: rule.continue,
            }
          : {
              kind: 'cisco',
              name: rule.name,
              beginsWith: rule.beginsWith,
              numberOfDigits: rule.numberOfDigits,
              removeDigits: rule.removeDigits,
              prefix: rule.prefix,
              continue: rule.continue,
            },
      );
    const rewrites = value.lineUri.rewrites.map((rule): CompiledRegex => ({
      kind: 'regex',
      name: rule.name,
      pattern: new RegExp(rule.match),
      replace: rule.replace,
      continue: false,
      partition: rule.partition,
    }));
    return ok(
      new NumberingRules(
        value,
        compileList(value.dial.rules),
        compileList(value.directoryLookup.rules),
        rewrites,
      ),
    );
  }
}

/** Same as NumberingRules.compile(). */
export const compileNumberingRules = (config: unknown): Result<NumberingRules> =>
  NumberingRules.compile(config);

// ============================================================================ running a rule list

/** The new value when the rule matches, undefined when it does not. */
function applyRule(rule: CompiledRule, value: string): string | undefined {
  if (rule.kind === 'cisco') {
    if (!value.startsWith(rule.beginsWith)) return undefined;
    if (rule.numberOfDigits !== undefined && value.length !== rule.numberOfDigits) return undefined;
    return rule.prefix + value.slice(rule.removeDigits);
  }
  if (!rule.pattern.test(value)) return undefined;
  return value.replace(rule.pattern, rule.replace);
}

const quote = (text: string): string => JSON.stringify(text);

function whyNot(rule: CompiledRule, value: string): string {
  if (rule.kind === 'regex') return `${quote(value)} does not match /${rule.pattern.source}/`;
  if (!value.startsWith(rule.beginsWith))
    return `${quote(value)} does not begin with ${quote(rule.beginsWith)}`;
  return `${quote(value)} has ${value.length} characters; the rule wants ${rule.numberOfDigits ?? 'any number'}`;
}

function whyMatched(rule: CompiledRule, before: string, after: string): string {
  if (rule.kind === 'regex')
    return `${quote(before)} matches /${rule.pattern.source}/; replaced by ${quote(rule.replace)} → ${quote(after)}`;
  const conditions = [rule.beginsWith === '' ? 'any beginning' : `begins with ${quote(rule.beginsWith)}`];
  if (rule.numberOfDigits !== undefined) conditions.push(`has ${rule.numberOfDigits} characters`);
  const actions = [`removed ${rule.removeDigits}`];
  if (rule.prefix !== '') actions.push(`prefixed ${quote(rule.prefix)}`);
  return `${quote(before)} ${conditions.join(' and ')}: ${actions.join(', ')} → ${quote(after)}`;
}

export type RuleStepStatus = 'matched' | 'notMatched' | 'skipped';

/** One rule in a trace (explain()). */
export interface RuleStep {
  readonly rule: string;
  readonly kind: 'cisco' | 'regex';
  readonly status: RuleStepStatus;
  /** The value this rule saw (for a skipped rule: the value at that point). */
  readonly before: string;
  /** The rewritten value, when the rule matched. */
  readonly after?: string;
  /** Why it matched or not, in words an admin reads. */
  readonly why: string;
  /** The rule matched and says `continue`: the next rules see `after`. */
  readonly continued?: boolean;
}

interface ListOutcome {
  value: string;
  /** Names of the rules that matched, joined by " → "; undefined when none did. */
  rule: string | undefined;
}

/** Runs an ordered rule list (first match wins unless it continues); records a trace when asked. */
function runList(rules: readonly CompiledRule[], value: string, trace: RuleStep[] | undefined): ListOutcome {
  let current = value;
  let matched: string | undefined;
  let stoppedBy: string | undefined;
  for (const rule of rules) {
    if (stoppedBy !== undefined) {
      if (trace === undefined) break;
      trace.push({
        rule: rule.name,
        kind: rule.kind,
        status: 'skipped',
        before: current,
        why: `not tried: ${quote(stoppedBy)} matched and does not continue`,
      });
      continue;
    }
    const next = applyRule(rule, current);
    if (next === undefined) {
      trace?.push({
        rule: rule.name,
        kind: rule.kind,
        status: 'notMatched',
        before: current,
        why: whyNot(rule, current),
      });
      continue;
    }
    if (trace !== undefined) {
      const step: { -readonly [K in keyof RuleStep]: RuleStep[K] } = {
        rule: rule.name,
        kind: rule.kind,
        status: 'matched',
        before: current,
        after: next,
        why: whyMatched(rule, current, next),
      };
      if (rule.continue) step.continued = true;
      trace.push(step);
    }
    matched = matched === undefined ? rule.name : `${matched} → ${rule.name}`;
    current = next;
    if (!rule.continue) stoppedBy = rule.name;
  }
  return { value: current, rule: matched };
}

// ============================================================================ display

/** ITU-T E.164 country codes of one and two digits; every other country code has three. */
const CC_ONE = new Set(['1', '7']);
const CC_TWO = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

function countryCodeLength(digits: string): number {
  if (CC_ONE.has(digits.slice(0, 1))) return 1;
  if (CC_TWO.has(digits.slice(0, 2))) return 2;
  return 3;
}

/** Groups of three from the left; the last group has 2 to 4 digits. */
function groupDigits(digits: string): string {
  if (digits.length <= 4) return digits;
  let out = '';
  let i = 0;
  while (digits.length - i > 4) {
    out += digits.slice(i, i + 3) + ' ';
    i += 3;
  }
  return out + digits.slice(i);
}

/**
 * A readable form of a dial string: NANP as `+1 408 555 1234`, other E.164 as country code and groups
 * (`+32 222 202 20`), anything else (internal extensions, service codes) unchanged. Partial numbers are
 * grouped as far as they go, for display as the user types.
 */
export function formatNumberForDisplay(dialString: string): string {
  // Not E.164 (internal numbers, service codes), or not a country code (+0…): shown as it is.
  if (
    dialString.length < 3 ||
    dialString.charCodeAt(0) !== 0x2b ||
    dialString.charCodeAt(1) === 0x30 ||
    !/^\+\d+$/.test(dialString)
  )
    return dialString;
  const digits = dialString.slice(1);
  if (digits.charCodeAt(0) === 0x31) {
    // North American Numbering Plan: +1 NPA NXX XXXX.
    const rest = digits.slice(1);
    let out = '+1';
    if (rest.length > 0) out += ' ' + rest.slice(0, 3);
    if (rest.length > 3) out += ' ' + rest.slice(3, 6);
    if (rest.length > 6) out += ' ' + rest.slice(6);
    return out;
  }
  const cc = countryCodeLength(digits);
  if (digits.length <= cc) return dialString;
  return `+${digits.slice(0, cc)} ${groupDigits(digits.slice(cc))}`;
}

// ============================================================================ dial strings

/** Why a dial string cannot be dialled (yet), or undefined when it can. */
function dialStringProblem(value: string): string | undefined {
  if (value.length === 0) return 'the rules left nothing to dial';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x23 || (c === 0x2b && i === 0);
    if (!ok)
      return `${quote(value[i] ?? '')} cannot be dialled: a dial string holds digits, "*" and "#", with an optional leading "+"`;
  }
  if (value.charCodeAt(0) !== 0x2b) {
    return value.length > DIAL_STRING_MAX_LENGTH
      ? `too long: ${value.length} characters, the limit is ${DIAL_STRING_MAX_LENGTH}`
      : undefined;
  }
  const digits = value.length - 1;
  if (digits === 0) return 'incomplete: "+" and no digits';
  if (value.indexOf('*') >= 0 || value.indexOf('#') >= 0)
    return 'an international number holds digits only (ITU-T E.164)';
  if (value.charCodeAt(1) === 0x30) return 'country codes never begin with 0 (ITU-T E.164)';
  if (value.charCodeAt(1) === 0x31) {
    // NANP: +1, a 3-digit area code and a 7-digit number, neither beginning with 0 or 1.
    if (digits < 11) return `incomplete: North American numbers are +1 and 10 digits (${digits - 1} so far)`;
    if (digits > 11) return `too long: North American numbers are +1 and 10 digits (${digits - 1} here)`;
    if (value.charCodeAt(2) < 0x32) return 'North American area codes begin with 2-9';
    if (value.charCodeAt(5) < 0x32) return 'North American exchange codes begin with 2-9';
    return undefined;
  }
  if (digits < E164_MIN_DIGITS)
    return `incomplete: international numbers have at least ${E164_MIN_DIGITS} digits (${digits} so far)`;
  if (digits > E164_MAX_DIGITS)
    return `too long: international numbers have at most ${E164_MAX_DIGITS} digits (ITU-T E.164 §6), this has ${digits}`;
  return undefined;
}

function invalidView(input: string, display: string, reason: string, rule?: string): NumberView {
  return rule === undefined
    ? { input, dialString: '', display, valid: false, reason }
    : { input, dialString: '', display, valid: false, rule, reason };
}

interface DialRun {
  view: NumberView;
  party: PartyAddress | undefined;
  notes: string[] | undefined;
}

function runDial(input: unknown, rules: NumberingRules, trace: RuleStep[] | undefined): DialRun {
  const notes: string[] | undefined = trace === undefined ? undefined : [];
  if (typeof input !== 'string')
    return { view: invalidView('', '', 'the number must be text'), party: undefined, notes };
  if (input.length > DIAL_INPUT_MAX_LENGTH)
    return {
      view: invalidView(
        input,
        '',
        `too long: ${input.length} characters, the limit is ${DIAL_INPUT_MAX_LENGTH}`,
      ),
      party: undefined,
      notes,
    };
  const trimmed = input.trim();
  if (trimmed.length === 0)
    return { view: invalidView(input, '', 'enter a number'), party: undefined, notes };

  const party = parsePartyAddress(trimmed);
  if (!party.ok) return { view: invalidView(input, trimmed, party.error.message), party: undefined, notes };
  if (party.value.ext !== undefined)
    notes?.push(
      `the extension ${party.value.ext} is not dialled: the rules see the number ${party.value.number} (write the extension alone to call it)`,
    );
  notes?.push(
    `read as ${party.value.source === 'digits' ? 'a number' : `a ${party.value.source} URI`}: ${quote(party.value.number)}`,
  );

  const outcome = runList(rules.dial, party.value.number, trace);
  if (outcome.rule === undefined && rules.config.dial.unmatched === 'reject')
    return {
      view: invalidView(
        input,
        formatNumberForDisplay(party.value.number),
        `no dial rule matches ${quote(party.value.number)}`,
      ),
      party: party.value,
      notes,
    };
  if (outcome.rule === undefined) notes?.push('no rule matched: dialled as it is');
  const problem = dialStringProblem(outcome.value);
  if (problem !== undefined)
    return {
      view: invalidView(input, formatNumberForDisplay(outcome.value), problem, outcome.rule),
      party: party.value,
      notes,
    };
  const view: NumberView =
    outcome.rule === undefined
      ? { input, dialString: outcome.value, display: formatNumberForDisplay(outcome.value), valid: true }
      : {
          input,
          dialString: outcome.value,
          display: formatNumberForDisplay(outcome.value),
          valid: true,
          rule: outcome.rule,
        };
  return { view, party: party.value, notes };
}

/**
 * What a dialled number (dial pad, Lync click-to-dial tel: URI, pasted text) becomes under the dial rules:
 * exactly the desk API's NumberView. Cheap and total: partial input such as `+1 40` is simply not valid yet.
 */
export function normalizeDialString(input: string, rules: NumberingRules): NumberView {
  return runDial(input, rules, undefined).view;
}

export interface DialExplanation {
  readonly input: string;
  /** How the input was read, when it could be. */
  readonly party?: PartyAddress;
  /** Observations outside the rules (extension ignored, no rule matched, ...). */
  readonly notes: readonly string[];
  /** Every dial rule in order: matched, not matched, or skipped after a final match. */
  readonly steps: readonly RuleStep[];
  /** Identical to normalizeDialString(input, rules). */
  readonly result: NumberView;
}

/** The admin troubleshooter's view of normalizeDialString(): every rule tried and why. Never throws. */
export function explain(input: string, rules: NumberingRules): DialExplanation {
  const steps: RuleStep[] = [];
  const run = runDial(input, rules, steps);
  const base = {
    input: typeof input === 'string' ? input : '',
    notes: run.notes ?? [],
    steps,
    result: run.view,
  };
  return run.party === undefined ? base : { ...base, party: run.party };
}

// ============================================================================ line URIs

/** A line as the CTI side knows it (docs/cti-link.md §4: a line is (dn, partition)). */
export interface LineKey {
  readonly dn: string;
  /** Absent when neither the URI, a rewrite nor the configuration names one. */
  readonly partition?: string;
}

export interface LineKeyMatch extends LineKey {
  /** Where the DN came from: the `ext` parameter, or the number (possibly rewritten). */
  readonly from: 'ext' | 'number';
  /** The rewrite that matched. */
  readonly rule?: string;
  readonly partitionFrom?: 'uri' | 'rule' | 'default';
}

export interface LineUriExplanation {
  readonly input: string;
  readonly party?: PartyAddress;
  readonly steps: readonly RuleStep[];
  readonly result: Result<LineKeyMatch>;
}

function runLineUri(
  lineUri: unknown,
  rules: NumberingRules,
  trace: RuleStep[] | undefined,
): { result: Result<LineKeyMatch>; party?: PartyAddress } {
  if (typeof lineUri !== 'string')
    return { result: err(new DesklineError(ErrorCode.UriInvalid, 'the line URI must be a string')) };
  const party = parsePartyAddress(lineUri);
  if (!party.ok)
    return { result: err(new DesklineError(party.error.code, `line URI: ${party.error.message}`)) };
  const p = party.value;
  const config = rules.config.lineUri;
  let dn: string;
  let from: 'ext' | 'number';
  let rule: CompiledRegex | undefined;
  if (p.ext !== undefined) {
    // RFC 3966 §5.3: the extension reaches the line behind the number; Lync Server writes the DN there.
    dn = p.ext;
    from = 'ext';
  } else {
    from = 'number';
    dn = p.number;
    for (const rewrite of rules.lineUriRewrites) {
      if (rule !== undefined) {
        trace?.push({
          rule: rewrite.name,
          kind: 'regex',
          status: 'skipped',
          before: dn,
          why: `not tried: ${quote(rule.name)} matched first`,
        });
        continue;
      }
      const next = applyRule(rewrite, dn);
      if (next === undefined) {
        trace?.push({
          rule: rewrite.name,
          kind: 'regex',
          status: 'notMatched',
          before: dn,
          why: whyNot(rewrite, dn),
        });
      } else {
        trace?.push({
          rule: rewrite.name,
          kind: 'regex',
          status: 'matched',
          before: dn,
          after: next,
          why: whyMatched(rewrite, dn, next),
        });
        rule = rewrite;
        dn = next;
      }
    }
    if (rule === undefined && config.unmatched === 'reject') {
      const tried = rules.lineUriRewrites.map((r) => r.name).join(', ');
      return {
        party: p,
        result: err(
          new DesklineError(
            ErrorCode.UnknownLine,
            `no line URI rule matches ${quote(p.number)} (tried: ${tried === '' ? 'none configured' : tried})`,
          ),
        ),
      };
    }
  }
  const dnCheck = validateDn(dn);
  if (!dnCheck.ok)
    return {
      party: p,
      result: err(
        new DesklineError(
          ErrorCode.UriInvalid,
          `the line URI gives ${quote(dn)}, which is not a directory number: ${dnCheck.error.message}`,
        ),
      ),
    };

  let partition: string | undefined;
  let partitionFrom: 'uri' | 'rule' | 'default' | undefined;
  if (p.partition !== undefined) [partition, partitionFrom] = [p.partition, 'uri'];
  else if (rule?.partition !== undefined) [partition, partitionFrom] = [rule.partition, 'rule'];
  else if (config.defaultPartition !== undefined)
    [partition, partitionFrom] = [config.defaultPartition, 'default'];
  if (partition !== undefined) {
    const partitionCheck = validatePartition(partition);
    if (!partitionCheck.ok)
      return {
        party: p,
        result: err(
          new DesklineError(
            ErrorCode.UriInvalid,
            `the line URI's partition is not valid: ${partitionCheck.error.message}`,
          ),
        ),
      };
  }
  const match: { -readonly [K in keyof LineKeyMatch]: LineKeyMatch[K] } = { dn, from };
  if (partition !== undefined) match.partition = partition;
  if (partitionFrom !== undefined) match.partitionFrom = partitionFrom;
  if (rule !== undefined) match.rule = rule.name;
  return { party: p, result: ok(match) };
}

/**
 * The line a Line URI names: `ext` wins when present; otherwise the number after the first matching
 * rewrite; the partition from the URI's `partition`, else the rewrite's, else the configured default.
 * Never throws; a refusal says why.
 */
export function lineKeyOf(lineUri: string, rules: NumberingRules): Result<LineKeyMatch> {
  return runLineUri(lineUri, rules, undefined).result;
}

/** lineKeyOf() with the trace of every rewrite tried, for the troubleshooter. */
export function explainLineUri(lineUri: string, rules: NumberingRules): LineUriExplanation {
  const steps: RuleStep[] = [];
  const run = runLineUri(lineUri, rules, steps);
  const base = { input: typeof lineUri === 'string' ? lineUri : '', steps, result: run.result };
  return run.party === undefined ? base : { ...base, party: run.party };
}

// ============================================================================ directory lookup

export interface DirectoryLookupKey {
  /** What to look the number up by (an internal DN, or a normalised E.164 number). */
  readonly number: string;
  readonly rule?: string;
}

export interface DirectoryLookupExplanation {
  readonly input: string;
  readonly party?: PartyAddress;
  readonly steps: readonly RuleStep[];
  readonly result: Result<DirectoryLookupKey>;
}

function runLookup(
  number: unknown,
  rules: NumberingRules,
  trace: RuleStep[] | undefined,
): { result: Result<DirectoryLookupKey>; party?: PartyAddress } {
  if (typeof number !== 'string')
    return { result: err(new DesklineError(ErrorCode.NumberInvalid, 'the number must be a string')) };
  const party = parsePartyAddress(number);
  if (!party.ok) return { result: party };
  const outcome = runList(rules.directoryLookup, party.value.number, trace);
  if (outcome.value.length === 0)
    return {
      party: party.value,
      result: err(
        new DesklineError(
          ErrorCode.NumberInvalid,
          `the directory lookup rules left nothing of ${quote(party.value.number)}`,
        ),
      ),
    };
  return {
    party: party.value,
    result: ok(
      outcome.rule === undefined ? { number: outcome.value } : { number: outcome.value, rule: outcome.rule },
    ),
  };
}

/**
 * Cisco "Directory Lookup Rules": turns a number presented by the call server (a caller's E.164 number) into
 * the key the directory is searched by (an internal DN). Never throws.
 */
export function directoryLookupKey(number: string, rules: NumberingRules): Result<DirectoryLookupKey> {
  return runLookup(number, rules, undefined).result;
}

/** directoryLookupKey() with its trace. */
export function explainDirectoryLookup(number: string, rules: NumberingRules): DirectoryLookupExplanation {
  const steps: RuleStep[] = [];
  const run = runLookup(number, rules, steps);
  const base = { input: typeof number === 'string' ? number : '', steps, result: run.result };
  return run.party === undefined ? base : { ...base, party: run.party };
}
