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

function attempt<T>(header: string, parse: () => T): Result<T> {
  try {
    return ok(parse());
  } catch (error) {
    if (error instanceof SipSyntaxError) {
      return err(
        new DesklineError(ErrorCode.SipMalformed, `invalid ${header} header: ${error.message}`, {
          detail: { header },
        }),
      );
    }
    throw error;
  }
}

function missing(header: string): Result<never> {
  return err(new DesklineError(ErrorCode.SipMalformed, `missing ${header} header`, { detail: { header } }));
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
    return (this.viaCache ??= (() => {
      const values = this.headers.getAll('via');
      if (values.length === 0) return missing('Via');
      return attempt('Via', () => {
        const out: Via[] = [];
        for (const value of values) parseViaList(value, out);
        return out;
      });
    })());
  }

  topVia(): Result<Via> {
    const all = this.via();
    return all.ok ? ok(all.value[0]!) : all;
  }

  from(): Result<NameAddr> {
    return (this.fromCache ??= this.singleNameAddr('from', 'From'));
  }

  to(): Result<NameAddr> {
    return (this.toCache ??= this.singleNameAddr('to', 'To'));
  }

  private singleNameAddr(name: string, display: string): Result<NameAddr> {
    const values = this.headers.getAll(name);
    if (values.length === 0) return missing(display);
    if (values.length > 1) return multiple(display);
    return attempt(display, () => parseSingleNameAddr(values[0]!));
  }

  callId(): Result<string> {
    return (this.callIdCache ??= this.single('call-id', 'Call-ID', parseCallId));
  }

  cseq(): Result<CSeq> {
    return (this.cseqCache ??= this.single('cseq', 'CSeq', parseCSeq));
  }

  private single<T>(name: string, display: string, parse: (value: string) => T): Result<T> {
    const values = this.headers.getAll(name);
    if (values.length === 0) return missing(display);
    if (values.length > 1) return multiple(display);
    return attempt(display, () => parse(values[0]!));
  }

  private optional<T>(name: string, display: string, parse: (value: string) => T): Result<T | undefined> {
    const values = this.headers.getAll(name);
    if (values.length === 0) return ok(undefined);
    if (values.length > 1) return multiple(display);
    return attempt(display, () => parse(values[0]!));
  }

  maxForwards(): Result<number | undefined> {
    return this.optional('max-forwards', 'Max-Forwards', parseMaxForwards);
  }

  contentLength(): Result<number | undefined> {
    return this.optional('content-length', 'Content-Length', parseContentLength);
  }

  contentType(): Result<MediaType | undefined> {
    return (this.contentTypeCache ??= this.optional('content-type', 'Content-Type', parseMediaType));
  }

  contentDisposition(): Result<ContentDisposition | undefined> {
    return this.optional('content-disposition', 'Content-Disposition', parseContentDisposition);
  }

  /** Contact values, '*' for the REGISTER wildcard (RFC 3261 §20.10); empty when absent. */
  contact(): Result<readonly NameAddr[] | '*'> {
    return (this.contactCache ??= (() => {
      const values = this.headers.getAll('contact');
      if (values.length === 0) return ok([]);
      return attempt('Contact', () => {
        const out: NameAddr[] = [];
        for (const value of values) {
          const parsed = parseContactList(value);
          if (parsed === '*') {
            if (values.length > 1) throw new SipSyntaxError('"*" must be the only Contact value');
            return '*' as const;
          }
          out.push(...parsed);
        }
        return out;
      });
    })());
  }

  recordRoute(): Result<readonly NameAddr[]> {
    return this.nameAddrList('record-route', 'Record-Route');
  }

  route(): Result<readonly NameAddr[]> {
    return this.nameAddrList('route', 'Route');
  }

  private nameAddrList(name: string, display: string): Result<readonly NameAddr[]> {
    const values = this.headers.getAll(name);
    if (values.length === 0) return ok([]);
    return attempt(display, () => {
      const out: NameAddr[] = [];
      for (const value of values) out.push(...parseNameAddrList(value, { requireBrackets: true }));
      return out;
    });
  }

  require(): Result<readonly string[]> {
    return this.tokenList('require', 'Require', 'option-tag');
  }
  proxyRequire(): Result<readonly string[]> {
    return this.tokenList('proxy-require', 'Proxy-Require', 'option-tag');
  }
  supported(): Result<readonly string[]> {
    return this.tokenList('supported', 'Supported', 'option-tag');
  }
  allow(): Result<readonly string[]> {
    return this.tokenList('allow', 'Allow', 'method');
  }

  private tokenList(name: string, display: string, what: string): Result<readonly string[]> {
    const values = this.headers.getAll(name);
    if (values.length === 0) return ok([]);
    return attempt(display, () => {
      const out: string[] = [];
      for (const value of values) parseTokenList(value, out, what);
      return out;
    });
  }

  /** True if the option tag is listed in Supported (or Require) (RFC 3261 §20.37). */
  supportsOptionTag(tag: string): boolean {
    const supported = this.supported();
    if (supported.ok && supported.value.some((t) => t.toLowerCase() === tag)) return true;
    const required = this.require();
    return required.ok && required.value.some((t) => t.toLowerCase() === tag);
  }

  /** Accept ranges; undefined when the header is absent, [] when present but empty (RFC 3261 §20.1). */
  accept(): Result<readonly MediaType[] | undefined> {
    const values = this.headers.getAll('accept');
    if (values.length === 0) return ok(undefined);
    return attempt('Accept', () => {
      const out: MediaType[] = [];
      for (const value of values) parseAccept(value, out);
      return out;
    });
  }

  sessionExpires(): Result<SessionExpires | undefined> {
    return this.optional('session-expires', 'Session-Expires', parseSessionExpires);
  }

  minSE(): Result<number | undefined> {
    return this.optional('min-se', 'Min-SE', parseMinSE);
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
