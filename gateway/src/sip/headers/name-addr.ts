// From, To, Contact, Route, Record-Route (RFC 3261 §20.10, §20.20, §20.30, §20.34, §20.39):
//   ( name-addr / addr-spec ) *( SEMI param )
//   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
//   display-name = *(token LWS) / quoted-string
import { Scanner, fail, isTokenChar, isWsp } from '../grammar.js';
import { parseUriOrThrow, type Uri } from '../uri.js';
import { parseParams, type SipParams } from './params.js';

export interface NameAddr {
  /** Display name, unquoted; undefined when absent. */
  readonly displayName: string | undefined;
  readonly uri: Uri;
  /** True when written in the name-addr form (with angle brackets). */
  readonly bracketed: boolean;
  /** Header parameters (tag, expires, q, ...), not URI parameters (RFC 4475 §3.3.12/§3.3.13). */
  readonly params: SipParams;
  /** This one value as written (for route sets, which must be kept verbatim: RFC 3261 §12.1.1). */
  readonly text: string;
}

export interface ParseNameAddrOptions {
  /** Route / Record-Route: only the name-addr form is allowed (RFC 3261 §25.1 rec-route, route-param). */
  readonly requireBrackets?: boolean;
}

/** Parses one value at the scanner's position; stops before a COMMA or at the end. */
export function parseNameAddr(scanner: Scanner, options: ParseNameAddrOptions = {}): NameAddr {
  scanner.skipWs();
  const start = scanner.pos;
  let displayName: string | undefined;
  let bracketed = false;
  let uri: Uri;
  const first = scanner.peek();
  if (first === 0x22 /* " */) {
    displayName = scanner.quotedString();
    scanner.skipWs();
    if (scanner.peek() !== 0x3c) fail('expected "<" after display name');
    bracketed = true;
  } else if (first === 0x3c /* < */) {
    bracketed = true;
  } else {
    // Either a token display name (`Bell <sip:...>`, or `caller<sip:...>`: RFC 4475 §3.1.1.6)
    // or an addr-spec, whose scheme ends in ":" directly after the first token.
    const save = scanner.pos;
    while (!scanner.done && isTokenChar(scanner.peek())) scanner.pos++;
    if (scanner.pos === save) fail(`unexpected "${scanner.text.slice(save, save + 16)}"`);
    if (scanner.peek() === 0x3a /* : */) {
      scanner.pos = save;
    } else {
      const words = [scanner.text.slice(save, scanner.pos)];
      for (;;) {
        scanner.skipWs();
        if (scanner.peek() === 0x3c) break;
        const wordStart = scanner.pos;
        while (!scanner.done && isTokenChar(scanner.peek())) scanner.pos++;
        // RFC 4475 §3.1.2.15 baddn: "Bell, Alexander" is not a display-name (comma is not a token char).
        if (scanner.pos === wordStart) fail('display name must be a quoted-string or tokens');
        words.push(scanner.text.slice(wordStart, scanner.pos));
      }
      displayName = words.join(' ');
      bracketed = true;
    }
  }
  if (bracketed) {
    scanner.pos++; // "<"
    const close = scanner.text.indexOf('>', scanner.pos);
    if (close < 0) fail('missing ">"');
    const uriText = scanner.text.slice(scanner.pos, close);
    // RFC 4475 §3.1.2.14 badaspec: no LWS inside the angle brackets.
    for (let i = 0; i < uriText.length; i++)
      if (isWsp(uriText.charCodeAt(i))) fail('whitespace inside <addr-spec>');
    uri = parseUriOrThrow(uriText);
    scanner.pos = close + 1;
  } else {
    if (options.requireBrackets) fail('name-addr form (<...>) required');
    // addr-spec form: the URI ends at the first SEMI, COMMA or whitespace; its ";params" are
    // header parameters (RFC 3261 §20.10, RFC 4475 §3.3.12 cparam01).
    const uriStart = scanner.pos;
    while (!scanner.done) {
      const code = scanner.peek();
      if (code === 0x3b || code === 0x2c || isWsp(code)) break;
      scanner.pos++;
    }
    const uriText = scanner.text.slice(uriStart, scanner.pos);
    // RFC 3261 §20.10: a URI containing a comma, question mark or semicolon MUST be enclosed
    // in angle brackets (RFC 4475 §3.1.2.13 regbadct).
    if (uriText.indexOf('?') >= 0) fail('URI with headers must be enclosed in "<>"');
    uri = parseUriOrThrow(uriText);
  }
  const params = parseParams(scanner);
  const end = scanner.pos;
  scanner.skipWs();
  return { displayName, uri, bracketed, params, text: scanner.text.slice(start, end).trim() };
}

/** A single-valued name-addr header (From, To): the whole value must be consumed. */
export function parseSingleNameAddr(value: string): NameAddr {
  const scanner = new Scanner(value);
  const result = parseNameAddr(scanner);
  scanner.expectEnd('header value');
  return result;
}

/** A comma-separated list (Contact, Route, Record-Route): `value *(COMMA value)`. */
export function parseNameAddrList(value: string, options: ParseNameAddrOptions = {}): NameAddr[] {
  const scanner = new Scanner(value);
  const out: NameAddr[] = [];
  for (;;) {
    out.push(parseNameAddr(scanner, options));
    if (scanner.done) return out;
    scanner.expectSeparator(0x2c /* , */, 'comma between values');
  }
}

/** Contact = ( STAR / (contact-param *(COMMA contact-param)) ) (RFC 3261 §20.10). */
export function parseContactList(value: string): NameAddr[] | '*' {
  if (value.trim() === '*') return '*';
  return parseNameAddrList(value);
}
