// A timer for many items that all wait the same fixed duration (Timer F, H, L, J, the ACK wait,
// the application-answer deadline). Because the duration is constant, insertion order is
// expiry order: the items live in a Map (insertion-ordered, O(1) delete) and one clock timer
// is armed for the oldest. At 5,000 transactions a second this replaces thousands of live
// clock timers by one per kind, and the fake clock still drives it in tests.
import type { Clock, TimerHandle } from '../util/clock.js';

export class ExpiryQueue<T> {
  private readonly deadlines = new Map<T, number>();
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    readonly durationMs: number,
    private readonly onExpire: (item: T) => void,
  ) {}

  get size(): number {
    return this.deadlines.size;
  }

  /** Starts (or restarts) the wait for `item`. */
  add(item: T): void {
    if (this.disposed) return;
    this.deadlines.delete(item);
    this.deadlines.set(item, this.clock.monotonic() + this.durationMs);
    if (this.timer === undefined) this.arm();
  }

  /** Cancels the wait for `item` (no-op if it is not waiting). */
  delete(item: T): void {
    this.deadlines.delete(item);
    if (this.deadlines.size === 0 && this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  has(item: T): boolean {
    return this.deadlines.has(item);
  }

  dispose(): void {
    this.disposed = true;
    this.deadlines.clear();
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const first = this.deadlines.values().next();
    if (first.done) return;
    this.timerDue = first.value;
    this.timer = this.clock.setTimeout(
      () => this.fire(),
      Math.max(0, this.timerDue - this.clock.monotonic()),
    );
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.monotonic();
    // Collect first: callbacks may add or delete items.
    const expired: T[] = [];
    for (const [item, due] of this.deadlines) {
      if (due > now) break;
      expired.push(item);
    }
    for (const item of expired) this.deadlines.delete(item);
    for (const item of expired) {
      if (this.disposed) return;
      this.onExpire(item);
    }
    if (!this.disposed && this.timer === undefined) this.arm();
  }
}
