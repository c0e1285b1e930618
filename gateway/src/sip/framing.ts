// Stream framing for SIP over TCP and TLS (RFC 3261 §18.3): messages are delimited by the
// empty line that ends the header section and by Content-Length, which is mandatory on
// streams. Reassembles messages split or merged at any byte, answers RFC 5626 §3.5.1 CRLFCRLF
// pings, ignores stray CRLFs before a start line (RFC 3261 §7.5), and enforces limits.
// Framing errors are unrecoverable on a stream: the sink answers if it can, then the
// connection closes (RFC 4475 transport notes: mcl01, ncl).
import { err, type Result } from '../util/result.js';
import { ErrorCode } from '../util/errors.js';
import type { SipRequest, SipResponse } from './message.js';
import {
  SipParseError,
  completeMessage,
  contentLengthOf,
  headerTooLarge,
  readHead,
  type ParsedHead,
} from './parser.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES } from './constants.js';

export interface FramerSink {
  /** One message (or the reason it cannot be accepted; the framing itself is intact). */
  onMessage(result: Result<SipRequest | SipResponse, SipParseError>): void;
  /** RFC 5626 §3.5.1: a CRLFCRLF "ping" that must be answered with a CRLF "pong". */
  onPing(): void;
  /** The stream cannot be framed any more: answer `error.status` if set, then close. */
  onFatal(error: SipParseError): void;
}

export interface FramerLimits {
  readonly maxHeaderBytes?: number;
  readonly maxBodyBytes?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const INITIAL_CAPACITY = 1024;

export class StreamFramer {
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  /** Bytes received but not yet consumed, in acc[0, accLength). Grows by doubling. */
  private acc: Buffer = EMPTY;
  private accLength = 0;
  /** Where the CRLFCRLF search resumes (positions are relative to the start of the pending bytes). */
  private scanFrom = 0;
  /** The parsed head of the message whose body we are waiting for. */
  private head: ParsedHead | undefined;
  private bodyStart = 0;
  private messageEnd = 0;
  private stopped = false;

  constructor(
    private readonly sink: FramerSink,
    limits: FramerLimits = {},
  ) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** True while part of a message has been received (RFC 4475 clerr: wait, then time out). */
  get hasPartialMessage(): boolean {
    return this.accLength > 0;
  }

  get bufferedBytes(): number {
    return this.accLength;
  }

  /**
   * True once the first byte of a message has arrived and until it is complete: what the
   * message deadline measures. Up to 3 CR/LF bytes held back between messages (the framer waits
   * to tell a CRLF from a CRLFCRLF keep-alive) are not a message.
   */
  get messageInProgress(): boolean {
    const length = this.accLength;
    if (length === 0) return false;
    if (length > 3) return true;
    for (let i = 0; i < length; i++) {
      const byte = this.acc[i];
      if (byte !== CR && byte !== LF) return true;
    }
    return false;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    if (this.accLength === 0) {
      // Fast path: parse straight from the chunk and keep only an unfinished tail.
      const consumed = this.process(chunk, chunk.length);
      if (this.stopped) return;
      if (consumed < chunk.length) this.keep(chunk, consumed, chunk.length);
      else this.shift(consumed);
      return;
    }
    this.append(chunk);
    if (this.head !== undefined && this.accLength < this.messageEnd) return;
    const consumed = this.process(this.acc, this.accLength);
    if (this.stopped) return;
    if (consumed > 0) {
      this.acc.copy(this.acc, 0, consumed, this.accLength);
      this.accLength -= consumed;
      this.shift(consumed);
    }
    if (this.accLength === 0 && this.acc.length > 4 * INITIAL_CAPACITY) this.acc = EMPTY;
  }

  /** Stops framing (connection closing, or a fatal error): later bytes are ignored, buffers released. */
  dispose(): void {
    this.stopped = true;
    this.acc = EMPTY;
    this.accLength = 0;
    this.head = undefined;
  }

  private keep(source: Buffer, from: number, to: number): void {
    const length = to - from;
    if (this.acc.length < length) this.acc = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, length * 2));
    source.copy(this.acc, 0, from, to);
    this.accLength = length;
    this.shift(from);
  }

  private shift(by: number): void {
    this.scanFrom = Math.max(0, this.scanFrom - by);
    if (this.head !== undefined) {
      this.bodyStart -= by;
      this.messageEnd -= by;
    }
  }

  private append(chunk: Buffer): void {
    const needed = this.accLength + chunk.length;
    if (needed > this.acc.length) {
      let capacity = Math.max(INITIAL_CAPACITY, this.acc.length * 2);
      while (capacity < needed) capacity *= 2;
      // Waiting for a body of known size: allocate it exactly once.
      if (this.head !== undefined && this.messageEnd > capacity) capacity = this.messageEnd;
      const grown = Buffer.allocUnsafe(capacity);
      this.acc.copy(grown, 0, 0, this.accLength);
      this.acc = grown;
    }
    chunk.copy(this.acc, this.accLength);
    this.accLength = needed;
  }

  /** Consumes whole messages from buf[0, length); returns how many bytes were consumed. */
  private process(buf: Buffer, length: number): number {
    let offset = 0;
    while (!this.stopped) {
      if (this.head !== undefined) {
        if (length < this.messageEnd) return offset;
        const head = this.head;
        const body = copyBody(buf, this.bodyStart, this.messageEnd);
        offset = this.messageEnd;
        this.head = undefined;
        this.scanFrom = offset;
        this.sink.onMessage(completeMessage(head, body));
        continue;
      }
      const remaining = length - offset;
      if (remaining === 0) return offset;
      if (buf[offset] === CR) {
        // RFC 3261 §7.5 and RFC 5626 §3.5.1: CRLF before a start line is ignored; CRLFCRLF
        // between messages is a keep-alive ping. Wait until we can tell which.
        if (remaining < 2) return offset;
        if (buf[offset + 1] === LF) {
          if (remaining < 4 && (remaining === 2 || buf[offset + 2] === CR)) return offset;
          if (buf[offset + 2] === CR && buf[offset + 3] === LF) {
            offset += 4;
            this.scanFrom = offset;
            this.sink.onPing();
          } else {
            offset += 2;
            this.scanFrom = offset;
          }
          continue;
        }
      }
      const searchFrom = Math.max(offset, this.scanFrom);
      const headEnd = buf.indexOf('\r\n\r\n', searchFrom, 'latin1');
      if (headEnd < 0 || headEnd > length - 4) {
        // Up to 3 bytes of the CRLFCRLF may already be here: only beyond them is the header section
        // known to be over the limit (else the verdict would depend on where TCP cut the stream).
        if (length - offset > this.maxHeaderBytes + 3) {
          this.fail(headerTooLarge(buf, offset, length, this.maxHeaderBytes));
          return length;
        }
        this.scanFrom = Math.max(offset, length - 3);
        return offset;
      }
      if (headEnd - offset > this.maxHeaderBytes) {
        this.fail(headerTooLarge(buf, offset, headEnd, this.maxHeaderBytes));
        return length;
      }
      const head = readHead(buf, offset, headEnd);
      if (head.startLine === 'garbage') {
        this.fail(
          new SipParseError(head.fault?.message ?? 'not SIP', {
            status: undefined,
            startLine: 'garbage',
            headers: head.headers,
            method: head.method,
          }),
        );
        return length;
      }
      const cl = contentLengthOf(head.headers);
      const status = head.startLine === 'request' ? 400 : undefined;
      if (cl.kind === 'absent') {
        // RFC 3261 §18.3: "In the case of stream-oriented transports such as TCP, the
        // Content-Length header field indicates the size of the body ... MUST be used".
        this.fail(
          new SipParseError('Content-Length is required on stream transports (RFC 3261 §18.3)', {
            status,
            startLine: head.startLine,
            headers: head.headers,
            method: head.method,
          }),
        );
        return length;
      }
      if (cl.kind === 'invalid') {
        this.fail(
          new SipParseError(cl.message, {
            status,
            startLine: head.startLine,
            headers: head.headers,
            method: head.method,
          }),
        );
        return length;
      }
      if (cl.length > this.maxBodyBytes) {
        this.fail(
          new SipParseError(`body of ${cl.length} bytes exceeds the limit of ${this.maxBodyBytes}`, {
            status: head.startLine === 'request' ? 413 : undefined,
            startLine: head.startLine,
            headers: head.headers,
            method: head.method,
            code: ErrorCode.SipTooLarge,
          }),
        );
        return length;
      }
      this.head = head;
      this.bodyStart = headEnd + 4;
      this.messageEnd = this.bodyStart + cl.length;
    }
    return offset;
  }

  private fail(error: SipParseError): void {
    this.dispose();
    this.sink.onFatal(error);
  }
}

/** Copies the body out so that a message never pins a large socket read buffer. */
function copyBody(buf: Buffer, start: number, end: number): Buffer {
  if (end === start) return EMPTY;
  const body = Buffer.allocUnsafe(end - start);
  buf.copy(body, 0, start, end);
  return body;
}

/** Convenience for tests: frame a whole byte stream and collect what the sink would get. */
export function frameAll(
  bytes: Buffer,
  limits?: FramerLimits,
): {
  messages: Result<SipRequest | SipResponse, SipParseError>[];
  pings: number;
  fatal: SipParseError | undefined;
} {
  const messages: Result<SipRequest | SipResponse, SipParseError>[] = [];
  let pings = 0;
  let fatal: SipParseError | undefined;
  const framer = new StreamFramer(
    {
      onMessage: (result) => messages.push(result),
      onPing: () => pings++,
      onFatal: (error) => {
        fatal = error;
        messages.push(err(error));
      },
    },
    limits,
  );
  framer.push(bytes);
  return { messages, pings, fatal };
}
