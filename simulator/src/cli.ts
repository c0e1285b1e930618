// The CTI Manager simulator as a command:
//   npm run cucm-sim -- --nodes 3 --cluster FILE --port P --host H --admin-port A --app-user U --app-password-file F
//   npm run cucm-sim -- --profile standard --login sessionLoginInfo --system-status-interval-ms 30000
// Prints where it listens; SIGINT/SIGTERM stop it cleanly.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DesklineError,
  ErrorCode,
  wrapError,
  createPinoLogger,
  type LogLevel,
  err,
  ok,
  type Result,
  LOGIN_FORMS,
  type LoginForm,
  type LoginSpec,
} from '../../gateway/src/protocol.js';
import { loadClusterFile } from './cluster-file.js';
import { DEMO_APPLICATION_PASSWORD, DEMO_APPLICATION_USER } from './demo-cluster.js';
import {
  DEFAULT_ADMIN_PORT,
  DEFAULT_CTI_PORT,
  MAX_NODES,
  startSimulator,
  type Simulator,
} from './simulator.js';

export const USAGE = `Usage: npm run cucm-sim -- [options]

A simulated Cisco CUCM cluster whose CTI Manager nodes speak Deskline's CTI link
(CSTA XML over TCP, docs/cti-link.md). See docs/simulator.md.

Options:
  --nodes N                CTI Manager nodes, 1-${MAX_NODES} (default 1), on consecutive ports
  --port P                 first node's port (default ${DEFAULT_CTI_PORT}; 0 = any free port per node)
  --host H                 address to listen on (default 127.0.0.1)
  --cluster FILE           cluster file (YAML, see examples/cluster.example.yaml); default: the demo cluster
  --admin-port A           admin HTTP API port on 127.0.0.1 (default ${DEFAULT_ADMIN_PORT}; 0 = any; "none" = off)
  --app-user U             CTI application user (default "${DEMO_APPLICATION_USER}" with the demo cluster)
  --app-password-file F    file holding the CTI application password (required with --cluster)
  --profile P              deskline (default: private directory and login, devices <device>/<dn>/<partition>)
                           or standard (nothing private: devices by DN, login as --login says,
                           SystemStatus requests of its own; docs/simulator.md §7)
  --login FORM             standard profile: none (default: the address is trusted), applicationId,
                           sessionLoginInfo (Avaya AE Services' block) or custom
  --login-element NAME     custom login: the credential block's element (e.g. SessionLoginInfo)
  --login-namespace URI    custom login: its namespace
  --system-status-interval-ms N
                           standard profile: a SystemStatus request every N ms (default 30000; 0 = none)
  --log-level L            trace, debug, info, warn, error (default info; logs go to stderr)
  -h, --help               this text

With the demo cluster and no password file, the credentials are ${DEMO_APPLICATION_USER}/${DEMO_APPLICATION_PASSWORD}: demo only.`;

export interface CliOptions {
  nodes: number;
  port: number;
  host: string;
  clusterFile: string | undefined;
  adminPort: number | null;
  appUser: string;
  appPasswordFile: string | undefined;
  profile: 'deskline' | 'standard';
  login: LoginSpec;
  systemStatusIntervalMs: number | undefined;
  logLevel: LogLevel;
  help: boolean;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function usage(message: string): DesklineError {
  return new DesklineError(ErrorCode.ConfigInvalid, message);
}

function integer(text: string, name: string, min: number, max: number): Result<number> {
  if (!/^[0-9]{1,7}$/.test(text)) return err(usage(`${name} must be a number, got "${text}"`));
  const n = Number(text);
  if (n < min || n > max) return err(usage(`${name} must be ${min} to ${max}, got ${n}`));
  return ok(n);
}

export function parseCliArgs(argv: readonly string[]): Result<CliOptions> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        cluster: { type: 'string' },
        'admin-port': { type: 'string' },
        'app-user': { type: 'string' },
        'app-password-file': { type: 'string' },
        profile: { type: 'string' },
        login: { type: 'string' },
        'login-element': { type: 'string' },
        'login-namespace': { type: 'string' },
        'system-status-interval-ms': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (cause) {
    return err(usage(wrapError(cause).message));
  }
  const nodes = integer(values.nodes ?? '1', '--nodes', 1, MAX_NODES);
  if (!nodes.ok) return nodes;
  const port = integer(values.port ?? String(DEFAULT_CTI_PORT), '--port', 0, 65_535);
  if (!port.ok) return port;
  if (port.value !== 0 && port.value + nodes.value - 1 > 65_535)
    return err(usage(`--port ${port.value} leaves no room for ${nodes.value} consecutive ports`));
  let adminPort: number | null = null;
  if (values['admin-port'] !== 'none') {
    const a = integer(values['admin-port'] ?? String(DEFAULT_ADMIN_PORT), '--admin-port', 0, 65_535);
    if (!a.ok) return a;
    adminPort = a.value;
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    return err(usage(`--log-level must be one of ${LOG_LEVELS.join(', ')}`));
  const clusterFile = values.cluster;
  const appPasswordFile = values['app-password-file'];
  if (clusterFile !== undefined && appPasswordFile === undefined)
    return err(
      usage(
        '--app-password-file is required with --cluster (the demo credentials are for the demo cluster only)',
      ),
    );
  const host = values.host ?? '127.0.0.1';
  if (host === '') return err(usage('--host must not be empty'));
  const profile = values.profile ?? 'deskline';
  if (profile !== 'deskline' && profile !== 'standard')
    return err(usage(`--profile must be deskline or standard, got "${profile}"`));
  const form = (values.login ?? 'none') as LoginForm;
  if (!LOGIN_FORMS.includes(form)) return err(usage(`--login must be one of ${LOGIN_FORMS.join(', ')}`));
  if (values.login !== undefined && profile !== 'standard')
    return err(usage('--login needs --profile standard (the deskline profile has its own login)'));
  if (form === 'custom' && (values['login-element'] === undefined || values['login-namespace'] === undefined))
    return err(usage('--login custom needs --login-element and --login-namespace'));
  let systemStatusIntervalMs: number | undefined;
  if (values['system-status-interval-ms'] !== undefined) {
    const n = integer(values['system-status-interval-ms'], '--system-status-interval-ms', 0, 3_600_000);
    if (!n.ok) return n;
    systemStatusIntervalMs = n.value;
  }
  return ok({
    nodes: nodes.value,
    port: port.value,
    host,
    clusterFile,
    adminPort,
    appUser: values['app-user'] ?? DEMO_APPLICATION_USER,
    appPasswordFile,
    profile,
    login: {
      form,
      element: values['login-element'],
      namespace: values['login-namespace'],
      userElement: 'userName',
      passwordElement: 'password',
      extra: {},
    },
    systemStatusIntervalMs,
    logLevel,
    help: values.help === true,
  });
}

/** Reads a password file: its content without the final line break. */
export async function readPasswordFile(path: string): Promise<Result<string>> {
  try {
    const text = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    if (text === '') return err(usage(`password file ${path} is empty`));
    return ok(text);
  } catch (cause) {
    return err(wrapError(cause, ErrorCode.ConfigInvalid, `cannot read password file ${path}`));
  }
}

export interface CliIo {
  out(line: string): void;
  error(line: string): void;
}

/** Starts the simulator from command-line arguments; resolves with it, or with an exit code on failure. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<Simulator | number> {
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    io.error(`cucm-sim: ${parsed.error.message}\n\n${USAGE}`);
    return 2;
  }
  const options = parsed.value;
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  let password = DEMO_APPLICATION_PASSWORD;
  if (options.appPasswordFile !== undefined) {
    const read = await readPasswordFile(options.appPasswordFile);
    if (!read.ok) {
      io.error(`cucm-sim: ${read.error.message}`);
      return 2;
    }
    password = read.value;
  }
  let cluster;
  if (options.clusterFile !== undefined) {
    const loaded = await loadClusterFile(options.clusterFile);
    if (!loaded.ok) {
      io.error(`cucm-sim: ${loaded.error.message}`);
      return 2;
    }
    cluster = loaded.value;
  }
  const logger = createPinoLogger({ level: options.logLevel, name: 'cucm-sim', destination: process.stderr });
  try {
    const sim = await startSimulator({
      cluster: cluster ?? 'demo',
      nodes: options.nodes,
      host: options.host,
      port: options.port,
      adminPort: options.adminPort,
      applicationUser: options.appUser,
      applicationPassword: password,
      profile: options.profile,
      ...(options.profile === 'standard' ? { login: options.login } : {}),
      ...(options.systemStatusIntervalMs === undefined
        ? {}
        : { systemStatusIntervalMs: options.systemStatusIntervalMs }),
      logger,
    });
    const s = sim.cluster.summary();
    io.out(
      `CTI Manager simulator: ${s.name} (${s.users} users, ${s.devices} devices, ${s.appearances} line appearances)`,
    );
    for (const node of sim.nodes) io.out(`  node ${node.index}: ${node.address}`);
    io.out(
      options.profile === 'standard'
        ? `  profile: standard (devices by DN, login: ${options.login.form}, nothing private on the wire)`
        : '  profile: deskline',
    );
    if (sim.adminUrl !== undefined) io.out(`  admin API: ${sim.adminUrl}`);
    io.out(
      `  application user: ${options.appUser}${options.appPasswordFile === undefined ? ` / password ${DEMO_APPLICATION_PASSWORD} (demo only)` : ''}`,
    );
    io.out('Press Ctrl+C to stop.');
    return sim;
  } catch (cause) {
    io.error(`cucm-sim: ${wrapError(cause).message}`);
    return 1;
  }
}

async function main(): Promise<void> {
  const io: CliIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    error: (line) => process.stderr.write(`${line}\n`),
  };
  const result = await runCli(process.argv.slice(2), io);
  if (typeof result === 'number') {
    process.exitCode = result;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    io.out(`${signal}: stopping`);
    result.dispose().then(
      () => {
        process.exitCode = 0;
      },
      (cause: unknown) => {
        io.error(`cucm-sim: stop failed: ${wrapError(cause).message}`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) void main();
