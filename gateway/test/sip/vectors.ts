// The RFC 4475 / RFC 5118 torture vectors with the handling INDEX.md prescribes, as this UAS
// (a CSTA gateway: INVITE/INFO/UPDATE/BYE/OPTIONS, bodies application/csta+xml only) applies it,
// over a stream (TCP) and over WebSocket. Where INDEX.md leaves a choice, the choice is named.
import { readFileSync } from 'node:fs';

/** What the gateway does with one vector. */
export type Outcome =
  /** Answers these statuses, in order, and keeps the connection. */
  | { readonly kind: 'answer'; readonly statuses: readonly number[] }
  /** Answers these statuses, then closes the connection (stream framing unrecoverable). */
  | { readonly kind: 'answer-close'; readonly statuses: readonly number[] }
  /** Says nothing, keeps the connection (responses that match nothing). */
  | { readonly kind: 'drop' }
  /** Says nothing and waits for the rest of the message until its deadline closes the connection. */
  | { readonly kind: 'wait-close' };

export interface TortureVector {
  /** Path under gateway/test/vectors/sip-torture/. */
  readonly file: string;
  /** RFC 4475 / RFC 5118 section. */
  readonly section: string;
  /** Whether the RFC calls the message well-formed. */
  readonly valid: boolean;
  readonly tcp: Outcome;
  readonly ws: Outcome;
  /** TCP only: bytes fixed up as INDEX.md allows (see `streamBytes`). */
  readonly tcpFix?: 'content-length' | undefined;
  /** WS: send as a binary message (INDEX.md: not pure ASCII). */
  readonly binary?: boolean | undefined;
  /** Why the outcome is what it is, when INDEX.md leaves a choice. */
  readonly note?: string | undefined;
}

const answer = (...statuses: number[]): Outcome => ({ kind: 'answer', statuses });
const answerClose = (...statuses: number[]): Outcome => ({ kind: 'answer-close', statuses });
const drop: Outcome = { kind: 'drop' };
const waitClose: Outcome = { kind: 'wait-close' };

export const TORTURE_VECTORS: readonly TortureVector[] = [
  // RFC 4475 §3.1.1 valid messages
  {
    file: 'wsinv.dat',
    section: '3.1.1.1',
    valid: true,
    tcp: answer(481),
    ws: answer(481),
    note: 'parses; its To tag names no dialog of ours (RFC 3261 §12.2.2)',
  },
  { file: 'intmeth.dat', section: '3.1.1.2', valid: true, tcp: answer(501), ws: answer(501), binary: true },
  {
    file: 'esc01.dat',
    section: '3.1.1.3',
    valid: true,
    tcp: answer(415),
    ws: answer(415),
    note: 'parses; an SDP body is not CSTA',
  },
  { file: 'escnull.dat', section: '3.1.1.4', valid: true, tcp: answer(405), ws: answer(405) },
  {
    file: 'esc02.dat',
    section: '3.1.1.5',
    valid: true,
    tcp: answer(501),
    ws: answer(501),
    note: 'RE%47IST%45R is an unknown method, not REGISTER',
  },
  { file: 'lwsdisp.dat', section: '3.1.1.6', valid: true, tcp: answer(200), ws: answer(200) },
  { file: 'longreq.dat', section: '3.1.1.7', valid: true, tcp: answer(415), ws: answer(415) },
  {
    file: 'dblreq.dat',
    section: '3.1.1.8',
    valid: true,
    tcp: answerClose(405, 415),
    ws: answer(405),
    note: 'stream: the trailing INVITE is the next message (after a stray CRLF, RFC 3261 §7.5); its Content-Length (150) leaves "C\\r\\n\\r\\n" of its 155-byte body on the stream, which is not SIP → close. WebSocket: extra octets discarded like a datagram',
  },
  { file: 'semiuri.dat', section: '3.1.1.9', valid: true, tcp: answer(200), ws: answer(200) },
  { file: 'transports.dat', section: '3.1.1.10', valid: true, tcp: answer(200), ws: answer(200) },
  { file: 'mpart01.dat', section: '3.1.1.11', valid: true, tcp: answer(405), ws: answer(405), binary: true },
  {
    file: 'unreason.dat',
    section: '3.1.1.12',
    valid: true,
    tcp: drop,
    ws: drop,
    binary: true,
    note: 'a response we did not ask for',
  },
  { file: 'noreason.dat', section: '3.1.1.13', valid: true, tcp: drop, ws: drop },
  // RFC 4475 §3.1.2 invalid messages
  { file: 'badinv01.dat', section: '3.1.2.1', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'clerr.dat', section: '3.1.2.2', valid: false, tcp: waitClose, ws: answer(400) },
  { file: 'ncl.dat', section: '3.1.2.3', valid: false, tcp: answerClose(400), ws: answer(400) },
  { file: 'scalar02.dat', section: '3.1.2.4', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'scalarlg.dat', section: '3.1.2.5', valid: false, tcp: drop, ws: drop },
  { file: 'quotbal.dat', section: '3.1.2.6', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'ltgtruri.dat', section: '3.1.2.7', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'lwsruri.dat', section: '3.1.2.8', valid: false, tcp: answer(400), ws: answer(400) },
  {
    file: 'lwsstart.dat',
    section: '3.1.2.9',
    valid: false,
    tcp: answer(400),
    ws: answer(400),
    note: 'we reject rather than ignore the extra SP',
  },
  {
    file: 'trws.dat',
    section: '3.1.2.10',
    valid: false,
    tcp: answer(400),
    ws: answer(400),
    note: 'we reject rather than ignore the trailing SP',
  },
  {
    file: 'escruri.dat',
    section: '3.1.2.11',
    valid: false,
    tcp: answer(400),
    ws: answer(400),
    note: 'headers are not allowed in a Request-URI (RFC 3261 §19.1.1)',
  },
  {
    file: 'baddate.dat',
    section: '3.1.2.12',
    valid: false,
    tcp: answer(415),
    ws: answer(415),
    note: 'Date is ignored (we do not use it), so the SDP body decides',
  },
  { file: 'regbadct.dat', section: '3.1.2.13', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'badaspec.dat', section: '3.1.2.14', valid: false, tcp: answer(400), ws: answer(400) },
  {
    file: 'baddn.dat',
    section: '3.1.2.15',
    valid: false,
    tcp: waitClose,
    ws: answer(400),
    note: 'archive form has no empty line ending the headers: incomplete on a stream',
  },
  {
    file: 'extras/baddn-with-final-crlf.dat',
    section: '3.1.2.15',
    valid: false,
    tcp: answer(400),
    ws: answer(400),
  },
  { file: 'badvers.dat', section: '3.1.2.16', valid: false, tcp: answer(505), ws: answer(505) },
  { file: 'mismatch01.dat', section: '3.1.2.17', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'mismatch02.dat', section: '3.1.2.18', valid: false, tcp: answer(501), ws: answer(501) },
  { file: 'bigcode.dat', section: '3.1.2.19', valid: false, tcp: drop, ws: drop },
  // RFC 4475 §3.2 transaction layer
  {
    file: 'badbranch.dat',
    section: '3.2.1',
    valid: true,
    tcp: answer(200),
    ws: answer(200),
    note: 'RFC 2543 transaction matching',
  },
  // RFC 4475 §3.3 application layer
  { file: 'insuf.dat', section: '3.3.1', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'unkscm.dat', section: '3.3.2', valid: true, tcp: answer(416), ws: answer(416) },
  { file: 'novelsc.dat', section: '3.3.3', valid: true, tcp: answer(416), ws: answer(416) },
  {
    file: 'unksm2.dat',
    section: '3.3.4',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: 'not a registrar',
  },
  { file: 'bext01.dat', section: '3.3.5', valid: true, tcp: answer(420), ws: answer(420) },
  { file: 'invut.dat', section: '3.3.6', valid: true, tcp: answer(415), ws: answer(415) },
  {
    file: 'regaut01.dat',
    section: '3.3.7',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: 'not a registrar',
  },
  { file: 'multi01.dat', section: '3.3.8', valid: false, tcp: answer(400), ws: answer(400) },
  { file: 'mcl01.dat', section: '3.3.9', valid: false, tcp: answerClose(400), ws: answer(400) },
  { file: 'bcast.dat', section: '3.3.10', valid: true, tcp: drop, ws: drop },
  {
    file: 'zeromf.dat',
    section: '3.3.11',
    valid: true,
    tcp: answer(200),
    ws: answer(200),
    note: 'a UAS processes Max-Forwards 0 normally',
  },
  {
    file: 'cparam01.dat',
    section: '3.3.12',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: 'not a registrar',
  },
  {
    file: 'cparam02.dat',
    section: '3.3.13',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: 'not a registrar',
  },
  {
    file: 'regescrt.dat',
    section: '3.3.14',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: 'not a registrar',
  },
  { file: 'sdp01.dat', section: '3.3.15', valid: true, tcp: answer(406), ws: answer(406) },
  {
    file: 'inv2543.dat',
    section: '3.4.1',
    valid: true,
    tcp: answerClose(400),
    ws: answer(415),
    note: 'no Content-Length: unframeable on a stream (RFC 3261 §18.3) → 400 and close; accepted over WebSocket (SDP → 415); see the CL-appended variant test',
  },
  // RFC 5118
  { file: 'rfc5118/ipv6-good', section: '4.1', valid: true, tcp: answer(405), ws: answer(405) },
  { file: 'rfc5118/ipv6-bad', section: '4.2', valid: false, tcp: answer(400), ws: answer(400) },
  {
    file: 'rfc5118/port-ambiguous',
    section: '4.3',
    valid: true,
    tcp: answer(405),
    ws: answer(405),
    note: '[2001:db8::10:5070] is a legal address without port',
  },
  { file: 'rfc5118/port-unambiguous', section: '4.4', valid: true, tcp: answer(405), ws: answer(405) },
  {
    file: 'rfc5118/via-received-param-with-delim',
    section: '4.5',
    valid: true,
    tcp: answer(481),
    ws: answer(481),
    note: 'a BYE for no dialog of ours',
  },
  {
    file: 'rfc5118/via-received-param-no-delim',
    section: '4.5',
    valid: true,
    tcp: answer(200),
    ws: answer(200),
  },
  {
    file: 'rfc5118/ipv6-in-sdp',
    section: '4.6',
    valid: true,
    tcp: answer(415),
    ws: answer(415),
    tcpFix: 'content-length',
  },
  { file: 'rfc5118/mult-ip-in-header', section: '4.7', valid: true, tcp: answer(481), ws: answer(481) },
  {
    file: 'rfc5118/mult-ip-in-sdp',
    section: '4.8',
    valid: true,
    tcp: answer(415),
    ws: answer(415),
    tcpFix: 'content-length',
  },
  {
    file: 'rfc5118/ipv4-mapped-ipv6',
    section: '4.9',
    valid: true,
    tcp: answer(415),
    ws: answer(415),
    tcpFix: 'content-length',
  },
  {
    file: 'rfc5118/ipv6-correct-abnf-2-colons',
    section: '4.10',
    valid: true,
    tcp: answer(200),
    ws: answer(200),
  },
  {
    file: 'rfc5118/ipv6-bug-abnf-3-colons',
    section: '4.10',
    valid: false,
    tcp: answer(400),
    ws: answer(400),
  },
];

const DIR = new URL('../vectors/sip-torture/', import.meta.url);

export function vectorBytes(file: string): Buffer {
  return readFileSync(new URL(file, DIR));
}

/**
 * The bytes to send over a stream. For the RFC 5118 SDP messages, whose Content-Length counts
 * LF-only bodies (INDEX.md caveat), Content-Length is set to the real body length.
 */
export function streamBytes(vector: TortureVector): Buffer {
  const bytes = vectorBytes(vector.file);
  if (vector.tcpFix !== 'content-length') return bytes;
  return fixContentLength(bytes);
}

export function fixContentLength(bytes: Buffer): Buffer {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const body = bytes.subarray(headEnd + 4);
  const fixed = head.replace(/^(Content-Length|l)\s*:\s*\d+$/im, `Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${fixed}\r\n\r\n`, 'latin1'), body]);
}

/** inv2543 with a Content-Length appended (INDEX.md: "append a CL when testing RFC 2543 compatibility"). */
export function withContentLength(bytes: Buffer): Buffer {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, headEnd).toString('latin1');
  const body = bytes.subarray(headEnd + 4);
  return Buffer.concat([Buffer.from(`${head}\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
}

export const MS_RCC_DIR = new URL('../vectors/ms-rcc/', import.meta.url);

/** An ms-rcc sample (LF line endings on disk) as wire bytes: CRLF in the head, body as stored. */
export function msRccMessage(file: string): Buffer {
  const text = readFileSync(new URL(file, MS_RCC_DIR), 'utf8');
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split).replace(/\r?\n/g, '\r\n');
  const body = text.slice(split + 2).replace(/\n$/, '');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.from(body, 'utf8')]);
}

export function msRccBody(file: string): string {
  return readFileSync(new URL(file, MS_RCC_DIR), 'utf8').replace(/\n$/, '');
}
