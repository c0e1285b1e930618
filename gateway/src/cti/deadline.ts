// A deadline for a peer's answer that blames the peer only for time this process could hear it
// (docs/cti-link.md §3, "Deadlines and a busy process").
//
// Node runs expired timers before it reads sockets. After the event loop was blocked (a burst of
// hostile SIP input, a long synchronous job), a deadline timer therefore fires before the answer
// that has long been waiting in the socket is read, and a healthy CTI Manager is blamed for our
// own stall. Two measures keep that from happening:
//  1. the verdict is deferred to setImmediate, i.e. past the poll phase of the same loop turn, so
//     whatever is already in the sockets is read (and resolves the request) first;
//  2. the timer's own lateness, and that of the deferred verdict, is the measured event-loop lag:
//     when either came more than a tolerance late, the process itself was stalled — the request
//     may have left late, or (with an in-process simulator) the peer could not even read it, or
//     the answer came in after the poll phase the verdict waited for — so the peer gets a fresh
//     full window, at most MAX_STALL_EXTENSIONS times per deadline.
// A peer that is really silent is still found: without a stall the verdict comes at the deadline
// (plus one setImmediate); with stalls, at worst (1 + MAX_STALL_EXTENSIONS) windows plus the
// stalls themselves.
import type { Clock, TimerHandle } from '../util/clock.js';

/** Fresh windows a deadline may get because this process stalled (not the peer). */
export const MAX_STALL_EXTENSIONS = 3;

/** Lateness of a timer that counts as a stall of this process rather than scheduling jitter. */
export function stallToleranceMs(windowMs: number): number {
  return Math.max(20, Math.floor(windowMs / 4));
}

export interface DeadlineExpiry {
  /** Total time from start to the verdict. */
  readonly waitedMs: number;
  /** How many fresh windows the deadline granted because the process stalled. */
  readonly extensions: number;
  /** Event-loop lag measured at the last firing (ms late). */
  readonly lastLagMs: number;
}

export class PeerDeadline {
  private timer: TimerHandle | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private dueAt = 0;
  private extensions = 0;
  private done = false;
  private readonly startedAt: number;
  private readonly toleranceMs: number;

  /** Starts at once; `expired` runs at most once, never after cancel(). */
  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly expired: (expiry: DeadlineExpiry) => void,
    /** Told of each fresh window granted because of a stall (for metrics). */
    private readonly stalled?: (lagMs: number) => void,
  ) {
    this.startedAt = clock.monotonic();
    this.toleranceMs = stallToleranceMs(windowMs);
    this.arm();
  }

  /** Stops it (the answer came, or the connection is gone). Idempotent. */
  cancel(): void {
    this.done = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
  }

  private arm(): void {
    this.dueAt = this.clock.monotonic() + this.windowMs;
    this.timer = this.clock.setTimeout(() => this.fire(), this.windowMs);
  }

  /** Grants a fresh window when `lagMs` is a stall and extensions remain. */
  private extend(lagMs: number): boolean {
    if (lagMs <= this.toleranceMs || this.extensions >= MAX_STALL_EXTENSIONS) return false;
    this.extensions++;
    this.arm();
    this.stalled?.(lagMs);
    return true;
  }

  private fire(): void {
    this.timer = undefined;
    if (this.done) return;
    const firedAt = this.clock.monotonic();
    const lagMs = Math.max(0, firedAt - this.dueAt);
    if (this.extend(lagMs)) return;
    // Past the poll phase: an answer already in the socket is read before the verdict.
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      if (this.done) return;
      // Work queued before the verdict (the rest of a busy poll phase, other immediates) is a
      // stall too: whatever it kept us from reading deserves a fresh window.
      if (this.extend(this.clock.monotonic() - firedAt)) return;
      this.done = true;
      this.expired({
        waitedMs: Math.round(this.clock.monotonic() - this.startedAt),
        extensions: this.extensions,
        lastLagMs: Math.round(lagMs),
      });
    });
  }
}
