// The injected clock port (docs/architecture.md §4.2): the engine never calls the global timers
// directly, so tests can drive time with FakeClock and check that nothing leaks.

export interface TimerHandle {
  /** Opaque. */
  readonly __timer: unique symbol;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for durations and RTTs. */
  monotonic(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The real clock. Timers are unref'd so that a forgotten timer never keeps a process alive;
 *  the things that must keep it alive (listening sockets) do so themselves. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};
