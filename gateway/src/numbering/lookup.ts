// Cisco "Directory Lookup Rules": a number presented by the call server → the key the
// directory is searched by (docs/numbering.md).
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { parsePartyAddress, type PartyAddress } from './party.js';
import { quote, runList, type NumberingRules, type RuleStep } from './rules.js';

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
