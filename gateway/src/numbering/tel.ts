// RFC 3966 "tel" URIs: parser, formatter, builder and comparison.
//
// Microsoft RCC clients carry their Line URI (`tel:73124;phone-context=dialstring;partition=BE_BRS_INT`,
// `tel:+14085551234;ext=1234`) and the called number (`tel:+3222220220`) as tel URIs (docs/numbering.md §1).
// The grammar is RFC 3966 §3; where a real client departs from it we are lenient and say so in
// `leniencies`, and everywhere else strict: control characters, spaces, non-ASCII, over-long input and
// empty numbers are refused with a UriInvalid error naming what is wrong. Parsing never throws.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';

/** Longest tel URI we accept. RFC 3966 sets no limit; 256 is far above any real line URI and bounds work. */
export const TEL_URI_MAX_LENGTH = 256;

/** Ways a URI departed from RFC 3966 yet was accepted, because real clients send it that way. */
export type TelLeniency =
  /** RFC 3966 §5.1.5: a local number MUST carry phone-context; pidgin-sipe sends `tel:1002` for what the user clicked. */
  | 'missingPhoneContext'
  /** RFC 3966 §3 puts `context` in local-number only; accepted (and kept) on a global number. */
  | 'phoneContextOnGlobal'
  /** RFC 3966 §3 has no pct-encoded in the number; SIP stacks escape `#` as `%23` (RFC 3261 §19.1.2), so we decode it. */
  | 'percentEncodedNumber';

export interface TelParameter {
  /** Lower-cased: parameter names are case-insensitive (RFC 3966 §3, §4). */
  readonly name: string;
  /** Percent-decoded; undefined for a parameter without `=value`. */
  readonly value?: string;
}

export interface TelUri {
  /** True for a global number (leading `+`, RFC 3966 §5.1.4). */
  readonly global: boolean;
  /** Visual separators removed (RFC 3966 §5.1.1); `+` kept on global numbers; hex digits upper-cased. */
  readonly number: string;
  /** `ext` parameter, separators removed (RFC 3966 §5.3). */
  readonly ext?: string;
  /** `isub` parameter, percent-decoded (RFC 3966 §5.2). */
  readonly isub?: string;
  /** `phone-context`: a domain name as written, or a global number with separators removed (RFC 3966 §5.1.5). */
  readonly phoneContext?: string;
  /** Cisco's `partition` parameter (CUCM route partition of the line), percent-decoded. */
  readonly partition?: string;
  /** Every other parameter, in the order received. */
  readonly params: readonly TelParameter[];
  /** Empty when the URI follows RFC 3966 to the letter. */
  readonly leniencies: readonly TelLeniency[];
}

/** What makeTelUri() builds from: a TelUri without the derived fields. */
export interface TelUriFields {
  readonly number: string;
  readonly ext?: string | undefined;
  readonly isub?: string | undefined;
  readonly phoneContext?: string | undefined;
  readonly partition?: string | undefined;
  readonly params?: readonly TelParameter[] | undefined;
}

// ---------------------------------------------------------------------------- character classes

const CH_PLUS = 0x2b;
const CH_PERCENT = 0x25;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isAlphanum = (c: number): boolean => isDigit(c) || isAlpha(c);
const isHexLetter = (c: number): boolean => (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** RFC 3966 §3 visual-separator = "-" / "." / "(" / ")". */
export const isVisualSeparator = (c: number): boolean => c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29;

function asciiSet(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0x30; i <= 0x39; i++) table[i] = 1;
  for (let i = 0x41; i <= 0x5a; i++) table[i] = 1;
  for (let i = 0x61; i <= 0x7a; i++) table[i] = 1;
  for (const ch of chars) table[ch.charCodeAt(0)] = 1;
  return table;
}
// RFC 3966 §3: unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( )
const MARK = "-_.!~*'()";
/** paramchar = param-unreserved / unreserved / pct-encoded; param-unreserved = [ ] / : & + $ */
const PARAMCHAR = asciiSet(MARK + '[]/:&+$');
/** uric = reserved / unreserved / pct-encoded, less ";" which ends the parameter. */
const ISUB_CHAR = asciiSet(MARK + '/?:@&=+$,');

const inSet = (table: Uint8Array, c: number): boolean => c < 128 && table[c] === 1;

// ---------------------------------------------------------------------------- errors

const invalid = (message: string, detail?: Record<string, unknown>): { ok: false; error: DesklineError } =>
  err(new DesklineError(ErrorCode.UriInvalid, message, detail === undefined ? undefined : { detail }));

const hex4 = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
const quoteChar = (c: number): string =>
  c === 0x22 ? `'"'` : c >= 0x21 && c <= 0x7e ? `"${String.fromCharCode(c)}"` : hex4(c);

/**
 * Refuses what can never be part of a URI. Shared with party.ts, which passes `freeText` for numbers typed
 * or pasted by people (spaces and non-ASCII spaces allowed there, control characters never).
 * @returns a message naming the first offending character (1-based position), or undefined.
 */
export function forbiddenCharacter(text: string, what: string, freeText = false): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f))
      return `${what} contains the control character ${hex4(c)} at position ${i + 1}`;
    if (c === 0x20 && !freeText)
      return `${what} contains a space at position ${i + 1}: tel URIs have no spaces, the visual separators are - . ( ) (RFC 3966 §5.1.1)`;
    if (c > 0x7e && !freeText)
      return `${what} contains the non-ASCII character ${hex4(c)} at position ${i + 1}: URIs are ASCII, percent-encode it (RFC 3986 §2.1)`;
  }
  return undefined;
}

/** Percent-decodes (UTF-8). Errors on malformed escapes, bad UTF-8 and decoded control characters. */
export function percentDecode(text: string, what: string): Result<string> {
  if (text.indexOf('%') < 0) return ok(text);
  for (let i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
    const a = text.charCodeAt(i + 1);
    const b = text.charCodeAt(i + 2);
    const isHex = (c: number): boolean => isDigit(c) || isHexLetter(c);
    if (!isHex(a) || !isHex(b))
      return invalid(
        `${what} has a malformed percent-escape at position ${i + 1} (RFC 3986 §2.1: "%" and two hex digits)`,
      );
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    // decodeURIComponent throws URIError only for escapes that are not UTF-8: wrapped here, at the boundary.
    return invalid(`${what} percent-decodes to invalid UTF-8`);
  }
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    // A decoded CR/LF or NUL would travel on into SIP headers, CSTA XML and logs.
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f))
      return invalid(`${what} percent-decodes to the control character ${hex4(c)}`);
  }
  return ok(decoded);
}

const ENCODER = new TextEncoder();

/** Percent-encodes every character outside `safe` (UTF-8, upper-case hex as RFC 3986 §2.1 recommends). */
function percentEncode(text: string, safe: Uint8Array): string {
  let plain = true;
  for (let i = 0; i < text.length; i++)
    if (!inSet(safe, text.charCodeAt(i))) {
      plain = false;
      break;
    }
  if (plain) return text;
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && inSet(safe, c)) out += ch;
    else for (const byte of ENCODER.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// ---------------------------------------------------------------------------- pieces of the grammar

interface ParsedNumber {
  global: boolean;
  number: string;
}

/**
 * global-number-digits = "+" *phonedigit DIGIT *phonedigit
 * local-number-digits  = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex      (RFC 3966 §3)
 */
function parseNumberDigits(raw: string, what: string): Result<ParsedNumber> {
  if (raw.length === 0)
    return invalid(`${what} is empty: a tel URI needs a number after "tel:" (RFC 3966 §3)`);
  const global = raw.charCodeAt(0) === CH_PLUS;
  let number = global ? '+' : '';
  for (let i = global ? 1 : 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (isDigit(c)) number += raw[i];
    else if (isVisualSeparator(c)) continue;
    else if (global)
      return invalid(
        `${what} "${raw}" has ${quoteChar(c)}: a global number holds only digits and the visual separators - . ( ) (RFC 3966 §3)`,
      );
    else if (isHexLetter(c))
      number += String.fromCharCode(c & ~0x20); // HEXDIG is case-insensitive (RFC 5234 §B.1)
    else if (c === 0x2a || c === 0x23) number += raw[i];
    else if (c === CH_PLUS)
      return invalid(
        `${what} "${raw}" has "+" after its start: "+" may only begin a global number (RFC 3966 §5.1.4)`,
      );
    else
      return invalid(
        `${what} "${raw}" has ${quoteChar(c)}: a local number holds only digits, A-F, * and #, with the visual separators - . ( ) (RFC 3966 §3)`,
      );
  }
  if (number.length === (global ? 1 : 0)) return invalid(`${what} "${raw}" has no digits (RFC 3966 §3)`);
  return ok({ global, number });
}

/** extension = ";ext=" 1*phonedigit (RFC 3966 §3, §5.3). */
function parseExt(raw: string): Result<string> {
  let ext = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (isDigit(c)) ext += raw[i];
    else if (!isVisualSeparator(c))
      return invalid(
        `ext "${raw}" has ${quoteChar(c)}: an extension holds only digits and visual separators (RFC 3966 §3)`,
      );
  }
  if (ext.length === 0) return invalid(`ext "${raw}" has no digits (RFC 3966 §3)`);
  return ok(ext);
}

/** domainname = *( domainlabel "." ) toplabel [ "." ] (RFC 3966 §3, after RFC 1034 §3.5). */
function isDomainName(text: string): boolean {
  const labels = text.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop(); // the optional trailing dot
  for (let l = 0; l < labels.length; l++) {
    const label = labels[l] ?? '';
    if (label.length === 0 || label.length > 63) return false;
    const first = label.charCodeAt(0);
    const last = label.charCodeAt(label.length - 1);
    const top = l === labels.length - 1;
    if (top ? !isAlpha(first) : !isAlphanum(first)) return false;
    if (!isAlphanum(last)) return false;
    for (let i = 1; i < label.length - 1; i++) {
      const c = label.charCodeAt(i);
      if (!isAlphanum(c) && c !== 0x2d) return false;
    }
  }
  return true;
}

/** descriptor = domainname / global-number-digits (RFC 3966 §3, §5.1.5). */
function parseDescriptor(raw: string): Result<string> {
  if (raw.charCodeAt(0) === CH_PLUS) {
    const parsed = parseNumberDigits(raw, 'phone-context');
    if (!parsed.ok) return parsed;
    return ok(parsed.value.number);
  }
  if (!isDomainName(raw))
    return invalid(
      `phone-context "${raw}" is neither a domain name nor a global number such as +1-914-555 (RFC 3966 §3 descriptor)`,
    );
  return ok(raw);
}

/** pvalue = 1*paramchar (RFC 3966 §3), then percent-decoded. */
function parseParamValue(name: string, raw: string, table: Uint8Array, rule: string): Result<string> {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== CH_PERCENT && !inSet(table, c))
      return invalid(
        `parameter "${name}" has ${quoteChar(c)} in its value: not allowed by RFC 3966 §3 ${rule}, percent-encode it`,
      );
  }
  return percentDecode(raw, `parameter "${name}"`);
}

/** pname = 1*( alphanum / "-" ) (RFC 3966 §3). */
export function isParamName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAlphanum(c) && c !== 0x2d) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------- parse

/** Parses a tel URI (RFC 3966). Never throws; a refused URI gets a UriInvalid error naming what is wrong. */
export function parseTelUri(text: string): Result<TelUri> {
  if (typeof text !== 'string') return invalid('a tel URI must be a string');
  if (text.length === 0) return invalid('the tel URI is empty');
  if (text.length > TEL_URI_MAX_LENGTH)
    return invalid(`the tel URI is ${text.length} characters long; the limit is ${TEL_URI_MAX_LENGTH}`, {
      length: text.length,
    });
  const bad = forbiddenCharacter(text, 'the tel URI');
  if (bad !== undefined) return invalid(bad);
  // RFC 3986 §3.1: scheme names are case-insensitive.
  if (text.length < 4 || text.slice(0, 4).toLowerCase() !== 'tel:')
    return invalid('not a tel URI: it must begin with "tel:" (RFC 3966 §3)');

  const segments = text.slice(4).split(';');
  let rawNumber = segments[0] ?? '';
  const leniencies: TelLeniency[] = [];
  if (rawNumber.indexOf('%') >= 0) {
    const decoded = percentDecode(rawNumber, 'the number');
    if (!decoded.ok) return decoded;
    rawNumber = decoded.value;
    leniencies.push('percentEncodedNumber');
  }
  const number = parseNumberDigits(rawNumber, 'the number');
  if (!number.ok) return number;

  let ext: string | undefined;
  let isub: string | undefined;
  let phoneContext: string | undefined;
  let partition: string | undefined;
  const params: TelParameter[] = [];
  const seen = new Set<string>();

  for (let s = 1; s < segments.length; s++) {
    const segment = segments[s] ?? '';
    if (segment.length === 0) return invalid('the tel URI has an empty parameter (";;" or a trailing ";")');
    const eq = segment.indexOf('=');
    const rawName = eq < 0 ? segment : segment.slice(0, eq);
    const rawValue = eq < 0 ? undefined : segment.slice(eq + 1);
    if (!isParamName(rawName))
      return invalid(
        `parameter name "${rawName}" is not valid: letters, digits and "-" only (RFC 3966 §3 pname)`,
      );
    const name = rawName.toLowerCase();
    // RFC 3966 §3: each parameter name MUST NOT appear more than once.
    if (seen.has(name)) return invalid(`parameter "${name}" appears twice (RFC 3966 §3)`);
    seen.add(name);
    if (rawValue !== undefined && rawValue.length === 0)
      return invalid(`parameter "${name}" has "=" but no value (RFC 3966 §3 pvalue)`);
    const needsValue = name === 'ext' || name === 'isub' || name === 'phone-context' || name === 'partition';
    if (needsValue && rawValue === undefined) return invalid(`parameter "${name}" needs a value`);
    switch (name) {
      case 'ext': {
        const parsed = parseExt(rawValue ?? '');
        if (!parsed.ok) return parsed;
        ext = parsed.value;
        break;
      }
      case 'isub': {
        const parsed = parseParamValue(name, rawValue ?? '', ISUB_CHAR, 'uric');
        if (!parsed.ok) return parsed;
        isub = parsed.value;
        break;
      }
      case 'phone-context': {
        const parsed = parseDescriptor(rawValue ?? '');
        if (!parsed.ok) return parsed;
        phoneContext = parsed.value;
        break;
      }
      case 'partition': {
        const parsed = parseParamValue(name, rawValue ?? '', PARAMCHAR, 'paramchar');
        if (!parsed.ok) return parsed;
        partition = parsed.value;
        break;
      }
      default: {
        if (rawValue === undefined) {
          params.push({ name });
        } else {
          const parsed = parseParamValue(name, rawValue, PARAMCHAR, 'paramchar');
          if (!parsed.ok) return parsed;
          params.push({ name, value: parsed.value });
        }
      }
    }
  }

  const global = number.value.global;
  if (!global && phoneContext === undefined) leniencies.push('missingPhoneContext');
  if (global && phoneContext !== undefined) leniencies.push('phoneContextOnGlobal');

  const uri: { -readonly [K in keyof TelUri]: TelUri[K] } = {
    global,
    number: number.value.number,
    params,
    leniencies,
  };
  if (ext !== undefined) uri.ext = ext;
  if (isub !== undefined) uri.isub = isub;
  if (phoneContext !== undefined) uri.phoneContext = phoneContext;
  if (partition !== undefined) uri.partition = partition;
  return ok(uri);
}

// ---------------------------------------------------------------------------- format

/**
 * Formats a tel URI in RFC 3966 §3 order: `ext` and `isub` first, then `phone-context`, then `partition`
 * and the other parameters in the order received (not re-sorted: line URIs are compared verbatim by some
 * clients, and Cisco writes `partition` right after `phone-context`). Parameter values are percent-encoded
 * where needed. `#` is written as is: RFC 3966 §3 allows it in local-number-digits.
 *
 * Expects a TelUri from parseTelUri() or makeTelUri(); it does not re-validate the number.
 */
export function formatTelUri(uri: TelUri): string {
  let out = 'tel:' + uri.number;
  if (uri.ext !== undefined) out += ';ext=' + uri.ext;
  if (uri.isub !== undefined) out += ';isub=' + percentEncode(uri.isub, ISUB_CHAR);
  if (uri.phoneContext !== undefined) out += ';phone-context=' + uri.phoneContext;
  if (uri.partition !== undefined) out += ';partition=' + percentEncode(uri.partition, PARAMCHAR);
  for (const param of uri.params)
    out +=
      param.value === undefined
        ? `;${param.name}`
        : `;${param.name}=${percentEncode(param.value, PARAMCHAR)}`;
  return out;
}

const RESERVED_PARAMS = new Set(['ext', 'isub', 'phone-context', 'partition']);

/**
 * Builds a TelUri from fields, validating each one (the number and ext may carry visual separators).
 * The builder for code that makes URIs (appearance.ts lineUriOf); never throws.
 */
export function makeTelUri(fields: TelUriFields): Result<TelUri> {
  const params = fields.params ?? [];
  for (const param of params) {
    const lower = typeof param.name === 'string' ? param.name.toLowerCase() : '';
    if (!isParamName(lower))
      return invalid(
        `parameter name "${String(param.name)}" is not valid: letters, digits and "-" only (RFC 3966 §3 pname)`,
      );
    if (RESERVED_PARAMS.has(lower)) return invalid(`parameter "${lower}" has its own field`);
    if (param.value !== undefined && (typeof param.value !== 'string' || param.value.length === 0))
      return invalid(`parameter "${lower}" has an empty value (RFC 3966 §3 pvalue)`);
  }
  if (
    typeof fields.number !== 'string' ||
    forbiddenCharacter(fields.number, 'the number') !== undefined ||
    fields.number.includes(';') ||
    fields.number.includes('%')
  )
    return invalid(`the number "${String(fields.number)}" is not valid in a tel URI (RFC 3966 §3)`);
  const number = parseNumberDigits(fields.number, 'the number');
  if (!number.ok) return number;
  let text = 'tel:' + number.value.number;
  if (fields.ext !== undefined) {
    const ext = parseExt(fields.ext);
    if (!ext.ok) return ext;
    text += ';ext=' + ext.value;
  }
  if (fields.isub !== undefined) {
    if (fields.isub.length === 0) return invalid('isub is empty (RFC 3966 §3)');
    text += ';isub=' + percentEncode(fields.isub, ISUB_CHAR);
  }
  if (fields.phoneContext !== undefined) {
    const context = parseDescriptor(fields.phoneContext);
    if (!context.ok) return context;
    text += ';phone-context=' + context.value;
  }
  if (fields.partition !== undefined) {
    if (fields.partition.length === 0) return invalid('partition is empty');
    text += ';partition=' + percentEncode(fields.partition, PARAMCHAR);
  }
  for (const param of params)
    text +=
      param.value === undefined
        ? `;${param.name.toLowerCase()}`
        : `;${param.name.toLowerCase()}=${percentEncode(param.value, PARAMCHAR)}`;
  // Parsing what we built checks what is left (length, decoded control characters, duplicates) in one place.
  return parseTelUri(text);
}

// ---------------------------------------------------------------------------- compare

const sameText = (a: string | undefined, b: string | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase());

/** Domain names compare case-insensitively and without their trailing dot (RFC 3966 §4, RFC 1034 §3.1). */
const sameContext = (a: string | undefined, b: string | undefined): boolean =>
  sameText(a?.replace(/\.$/, ''), b?.replace(/\.$/, ''));

/**
 * RFC 3966 §4 equivalence: numbers digit by digit without separators (already removed by the parser),
 * parameters by name regardless of order, with names and values case-insensitive; a parameter present in
 * one URI only makes them differ.
 */
export function telUriEquals(a: TelUri, b: TelUri): boolean {
  if (a.global !== b.global || a.number !== b.number) return false;
  if (
    a.ext !== b.ext ||
    !sameText(a.isub, b.isub) ||
    !sameContext(a.phoneContext, b.phoneContext) ||
    !sameText(a.partition, b.partition)
  )
    return false;
  if (a.params.length !== b.params.length) return false;
  for (const param of a.params) {
    const other = b.params.find((p) => p.name === param.name);
    if (other === undefined || !sameText(param.value, other.value)) return false;
  }
  return true;
}
