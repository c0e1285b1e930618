// The numbering rules engine: a validated rule set compiled once (NumberingRules), and the runner
// of an ordered rule list — first match wins unless the rule says `continue: true` — with a
// trace of every rule tried, for the admin troubleshooter (docs/numbering.md). What runs the
// lists: dial.ts (dialled number → dial string), line-uri.ts (line URI → line), lookup.ts
// (presented number → directory key). The schema is rule-schema.ts, the regex checks
// regex-safety.ts, the display form display.ts.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { NumberingRulesConfig, type DialRule } from './rule-schema.js';

/** @internal */
export interface CompiledCisco {
  readonly kind: 'cisco';
  readonly name: string;
  readonly beginsWith: string;
  readonly numberOfDigits: number | undefined;
  readonly removeDigits: number;
  readonly prefix: string;
  readonly continue: boolean;
}

/** @internal */
export interface CompiledRegex {
  readonly kind: 'regex';
  readonly name: string;
  /** Non-global and non-sticky: test() and replace() keep no state between calls. */
  readonly pattern: RegExp;
  readonly replace: string;
  readonly continue: boolean;
  readonly partition?: string | undefined;
}

/** @internal */
export type CompiledRule = CompiledCisco | CompiledRegex;

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
export function applyRule(rule: CompiledRule, value: string): string | undefined {
  if (rule.kind === 'cisco') {
    if (!value.startsWith(rule.beginsWith)) return undefined;
    if (rule.numberOfDigits !== undefined && value.length !== rule.numberOfDigits) return undefined;
    return rule.prefix + value.slice(rule.removeDigits);
  }
  if (!rule.pattern.test(value)) return undefined;
  return value.replace(rule.pattern, rule.replace);
}

export const quote = (text: string): string => JSON.stringify(text);

export function whyNot(rule: CompiledRule, value: string): string {
  if (rule.kind === 'regex') return `${quote(value)} does not match /${rule.pattern.source}/`;
  if (!value.startsWith(rule.beginsWith))
    return `${quote(value)} does not begin with ${quote(rule.beginsWith)}`;
  return `${quote(value)} has ${value.length} characters; the rule wants ${rule.numberOfDigits ?? 'any number'}`;
}

export function whyMatched(rule: CompiledRule, before: string, after: string): string {
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

export interface ListOutcome {
  value: string;
  /** Names of the rules that matched, joined by " → "; undefined when none did. */
  rule: string | undefined;
}

/** Runs an ordered rule list (first match wins unless it continues); records a trace when asked. */
export function runList(
  rules: readonly CompiledRule[],
  value: string,
  trace: RuleStep[] | undefined,
): ListOutcome {
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
