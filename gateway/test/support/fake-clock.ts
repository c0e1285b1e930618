// A deterministic clock for tests (docs/architecture.md §4.8): time moves only when the test says.
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface PendingTimer {
  id: number;
  due: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }
  monotonic(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + Math.max(0, delayMs), callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as unknown as number);
  }

  /** Number of timers not yet fired or cleared: tests assert 0 after dispose(). */
  pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in order (timers set by callbacks fire too if due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const timer of this.timers.values())
        if (
          timer.due <= target &&
          (next === undefined || timer.due < next.due || (timer.due === next.due && timer.id < next.id))
        )
          next = timer;
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.current = next.due;
      next.callback();
    }
    this.current = target;
  }
}
