// startSimulator(): the CTI Manager simulator in-process (docs/simulator.md). Used by the gateway's
// --demo mode, the desktop app and the tests; the CLI (cli.ts) wraps it for a terminal.
import {
  MAX_CTI_NODES,
  systemClock,
  type Clock,
  DesklineError,
  ErrorCode,
  nullLogger,
  type Logger,
  err,
  ok,
  unwrap,
  type Result,
  type LoginSpec,
} from '../../gateway/src/protocol.js';
import { startAdminApi, type AdminApi, type AdminTarget } from './admin-api.js';
import { CallModel, type CallSnapshot } from './call-model.js';
import {
  CtiNode,
  CtiService,
  DEFAULT_SYSTEM_STATUS_INTERVAL_MS,
  type NodeView,
  type SimulatorLinkProfile,
} from './cti-server.js';
import { DEMO_APPLICATION_PASSWORD, DEMO_APPLICATION_USER, demoCluster } from './demo-cluster.js';
import { buildClusterModel, ClusterModel, type ClusterConfig } from './model.js';

export const DEFAULT_CTI_PORT = 2748;
export const DEFAULT_ADMIN_PORT = 8748;
/** CTI Manager nodes, at most: the gateway's limit (one definition, in the CTI link). */
export const MAX_NODES = MAX_CTI_NODES;

export interface SimulatorOptions {
  /** The cluster: 'demo' (default), a configuration (cluster file, generateCluster) or a built model. */
  cluster?: ClusterConfig | ClusterModel | 'demo';
  /** CTI Manager nodes, one TCP listener each (1..8). Default 1. */
  nodes?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** First node's port; the others follow consecutively. 0 = any free port for each. Default 0. */
  port?: number;
  /** Admin HTTP API port on 127.0.0.1: 0 = any, null = none. Default null. */
  adminPort?: number | null;
  /** CTI application credentials. Default: the demo-only deskline/deskline. */
  applicationUser?: string;
  applicationPassword?: string;
  /** The dialect of the nodes (docs/simulator.md §7): `deskline` (default: private directory and
   *  login, devices `<device>/<dn>/<partition>`) or `standard` (nothing private, devices by DN). */
  profile?: 'deskline' | 'standard';
  /** Standard profile: where the login is expected (default `none`: the address is trusted). */
  login?: LoginSpec;
  /** Standard profile: the node's own SystemStatus every this many ms (default 30 000; 0: none). */
  systemStatusIntervalMs?: number;
  /** Standard profile: SystemStatus requests unanswered in a row before a session is closed (default 2). */
  systemStatusMissLimit?: number;
  clock?: Clock;
  logger?: Logger;
}

/** A running node as the caller sees it: `address` is what a gateway is configured with. */
export type SimulatorNode = NodeView;

export interface Simulator {
  /** The nodes now (state, port, connections, sessions). */
  readonly nodes: readonly SimulatorNode[];
  /** The admin API's base URL, or undefined when it was not started. */
  readonly adminUrl: string | undefined;
  readonly cluster: ClusterModel;
  readonly model: CallModel;
  stopNode(index: number): Promise<Result<NodeView>>;
  startNode(index: number): Promise<Result<NodeView>>;
  freezeNode(index: number): Result<NodeView>;
  thawNode(index: number): Result<NodeView>;
  /** The node answers heartbeats only (no other request, no event) until unmuteRequestsNode. */
  muteRequestsNode(index: number): Result<NodeView>;
  unmuteRequestsNode(index: number): Result<NodeView>;
  /** An inbound call from a number outside the cluster to a line (DN or E.164). */
  placeInboundCall(from: string, to: string): Result<CallSnapshot>;
  /** Stops every node and the admin API, clears every call and timer. */
  dispose(): Promise<void>;
}

function invalid(message: string): DesklineError {
  return new DesklineError(ErrorCode.ConfigInvalid, `simulator: ${message}`);
}

function resolveCluster(cluster: SimulatorOptions['cluster']): Result<ClusterModel> {
  if (cluster === undefined || cluster === 'demo') return ok(demoCluster());
  if (cluster instanceof ClusterModel) return ok(cluster);
  return buildClusterModel(cluster);
}

class RunningSimulator implements Simulator, AdminTarget {
  adminUrl: string | undefined;
  admin: AdminApi | undefined;
  private disposed = false;

  constructor(
    readonly cluster: ClusterModel,
    readonly model: CallModel,
    private readonly service: CtiService,
    private readonly nodeList: CtiNode[],
  ) {}

  get nodes(): NodeView[] {
    return this.nodeViews();
  }

  nodeViews(): NodeView[] {
    return this.nodeList.map((n) => n.view());
  }

  stopNode(index: number): Promise<Result<NodeView>> {
    const node = this.node(index);
    return node.ok ? node.value.stop() : Promise.resolve(node);
  }

  startNode(index: number): Promise<Result<NodeView>> {
    const node = this.node(index);
    if (!node.ok) return Promise.resolve(node);
    if (this.disposed)
      return Promise.resolve(err(new DesklineError(ErrorCode.Disposed, 'the simulator has been disposed')));
    return node.value.start();
  }

  freezeNode(index: number): Result<NodeView> {
    const node = this.node(index);
    return node.ok ? node.value.freeze() : node;
  }

  thawNode(index: number): Result<NodeView> {
    const node = this.node(index);
    return node.ok ? node.value.thaw() : node;
  }

  muteRequestsNode(index: number): Result<NodeView> {
    const node = this.node(index);
    return node.ok ? node.value.muteRequests() : node;
  }

  unmuteRequestsNode(index: number): Result<NodeView> {
    const node = this.node(index);
    return node.ok ? node.value.unmuteRequests() : node;
  }

  calls(): CallSnapshot[] {
    return this.model.snapshot();
  }

  call(callId: string): CallSnapshot | undefined {
    return this.model.call(callId);
  }

  placeInboundCall(from: string, to: string): Result<CallSnapshot> {
    return this.model.placeInboundCall(from, to);
  }

  clearCall(callId: string): Result<void> {
    return this.model.clearCallById(callId);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.admin?.dispose();
    await Promise.all(this.nodeList.map((n) => n.dispose()));
    this.service.dispose();
    this.model.dispose();
  }

  private node(index: number): Result<CtiNode> {
    const node = Number.isInteger(index) ? this.nodeList[index] : undefined;
    if (node === undefined)
      return err(
        new DesklineError(
          ErrorCode.InvalidArgument,
          `no CTI node ${index} (there are ${this.nodeList.length})`,
        ),
      );
    return ok(node);
  }
}

/** Starts the simulator. Rejects with a DesklineError (CONFIG_INVALID, or a listen failure), leaving nothing open. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const nodes = options.nodes ?? 1;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const adminPort = options.adminPort ?? null;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    throw invalid(`nodes must be 1 to ${MAX_NODES}, got ${nodes}`);
  if (!Number.isInteger(port) || port < 0 || port + (port === 0 ? 0 : nodes - 1) > 65_535)
    throw invalid(`port must be 0 (any) or leave room for ${nodes} consecutive ports, got ${port}`);
  if (adminPort !== null && (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65_535))
    throw invalid(`adminPort must be 0 to 65535 or null, got ${adminPort}`);
  const applicationUser = options.applicationUser ?? DEMO_APPLICATION_USER;
  const applicationPassword = options.applicationPassword ?? DEMO_APPLICATION_PASSWORD;
  if (applicationUser === '' || applicationPassword === '')
    throw invalid('the application user and password must not be empty');

  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? nullLogger).child({ component: 'cucm-sim' });
  const cluster = unwrap(resolveCluster(options.cluster));
  const interval = options.systemStatusIntervalMs ?? DEFAULT_SYSTEM_STATUS_INTERVAL_MS;
  if (!Number.isInteger(interval) || interval < 0 || interval > 3_600_000)
    throw invalid(`systemStatusIntervalMs must be 0 to 3600000, got ${interval}`);
  const missLimit = options.systemStatusMissLimit ?? 2;
  if (!Number.isInteger(missLimit) || missLimit < 1 || missLimit > 10)
    throw invalid(`systemStatusMissLimit must be 1 to 10, got ${missLimit}`);
  const profile: SimulatorLinkProfile | undefined =
    options.profile === 'standard'
      ? {
          name: 'standard',
          login: options.login ?? {
            form: 'none',
            userElement: 'userName',
            passwordElement: 'password',
            extra: {},
          },
          systemStatusIntervalMs: interval,
          systemStatusMissLimit: missLimit,
        }
      : undefined;
  if (
    profile?.login.form === 'custom' &&
    (profile.login.element === undefined || profile.login.namespace === undefined)
  )
    throw invalid('a custom login needs its element and namespace');
  const model = new CallModel({ cluster, clock, logger });
  const service = new CtiService({
    cluster,
    model,
    applicationUser,
    applicationPassword,
    logger,
    ...(profile === undefined ? {} : { profile }),
  });
  const nodeList: CtiNode[] = [];
  for (let i = 0; i < nodes; i++)
    nodeList.push(new CtiNode({ index: i, host, port: port === 0 ? 0 : port + i, service, clock, logger }));
  const simulator = new RunningSimulator(cluster, model, service, nodeList);
  try {
    for (const node of nodeList) unwrap(await node.start());
    if (adminPort !== null) {
      simulator.admin = await startAdminApi({
        target: simulator,
        host: '127.0.0.1',
        port: adminPort,
        logger,
      });
      simulator.adminUrl = simulator.admin.url;
    }
  } catch (cause) {
    await simulator.dispose();
    throw cause;
  }
  logger.info(
    {
      cluster: cluster.name,
      nodes: simulator.nodes.map((n) => n.address),
      admin: simulator.adminUrl,
      profile: options.profile ?? 'deskline',
    },
    'sim: CTI Manager simulator started',
  );
  return simulator;
}
