// CTI link framing (docs/cti-link.md §1): an 8-byte header then one XML document.
//   bytes 0-1  0x0000 (format: plain XML)
//   bytes 2-3  big-endian total length, header included (8..65535, and <= the configured limit)
//   bytes 4-7  invoke ID as 4 ASCII digits: 0001-9998 requests/responses, 9999 events
// A corrupt header is unrecoverable on a stream: the decoder reports why and stays failed; the
// caller logs the reason and closes the connection.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { EVENT_INVOKE_ID } from './invoke-id.js';

export const FRAME_HEADER_BYTES = 8;
/** The 2-byte length field's ceiling. */
export const MAX_FRAME_BYTES = 0xffff;
export const MAX_FRAME_PAYLOAD_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

export interface Frame {
  invokeId: number;
  /** invokeId === 9999. */
  isEvent: boolean;
  /** The XML document. May share memory with the chunk it arrived in: decode it, don't keep it. */
  payload: Buffer;
}

/** Why a header was refused (FrameHeaderCorrupt / FrameTooLarge detail.reason). */
export type FrameHeaderFault = 'format' | 'length-too-small' | 'length-over-limit' | 'invoke-id';

const DIGIT_0 = 0x30;

/**
 * Builds one frame. Throws a DesklineError (FrameTooLarge) when the document does not fit in
 * `maxFrameBytes` (callers segment big content, docs/cti-link.md §4), and an assertion error for
 * an invoke ID outside 1..9999 (a bug).
 */
export function encodeFrame(
  invokeId: number,
  xml: string | Uint8Array,
  maxFrameBytes: number = MAX_FRAME_BYTES,
): Buffer {
  if (!Number.isInteger(invokeId) || invokeId < 1 || invokeId > EVENT_INVOKE_ID) {
    throw new Error(`assertion failed: invoke ID ${invokeId} is outside 1..9999`);
  }
  const payloadBytes = typeof xml === 'string' ? Buffer.byteLength(xml, 'utf8') : xml.byteLength;
  const total = FRAME_HEADER_BYTES + payloadBytes;
  const limit = Math.min(maxFrameBytes, MAX_FRAME_BYTES);
  if (total > limit) {
    throw new DesklineError(
      ErrorCode.FrameTooLarge,
      `frame of ${total} bytes is over the ${limit}-byte limit`,
      {
        detail: { reason: 'length-over-limit', length: total, maxFrameBytes: limit },
      },
    );
  }
  const frame = Buffer.allocUnsafe(total);
  frame.writeUInt16BE(0x0000, 0);
  frame.writeUInt16BE(total, 2);
  frame[4] = DIGIT_0 + Math.floor(invokeId / 1000);
  frame[5] = DIGIT_0 + (Math.floor(invokeId / 100) % 10);
  frame[6] = DIGIT_0 + (Math.floor(invokeId / 10) % 10);
  frame[7] = DIGIT_0 + (invokeId % 10);
  if (typeof xml === 'string') frame.write(xml, FRAME_HEADER_BYTES, 'utf8');
  else frame.set(xml, FRAME_HEADER_BYTES);
  return frame;
}

export interface FrameDecoderOptions {
  /** Largest accepted frame, header included (default and ceiling 65535). */
  maxFrameBytes?: number;
}

/**
 * Reassembles frames from a byte stream, whatever the chunking. `push` returns the frames each
 * chunk completes. After a corrupt header it returns that error forever (frames completed earlier
 * in the same chunk are dropped with it: the connection is going away).
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before parsing can progress: a header, or the whole frame once its header is known. */
  private needed = FRAME_HEADER_BYTES;
  private failure: DesklineError | undefined;
  private disposed = false;

  constructor(options?: FrameDecoderOptions) {
    const max = options?.maxFrameBytes ?? MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < FRAME_HEADER_BYTES || max > MAX_FRAME_BYTES) {
      throw new DesklineError(
        ErrorCode.InvalidArgument,
        `maxFrameBytes must be an integer in ${FRAME_HEADER_BYTES}..${MAX_FRAME_BYTES}, got ${max}`,
      );
    }
    this.maxFrameBytes = max;
  }

  /** The error that failed the decoder, if any. */
  get error(): DesklineError | undefined {
    return this.failure;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): Result<Frame[]> {
    if (this.failure !== undefined) return err(this.failure);
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'frame decoder disposed'));
    if (chunk.length === 0) return ok([]);
    let buf: Buffer;
    if (this.pendingBytes === 0) {
      buf = chunk;
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // Concatenate once per frame, not once per chunk (a frame split into bytes stays linear).
      if (this.pendingBytes < this.needed) return ok([]);
      buf =
        this.pending.length === 1
          ? (this.pending[0] as Buffer)
          : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Frame[] = [];
    let offset = 0;
    for (;;) {
      const available = buf.length - offset;
      if (available < FRAME_HEADER_BYTES) {
        this.needed = FRAME_HEADER_BYTES;
        break;
      }
      const header = this.readHeader(buf, offset);
      if (!header.ok) return this.fail(header.error);
      const { length, invokeId } = header.value;
      if (available < length) {
        this.needed = length;
        break;
      }
      frames.push({
        invokeId,
        isEvent: invokeId === EVENT_INVOKE_ID,
        payload: buf.subarray(offset + FRAME_HEADER_BYTES, offset + length),
      });
      offset += length;
    }
    if (offset < buf.length) {
      // Copy the tail so a small remainder does not pin a large socket chunk.
      this.pending = [Buffer.from(buf.subarray(offset))];
      this.pendingBytes = buf.length - offset;
    }
    return ok(frames);
  }

  /** Drops buffered bytes; later pushes return a Disposed error. */
  dispose(): void {
    this.disposed = true;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private fail(error: DesklineError): Result<Frame[]> {
    this.failure = error;
    this.pending = [];
    this.pendingBytes = 0;
    return err(error);
  }

  private readHeader(buf: Buffer, offset: number): Result<{ length: number; invokeId: number }> {
    const format = buf.readUInt16BE(offset);
    if (format !== 0x0000) {
      return err(
        corrupt(
          'format',
          `frame format 0x${format.toString(16).padStart(4, '0')} is not 0x0000 (plain XML)`,
          { format },
        ),
      );
    }
    const length = buf.readUInt16BE(offset + 2);
    if (length < FRAME_HEADER_BYTES)
      return err(
        corrupt('length-too-small', `frame length ${length} is shorter than its 8-byte header`, { length }),
      );
    if (length > this.maxFrameBytes) {
      return err(
        new DesklineError(
          ErrorCode.FrameTooLarge,
          `frame length ${length} is over the ${this.maxFrameBytes}-byte limit`,
          {
            detail: {
              reason: 'length-over-limit' satisfies FrameHeaderFault,
              length,
              maxFrameBytes: this.maxFrameBytes,
            },
          },
        ),
      );
    }
    let invokeId = 0;
    for (let i = 4; i < 8; i++) {
      const digit = (buf[offset + i] as number) - DIGIT_0;
      if (digit < 0 || digit > 9) {
        return err(
          corrupt(
            'invoke-id',
            `invoke ID bytes ${buf.subarray(offset + 4, offset + 8).toString('hex')} are not 4 ASCII digits`,
            {},
          ),
        );
      }
      invokeId = invokeId * 10 + digit;
    }
    if (invokeId === 0) return err(corrupt('invoke-id', 'invoke ID 0000 is not allowed', {}));
    return ok({ length, invokeId });
  }
}

function corrupt(reason: FrameHeaderFault, message: string, detail: Record<string, unknown>): DesklineError {
  return new DesklineError(ErrorCode.FrameHeaderCorrupt, message, { detail: { reason, ...detail } });
}
