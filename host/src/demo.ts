// Demo mode, started in one place for every host: the CTI Manager simulator (simulator/) with
// the demo cluster on loopback, and the gateway on its nodes with the demo credentials and the
// demo numbering rules — all three written once, in simulator/src/demo-cluster.ts. The headless
// service (service/src/cli.ts, `--demo` or `demo.enabled`) uses startGateway(); the desktop app
// (main/src/engine.ts) starts the simulator with startDemoSimulator() and configures the gateway
// from the user's settings with demoCtiSettings().
import {
  createGateway,
  NumberingRulesConfig,
  parseGatewayConfig,
  unwrap,
  type CreateGatewayOptions,
  type Gateway,
  type GatewayConfig,
  type GatewayHealth,
} from '../../gateway/src/index.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  DEMO_NUMBERING_RULES,
  DEMO_USER_ID,
} from '../../simulator/src/demo-facts.js';
// The simulator itself is loaded only when demo mode starts (a dynamic import): the production
// service bundle keeps it in a chunk of its own (scripts/build.mjs).
import type { Simulator } from '../../simulator/src/index.js';

export { DEMO_USER_ID };

/** How a host asks for the demo cluster's simulator. */
export interface DemoSimulatorOptions {
  cluster: 'demo';
  /** CTI Manager nodes (1-8). */
  nodes: number;
  host: string;
  /** 0: a free port for each node. */
  port: number;
  /** The simulator's admin API on 127.0.0.1 (0 = any free port), or null for none. */
  adminPort: number | null;
}

/** What a host needs of the running simulator: its nodes' addresses, and a way to stop it. */
export interface DemoSimulator {
  readonly nodes: ReadonlyArray<{ readonly address: string }>;
  /** The admin API's base URL, when it was asked for. */
  readonly adminUrl?: string | undefined;
  dispose(): void | Promise<void>;
}

/** The simulator on the demo cluster, with the demo CTI application credentials. */
export async function startDemoSimulator(
  options: DemoSimulatorOptions,
  ports: Pick<CreateGatewayOptions, 'clock' | 'logger'> = {},
): Promise<Simulator> {
  const { startSimulator } = await import('../../simulator/src/index.js');
  return startSimulator({
    ...options,
    applicationUser: DEMO_APPLICATION_USER,
    applicationPassword: DEMO_APPLICATION_PASSWORD,
    ...(ports.clock === undefined ? {} : { clock: ports.clock }),
    ...(ports.logger === undefined ? {} : { logger: ports.logger }),
  });
}

/** The CTI settings of a gateway that talks to the demo simulator. */
export function demoCtiSettings(addresses: readonly string[]): {
  addresses: string[];
  applicationUser: string;
  password: string;
} {
  return {
    addresses: [...addresses],
    applicationUser: DEMO_APPLICATION_USER,
    password: DEMO_APPLICATION_PASSWORD,
  };
}

/** The gateway's /health, with the demo simulator's nodes and admin API when it runs one. */
export interface ServiceHealth extends GatewayHealth {
  demo: { nodes: string[]; adminUrl: string | null } | null;
}

/** A gateway as a host runs it: with the demo simulator behind it in demo mode. */
export interface HostedGateway extends Gateway {
  /** The in-process simulator (demo mode with no CTI address configured), else undefined. */
  readonly simulator: Simulator | undefined;
  health(): ServiceHealth;
}

/**
 * createGateway() for a configuration that may ask for demo mode (`demo.enabled`): the demo
 * numbering rules unless the configuration has its own, and — when no CTI address is
 * configured — the simulator started first, the gateway on its nodes, and the simulator
 * stopped after the gateway. Rejects like createGateway(), leaving nothing running.
 */
export async function startGateway(options: CreateGatewayOptions): Promise<HostedGateway> {
  let config: GatewayConfig = unwrap(parseGatewayConfig(options.config));
  let simulator: Simulator | undefined;
  if (config.demo.enabled) {
    config = { ...config, numbering: config.numbering ?? NumberingRulesConfig.parse(DEMO_NUMBERING_RULES) };
    if (config.cti.addresses.length === 0) {
      simulator = await startDemoSimulator(
        {
          cluster: 'demo',
          nodes: config.demo.nodes,
          host: '127.0.0.1',
          port: 0,
          adminPort: config.demo.adminPort,
        },
        options,
      );
      const addresses = simulator.nodes.map((n) => n.address);
      config = { ...config, cti: { ...config.cti, ...demoCtiSettings(addresses), passwordFile: undefined } };
      options.logger?.info({ nodes: addresses }, 'demo: CTI Manager simulator started in-process');
    }
  }
  let gateway: Gateway;
  try {
    gateway = await createGateway({ ...options, config });
  } catch (cause) {
    await simulator?.dispose();
    throw cause;
  }
  const running = simulator;
  return {
    config: gateway.config,
    core: gateway.core,
    pool: gateway.pool,
    rules: gateway.rules,
    metrics: gateway.metrics,
    sip: gateway.sip,
    directory: gateway.directory,
    ...(gateway.directoryLookup === undefined ? {} : { directoryLookup: gateway.directoryLookup }),
    simulator: running,
    desk: (userId) => gateway.desk(userId),
    health: () => ({
      ...gateway.health(),
      demo:
        running === undefined
          ? null
          : { nodes: running.nodes.map((n) => n.address), adminUrl: running.adminUrl ?? null },
    }),
    async dispose() {
      // The gateway first (its SIP clients get a BYE, its CTI connections close), then the
      // simulator it talked to.
      await gateway.dispose();
      await running?.dispose();
    },
  };
}
