// Tags and branches. RFC 3261 §19.3: tags "MUST be globally unique and cryptographically
// random with at least 32 bits of randomness"; §8.1.1.7: branches unique across space and
// time. We draw 64 bits from the CSPRNG, through a pool refilled in bulk so that a tag costs
// a buffer read, not a system call.
import { randomFillSync } from 'node:crypto';
import { BRANCH_MAGIC_COOKIE } from './constants.js';

const POOL_SIZE = 4096;
const TOKEN_BYTES = 8;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(): string {
  if (offset + TOKEN_BYTES > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const text = pool.toString('hex', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return text;
}

export function newTag(): string {
  return randomHex();
}

export function newBranch(): string {
  return `${BRANCH_MAGIC_COOKIE}${randomHex()}`;
}

/** RFC 3261 §8.1.1.5 / §12.2.1.1: an initial local CSeq below 2^31 (kept small to leave room). */
export function initialCSeq(): number {
  if (offset + 4 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const value = pool.readUInt32BE(offset) & 0xffff;
  offset += 4;
  return value + 1;
}

/**
 * The first local CSeq of a dialog taken over from another node (docs/msrcc.md §8): that node's
 * requests in the dialog were numbered from initialCSeq() (at most 2^16) upwards, and the client
 * may check that ours keep rising (RFC 3261 §12.2.2), so ours start in the upper half of the
 * CSeq space (RFC 3261 §8.1.1.5: below 2^31), at a point that grows with time — four steps a
 * second, wrapping after about eight years, 2^24 below the top so that a dialog has room to count
 * — so that a second take-over starts above the first unless the first sent more than four
 * requests a second on average.
 */
export function takeoverCSeq(nowMs: number): number {
  return 2 ** 30 + (Math.floor(nowMs / 250) % (2 ** 30 - 2 ** 24));
}
