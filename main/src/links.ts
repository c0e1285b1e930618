// Dial links and text: `tel:` (RFC 3966), `callto:` (the Skype/NetMeeting convention),
// `sip:`/`sips:` (RFC 3261 §19.1) and plain phone numbers (clipboard, selection), turned into
// one number to dial — or refused with a reason. Input reaches us from web pages (the OS
// hands us links), other apps' command lines and the clipboard: anything that is not clearly
// a phone number is garbage and is refused, never "cleaned" into something else.
import { DesklineError, ErrorCode, err, ok, type Result } from '../../gateway/src/index.js';

export type DialSource = 'tel' | 'callto' | 'sip' | 'text';

export interface DialTarget {
  /** What to dial: an optional leading "+", then digits, "*" and "#"; visual separators removed. */
  number: string;
  /** RFC 3966 §5.1.5 `;ext=`: the extension to reach after the call connects. */
  extension?: string;
  source: DialSource;
}

/** Longest input looked at: an argv entry or clipboard text longer than this is not a number. */
const MAX_INPUT = 512;
/** Digits in a dial string: E.164 allows 15; leave room for access codes and feature codes. */
const MAX_DIGITS = 32;

/** RFC 3966 §3 visual-separator ("-" / "." / "(" / ")"), plus spaces as people write them. */
const VISUAL_SEPARATORS = /[\s\-.()\u00a0\u2009\u202f]/g;
const LINK = /^(tel|callto|sip|sips):/i;

const refuse = (message: string, code: ErrorCode = ErrorCode.NumberInvalid): Result<never> =>
  err(new DesklineError(code, message));

/** C0 controls and DEL never belong in a URI (RFC 3986 §2) or a number; they signal injection. */
function hasControlCharacters(text: string, allowWhitespace = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (
      (code < 0x20 || code === 0x7f) &&
      !(allowWhitespace && (code === 0x09 || code === 0x0a || code === 0x0d))
    )
      return true;
  }
  return false;
}

function decode(text: string): Result<string> {
  try {
    return ok(decodeURIComponent(text));
  } catch {
    return refuse('the link has invalid percent-encoding', ErrorCode.UriInvalid);
  }
}

/** Validates a dial string once separators are removed. */
function toNumber(raw: string, what: string): Result<string> {
  const compact = raw.replace(VISUAL_SEPARATORS, '');
  if (compact === '' || compact === '+') return refuse(`${what} has no number`);
  // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit; local numbers add "*" and "#".
  if (!/^\+?[0-9*#]+$/.test(compact)) return refuse(`${what} is not a phone number`);
  const digits = compact.startsWith('+') ? compact.length - 1 : compact.length;
  if (digits > MAX_DIGITS) return refuse(`${what} is too long (at most ${MAX_DIGITS} digits)`);
  if (compact.startsWith('+') && !/^\+[0-9]+$/.test(compact))
    return refuse(`${what}: an international number has digits only`);
  return ok(compact);
}

/** Splits "number;param=value;..." (RFC 3966 §3 par), returning the number and `ext`. */
function splitParams(subscriber: string, what: string): Result<{ number: string; extension?: string }> {
  const [head = '', ...params] = subscriber.split(';');
  const number = toNumber(head, what);
  if (!number.ok) return number;
  let extension: string | undefined;
  for (const param of params) {
    const [name = '', value = ''] = param.split('=', 2);
    // RFC 3966 §3: parameter = ";" pname ["=" pvalue]; pname = 1*( alphanum / "-" ); pvalue =
    // 1*paramchar. Anything else (spaces, quotes, shell syntax) is not a tel URI.
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[A-Za-z0-9\-_.!~*'()[\]/:&+$]*$/.test(value))
      return refuse(`${what} has an invalid parameter`);
    // RFC 3966 §5.1.5: ext = ";ext=" 1*phonedigit. Other parameters (phone-context, isub,
    // user=phone in a SIP URI) do not change what the desk phone dials.
    if (name.toLowerCase() === 'ext') {
      const ext = toNumber(value, 'the extension');
      if (!ext.ok || ext.value.startsWith('+')) return refuse(`${what} has an invalid extension`);
      extension = ext.value;
    }
  }
  return ok(extension === undefined ? { number: number.value } : { number: number.value, extension });
}

/** Parses a `tel:`, `callto:`, `sip:` or `sips:` link. */
export function parseDialLink(input: string): Result<DialTarget> {
  if (input.length > MAX_INPUT) return refuse('the link is too long', ErrorCode.UriInvalid);
  if (hasControlCharacters(input))
    return refuse('the link contains control characters', ErrorCode.UriInvalid);
  const match = LINK.exec(input.trim());
  if (match === null) return refuse('not a tel:, callto: or sip: link', ErrorCode.UriInvalid);
  const scheme = (match[1] ?? '').toLowerCase();
  // "tel://" and "callto://" are common on web pages though not in the RFCs; strip the slashes.
  let rest = input.trim().slice(match[0].length).replace(/^\/\//, '');
  // A query or fragment carries no part of a number ("callto:+1...?call").
  rest = rest.replace(/[?#].*$/, '');
  const decoded = decode(rest);
  if (!decoded.ok) return decoded;
  switch (scheme) {
    case 'tel': {
      const parsed = splitParams(decoded.value, 'the tel: link');
      return parsed.ok ? ok({ ...parsed.value, source: 'tel' }) : parsed;
    }
    case 'callto': {
      const parsed = splitParams(decoded.value, 'the callto: link');
      return parsed.ok ? ok({ ...parsed.value, source: 'callto' }) : parsed;
    }
    case 'sip':
    case 'sips': {
      // RFC 3261 §19.1.1: sip:user[:password]@host[;uri-parameters]. Only a telephone-number
      // user part can be dialled from a desk phone; "alice@example.com" is an address, not a number.
      const at = decoded.value.lastIndexOf('@');
      const userinfo = at === -1 ? decoded.value : decoded.value.slice(0, at);
      const user = userinfo.split(':', 1)[0] ?? '';
      if (user === '') return refuse('the sip: link has no user part', ErrorCode.UriInvalid);
      const parsed = splitParams(user, `the SIP address ${user}`);
      return parsed.ok ? ok({ ...parsed.value, source: 'sip' }) : parsed;
    }
    default:
      return refuse('not a tel:, callto: or sip: link', ErrorCode.UriInvalid);
  }
}

/** Parses text a person copied or selected: a link, or a phone number as people write it. */
export function parseDialText(text: string): Result<DialTarget> {
  const trimmed = text.trim();
  if (trimmed === '') return refuse('there is no number to dial');
  if (LINK.test(trimmed)) return parseDialLink(trimmed);
  if (trimmed.length > 64) return refuse('the text is too long to be a phone number');
  if (hasControlCharacters(trimmed, true)) return refuse('the text is not a phone number');
  const number = toNumber(trimmed, `"${trimmed}"`);
  return number.ok ? ok({ number: number.value, source: 'text' }) : number;
}

/**
 * A dial request on a command line: the OS starts us with the link as an argument (Windows
 * and Linux protocol handlers, `%u` in the .desktop file), and a second instance forwards its
 * argv to the first. Chromium switches ("--flag") and paths are skipped. `--dial=<number>` is
 * accepted too. Undefined when there is no dial request; an error when there is one and it
 * is garbage (so the user can be told).
 */
export function findDialRequest(argv: readonly string[]): Result<DialTarget> | undefined {
  for (const arg of argv) {
    if (arg.length > MAX_INPUT) continue;
    if (arg.startsWith('--dial=')) return parseDialText(arg.slice('--dial='.length));
    if (arg.startsWith('-')) continue;
    if (LINK.test(arg)) return parseDialLink(arg);
  }
  return undefined;
}
