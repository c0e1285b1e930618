// Fair delivery of received SIP messages to the layer above (docs/robustness.md, "SIP transport
// limits"). One socket read can carry hundreds of pipelined messages; handing all of them to the
// core at once lets one peer hold the event loop for as long as they take, while the CTI
// heartbeat timers and every other socket wait. The scheduler hands at most `perConnection`
// messages of one connection and `perTurn` messages in all to the core per event-loop turn. The
// rest wait in their connection's queue (bounded: the connection stops reading, see
// SipConnection), and the connections with waiting messages are served round-robin from a
// setImmediate, so that timers and the other sockets run between two batches.
//
// A turn runs from one of our check-phase callbacks to the next: the messages delivered straight
// from socket reads in the poll phase and those drained from the queues in the check phase share
// one budget. On the hot path (nothing queued, budget left) a message costs two comparisons and
// two increments, plus one setImmediate per event-loop turn that saw any traffic.
//
// Written here rather than taken from a library: it is a few dozen lines tied to our connection
// objects and to Node's event-loop phases; the generic queue libraries (p-queue and the like)
// schedule promises, allocate per task and know nothing of turns.

/** What the scheduler needs of a connection (implemented by SipConnection). */
export interface ScheduledSource {
  /** Scheduler bookkeeping: the turn `turnUsed` counts for, and the waiting list link. */
  turn: number;
  turnUsed: number;
  waiting: boolean;
  nextWaiting: ScheduledSource | undefined;
  /** Messages waiting in the source's own queue. */
  readonly queued: number;
  /** False once the source can deliver nothing more (closed). */
  readonly accepting: boolean;
  /** Hands up to `max` queued messages to the core, in order; returns how many it handed. */
  deliverQueued(max: number): number;
}

export interface SchedulerLimits {
  /** Messages of one connection per event-loop turn. */
  readonly perConnection: number;
  /** Messages of all connections together per event-loop turn. */
  readonly perTurn: number;
}

export class InboundScheduler {
  private readonly perConnection: number;
  private readonly perTurn: number;
  private turn = 1;
  private used = 0;
  private head: ScheduledSource | undefined;
  private tail: ScheduledSource | undefined;
  private waitingCount = 0;
  private immediate: NodeJS.Immediate | undefined;
  private disposed = false;
  /** Messages that could not be delivered in the turn they arrived in, since start. */
  deferred = 0;

  constructor(limits: SchedulerLimits) {
    this.perConnection = Math.max(1, limits.perConnection);
    this.perTurn = Math.max(1, limits.perTurn);
  }

  /** Connections with messages waiting for a later turn. */
  get waitingConnections(): number {
    return this.waitingCount;
  }

  /**
   * May `source` hand one message to the core right now? Counts it if so. Only asked when the
   * source's own queue is empty (order within a connection is kept by the queue).
   */
  admit(source: ScheduledSource): boolean {
    if (source.turn !== this.turn) {
      source.turn = this.turn;
      source.turnUsed = 0;
    }
    if (source.turnUsed >= this.perConnection || this.used >= this.perTurn) return false;
    source.turnUsed++;
    this.used++;
    // The end of this turn resets the budget: one setImmediate per turn that saw traffic.
    if (this.immediate === undefined && !this.disposed) this.immediate = setImmediate(this.nextTurn);
    return true;
  }

  /** `source` queued a message it could not deliver now: serve it in a later turn. */
  wait(source: ScheduledSource): void {
    this.deferred++;
    if (source.waiting || this.disposed) return;
    source.waiting = true;
    source.nextWaiting = undefined;
    if (this.tail === undefined) this.head = source;
    else this.tail.nextWaiting = source;
    this.tail = source;
    this.waitingCount++;
    if (this.immediate === undefined) this.immediate = setImmediate(this.nextTurn);
  }

  dispose(): void {
    this.disposed = true;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    while (this.shift() !== undefined);
  }

  private shift(): ScheduledSource | undefined {
    const source = this.head;
    if (source === undefined) return undefined;
    this.head = source.nextWaiting;
    if (this.head === undefined) this.tail = undefined;
    source.nextWaiting = undefined;
    source.waiting = false;
    this.waitingCount--;
    return source;
  }

  /** A new turn: each waiting connection, in round-robin order, gets its share of the budget. */
  private readonly nextTurn = (): void => {
    this.immediate = undefined;
    if (this.disposed) return;
    this.turn++;
    this.used = 0;
    // One visit per connection that was waiting when the turn began; those not reached because
    // the turn's budget ran out stay at the head of the list for the next turn.
    for (let visits = this.waitingCount; visits > 0 && this.used < this.perTurn; visits--) {
      const source = this.shift();
      if (source === undefined) break;
      if (!source.accepting) continue;
      source.turn = this.turn;
      source.turnUsed = 0;
      const handed = source.deliverQueued(Math.min(this.perConnection, this.perTurn - this.used));
      source.turnUsed += handed;
      this.used += handed;
      if (source.queued > 0 && source.accepting && !source.waiting) {
        source.waiting = true;
        if (this.tail === undefined) this.head = source;
        else this.tail.nextWaiting = source;
        this.tail = source;
        this.waitingCount++;
      }
    }
    // Another turn is needed to serve what still waits, or to end this one (reset its budget).
    if (this.waitingCount > 0 || this.used > 0) this.immediate = setImmediate(this.nextTurn);
  };
}
