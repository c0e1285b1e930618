// A Deskline cluster on loopback, as docs/running-at-scale.md draws it: the CTI Manager
// simulator, N gateway nodes (child processes running the service CLI with a generated YAML
// config each) and Kamailio instances dispatching over them (deploy/kamailio/kamailio.cfg with
// a dispatcher list generated for this run). Everything listens on 127.0.0.1; gateways pick their
// ports (port 0) and print them; Kamailio gets a free port found just before it starts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import {
  generateCluster,
  startSimulator,
  type ClusterConfig,
  type Simulator,
} from '../../../simulator/src/index.js';
import { fileURLToPath } from 'node:url';
import {
  Child,
  GATEWAY_CLI,
  KAMAILIO_CFG,
  freePort,
  kamailioBinary,
  stopAllChildren,
  waitForListener,
} from './processes.js';

/** The test PKI (scripts/gen-test-certs.sh): gateway.test for the nodes, lync-pool.test for the
 *  balancer and the clients (a Lync pool's certificate, in the nodes' trustedPeers). */
export const TEST_TLS = {
  ca: fileURLToPath(new URL('../fixtures/tls/ca.crt', import.meta.url)),
  gatewayCert: fileURLToPath(new URL('../fixtures/tls/server.crt', import.meta.url)),
  gatewayKey: fileURLToPath(new URL('../fixtures/tls/server.key', import.meta.url)),
  peerCert: fileURLToPath(new URL('../fixtures/tls/trusted-client.crt', import.meta.url)),
  peerKey: fileURLToPath(new URL('../fixtures/tls/trusted-client.key', import.meta.url)),
  peerName: 'lync-pool.test',
} as const;

export interface GatewayHealthJson {
  status: 'ok' | 'degraded' | 'down';
  node: string;
  sessions: number;
  sip: { dialogs: number };
}

export class GatewayNode {
  child: Child;
  constructor(
    readonly id: string,
    readonly configPath: string,
    readonly sipPort: number,
    readonly tlsPort: number,
    readonly httpPort: number,
    child: Child,
  ) {
    this.child = child;
  }

  dispatcherUri(transport: 'tcp' | 'tls'): string {
    return `sip:127.0.0.1:${transport === 'tcp' ? this.sipPort : this.tlsPort};transport=${transport}`;
  }

  async health(): Promise<GatewayHealthJson> {
    const response = await fetch(`http://127.0.0.1:${this.httpPort}/health`, {
      signal: AbortSignal.timeout(5_000),
    });
    return (await response.json()) as GatewayHealthJson;
  }

  async sessions(): Promise<number> {
    return (await this.health()).sessions;
  }
}

export interface KamailioInstance {
  readonly name: string;
  readonly port: number;
  readonly wsPort: number | undefined;
  readonly tlsPort: number | undefined;
  readonly child: Child;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Gateway nodes (ids gw1..gwN). */
  nodes: number;
  /** Users in the generated CUCM cluster: user<i>, line generatedDn(i). */
  users: number;
  /** A cluster of its own instead of the generated one (`users` is then ignored). */
  cluster?: ClusterConfig;
  /** Extra `sip` settings for every node (e.g. sessionExpiresSec). */
  sip?: Record<string, unknown>;
}

const STARTUP_MS = 45_000;

/** Starts of one Kamailio tried when its ports were taken between freePort() and its bind. */
const KAMAILIO_START_ATTEMPTS = 3;

export class TestCluster {
  readonly gateways: GatewayNode[] = [];
  readonly balancers: KamailioInstance[] = [];

  private constructor(
    readonly dir: string,
    readonly simulator: Simulator,
    private readonly ctiUser: string,
    private readonly ctiPasswordFile: string,
    private readonly sipSettings: Record<string, unknown> = {},
  ) {}

  static async start(options: ClusterOptions): Promise<TestCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'deskline-cluster-'));
    const ctiUser = 'deskline-cluster';
    const ctiPassword = randomBytes(12).toString('hex');
    const passwordFile = join(dir, 'cti.pw');
    await writeFile(passwordFile, `${ctiPassword}\n`, { mode: 0o600 });
    // The simulator runs in this process (its call model is observable); two CTI Manager nodes,
    // as a CUCM cluster has, shared by every gateway node.
    let simulator: Simulator;
    try {
      simulator = await startSimulator({
        cluster: options.cluster ?? generateCluster({ users: options.users }),
        nodes: 2,
        host: '127.0.0.1',
        port: 0,
        adminPort: null,
        applicationUser: ctiUser,
        applicationPassword: ctiPassword,
      });
    } catch (cause) {
      await rm(dir, { recursive: true, force: true });
      throw cause;
    }
    const cluster = new TestCluster(dir, simulator, ctiUser, passwordFile, options.sip);
    try {
      const ids = Array.from({ length: options.nodes }, (_, i) => `gw${i + 1}`);
      const started = await Promise.all(
        ids.map((id) => cluster.startGateway(id, { sip: 0, tls: 0, http: 0 })),
      );
      cluster.gateways.push(...started);
    } catch (cause) {
      await cluster.dispose();
      throw cause;
    }
    return cluster;
  }

  gateway(id: string): GatewayNode {
    const found = this.gateways.find((g) => g.id === id);
    if (found === undefined) throw new Error(`no gateway ${id}`);
    return found;
  }

  /** Writes gw<N>.yaml and starts the node; resolves once it printed its listeners. */
  private async startGateway(
    id: string,
    ports: { sip: number; tls: number; http: number },
  ): Promise<GatewayNode> {
    const configPath = join(this.dir, `${id}.yaml`);
    const config = {
      node: { id },
      sip: {
        ...this.sipSettings,
        domain: 'deskline.test',
        tcp: [{ host: '127.0.0.1', port: ports.sip }],
        // Mutual TLS: only the balancer (and the Lync pool) may connect.
        tls: [
          {
            host: '127.0.0.1',
            port: ports.tls,
            cert: TEST_TLS.gatewayCert,
            key: TEST_TLS.gatewayKey,
            ca: TEST_TLS.ca,
            trustedPeers: [TEST_TLS.peerName],
          },
        ],
      },
      cti: {
        addresses: this.simulator.nodes.map((n) => n.address),
        applicationUser: this.ctiUser,
        passwordFile: this.ctiPasswordFile,
        heartbeatIntervalMs: 1000,
        requestTimeoutMs: 3000,
      },
      http: { host: '127.0.0.1', port: ports.http },
      log: { level: 'warn' },
    };
    await writeFile(configPath, toYaml(config));
    const child = Child.start(id, process.execPath, ['--import', 'tsx', GATEWAY_CLI, '--config', configPath]);
    const sip = await child.waitForLine(/^\s+SIP TCP 127\.0\.0\.1:(\d+)/, STARTUP_MS);
    const tls = await child.waitForLine(/^\s+SIP TLS 127\.0\.0\.1:(\d+)/, STARTUP_MS);
    const http = await child.waitForLine(/^\s+health http:\/\/127\.0\.0\.1:(\d+)\/health/, STARTUP_MS);
    return new GatewayNode(id, configPath, Number(sip[1]), Number(tls[1]), Number(http[1]), child);
  }

  /** Starts a stopped or killed node again, on the ports it had (the dispatcher list names them). */
  async restartGateway(id: string): Promise<void> {
    const node = this.gateway(id);
    if (node.child.running) throw new Error(`${id} is still running`);
    const again = await this.startGateway(id, { sip: node.sipPort, tls: node.tlsPort, http: node.httpPort });
    node.child = again.child;
  }

  /**
   * Starts Kamailio with deploy/kamailio/kamailio.cfg in the foreground (-DD -E), as the current
   * (unprivileged or not) user, with its pid file, runtime dir and dispatcher list in this run's
   * temp dir. `defines` are extra `-A` defines (WITH_FROM_HASH, WITH_WEBSOCKET, WITH_TLS: then
   * the nodes are reached over TLS too); the OPTIONS probe runs every `probeIntervalSec` (default 1 s).
   */
  async startKamailio(
    name: string,
    options: {
      defines?: readonly string[];
      probeIntervalSec?: number;
      /** Dispatcher entries (`<uri> 0 0 node=<id>`) instead of this cluster's gateway nodes (e.g. test UAS nodes). */
      dispatcher?: readonly string[];
    } = {},
  ): Promise<KamailioInstance> {
    const defines = options.defines ?? [];
    const binary = kamailioBinary();
    const runDir = await mkdtemp(join(this.dir, `${name}-`));
    const list = join(runDir, 'dispatcher.list');
    const toNodes = defines.includes('WITH_TLS') ? 'tls' : 'tcp';
    await writeFile(
      list,
      `# generated for this test run: set 1 = the Deskline gateway nodes\n${(
        options.dispatcher ?? this.gateways.map((g) => `${g.dispatcherUri(toNodes)} 0 0 node=${g.id}`)
      )
        .map((line) => `1 ${line}`)
        .join('\n')}\n`,
    );
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const ws = defines.includes('WITH_WEBSOCKET') ? await freePort() : undefined;
      const tls = defines.includes('WITH_TLS') ? await freePort() : undefined;
      const args = [
        '-f',
        KAMAILIO_CFG,
        '-DD',
        '-E',
        '-m',
        '64',
        '-M',
        '8',
        '-P',
        join(runDir, 'kamailio.pid'),
        '-Y',
        runDir,
        '-w',
        runDir,
        '-A',
        `LISTEN_TCP=tcp:127.0.0.1:${port}`,
        '-A',
        `DISPATCHER_LIST="${list}"`,
        '-A',
        `PROBE_INTERVAL=${options.probeIntervalSec ?? 1}`,
        '-A',
        'FR_TIMER_MS=2000',
        '-A',
        'FR_INV_TIMER_MS=5000',
        '-A',
        'CHILDREN=2',
        ...(ws === undefined ? [] : ['-A', `LISTEN_WS=tcp:127.0.0.1:${ws}`, '-A', `WS_PORT=${ws}`]),
        ...(tls === undefined
          ? []
          : [
              '-A',
              `LISTEN_TLS=tls:127.0.0.1:${tls}`,
              '-A',
              `TLS_CERT="${TEST_TLS.peerCert}"`,
              '-A',
              `TLS_KEY="${TEST_TLS.peerKey}"`,
              '-A',
              `TLS_CA="${TEST_TLS.ca}"`,
            ]),
        ...defines.flatMap((d) => ['-A', d]),
      ];
      const child = Child.start(name, binary, args);
      try {
        await waitForListener('127.0.0.1', port, 15_000, child);
        if (ws !== undefined) await waitForListener('127.0.0.1', ws, 15_000, child);
        if (tls !== undefined) await waitForListener('127.0.0.1', tls, 15_000, child);
      } catch (error) {
        // freePort() releases a port before Kamailio binds it: another test's socket may take it
        // in between. Kamailio then exits saying so; new ports, a bounded number of times.
        const taken = !child.running && child.lines.some((l) => l.includes('Address already in use'));
        if (!taken || attempt >= KAMAILIO_START_ATTEMPTS) throw error;
        await child.stop(1_000);
        continue;
      }
      const instance: KamailioInstance = {
        name,
        port,
        wsPort: ws,
        tlsPort: tls,
        child,
        stop: () => child.stop(3_000),
      };
      this.balancers.push(instance);
      return instance;
    }
  }

  /** Stops everything this cluster started: Kamailio, gateways, simulator, temp dir. */
  async dispose(): Promise<void> {
    await Promise.all(this.balancers.map((b) => b.stop()));
    await Promise.all(this.gateways.map((g) => g.child.stop(5_000)));
    // Children of a start-up that failed half-way (never listed above).
    await stopAllChildren();
    await this.simulator.dispose();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Output of every process, for a failure message. */
  diagnostics(): string {
    return [...this.gateways.map((g) => g.child), ...this.balancers.map((b) => b.child)]
      .map((c) => c.tail(25))
      .join('\n');
  }
}
