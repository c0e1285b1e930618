// CTI link framing (docs/cti-link.md §1): byte-stream vectors, arbitrary splits, real loopback
// sockets, and the invoke ID allocator.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame, type Frame } from '../../src/cti-link/framing.js';
import { EVENT_INVOKE_ID, InvokeIdAllocator } from '../../src/cti-link/invoke-id.js';
import { decodeCsta } from '../../src/csta/index.js';
import type { DesklineError } from '../../src/util/errors.js';

const DIR = new URL('../vectors/cti-frames/', import.meta.url);

interface ExpectedFrame {
  invokeId: number;
  isEvent: boolean;
  payloadBytes: number;
  payloadSha256: string;
  payloadText?: string;
}
interface FrameVector {
  description: string;
  options?: { maxFrameBytes: number };
  frames: ExpectedFrame[];
  error?: { code: string; reason: string };
}

const VECTORS = readdirSync(DIR)
  .filter((f) => f.endsWith('.bin'))
  .map((f) => {
    const name = f.slice(0, -'.bin'.length);
    return {
      name,
      stream: readFileSync(new URL(f, DIR)),
      spec: JSON.parse(readFileSync(new URL(`${name}.json`, DIR), 'utf8')) as FrameVector,
    };
  });
const VALID = VECTORS.filter((v) => v.spec.error === undefined);
const BROKEN = VECTORS.filter((v) => v.spec.error !== undefined);

function summary(frame: Frame): ExpectedFrame {
  const s: ExpectedFrame = {
    invokeId: frame.invokeId,
    isEvent: frame.isEvent,
    payloadBytes: frame.payload.length,
    payloadSha256: createHash('sha256').update(frame.payload).digest('hex'),
  };
  if (frame.payload.length <= 4096) s.payloadText = frame.payload.toString('utf8');
  return s;
}

/** Feeds `stream` cut at `cuts`; returns the frames and the first error. */
function feed(
  decoder: FrameDecoder,
  stream: Buffer,
  cuts: readonly number[],
): { frames: ExpectedFrame[]; error: DesklineError | undefined } {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const frames: ExpectedFrame[] = [];
  let start = 0;
  for (const end of [...points, stream.length]) {
    if (end < start) continue;
    const result = decoder.push(stream.subarray(start, end));
    start = end;
    if (!result.ok) return { frames, error: result.error };
    frames.push(...result.value.map(summary));
  }
  return { frames, error: undefined };
}

describe('frame vectors', () => {
  it('has valid and corrupt streams', () => {
    expect(VALID.length).toBeGreaterThanOrEqual(5);
    expect(BROKEN.length).toBeGreaterThanOrEqual(5);
  });

  it.each(VALID.map((v) => [v.name, v] as const))(
    '%s: whole, byte by byte, and every frame payload is CSTA',
    (_name, v) => {
      const whole = feed(new FrameDecoder(v.spec.options), v.stream, []);
      expect(whole.error).toBeUndefined();
      expect(whole.frames).toEqual(v.spec.frames);
      const bytes = feed(
        new FrameDecoder(v.spec.options),
        v.stream,
        Array.from({ length: v.stream.length }, (_, i) => i),
      );
      expect(bytes.frames).toEqual(v.spec.frames);
      for (const f of whole.frames) {
        if (f.payloadBytes === 0) continue;
        expect(decodeCsta(Buffer.from(f.payloadText ?? '', 'utf8')).ok || f.payloadText === undefined).toBe(
          true,
        );
      }
    },
  );

  it.each(VALID.map((v) => [v.name, v] as const))('%s: encodeFrame reproduces the stream', (_name, v) => {
    let offset = 0;
    const rebuilt: Buffer[] = [];
    for (const f of v.spec.frames) {
      const payload = v.stream.subarray(offset + 8, offset + 8 + f.payloadBytes);
      rebuilt.push(encodeFrame(f.invokeId, f.payloadText ?? payload));
      offset += 8 + f.payloadBytes;
    }
    expect(Buffer.concat(rebuilt).equals(v.stream)).toBe(true);
  });

  it.each(BROKEN.map((v) => [v.name, v] as const))(
    '%s: refused with the named reason, and the decoder stays failed',
    (_name, v) => {
      const decoder = new FrameDecoder(v.spec.options);
      // Frame by frame, the good frames before the corruption are delivered first.
      const cuts: number[] = [];
      let offset = 0;
      for (const f of v.spec.frames) cuts.push((offset += 8 + f.payloadBytes));
      const fed = feed(decoder, v.stream, cuts);
      expect(fed.frames).toEqual(v.spec.frames);
      expect(fed.error?.code).toBe(v.spec.error?.code);
      expect(fed.error?.detail?.['reason']).toBe(v.spec.error?.reason);
      expect(decoder.error).toBe(fed.error);
      const later = decoder.push(encodeFrame(1, '<x/>'));
      expect(later.ok).toBe(false);
      if (!later.ok) expect(later.error).toBe(fed.error);
      expect(decoder.bufferedBytes).toBe(0);
    },
  );
});

describe('property: any split of a valid stream gives the same frames', () => {
  it('for every valid vector and for concatenations of them', () => {
    const streams = fc.array(fc.constantFrom(...VALID.filter((v) => v.spec.options === undefined)), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(streams, fc.array(fc.nat(), { maxLength: 40 }), (picked, cuts) => {
        const stream = Buffer.concat(picked.map((v) => v.stream));
        const expected = picked.flatMap((v) => v.spec.frames);
        const fed = feed(new FrameDecoder(), stream, cuts);
        expect(fed.error).toBeUndefined();
        expect(fed.frames).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a corrupt stream fails at the same point however it is split', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BROKEN), fc.array(fc.nat(), { maxLength: 20 }), (v, cuts) => {
        const fed = feed(new FrameDecoder(v.spec.options), v.stream, cuts);
        expect(fed.error?.code).toBe(v.spec.error?.code);
        // Frames delivered before the failure are a prefix of the good ones.
        expect(v.spec.frames.slice(0, fed.frames.length)).toEqual(fed.frames);
      }),
      { numRuns: 200 },
    );
  });
});

describe('encodeFrame', () => {
  it('writes the 8-byte header of docs/cti-link.md §1', () => {
    const frame = encodeFrame(42, 'é');
    expect([...frame]).toEqual([0x00, 0x00, 0x00, 0x0a, 0x30, 0x30, 0x34, 0x32, 0xc3, 0xa9]);
    expect(encodeFrame(EVENT_INVOKE_ID, Buffer.from('<a/>')).subarray(4, 8).toString()).toBe('9999');
  });

  it('refuses a document that does not fit, with FrameTooLarge', () => {
    expect(() => encodeFrame(1, 'x'.repeat(65_535 - 8))).not.toThrow();
    expect(() => encodeFrame(1, 'x'.repeat(65_535 - 7))).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    );
    expect(() => encodeFrame(1, 'x'.repeat(100), 64)).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    );
  });

  it('treats an invoke ID outside 1..9999 as a bug', () => {
    for (const id of [0, -1, 10_000, 1.5, Number.NaN])
      expect(() => encodeFrame(id, '<a/>')).toThrow(/assertion/);
  });
});

describe('FrameDecoder', () => {
  it('validates its limit', () => {
    expect(() => new FrameDecoder({ maxFrameBytes: 65_536 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => new FrameDecoder({ maxFrameBytes: 7 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('refuses an over-limit frame from its header, before the body arrives', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 100 });
    const r = decoder.push(encodeFrame(5, 'x'.repeat(200)).subarray(0, 8));
    expect(!r.ok && r.error.code).toBe('FRAME_TOO_LARGE');
  });

  it('holds a partial frame, and only that', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame(3, '<MonitorStopResponse/>');
    expect(decoder.push(frame.subarray(0, 5))).toEqual({ ok: true, value: [] });
    expect(decoder.bufferedBytes).toBe(5);
    const r = decoder.push(Buffer.concat([frame.subarray(5), frame.subarray(0, 3)]));
    expect(r.ok && r.value.map((f) => f.payload.toString())).toEqual(['<MonitorStopResponse/>']);
    expect(decoder.bufferedBytes).toBe(3);
  });

  it('dispose drops what it holds and refuses further input', () => {
    const decoder = new FrameDecoder();
    decoder.push(Buffer.from([0, 0, 0]));
    decoder.dispose();
    expect(decoder.bufferedBytes).toBe(0);
    const r = decoder.push(encodeFrame(1, '<a/>'));
    expect(!r.ok && r.error.code).toBe('DISPOSED');
  });
});

describe('over a real loopback socket', () => {
  const sockets: Socket[] = [];
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    sockets.length = 0;
    servers.length = 0;
  });

  it('reassembles frames written in arbitrary pieces', async () => {
    const stream = Buffer.concat(VALID.filter((v) => v.spec.options === undefined).map((v) => v.stream));
    const expected = VALID.filter((v) => v.spec.options === undefined).flatMap((v) => v.spec.frames);
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.setNoDelay(true);
      // Deterministic odd piece sizes: frames end up split and merged on the wire.
      let offset = 0;
      let size = 1;
      while (offset < stream.length) {
        socket.write(stream.subarray(offset, offset + size));
        offset += size;
        size = (size * 7 + 3) % 997 || 1;
      }
      socket.end();
    });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    sockets.push(client);
    const decoder = new FrameDecoder();
    const frames: ExpectedFrame[] = [];
    let failure: DesklineError | undefined;
    client.on('data', (chunk: Buffer) => {
      const r = decoder.push(chunk);
      if (r.ok) frames.push(...r.value.map(summary));
      else failure = r.error;
    });
    await once(client, 'end');
    expect(failure).toBeUndefined();
    expect(frames).toEqual(expected);
    expect(decoder.bufferedBytes).toBe(0);
    decoder.dispose();
  });
});

describe('InvokeIdAllocator', () => {
  it('hands out 1..9998 in order and wraps to 1', () => {
    const ids = new InvokeIdAllocator();
    const first: number[] = [];
    for (let i = 0; i < 9998; i++) {
      const id = ids.next();
      first.push(id);
      ids.release(id);
    }
    expect(first[0]).toBe(1);
    expect(first[9997]).toBe(9998);
    expect(ids.next()).toBe(1);
    ids.dispose();
  });

  it('skips IDs still in use', () => {
    const ids = new InvokeIdAllocator();
    const held = [ids.next(), ids.next(), ids.next()]; // 1, 2, 3 stay in use
    for (let i = 4; i <= 9998; i++) ids.release(ids.next());
    expect(ids.next()).toBe(4);
    expect(held).toEqual([1, 2, 3]);
    expect(ids.isInUse(2)).toBe(true);
    expect(ids.release(2)).toBe(true);
    expect(ids.release(2)).toBe(false);
    expect(ids.release(EVENT_INVOKE_ID)).toBe(false);
    expect(ids.inUseCount).toBe(3);
  });

  it('reports exhaustion when all 9998 wait for a response, and recovers on release', () => {
    const ids = new InvokeIdAllocator();
    for (let i = 0; i < 9998; i++) ids.next();
    const r = ids.tryNext();
    expect(!r.ok && r.error.code).toBe('CTI_ERROR');
    expect(() => ids.next()).toThrow(expect.objectContaining({ code: 'CTI_ERROR' }));
    ids.release(5000);
    expect(ids.next()).toBe(5000);
    ids.dispose();
    expect(ids.inUseCount).toBe(0);
    expect(ids.next()).toBe(5001);
  });

  it('never hands out an ID twice while it is in use (random workload)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('next' as const), fc.nat({ max: 200 })), { maxLength: 600 }),
        (ops) => {
          const ids = new InvokeIdAllocator();
          const live: number[] = [];
          for (const op of ops) {
            if (op === 'next') {
              const id = ids.next();
              expect(live).not.toContain(id);
              expect(id >= 1 && id <= 9998).toBe(true);
              live.push(id);
            } else if (live.length > 0) {
              const [id] = live.splice(op % live.length, 1);
              expect(ids.release(id as number)).toBe(true);
            }
          }
          expect(ids.inUseCount).toBe(live.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
