#!/usr/bin/env node
// The headless gateway service: `npm run gateway -- --config FILE` or `--demo`.
//
//   --config FILE        YAML configuration (README "Configuration"); errors name the field
//   --demo               start the CTI Manager simulator in-process with the demo cluster and use it;
//                        without --config also listens for SIP on TCP 127.0.0.1:5060 and WS :5062
//   --shell              serve the desktop UI (browser shell) on loopback and print its URL
//   --user ID            the CUCM user the browser shell controls the phone of (demo: alice)
//   --data-dir DIR       where the browser shell keeps settings and history
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

const HERE = dirname(fileURLToPath(import.meta.url));
/** The built UI: next to the sources (service/src → dist/renderer) or next to the
 *  bundled service (dist/service → dist/renderer). */
const RENDERER_DIRS = [resolve(HERE, '..', '..', 'dist', 'renderer'), resolve(HERE, '..', 'renderer')];

function fail(message: string): never {
  process.stderr.write(`deskline-gateway: ${message}\n`);
  process.exit(2);
}

const USAGE = `usage: npm run gateway -- (--config FILE | --demo) [--shell] [--user ID] [--data-dir DIR]
                           [--check] [--troubleshoot USER [--line-uri URI] [--number N] [--json]] [--log-level LEVEL]`;

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

  let config: GatewayConfig;
  if (args.config !== undefined) {
    const loaded = loadGatewayConfigFile(args.config);
    if (!loaded.ok) fail(loaded.error.message);
    config = loaded.value;
    if (args.demo) config.demo.enabled = true;
  } else {
    const demo = parseGatewayConfig({
      demo: { enabled: true, nodes: 2 },
      sip: { tcp: [{ host: '127.0.0.1', port: 5060 }], ws: [{ host: '127.0.0.1', port: 5062 }] },
      http: { host: '127.0.0.1', port: 9090 },
    });
    if (!demo.ok) fail(demo.error.message);
    config = demo.value;
  }
  if (args.shell) config.shell.enabled = true;
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
  try {
    if (config.http.port !== null)
      http = await startHttpServer(gateway, { host: config.http.host, port: config.http.port, logger });
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
        clock: systemClock,
        logger,
      });
    }
  } catch (cause) {
    await gateway.dispose();
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
