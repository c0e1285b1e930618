// The CTI connection pool: up to 8 CTI Manager addresses in priority order, all connected
// at start, each watched by heartbeats (cti-connection.ts). Session-initiating requests are
// spread round-robin over healthy connections (undici's pool habit: skip the unhealthy ones);
// a session then stays on the connection it started on.
import { MAX_CTI_NODES } from '../cti-link/limits.js';
import { DesklineError, ErrorCode } from '../util/errors.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import {
  CtiConnection,
  parseCtiAddress,
  type CtiNodeHealth,
  type CtiConnectionDelegate,
  type CtiConnectionOptions,
} from './cti-connection.js';

/** The pool's health: every connection's, and an overall state. */
export interface CtiPoolHealth {
  overall: 'up' | 'degraded' | 'down';
  nodes: CtiNodeHealth[];
}

/**
 * Makes the pool's connections (undici's Pool `factory` habit): the default opens real CTI
 * connections; a host or a test may wrap or replace them.
 */
export type CtiConnectionFactory = (
  options: CtiConnectionOptions,
  delegate: CtiConnectionDelegate,
) => CtiConnection;

const defaultFactory: CtiConnectionFactory = (options, delegate) => new CtiConnection(options, delegate);

export interface CtiPoolOptions extends Omit<CtiConnectionOptions, 'index' | 'address'> {
  /** `host:port` in priority order. */
  addresses: readonly string[];
  /** Default: real CTI connections over TCP. */
  factory?: CtiConnectionFactory;
}

export interface CtiPoolDelegate {
  onConnectionUp(connection: CtiConnection, connectionId: string): void;
  onConnectionDown(
    connection: CtiConnection,
    previousConnectionId: string | undefined,
    reason: DesklineError,
  ): void;
  onHealth?(connection: CtiConnection): void;
  /** Up but answering no requests (docs/cti-link.md §3): its sessions must move or fail fast. */
  onConnectionDegraded?(connection: CtiConnection): void;
  onConnectionRestored?(connection: CtiConnection): void;
}

export class CtiPool implements CtiConnectionDelegate {
  readonly connections: readonly CtiConnection[];
  private nextIndex = 0;
  private waiters: { resolve: () => void; timer: ReturnType<Clock['setTimeout']> }[] = [];
  private disposed = false;

  constructor(
    options: CtiPoolOptions,
    private readonly delegate: CtiPoolDelegate,
    private readonly clock: Clock = options.clock,
    private readonly logger: Logger = options.logger,
  ) {
    if (options.addresses.length === 0)
      throw new DesklineError(
        ErrorCode.ConfigInvalid,
        'cti.addresses: at least one CTI Manager address is required',
      );
    if (options.addresses.length > MAX_CTI_NODES)
      throw new DesklineError(
        ErrorCode.ConfigInvalid,
        `cti.addresses: at most ${MAX_CTI_NODES} CTI connection addresses (got ${options.addresses.length})`,
      );
    const { addresses, factory = defaultFactory, ...common } = options;
    this.connections = addresses.map((text, index) =>
      factory({ ...common, index, address: parseCtiAddress(text) }, this),
    );
  }

  start(): void {
    for (const connection of this.connections) connection.start();
  }

  /**
   * The connection for a new session: round-robin over connections that are up with no
   * missed heartbeat; if none, over those that are up but missed a heartbeat; never one that
   * leaves requests unanswered (docs/cti-link.md §3). Undefined when none is usable (the
   * caller refuses the session with a clear reason).
   */
  pick(): CtiConnection | undefined {
    return this.pickWhere((c) => c.isHealthy) ?? this.pickWhere((c) => c.isUsable);
  }

  private pickWhere(predicate: (c: CtiConnection) => boolean): CtiConnection | undefined {
    const n = this.connections.length;
    for (let i = 0; i < n; i++) {
      const candidate = this.connections[(this.nextIndex + i) % n] as CtiConnection;
      if (predicate(candidate)) {
        this.nextIndex = (candidate.index + 1) % n;
        return candidate;
      }
    }
    return undefined;
  }

  /** The usable connections in priority order — the configured address order (directory loads:
   *  the highest-priority node first, the next if it fails or is refused). */
  usableByPriority(): CtiConnection[] {
    return this.connections.filter((c) => c.isUsable);
  }

  get upCount(): number {
    let n = 0;
    for (const c of this.connections) if (c.isUp) n++;
    return n;
  }

  /** Resolves when at least one connection is up, or after `timeoutMs` (check `upCount`). */
  whenAnyUp(timeoutMs: number): Promise<void> {
    if (this.upCount > 0 || this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        resolve,
        timer: this.clock.setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  health(): CtiPoolHealth {
    const nodes = this.connections.map((c) => c.view());
    const up = nodes.filter((n) => n.state === 'up').length;
    const anyUp = nodes.some((n) => n.state === 'up' || n.state === 'degraded');
    return { overall: up === nodes.length ? 'up' : anyUp ? 'degraded' : 'down', nodes };
  }

  // ------------------------------------------------------------------ CtiConnectionDelegate

  onUp(connection: CtiConnection, connectionId: string): void {
    for (const waiter of this.waiters) {
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve();
    }
    this.waiters = [];
    this.delegate.onConnectionUp(connection, connectionId);
  }

  onDown(connection: CtiConnection, previousConnectionId: string | undefined, reason: DesklineError): void {
    this.delegate.onConnectionDown(connection, previousConnectionId, reason);
  }

  onHealth(connection: CtiConnection): void {
    this.delegate.onHealth?.(connection);
  }

  onRequestsDegraded(connection: CtiConnection): void {
    this.delegate.onConnectionDegraded?.(connection);
  }

  onRequestsRestored(connection: CtiConnection): void {
    this.delegate.onConnectionRestored?.(connection);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const waiter of this.waiters) {
      this.clock.clearTimeout(waiter.timer);
      waiter.resolve();
    }
    this.waiters = [];
    await Promise.all(this.connections.map((c) => c.dispose()));
    this.logger.debug({}, 'CTI pool disposed');
  }
}
