// The composition of the engine: `createGateway({ config, clock, logger })` runs from a plain
// Node test, from the headless service and from Electron's main process alike, with its ports
// injected (docs/architecture.md, "Conventions"). It connects to the CTI Manager addresses of
// its configuration; demo mode (the simulator on those addresses) is the hosts' business
// (host/src/demo.ts).
import type { XmlLimits } from './csta/index.js';
import { CtiPool, type CtiPoolHealth } from './cti/cti-pool.js';
import { DESKLINE_LINK_PROFILE, type CtiLinkProfile } from './cti/link-profile.js';
import { SessionCore } from './core/session-core.js';
import {
  CtiDirectoryProvider,
  createDirectoryProvider,
  SnapshotDeviceIds,
  type DirectoryAlarm,
  type DirectoryLookup,
  type DirectoryProvider,
  type DirectoryProviderState,
  type DirectoryRefusal,
  type DirectorySourceKind,
  type DirectoryCounts,
} from './directory/index.js';
import { DeskSession } from './faces/desk/desk-session.js';
import { NumberingRules } from './numbering/index.js';
import {
  parseGatewayConfig,
  readCtiPassword,
  type GatewayConfig,
  type GatewayConfigInput,
} from './config/config.js';
import {
  createGatewayMetrics,
  type GatewayMetrics,
  type SipLimitName,
  type SipTransportCounters,
} from './observability/metrics.js';
import { DesklineError, ErrorCode, wrapError } from './util/errors.js';
import { systemClock, type Clock } from './util/clock.js';
import { nullLogger, type Logger } from './util/logger.js';
import { unwrap } from './util/result.js';
import { MsRccFront } from './faces/msrcc/msrcc-front.js';
import { SnapshotDirectoryLookup } from './directory/snapshot-lookup.js';

export const DESKLINE_VERSION = '0.1.0';

export interface CreateGatewayOptions {
  /** A validated config, or raw input validated here. */
  config: GatewayConfig | GatewayConfigInput;
  clock?: Clock;
  logger?: Logger;
  /** Wait until a CTI connection is up and the directory is loaded (default 10 s; 0: do not wait). */
  waitForDirectoryMs?: number;
}

/** The directory provider's status in /health (docs/directory.md §2). */
export interface DirectoryProviderHealth {
  /** Which source answered: `cti`, `file` or `ldap`. */
  kind: DirectorySourceKind;
  state: DirectoryProviderState;
  /** The configured source: CTI Managers, the file's path, the LDAP URLs. */
  configured: string;
  counts: DirectoryCounts | null;
  /** How long the load of the directory in force took. */
  loadDurationMs: number | null;
  lastAttemptAt: number | null;
  nextRefreshAt: number | null;
  consecutiveFailures: number;
  lastError: { problem: string; message: string; setting?: string } | null;
  /** Why the last load was not taken (the last good directory stays in force). */
  alarms: DirectoryAlarm[];
}

export interface GatewayHealth {
  status: 'ok' | 'degraded' | 'down';
  node: string;
  version: string;
  uptimeSec: number;
  sessions: number;
  directory: {
    users: number;
    devices: number;
    lines: number;
    appearances: number;
    loadedAt: number | null;
    /** Where the directory in use came from: the CTI Manager (`host:port`), the file, the LDAP
     *  server's URL. */
    source: string | null;
    /** `cti` source: CTI Managers whose directory was refused in the latest load (empty, shrunk,
     *  failed); the one in use was kept or taken from a lower-priority node (docs/cti-link.md §4). */
    refused: DirectoryRefusal[];
    provider: DirectoryProviderHealth;
  };
  cti: CtiPoolHealth;
  sip: {
    listeners: { transport: string; address: string }[];
    dialogs: number;
    connections: number;
    /** Times a connection stopped reading at sip.maxPendingRequestsPerConnection, since start. */
    readPauses: number;
    /** Received messages waiting for their turn (sip.maxMessagesPerTurn), and how many ever had to. */
    queuedMessages: number;
    deferredMessages: number;
    /** Peers refused or cut by each SIP transport limit, since start (docs/robustness.md). */
    limits: Record<SipLimitName, number>;
  };
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly core: SessionCore;
  readonly pool: CtiPool;
  readonly rules: NumberingRules;
  readonly metrics: GatewayMetrics;
  readonly sip: MsRccFront | undefined;
  /** Where users, licences and lines come from (`directory.source`). */
  readonly directory: DirectoryProvider;
  /** Names for numbers and people search, when the directory source offers them (LDAP does); the
   *  desk face's own snapshot-based lookup serves the other sources. */
  readonly directoryLookup?: DirectoryLookup;
  /** The desk API of one user (one session per user, created on first use). */
  desk(userId: string): DeskSession;
  health(): GatewayHealth;
  /** Graceful stop: BYE to every SIP session (drain), close desk sessions, stop CTI. */
  dispose(): Promise<void>;
}

/** The CSTA parser's hostile-input caps from the config (csta.*), for the CTI side (the MS-RCC
 *  face reads the same fields). */
function xmlLimitsOf(config: GatewayConfig): Partial<XmlLimits> {
  return { maxAttributes: config.csta.maxAttributesPerElement, maxElements: config.csta.maxElements };
}

function rulesFor(config: GatewayConfig): NumberingRules {
  const compiled = NumberingRules.compile(config.numbering ?? {});
  if (!compiled.ok) throw new DesklineError(ErrorCode.ConfigInvalid, `numbering: ${compiled.error.message}`);
  return compiled.value;
}

export async function createGateway(options: CreateGatewayOptions): Promise<Gateway> {
  const config = unwrap(parseGatewayConfig(options.config));
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? nullLogger).child({ gateway: config.node.id });
  const rules = rulesFor(config);
  const started = clock.now();

  const addresses = config.cti.addresses;
  const applicationUser = config.cti.applicationUser;
  const password = unwrap(readCtiPassword(config));

  const metrics = createGatewayMetrics({ nodeId: config.node.id });
  const deviceIds =
    config.cti.profile === 'standard'
      ? new SnapshotDeviceIds({
          from:
            config.cti.deviceIds.from === undefined || config.cti.deviceIds.from === 'appearance'
              ? 'dn'
              : config.cti.deviceIds.from,
          map: config.cti.deviceIds.map,
        })
      : undefined;
  const profile = linkProfileOf(config, deviceIds);
  // The pool's delegate needs the core and the directory, they need the pool: tie the knot through
  // a holder.
  const late: { core?: SessionCore; directory?: DirectoryProvider } = {};
  const pool = new CtiPool(
    {
      addresses,
      applicationUser,
      password,
      applicationId: `Deskline/${DESKLINE_VERSION} ${config.node.id}`,
      heartbeatIntervalMs: config.cti.heartbeatIntervalMs,
      ...(config.cti.heartbeatTimeoutMs === undefined
        ? {}
        : { heartbeatTimeoutMs: config.cti.heartbeatTimeoutMs }),
      heartbeatMissLimit: config.cti.heartbeatMissLimit,
      requestTimeoutMs: config.cti.requestTimeoutMs,
      requestTimeoutLimit: config.cti.requestTimeoutLimit,
      directoryMaxSegments: config.cti.directoryMaxSegments,
      reconnectInitialMs: config.cti.reconnectInitialMs,
      reconnectMaxMs: config.cti.reconnectMaxMs,
      maxFrameBytes: config.cti.maxFrameBytes,
      xmlLimits: xmlLimitsOf(config),
      profile,
      clock,
      logger,
    },
    {
      onConnectionUp: (connection, id) => {
        late.core?.connectionUp(connection, id);
        if (late.directory instanceof CtiDirectoryProvider) late.directory.connectionUp();
      },
      onConnectionDown: (connection) => late.core?.connectionDown(connection),
      onConnectionDegraded: (connection) => late.core?.connectionDegraded(connection),
      onConnectionRestored: (connection) => late.core?.connectionRestored(connection),
      onHealth: () => {
        for (const desk of desks.values()) desk.queueEmit();
      },
    },
  );
  const directory = createDirectoryProvider(config, { pool, rules, clock, logger, metrics });
  late.directory = directory;
  // The server's device IDs follow the directory: updated before the core sees a new snapshot.
  if (deviceIds !== undefined) directory.onSnapshot((snapshot) => deviceIds.update(snapshot));
  metrics.bindDirectory(directory);
  const sessionCore = new SessionCore({
    pool,
    clock,
    logger,
    identity: config.users.identity,
    moveSessionsOnFailure: config.cti.moveSessionsOnFailure,
    sessionRecovery: config.cti.sessionRecovery,
    directory,
    metrics,
    limits: {
      maxSessionsPerUser: config.users.maxSessionsPerUser,
      maxMonitorsPerUser: config.users.maxMonitorsPerUser,
    },
  });
  late.core = sessionCore;
  metrics.bindPool(pool, () => sessionCore.sessionCount);
  const desks = new Map<string, DeskSession>();
  // cti/file sources: names and search over the directory the core holds (docs/directory.md §7).
  const snapshotLookup = new SnapshotDirectoryLookup(() => sessionCore.directory);
  pool.start();
  // The `cti` source starts with the first CTI connection up (the pool's delegate above); the
  // others start at once, beside the CTI connections.
  if (!(directory instanceof CtiDirectoryProvider)) directory.start();

  const waitMs = options.waitForDirectoryMs ?? 10_000;
  if (waitMs > 0) {
    const deadline = clock.monotonic() + waitMs;
    await pool.whenAnyUp(waitMs);
    if (pool.upCount === 0) logger.warn({ addresses }, 'no CTI Manager reachable at start; will keep trying');
    if (directory instanceof CtiDirectoryProvider && pool.upCount > 0) directory.start();
    const left = Math.max(1, deadline - clock.monotonic());
    if (!(await sessionCore.whenDirectoryReady(left)))
      logger.warn(
        { source: config.directory.source, status: directory.status().lastError?.message },
        'directory not loaded yet; sessions will be refused until it is',
      );
  }

  let sip: MsRccFront | undefined;
  if (config.sip.tcp.length + config.sip.tls.length + config.sip.ws.length > 0) {
    try {
      sip = await MsRccFront.start({ config, core: sessionCore, rules, clock, logger, metrics });
    } catch (cause) {
      await sessionCore.dispose();
      await directory.dispose();
      await pool.dispose();
      throw wrapError(cause, ErrorCode.ConfigInvalid, 'cannot start the SIP listeners');
    }
  }

  const sipCounters = (): SipTransportCounters & { limits: Record<SipLimitName, number> } => {
    const stats = sip?.userAgent.stats();
    return {
      connections: stats?.connections ?? 0,
      readPauses: stats?.readPauses ?? 0,
      queuedMessages: stats?.queuedMessages ?? 0,
      deferredMessages: stats?.deferredMessages ?? 0,
      limits: {
        maxConnections: stats?.limits.maxConnections ?? 0,
        maxConnectionsPerSource: stats?.limits.maxConnectionsPerSource ?? 0,
        maxSessionsPerConnection: stats?.limits.maxDialogsPerConnection ?? 0,
        messageTimeout: stats?.limits.messageTimeout ?? 0,
      },
    };
  };
  metrics.bindSip(sipCounters);

  let disposed = false;
  const gateway: Gateway = {
    config,
    core: sessionCore,
    pool,
    rules,
    metrics,
    sip,
    directory,
    ...(directory.lookup === undefined ? {} : { directoryLookup: directory.lookup }),
    desk(userId: string): DeskSession {
      if (disposed) throw new DesklineError(ErrorCode.Disposed, 'gateway disposed');
      const key = userId.toLowerCase();
      let desk = desks.get(key);
      if (desk === undefined) {
        desk = new DeskSession(
          {
            core: sessionCore,
            rules,
            lineUriStyle: config.users.lineUriStyle,
            lookup: gateway.directoryLookup ?? snapshotLookup,
            identity: config.users.identity,
            clock,
            logger,
          },
          userId,
        );
        desks.set(key, desk);
      }
      return desk;
    },
    health(): GatewayHealth {
      const cti = pool.health();
      if (deviceIds !== undefined) {
        // docs/cti-link.md §7: lines of the directory the call server did not list.
        const expected = deviceIds.expected();
        for (const node of cti.nodes) {
          const listed = pool.connections[node.index]?.listedDevices;
          if (listed === undefined || node.deviceCheck === undefined || 'error' in node.deviceCheck) continue;
          const missing = [...expected].filter((id) => !listed.has(id));
          node.deviceCheck = {
            ...node.deviceCheck,
            missing: missing.length,
            missingExamples: missing.slice(0, 20),
          };
        }
      }
      const index = sessionCore.directory;
      const refused = directory instanceof CtiDirectoryProvider ? [...directory.refusals] : [];
      const provider = directoryHealth(directory);
      const alarmed = refused.length > 0 || provider.alarms.length > 0 || provider.state !== 'ready';
      return {
        // A directory alarm (a refused or failed load, the last good directory in force) is
        // degraded — still 200 for a load balancer — never down.
        status: cti.overall === 'up' ? (alarmed ? 'degraded' : 'ok') : cti.overall,
        node: config.node.id,
        version: DESKLINE_VERSION,
        uptimeSec: Math.round((clock.now() - started) / 1000),
        sessions: sessionCore.sessionCount,
        directory: {
          ...index.size,
          loadedAt: index.loadedAt === 0 ? null : index.loadedAt,
          source: index.loadedAt === 0 ? null : index.source,
          refused,
          provider,
        },
        cti,
        sip: {
          listeners: sip?.listenerAddresses() ?? [],
          dialogs: sip?.dialogCount ?? 0,
          ...sipCounters(),
        },
      };
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      // Drain: SIP clients get a BYE (they re-INVITE to another gateway node), desks close.
      await sip?.dispose();
      await Promise.all([...desks.values()].map((d) => d.dispose()));
      desks.clear();
      await sessionCore.dispose();
      await directory.dispose();
      await pool.dispose();
    },
  };
  return gateway;
}

/** The CTI link's dialect from `cti.*` (docs/cti-link.md §7). */
function linkProfileOf(config: GatewayConfig, deviceIds: SnapshotDeviceIds | undefined): CtiLinkProfile {
  const cti = config.cti;
  if (cti.profile === 'deskline')
    return {
      ...DESKLINE_LINK_PROFILE,
      edition: cti.edition,
      heartbeat: cti.heartbeat,
      systemRegister: cti.systemRegister,
    };
  return {
    name: 'standard',
    edition: cti.edition,
    session: cti.session,
    login: cti.login,
    heartbeat: cti.heartbeat,
    systemRegister: cti.systemRegister,
    checkDevices: cti.checkDevices,
    deviceIds,
  };
}

function directoryHealth(provider: DirectoryProvider): DirectoryProviderHealth {
  const status = provider.status();
  return {
    kind: status.kind,
    state: status.state,
    configured: status.source,
    counts: status.current?.counts ?? null,
    loadDurationMs: status.current?.durationMs ?? null,
    lastAttemptAt: status.lastAttemptAt ?? null,
    nextRefreshAt: status.nextRefreshAt ?? null,
    consecutiveFailures: status.consecutiveFailures,
    lastError: status.lastError ?? null,
    alarms: [...status.alarms],
  };
}
