// The fuzz targets, shared by the bounded CI run (fuzz.test.ts), the regression replay
// (regressions.test.ts) and the long run on demand (scripts/fuzz.ts). Each target is seeded from
// the valid test vectors, mutates them (mutate.ts), and checks its properties:
//   - never throws: every failure is a typed result (SipParseError, a DesklineError with a codec code);
//   - the same answer whatever the chunking of a stream (SIP stream framer, CTI frame decoder);
//   - what is accepted, written back out, is accepted again and reads the same (parse → serialise →
//     parse for SIP, decode → encode → decode for CTI frames and CSTA documents).
// "Never hangs" is the caller's watchdog: vitest's test timeout, and the worker watchdog of
// scripts/fuzz.ts, which saves the input that hung.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { decodeCsta, encodeCsta, type CstaEdition } from '../../src/csta/index.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/cti-link/framing.js';
import { StreamFramer, type FramerLimits } from '../../src/sip/framing.js';
import { SipRequest, SipResponse, type SipMessageKind } from '../../src/sip/message.js';
import { parseDatagram, validateRequest, validateResponse, SipParseError } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { DesklineError, ErrorCode } from '../../src/util/errors.js';
import type { Result } from '../../src/util/result.js';
import { chunks, cutsArbitrary, mutatedInput } from './mutate.js';

export const TARGET_NAMES = ['sip', 'cti', 'csta'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** One fuzz input: the bytes, where a stream is cut into chunks, and a variant (limits) selector. */
export interface FuzzCase {
  readonly bytes: Buffer;
  readonly cuts: readonly number[];
  readonly variant: number;
}

/** A property that does not hold. */
export class FuzzViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`);
    this.name = 'FuzzViolation';
  }
}

export interface FuzzTarget {
  readonly name: TargetName;
  readonly seeds: readonly Buffer[];
  readonly arbitrary: fc.Arbitrary<FuzzCase>;
  /** Throws FuzzViolation when a property does not hold. */
  check(input: FuzzCase): void;
}

const VECTORS = new URL('../vectors/', import.meta.url);

function filesUnder(dir: URL, accept: (name: string) => boolean): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir).sort()) {
    const url = new URL(name, dir);
    if (statSync(url).isDirectory()) out.push(...filesUnder(new URL(`${name}/`, dir), accept));
    else if (accept(name)) out.push(readFileSync(url));
  }
  return out;
}

/** Runs `fn`; a throw is a violation of "never throws". */
function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new FuzzViolation(
      'never throws',
      `${what} threw ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
    );
  }
}

const ascii = (bytes: string): Buffer => Buffer.from(bytes, 'latin1');

// ─────────────────────────────────────────── SIP parser and stream framer (gateway/src/sip)

/** An RCC sample as wire bytes (LF on disk → CRLF in the head; ../sip/vectors.ts msRccMessage does the same). */
function msRccWire(text: string): Buffer {
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split).replace(/\r?\n/g, '\r\n');
  const body = text.slice(split + 2).replace(/\n$/, '');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.from(body, 'utf8')]);
}

const SIP_DICTIONARY: readonly Buffer[] = [
  '\r\n',
  '\r\n\r\n',
  '\r',
  '\n',
  ' ',
  '\t',
  ':',
  ';',
  ',',
  '<',
  '>',
  '"',
  '\\',
  '%',
  '%00',
  '[',
  ']',
  '@',
  '=',
  '?',
  'Content-Length: 0\r\n',
  'Content-Length: 99999999\r\n',
  'l: 5\r\n',
  'Content-Length: -1\r\n',
  'Via: SIP/2.0/TCP h.invalid;branch=z9hG4bK1\r\n',
  'v: SIP/2.0/WS [::1]:5;received=[::1]\r\n',
  'CSeq: 4294967296 INFO\r\n',
  'Max-Forwards: 256\r\n',
  'Session-Expires: 4294967295;refresher=uas\r\n',
  'Min-SE: 0\r\n',
  'Contact: *\r\n',
  'To: <sip:a@b>;tag=x\r\n',
  'Require: timer, foo\r\n',
  'Accept: */*;q=2\r\n',
  'SIP/2.0',
  'SIP/2.0 ',
  'sip:',
  'sips:',
  'tel:',
  'INVITE ',
  'ACK ',
  'CANCEL ',
  'SIP/2.0 200 OK\r\n',
  '\xff',
  '\xc0\x80',
  '\xe2\x80\xa8',
  '\x00',
].map(ascii);

const SIP_LIMITS: readonly FramerLimits[] = [
  {},
  { maxHeaderBytes: 512, maxBodyBytes: 256 },
  { maxHeaderBytes: 64, maxBodyBytes: 0 },
];

function sipSeeds(): Buffer[] {
  const torture = filesUnder(
    new URL('sip-torture/', VECTORS),
    (name) => !name.endsWith('.md') && name !== 'SHA256SUMS',
  );
  const rcc = readdirSync(new URL('ms-rcc/', VECTORS))
    .filter((name) => name.endsWith('.txt') && !name.includes('verbatim'))
    .sort()
    .map((name) => msRccWire(readFileSync(new URL(`ms-rcc/${name}`, VECTORS), 'utf8')));
  return [...torture, ...rcc];
}

/** What a parsed message is, comparable after a round trip (Content-Length is always recomputed). */
function sipSummary(message: SipMessageKind): string {
  const start =
    message instanceof SipRequest
      ? `${message.method} ${message.uri}`
      : `${message.status} ${message.reason}`;
  const fields: string[] = [];
  for (let i = 0; i < message.headers.names.length; i++) {
    const name = message.headers.names[i] as string;
    if (name !== 'content-length') fields.push(`${name}:${message.headers.values[i] as string}`);
  }
  return JSON.stringify([start, fields, message.body.toString('hex')]);
}

/** Every typed accessor a layer above may call: none may throw, whatever the header says. */
function inspectSip(message: SipMessageKind): void {
  guard('validate', () =>
    message instanceof SipRequest ? validateRequest(message) : validateResponse(message),
  );
  guard('accessors', () => {
    message.via();
    message.topVia();
    message.from();
    message.to();
    message.callId();
    message.cseq();
    message.contact();
    message.contentType();
    message.contentDisposition();
    message.contentLength();
    message.maxForwards();
    message.recordRoute();
    message.route();
    message.require();
    message.proxyRequire();
    message.supported();
    message.allow();
    message.accept();
    message.sessionExpires();
    message.minSE();
    message.supportsOptionTag('timer');
    message.bodyText();
  });
}

function expectSipResult(what: string, result: Result<SipMessageKind, SipParseError>): void {
  if (result.ok) {
    if (!(result.value instanceof SipRequest) && !(result.value instanceof SipResponse))
      throw new FuzzViolation('typed result', `${what} returned ${String(result.value)}`);
  } else if (!(result.error instanceof SipParseError)) {
    throw new FuzzViolation('typed result', `${what} failed with ${String(result.error)}`);
  }
}

/** Frames a stream pushed in `parts`; returns a comparable record of what the sink was told. */
function frameParts(
  parts: readonly Buffer[],
  limits: FramerLimits,
): { events: string[]; messages: SipMessageKind[] } {
  const events: string[] = [];
  const messages: SipMessageKind[] = [];
  const framer = new StreamFramer(
    {
      onMessage: (result) => {
        expectSipResult('StreamFramer', result);
        if (result.ok) {
          messages.push(result.value);
          events.push(`M ${sipSummary(result.value)}`);
        } else events.push(`E ${result.error.code} ${String(result.error.status)} ${result.error.message}`);
      },
      onPing: () => events.push('PING'),
      onFatal: (error) => events.push(`FATAL ${error.code} ${String(error.status)} ${error.message}`),
    },
    limits,
  );
  guard('StreamFramer.push', () => {
    for (const part of parts) framer.push(part);
  });
  return { events, messages };
}

function checkSip({ bytes, cuts, variant }: FuzzCase): void {
  // A WebSocket message (RFC 7118): one message, Content-Length optional.
  const datagram = guard('parseDatagram', () => parseDatagram(bytes));
  expectSipResult('parseDatagram', datagram);
  if (datagram.ok) {
    inspectSip(datagram.value);
    const written = guard('serializeMessage', () => serializeMessage(datagram.value));
    const again = guard('parseDatagram (re-serialised)', () => parseDatagram(written));
    if (!again.ok)
      throw new FuzzViolation(
        're-serialised is accepted',
        `${again.error.message}\n${written.toString('latin1').slice(0, 400)}`,
      );
    if (sipSummary(again.value) !== sipSummary(datagram.value))
      throw new FuzzViolation(
        're-serialised reads the same',
        `${sipSummary(datagram.value).slice(0, 300)}\n≠ ${sipSummary(again.value).slice(0, 300)}`,
      );
  }

  // A TCP/TLS stream (RFC 3261 §18.3): the same events whatever the chunking.
  const limits = SIP_LIMITS[variant % SIP_LIMITS.length] as FramerLimits;
  const whole = frameParts([bytes], limits);
  const split = frameParts(chunks(bytes, cuts), limits);
  if (!isDeepStrictEqual(whole.events, split.events)) {
    throw new FuzzViolation(
      'split invariance',
      `whole: ${JSON.stringify(whole.events).slice(0, 400)}\nsplit: ${JSON.stringify(split.events).slice(0, 400)}`,
    );
  }
  for (const message of whole.messages) {
    inspectSip(message);
    const written = guard('serializeMessage', () => serializeMessage(message));
    const reframed = frameParts([written], {});
    if (reframed.events.length !== 1 || reframed.events[0] !== `M ${sipSummary(message)}`) {
      throw new FuzzViolation(
        're-serialised is accepted',
        `framed ${JSON.stringify(reframed.events).slice(0, 400)} from ${written.toString('latin1').slice(0, 300)}`,
      );
    }
  }
}

// ─────────────────────────────────────────── CTI frame decoder (gateway/src/cti-link/framing.ts)

const CTI_DICTIONARY: readonly Buffer[] = [
  Buffer.from([0x00, 0x00]),
  Buffer.from([0xff, 0xff]),
  Buffer.from([0x00, 0x08]),
  Buffer.from([0x00, 0x07]),
  Buffer.from([0x00, 0x01]),
  ascii('9999'),
  ascii('0000'),
  ascii('0001'),
  ascii('00a1'),
  Buffer.from([0x00, 0x00, 0x00, 0x08, 0x30, 0x30, 0x30, 0x31]),
  Buffer.from([0x00, 0x00, 0xff, 0xff, 0x39, 0x39, 0x39, 0x39]),
  ascii('<'),
  ascii('>'),
  ascii('<?xml version="1.0"?>'),
];

const CTI_LIMITS: readonly number[] = [65_535, 1_024, 300];

function ctiSeeds(): Buffer[] {
  const frames = filesUnder(new URL('cti-frames/', VECTORS), (name) => name.endsWith('.bin'));
  const documents = [
    'MakeCall.xml',
    'MakeCallResponse.xml',
    'DeliveredEvent.xml',
    'StartApplicationSession.xml',
    'SystemStatus.xml',
  ].map((name) => readFileSync(new URL(`csta/${name}`, VECTORS)));
  const built = documents.map((xml, i) => encodeFrame(i === 2 ? 9999 : i + 1, xml));
  return [...frames, ...built, Buffer.concat(built)];
}

interface DecoderRun {
  readonly frames: string[];
  readonly decoded: Frame[];
  readonly error: string | undefined;
}

function decodeParts(parts: readonly Buffer[], maxFrameBytes: number): DecoderRun {
  const decoder = new FrameDecoder({ maxFrameBytes });
  const frames: string[] = [];
  const decoded: Frame[] = [];
  let error: string | undefined;
  for (const part of parts) {
    const result = guard('FrameDecoder.push', () => decoder.push(part));
    if (!result.ok) {
      if (
        !(result.error instanceof DesklineError) ||
        (result.error.code !== ErrorCode.FrameHeaderCorrupt && result.error.code !== ErrorCode.FrameTooLarge)
      ) {
        throw new FuzzViolation('typed result', `FrameDecoder failed with ${String(result.error)}`);
      }
      error = `${result.error.code} ${String(result.error.detail?.['reason'])}`;
      // A failed decoder stays failed and holds nothing.
      const later = guard('FrameDecoder.push', () =>
        decoder.push(Buffer.from([0, 0, 0, 8, 0x30, 0x30, 0x30, 0x31])),
      );
      if (later.ok || decoder.bufferedBytes !== 0)
        throw new FuzzViolation('failure is final', 'the decoder accepted bytes after failing');
      break;
    }
    for (const frame of result.value) {
      if (frame.isEvent !== (frame.invokeId === 9999) || frame.invokeId < 1 || frame.invokeId > 9999)
        throw new FuzzViolation('typed result', `frame ${frame.invokeId} isEvent ${String(frame.isEvent)}`);
      if (frame.payload.length + 8 > maxFrameBytes)
        throw new FuzzViolation(
          'limits hold',
          `a ${frame.payload.length + 8}-byte frame passed a ${maxFrameBytes}-byte limit`,
        );
      frames.push(`${frame.invokeId} ${frame.payload.toString('hex')}`);
      decoded.push({ ...frame, payload: Buffer.from(frame.payload) });
    }
  }
  decoder.dispose();
  return { frames, decoded, error };
}

const isPrefix = (prefix: readonly string[], of: readonly string[]): boolean =>
  prefix.length <= of.length && prefix.every((value, i) => value === of[i]);

function checkCti({ bytes, cuts, variant }: FuzzCase): void {
  const max = CTI_LIMITS[variant % CTI_LIMITS.length] as number;
  // Byte by byte: every frame before a corrupt header is delivered (the reference).
  const reference = decodeParts(
    chunks(
      bytes,
      Array.from({ length: Math.min(bytes.length, 70_000) }, (_, i) => i),
    ),
    max,
  );
  const whole = decodeParts([bytes], max);
  const split = decodeParts(chunks(bytes, cuts), max);
  // "After a corrupt header it returns that error forever (frames completed earlier in the same
  // chunk are dropped with it)": so what a run delivers is a prefix of the reference, the same
  // error is found whatever the chunking, and without an error everything is delivered.
  for (const [name, run] of [
    ['whole', whole],
    ['split', split],
  ] as const) {
    if (run.error !== reference.error)
      throw new FuzzViolation(
        'split invariance',
        `${name} error ${String(run.error)} ≠ ${String(reference.error)}`,
      );
    if (!isPrefix(run.frames, reference.frames))
      throw new FuzzViolation(
        'split invariance',
        `${name} frames are not a prefix of the byte-by-byte frames`,
      );
    if (run.error === undefined && run.frames.length !== reference.frames.length)
      throw new FuzzViolation(
        'split invariance',
        `${name} delivered ${run.frames.length} of ${reference.frames.length} frames`,
      );
  }
  for (const frame of reference.decoded) {
    const encoded = guard('encodeFrame', () => encodeFrame(frame.invokeId, frame.payload, max));
    const again = decodeParts([encoded], max);
    if (
      again.error !== undefined ||
      again.frames.length !== 1 ||
      again.frames[0] !== `${frame.invokeId} ${frame.payload.toString('hex')}`
    ) {
      throw new FuzzViolation(
        're-encoded is accepted',
        `frame ${frame.invokeId} (${frame.payload.length} bytes) → ${JSON.stringify(again)}`,
      );
    }
    // What the connection does next with a payload: the CSTA decoder must take anything.
    checkCstaDocument(frame.payload);
  }
}

// ─────────────────────────────────────────── CSTA codec (decodeCsta / encodeCsta)

/** Entries made of characters below 0x100 are raw bytes (Latin-1: '\xff', a BOM's bytes); the others are UTF-8 text. */
const isByteString = (text: string): boolean => [...text].every((c) => c.charCodeAt(0) < 0x100);

const CSTA_DICTIONARY: readonly Buffer[] = [
  '<',
  '>',
  '&',
  '"',
  "'",
  '</',
  '/>',
  '<!DOCTYPE x>',
  '<!--',
  '-->',
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#0;',
  '&#x10FFFF;',
  '&#xD800;',
  'xmlns:a="u"',
  'xmlns=""',
  '\u0000',
  '\uFFFE',
  '<a:b>',
  '<?pi?>',
  '<?xml version="1.0" encoding="UTF-16"?>',
  ' ',
  '\n',
  '<extensions><privateData><private><x/></private></privateData></extensions>',
  '<callID>',
  '</callID>',
  '<deviceID>',
  'tel:+1',
  'xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed5"',
  '\xff',
  '\xef\xbb\xbf',
].map((text) => Buffer.from(text, isByteString(text) ? 'latin1' : 'utf8'));

const CSTA_LIMITS: readonly ({ maxBytes: number; maxDepth: number } | undefined)[] = [
  undefined,
  { maxBytes: 2_048, maxDepth: 6 },
];

/** The codes a codec failure may carry: anything else (INTERNAL) is an unexpected throw inside it. */
const CSTA_CODES: ReadonlySet<string> = new Set([
  ErrorCode.XmlMalformed,
  ErrorCode.XmlForbiddenConstruct,
  ErrorCode.XmlTooLarge,
  ErrorCode.XmlTooDeep,
  ErrorCode.XmlEncoding,
  ErrorCode.CstaUnknownMessage,
  ErrorCode.CstaMissingField,
  ErrorCode.CstaInvalidField,
]);

function cstaSeeds(): Buffer[] {
  const codec = filesUnder(new URL('csta/', VECTORS), (name) => name.endsWith('.xml'));
  const rcc = filesUnder(new URL('ms-rcc/', VECTORS), (name) => name.endsWith('.xml'));
  const hostile = filesUnder(new URL('csta-hostile/', VECTORS), (name) => name.endsWith('.xml'));
  return [...codec, ...rcc, ...hostile];
}

function checkCstaDocument(
  input: Uint8Array | string,
  limits?: { maxBytes: number; maxDepth: number },
): void {
  const decoded = guard('decodeCsta', () => decodeCsta(input, limits));
  if (!decoded.ok) {
    if (!(decoded.error instanceof DesklineError) || !CSTA_CODES.has(decoded.error.code)) {
      throw new FuzzViolation(
        'typed result',
        `decodeCsta failed with ${decoded.error.code}: ${decoded.error.message}`,
      );
    }
    return;
  }
  const edition: CstaEdition = decoded.value.edition;
  const xml = guard('encodeCsta', () =>
    encodeCsta(decoded.value.message, edition.startsWith('ed') ? { edition } : undefined),
  );
  const again = guard('decodeCsta (re-encoded)', () => decodeCsta(xml));
  if (!again.ok)
    throw new FuzzViolation(
      're-encoded is accepted',
      `${again.error.code}: ${again.error.message}\n${xml.slice(0, 400)}`,
    );
  if (!isDeepStrictEqual(again.value.message, decoded.value.message)) {
    throw new FuzzViolation(
      're-encoded reads the same',
      `${JSON.stringify(decoded.value.message).slice(0, 300)}\n≠ ${JSON.stringify(again.value.message).slice(0, 300)}`,
    );
  }
}

function checkCsta({ bytes, variant }: FuzzCase): void {
  const limits = CSTA_LIMITS[variant % CSTA_LIMITS.length];
  checkCstaDocument(bytes, limits);
  // The same document as a string (what a caller that already decoded the bytes passes).
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes)) checkCstaDocument(text, limits);
}

// ─────────────────────────────────────────── the table

function target(
  name: TargetName,
  seeds: readonly Buffer[],
  dictionary: readonly Buffer[],
  check: (input: FuzzCase) => void,
): FuzzTarget {
  const arbitrary = fc.record({
    bytes: mutatedInput(seeds, dictionary),
    cuts: cutsArbitrary,
    variant: fc.nat({ max: 5 }),
  });
  return { name, seeds, arbitrary, check };
}

let cache: Map<TargetName, FuzzTarget> | undefined;

export function fuzzTarget(name: TargetName): FuzzTarget {
  cache ??= new Map();
  let found = cache.get(name);
  if (found === undefined) {
    switch (name) {
      case 'sip':
        found = target('sip', sipSeeds(), SIP_DICTIONARY, checkSip);
        break;
      case 'cti':
        found = target('cti', ctiSeeds(), CTI_DICTIONARY, checkCti);
        break;
      case 'csta':
        found = target('csta', cstaSeeds(), CSTA_DICTIONARY, checkCsta);
        break;
      default: {
        const never: never = name;
        throw new Error(`unknown fuzz target ${String(never)}`);
      }
    }
    cache.set(name, found);
  }
  return found;
}

export function isTargetName(value: string): value is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(value);
}
