#!/usr/bin/env node
// The headless gateway service: `npm run gateway -- --config FILE` or `--demo`.
//
//   --config FILE        YAML configuration (README "Configuration"); errors name the field
//   --demo               start the CTI Manager simulator in-process with the demo cluster and use it;
//                        without --config also listens for SIP on TCP 127.0.0.1:5060 and WS :5062,
//                        and serves the simulator's admin API on loopback (port in /health)
//   --shell              serve the desktop UI (browser shell) on loopback and print its URL
//   --user ID            the CUCM user the browser shell controls the phone of (demo: alice)
//   --data-dir DIR       where the browser shell keeps settings, history, its token and port
//   --shell-port P       the browser shell's port (default: the last one in --data-dir, else any)
//   --sip-port S         SIP over TCP on S and over WebSocket on S+2 (0: any free ports)
//   --http-port H        /health and /metrics (default 9090)
//   --admin-port A       the demo simulator's admin API (default: any free port)
//   --check              validate the configuration and exit
//   --troubleshoot USER  print the per-user troubleshooter report (with --line-uri, --number; --json for
//                        the JSON of /troubleshoot) and exit: 0 when the user may control the line
//   --log-level LEVEL    trace | debug | info | warn | error
// SIGTERM / SIGINT drain: every SIP session gets a BYE, then the process exits 0.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createPinoLogger,
  loadGatewayConfigFile,
  parseGatewayConfig,
  systemClock,
  troubleshoot,
  formatTroubleshootReport,
  wrapError,
  type GatewayConfig,
  type LogLevel,
} from '../../gateway/src/index.js';
import { DEMO_USER_ID, startGateway, type HostedGateway } from '../../host/src/demo.js';
import { startShellHost, type ShellHost } from '../../host/src/shell/shell-host.js';
import { startHttpServer, type HttpServer } from './http-server.js';
import { inUseHint, portInUse } from './ports.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The built UI: next to the sources (service/src → dist/renderer) or next to the
 *  bundled service (dist/service → dist/renderer). */
const RENDERER_DIRS = [resolve(HERE, '..', '..', 'dist', 'renderer'), resolve(HERE, '..', 'renderer')];

function fail(message: string): never {
  process.stderr.write(`deskline-gateway: ${message}\n`);
  process.exit(2);
}

const USAGE = `usage: npm run gateway -- (--config FILE | --demo) [--shell] [--user ID] [--data-dir DIR]
                           [--shell-port P] [--sip-port S] [--http-port H] [--admin-port A]
                           [--check] [--troubleshoot USER [--line-uri URI] [--number N] [--json]] [--log-level LEVEL]`;

/** A port flag's value: 0-65535. */
function portOf(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) fail(`--${flag}: expected a port 0-65535, got ${value}`);
  return port;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        demo: { type: 'boolean', default: false },
        shell: { type: 'boolean', default: false },
        user: { type: 'string' },
        'data-dir': { type: 'string' },
        'shell-port': { type: 'string' },
        'sip-port': { type: 'string' },
        'http-port': { type: 'string' },
        'admin-port': { type: 'string' },
        check: { type: 'boolean', default: false },
        troubleshoot: { type: 'string' },
        'line-uri': { type: 'string' },
        number: { type: 'string' },
        json: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (cause) {
    fail(`${(cause as Error).message}\n${USAGE}`);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (args.config === undefined && !args.demo) fail(`give --config FILE or --demo\n${USAGE}`);
  const shellPort = portOf('shell-port', args['shell-port']);
  const sipPort = portOf('sip-port', args['sip-port']);
  const httpPort = portOf('http-port', args['http-port']);
  const adminPort = portOf('admin-port', args['admin-port']);

  let config: GatewayConfig;
  if (args.config !== undefined) {
    const loaded = loadGatewayConfigFile(args.config);
    if (!loaded.ok) fail(loaded.error.message);
    config = loaded.value;
    if (args.demo) config.demo.enabled = true;
  } else {
    const demo = parseGatewayConfig({
      // The admin API lets a newcomer make their own phone ring (and the shell's "Ring my phone").
      demo: { enabled: true, nodes: 2, adminPort: 0 },
      sip: { tcp: [{ host: '127.0.0.1', port: 5060 }], ws: [{ host: '127.0.0.1', port: 5062 }] },
      http: { host: '127.0.0.1', port: 9090 },
    });
    if (!demo.ok) fail(demo.error.message);
    config = demo.value;
  }
  if (args.shell) config.shell.enabled = true;
  if (shellPort !== undefined) config.shell.port = shellPort;
  if (httpPort !== undefined) config.http.port = httpPort;
  if (adminPort !== undefined) config.demo.adminPort = adminPort;
  if (sipPort !== undefined) {
    // TCP on S, WebSocket on S+2 (5060/5062 by default); 0 lets the system pick both.
    const wsPort = sipPort === 0 ? 0 : sipPort + 2;
    if (wsPort > 65535) fail(`--sip-port: ${sipPort} leaves no room for WebSocket on ${wsPort}`);
    config.sip.tcp =
      config.sip.tcp.length === 0
        ? [{ host: '127.0.0.1', port: sipPort }]
        : config.sip.tcp.map((l, i) => (i === 0 ? { ...l, port: sipPort } : l));
    if (config.sip.ws.length > 0)
      config.sip.ws = config.sip.ws.map((l, i) => (i === 0 ? { ...l, port: wsPort } : l));
  }
  if (args['log-level'] !== undefined) {
    const level = args['log-level'];
    if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level))
      fail(`--log-level: expected trace|debug|info|warn|error, got ${level}`);
    config.log.level = level as LogLevel;
  }
  if (args.check) {
    process.stdout.write(
      `configuration OK: ${config.cti.addresses.length} CTI address(es), SIP ${config.sip.tcp.length} TCP / ${config.sip.tls.length} TLS / ${config.sip.ws.length} WS listener(s)\n`,
    );
    return;
  }

  const logger = createPinoLogger({ level: config.log.level, name: 'deskline-gateway' });
  const staticDir =
    RENDERER_DIRS.find((dir) => existsSync(join(dir, 'index.html'))) ?? (RENDERER_DIRS[0] as string);
  if (config.shell.enabled && !existsSync(join(staticDir, 'index.html')))
    fail('the browser shell needs the built UI: run `npm run build:renderer` first (npm run shell does it)');

  let gateway: HostedGateway;
  try {
    gateway = await startGateway({ config, clock: systemClock, logger });
  } catch (cause) {
    const port = portInUse(cause);
    if (port !== undefined)
      fail(
        port === config.demo.adminPort
          ? inUseHint(port, 'admin-port', "the demo simulator's admin API")
          : inUseHint(port, 'sip-port', 'SIP listener'),
      );
    fail(wrapError(cause).message);
  }

  if (args.troubleshoot !== undefined) {
    const report = troubleshoot(
      gateway.core,
      gateway.rules,
      { identity: config.users.identity, trustedPeers: config.sip.tls.flatMap((t) => t.trustedPeers) },
      {
        user: args.troubleshoot,
        ...(args['line-uri'] === undefined ? {} : { lineUri: args['line-uri'] }),
        ...(args.number === undefined ? {} : { number: args.number }),
      },
    );
    process.stdout.write(
      `${args.json ? JSON.stringify(report, null, 2) : formatTroubleshootReport(report)}\n`,
    );
    await gateway.dispose();
    process.exit(report.verdict === 'ok' ? 0 : 1);
  }

  let http: HttpServer | undefined;
  let shell: ShellHost | undefined;
  let phase: { flag: string; what: string } = { flag: 'http-port', what: 'health and metrics' };
  try {
    if (config.http.port !== null)
      http = await startHttpServer(gateway, { host: config.http.host, port: config.http.port, logger });
    phase = { flag: 'shell-port', what: 'browser shell' };
    if (config.shell.enabled) {
      const userId = args.user ?? config.shell.userId ?? (config.demo.enabled ? DEMO_USER_ID : undefined);
      if (userId === undefined)
        throw new Error("shell.userId (or --user): which user's phone the browser shell controls");
      const dataDir =
        args['data-dir'] ??
        join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'deskline-shell');
      shell = await startShellHost({
        gateway,
        userId,
        staticDir,
        dataDir,
        host: config.shell.host,
        port: config.shell.port,
        // Port 0 (any) by default: the one of the last start then, so an open tab reconnects.
        rememberPort: config.shell.port === 0,
        clock: systemClock,
        logger,
      });
    }
  } catch (cause) {
    await gateway.dispose();
    const port = portInUse(cause);
    if (port !== undefined) fail(inUseHint(port, phase.flag, phase.what));
    fail(wrapError(cause).message);
  }

  const health = gateway.health();
  const lines = [
    `Deskline gateway ${health.node} ${health.version} — CTI ${health.cti.nodes.map((n) => `${n.address} ${n.state}`).join(', ')}`,
    ...health.sip.listeners.map((l) => `  SIP ${l.transport} ${l.address}`),
    ...(http === undefined ? [] : [`  health ${http.url}/health   metrics ${http.url}/metrics`]),
    ...(shell === undefined ? [] : [`  browser shell: ${shell.server.url}`]),
    ...(health.demo === null
      ? []
      : [
          `  demo cluster on ${health.demo.nodes.join(', ')}: users alice, bob, carol, dave, emma, frank (unlicensed), grace, henry`,
          ...(health.demo.adminUrl === null
            ? []
            : [
                `  simulator admin API: ${health.demo.adminUrl} (POST /calls rings a line: docs/simulator.md)`,
              ]),
        ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining sessions');
    const hard = setTimeout(() => {
      logger.error({}, 'drain took too long: exiting');
      process.exit(1);
    }, 10_000);
    hard.unref();
    void (async () => {
      await shell?.dispose();
      await gateway.dispose();
      await http?.dispose();
      logger.info({}, 'stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main().catch((cause: unknown) => fail(wrapError(cause).message));
