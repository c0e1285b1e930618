// The small headers: CSeq, Call-ID, Max-Forwards, Content-Length, Content-Type, Accept,
// Content-Disposition, option-tag lists (Require, Supported, Proxy-Require, Unsupported),
// Allow, Session-Expires and Min-SE (RFC 4028 §4, §5). ABNF from RFC 3261 §25.1.
import { Scanner, fail, isDigit, isToken, isWordChar } from '../grammar.js';
import { parseParams, type SipParams } from './params.js';

/** RFC 3261 §8.1.1.5 / RFC 4475 §3.1.2.4: CSeq "MUST be expressible as a 32-bit unsigned integer". */
export const MAX_CSEQ = 0xffff_ffff;

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** CSeq = 1*DIGIT LWS Method */
export function parseCSeq(value: string): CSeq {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const seq = scanner.digits('CSeq number', MAX_CSEQ);
  if (!scanner.skipWs()) fail('expected LWS between CSeq number and method');
  const method = scanner.token('CSeq method');
  scanner.expectEnd('CSeq');
  return { seq, method };
}

/** callid = word [ "@" word ] */
export function parseCallId(value: string): string {
  const text = value.trim();
  // Checked in place (no halves cut out): word [ "@" word ].
  const at = text.indexOf('@');
  if (at >= 0 ? !isWord(text, 0, at) || !isWord(text, at + 1, text.length) : !isWord(text, 0, text.length))
    fail('invalid Call-ID');
  return text;
}

/** True if text[start, end) is a word (RFC 3261 §25.1). */
function isWord(text: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isWordChar(text.charCodeAt(i))) return false;
  return true;
}

/** Max-Forwards = 1*DIGIT; RFC 3261 §20.22 gives 0..255 (RFC 4475 §3.1.2.4: 300 is out of range). */
export function parseMaxForwards(value: string): number {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const n = scanner.digits('Max-Forwards', 255);
  scanner.expectEnd('Max-Forwards');
  return n;
}

/** Content-Length = 1*DIGIT (RFC 3261 §20.14). RFC 4475 §3.1.2.3 ncl: a sign is an error. */
export function parseContentLength(value: string): number {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const n = scanner.digits('Content-Length', Number.MAX_SAFE_INTEGER);
  scanner.expectEnd('Content-Length');
  return n;
}

/** delta-seconds = 1*DIGIT (RFC 3261 §25.1), at most 2^32-1. */
function deltaSeconds(scanner: Scanner, what: string): number {
  return scanner.digits(what, 0xffff_ffff);
}

export interface MediaType {
  /** Lower-cased type and subtype. */
  readonly type: string;
  readonly subtype: string;
  readonly params: SipParams;
  /** `type/subtype`, lower-cased, for comparisons. */
  readonly essence: string;
}

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15). */
export function parseMediaType(value: string): MediaType {
  const scanner = new Scanner(value);
  const result = mediaType(scanner, false);
  scanner.expectEnd('Content-Type');
  return result;
}

function mediaType(scanner: Scanner, allowWildcard: boolean): MediaType {
  scanner.skipWs();
  let type: string;
  let subtype: string;
  if (allowWildcard && scanner.peek() === 0x2a) {
    scanner.pos++;
    type = '*';
  } else type = scanner.token('media type').toLowerCase();
  scanner.expectSeparator(0x2f, '"/" in media type');
  if (allowWildcard && scanner.peek() === 0x2a) {
    scanner.pos++;
    subtype = '*';
  } else subtype = scanner.token('media subtype').toLowerCase();
  if (type === '*' && subtype !== '*') fail('invalid media range');
  const params = parseParams(scanner);
  return { type, subtype, params, essence: `${type}/${subtype}` };
}

/**
 * Accept = "Accept" HCOLON [ accept-range *(COMMA accept-range) ] (RFC 3261 §20.1).
 * Returns the ranges; an empty list means "no body is acceptable".
 */
export function parseAccept(value: string, into: MediaType[]): void {
  const scanner = new Scanner(value);
  scanner.skipWs();
  if (scanner.done) return;
  for (;;) {
    into.push(mediaType(scanner, true));
    scanner.skipWs();
    if (scanner.done) return;
    scanner.expectSeparator(0x2c, 'comma between media ranges');
  }
}

/** True if `ranges` accept `essence` (RFC 3261 §20.1 media-range, with q=0 meaning "not acceptable"). */
export function acceptsMediaType(ranges: readonly MediaType[], essence: string): boolean {
  const slash = essence.indexOf('/');
  const type = essence.slice(0, slash);
  for (const range of ranges) {
    const matches =
      range.type === '*' || (range.type === type && (range.subtype === '*' || range.essence === essence));
    if (!matches) continue;
    const q = range.params.get('q');
    if (typeof q === 'string' && Number(q) === 0) continue;
    return true;
  }
  return false;
}

export interface ContentDisposition {
  /** Lower-cased disp-type (render, session, icon, alert, signal, ...). */
  readonly type: string;
  readonly params: SipParams;
  /** handling = "optional" / "required" (RFC 3261 §20.11: default "required"). */
  readonly handlingRequired: boolean;
}

/** Content-Disposition = disp-type *( SEMI disp-param ) (RFC 3261 §20.11). */
export function parseContentDisposition(value: string): ContentDisposition {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const type = scanner.token('disposition type').toLowerCase();
  const params = parseParams(scanner);
  scanner.expectEnd('Content-Disposition');
  const handling = params.get('handling');
  return {
    type,
    params,
    handlingRequired: typeof handling !== 'string' || handling.toLowerCase() !== 'optional',
  };
}

/**
 * A comma-separated token list: option tags (Require, Proxy-Require, Supported, Unsupported:
 * RFC 3261 §20.32, §20.29, §20.37) or methods (Allow, §20.5). Empty lists are allowed.
 */
export function parseTokenList(value: string, into: string[], what: string): void {
  const scanner = new Scanner(value);
  scanner.skipWs();
  if (scanner.done) return;
  for (;;) {
    into.push(scanner.token(what));
    scanner.skipWs();
    if (scanner.done) return;
    scanner.expectSeparator(0x2c, `comma between ${what}s`);
  }
}

export interface SessionExpires {
  readonly deltaSeconds: number;
  readonly refresher: 'uac' | 'uas' | undefined;
  readonly params: SipParams;
}

/** Session-Expires = delta-seconds *(SEMI se-params); refresher-param = "refresher" EQUAL ("uas" / "uac") (RFC 4028 §4). */
export function parseSessionExpires(value: string): SessionExpires {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const delta = deltaSeconds(scanner, 'Session-Expires');
  const params = parseParams(scanner);
  scanner.expectEnd('Session-Expires');
  const refresher = params.get('refresher');
  let which: 'uac' | 'uas' | undefined;
  if (refresher !== undefined) {
    const lower = typeof refresher === 'string' ? refresher.toLowerCase() : '';
    if (lower !== 'uac' && lower !== 'uas') fail('refresher must be "uac" or "uas"');
    which = lower;
  }
  return { deltaSeconds: delta, refresher: which, params };
}

/** Min-SE = delta-seconds *(SEMI generic-param) (RFC 4028 §5). */
export function parseMinSE(value: string): number {
  const scanner = new Scanner(value);
  scanner.skipWs();
  const delta = deltaSeconds(scanner, 'Min-SE');
  parseParams(scanner);
  scanner.expectEnd('Min-SE');
  return delta;
}

/** Method = INVITEm / ACKm / ... / extension-method (token). */
export function isMethod(text: string): boolean {
  return isToken(text);
}

/** Retry-After and other plain delta-seconds values. */
export function parseDeltaSeconds(value: string): number {
  const scanner = new Scanner(value);
  scanner.skipWs();
  if (!isDigit(scanner.peek())) fail('expected delta-seconds');
  return deltaSeconds(scanner, 'delta-seconds');
}
