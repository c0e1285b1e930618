// Two worlds the main flows run in (docs/cti-link.md §7): the deskline profile (the demo gateway
// on the in-process simulator, directory over the CTI link) and the standard profile (the simulator
// with `--profile standard`, the gateway's users from a cluster file, nothing private on the link).
// Each world has SIP listeners, the demo numbering rules, and a capture of its CTI links.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { GatewayConfigInput } from '../../src/config/config.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { unwrap, type Result } from '../../src/util/result.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  DEMO_NUMBERING_RULES,
  demoClusterConfig,
  startSimulator,
  type ClusterConfig,
  type Simulator,
} from '../../../simulator/src/index.js';
import type { LoginSpec } from '../../src/cti-link/profile.js';
import { TcpCapture } from '../support/tcp-capture.js';
import { sipGateway } from '../faces/msrcc/helpers.js';

export type ProfileName = 'deskline' | 'standard';

export interface World {
  readonly profile: ProfileName;
  readonly gateway: Gateway;
  readonly simulator: Simulator;
  readonly logger: MemoryLogger;
  /** One capture per CTI node (standard world only; the deskline world's simulator is in-process). */
  readonly captures: readonly TcpCapture[];
  stopNode(index: number): Promise<unknown>;
  startNode(index: number): Promise<unknown>;
  dispose(): Promise<void>;
}

/** A cluster configuration as a cluster file holds it (`licence: none` for no licence). */
export function clusterYaml(config: ClusterConfig): string {
  return stringify({
    ...config,
    users: config.users.map((u) => ({ ...u, licence: u.licence ?? 'none' })),
  });
}

export const AVAYA_LOGIN: LoginSpec = {
  form: 'sessionLoginInfo',
  userElement: 'userName',
  passwordElement: 'password',
  extra: {},
};

export interface WorldOptions {
  /** CTI settings on top of the world's (heartbeats, moveSessionsOnFailure). */
  readonly cti?: GatewayConfigInput['cti'];
  readonly nodes?: number;
}

/** The deskline world: the demo gateway (host/src/demo.ts) on its in-process simulator. */
async function desklineWorld(options: WorldOptions): Promise<World> {
  const logger = new MemoryLogger();
  const hosted = await sipGateway({
    demo: { enabled: true, nodes: options.nodes ?? 2 },
    cti: {
      heartbeatIntervalMs: 500,
      reconnectInitialMs: 100,
      reconnectMaxMs: 500,
      requestTimeoutMs: 2000,
      ...options.cti,
    },
  });
  const simulator = hosted.simulator;
  if (simulator === undefined) throw new Error('no simulator in demo mode');
  return {
    profile: 'deskline',
    gateway: hosted,
    simulator,
    logger,
    captures: [],
    stopNode: (i) => simulator.stopNode(i).then(unwrapResult),
    startNode: (i) => simulator.startNode(i).then(unwrapResult),
    dispose: () => hosted.dispose(),
  };
}

/**
 * The standard world: `cucm-sim --profile standard` with Avaya-style credential blocks and its own
 * SystemStatus every 300 ms; the gateway reads the demo cluster from a file, writes ed4, names
 * devices by DN, and takes the server's SystemStatus as its heartbeat.
 */
async function standardWorld(options: WorldOptions): Promise<World> {
  const logger = new MemoryLogger();
  const dir = await mkdtemp(join(tmpdir(), 'deskline-standard-'));
  const file = join(dir, 'users.yaml');
  await writeFile(file, clusterYaml(demoClusterConfig()));
  const simulator = await startSimulator({
    cluster: 'demo',
    nodes: options.nodes ?? 2,
    profile: 'standard',
    login: AVAYA_LOGIN,
    systemStatusIntervalMs: 300,
    applicationUser: DEMO_APPLICATION_USER,
    applicationPassword: DEMO_APPLICATION_PASSWORD,
  });
  const captures: TcpCapture[] = [];
  let gateway: Gateway | undefined;
  try {
    for (const node of simulator.nodes) captures.push(await TcpCapture.start(node.address));
    gateway = await createGateway({
      logger,
      config: {
        http: { port: null },
        numbering: DEMO_NUMBERING_RULES,
        sip: {
          domain: 'gw.deskline.test',
          tcp: [{ host: '127.0.0.1', port: 0 }],
          ws: [{ host: '127.0.0.1', port: 0 }],
        },
        cti: {
          addresses: captures.map((c) => c.address),
          applicationUser: DEMO_APPLICATION_USER,
          password: DEMO_APPLICATION_PASSWORD,
          profile: 'standard',
          edition: 'ed4',
          login: { form: 'sessionLoginInfo' },
          heartbeat: 'server',
          heartbeatIntervalMs: 300,
          reconnectInitialMs: 100,
          reconnectMaxMs: 500,
          requestTimeoutMs: 2000,
          ...options.cti,
        },
        directory: { source: 'file', file: { path: file } },
      },
    });
  } catch (cause) {
    for (const capture of captures) await capture.dispose();
    await simulator.dispose();
    await rm(dir, { recursive: true, force: true });
    throw cause;
  }
  const running = gateway;
  return {
    profile: 'standard',
    gateway: running,
    simulator,
    logger,
    captures,
    stopNode: (i) => simulator.stopNode(i).then(unwrapResult),
    startNode: (i) => simulator.startNode(i).then(unwrapResult),
    async dispose() {
      await running.dispose();
      for (const capture of captures) await capture.dispose();
      await simulator.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function unwrapResult<T>(result: Result<T>): T {
  return unwrap(result);
}

export function startWorld(profile: ProfileName, options: WorldOptions = {}): Promise<World> {
  return profile === 'deskline' ? desklineWorld(options) : standardWorld(options);
}
