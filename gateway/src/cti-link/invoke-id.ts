// Invoke IDs of the CTI link (docs/cti-link.md §1): requests use 0001-9998 and wrap, skipping
// IDs still waiting for their response; events carry 9999.
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';

export const FIRST_INVOKE_ID = 1;
export const LAST_REQUEST_INVOKE_ID = 9998;
/** The invoke ID every event frame carries (docs/cti-link.md §1). */
export const EVENT_INVOKE_ID = 9999;
const REQUEST_ID_COUNT = LAST_REQUEST_INVOKE_ID - FIRST_INVOKE_ID + 1;

export function isRequestInvokeId(id: number): boolean {
  return Number.isInteger(id) && id >= FIRST_INVOKE_ID && id <= LAST_REQUEST_INVOKE_ID;
}

/**
 * Hands out request invoke IDs round-robin (so an ID is reused as late as possible, and a late
 * response cannot be mistaken for a newer request's), skipping those still in use.
 */
export class InvokeIdAllocator {
  /** inUse[id] = 1 while `id` waits for its response. Index 0 and 9999 stay unused. */
  private readonly inUse = new Uint8Array(LAST_REQUEST_INVOKE_ID + 1);
  private count = 0;
  private last = 0;

  /** The next free ID. Throws a DesklineError (CtiError) when all 9998 are in use. */
  next(): number {
    const result = this.tryNext();
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** The next free ID, or a CtiError when all 9998 are in use. */
  tryNext(): Result<number> {
    if (this.count >= REQUEST_ID_COUNT) {
      return err(
        new DesklineError(
          ErrorCode.CtiError,
          `all ${REQUEST_ID_COUNT} invoke IDs are waiting for a response`,
          { detail: { inUse: this.count } },
        ),
      );
    }
    let id = this.last;
    // Bounded: at least one ID is free, so this stops within REQUEST_ID_COUNT steps.
    for (;;) {
      id = id >= LAST_REQUEST_INVOKE_ID ? FIRST_INVOKE_ID : id + 1;
      if (this.inUse[id] === 0) break;
    }
    this.inUse[id] = 1;
    this.count++;
    this.last = id;
    return ok(id);
  }

  /** Frees an ID (its response came, or its request timed out). Returns false if it was not in use. */
  release(id: number): boolean {
    if (!isRequestInvokeId(id) || this.inUse[id] === 0) return false;
    this.inUse[id] = 0;
    this.count--;
    return true;
  }

  isInUse(id: number): boolean {
    return isRequestInvokeId(id) && this.inUse[id] === 1;
  }

  get inUseCount(): number {
    return this.count;
  }

  /** Frees every ID (the connection is gone). */
  dispose(): void {
    this.inUse.fill(0);
    this.count = 0;
  }
}
