// The strict SIP message parser (RFC 3261 §7, ABNF §25). Two stages:
//  1. parseHead / parseDatagram / completeMessage: the start line and the header fields
//     (unfolded, names canonical), with Content-Length read for framing;
//  2. validateRequest / validateResponse: the headers every request or response must carry,
//     parsed with their grammar, so that the UAS core answers 400 naming the problem
//     (RFC 4475 §3.1.2) before anything else looks at the message.
// Results, never sentinels (docs/architecture.md §4.6); nothing here throws on any input.
import { isUtf8 } from 'node:buffer';
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { SipSyntaxError, isDigit, isToken, isTokenChar } from './grammar.js';
import { SINGLE_VALUED_HEADERS, canonicalHeaderName, commonHeaderNameAt } from './headers/names.js';
import { SipHeaderList, SipRequest, SipResponse } from './message.js';
import { parseUriOrThrow, type Uri } from './uri.js';

/**
 * A message we could not accept. `status` is the response owed to a request (400, 413 or 505),
 * or undefined when no response is possible (a response message, or bytes that are not SIP).
 * `headers` holds whatever header fields could be read, to build that response (RFC 3261 §8.2.6).
 */
export class SipParseError extends DesklineError {
  readonly status: 400 | 413 | 505 | undefined;
  readonly headers: SipHeaderList | undefined;
  /** What the start line looked like. */
  readonly startLine: 'request' | 'response' | 'garbage';
  /** The request method when the start line gave one ('' otherwise). */
  readonly method: string;

  constructor(
    message: string,
    options: {
      status: 400 | 413 | 505 | undefined;
      startLine: 'request' | 'response' | 'garbage';
      headers?: SipHeaderList | undefined;
      method?: string | undefined;
      code?: ErrorCode;
    },
  ) {
    super(options.code ?? ErrorCode.SipMalformed, message, {
      detail: { status: options.status, startLine: options.startLine },
    });
    this.name = 'SipParseError';
    this.status = options.status;
    this.headers = options.headers;
    this.startLine = options.startLine;
    this.method = options.method ?? '';
  }
}

/** The start line and headers of a message, before its body is known. */
export interface ParsedHead {
  readonly startLine: 'request' | 'response' | 'garbage';
  readonly headers: SipHeaderList;
  readonly method: string;
  readonly uriText: string;
  readonly requestUri: Uri | undefined;
  readonly status: number;
  readonly reason: string;
  /** First problem found; the message is answered (or dropped) with it once its body is read. */
  readonly fault: { status: 400 | 505 | undefined; message: string } | undefined;
}

export type ContentLengthInfo =
  { kind: 'absent' } | { kind: 'valid'; length: number } | { kind: 'invalid'; message: string };

const CRLF = '\r\n';
const SIP_VERSION = /^SIP\/(\d+)\.(\d+)$/i;

/** The index of the CRLFCRLF that ends the header section, or -1. */
export function findHeadEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/** Decodes header bytes as UTF-8 (RFC 3261 §7.3.1: UTF8-NONASCII in values); undefined if not valid UTF-8. */
export function decodeHead(buf: Buffer, start: number, end: number): string | undefined {
  const text = buf.toString('utf8', start, end);
  // Only pay for validation when the decoder had to substitute something.
  if (text.indexOf('\ufffd') >= 0 && !isUtf8(buf.subarray(start, end))) return undefined;
  return text;
}

/** True if text[start, end) holds a CR or LF (the line's own CRLF lies at `end`). */
function hasBareCrOrLf(text: string, start: number, end: number): boolean {
  const cr = text.indexOf('\r', start);
  if (cr >= 0 && cr < end) return true;
  const lf = text.indexOf('\n', start);
  return lf >= 0 && lf < end;
}

function trimWsp(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 0x20 || text.charCodeAt(start) === 0x09)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 0x20 || text.charCodeAt(end - 1) === 0x09)) end--;
  return text.slice(start, end);
}

/**
 * Parses the start line and header fields. `text` is the header section without the final
 * empty line. Never throws.
 */
export function parseHead(text: string): ParsedHead {
  const headers = new SipHeaderList();
  // The first problem found wins (kept in two locals: no closure on this hot path).
  let faultStatus: 400 | 505 | undefined;
  let faultMessage: string | undefined;
  let lineEnd = text.indexOf(CRLF);
  if (lineEnd < 0) lineEnd = text.length;
  const startLineText = text.slice(0, lineEnd);
  // RFC 3261 §7: lines end with CRLF; a lone CR or LF is not SIP.
  if (hasBareCrOrLf(text, 0, lineEnd)) {
    faultStatus = 400;
    faultMessage = 'bare CR or LF in the start line';
  }

  // Header fields: field-name HCOLON field-value, continuation lines folded (RFC 3261 §7.3.1).
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf(CRLF, pos);
    if (end < 0) end = text.length;
    if (faultMessage === undefined && hasBareCrOrLf(text, pos, end)) {
      faultStatus = 400;
      faultMessage = 'bare CR or LF in the header section';
    }
    const first = text.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous field value.
      const last = headers.values.length - 1;
      if (last < 0) {
        if (faultMessage === undefined) {
          faultStatus = 400;
          faultMessage = 'continuation line before any header field';
        }
      } else {
        const more = trimWsp(text, pos, end);
        const prior = headers.values[last]!;
        headers.values[last] = prior.length === 0 ? more : more.length === 0 ? prior : `${prior} ${more}`;
      }
    } else {
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= end) {
        if (faultMessage === undefined) {
          faultStatus = 400;
          faultMessage = `header line without a colon: "${text.slice(pos, Math.min(end, pos + 40))}"`;
        }
      } else {
        // HCOLON = *( SP / HTAB ) ":" SWS
        let nameEnd = colon;
        while (
          nameEnd > pos &&
          (text.charCodeAt(nameEnd - 1) === 0x20 || text.charCodeAt(nameEnd - 1) === 0x09)
        )
          nameEnd--;
        const common = commonHeaderNameAt(text, pos, nameEnd);
        if (common !== undefined) headers.add(common, trimWsp(text, colon + 1, end));
        else {
          const name = text.slice(pos, nameEnd);
          if (!isToken(name)) {
            if (faultMessage === undefined) {
              faultStatus = 400;
              faultMessage = `invalid header name "${name.slice(0, 40)}"`;
            }
          } else headers.add(canonicalHeaderName(name), trimWsp(text, colon + 1, end));
        }
      }
    }
    pos = end + 2;
  }
  // The first fault found wins (`fault ??=` below). Written inline rather than through a local
  // helper: under tsx (esbuild keepNames) a named closure costs a __name() call per message, ~1 %
  // of the gateway's CPU (docs/benchmarks.md, "Profile findings").
  let fault: ParsedHead['fault'] =
    faultMessage === undefined ? undefined : { status: faultStatus, message: faultMessage };

  // Response: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
  if (startLineText.startsWith('SIP/') || startLineText.startsWith('sip/')) {
    const firstSp = startLineText.indexOf(' ');
    const secondSp = firstSp < 0 ? -1 : startLineText.indexOf(' ', firstSp + 1);
    let status = 0;
    let reason = '';
    if (firstSp < 0 || secondSp < 0) fault ??= { status: undefined, message: 'malformed status line' };
    else {
      reason = startLineText.slice(secondSp + 1);
      // Status-Code = 3DIGIT, 100..699 (RFC 4475 §3.1.2.19 bigcode: drop). Read in place: no
      // string is cut for the code or the version of a well-formed line.
      const c0 = startLineText.charCodeAt(firstSp + 1);
      const c1 = startLineText.charCodeAt(firstSp + 2);
      const c2 = startLineText.charCodeAt(firstSp + 3);
      if (secondSp - firstSp !== 4 || !isDigit(c0) || !isDigit(c1) || !isDigit(c2)) {
        const code = startLineText.slice(firstSp + 1, secondSp);
        fault ??= { status: undefined, message: `invalid status code "${code.slice(0, 16)}"` };
      } else {
        status = (c0 - 0x30) * 100 + (c1 - 0x30) * 10 + (c2 - 0x30);
        if (status < 100 || status > 699)
          fault ??= { status: undefined, message: `status code ${status} out of range` };
      }
      if (firstSp !== 7 || !startLineText.startsWith('SIP/2.0')) {
        const version = startLineText.slice(0, firstSp);
        if (version.toUpperCase() !== 'SIP/2.0')
          fault ??= { status: undefined, message: `unsupported version in response "${version}"` };
      }
      for (let i = 0; i < reason.length; i++) {
        const c = reason.charCodeAt(i);
        if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
          fault ??= { status: undefined, message: 'control character in reason phrase' };
          break;
        }
      }
    }
    return {
      startLine: 'response',
      headers,
      method: '',
      uriText: '',
      requestUri: undefined,
      status,
      reason,
      fault,
    };
  }

  // Request-Line = Method SP Request-URI SP SIP-Version CRLF (RFC 3261 §7.1): exactly one SP
  // between elements (RFC 4475 §3.1.2.9 lwsstart, §3.1.2.10 trws, §3.1.2.8 lwsruri).
  const firstSp = startLineText.indexOf(' ');
  const method = firstSp < 0 ? startLineText : knownMethod(startLineText, firstSp);
  // Request-shaped: a method token, and a SIP version somewhere (so "GET / HTTP/1.1" is not).
  if (firstSp <= 0 || !isToken(method) || !/sip\//i.test(startLineText)) {
    // Not something we can recognise as a request: nothing to answer.
    return {
      startLine: 'garbage',
      headers,
      method: '',
      uriText: '',
      requestUri: undefined,
      status: 0,
      reason: '',
      fault: { status: undefined, message: `not a SIP start line: "${startLineText.slice(0, 40)}"` },
    };
  }
  // The three elements, found without splitting the line (what `split(' ')` into exactly three
  // non-empty parts would accept).
  const secondSp = startLineText.indexOf(' ', firstSp + 1);
  const thirdSp = secondSp < 0 ? -1 : startLineText.indexOf(' ', secondSp + 1);
  let uriText = '';
  let requestUri: Uri | undefined;
  if (secondSp < 0 || thirdSp >= 0 || secondSp === firstSp + 1 || secondSp === startLineText.length - 1) {
    fault ??= {
      status: 400,
      message: 'malformed Request-Line (elements must be separated by exactly one SP)',
    };
  } else {
    uriText = startLineText.slice(firstSp + 1, secondSp);
    if (startLineText.length - secondSp !== 8 || !startLineText.endsWith('SIP/2.0')) {
      const version = startLineText.slice(secondSp + 1);
      const match = SIP_VERSION.exec(version);
      if (match === null) fault ??= { status: 400, message: `invalid SIP-Version "${version.slice(0, 16)}"` };
      else if (Number(match[1]) !== 2 || Number(match[2]) !== 0) {
        // RFC 3261 §8.2.1 / RFC 4475 §3.1.2.16 badvers: 505 Version Not Supported.
        fault ??= { status: 505, message: `SIP version ${version} not supported` };
      }
    }
    try {
      requestUri = parseUriOrThrow(uriText);
      // RFC 3261 §19.1.1 Table 1: URI headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 escruri).
      if (requestUri.kind === 'sip' && requestUri.headers.length > 0)
        fault ??= { status: 400, message: 'headers are not allowed in the Request-URI' };
    } catch (error) {
      if (!(error instanceof SipSyntaxError)) throw error;
      fault ??= { status: 400, message: `invalid Request-URI: ${error.message}` };
    }
  }
  return { startLine: 'request', headers, method, uriText, requestUri, status: 0, reason: '', fault };
}

/** Methods the gateway meets, as constants: the method of a request line that spells one exactly
 *  (methods are case-sensitive, RFC 3261 §7.1) is not cut out of the line. */
const KNOWN_METHOD_NAMES = [
  'ACK',
  'BYE',
  'CANCEL',
  'INFO',
  'INVITE',
  'MESSAGE',
  'NOTIFY',
  'OPTIONS',
  'PRACK',
  'PUBLISH',
  'REFER',
  'REGISTER',
  'SUBSCRIBE',
  'UPDATE',
];

function knownMethod(line: string, length: number): string {
  for (let i = 0; i < KNOWN_METHOD_NAMES.length; i++) {
    const name = KNOWN_METHOD_NAMES[i]!;
    if (name.length === length && line.startsWith(name)) return name;
  }
  return line.slice(0, length);
}

/** Reads Content-Length for framing (RFC 3261 §18.3, §20.14). */
export function contentLengthOf(headers: SipHeaderList): ContentLengthInfo {
  let found: string | undefined;
  for (let i = 0; i < headers.names.length; i++) {
    if (headers.names[i] !== 'content-length') continue;
    // RFC 4475 §3.3.9 mcl01: two Content-Length values cannot frame a message.
    if (found !== undefined) return { kind: 'invalid', message: 'more than one Content-Length header' };
    found = headers.values[i]!;
  }
  if (found === undefined) return { kind: 'absent' };
  if (found.length === 0 || found.length > 15)
    return { kind: 'invalid', message: `invalid Content-Length "${found.slice(0, 20)}"` };
  for (let i = 0; i < found.length; i++) {
    // RFC 4475 §3.1.2.3 ncl: "-999" is not 1*DIGIT.
    if (!isDigit(found.charCodeAt(i)))
      return { kind: 'invalid', message: `invalid Content-Length "${found.slice(0, 20)}"` };
  }
  return { kind: 'valid', length: Number(found) };
}

/** Builds the message once its body is known; a head fault becomes the error. */
export function completeMessage(
  head: ParsedHead,
  body: Buffer,
): Result<SipRequest | SipResponse, SipParseError> {
  if (head.fault !== undefined) {
    return err(
      new SipParseError(head.fault.message, {
        status: head.fault.status,
        startLine: head.startLine,
        headers: head.headers,
        method: head.method,
      }),
    );
  }
  if (head.startLine === 'response') return ok(new SipResponse(head.status, head.reason, head.headers, body));
  // A request head without a fault always has its Request-URI parsed.
  if (head.requestUri === undefined)
    return err(
      new SipParseError('missing Request-URI', {
        status: 400,
        startLine: 'request',
        headers: head.headers,
        method: head.method,
      }),
    );
  return ok(new SipRequest(head.method, head.uriText, head.requestUri, head.headers, body));
}

/**
 * Reads a header section: as UTF-8, or when it is not, as Latin-1 with a fault, so that the fields
 * are still there to build a 400 (and, on a stream, framing is kept).
 */
export function readHead(buf: Buffer, start: number, end: number): ParsedHead {
  const text = decodeHead(buf, start, end);
  if (text !== undefined) return parseHead(text);
  const head = parseHead(buf.toString('latin1', start, end));
  return head.fault !== undefined
    ? head
    : { ...head, fault: { status: statusFor(head), message: 'header section is not valid UTF-8' } };
}

/** The error for a header section (`buf[start..end)`) over `maxHeaderBytes`: what fits of it is
 *  read so that the 400 can copy Via, From, To, Call-ID and CSeq. */
export function headerTooLarge(
  buf: Buffer,
  start: number,
  end: number,
  maxHeaderBytes: number,
): SipParseError {
  const limit = Math.min(end, start + maxHeaderBytes);
  const lastLine = buf.lastIndexOf('\r\n', limit, 'latin1');
  const head = readHead(buf, start, lastLine > start ? lastLine : limit);
  return new SipParseError(`header section exceeds ${maxHeaderBytes} bytes`, {
    status: statusFor(head),
    startLine: head.startLine,
    headers: head.headers,
    method: head.method,
    code: ErrorCode.SipTooLarge,
  });
}

/**
 * Parses one whole message that arrived as a unit (a WebSocket message, RFC 7118 §5). Content-Length
 * is optional; when present and shorter than the bytes, the rest is discarded, and when
 * longer, the message is an error (the RFC 3261 §18.3 rules for datagrams).
 */
export function parseDatagram(
  buf: Buffer,
  limits: { readonly maxHeaderBytes?: number } = {},
): Result<SipRequest | SipResponse, SipParseError> {
  const headEnd = findHeadEnd(buf);
  const headBytesEnd = headEnd < 0 ? buf.length : headEnd;
  if (limits.maxHeaderBytes !== undefined && headBytesEnd > limits.maxHeaderBytes)
    return err(headerTooLarge(buf, 0, headBytesEnd, limits.maxHeaderBytes));
  // A head that is not UTF-8 is read as Latin-1 and answered 400, as over a stream.
  const head = readHead(buf, 0, headBytesEnd);
  if (head.startLine === 'garbage') return completeMessage(head, EMPTY_BODY);
  if (headEnd < 0) {
    // RFC 3261 §7: the header section ends with an empty line (RFC 4475 §3.1.2.15 baddn as archived).
    return err(
      new SipParseError('header section not terminated by an empty line', {
        status: statusFor(head),
        startLine: head.startLine,
        headers: head.headers,
        method: head.method,
      }),
    );
  }
  const bodyStart = headEnd + 4;
  const available = buf.length - bodyStart;
  const cl = contentLengthOf(head.headers);
  let bodyLength = available;
  if (cl.kind === 'invalid') {
    return err(
      new SipParseError(cl.message, {
        status: statusFor(head),
        startLine: head.startLine,
        headers: head.headers,
        method: head.method,
      }),
    );
  }
  if (cl.kind === 'valid') {
    if (cl.length > available) {
      // RFC 3261 §18.3 / RFC 4475 §3.1.2.2 clerr: the message ends before the body does.
      return err(
        new SipParseError(`Content-Length ${cl.length} exceeds the ${available} body bytes received`, {
          status: statusFor(head),
          startLine: head.startLine,
          headers: head.headers,
          method: head.method,
        }),
      );
    }
    bodyLength = cl.length;
  }
  return completeMessage(
    head,
    bodyLength === 0 ? EMPTY_BODY : buf.subarray(bodyStart, bodyStart + bodyLength),
  );
}

function statusFor(head: ParsedHead): 400 | undefined {
  return head.startLine === 'request' ? 400 : undefined;
}

export const EMPTY_BODY: Buffer = Buffer.alloc(0);

/** A convenience for tests and tools: a whole message in one buffer, stream rules (Content-Length required). */
export function parseMessage(buf: Buffer): Result<SipRequest | SipResponse, SipParseError> {
  const headEnd = findHeadEnd(buf);
  if (headEnd < 0)
    return err(
      new SipParseError('header section not terminated by an empty line', {
        status: undefined,
        startLine: 'garbage',
      }),
    );
  const text = decodeHead(buf, 0, headEnd);
  if (text === undefined)
    return err(
      new SipParseError('header section is not valid UTF-8', { status: undefined, startLine: 'garbage' }),
    );
  const head = parseHead(text);
  const cl = contentLengthOf(head.headers);
  if (cl.kind === 'invalid')
    return err(
      new SipParseError(cl.message, {
        status: statusFor(head),
        startLine: head.startLine,
        headers: head.headers,
        method: head.method,
      }),
    );
  const length = cl.kind === 'valid' ? cl.length : 0;
  if (headEnd + 4 + length > buf.length) {
    return err(
      new SipParseError('message shorter than its Content-Length', {
        status: statusFor(head),
        startLine: head.startLine,
        headers: head.headers,
        method: head.method,
      }),
    );
  }
  return completeMessage(head, length === 0 ? EMPTY_BODY : buf.subarray(headEnd + 4, headEnd + 4 + length));
}

function invalid(message: SipRequest | SipResponse, error: DesklineError): SipParseError {
  return message instanceof SipRequest
    ? new SipParseError(error.message, {
        status: 400,
        startLine: 'request',
        headers: message.headers,
        method: message.method,
      })
    : new SipParseError(error.message, {
        status: undefined,
        startLine: 'response',
        headers: message.headers,
      });
}

/**
 * The header checks every request passes before the UAS core looks at it (RFC 3261 §8.2,
 * RFC 4475 §3.1.2 / §3.3): the mandatory headers (§8.1.1) with their grammar, single-valued
 * headers appearing once, and the headers whose damage we must refuse (Contact, Content-Type,
 * Require). Headers we do not use (Date, Expires, unknown ones) are not judged (RFC 4475 §3.1.2.12).
 */
export function validateRequest(request: SipRequest): Result<void, SipParseError> {
  const names = request.headers.names;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (SINGLE_VALUED_HEADERS.has(name) && names.indexOf(name, i + 1) > 0) {
      // RFC 3261 §7.3.1 / RFC 4475 §3.3.8 multi01
      return err(invalid(request, new DesklineError(ErrorCode.SipMalformed, `more than one ${name} header`)));
    }
  }
  // One check after another, in this order (the first failure names the problem); no array of
  // Results is built for them.
  let check: Result<unknown> = request.via();
  if (check.ok) check = request.from();
  if (check.ok) check = request.to();
  if (check.ok) check = request.callId();
  if (check.ok) check = request.cseq();
  if (check.ok) check = request.maxForwards();
  if (check.ok) check = request.contact();
  if (check.ok) check = request.contentType();
  if (check.ok) check = request.require();
  if (check.ok) check = request.proxyRequire();
  return check.ok ? OK_VOID : err(invalid(request, check.error));
}

/** Responses carry Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2); anything else is dropped (RFC 4475 §3.1.2.5). */
export function validateResponse(response: SipResponse): Result<void, SipParseError> {
  let check: Result<unknown> = response.via();
  if (check.ok) check = response.from();
  if (check.ok) check = response.to();
  if (check.ok) check = response.callId();
  if (check.ok) check = response.cseq();
  return check.ok ? OK_VOID : err(invalid(response, check.error));
}

const OK_VOID: Result<void, SipParseError> = Object.freeze({ ok: true as const, value: undefined });

/** True if `method` is a syntactically valid Method token. */
export function isMethodToken(method: string): boolean {
  for (let i = 0; i < method.length; i++) if (!isTokenChar(method.charCodeAt(i))) return false;
  return method.length > 0;
}
