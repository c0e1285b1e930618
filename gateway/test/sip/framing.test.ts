// Stream framing (RFC 3261 §18.3, RFC 5626 §3.5.1): split at any byte, merged messages, keep-
// alives, limits, and the Content-Length framing errors of RFC 4475 (mcl01, ncl, clerr).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamFramer, frameAll } from '../../src/sip/framing.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import type { SipParseError } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import type { Result } from '../../src/util/result.js';
import { TORTURE_VECTORS, msRccMessage, streamBytes, vectorBytes } from './vectors.js';

interface Collected {
  readonly messages: string[];
  pings: number;
  fatal: string | undefined;
}

/** A stable text summary of what a framer produced (for comparing two runs). */
function describeResult(result: Result<SipRequest | SipResponse, SipParseError>): string {
  if (!result.ok) return `error ${result.error.status ?? '-'} ${result.error.message}`;
  return serializeMessage(result.value).toString('latin1');
}

function feed(chunks: readonly Buffer[]): Collected {
  const collected: Collected = { messages: [], pings: 0, fatal: undefined };
  const framer = new StreamFramer({
    onMessage: (result) => collected.messages.push(describeResult(result)),
    onPing: () => collected.pings++,
    onFatal: (error) => {
      collected.fatal = `${error.status ?? '-'} ${error.message}`;
    },
  });
  for (const chunk of chunks) framer.push(chunk);
  return collected;
}

function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    out.push(bytes.subarray(last, point));
    last = point;
  }
  out.push(bytes.subarray(last));
  return out;
}

// A valid stream: RCC messages, stream-framable torture vectors, pings and stray CRLFs.
const STREAM = Buffer.concat([
  msRccMessage('01-invite-request-system-status.txt'),
  Buffer.from('\r\n\r\n'),
  msRccMessage('03-ack.txt'),
  msRccMessage('05-info-monitor-start.txt'),
  Buffer.from('\r\n'),
  streamBytes(TORTURE_VECTORS.find((v) => v.file === 'wsinv.dat')!),
  vectorBytes('mpart01.dat'),
  vectorBytes('intmeth.dat'),
  vectorBytes('unreason.dat'),
  msRccMessage('10-info-delivered-event.txt'),
  Buffer.from('\r\n\r\n'),
  msRccMessage('18-update-session-refresh.txt'),
]);

describe('StreamFramer', () => {
  it('frames a stream of merged messages', () => {
    const whole = feed([STREAM]);
    expect(whole.fatal).toBeUndefined();
    expect(whole.messages).toHaveLength(9);
    expect(whole.messages.every((m) => !m.startsWith('error'))).toBe(true);
    expect(whole.pings).toBe(2);
  });

  it('property: any split of a valid byte stream yields the same messages', () => {
    const reference = feed([STREAM]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: STREAM.length }), { maxLength: 40 }), (cuts) => {
        expect(feed(splitAt(STREAM, cuts))).toEqual(reference);
      }),
      { numRuns: 300 },
    );
  });

  it('byte by byte gives the same messages', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) chunks.push(STREAM.subarray(i, i + 1));
    expect(feed(chunks)).toEqual(feed([STREAM]));
  });

  it('answers a CRLFCRLF ping and ignores a lone CRLF before a start line (RFC 5626 §3.5.1, RFC 3261 §7.5)', () => {
    const ping = feed([Buffer.from('\r\n\r\n\r\n\r\n')]);
    expect(ping.pings).toBe(2);
    const stray = feed([Buffer.from('\r\n'), msRccMessage('03-ack.txt')]);
    expect([stray.pings, stray.messages.length]).toEqual([0, 1]);
    // Undecided until the next bytes come: a lone CRLF could be half a ping.
    const framer = frameAll(Buffer.from('\r\n'));
    expect([framer.pings, framer.messages.length]).toEqual([0, 0]);
  });

  it('mcl01 and ncl are fatal framing errors with 400 (RFC 4475 §3.3.9, §3.1.2.3)', () => {
    for (const file of ['mcl01.dat', 'ncl.dat']) {
      const result = frameAll(vectorBytes(file));
      expect(result.fatal?.status).toBe(400);
      expect(result.fatal?.headers?.get('call-id')).toBeTruthy();
    }
  });

  it('clerr waits for the rest of the body (RFC 4475 §3.1.2.2 over a stream)', () => {
    const collected = feed([vectorBytes('clerr.dat')]);
    expect(collected).toEqual({ messages: [], pings: 0, fatal: undefined });
  });

  it('a message without Content-Length cannot be framed on a stream (RFC 3261 §18.3)', () => {
    expect(frameAll(vectorBytes('inv2543.dat')).fatal?.message).toMatch(/Content-Length is required/);
  });

  it('refuses a header section over the limit with 400, and a body over the limit with 413', () => {
    const bigHeader = Buffer.from(
      `OPTIONS sip:a@b.example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bKx\r\nCall-ID: big\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const header = frameAll(bigHeader, { maxHeaderBytes: 16 * 1024 });
    expect(header.fatal?.status).toBe(400);
    expect(header.fatal?.message).toMatch(/exceeds 16384/);
    expect(header.fatal?.headers?.get('call-id')).toBe('big');
    // Even when the terminator never comes, the limit applies as bytes arrive.
    const endless = feed([bigHeader.subarray(0, 17_000)]);
    expect(endless.fatal).toMatch(/^400 header section exceeds/);
    const bigBody = Buffer.from(
      `INFO sip:a@b.example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nContent-Length: 70000\r\n\r\n`,
    );
    const body = frameAll(bigBody, { maxBodyBytes: 64 * 1024 });
    expect(body.fatal?.status).toBe(413);
  });

  it('stops after a fatal error and ignores later bytes', () => {
    const collected = feed([vectorBytes('mcl01.dat'), msRccMessage('03-ack.txt')]);
    expect(collected.fatal).toMatch(/^400/);
    expect(collected.messages).toEqual([]);
  });

  it('a non-SIP start line is fatal with no response possible', () => {
    expect(frameAll(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).fatal?.status).toBeUndefined();
    expect(frameAll(Buffer.from('\u0000\u0001garbage\r\n\r\n')).fatal?.startLine).toBe('garbage');
  });
});

describe('parser robustness (fuzz, in process)', () => {
  const seeds = [
    ...TORTURE_VECTORS.map((v) => vectorBytes(v.file)),
    msRccMessage('01-invite-request-system-status.txt'),
    msRccMessage('05-info-monitor-start.txt'),
  ];
  const mutation = fc.record({
    seed: fc.nat({ max: seeds.length - 1 }),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'colon', 'digit'),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  });

  function mutate(seed: Buffer, edits: readonly { at: number; kind: string; byte: number }[]): Buffer {
    let bytes: Buffer = Buffer.from(seed);
    for (const edit of edits) {
      const at = edit.at % (bytes.length + 1);
      const insert = (extra: Buffer): Buffer =>
        Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
      switch (edit.kind) {
        case 'flip':
          if (at < bytes.length) bytes[at] = edit.byte;
          break;
        case 'insert':
          bytes = insert(Buffer.from([edit.byte]));
          break;
        case 'delete':
          bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + (edit.byte % 8))]);
          break;
        case 'crlf':
          bytes = insert(Buffer.from('\r\n'));
          break;
        case 'colon':
          bytes = insert(Buffer.from(edit.byte % 2 === 0 ? ':' : ';'));
          break;
        default:
          bytes = insert(Buffer.from(String(edit.byte * 99_991)));
      }
    }
    return bytes;
  }

  it('never throws, as a datagram or as a stream split anywhere', async () => {
    const { parseDatagram, validateRequest, validateResponse } = await import('../../src/sip/parser.js');
    const { SipRequest: Request } = await import('../../src/sip/message.js');
    fc.assert(
      fc.property(mutation, ({ seed, edits, cuts }) => {
        const bytes = mutate(seeds[seed]!, edits);
        const datagram = parseDatagram(bytes);
        if (datagram.ok) {
          const message = datagram.value;
          const valid = message instanceof Request ? validateRequest(message) : validateResponse(message);
          expect(typeof valid.ok).toBe('boolean');
        } else {
          expect(datagram.error.code).toMatch(/^SIP_/);
        }
        feed(splitAt(bytes, cuts));
      }),
      { numRuns: 2000 },
    );
  });
});
