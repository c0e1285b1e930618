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
import { CTI_OUTPUT_EDITIONS, LOGIN_FORMS, isPrivateNamespace } from '../cti-link/profile.js';
import { LdapDirectoryConfigSchema } from './ldap-config.js';

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

/** An XML local name (NCName, ASCII subset) for the elements of a vendor credential block. */
const XmlName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9._-]*$/, 'an XML element name (letters, digits, ".", "_", "-")');

/** How the application session logs in (docs/real-deployments.md §4, docs/cti-link.md §7). */
const CtiLogin = z.strictObject({
  /** `none`: the applicationID only (the server trusts the gateway's address); `applicationId`:
   *  the application user as the applicationID; `sessionLoginInfo`: Avaya AE Services' block;
   *  `custom`: a block of your own naming in applicationSpecificInfo. */
  form: z.enum(LOGIN_FORMS).default('none'),
  /** For `custom`: the block's element and namespace, and its two child elements. */
  element: XmlName.optional(),
  namespace: z.string().min(1).max(256).optional(),
  userElement: XmlName.default('userName'),
  passwordElement: XmlName.default('password'),
  /** For `custom` and `sessionLoginInfo`: more child elements with fixed text, after the password
   *  (`sessionCleanupDelay: "60"`). */
  extra: z.record(XmlName, z.string().max(256)).default({}),
});

/** Directory settings of the `file` source (docs/directory.md "The file source"). */
const DirectoryFile = z.strictObject({
  /** A cluster file (examples/cluster.example.yaml); relative to the config file. */
  path: z.string().min(1),
  /** Changes seen by the file watch are loaded this long after the last one (an editor saves in
   *  several writes). */
  debounceMs: z.number().int().min(10).max(60_000).default(500),
  /** Read again this often even without a change seen (a watch can miss a network file system). */
  refreshSec: z.number().int().min(10).max(86_400).default(300),
  /** After a failed or refused load. */
  retrySec: z.number().int().min(1).max(3_600).default(30),
  /** Refuse a load with this share (percent) fewer users, licensed users or appearances than the
   *  last good one; 100 turns the check off. */
  maxShrinkPercent: z.number().min(0).max(100).default(20),
  allowEmpty: z.boolean().default(false),
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
      /** The CTI link's dialect (docs/cti-link.md §7): `deskline` (the simulator's, with the
       *  directory and the login as private data) or `standard` (nothing private: a CSTA-over-TCP
       *  call server such as Unify OpenScape Voice or Mitel MX-ONE). */
      profile: z.enum(['deskline', 'standard']).default('deskline'),
      /** The ECMA-323 edition written on the link; any edition is read. */
      edition: z.enum(CTI_OUTPUT_EDITIONS).default('ed3'),
      /** `ecma354`: StartApplicationSession first; `none`: no application session (the server
       *  trusts the address and serves requests at once). */
      session: z.enum(['ecma354', 'none']).default('ecma354'),
      login: CtiLogin.prefault({}),
      /** `resetApplicationSessionTimer` (ECMA-354), `systemStatus` (the gateway sends SystemStatus),
       *  or `server`: the server's own SystemStatus requests, answered, are the heartbeat. */
      heartbeat: z
        .enum(['resetApplicationSessionTimer', 'systemStatus', 'server'])
        .default('resetApplicationSessionTimer'),
      /** Send SystemRegister once the link is up (servers that send SystemStatus only to
       *  registered applications). */
      systemRegister: z.boolean().default(false),
      /** Line appearance → the call server's device ID (standard profile). */
      deviceIds: z
        .strictObject({
          /** `dn` (default for standard), `e164` (the line's E.164 number, else its DN),
           *  `e164Digits` (the same without "+", as OpenScape Voice numbers devices), or
           *  `appearance` (`<device>/<dn>/<partition>`, the deskline profile's). */
          from: z.enum(['appearance', 'dn', 'e164', 'e164Digits']).optional(),
          /** Explicit IDs by appearance ID (`LDAP-alice/1001/`), line (`1001/INTERNAL`) or DN. */
          map: z.record(z.string().min(1).max(256), z.string().min(1).max(128)).default({}),
        })
        .prefault({}),
      /** Standard profile: list the server's devices (GetSwitchingFunctionDevices) at each
       *  connection and report configured lines it does not know. */
      checkDevices: z.boolean().default(true),
    })
    .prefault({}),
  /** Where users, licences, lines and line appearances come from (docs/directory.md). */
  directory: z
    .strictObject({
      /** `cti`: the simulator's private directory (deskline profile only); `file`: a cluster file;
       *  `ldap`: Active Directory or any LDAP server. */
      source: z.enum(['cti', 'file', 'ldap']).default('cti'),
      file: DirectoryFile.optional(),
      ldap: LdapDirectoryConfigSchema.optional(),
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
  const directoryProblem = checkDirectoryAndProfile(config);
  if (directoryProblem !== undefined)
    return err(new DesklineError(ErrorCode.ConfigInvalid, `invalid configuration: ${directoryProblem}`));
  if (baseDir !== undefined) {
    const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
    for (const tls of config.sip.tls) {
      tls.cert = abs(tls.cert);
      tls.key = abs(tls.key);
      if (tls.ca !== undefined) tls.ca = abs(tls.ca);
    }
    if (config.cti.passwordFile !== undefined) config.cti.passwordFile = abs(config.cti.passwordFile);
    const file = config.directory.file;
    if (file !== undefined) file.path = abs(file.path);
    const ldap = config.directory.ldap;
    if (ldap !== undefined) {
      if (ldap.caFile !== undefined) ldap.caFile = abs(ldap.caFile);
      if (ldap.passwordFile !== undefined) ldap.passwordFile = abs(ldap.passwordFile);
    }
  }
  return ok(config);
}

/** What spans `directory` and `cti.profile`; the first problem, naming its field. */
function checkDirectoryAndProfile(config: GatewayConfig): string | undefined {
  const { directory, cti } = config;
  const source = directory.source;
  if (source === 'file' && directory.file === undefined)
    return 'directory.file.path: required with directory.source: file (a cluster file of users, licences, lines and devices)';
  if (source === 'ldap' && directory.ldap === undefined)
    return 'directory.ldap: required with directory.source: ldap (at least urls, users.baseDn and licence.groupDn)';
  if (source !== 'file' && directory.file !== undefined)
    return `directory.file: given, but directory.source is ${source} (set directory.source: file, or remove it)`;
  if (source !== 'ldap' && directory.ldap !== undefined)
    return `directory.ldap: given, but directory.source is ${source} (set directory.source: ldap, or remove it)`;
  const from = cti.deviceIds.from;
  const login = cti.login;
  if (cti.profile === 'standard') {
    if (source === 'cti')
      return "cti.profile: standard needs directory.source: ldap or file — a standard CSTA server sends no directory (directory.source: cti is the simulator profile's private data)";
    if (from === 'appearance')
      return "cti.deviceIds.from: appearance IDs are the deskline profile's; a standard call server knows devices by DN (dn) or E.164 number (e164)";
    if (login.form === 'custom' && (login.element === undefined || login.namespace === undefined))
      return 'cti.login.element and cti.login.namespace: required with cti.login.form: custom';
    if (login.namespace !== undefined && isPrivateNamespace(login.namespace))
      return `cti.login.namespace: ${login.namespace} is Deskline's private namespace; the standard profile sends nothing private`;
    if (config.demo.enabled && cti.addresses.length === 0)
      return 'cti.profile: standard: demo mode runs the simulator with its deskline profile; give cti.addresses of a standard-profile simulator (npm run cucm-sim -- --profile standard) or a call server';
  } else {
    if (from !== undefined && from !== 'appearance')
      return `cti.deviceIds.from: ${from} needs cti.profile: standard (the deskline profile names devices <device>/<dn>/<partition>)`;
    if (Object.keys(cti.deviceIds.map).length > 0)
      return 'cti.deviceIds.map: needs cti.profile: standard (the deskline profile names devices <device>/<dn>/<partition>)';
    if (cti.session !== 'ecma354')
      return "cti.session: none needs cti.profile: standard (the simulator's deskline profile always opens an application session)";
    if (login.form !== 'none' || login.element !== undefined || login.namespace !== undefined)
      return 'cti.login: the deskline profile logs in with its own credentials block (cti.applicationUser, cti.password/passwordFile); cti.login is for cti.profile: standard';
    if (cti.heartbeat === 'server')
      return "cti.heartbeat: server needs cti.profile: standard (the simulator's deskline profile sends no SystemStatus of its own)";
  }
  if (cti.session === 'none' && cti.heartbeat === 'resetApplicationSessionTimer')
    return 'cti.heartbeat: resetApplicationSessionTimer needs an application session; with cti.session: none use systemStatus or server';
  if (cti.session === 'none' && login.form !== 'none')
    return `cti.login.form: ${login.form} is sent in StartApplicationSession; with cti.session: none there is none (use cti.login.form: none)`;
  return undefined;
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
