// The fault rig: a CTI Manager simulator and a full gateway (SIP TCP + WS listeners) in this
// process, each on its own loopback ports (port 0), sharing a clock that counts its live timers.
// The simulator is separate from the gateway (not the gateway's demo mode) so that it outlives
// the gateway and can tell, after the gateway is gone, whether anything was left behind on the
// CTI side. `finish()` drains, disposes and checks for leaks: sessions, dialogs, monitors,
// simulator calls, sockets and timers.
import { expect } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { GatewayConfigInput } from '../../src/config/config.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  startSimulator,
  DEMO_NUMBERING_RULES,
  type Simulator,
} from '../../../simulator/src/index.js';
import type { Clock, TimerHandle } from '../../src/util/clock.js';
import { MemoryLogger } from '../../src/util/logger.js';

/**
 * The real clock, counting the timers it has running. The engine takes every timer from its
 * injected clock (docs/architecture.md §4.2), so after dispose() this count must be back to zero.
 */
export class CountingClock implements Clock {
  private readonly live = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }
  monotonic(): number {
    return performance.now();
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = setTimeout(
      () => {
        this.live.delete(timer);
        callback();
      },
      Math.max(0, delayMs),
    );
    // As systemClock: a forgotten timer must never keep the test process alive.
    timer.unref();
    this.live.add(timer);
    // TimerHandle is an opaque brand over whatever the clock uses (the same cast as systemClock).
    return timer as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    const timer = handle as unknown as NodeJS.Timeout;
    clearTimeout(timer);
    this.live.delete(timer);
  }
  get liveTimers(): number {
    return this.live.size;
  }
}

/** Keeps info-and-above records (what an operator would see); debug chatter under load is dropped. */
export class OperatorLogger extends MemoryLogger {
  constructor() {
    super([], {}, 20_000, 'info');
  }
}

/** Polls `condition` (no blind sleeping); fails with `what` (computed at that moment) after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for: ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Counts of socket handles alive in this process (TCP sockets, listeners, connects in progress). */
export function socketHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name.startsWith('TCP') || name === 'GetAddrInfoReqWrap').length;
}

/** Ref'd timers alive in this process (the engine's own are counted by CountingClock). */
export function refTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

/** The demo users a load can run as: licensed, each with a line of their own on a CTI-controllable phone. */
export const LOAD_USERS: readonly { readonly user: string; readonly line: string }[] = [
  { user: 'alice', line: 'tel:1001;phone-context=dialstring;partition=INTERNAL' },
  { user: 'carol', line: 'tel:1003;phone-context=dialstring;partition=INTERNAL' },
  { user: 'emma', line: 'tel:1005;phone-context=dialstring;partition=INTERNAL' },
  { user: 'grace', line: 'tel:1007;phone-context=dialstring;partition=INTERNAL' },
  { user: 'henry', line: 'tel:1008;phone-context=dialstring;partition=INTERNAL' },
  { user: 'dave', line: 'tel:1004;phone-context=dialstring;partition=INTERNAL' },
];
/** CTI device IDs of those lines (docs/cti-link.md §5), for reading the simulator's call model. */
export const LOAD_DEVICES: ReadonlySet<string> = new Set([
  'SEP00AABB000001/1001/INTERNAL',
  'SEP00AABB000003/1003/INTERNAL',
  'SEP00AABB000013/1003/INTERNAL',
  'SEP00AABB000005/1005/INTERNAL',
  'SEP00AABB000007/1007/INTERNAL',
  'SEP00AABB000008/1008/INTERNAL',
  'SEP00AABB000004/1004/INTERNAL',
  'SEP00AABB000003/1004/INTERNAL',
]);
/** A far end of the demo cluster that answers after the default delay (DEMO_NUMBERS.answers). */
export const FAR_END = 'tel:+14085550100';

export interface RigOptions {
  readonly nodes?: number;
  /** Start with every CTI node stopped: the gateway starts without a directory (start them later). */
  readonly nodesDownAtStart?: boolean;
  readonly cti?: NonNullable<GatewayConfigInput['cti']>;
  readonly sip?: NonNullable<GatewayConfigInput['sip']>;
  readonly users?: NonNullable<GatewayConfigInput['users']>;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
}

export class Rig {
  /** Socket handles and ref'd timers before the rig started: what must be left when it is gone. */
  private readonly baseline: { sockets: number; timers: number };
  private gatewayDisposed = false;

  private constructor(
    readonly sim: Simulator,
    readonly gateway: Gateway,
    readonly clock: CountingClock,
    readonly logger: OperatorLogger,
    baseline: { sockets: number; timers: number },
  ) {
    this.baseline = baseline;
  }

  static async start(options: RigOptions = {}): Promise<Rig> {
    const baseline = { sockets: socketHandles(), timers: refTimers() };
    const clock = new CountingClock();
    const logger = new OperatorLogger();
    const sim = await startSimulator({
      cluster: 'demo',
      nodes: options.nodes ?? 2,
      host: '127.0.0.1',
      port: 0,
      clock,
      logger: logger.child({ side: 'sim' }),
    });
    try {
      if (options.nodesDownAtStart) for (const node of sim.nodes) await sim.stopNode(node.index);
      const gateway = await createGateway({
        ...(options.nodesDownAtStart ? { waitForDirectoryMs: 0 } : {}),
        config: {
          node: { id: 'fault-gw' },
          cti: {
            addresses: sim.nodes.map((n) => n.address),
            applicationUser: DEMO_APPLICATION_USER,
            password: DEMO_APPLICATION_PASSWORD,
            // Frequent heartbeats find a dead or frozen node within about two seconds, and a
            // generous timeout keeps a CPU-starved 2-core CI machine from declaring a live one dead.
            heartbeatIntervalMs: 300,
            heartbeatTimeoutMs: 1_000,
            reconnectInitialMs: 100,
            reconnectMaxMs: 400,
            requestTimeoutMs: 1500,
            ...options.cti,
          },
          numbering: DEMO_NUMBERING_RULES,
          sip: {
            domain: 'gw.deskline.test',
            tcp: [{ host: '127.0.0.1', port: 0 }],
            ws: [{ host: '127.0.0.1', port: 0 }],
            ...options.sip,
          },
          http: { port: null },
          ...(options.users === undefined ? {} : { users: options.users }),
        },
        clock,
        logger: logger.child({ side: 'gateway' }),
      });
      return new Rig(sim, gateway, clock, logger, baseline);
    } catch (cause) {
      await sim.dispose();
      throw cause;
    }
  }

  listener(transport: 'TCP' | 'WS'): Listener {
    const found = this.gateway.sip?.listenerAddresses().find((l) => l.transport === transport);
    if (found === undefined) throw new Error(`no ${transport} listener`);
    const colon = found.address.lastIndexOf(':');
    return { host: found.address.slice(0, colon), port: Number(found.address.slice(colon + 1)) };
  }

  /** Monitors the simulator holds for CTI applications, over every node. */
  simMonitors(): number {
    return this.sim.nodes.reduce((n, node) => n + node.monitors, 0);
  }

  simSessions(): number {
    return this.sim.nodes.reduce((n, node) => n + node.sessions, 0);
  }

  /** Every call the simulator has involves one of the load's lines: nobody else placed a call. */
  expectCallsAccountedFor(devices: ReadonlySet<string> = LOAD_DEVICES): void {
    for (const call of this.sim.model.snapshot()) {
      const ours = call.connections.some((c) => devices.has(c.deviceId)) || devices.has(call.callingDevice);
      expect(
        ours,
        `call ${call.callId} ${call.callingDevice} → ${call.calledDevice} involves none of the load's lines`,
      ).toBe(true);
    }
  }

  /** Gateway side: no session, no dialog left once every client has said BYE. */
  async expectGatewayIdle(): Promise<void> {
    const sip = this.gateway.sip;
    const left = (): string =>
      JSON.stringify({
        sessions: [...this.gateway.core.allSessions()].map(
          (s) => `${s.id} ${s.user.id} ${s.state} cti${s.connection.index}`,
        ),
        rccDialogs: sip?.dialogCount,
        sip: sip?.userAgent.stats(),
      });
    await until(
      () =>
        this.gateway.core.sessionCount === 0 &&
        (sip?.dialogCount ?? 0) === 0 &&
        (sip?.userAgent.stats().dialogs ?? 0) === 0,
      'no sessions or dialogs left in the gateway',
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${left()}`);
    });
    // CTI side: every monitor the gateway started was stopped; one application session per CTI connection.
    await until(
      () => this.simMonitors() === 0,
      () => `no monitors left in the simulator (has ${this.simMonitors()})`,
    );
    expect(this.simSessions()).toBe(this.gateway.pool.upCount);
  }

  /** No call left in the simulator. */
  async expectNoCalls(): Promise<void> {
    await until(
      () => this.sim.model.snapshot().length === 0,
      () =>
        `no calls left in the simulator: ${JSON.stringify(this.sim.model.snapshot().map((c) => [c.callId, c.callingDevice, c.calledDevice]))}`,
    );
  }

  async disposeGateway(): Promise<void> {
    if (this.gatewayDisposed) return;
    this.gatewayDisposed = true;
    await this.gateway.dispose();
  }

  /** Disposes the gateway then the simulator, and checks that nothing is left running. */
  async finish(): Promise<void> {
    await this.disposeGateway();
    // The gateway is gone: the simulator holds none of its application sessions or monitors.
    await until(
      () => this.sim.nodes.every((n) => n.connections === 0 && n.sessions === 0 && n.monitors === 0),
      'simulator released the gateway connections',
    );
    await this.sim.dispose();
    await until(
      () => this.clock.liveTimers === 0,
      () => `engine timers all cleared (still ${this.clock.liveTimers})`,
    );
    await until(
      () => socketHandles() <= this.baseline.sockets,
      () => `sockets closed (${socketHandles()} open, ${this.baseline.sockets} before)`,
    );
    await until(
      () => refTimers() <= this.baseline.timers,
      () => `timers cleared (${refTimers()} running, ${this.baseline.timers} before)`,
    );
  }

  /** Best effort, for afterEach after a failed test: never throws. */
  async abandon(): Promise<void> {
    await this.disposeGateway().catch(() => undefined);
    await this.sim.dispose().catch(() => undefined);
  }
}
