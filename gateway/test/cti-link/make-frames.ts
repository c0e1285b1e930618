// Writes the byte-stream vectors gateway/test/vectors/cti-frames/<name>.{bin,json} (not a test).
// Run: npx tsx gateway/test/cti-link/make-frames.ts — then review the diff: the files are golden.
// Headers are written by hand here (not with encodeFrame) so the vectors check the codec
// against docs/cti-link.md §1 rather than against itself.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const out = new URL('../vectors/cti-frames/', import.meta.url);
const csta = (type: string): Buffer => readFileSync(new URL(`../vectors/csta/${type}.xml`, import.meta.url));

function header(format: number, length: number, invokeId: string): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(format, 0);
  h.writeUInt16BE(length, 2);
  h.write(invokeId, 4, 'latin1');
  return h;
}
const frame = (invokeId: string, payload: Buffer): Buffer =>
  Buffer.concat([header(0, 8 + payload.length, invokeId), payload]);

interface FrameSpec {
  invokeId: string;
  payload: Buffer;
}
interface VectorSpec {
  description: string;
  frames: FrameSpec[];
  /** Bytes after the frames (a corrupt header, or a partial frame). */
  tail?: Buffer;
  options?: { maxFrameBytes: number };
  error?: { code: string; reason: string };
}

const padded = (bytes: number): Buffer => {
  const open =
    '<?xml version="1.0" encoding="UTF-8"?><MonitorStop xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><monitorCrossRefID>';
  const close = '</monitorCrossRefID></MonitorStop>';
  return Buffer.from(open + 'x'.repeat(bytes - open.length - close.length) + close);
};

const vectors: Record<string, VectorSpec> = {
  'single-request': {
    description: 'one MakeCall request, invoke ID 0001',
    frames: [{ invokeId: '0001', payload: csta('MakeCall') }],
  },
  'request-response-event': {
    description: 'a request, its response and an event, back to back',
    frames: [
      { invokeId: '0001', payload: csta('MakeCall') },
      { invokeId: '0001', payload: csta('MakeCallResponse') },
      { invokeId: '9999', payload: csta('DeliveredEvent') },
      { invokeId: '0002', payload: csta('ResetApplicationSessionTimer') },
      { invokeId: '0002', payload: csta('ResetApplicationSessionTimerPosResponse') },
    ],
  },
  'invoke-id-wrap': {
    description: 'invoke IDs 9998 then 0001 (wrap-around)',
    frames: [
      { invokeId: '9998', payload: csta('MonitorStop') },
      { invokeId: '0001', payload: csta('MonitorStopResponse') },
    ],
  },
  'empty-payload': {
    description: 'a frame of length 8 (header only) is well framed',
    frames: [
      { invokeId: '0042', payload: Buffer.alloc(0) },
      { invokeId: '9999', payload: csta('HeldEvent') },
    ],
  },
  'maximum-size': {
    description: 'one frame of exactly 65535 bytes',
    frames: [{ invokeId: '1234', payload: padded(65535 - 8) }],
  },
  'corrupt-format': {
    description: 'format bytes 0x0100',
    frames: [],
    tail: Buffer.concat([header(0x0100, 20, '0001'), Buffer.alloc(12, 0x41)]),
    error: { code: 'FRAME_HEADER_CORRUPT', reason: 'format' },
  },
  'corrupt-length-too-small': {
    description: 'length 7, shorter than the header',
    frames: [],
    tail: header(0, 7, '0001'),
    error: { code: 'FRAME_HEADER_CORRUPT', reason: 'length-too-small' },
  },
  'corrupt-invoke-id-letters': {
    description: 'invoke ID "ab12"',
    frames: [],
    tail: Buffer.concat([header(0, 10, 'ab12'), Buffer.from('<>')]),
    error: { code: 'FRAME_HEADER_CORRUPT', reason: 'invoke-id' },
  },
  'corrupt-invoke-id-zero': {
    description: 'invoke ID "0000"',
    frames: [],
    tail: Buffer.concat([header(0, 10, '0000'), Buffer.from('<>')]),
    error: { code: 'FRAME_HEADER_CORRUPT', reason: 'invoke-id' },
  },
  'over-configured-limit': {
    description:
      'a 2000-byte frame on a decoder limited to 1024 bytes (refused from its header, before the body arrives)',
    frames: [{ invokeId: '0007', payload: csta('MonitorStop') }],
    tail: header(0, 2000, '0008'),
    options: { maxFrameBytes: 1024 },
    error: { code: 'FRAME_TOO_LARGE', reason: 'length-over-limit' },
  },
  'valid-then-corrupt': {
    description: 'two good frames, then garbage where the next header should be',
    frames: [
      { invokeId: '0001', payload: csta('AnswerCall') },
      { invokeId: '9999', payload: csta('EstablishedEvent') },
    ],
    tail: Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n', 'latin1'),
    error: { code: 'FRAME_HEADER_CORRUPT', reason: 'format' },
  },
};

for (const [name, spec] of Object.entries(vectors)) {
  const stream = Buffer.concat([
    ...spec.frames.map((f) => frame(f.invokeId, f.payload)),
    spec.tail ?? Buffer.alloc(0),
  ]);
  writeFileSync(new URL(`${name}.bin`, out), stream);
  const json = {
    description: spec.description,
    ...(spec.options === undefined ? {} : { options: spec.options }),
    frames: spec.frames.map((f) => ({
      invokeId: Number(f.invokeId),
      isEvent: f.invokeId === '9999',
      payloadBytes: f.payload.length,
      payloadSha256: createHash('sha256').update(f.payload).digest('hex'),
      ...(f.payload.length <= 4096 ? { payloadText: f.payload.toString('utf8') } : {}),
    })),
    ...(spec.error === undefined ? {} : { error: spec.error }),
  };
  writeFileSync(new URL(`${name}.json`, out), JSON.stringify(json, null, 2) + '\n');
}
console.log(`wrote ${Object.keys(vectors).length} frame vectors`);
