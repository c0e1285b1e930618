// The one place main/ meets the engine (gateway/src/index.ts) and demo mode (host/src/demo.ts):
// maps the user's settings to the gateway's configuration, and starts the embedded CTI Manager
// simulator (demo cluster) when no CTI address is configured. The engine's entry points come in
// as EngineModules, so that tests can drive the start-up order and its failures.
import type { EventPayload } from '../../common/src/api/contract.js';
import type { SettingsView } from '../../common/src/api/views.js';
import {
  createGateway as createEngineGateway,
  DesklineError,
  ErrorCode,
  err,
  ok,
  parseGatewayConfig,
  wrapError,
  type Clock,
  type CreateGatewayOptions,
  type DeskEventName,
  type DeskHandlers,
  type DeskSession,
  type Gateway as EngineGateway,
  type GatewayConfig,
  type GatewayConfigInput,
  type Logger,
  type Result,
  type TimerHandle,
} from '../../gateway/src/index.js';
import {
  DEMO_USER_ID,
  demoCtiSettings,
  startDemoSimulator,
  type DemoSimulator,
  type DemoSimulatorOptions,
} from '../../host/src/demo.js';

// ------------------------------------------------------------------ the engine's shapes, as main uses them

export { DEMO_USER_ID, type DeskEventName };
export type DeskMethodName = keyof DeskHandlers;
/** An event of the desk, name and payload paired. */
export type DeskEvent = { [E in DeskEventName]: { name: E; payload: EventPayload<E> } }[DeskEventName];

/** One user's desk: the engine's `desk.*` handlers (DeskSession.handlers) flattened beside its
 *  events. A port, not a copy of the engine: disposers may be synchronous in tests' fakes. */
export type DeskApi = DeskHandlers & {
  onEvent: (listener: Parameters<DeskSession['onEvent']>[0]) => () => void;
  dispose(): void | Promise<void>;
};

/** The engine's gateway (gateway/src/index.ts) as main holds it: its desks flattened into DeskApi. */
export interface Gateway {
  desk(userId: string): DeskApi;
  dispose(): ReturnType<EngineGateway['dispose']> | void;
}

export type SimulatorOptions = DemoSimulatorOptions;
export type Simulator = DemoSimulator;

/** The entry points main starts the engine with (gateway/src/index.ts, host/src/demo.ts). */
export interface EngineModules {
  createGateway(
    options: Pick<CreateGatewayOptions, 'clock' | 'logger'> & { config: GatewayConfig },
  ): Promise<Gateway>;
  startSimulator(options: SimulatorOptions): Simulator | Promise<Simulator>;
}

// ------------------------------------------------------------------ settings → configuration

/** CTI Manager nodes of the embedded simulator (two, so failover can be tried). */
export const DEMO_NODES = 2;
/** Where the optional SIP (Microsoft RCC) listener of the desktop app listens. Loopback
 *  only: exposing it to the network is the headless gateway's job, with TLS. */
export const DESKTOP_SIP_LISTEN = { host: '127.0.0.1', port: 5060 } as const;

/** How long the gateway may take to start (it waits, bounded, for a CTI connection and the
 *  directory): past this the start fails and the late gateway is disposed when it arrives. */
export const ENGINE_START_TIMEOUT_MS = 30_000;

export type EngineMode = 'demo' | 'cluster';

export function engineMode(settings: Pick<SettingsView, 'ctiAddresses'>): EngineMode {
  return settings.ctiAddresses.length === 0 ? 'demo' : 'cluster';
}

/** The settings fields a running engine depends on: a change to any restarts it. */
export const ENGINE_FIELDS: ReadonlySet<keyof SettingsView> = new Set<keyof SettingsView>([
  'ctiAddresses',
  'applicationUser',
  'hasPassword',
  'heartbeatIntervalSec',
  'userId',
  'sipListenerEnabled',
]);

/** The gateway configuration for the desktop app from the user's settings. */
export function gatewayConfigFor(
  settings: SettingsView,
  password: string | undefined,
  addresses: readonly string[],
): Result<GatewayConfig> {
  const demo = engineMode(settings) === 'demo';
  const input: GatewayConfigInput = {
    node: { id: 'desktop' },
    sip: { tcp: settings.sipListenerEnabled ? [{ ...DESKTOP_SIP_LISTEN }] : [] },
    cti: {
      addresses: [...addresses],
      applicationUser: demo
        ? demoCtiSettings(addresses).applicationUser
        : settings.applicationUser === ''
          ? undefined
          : settings.applicationUser,
      password: demo ? demoCtiSettings(addresses).password : (password ?? ''),
      heartbeatIntervalMs: settings.heartbeatIntervalSec * 1000,
    },
    // The desktop app has no metrics endpoint and no browser shell of its own.
    http: { port: null },
    shell: { enabled: false },
    demo: { enabled: false },
  };
  return parseGatewayConfig(input);
}

// ------------------------------------------------------------------ the running engine

export interface Engine {
  mode: EngineMode;
  userId: string;
  /** The CTI Manager addresses in use (the simulator's in demo mode). */
  addresses: readonly string[];
  /** Demo mode: the simulator's admin API on 127.0.0.1 (inbound calls on demand). */
  adminUrl?: string;
  gateway: Gateway;
  desk: DeskApi;
  dispose(): Promise<void>;
}

export interface StartEngineOptions {
  settings: SettingsView;
  password: string | undefined;
  modules: EngineModules;
  logger: Logger;
  clock: Clock;
}

async function disposeQuietly(
  what: string,
  target: { dispose(): void | Promise<void> } | undefined,
  logger: Logger,
): Promise<void> {
  if (target === undefined) return;
  try {
    await target.dispose();
  } catch (error) {
    logger.warn({ what, err: wrapError(error).message }, 'engine: dispose failed');
  }
}

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms` on the injected clock (whose timer is always cleared). */
function withDeadline<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T | typeof TIMED_OUT> {
  let timer: TimerHandle | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = clock.setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clock.clearTimeout(timer));
}

/** Starts the simulator (demo mode), the gateway and the user's desk; on any failure, stops
 *  what was started and says why. */
export async function startEngine(options: StartEngineOptions): Promise<Result<Engine>> {
  const { settings, modules, logger, clock } = options;
  const mode = engineMode(settings);
  const userId = settings.userId !== '' ? settings.userId : mode === 'demo' ? DEMO_USER_ID : '';
  if (userId === '')
    return err(
      new DesklineError(ErrorCode.ConfigInvalid, 'Set your user ID in Settings to control your phone'),
    );

  let simulator: Simulator | undefined;
  let gateway: Gateway | undefined;
  try {
    let addresses = settings.ctiAddresses;
    if (mode === 'demo') {
      simulator = await modules.startSimulator({
        cluster: 'demo',
        nodes: DEMO_NODES,
        host: '127.0.0.1',
        port: 0,
        // Loopback, any free port: what makes the demo phone ring (docs/simulator.md §5).
        adminPort: 0,
      });
      addresses = simulator.nodes.map((node) => node.address);
      logger.info({ addresses }, 'engine: CTI Manager simulator started (demo cluster)');
    }
    const config = gatewayConfigFor(settings, options.password, addresses);
    if (!config.ok) {
      await disposeQuietly('simulator', simulator, logger);
      return config;
    }
    const creating = modules.createGateway({
      config: config.value,
      clock,
      logger: logger.child({ component: 'gateway' }),
    });
    const created = await withDeadline(creating, ENGINE_START_TIMEOUT_MS, clock);
    if (created === TIMED_OUT) {
      // The start may still finish: whatever it opens is closed then.
      creating.then(
        (late) => disposeQuietly('late gateway', late, logger),
        () => undefined,
      );
      await disposeQuietly('simulator', simulator, logger);
      logger.error({ timeoutMs: ENGINE_START_TIMEOUT_MS }, 'engine: start timed out');
      return err(
        new DesklineError(
          ErrorCode.CtiTimeout,
          `the engine did not start within ${ENGINE_START_TIMEOUT_MS / 1000} s`,
        ),
      );
    }
    gateway = created;
    const desk = gateway.desk(userId);
    const started = { gateway, simulator };
    logger.info({ mode, userId, nodes: addresses.length }, 'engine: started');
    const adminUrl = simulator?.adminUrl;
    return ok({
      mode,
      userId,
      addresses,
      ...(adminUrl === undefined ? {} : { adminUrl }),
      gateway,
      desk,
      async dispose() {
        // Desk, then gateway (it closes its CTI connections), then the simulator they talked to.
        await disposeQuietly('desk', desk, logger);
        await disposeQuietly('gateway', started.gateway, logger);
        await disposeQuietly('simulator', started.simulator, logger);
      },
    });
  } catch (error) {
    await disposeQuietly('gateway', gateway, logger);
    await disposeQuietly('simulator', simulator, logger);
    const wrapped = wrapError(error, ErrorCode.Internal, 'the engine could not start');
    logger.error({ err: wrapped.message, code: wrapped.code }, 'engine: start failed');
    return err(wrapped);
  }
}

// ------------------------------------------------------------------ the entry points

/**
 * The engine's entry points, imported statically so esbuild bundles them into main.cjs.
 * The gateway's DeskSession carries its contract handlers as a `handlers` object beside
 * onEvent/dispose; the adapter flattens that into a DeskApi.
 */
export const engineModules: EngineModules = {
  async createGateway(options) {
    const gateway = await createEngineGateway(options);
    return {
      desk(userId) {
        const session = gateway.desk(userId);
        return {
          ...session.handlers,
          onEvent: (listener) => session.onEvent(listener),
          dispose: () => session.dispose(),
        };
      },
      dispose: () => gateway.dispose(),
    };
  },
  startSimulator: startDemoSimulator,
};
