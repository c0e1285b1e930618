// A line URI is read one way, here (docs/numbering.md §3): the session-opening INVITE's
// `lcs:line` (faces/msrcc/msrcc-front.ts), a device the client names as its own later
// (MonitorStart, MakeCall's callingDevice: faces/msrcc/translate.ts), a re-INVITE's line, and
// the troubleshooter all go through lineKeyOf() and its configured rewrites.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { validateDn, validatePartition } from './appearance.js';
import { parsePartyAddress, type PartyAddress } from './party.js';
import {
  applyRule,
  quote,
  whyMatched,
  whyNot,
  type CompiledRegex,
  type NumberingRules,
  type RuleStep,
} from './rules.js';

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
