// Writing SIP messages. Content-Length is always computed here from the body's bytes (not its
// characters: RFC 3261 §20.14 "size of the message-body, in decimal number of octets"), and
// any Content-Length a caller passes is ignored, so no message can leave with a wrong one.
import { displayHeaderName } from './headers/names.js';
import type { SipHeaderList, SipRequest, SipResponse } from './message.js';
import { reasonPhrase } from './constants.js';

/** Header fields to write, in order: [name, value]. Names are written as given. */
export type HeaderFields = readonly (readonly [string, string])[];

export type Body = Buffer | string | undefined;

const CRLF = '\r\n';

function isContentLength(name: string): boolean {
  return name.length === 1 ? name === 'l' || name === 'L' : name.toLowerCase() === 'content-length';
}

/** Joins a start line, header lines (each ending in CRLF) and a body into one buffer. */
export function assemble(startLine: string, headerLines: string, body: Body): Buffer {
  const bodyLength =
    body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const head = `${startLine}${CRLF}${headerLines}Content-Length: ${bodyLength}${CRLF}${CRLF}`;
  if (bodyLength === 0) return Buffer.from(head, 'utf8');
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength);
  out.write(head, 0, 'utf8');
  if (typeof body === 'string') out.write(body, headLength, 'utf8');
  else body!.copy(out, headLength);
  return out;
}

export function headerLines(fields: HeaderFields): string {
  let out = '';
  for (const [name, value] of fields) {
    if (isContentLength(name)) continue;
    out += `${name}: ${value}${CRLF}`;
  }
  return out;
}

function listLines(headers: SipHeaderList): string {
  let out = '';
  for (let i = 0; i < headers.names.length; i++) {
    const name = headers.names[i]!;
    if (name === 'content-length') continue;
    out += `${displayHeaderName(name)}: ${headers.values[i]!}${CRLF}`;
  }
  return out;
}

export function serializeRequest(method: string, uri: string, fields: HeaderFields, body?: Body): Buffer {
  return assemble(`${method} ${uri} SIP/2.0`, headerLines(fields), body);
}

export function serializeResponse(
  status: number,
  reason: string | undefined,
  fields: HeaderFields,
  body?: Body,
): Buffer {
  return assemble(`SIP/2.0 ${status} ${reason ?? reasonPhrase(status)}`, headerLines(fields), body);
}

/** Writes a parsed message back out (header names in their full form; Content-Length recomputed). */
export function serializeMessage(message: SipRequest | SipResponse): Buffer {
  const startLine = message.isRequest
    ? `${message.method} ${message.uri} SIP/2.0`
    : `SIP/2.0 ${message.status} ${message.reason}`;
  return assemble(startLine, listLines(message.headers), message.body);
}

export interface ResponseOptions {
  readonly reason?: string | undefined;
  /** Tag to add to To when the request's To has none (RFC 3261 §8.2.6.2). */
  readonly toTag?: string | undefined;
  /** RFC 3261 §12.1.1: a UAS copies Record-Route into responses that create a dialog. */
  readonly copyRecordRoute?: boolean | undefined;
  readonly headers?: HeaderFields | undefined;
  readonly body?: Body;
  readonly contentType?: string | undefined;
}

const LINE_BREAKING = /[\r\n\0]/;

/**
 * A request's header value as it may be copied into a response. Valid values never hold CR, LF
 * or NUL (folding is undone by the parser); a malformed request's may, and echoing them would
 * make our 400 malformed too (or split it into two messages): they become spaces.
 */
function copyable(value: string): string {
  return LINE_BREAKING.test(value) ? value.replace(/[\r\n\0]/g, ' ') : value;
}

/**
 * Builds a response to a request from its header fields (RFC 3261 §8.2.6.2): Via values (all,
 * in order), From, To (with our tag), Call-ID and CSeq copied. Works from the raw header list,
 * so it can answer a request whose headers failed validation (a 400 copies what is there).
 */
export function buildResponse(
  requestHeaders: SipHeaderList,
  toHasTag: boolean,
  status: number,
  options: ResponseOptions = {},
): Buffer {
  let lines = '';
  const names = requestHeaders.names;
  const values = requestHeaders.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (
      name !== 'via' &&
      name !== 'from' &&
      name !== 'to' &&
      name !== 'call-id' &&
      name !== 'cseq' &&
      name !== 'record-route'
    )
      continue;
    const value = copyable(values[i]!);
    switch (name) {
      case 'via':
        lines += `Via: ${value}${CRLF}`;
        break;
      case 'from':
        lines += `From: ${value}${CRLF}`;
        break;
      case 'to':
        // RFC 3261 §8.2.6.2: "the UAS MUST add a tag to the To header field in the response"
        // when the request had none (100 Trying excepted: §8.2.6.1 leaves it optional).
        lines +=
          options.toTag !== undefined && !toHasTag && status > 100
            ? `To: ${value};tag=${options.toTag}${CRLF}`
            : `To: ${value}${CRLF}`;
        break;
      case 'call-id':
        lines += `Call-ID: ${value}${CRLF}`;
        break;
      case 'cseq':
        lines += `CSeq: ${value}${CRLF}`;
        break;
      case 'record-route':
        if (options.copyRecordRoute) lines += `Record-Route: ${value}${CRLF}`;
        break;
      default:
        break;
    }
  }
  if (options.headers !== undefined) lines += headerLines(options.headers);
  const hasBody =
    options.body !== undefined &&
    (typeof options.body === 'string' ? options.body.length > 0 : options.body.length > 0);
  if (hasBody && options.contentType !== undefined) lines += `Content-Type: ${options.contentType}${CRLF}`;
  return assemble(
    `SIP/2.0 ${status} ${options.reason ?? reasonPhrase(status)}`,
    lines,
    hasBody ? options.body : undefined,
  );
}
