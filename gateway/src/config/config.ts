// The gateway's configuration: one YAML file, validated with zod. A bad file stops
// start-up with a message naming the field (`cti.addresses[8]: ...`), never a stack trace.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { NumberingRulesConfig } from '../numbering/rule-schema.js';
import { MAX_CTI_NODES } from '../cti-link/limits.js';

const HostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/, 'expected "host:port"')
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'port must be 1-65535');

const Listen = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
});

const TlsListen = Listen.extend({
  /** PEM files; relative paths are relative to the config file. */
  cert: z.string().min(1),
  key: z.string().min(1),
  /** CA bundle for client certificates (mutual TLS). */
  ca: z.string().min(1).optional(),
  /** Subject CN or DNS SAN of the peers allowed to connect (the Lync/Skype pool, the load
   *  balancer). Non-empty ⇒ a client certificate is required and checked. */
  trustedPeers: z.array(z.string().min(1)).default([]),
});

export const GatewayConfigSchema = z.strictObject({
  node: z
    .strictObject({
      /** This gateway node's name, in logs, metrics and SIP Contact. */
      id: z
        .string()
        .min(1)
        .max(64)
        .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only')
        .default('gw1'),
    })
    .prefault({}),
  sip: z
    .strictObject({
      /** Host part of the gateway's SIP URI (Server URI in Lync: sip:<user>@<domain>). */
      domain: z.string().min(1).default('deskline.local'),
      tcp: z.array(Listen).default([]),
      tls: z.array(TlsListen).default([]),
      ws: z.array(Listen).default([]),
      /** RFC 4028: the interval we grant, and the smallest we accept (422 below it). */
      sessionExpiresSec: z.number().int().min(90).max(86_400).default(1800),
      minSessionExpiresSec: z.number().int().min(90).max(86_400).default(90),
      maxMessageBytes: z.number().int().min(4096).max(1_048_576).default(65_536),
      maxConnections: z.number().int().min(1).max(1_000_000).default(100_000),
      /** Inbound connections from one source address (docs/robustness.md, "SIP transport limits"):
       *  refused at once beyond it. Behind a balancer or a Lync pool each peer opens a few. */
      maxConnectionsPerSource: z.number().int().min(1).max(1_000_000).default(256),
      /** A connection with no dialog, nothing unanswered and no message or keep-alive this long is
       *  closed; one that carries a dialog never is (docs/robustness.md). */
      idleTimeoutSec: z.number().int().min(10).max(86_400).default(300),
      /** From a message's first byte to its last (head and body); also bounds TLS handshakes and
       *  WebSocket upgrade requests. A slower peer is cut without an answer (slowloris). */
      messageTimeoutSec: z.number().int().min(1).max(300).default(10),
      /** Unanswered requests per SIP connection before it stops reading until half are answered
       *  (backpressure: one client's burst cannot swamp the CTI link). Behind a load balancer all
       *  of its clients share a few connections: size it for the balancer's share. */
      maxPendingRequestsPerConnection: z.number().int().min(1).max(100_000).default(256),
      /** RCC sessions (dialogs) on one SIP connection; an INVITE beyond gets 503 + Retry-After.
       *  Behind a balancer all of a node's sessions may share one connection: raise it there. */
      maxSessionsPerConnection: z.number().int().min(1).max(1_000_000).default(20_000),
      /** Fair scheduling of received SIP messages: at most this many are handled per event-loop
       *  turn in all, and per connection; the rest wait their turn, round-robin. */
      maxMessagesPerTurn: z.number().int().min(1).max(100_000).default(256),
      maxMessagesPerTurnPerConnection: z.number().int().min(1).max(100_000).default(32),
      /** Compatibility rule (docs/msrcc.md §14): an ACK of a dialog awaiting the ACK of our 2xx is
       *  that ACK whatever its CSeq, and a client whose CSeq restarts after our 2xx to its
       *  (re-)INVITE is re-baselined instead of refused with 500 (pidgin-sipe needs it). */
      tolerateCSeqReset: z.boolean().default(true),
      /** CSTA event INFOs of one session awaiting the client's answer; later events wait in order
       *  (docs/msrcc.md §5). A client that never answers (pidgin-sipe) frees one per Timer F. */
      maxEventsInFlightPerSession: z.number().int().min(1).max(10_000).default(64),
      /** Events of one session waiting behind those (or behind the response they follow). A
       *  session whose client lets more pile up is ended with BYE: it is not taking events. */
      maxQueuedEventsPerSession: z.number().int().min(1).max(100_000).default(256),
    })
    .prefault({}),
  cti: z
    .strictObject({
      /** CTI Manager nodes in priority order (at most 8, as Cisco's gateway). Empty with
       *  `demo: true` = the embedded simulator. */
      addresses: z
        .array(HostPort)
        .max(MAX_CTI_NODES, `at most ${MAX_CTI_NODES} CTI connection addresses`)
        .default([]),
      applicationUser: z.string().min(1).max(128).default('deskline'),
      /** Prefer passwordFile; an inline password is accepted for development. Never logged. */
      password: z.string().max(256).optional(),
      passwordFile: z.string().min(1).optional(),
      heartbeatIntervalMs: z.number().int().min(200).max(300_000).default(5000),
      /** How long a heartbeat may take before it counts as missed (default: 0.45 × the interval, so
       *  that with the default miss limit a frozen node is found within two intervals). */
      heartbeatTimeoutMs: z.number().int().min(50).max(300_000).optional(),
      heartbeatMissLimit: z.number().int().min(1).max(10).default(2),
      requestTimeoutMs: z.number().int().min(100).max(120_000).default(5000),
      /** Consecutive request timeouts (heartbeats aside) after which a connection that still
       *  heartbeats is degraded: new sessions avoid it, its sessions move or fail fast, until it
       *  answers a request again (docs/cti-link.md §3). */
      requestTimeoutLimit: z.number().int().min(1).max(1000).default(3),
      reconnectInitialMs: z.number().int().min(50).max(60_000).default(500),
      reconnectMaxMs: z.number().int().min(100).max(600_000).default(30_000),
      /** Beyond Cisco (off by default for compatibility): a session whose CTI connection dies
       *  moves to a healthy one and keeps its monitors, so the client sees nothing. */
      moveSessionsOnFailure: z.boolean().default(false),
      /** What a session does when its CTI connection comes back with a new connection ID (its
       *  monitors are gone): `transparent` (default) — the gateway restores them itself, under the
       *  client's monitorCrossRefIDs, and the client sees nothing; `reinvite` — Cisco's behaviour:
       *  in-session requests get 481 and the client must re-INVITE (docs/msrcc.md §8). Clients that
       *  never re-INVITE out of dialog (pidgin-sipe) need `transparent`. */
      sessionRecovery: z.enum(['transparent', 'reinvite']).default('transparent'),
      directoryRefreshSec: z.number().int().min(10).max(86_400).default(300),
      /** A directory with more than this share (percent) fewer users or line appearances than the
       *  one in use is refused, as is an empty one: the last good one is kept (docs/cti-link.md §4). */
      directoryMaxShrinkPercent: z.number().int().min(0).max(100).default(50),
      /** Most SwitchingFunctionDevices segments one directory load may take (about 160 users
       *  each): a node that never ends its directory cannot grow memory without bound. */
      directoryMaxSegments: z.number().int().min(1).max(100_000).default(2000),
      maxFrameBytes: z.number().int().min(1024).max(65_535).default(65_535),
    })
    .prefault({}),
  users: z
    .strictObject({
      /** How a SIP From URI finds its CUCM user: by the user's SIP URI, or also by the URI's
       *  user part as the CUCM user ID (Cisco's default mapping). */
      identity: z.enum(['userPart', 'sipUri']).default('userPart'),
      /** Line URI style offered to UIs: CUCM dialstring with partition, or E.164 with ext. */
      lineUriStyle: z.enum(['dialstring', 'e164']).default('dialstring'),
      /** Open sessions per user, all faces together (a user signed in on a few PCs and the desktop
       *  app). At the limit, a session whose client is gone (its TCP connection closed) makes room
       *  for the new one; otherwise the new one is refused (403). */
      maxSessionsPerUser: z.number().int().min(1).max(1000).default(4),
      /** CTI monitors per user, all sessions together (a CUCM limits monitors per application user:
       *  one user must not use up the gateway's share). */
      maxMonitorsPerUser: z.number().int().min(1).max(10_000).default(16),
    })
    .prefault({}),
  csta: z
    .strictObject({
      /** Hostile-input caps of the CSTA XML parser, on SIP bodies and CTI frames alike
       *  (docs/csta-codec.md "Limits"); far above any legitimate message. */
      maxAttributesPerElement: z.number().int().min(8).max(10_000).default(64),
      maxElements: z.number().int().min(256).max(100_000).default(8192),
    })
    .prefault({}),
  /** Line URI and dial rules (docs/numbering.md). Absent: pass-through rules, or the demo
   *  cluster's rules when demo.enabled. */
  numbering: NumberingRulesConfig.optional(),
  http: z
    .strictObject({
      /** /health (JSON) and /metrics (Prometheus). Port 0 picks a free port; null disables. */
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).nullable().default(9090),
    })
    .prefault({}),
  shell: z
    .strictObject({
      /** The browser shell (the desktop UI served over loopback). */
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(0),
      /** The CUCM user the shell controls the phone of. */
      userId: z.string().min(1).optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    })
    .prefault({}),
  demo: z
    .strictObject({
      /** Start the CTI Manager simulator in-process with the demo cluster and use it. */
      enabled: z.boolean().default(false),
      nodes: z.number().int().min(1).max(MAX_CTI_NODES).default(2),
      /** The simulator's admin HTTP API (stop/freeze nodes, inbound calls) on 127.0.0.1:
       *  a port (0 = any free one, shown in /health), or null for none. */
      adminPort: z.number().int().min(0).max(65535).nullable().default(null),
    })
    .prefault({}),
});

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
        .join('');
      return `${path === '' ? '(root)' : path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates an already-parsed config object. */
export function parseGatewayConfig(input: unknown, baseDir?: string): Result<GatewayConfig> {
  const parsed = GatewayConfigSchema.safeParse(input ?? {});
  if (!parsed.success)
    return err(
      new DesklineError(ErrorCode.ConfigInvalid, `invalid configuration: ${describeIssues(parsed.error)}`),
    );
  const config = parsed.data;
  if (config.cti.addresses.length === 0 && !config.demo.enabled)
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        'invalid configuration: cti.addresses: at least one CTI Manager address is required (or demo.enabled: true)',
      ),
    );
  if (config.cti.password !== undefined && config.cti.passwordFile !== undefined)
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        'invalid configuration: cti.password and cti.passwordFile: give one, not both',
      ),
    );
  if (config.sip.minSessionExpiresSec > config.sip.sessionExpiresSec)
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        'invalid configuration: sip.minSessionExpiresSec: must not exceed sip.sessionExpiresSec',
      ),
    );
  if (config.sip.maxMessagesPerTurnPerConnection > config.sip.maxMessagesPerTurn)
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        'invalid configuration: sip.maxMessagesPerTurnPerConnection: must not exceed sip.maxMessagesPerTurn',
      ),
    );
  if (baseDir !== undefined) {
    const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
    for (const tls of config.sip.tls) {
      tls.cert = abs(tls.cert);
      tls.key = abs(tls.key);
      if (tls.ca !== undefined) tls.ca = abs(tls.ca);
    }
    if (config.cti.passwordFile !== undefined) config.cti.passwordFile = abs(config.cti.passwordFile);
  }
  return ok(config);
}

/** Reads and validates a YAML config file. */
export function loadGatewayConfigFile(path: string): Result<GatewayConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        `cannot read configuration file ${path}: ${(cause as Error).message}`,
      ),
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (cause) {
    const where = cause instanceof YAMLParseError && cause.linePos ? ` (line ${cause.linePos[0].line})` : '';
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        `configuration file ${path} is not valid YAML${where}: ${(cause as Error).message}`,
      ),
    );
  }
  return parseGatewayConfig(raw, dirname(resolve(path)));
}

/** The CTI application password, from the file or inline value; never logged. */
export function readCtiPassword(config: GatewayConfig): Result<string> {
  if (config.cti.passwordFile !== undefined) {
    try {
      return ok(readFileSync(config.cti.passwordFile, 'utf8').trim());
    } catch (cause) {
      return err(
        new DesklineError(
          ErrorCode.ConfigInvalid,
          `cti.passwordFile: cannot read ${config.cti.passwordFile}: ${(cause as Error).message}`,
        ),
      );
    }
  }
  return ok(config.cti.password ?? '');
}
