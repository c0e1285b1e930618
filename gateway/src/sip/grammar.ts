// The RFC 3261 §25 ABNF building blocks, by hand: character classes as a lookup table and a
// small scanner over a header value. Header parsers throw SipSyntaxError internally; every
// public parse function catches it and returns a Result (docs/architecture.md §4.6).
import { isIPv6 } from 'node:net';

// Character-class bits (RFC 3261 §25.1).
const ALPHANUM = 1 << 0;
const MARK = 1 << 1; // "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
const TOKEN_EXTRA = 1 << 2; // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const USER_UNRESERVED = 1 << 3; // "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
const PASSWORD_EXTRA = 1 << 4; // "&" / "=" / "+" / "$" / ","
const PARAM_UNRESERVED = 1 << 5; // "[" / "]" / "/" / ":" / "&" / "+" / "$"
const HNV_UNRESERVED = 1 << 6; // "[" / "]" / "/" / "?" / ":" / "+" / "$"
const WORD_EXTRA = 1 << 7; // word adds "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}"
const RESERVED = 1 << 8; // ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","

const TABLE = new Uint16Array(128);
function mark(chars: string, bit: number): void {
  for (let i = 0; i < chars.length; i++) TABLE[chars.charCodeAt(i)]! |= bit;
}
mark('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', ALPHANUM);
mark("-_.!~*'()", MARK);
mark("-.!%*_+`'~", TOKEN_EXTRA);
mark('&=+$,;?/', USER_UNRESERVED);
mark('&=+$,', PASSWORD_EXTRA);
mark('[]/:&+$', PARAM_UNRESERVED);
mark('[]/?:+$', HNV_UNRESERVED);
mark('()<>:\\"/[]?{}', WORD_EXTRA);
mark(';/?:@&=+$,', RESERVED);

function has(code: number, bits: number): boolean {
  return code < 128 && (TABLE[code]! & bits) !== 0;
}

export const isAlphanum = (code: number): boolean => has(code, ALPHANUM);
export const isAlpha = (code: number): boolean =>
  (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
export const isHexDigit = (code: number): boolean =>
  isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
export const isTokenChar = (code: number): boolean => has(code, ALPHANUM | TOKEN_EXTRA);
export const isUnreserved = (code: number): boolean => has(code, ALPHANUM | MARK);
export const isUserChar = (code: number): boolean => has(code, ALPHANUM | MARK | USER_UNRESERVED);
export const isPasswordChar = (code: number): boolean => has(code, ALPHANUM | MARK | PASSWORD_EXTRA);
export const isParamChar = (code: number): boolean => has(code, ALPHANUM | MARK | PARAM_UNRESERVED);
export const isHeaderChar = (code: number): boolean => has(code, ALPHANUM | MARK | HNV_UNRESERVED);
/** word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}") */
export const isWordChar = (code: number): boolean => has(code, ALPHANUM | TOKEN_EXTRA | WORD_EXTRA);
/** uric = reserved / unreserved / escaped (RFC 2396, used by absoluteURI). */
export const isUricChar = (code: number): boolean => has(code, ALPHANUM | MARK | RESERVED);
export const isWsp = (code: number): boolean => code === 0x20 || code === 0x09;

/** Thrown by the hand-written parsers; converted into a Result at every public boundary. */
export class SipSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SipSyntaxError';
  }
}

export function fail(message: string): never {
  throw new SipSyntaxError(message);
}

/** True if the whole string is a token (RFC 3261 §25.1). */
export function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTokenChar(text.charCodeAt(i))) return false;
  return true;
}

/**
 * A cursor over one (unfolded) header value. Folding has been replaced by SP by the message
 * parser, so LWS here is just runs of SP/HTAB (RFC 3261 §25.1: LWS = [*WSP CRLF] 1*WSP).
 */
export class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }
  /** SWS = [LWS]: skips optional whitespace, returns whether any was skipped. */
  skipWs(): boolean {
    const start = this.pos;
    while (this.pos < this.text.length && isWsp(this.text.charCodeAt(this.pos))) this.pos++;
    return this.pos > start;
  }
  /** Consumes `char` surrounded by optional whitespace (SEMI, COMMA, EQUAL, SLASH, COLON: RFC 3261 §25.1). */
  eatSeparator(char: number): boolean {
    const save = this.pos;
    this.skipWs();
    if (this.peek() === char) {
      this.pos++;
      this.skipWs();
      return true;
    }
    this.pos = save;
    return false;
  }
  expectSeparator(char: number, what: string): void {
    if (!this.eatSeparator(char)) fail(`expected ${what} at offset ${this.pos}`);
  }
  /** Like token(), without returning it (the caller reads `text` from where it started). */
  skipToken(what: string): void {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) fail(`expected ${what} at offset ${start}`);
  }
  token(what: string): string {
    const start = this.pos;
    while (this.pos < this.text.length && isTokenChar(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) fail(`expected ${what} at offset ${start}`);
    return this.text.slice(start, this.pos);
  }
  /** 1*DIGIT as a number; fails above `max` (RFC 4475 §3.1.2.4 overlarge scalars). */
  digits(what: string, max: number): number {
    const start = this.pos;
    while (this.pos < this.text.length && isDigit(this.text.charCodeAt(this.pos))) this.pos++;
    if (this.pos === start) fail(`expected ${what} at offset ${start}`);
    // More than 15 digits cannot be exact in a double; anything that long is out of range for SIP.
    if (this.pos - start > 15) fail(`${what} out of range`);
    const value = Number(this.text.slice(start, this.pos));
    if (value > max) fail(`${what} out of range`);
    return value;
  }
  /** quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; returns the unescaped content. */
  quotedString(): string {
    if (this.peek() !== 0x22) fail(`expected quoted-string at offset ${this.pos}`);
    this.pos++;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) fail('unterminated quoted-string');
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        out += this.text.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (code === 0x5c) {
        // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
        const next = this.text.charCodeAt(this.pos + 1);
        if (Number.isNaN(next) || next === 0x0a || next === 0x0d || next > 0x7f) fail('invalid quoted-pair');
        out += this.text.slice(runStart, this.pos) + this.text[this.pos + 1];
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
      if (code < 0x20 && code !== 0x09) fail('control character in quoted-string');
      if (code === 0x7f) fail('DEL in quoted-string');
      this.pos++;
    }
  }
  rest(): string {
    const value = this.text.slice(this.pos);
    this.pos = this.text.length;
    return value;
  }
  expectEnd(what: string): void {
    this.skipWs();
    if (!this.done) fail(`unexpected "${this.text.slice(this.pos, this.pos + 16)}" after ${what}`);
  }
}

/** Decodes %HEX escapes (RFC 3261 §25.1 escaped); fails on a '%' that is not an escape. */
export function unescape(text: string): string {
  if (text.indexOf('%') < 0) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const h1 = text.charCodeAt(i + 1);
      const h2 = text.charCodeAt(i + 2);
      if (!isHexDigit(h1) || !isHexDigit(h2)) fail('invalid %-escape');
      out += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** Checks every character against `allowed`, accepting %HEX escapes (RFC 3261 §25.1). */
export function checkEscapedChars(text: string, allowed: (code: number) => boolean, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      if (!isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2)))
        fail(`invalid escape in ${what}`);
      i += 2;
    } else if (!allowed(code)) {
      fail(`invalid character ${JSON.stringify(text[i])} in ${what}`);
    }
  }
}

/** Character classes for checkEscapedRange (the sets of isUserChar, isPasswordChar, isParamChar). */
export const USER_CHARS = ALPHANUM | MARK | USER_UNRESERVED;
export const PASSWORD_CHARS = ALPHANUM | MARK | PASSWORD_EXTRA;
export const PARAM_CHARS = ALPHANUM | MARK | PARAM_UNRESERVED;

/** checkEscapedChars over `text[start, end)` against a character class (one of the *_CHARS
 *  masks: a table lookup the compiler inlines, where a predicate argument is a call per
 *  character), without cutting the range out; an escape must end by `end`. */
export function checkEscapedRange(
  text: string,
  start: number,
  end: number,
  allowed: number,
  what: string,
): void {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      if (i + 2 >= end || !isHexDigit(text.charCodeAt(i + 1)) || !isHexDigit(text.charCodeAt(i + 2)))
        fail(`invalid escape in ${what}`);
      i += 2;
    } else if (code >= 128 || (TABLE[code]! & allowed) === 0) {
      fail(`invalid character ${JSON.stringify(text[i])} in ${what}`);
    }
  }
}

/** IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT (each ≤ 255). */
export function isIPv4Address(text: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (isDigit(code)) {
      if (++digits > 3) return false;
      value = value * 10 + (code - 0x30);
    } else return false;
  }
  return parts === 4;
}

/**
 * IPv6address per RFC 4291 / RFC 3986 — RFC 5118 §4.10 notes the RFC 3261 ABNF bug that
 * admitted three colons; Node's validator follows the correct grammar. Zone IDs are not SIP.
 */
export function isIPv6Address(text: string): boolean {
  return text.length > 1 && text.indexOf('%') < 0 && isIPv6(text);
}

/**
 * hostname = *( domainlabel "." ) toplabel [ "." ]
 * domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
 * toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
 */
export function isHostname(text: string): boolean {
  if (text.length === 0 || text.length > 255) return false;
  const end = text.charCodeAt(text.length - 1) === 0x2e ? text.length - 1 : text.length;
  let labelStart = 0;
  for (let i = 0; i <= end; i++) {
    const code = i < end ? text.charCodeAt(i) : 0x2e;
    if (code === 0x2e) {
      if (i === labelStart) return false;
      if (!isAlphanum(text.charCodeAt(labelStart)) || !isAlphanum(text.charCodeAt(i - 1))) return false;
      if (i === end && !isAlpha(text.charCodeAt(labelStart))) return false; // toplabel starts with ALPHA
      labelStart = i + 1;
    } else if (!isAlphanum(code) && code !== 0x2d) return false;
  }
  return true;
}

/** host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1; RFC 5118). */
export function isHost(text: string): boolean {
  if (text.charCodeAt(0) === 0x5b) {
    return text.charCodeAt(text.length - 1) === 0x5d && isIPv6Address(text.slice(1, -1));
  }
  return isIPv4Address(text) || isHostname(text);
}
