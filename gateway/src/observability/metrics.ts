// Prometheus metrics (prom-client), one registry per gateway instance so that several
// gateways can live in one process (tests, the Kamailio integration test). Each layer receives
// only the narrow interface it reports through (SessionMetrics for the session core,
// SipFaceMetrics for the MS-RCC face); the composition (gateway.ts) holds GatewayMetrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the session core reports (it declares the same port as CoreMetrics). */
export interface SessionMetrics {
  requestCompleted(type: string, outcome: string, durationMs: number): void;
  sessionOpened(): void;
  sessionClosed(): void;
  /** A request refused at a configured limit, named by its config field. */
  limitRefused(limit: string): void;
  /** A session restored itself: after a CTI reconnect, or by taking over a dialog (docs/msrcc.md §8). */
  sessionRestored(how: string): void;
}

/** What the SIP transport reports at a scrape (monotonic counts since start, and gauges). */
export interface SipTransportCounters {
  connections: number;
  readPauses: number;
  queuedMessages: number;
  deferredMessages: number;
  /** Peers refused or cut, by limit (docs/robustness.md §6). */
  limits: Readonly<Record<SipLimitName, number>>;
}

/** The SIP transport limits counted in deskline_sip_limit_hits_total, by the config field that sets them. */
export const SIP_LIMIT_NAMES = [
  'maxConnections',
  'maxConnectionsPerSource',
  'maxSessionsPerConnection',
  'messageTimeout',
] as const;
export type SipLimitName = (typeof SIP_LIMIT_NAMES)[number];

/** What the Microsoft RCC face reports. */
export interface SipFaceMetrics {
  sipRequest(method: string, status: number): void;
  cstaEventSent(type: string): void;
  refusal(code: string): void;
  /** An event INFO that failed its transaction (no answer, 408, another non-2xx), by outcome. */
  cstaEventFailed(outcome: string): void;
  /** A session ended at a configured limit, named by its config field. */
  limitRefused(limit: string): void;
  /** A session restored itself (docs/msrcc.md §8). */
  sessionRestored(how: string): void;
}

/** One CTI connection's own monotonic counts, followed by counters at each scrape. */
export interface CtiConnectionCounters {
  readonly addressText: string;
  readonly unrequestedSegments: number;
  readonly unrequestedSegmentBytes: number;
  readonly requestTimeouts: number;
  readonly requestDegradations: number;
  readonly deadlineStallExtensions: number;
}

/** The CTI state sampled before a scrape (the CTI pool provides it). */
export interface CtiSampler {
  readonly upCount: number;
  readonly connections: readonly CtiConnectionCounters[];
  health(): {
    nodes: readonly { address: string; state: string; rttMs?: number; failures: number; sessions: number }[];
  };
}

/** The directory provider's status, sampled before a scrape (docs/directory.md §2). */
export interface DirectorySampler {
  status(): {
    readonly kind: string;
    readonly state: string;
    readonly current:
      | {
          readonly loadedAt: number;
          readonly durationMs: number;
          readonly counts: object;
        }
      | undefined;
    readonly consecutiveFailures: number;
    readonly alarms: readonly { readonly kind: string }[];
  };
}

const DIRECTORY_STATES = ['starting', 'ready', 'degraded', 'failed', 'disposed'] as const;
const DIRECTORY_ALARMS = ['unavailable', 'emptyRefused', 'shrinkRefused'] as const;

export interface GatewayMetrics extends SessionMetrics, SipFaceMetrics {
  /** A directory load from one CTI node was not taken (docs/cti-link.md §4). */
  directoryRefused(reason: string): void;
  readonly registry: Registry;
  /** Samples CTI state just before a scrape. */
  bindPool(pool: CtiSampler, sessionCount: () => number): void;
  /** Samples the SIP transport just before a scrape. */
  bindSip(counters: () => SipTransportCounters): void;
  /** Samples the directory provider just before a scrape. */
  bindDirectory(directory: DirectorySampler): void;
}

const NODE_STATES = ['connecting', 'up', 'degraded', 'down', 'disabled'] as const;

export function createGatewayMetrics(options: { nodeId: string; defaultMetrics?: boolean }): GatewayMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ gateway: options.nodeId });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'deskline_' });

  const requests = new Counter({
    name: 'deskline_csta_requests_total',
    help: 'CSTA requests forwarded to a CTI Manager, by type and outcome',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'deskline_csta_request_seconds',
    help: 'CSTA request round trip through the CTI Manager',
    labelNames: ['type'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const opened = new Counter({
    name: 'deskline_sessions_opened_total',
    help: 'Sessions opened',
    registers: [registry],
  });
  const closed = new Counter({
    name: 'deskline_sessions_closed_total',
    help: 'Sessions closed',
    registers: [registry],
  });
  const sessions = new Gauge({ name: 'deskline_sessions', help: 'Live sessions', registers: [registry] });
  const sip = new Counter({
    name: 'deskline_sip_requests_total',
    help: 'SIP requests answered, by method and final status',
    labelNames: ['method', 'status'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'deskline_csta_events_sent_total',
    help: 'CSTA events sent to clients',
    labelNames: ['type'],
    registers: [registry],
  });
  const eventFailures = new Counter({
    name: 'deskline_csta_event_failures_total',
    help: 'CSTA event INFOs that failed their transaction without ending the session (timeout = no answer within Timer F; otherwise the status), docs/msrcc.md §5',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const restored = new Counter({
    name: 'deskline_sessions_restored_total',
    help: 'Sessions that restored their monitors by themselves: after a CTI reconnect (cti-reconnect) or by taking over a dialog this node did not know (takeover)',
    labelNames: ['how'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'deskline_refusals_total',
    help: 'Requests refused by the gateway, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const limits = new Counter({
    name: 'deskline_limit_refusals_total',
    help: 'Requests refused (or sessions ended) at a configured limit, by the config field that sets it',
    labelNames: ['limit'],
    registers: [registry],
  });
  const ctiState = new Gauge({
    name: 'deskline_cti_connection_state',
    help: '1 for the current state of each CTI connection',
    labelNames: ['address', 'state'],
    registers: [registry],
  });
  const ctiRtt = new Gauge({
    name: 'deskline_cti_heartbeat_rtt_seconds',
    help: 'Last heartbeat round trip per CTI connection',
    labelNames: ['address'],
    registers: [registry],
  });
  const ctiFailures = new Gauge({
    name: 'deskline_cti_connection_failures',
    help: 'Connection failures per CTI connection since start',
    labelNames: ['address'],
    registers: [registry],
  });
  const ctiSessions = new Gauge({
    name: 'deskline_cti_connection_sessions',
    help: 'Sessions bound per CTI connection',
    labelNames: ['address'],
    registers: [registry],
  });

  let pool: CtiSampler | undefined;
  let count: (() => number) | undefined;
  const sample = (): void => {
    if (pool === undefined) return;
    for (const node of pool.health().nodes) {
      for (const state of NODE_STATES)
        ctiState.set({ address: node.address, state }, node.state === state ? 1 : 0);
      if (node.rttMs !== undefined) ctiRtt.set({ address: node.address }, node.rttMs / 1000);
      ctiFailures.set({ address: node.address }, node.failures);
      ctiSessions.set({ address: node.address }, node.sessions);
    }
    if (count !== undefined) sessions.set(count());
  };
  // prom-client calls collect() of a metric before a scrape: sample the pool there.
  new Gauge({
    name: 'deskline_cti_connections_up',
    help: 'CTI connections up',
    registers: [registry],
    collect() {
      sample();
      this.set(pool?.upCount ?? 0);
    },
  });

  const directoryRefusals = new Counter({
    name: 'deskline_directory_refusals_total',
    help: 'Directory loads not taken from a CTI Manager: empty, shrunk beyond cti.directoryMaxShrinkPercent, or failed',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Counters that follow each CTI connection's own monotonic count (sampled before a scrape).
  const perConnection = (name: string, help: string, read: (c: CtiConnectionCounters) => number): void => {
    const reported = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: ['address'],
      registers: [registry],
      collect() {
        for (const connection of pool?.connections ?? []) {
          const address = connection.addressText;
          const total = read(connection);
          const before = reported.get(address) ?? 0;
          if (total > before) this.inc({ address }, total - before);
          reported.set(address, Math.max(before, total));
        }
      },
    });
  };
  perConnection(
    'deskline_cti_unrequested_segments_total',
    'SwitchingFunctionDevices segments a CTI Manager sent for no directory load of ours (dropped undecoded)',
    (c) => c.unrequestedSegments,
  );
  perConnection(
    'deskline_cti_unrequested_segment_bytes_total',
    'Bytes of those dropped segments',
    (c) => c.unrequestedSegmentBytes,
  );
  perConnection(
    'deskline_cti_request_timeouts_total',
    'CTI requests (heartbeats aside) that timed out',
    (c) => c.requestTimeouts,
  );
  perConnection(
    'deskline_cti_request_degradations_total',
    'Times a CTI connection was degraded after cti.requestTimeoutLimit consecutive request timeouts',
    (c) => c.requestDegradations,
  );
  perConnection(
    'deskline_cti_deadline_stall_extensions_total',
    'Heartbeat or request deadlines extended because this process stalled (event-loop lag), not the CTI Manager',
    (c) => c.deadlineStallExtensions,
  );

  // The directory provider's status (docs/directory.md §2), sampled at each scrape.
  let directory: DirectorySampler | undefined;
  new Gauge({
    name: 'deskline_directory_entries',
    help: 'The directory in force, by what is counted (users, licensedUsers, devices, lines, appearances, skipped)',
    labelNames: ['source', 'what'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      const counts = status?.current?.counts;
      if (status === undefined || counts === undefined) return;
      for (const [what, value] of Object.entries(counts))
        if (typeof value === 'number') this.set({ source: status.kind, what }, value);
    },
  });
  new Gauge({
    name: 'deskline_directory_state',
    help: '1 for the directory provider state (starting, ready, degraded, failed)',
    labelNames: ['source', 'state'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      if (status === undefined) return;
      for (const state of DIRECTORY_STATES)
        this.set({ source: status.kind, state }, status.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'deskline_directory_alarms',
    help: 'Active directory alarms by kind (unavailable, emptyRefused, shrinkRefused): the last good directory is in force',
    labelNames: ['source', 'alarm'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      if (status === undefined) return;
      for (const alarm of DIRECTORY_ALARMS)
        this.set({ source: status.kind, alarm }, status.alarms.filter((a) => a.kind === alarm).length);
    },
  });
  new Gauge({
    name: 'deskline_directory_consecutive_failures',
    help: 'Directory loads failed or refused in a row',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      if (status !== undefined) this.set({ source: status.kind }, status.consecutiveFailures);
    },
  });
  new Gauge({
    name: 'deskline_directory_load_seconds',
    help: 'How long the load of the directory in force took',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      if (status?.current !== undefined) this.set({ source: status.kind }, status.current.durationMs / 1000);
    },
  });
  new Gauge({
    name: 'deskline_directory_loaded_timestamp_seconds',
    help: 'When the directory in force was loaded (Unix time)',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      const status = directory?.status();
      if (status?.current !== undefined) this.set({ source: status.kind }, status.current.loadedAt / 1000);
    },
  });

  let sipCounters: (() => SipTransportCounters) | undefined;
  // The transport keeps its own monotonic counts; these counters follow them at each scrape.
  const follow = (read: (c: SipTransportCounters) => number): ((inc: (by: number) => void) => void) => {
    let reported = 0;
    return (inc) => {
      const current = sipCounters === undefined ? 0 : read(sipCounters());
      if (current > reported) inc(current - reported);
      reported = Math.max(reported, current);
    };
  };
  new Gauge({
    name: 'deskline_sip_connections',
    help: 'Open SIP connections (TCP, TLS, WebSocket)',
    registers: [registry],
    collect() {
      this.set(sipCounters?.().connections ?? 0);
    },
  });
  const readPauses = follow((c) => c.readPauses);
  new Counter({
    name: 'deskline_sip_read_pauses_total',
    help: 'Times a SIP connection stopped reading at sip.maxPendingRequestsPerConnection unanswered requests',
    registers: [registry],
    collect() {
      readPauses((by) => this.inc(by));
    },
  });
  const limitHits = SIP_LIMIT_NAMES.map((limit) => ({ limit, follow: follow((c) => c.limits[limit]) }));
  new Counter({
    name: 'deskline_sip_limit_hits_total',
    help: 'SIP peers refused (connections, INVITEs) or cut (messages not complete in time), by the limit (sip.<limit>, messageTimeout = sip.messageTimeoutSec)',
    labelNames: ['limit'],
    registers: [registry],
    collect() {
      for (const { limit, follow: update } of limitHits) {
        this.inc({ limit }, 0); // every limit has a series, 0 until it is hit (for rate() and alerts)
        update((by) => this.inc({ limit }, by));
      }
    },
  });
  new Gauge({
    name: 'deskline_sip_messages_queued',
    help: 'Received SIP messages waiting for their turn (fair scheduling, sip.maxMessagesPerTurn)',
    registers: [registry],
    collect() {
      this.set(sipCounters?.().queuedMessages ?? 0);
    },
  });
  const deferred = follow((c) => c.deferredMessages);
  new Counter({
    name: 'deskline_sip_messages_deferred_total',
    help: 'Received SIP messages handled in a later event-loop turn than the one they arrived in (a per-turn budget was spent)',
    registers: [registry],
    collect() {
      deferred((by) => this.inc(by));
    },
  });

  return {
    registry,
    bindSip(counters) {
      sipCounters = counters;
    },
    bindDirectory(provider) {
      directory = provider;
    },
    requestCompleted(type, outcome, durationMs) {
      requests.inc({ type, outcome });
      latency.observe({ type }, durationMs / 1000);
    },
    sessionOpened() {
      opened.inc();
    },
    sessionClosed() {
      closed.inc();
    },
    directoryRefused(reason) {
      directoryRefusals.inc({ reason });
    },
    sipRequest(method, status) {
      sip.inc({ method, status: String(status) });
    },
    cstaEventSent(type) {
      events.inc({ type });
    },
    cstaEventFailed(outcome) {
      eventFailures.inc({ outcome });
    },
    sessionRestored(how) {
      restored.inc({ how });
    },
    refusal(code) {
      refusals.inc({ code });
    },
    limitRefused(limit) {
      limits.inc({ limit });
    },
    bindPool(p, c) {
      pool = p;
      count = c;
    },
  };
}
