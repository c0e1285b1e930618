// URIs in SIP: SIP-URI / SIPS-URI (RFC 3261 §19.1, ABNF §25.1) parsed strictly with %HEX
// escaping, IPv6 references per RFC 5118, and any other scheme kept as an absoluteURI
// (RFC 2396) so that the UAS core can answer 416 (RFC 3261 §8.2.2.1) instead of 400.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import {
  SipSyntaxError,
  checkEscapedChars,
  checkEscapedRange,
  fail,
  isAlpha,
  isAlphanum,
  isDigit,
  isHeaderChar,
  isHost,
  PARAM_CHARS,
  PASSWORD_CHARS,
  isTokenChar,
  isUricChar,
  USER_CHARS,
  unescape,
} from './grammar.js';
import { SipParams } from './headers/params.js';

export interface SipUri {
  readonly kind: 'sip';
  /** 'sip' or 'sips', lower-cased. */
  readonly scheme: 'sip' | 'sips';
  /** The user part with escapes decoded (RFC 3261 §19.1.4: compared unescaped); undefined if absent. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Host as written (IPv6 references keep their brackets). */
  readonly host: string;
  readonly port: number | undefined;
  /** uri-parameters, names lower-cased and unescaped. */
  readonly params: SipParams;
  /** URI headers ("?" header *("&" header)), names and values unescaped. */
  readonly headers: readonly (readonly [string, string])[];
  /** The URI exactly as written. */
  readonly text: string;
}

/** Any other scheme (tel, http, isbn...): syntax-checked as an RFC 2396 absoluteURI only. */
export interface AbsoluteUri {
  readonly kind: 'absolute';
  readonly scheme: string;
  readonly text: string;
}

export type Uri = SipUri | AbsoluteUri;

function isSchemeChar(code: number): boolean {
  return isAlphanum(code) || code === 0x2b || code === 0x2d || code === 0x2e;
}

/** Throws SipSyntaxError; use parseUri for a Result. */
export function parseUriOrThrow(text: string): Uri {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const colon = text.indexOf(':');
  if (colon <= 0 || !isAlpha(text.charCodeAt(0))) fail(`invalid URI "${text}"`);
  for (let i = 1; i < colon; i++)
    if (!isSchemeChar(text.charCodeAt(i))) fail(`invalid URI scheme in "${text}"`);
  // The usual spellings need no string cut out and lower-cased.
  if (colon === 3 && text.startsWith('sip')) return parseSipUriBody(text, 'sip', 4);
  if (colon === 4 && text.startsWith('sips')) return parseSipUriBody(text, 'sips', 5);
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUriBody(text, scheme, colon + 1);
  // absoluteURI = scheme ":" ( hier-part / opaque-part ); both are runs of uric (RFC 2396 §3).
  if (colon + 1 >= text.length) fail(`empty URI after scheme "${scheme}"`);
  checkEscapedChars(text.slice(colon + 1), isUricChar, 'URI');
  return { kind: 'absolute', scheme, text };
}

export function parseUri(text: string): Result<Uri> {
  try {
    return ok(parseUriOrThrow(text));
  } catch (error) {
    return err(toUriError(error, text));
  }
}

export function parseSipUri(text: string): Result<SipUri> {
  const result = parseUri(text);
  if (!result.ok) return result;
  if (result.value.kind !== 'sip') {
    return err(new DesklineError(ErrorCode.UriInvalid, `not a SIP or SIPS URI: "${text}"`));
  }
  return ok(result.value);
}

function toUriError(error: unknown, text: string): DesklineError {
  if (error instanceof SipSyntaxError) {
    return new DesklineError(ErrorCode.UriInvalid, error.message, { detail: { uri: text.slice(0, 200) } });
  }
  throw error;
}

// SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]   (RFC 3261 §25.1)
function parseSipUriBody(text: string, scheme: 'sip' | 'sips', start: number): SipUri {
  let pos = start;
  let user: string | undefined;
  let password: string | undefined;
  // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@". Neither user, password,
  // host, parameters nor headers may hold an unescaped "@", so the first "@" ends userinfo
  // (RFC 4475 §3.1.1.9 semiuri: "user;par=u%40example.net" is all user part).
  const at = text.indexOf('@', pos);
  if (at >= 0) {
    // Checked and unescaped in place: no substring unless the part is kept.
    let colon = text.indexOf(':', pos);
    if (colon > at) colon = -1;
    const userEnd = colon >= 0 ? colon : at;
    if (userEnd === pos) fail('empty user part');
    checkEscapedRange(text, pos, userEnd, USER_CHARS, 'user part');
    user = unescape(text.slice(pos, userEnd));
    if (colon >= 0) {
      checkEscapedRange(text, colon + 1, at, PASSWORD_CHARS, 'password');
      password = unescape(text.slice(colon + 1, at));
    }
    pos = at + 1;
  }
  // hostport = host [ ":" port ]
  let host: string;
  if (text.charCodeAt(pos) === 0x5b) {
    // IPv6reference = "[" IPv6address "]" (RFC 5118 §4.1: brackets are mandatory)
    const close = text.indexOf(']', pos);
    if (close < 0) fail('unterminated IPv6 reference');
    host = text.slice(pos, close + 1);
    pos = close + 1;
  } else {
    const hostStart = pos;
    while (pos < text.length) {
      const code = text.charCodeAt(pos);
      if (code === 0x3a || code === 0x3b || code === 0x3f) break;
      pos++;
    }
    host = text.slice(hostStart, pos);
  }
  if (!isHost(host)) fail(`invalid host "${host}"`);
  let port: number | undefined;
  if (text.charCodeAt(pos) === 0x3a) {
    pos++;
    const portStart = pos;
    while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++;
    if (pos === portStart || pos - portStart > 5) fail('invalid port');
    port = Number(text.slice(portStart, pos));
    if (port > 65535) fail('port out of range');
  }
  // uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ]
  let params: SipParams | undefined;
  while (text.charCodeAt(pos) === 0x3b) {
    pos++;
    const paramStart = pos;
    while (pos < text.length && text.charCodeAt(pos) !== 0x3b && text.charCodeAt(pos) !== 0x3f) pos++;
    let eq = text.indexOf('=', paramStart);
    if (eq >= pos) eq = -1;
    const nameEnd = eq >= 0 ? eq : pos;
    if (nameEnd === paramStart) fail('empty URI parameter name');
    checkEscapedRange(text, paramStart, nameEnd, PARAM_CHARS, 'URI parameter name');
    const name =
      knownUriParam(text, paramStart, nameEnd) ?? unescape(text.slice(paramStart, nameEnd)).toLowerCase();
    let value: string | null = null;
    if (eq >= 0) {
      if (eq + 1 === pos) fail(`empty value for URI parameter "${name}"`);
      checkEscapedRange(text, eq + 1, pos, PARAM_CHARS, 'URI parameter value');
      value = unescape(text.slice(eq + 1, pos));
    }
    checkKnownUriParam(name, value);
    (params ??= new SipParams()).addLower(name, value);
  }
  // headers = "?" header *( "&" header ); header = hname "=" hvalue
  let headers: [string, string][] | undefined;
  if (text.charCodeAt(pos) === 0x3f) {
    headers = [];
    pos++;
    for (const part of text.slice(pos).split('&')) {
      const eq = part.indexOf('=');
      if (eq <= 0) fail('invalid URI header');
      const name = part.slice(0, eq);
      const value = part.slice(eq + 1);
      checkEscapedChars(name, isHeaderChar, 'URI header name');
      checkEscapedChars(value, isHeaderChar, 'URI header value');
      headers.push([unescape(name), unescape(value)]);
    }
    pos = text.length;
  }
  if (pos !== text.length) fail(`unexpected "${text.slice(pos, pos + 16)}" in URI`);
  return {
    kind: 'sip',
    scheme,
    user,
    password,
    host,
    port,
    params: params ?? SipParams.EMPTY,
    headers: headers ?? NO_URI_HEADERS,
    text,
  };
}

/** The headers of a URI that has none (shared: URIs are read-only). */
const NO_URI_HEADERS: readonly (readonly [string, string])[] = Object.freeze([]);

/** URI parameter names met on every request, as constants (written in lower case, unescaped). */
const KNOWN_URI_PARAMS = ['transport', 'lr', 'user', 'maddr', 'ttl', 'method', 'ob', 'gr', 'phone-context'];

function knownUriParam(text: string, start: number, end: number): string | undefined {
  for (let i = 0; i < KNOWN_URI_PARAMS.length; i++) {
    const name = KNOWN_URI_PARAMS[i]!;
    if (name.length === end - start && text.startsWith(name, start)) return name;
  }
  return undefined;
}

// RFC 3261 §25.1: transport-param, user-param, method-param, ttl-param, maddr-param, lr-param.
function checkKnownUriParam(name: string, value: string | null): void {
  switch (name) {
    case 'transport':
    case 'user':
    case 'method':
      if (value === null || !isTokenValue(value)) fail(`invalid ${name} parameter`);
      return;
    case 'ttl':
      if (value === null || !/^\d{1,3}$/.test(value) || Number(value) > 255) fail('invalid ttl parameter');
      return;
    case 'maddr':
      if (value === null || !isHost(value)) fail('invalid maddr parameter');
      return;
    default:
      return;
  }
}

function isTokenValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (!isTokenChar(value.charCodeAt(i))) return false;
  return value.length > 0;
}

/** Where to send a request addressed to `uri` (RFC 3261 §18.1.1 / RFC 3263 without DNS SRV/NAPTR). */
export interface NextHop {
  readonly transport: 'TCP' | 'TLS' | 'WS' | 'WSS';
  readonly host: string;
  readonly port: number;
}

export function nextHopOf(uri: SipUri): Result<NextHop> {
  const maddr = uri.params.get('maddr');
  const rawHost = typeof maddr === 'string' ? maddr : uri.host;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const transportParam = uri.params.get('transport');
  const wanted = typeof transportParam === 'string' ? transportParam.toLowerCase() : undefined;
  let transport: NextHop['transport'];
  if (uri.scheme === 'sips') transport = wanted === 'ws' || wanted === 'wss' ? 'WSS' : 'TLS';
  else if (wanted === undefined || wanted === 'tcp') transport = 'TCP';
  else if (wanted === 'tls') transport = 'TLS';
  else if (wanted === 'ws') transport = 'WS';
  else if (wanted === 'wss') transport = 'WSS';
  else
    return err(new DesklineError(ErrorCode.SipTransport, `unsupported transport "${wanted}" in ${uri.text}`));
  // RFC 3261 §19.1.2: default ports 5060 (sip) and 5061 (sips / TLS).
  const port = uri.port ?? (transport === 'TLS' || transport === 'WSS' ? 5061 : 5060);
  return ok({ transport, host, port });
}
