// The SIP message model (RFC 3261 §7): a start line, header fields kept as written (unfolded)
// with case-insensitive lookup and compact forms, and a byte body. Typed accessors parse a
// header the first time they are asked and cache the Result, so a message pays only for the
// headers somebody reads.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { SipSyntaxError } from './grammar.js';
import {
  parseContactList,
  parseNameAddrList,
  parseSingleNameAddr,
  type NameAddr,
} from './headers/name-addr.js';
import { canonicalHeaderName } from './headers/names.js';
import {
  parseAccept,
  parseCSeq,
  parseCallId,
  parseContentDisposition,
  parseContentLength,
  parseMaxForwards,
  parseMediaType,
  parseMinSE,
  parseSessionExpires,
  parseTokenList,
  type CSeq,
  type ContentDisposition,
  type MediaType,
  type SessionExpires,
} from './headers/simple.js';
import { parseViaList, type Via } from './headers/via.js';
import type { Uri } from './uri.js';

/** Header fields in order, names lower-cased full names (compact forms expanded), values unfolded. */
export class SipHeaderList {
  readonly names: string[] = [];
  readonly values: string[] = [];

  /** `name` must already be canonical (see canonicalHeaderName). */
  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }
  get length(): number {
    return this.names.length;
  }
  /** First value of a header, by any spelling or compact form. */
  get(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    const index = this.names.indexOf(key);
    return index < 0 ? undefined : this.values[index];
  }
  getAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === key) out.push(this.values[i]!);
    return out;
  }
  count(name: string): number {
    const key = canonicalHeaderName(name);
    let n = 0;
    for (let i = 0; i < this.names.length; i++) if (this.names[i] === key) n++;
    return n;
  }
  has(name: string): boolean {
    return this.names.indexOf(canonicalHeaderName(name)) >= 0;
  }
}

// The typed accessors below run on every request (validateRequest reads ten headers), so they
// allocate nothing but what they return: no array of values, no closure, no Result for an
// absent header (shared constants; Results are never mutated) — docs/benchmarks.md, "Profile
// findings and engine changes".
const OK_NONE: Result<undefined> = Object.freeze({ ok: true as const, value: undefined });
const OK_EMPTY: Result<readonly never[]> = Object.freeze({
  ok: true as const,
  value: Object.freeze([] as never[]),
});

/** A header's grammar error as the Result the accessors return; anything else is a bug: rethrown. */
function syntaxError(header: string, error: unknown): Result<never> {
  if (error instanceof SipSyntaxError) {
    return err(
      new DesklineError(ErrorCode.SipMalformed, `invalid ${header} header: ${error.message}`, {
        detail: { header },
      }),
    );
  }
  throw error;
}

function missing(header: string): Result<never> {
  return err(new DesklineError(ErrorCode.SipMalformed, `missing ${header} header`, { detail: { header } }));
}

/** A header that appears at most once (`name` canonical), parsed by `parse`; `missing` when absent
 *  is an error, else the shared OK_NONE. */
function singleValue<T>(
  headers: SipHeaderList,
  name: string,
  display: string,
  parse: (value: string) => T,
  required: boolean,
): Result<T | undefined> {
  const names = headers.names;
  const index = names.indexOf(name);
  if (index < 0) return required ? missing(display) : OK_NONE;
  if (names.indexOf(name, index + 1) >= 0) return multiple(display);
  try {
    return ok(parse(headers.values[index]!));
  } catch (error) {
    return syntaxError(display, error);
  }
}

function viaValues(headers: SipHeaderList): Result<readonly Via[]> {
  const names = headers.names;
  const first = names.indexOf('via');
  if (first < 0) return missing('Via');
  try {
    const out: Via[] = [];
    for (let i = first; i < names.length; i++) if (names[i] === 'via') parseViaList(headers.values[i]!, out);
    return ok(out);
  } catch (error) {
    return syntaxError('Via', error);
  }
}

function contactValues(headers: SipHeaderList): Result<readonly NameAddr[] | '*'> {
  const names = headers.names;
  const first = names.indexOf('contact');
  if (first < 0) return OK_EMPTY;
  try {
    const several = names.indexOf('contact', first + 1) >= 0;
    let out: NameAddr[] | undefined;
    for (let i = first; i < names.length; i++) {
      if (names[i] !== 'contact') continue;
      const parsed = parseContactList(headers.values[i]!);
      if (parsed === '*') {
        if (several) throw new SipSyntaxError('"*" must be the only Contact value');
        return ok('*' as const);
      }
      if (out === undefined) out = parsed;
      else for (const entry of parsed) out.push(entry);
    }
    return ok(out ?? []);
  } catch (error) {
    return syntaxError('Contact', error);
  }
}

function nameAddrValues(headers: SipHeaderList, name: string, display: string): Result<readonly NameAddr[]> {
  const names = headers.names;
  const first = names.indexOf(name);
  if (first < 0) return OK_EMPTY;
  try {
    const out: NameAddr[] = [];
    for (let i = first; i < names.length; i++) {
      if (names[i] !== name) continue;
      for (const entry of parseNameAddrList(headers.values[i]!, ROUTE_OPTIONS)) out.push(entry);
    }
    return ok(out);
  } catch (error) {
    return syntaxError(display, error);
  }
}
const ROUTE_OPTIONS = Object.freeze({ requireBrackets: true });

function tokenValues(
  headers: SipHeaderList,
  name: string,
  display: string,
  what: string,
): Result<readonly string[]> {
  const names = headers.names;
  const first = names.indexOf(name);
  if (first < 0) return OK_EMPTY;
  try {
    const out: string[] = [];
    for (let i = first; i < names.length; i++)
      if (names[i] === name) parseTokenList(headers.values[i]!, out, what);
    return ok(out);
  } catch (error) {
    return syntaxError(display, error);
  }
}

function acceptValues(headers: SipHeaderList): Result<readonly MediaType[] | undefined> {
  const names = headers.names;
  const first = names.indexOf('accept');
  if (first < 0) return OK_NONE;
  try {
    const out: MediaType[] = [];
    for (let i = first; i < names.length; i++)
      if (names[i] === 'accept') parseAccept(headers.values[i]!, out);
    return ok(out);
  } catch (error) {
    return syntaxError('Accept', error);
  }
}

function hasToken(list: Result<readonly string[]>, lowerTag: string): boolean {
  if (!list.ok) return false;
  for (const token of list.value) if (token.toLowerCase() === lowerTag) return true;
  return false;
}

export abstract class SipMessage {
  readonly headers: SipHeaderList;
  body: Buffer;

  private viaCache: Result<readonly Via[]> | undefined;
  private fromCache: Result<NameAddr> | undefined;
  private toCache: Result<NameAddr> | undefined;
  private callIdCache: Result<string> | undefined;
  private cseqCache: Result<CSeq> | undefined;
  private contactCache: Result<readonly NameAddr[] | '*'> | undefined;
  private contentTypeCache: Result<MediaType | undefined> | undefined;
  private recordRouteCache: Result<readonly NameAddr[]> | undefined;

  constructor(headers: SipHeaderList, body: Buffer) {
    this.headers = headers;
    this.body = body;
  }

  abstract readonly isRequest: boolean;

  header(name: string): string | undefined {
    return this.headers.get(name);
  }

  bodyText(): string {
    return this.body.toString('utf8');
  }

  /** All Via values, topmost first (RFC 3261 §20.42). */
  via(): Result<readonly Via[]> {
    return (this.viaCache ??= viaValues(this.headers));
  }

  topVia(): Result<Via> {
    const all = this.via();
    return all.ok ? ok(all.value[0]!) : all;
  }

  from(): Result<NameAddr> {
    return (this.fromCache ??= singleValue(
      this.headers,
      'from',
      'From',
      parseSingleNameAddr,
      true,
    ) as Result<NameAddr>);
  }

  to(): Result<NameAddr> {
    return (this.toCache ??= singleValue(
      this.headers,
      'to',
      'To',
      parseSingleNameAddr,
      true,
    ) as Result<NameAddr>);
  }

  callId(): Result<string> {
    return (this.callIdCache ??= singleValue(
      this.headers,
      'call-id',
      'Call-ID',
      parseCallId,
      true,
    ) as Result<string>);
  }

  cseq(): Result<CSeq> {
    return (this.cseqCache ??= singleValue(this.headers, 'cseq', 'CSeq', parseCSeq, true) as Result<CSeq>);
  }

  maxForwards(): Result<number | undefined> {
    return singleValue(this.headers, 'max-forwards', 'Max-Forwards', parseMaxForwards, false);
  }

  contentLength(): Result<number | undefined> {
    return singleValue(this.headers, 'content-length', 'Content-Length', parseContentLength, false);
  }

  contentType(): Result<MediaType | undefined> {
    return (this.contentTypeCache ??= singleValue(
      this.headers,
      'content-type',
      'Content-Type',
      parseMediaType,
      false,
    ));
  }

  contentDisposition(): Result<ContentDisposition | undefined> {
    return singleValue(
      this.headers,
      'content-disposition',
      'Content-Disposition',
      parseContentDisposition,
      false,
    );
  }

  /** Contact values, '*' for the REGISTER wildcard (RFC 3261 §20.10); empty when absent. */
  contact(): Result<readonly NameAddr[] | '*'> {
    return (this.contactCache ??= contactValues(this.headers));
  }

  recordRoute(): Result<readonly NameAddr[]> {
    return (this.recordRouteCache ??= nameAddrValues(this.headers, 'record-route', 'Record-Route'));
  }

  route(): Result<readonly NameAddr[]> {
    return nameAddrValues(this.headers, 'route', 'Route');
  }

  require(): Result<readonly string[]> {
    return tokenValues(this.headers, 'require', 'Require', 'option-tag');
  }
  proxyRequire(): Result<readonly string[]> {
    return tokenValues(this.headers, 'proxy-require', 'Proxy-Require', 'option-tag');
  }
  supported(): Result<readonly string[]> {
    return tokenValues(this.headers, 'supported', 'Supported', 'option-tag');
  }
  allow(): Result<readonly string[]> {
    return tokenValues(this.headers, 'allow', 'Allow', 'method');
  }

  /** True if the option tag is listed in Supported (or Require) (RFC 3261 §20.37). */
  supportsOptionTag(tag: string): boolean {
    return hasToken(this.supported(), tag) || hasToken(this.require(), tag);
  }

  /** Accept ranges; undefined when the header is absent, [] when present but empty (RFC 3261 §20.1). */
  accept(): Result<readonly MediaType[] | undefined> {
    return acceptValues(this.headers);
  }

  sessionExpires(): Result<SessionExpires | undefined> {
    return singleValue(this.headers, 'session-expires', 'Session-Expires', parseSessionExpires, false);
  }

  minSE(): Result<number | undefined> {
    return singleValue(this.headers, 'min-se', 'Min-SE', parseMinSE, false);
  }
}

function multiple(header: string): Result<never> {
  return err(
    new DesklineError(ErrorCode.SipMalformed, `more than one ${header} header`, { detail: { header } }),
  );
}

export class SipRequest extends SipMessage {
  readonly isRequest = true;
  /** The method, case-sensitive (RFC 3261 §7.1). */
  readonly method: string;
  /** The Request-URI as written. */
  readonly uri: string;
  /** The Request-URI, parsed when the request line was. */
  readonly requestUri: Uri;

  constructor(method: string, uri: string, requestUri: Uri, headers: SipHeaderList, body: Buffer) {
    super(headers, body);
    this.method = method;
    this.uri = uri;
    this.requestUri = requestUri;
  }
}

export class SipResponse extends SipMessage {
  readonly isRequest = false;
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, headers: SipHeaderList, body: Buffer) {
    super(headers, body);
    this.status = status;
    this.reason = reason;
  }
}

export type SipMessageKind = SipRequest | SipResponse;
