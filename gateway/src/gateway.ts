// The composition of the engine: `createGateway({ config, clock, logger })` runs from a plain
// Node test, from the headless service and from Electron's main process alike, with its ports
// injected (docs/architecture.md, "Conventions"). It connects to the CTI Manager addresses of
// its configuration; demo mode (the simulator on those addresses) is the hosts' business
// (host/src/demo.ts).
import type { XmlLimits } from './csta/index.js';
import { CtiPool, type CtiPoolHealth } from './cti/cti-pool.js';
import { SessionCore, type DirectoryRefusal } from './core/session-core.js';
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
import type { DirectoryLookup } from './directory/provider.js';
import { SnapshotDirectoryLookup } from './directory/snapshot-lookup.js';

export const DESKLINE_VERSION = '0.1.0';

export interface CreateGatewayOptions {
  /** A validated config, or raw input validated here. */
  config: GatewayConfig | GatewayConfigInput;
  clock?: Clock;
  logger?: Logger;
  /** Wait until a CTI connection is up and the directory is loaded (default true; bounded). */
  waitForDirectoryMs?: number;
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
    /** The CTI Manager (`host:port`) the directory in use came from. */
    source: string | null;
    /** Alarms: directories refused in the latest load (empty, shrunk, failed); the one in use
     *  was kept or taken from a lower-priority node (docs/cti-link.md §4). */
    refused: DirectoryRefusal[];
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
  /** Names for numbers and people search from the configured directory provider (LDAP), when
   *  it offers them; the desk falls back to the session core's own directory (cti/file). */
  readonly directoryLookup?: DirectoryLookup | undefined;
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
  // The pool's delegate needs the core, the core needs the pool: tie the knot through a holder.
  const late: { core?: SessionCore } = {};
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
      clock,
      logger,
    },
    {
      onConnectionUp: (connection, id) => late.core?.connectionUp(connection, id),
      onConnectionDown: (connection) => late.core?.connectionDown(connection),
      onConnectionDegraded: (connection) => late.core?.connectionDegraded(connection),
      onConnectionRestored: (connection) => late.core?.connectionRestored(connection),
      onHealth: () => {
        for (const desk of desks.values()) desk.queueEmit();
      },
    },
  );
  const sessionCore = new SessionCore({
    pool,
    clock,
    logger,
    identity: config.users.identity,
    moveSessionsOnFailure: config.cti.moveSessionsOnFailure,
    directoryRefreshMs: config.cti.directoryRefreshSec * 1000,
    directoryMaxShrinkPercent: config.cti.directoryMaxShrinkPercent,
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

  const waitMs = options.waitForDirectoryMs ?? 10_000;
  if (waitMs > 0) {
    await pool.whenAnyUp(waitMs);
    if (pool.upCount > 0) {
      await sessionCore.loadDirectory();
      if (!(await sessionCore.whenDirectoryReady(Math.max(1, waitMs))))
        logger.warn({}, 'directory not loaded yet; sessions will be refused until it is');
    } else {
      logger.warn({ addresses }, 'no CTI Manager reachable at start; will keep trying');
    }
  }

  let sip: MsRccFront | undefined;
  if (config.sip.tcp.length + config.sip.tls.length + config.sip.ws.length > 0) {
    try {
      sip = await MsRccFront.start({ config, core: sessionCore, rules, clock, logger, metrics });
    } catch (cause) {
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
    directoryLookup: undefined,
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
      const directory = sessionCore.directory;
      const refused = [...sessionCore.directoryRefusals];
      return {
        // A refused directory is an alarm: degraded (still 200 for a load balancer), never down.
        status: cti.overall === 'up' ? (refused.length === 0 ? 'ok' : 'degraded') : cti.overall,
        node: config.node.id,
        version: DESKLINE_VERSION,
        uptimeSec: Math.round((clock.now() - started) / 1000),
        sessions: sessionCore.sessionCount,
        directory: {
          ...directory.size,
          loadedAt: directory.loadedAt === 0 ? null : directory.loadedAt,
          source: sessionCore.directorySource ?? null,
          refused,
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
      await pool.dispose();
    },
  };
  return gateway;
}
