// The numbering rules' configuration schema (zod), exported for the gateway configuration
// (`numbering:`): Cisco IM and Presence "Application Dial Rules" / "Directory Lookup Rules" or
// regular expressions, and line URI rewrites (docs/numbering.md). A bad rule is a config error
// naming the field, never a failed call.
import { z } from 'zod';
import { validatePartition } from './appearance.js';
import { regexProblem, replacementProblem } from './regex-safety.js';

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
