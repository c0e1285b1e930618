// Benchmark 1 — codec: how many messages one core decodes and encodes per second.
//
// Runs in the harness process (one JavaScript thread = one core): each operation is repeated in
// batches for a fixed time after a warm-up, and timed with the monotonic clock. Inputs are the
// repository's test vectors (gateway/test/vectors), so the figures are for real message shapes:
//   - CSTA MakeCall (request) and DeliveredEvent (event): decodeCsta / encodeCsta (ECMA-323 ed3);
//   - a SIP INFO carrying MakeCall, as a Microsoft client sends it: the SIP parser
//     (parseMessage + validateRequest, what the UAS core runs on every request), alone and
//     followed by decodeCsta of its body (what one INFO costs before the session layer);
//   - a CTI link frame (docs/cti-link.md): encodeFrame + FrameDecoder.push.
import { readFileSync } from 'node:fs';
import {
  decodeCsta,
  encodeCsta,
  type CstaMessage,
  encodeFrame,
  FrameDecoder,
  parseMessage,
  validateRequest,
  SipRequest,
} from '../gateway/src/index.js';
import type { BenchContext } from './lib/context.js';
import type { BenchResult } from './lib/results.js';
import { formatRate } from './lib/stats.js';

const VECTORS = new URL('../gateway/test/vectors/', import.meta.url);

function vector(path: string): string {
  return readFileSync(new URL(path, VECTORS), 'utf8').replace(/\n$/, '');
}

/** An ms-rcc sample (LF line endings on disk) as wire bytes: CRLF in the head, the body as stored. */
function sipWire(path: string): Buffer {
  const text = readFileSync(new URL(path, VECTORS), 'utf8');
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split).replace(/\r?\n/g, '\r\n');
  const body = text.slice(split + 2).replace(/\n$/, '');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), Buffer.from(body, 'utf8')]);
}

function decoded(xml: string): CstaMessage {
  const result = decodeCsta(xml);
  if (!result.ok) throw new Error(`benchmark input does not decode: ${result.error.message}`);
  return result.value.message;
}

export interface CodecFigure {
  operation: string;
  input: string;
  bytes: number;
  opsPerSec: number;
  nsPerOp: number;
  iterations: number;
}

/** Runs `op` in batches for `durationMs` (after a warm-up) and returns ops/s. `op` returns a number so that nothing is optimised away. */
function measure(
  op: () => number,
  durationMs: number,
): { opsPerSec: number; nsPerOp: number; iterations: number } {
  let sink = 0;
  const warmUntil = performance.now() + Math.min(500, durationMs / 2);
  while (performance.now() < warmUntil) for (let i = 0; i < 100; i++) sink += op();
  let batch = 100;
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) sink += op();
    iterations += batch;
    now = process.hrtime.bigint();
    // Aim at ~10 ms batches so the clock is read rarely.
    if (iterations === batch && now - start < 5_000_000n) batch *= 10;
  }
  const elapsedNs = Number(now - start);
  if (sink === Number.MIN_SAFE_INTEGER) console.log('unreachable');
  return { opsPerSec: (iterations / elapsedNs) * 1e9, nsPerOp: elapsedNs / iterations, iterations };
}

export async function runCodec(ctx: BenchContext): Promise<BenchResult> {
  const durationMs = ctx.quick ? 300 : 3000;
  const makeCallXml = vector('csta/MakeCall.xml');
  const deliveredXml = vector('csta/DeliveredEvent.xml');
  const makeCall = decoded(makeCallXml);
  const delivered = decoded(deliveredXml);
  const info = sipWire('ms-rcc/07-info-make-call.txt');
  const frame = encodeFrame(1234, deliveredXml);

  const cases: { operation: string; input: string; bytes: number; op: () => number }[] = [
    {
      operation: 'decode',
      input: 'CSTA MakeCall',
      bytes: Buffer.byteLength(makeCallXml),
      op: () => (decodeCsta(makeCallXml).ok ? 1 : 0),
    },
    {
      operation: 'encode',
      input: 'CSTA MakeCall',
      bytes: Buffer.byteLength(makeCallXml),
      op: () => encodeCsta(makeCall).length,
    },
    {
      operation: 'decode',
      input: 'CSTA DeliveredEvent',
      bytes: Buffer.byteLength(deliveredXml),
      op: () => (decodeCsta(deliveredXml).ok ? 1 : 0),
    },
    {
      operation: 'encode',
      input: 'CSTA DeliveredEvent',
      bytes: Buffer.byteLength(deliveredXml),
      op: () => encodeCsta(delivered).length,
    },
    {
      operation: 'parse',
      input: 'SIP INFO (MakeCall body): parseMessage + validateRequest',
      bytes: info.length,
      op: () => {
        const parsed = parseMessage(info);
        if (!parsed.ok || !(parsed.value instanceof SipRequest)) return 0;
        return validateRequest(parsed.value).ok ? 1 : 0;
      },
    },
    {
      operation: 'parse+decode',
      input: 'SIP INFO (MakeCall body): SIP parser + decodeCsta of the body',
      bytes: info.length,
      op: () => {
        const parsed = parseMessage(info);
        if (!parsed.ok || !(parsed.value instanceof SipRequest) || !validateRequest(parsed.value).ok)
          return 0;
        return decodeCsta(parsed.value.body).ok ? 1 : 0;
      },
    },
    {
      operation: 'frame+unframe',
      input: 'CTI frame (DeliveredEvent): encodeFrame + FrameDecoder.push',
      bytes: frame.length,
      op: () => {
        const decoder = new FrameDecoder();
        const frames = decoder.push(encodeFrame(1234, deliveredXml));
        return frames.ok ? frames.value.length : 0;
      },
    },
  ];

  const figures: CodecFigure[] = [];
  for (const c of cases) {
    const m = measure(c.op, durationMs);
    figures.push({
      operation: c.operation,
      input: c.input,
      bytes: c.bytes,
      opsPerSec: Math.round(m.opsPerSec),
      nsPerOp: Math.round(m.nsPerOp),
      iterations: m.iterations,
    });
    ctx.log(
      `codec: ${c.operation} ${c.input}: ${formatRate(m.opsPerSec)} ops/s (${Math.round(m.nsPerOp)} ns/op)`,
    );
  }

  const summary = [
    `One core (the harness's JavaScript thread), ${durationMs} ms per operation after a warm-up; inputs from gateway/test/vectors.`,
    '',
    '| operation | input | bytes | ops/s | ns/op |',
    '| --- | --- | ---: | ---: | ---: |',
    ...figures.map(
      (f) =>
        `| ${f.operation} | ${f.input} | ${f.bytes} | ${formatRate(f.opsPerSec)} | ${f.nsPerOp.toLocaleString('en-US')} |`,
    ),
  ];
  return ctx.result('codec', {
    parameters: {
      durationMsPerOperation: durationMs,
      vectors: ['csta/MakeCall.xml', 'csta/DeliveredEvent.xml', 'ms-rcc/07-info-make-call.txt'],
    },
    figures: { operations: figures },
    targets: [],
    notes: [
      'Single-threaded micro-benchmark: ops/s is the ceiling of one core for that step alone, not an end-to-end figure.',
    ],
    summary,
  });
}
