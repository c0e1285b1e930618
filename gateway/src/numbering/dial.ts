// Dialled numbers (dial pad, Lync click-to-dial tel: URIs, pasted text) → the dial string the
// CTI Manager is asked to call, under the configured dial rules (docs/numbering.md). Runs per
// keystroke and per MakeCall: allocation-light, and never throws.
import { parsePartyAddress, type PartyAddress } from './party.js';
import { formatNumberForDisplay } from './display.js';
import { quote, runList, type NumberingRules, type RuleStep } from './rules.js';

/** Longest input normalizeDialString() reads (the desk API's `desk.normalizeNumber` allows 128). */
export const DIAL_INPUT_MAX_LENGTH = 128;
/** Longest dial string that is valid: CUCM DNs and patterns stay well under it. */
export const DIAL_STRING_MAX_LENGTH = 32;
/** ITU-T E.164 §6: at most 15 digits (country code included). */
export const E164_MAX_DIGITS = 15;
/** The shortest E.164 numbers in service (e.g. +683 and 4 digits) have 7 digits. */
export const E164_MIN_DIGITS = 7;

/** A dialled number as the rules leave it: what will be dialled, or why it cannot be (the UI's
 *  NumberView has this shape; the desk face hands it out as is). */
export interface NormalizedNumber {
  input: string;
  /** What will be dialled (digits, + for E.164), or empty when nothing usable. */
  dialString: string;
  /** For display: grouped. */
  display: string;
  valid: boolean;
  /** The rule (or rules, joined by " → ") that matched. */
  rule?: string;
  reason?: string;
}

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

function invalidView(input: string, display: string, reason: string, rule?: string): NormalizedNumber {
  return rule === undefined
    ? { input, dialString: '', display, valid: false, reason }
    : { input, dialString: '', display, valid: false, rule, reason };
}

interface DialRun {
  view: NormalizedNumber;
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
  const view: NormalizedNumber =
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
 * exactly the desk API's NormalizedNumber. Cheap and total: partial input such as `+1 40` is simply not valid yet.
 */
export function normalizeDialString(input: string, rules: NumberingRules): NormalizedNumber {
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
  readonly result: NormalizedNumber;
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
