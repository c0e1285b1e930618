// Party addresses: whatever a client may send for "the other party" turned into a number.
//
// Seen in the field (gateway/test/vectors/ms-rcc/NOTES.md §2.8):
//   - tel URIs: `tel:+3222220220`, `tel:1002` (pidgin-sipe, no phone-context), `tel:73124;phone-context=dialstring`;
//   - SIP URIs: `sip:1002@host;user=phone`, `sip:1000@192.168.1.113` (FreeSWITCH uaCSTA), `sip:+1-212-555-1212;
//     phone-context=x@host;user=phone` (RFC 3261 §19.1.6);
//   - bare digits: `3095` (Zultys), `+32 2 222 02 20`, `(408) 555-0100 x123` as copied from a contact card.
// pidgin-sipe builds its called number by removing ` ()-.` and everything from `v:` on (sip_to_tel_uri); we
// accept what it sends and clean bare strings the same way. Never throws.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { forbiddenCharacter, parseTelUri, percentDecode, type TelUri } from './tel.js';

/** Longest party address accepted (a tel URI within it is further limited by TEL_URI_MAX_LENGTH). */
export const PARTY_ADDRESS_MAX_LENGTH = 256;

export type PartySource = 'tel' | 'sip' | 'digits';

export interface PartyAddress {
  /** Digits, `*`, `#` (and A-F from a local tel number), with a leading `+` for a global number. */
  readonly number: string;
  readonly ext?: string;
  /** The tel URI's phone-context (a domain such as `dialstring`, or a global number prefix). */
  readonly context?: string;
  /** Cisco's `partition` parameter. */
  readonly partition?: string;
  readonly source: PartySource;
}

const numberInvalid = (message: string): { ok: false; error: DesklineError } =>
  err(new DesklineError(ErrorCode.NumberInvalid, message));

function fromTel(uri: TelUri, source: PartySource): PartyAddress {
  const party: { -readonly [K in keyof PartyAddress]: PartyAddress[K] } = { number: uri.number, source };
  if (uri.ext !== undefined) party.ext = uri.ext;
  if (uri.phoneContext !== undefined) party.context = uri.phoneContext;
  if (uri.partition !== undefined) party.partition = uri.partition;
  return party;
}

/** pidgin-sipe's sip_to_tel_uri() cuts everything from "v:" on (NOTES.md §2.8). */
function cutFromV(text: string): string {
  const v = text.indexOf('v:');
  return v < 0 ? text : text.slice(0, v);
}

// ---------------------------------------------------------------------------- tel

function parseTelParty(text: string): Result<PartyAddress> {
  const strict = parseTelUri(text);
  if (strict.ok) return ok(fromTel(strict.value, 'tel'));
  // Lenient second try, for clients that put a displayed number straight behind "tel:": spaces (raw or
  // %20) removed and the sipe "v:" tail cut. The strict error is the one reported if this fails too.
  const cleaned = cutFromV(text).replace(/ |%20/g, '');
  if (cleaned === text) return strict;
  const retry = parseTelUri(cleaned);
  return retry.ok ? ok(fromTel(retry.value, 'tel')) : strict;
}

// ---------------------------------------------------------------------------- sip / sips

/** A user part that reads as a telephone-subscriber: `+`, digits, `*#` and visual separators before any `;`. */
const NUMERIC_USER = /^\+?[0-9*#().-]*[0-9*#][0-9*#().-]*(?:;|$)/;

/**
 * RFC 3261 §19.1.1: sip:user:password@host;uri-parameters?headers. The number is the user part when it is a
 * telephone-subscriber: with `user=phone` (§19.1.1) or, leniently, when it is plainly numeric (FreeSWITCH
 * and Zultys device IDs). The password, if any, is dropped unread and never appears in an error.
 */
function parseSipParty(text: string, schemeLength: number): Result<PartyAddress> {
  const rest = text.slice(schemeLength);
  const at = rest.indexOf('@');
  if (at < 0) return numberInvalid('the SIP URI has no user part, so it names no number (RFC 3261 §19.1.1)');
  let user = rest.slice(0, at);
  const colon = user.indexOf(':');
  if (colon >= 0) user = user.slice(0, colon); // [":" password]
  if (user.length === 0) return numberInvalid('the SIP URI has an empty user part (RFC 3261 §19.1.1)');
  const hostPart = rest.slice(at + 1);
  const query = hostPart.indexOf('?');
  const uriParams = (query < 0 ? hostPart : hostPart.slice(0, query)).split(';');
  let userPhone = false;
  for (let i = 1; i < uriParams.length; i++)
    if ((uriParams[i] ?? '').toLowerCase() === 'user=phone') userPhone = true;

  // RFC 3261 §19.1.2: "#" is escaped as %23 in a user part.
  const decoded = percentDecode(user, 'the SIP user part');
  if (!decoded.ok) return decoded;
  user = decoded.value;
  if (!userPhone && !NUMERIC_USER.test(user))
    return numberInvalid(
      `the SIP user part "${user}" is not a telephone number (a number, or a telephone-subscriber with user=phone, RFC 3261 §19.1.1)`,
    );
  const tel = parseTelUri('tel:' + user);
  if (!tel.ok)
    return err(
      new DesklineError(
        ErrorCode.UriInvalid,
        `the SIP user part is not a telephone-subscriber: ${tel.error.message}`,
      ),
    );
  return ok(fromTel(tel.value, 'sip'));
}

// ---------------------------------------------------------------------------- bare digits

/** `x123`, `ext 123`, `ext. 123`, `;ext=123` at the end of a displayed number. */
const EXT_SUFFIX = /(?:;ext=|ext\.?|x)\s*([0-9][0-9 .()-]*)$/i;

/** Separators people write between digit groups: spaces (also no-break and thin ones), ( ) - . and /. */
function isWrittenSeparator(c: number): boolean {
  return (
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x2007 ||
    c === 0x2009 ||
    c === 0x202f ||
    c === 0x28 ||
    c === 0x29 ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x2f
  );
}

/** `+44 (0)20 …`: the national trunk prefix written in brackets is never dialled after a country code (ITU-T E.123 advises against writing it at all). */
const TRUNK_ZERO = /\(0\)/g;

function parseDigitsParty(text: string): Result<PartyAddress> {
  let main = cutFromV(text);
  if (main.charCodeAt(0) === 0x2b) main = main.replace(TRUNK_ZERO, '');
  let ext: string | undefined;
  const extMatch = EXT_SUFFIX.exec(main);
  if (extMatch !== null && extMatch.index > 0) {
    ext = (extMatch[1] ?? '').replace(/[^0-9]/g, '');
    main = main.slice(0, extMatch.index);
  }
  let number = '';
  for (let i = 0; i < main.length; i++) {
    const c = main.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x23) number += main[i];
    else if (c === 0x2b && number.length === 0) number = '+';
    else if (isWrittenSeparator(c)) continue;
    else if (c === 0x2b)
      return numberInvalid(
        `"+" at position ${i + 1} is not at the start: "+" may only begin an international number`,
      );
    else {
      const shown =
        c >= 0x21 && c <= 0x7e ? `"${main[i] ?? ''}"` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      return numberInvalid(
        `${shown} at position ${i + 1} cannot be dialled: a number holds digits, * and #, with an optional leading +`,
      );
    }
  }
  if (number.length === 0 || number === '+') return numberInvalid('there are no digits to dial');
  return ok(ext === undefined ? { number, source: 'digits' } : { number, ext, source: 'digits' });
}

// ---------------------------------------------------------------------------- entry point

/**
 * Turns anything a client may send as a party address into a number: a tel URI, a sip:/sips: URI whose user
 * part is a number, a `"Name" <uri>` name-addr, or a bare number with written separators. Never throws.
 */
export function parsePartyAddress(text: string): Result<PartyAddress> {
  if (typeof text !== 'string') return numberInvalid('a party address must be a string');
  if (text.length > PARTY_ADDRESS_MAX_LENGTH)
    return numberInvalid(
      `the party address is ${text.length} characters long; the limit is ${PARTY_ADDRESS_MAX_LENGTH}`,
    );
  let value = text.trim();
  const bad = forbiddenCharacter(value, 'the party address', true);
  if (bad !== undefined) return numberInvalid(bad);
  // RFC 3261 §20.10 name-addr: [display-name] "<" addr-spec ">".
  const lt = value.indexOf('<');
  if (lt >= 0 && value.endsWith('>')) value = value.slice(lt + 1, -1).trim();
  if (value.length === 0) return numberInvalid('there is no number');

  const head = value.slice(0, 5).toLowerCase();
  if (head.startsWith('tel:')) return parseTelParty(value);
  if (head.startsWith('sip:')) return parseSipParty(value, 4);
  if (head === 'sips:') return parseSipParty(value, 5);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value);
  if (scheme !== null && scheme[1] !== 'v')
    return numberInvalid(
      `"${scheme[1] ?? ''}:" addresses name no telephone number: use tel:, sip: or sips:, or plain digits`,
    );
  return parseDigitsParty(value);
}
