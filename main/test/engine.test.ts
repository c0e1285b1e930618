import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EventPayload } from '../../common/src/api/contract.js';
import type { SettingsView } from '../../common/src/api/views.js';
import { DEMO_APPLICATION_PASSWORD, DEMO_APPLICATION_USER } from '../../simulator/src/demo-cluster.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { MemoryLogger } from '../../gateway/src/index.js';
import { DeskProxy, offlineDeskState } from '../src/desk-proxy.js';
import {
  DEMO_USER_ID,
  ENGINE_FIELDS,
  ENGINE_START_TIMEOUT_MS,
  gatewayConfigFor,
  engineModules,
  startEngine,
  type DeskApi,
  type DeskEventName,
  type EngineModules,
  type Gateway,
  type Simulator,
  type SimulatorOptions,
} from '../src/engine.js';
import { call, desk } from './support/views.js';

const SETTINGS: SettingsView = {
  ctiAddresses: [],
  applicationUser: '',
  hasPassword: false,
  heartbeatIntervalSec: 30,
  userId: '',
  favourites: [],
  sipListenerEnabled: false,
  startAtLogin: false,
  theme: 'system',
  globalShortcut: '',
};

/** A desk whose events the test fires. */
class FakeDesk implements Pick<DeskApi, 'onEvent' | 'dispose'> {
  readonly listeners = new Set<(name: DeskEventName, payload: EventPayload<DeskEventName>) => void>();
  disposed = false;
  onEvent(listener: (name: DeskEventName, payload: EventPayload<DeskEventName>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  dispose(): void {
    this.disposed = true;
  }
  fire(name: DeskEventName, payload: EventPayload<DeskEventName>): void {
    for (const listener of this.listeners) listener(name, payload);
  }
}

function fakeDeskApi(state = desk()): FakeDesk & DeskApi {
  const fake = new FakeDesk();
  const proxy = new DeskProxy(new MemoryLogger()).handlers();
  // Every command answers; getState answers `state` (enough for the wiring under test).
  return Object.assign(fake, proxy, {
    'desk.getState': () => state,
    'desk.makeCall': ({ number }: { number: string }) =>
      call({ callId: 'n', state: 'initiated', remote: { number } }),
  });
}

function fakeModules(options: { failGateway?: boolean } = {}) {
  const log: string[] = [];
  let simulatorOptions: SimulatorOptions | undefined;
  let gatewayConfig: unknown;
  const deskApi = fakeDeskApi();
  const modules: EngineModules = {
    async startSimulator(opts): Promise<Simulator> {
      simulatorOptions = opts;
      log.push('simulator.start');
      return {
        nodes: [{ address: '127.0.0.1:40001' }, { address: '127.0.0.1:40002' }],
        dispose: async () => void log.push('simulator.dispose'),
      };
    },
    async createGateway({ config }): Promise<Gateway> {
      gatewayConfig = config;
      log.push('gateway.create');
      if (options.failGateway) throw new Error('EADDRINUSE 127.0.0.1:5060');
      return {
        desk: (userId) => {
          log.push(`desk(${userId})`);
          return Object.assign(deskApi, { dispose: () => void log.push('desk.dispose') });
        },
        dispose: async () => void log.push('gateway.dispose'),
      };
    },
  };
  return {
    modules,
    log,
    simulatorOptions: () => simulatorOptions,
    gatewayConfig: () => gatewayConfig,
    deskApi,
  };
}

const start = (settings: SettingsView, modules: EngineModules, password?: string) =>
  startEngine({ settings, password, modules, logger: new MemoryLogger(), clock: new FakeClock() });

describe('startEngine', () => {
  it("demo mode: the simulator (demo cluster, port 0), then the gateway on its nodes, then the demo user's desk", async () => {
    const fake = fakeModules();
    const result = await start(SETTINGS, fake.modules);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({
      mode: 'demo',
      userId: DEMO_USER_ID,
      addresses: ['127.0.0.1:40001', '127.0.0.1:40002'],
    });
    expect(fake.simulatorOptions()).toEqual({
      cluster: 'demo',
      nodes: 2,
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
    });
    expect(fake.gatewayConfig()).toMatchObject({
      cti: {
        addresses: ['127.0.0.1:40001', '127.0.0.1:40002'],
        applicationUser: DEMO_APPLICATION_USER,
        password: DEMO_APPLICATION_PASSWORD,
        heartbeatIntervalMs: 30_000,
      },
      sip: { tcp: [] },
      http: { port: null },
      demo: { enabled: false },
    });
    await result.value.dispose();
    expect(fake.log).toEqual([
      'simulator.start',
      'gateway.create',
      'desk(alice)',
      'desk.dispose',
      'gateway.dispose',
      'simulator.dispose',
    ]);
  });

  it('cluster mode: no simulator; the configured addresses, user and password', async () => {
    const fake = fakeModules();
    const settings = {
      ...SETTINGS,
      ctiAddresses: ['cucm1.example.com:2748', 'cucm2.example.com:2748'],
      applicationUser: 'ctiapp',
      userId: 'jdoe',
      sipListenerEnabled: true,
    };
    const result = await start(settings, fake.modules, 'pw');
    expect(result.ok && result.value.mode).toBe('cluster');
    expect(fake.simulatorOptions()).toBeUndefined();
    expect(fake.gatewayConfig()).toMatchObject({
      cti: {
        addresses: ['cucm1.example.com:2748', 'cucm2.example.com:2748'],
        applicationUser: 'ctiapp',
        password: 'pw',
      },
      sip: { tcp: [{ host: '127.0.0.1', port: 5060 }] },
    });
    expect(fake.log).toContain('desk(jdoe)');
  });

  it('cluster mode without a user ID starts nothing and says what to do', async () => {
    const fake = fakeModules();
    const result = await start({ ...SETTINGS, ctiAddresses: ['cucm1.example.com:2748'] }, fake.modules);
    expect(!result.ok && result.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/user ID/),
    });
    expect(fake.log).toEqual([]);
  });

  it('a gateway that fails to start leaves no simulator behind', async () => {
    const fake = fakeModules({ failGateway: true });
    const result = await start(SETTINGS, fake.modules);
    expect(!result.ok && result.error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/the engine could not start: EADDRINUSE/),
    });
    expect(fake.log).toEqual(['simulator.start', 'gateway.create', 'simulator.dispose']);
  });

  it('a gateway that never finishes starting times out; the simulator is closed, and the late gateway too', async () => {
    const log: string[] = [];
    let finish: ((gateway: Gateway) => void) | undefined;
    const clock = new FakeClock();
    const modules: EngineModules = {
      startSimulator: async () => ({
        nodes: [{ address: '127.0.0.1:40001' }],
        dispose: () => void log.push('simulator.dispose'),
      }),
      createGateway: () => new Promise<Gateway>((resolve) => (finish = resolve)),
    };
    const pending = startEngine({
      settings: SETTINGS,
      password: undefined,
      modules,
      logger: new MemoryLogger(),
      clock,
    });
    while (finish === undefined) await Promise.resolve();
    clock.advance(ENGINE_START_TIMEOUT_MS);
    const result = await pending;
    expect(!result.ok && result.error).toMatchObject({
      code: 'CTI_TIMEOUT',
      message: 'the engine did not start within 30 s',
    });
    expect(log).toEqual(['simulator.dispose']);
    expect(clock.pendingTimers()).toBe(0);
    finish({ desk: () => fakeDeskApi(), dispose: () => void log.push('late gateway.dispose') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['simulator.dispose', 'late gateway.dispose']);
  });

  it('a start within the deadline leaves no timer behind', async () => {
    const clock = new FakeClock();
    const result = await startEngine({
      settings: SETTINGS,
      password: undefined,
      modules: fakeModules().modules,
      logger: new MemoryLogger(),
      clock,
    });
    expect(result.ok).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("gatewayConfigFor validates against the gateway's schema", () => {
    const config = gatewayConfigFor(
      { ...SETTINGS, ctiAddresses: ['cucm:2748'], heartbeatIntervalSec: 300 },
      undefined,
      ['cucm:2748'],
    );
    expect(config.ok && config.value.cti).toMatchObject({
      heartbeatIntervalMs: 300_000,
      applicationUser: 'deskline',
      password: '',
    });
    const bad = gatewayConfigFor({ ...SETTINGS, ctiAddresses: ['cucm:2748'] }, undefined, ['cucm:99999']);
    expect(!bad.ok && bad.error.code).toBe('CONFIG_INVALID');
  });

  it('ENGINE_FIELDS: what restarts the engine (not the theme or favourites)', () => {
    expect([...ENGINE_FIELDS].sort()).toEqual([
      'applicationUser',
      'ctiAddresses',
      'hasPassword',
      'heartbeatIntervalSec',
      'sipListenerEnabled',
      'userId',
    ]);
  });
});

/** Opens a TCP connection to host:port; resolves with the socket, or rejects (ECONNREFUSED). */
function dial(address: string): Promise<Socket> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)) });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('startEngine with the real simulator', () => {
  it('demo mode: the gateway is configured with live loopback nodes, and dispose closes them', async () => {
    const { startDemoSimulator: startSimulator } = await import('../../host/src/demo.js');
    expect(engineModules.startSimulator).toBe(startSimulator);
    const sockets: Socket[] = [];
    let addresses: readonly string[] = [];
    const modules: EngineModules = {
      startSimulator,
      async createGateway({ config }) {
        addresses = config.cti.addresses;
        // Stand-in gateway: proves each configured node accepts a TCP connection.
        for (const address of addresses) sockets.push(await dial(address));
        return {
          desk: () => fakeDeskApi(),
          dispose: () => sockets.forEach((socket) => socket.destroy()),
        };
      },
    };
    const result = await start(SETTINGS, modules);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(addresses).toHaveLength(2);
    for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(sockets).toHaveLength(2);
    await result.value.dispose();
    for (const address of addresses)
      await expect(dial(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('DeskProxy', () => {
  it("forwards the attached desk's events and remembers the latest state", async () => {
    const proxy = new DeskProxy(new MemoryLogger());
    const seen: string[] = [];
    proxy.onEvent((event) => seen.push(event.name));
    const api = fakeDeskApi(desk({ selectedLineId: 'x' }));
    proxy.attach(api);
    await proxy.refresh();
    expect(proxy.state?.selectedLineId).toBe('x');
    api.fire('desk.incomingCall', call({ callId: 'r', direction: 'inbound', state: 'ringing' }));
    api.fire('desk.state', desk({ selectedLineId: 'y' }));
    expect(proxy.state?.selectedLineId).toBe('y');
    expect(seen).toEqual(['desk.state', 'desk.incomingCall', 'desk.state']);
    expect(await proxy.handlers()['desk.makeCall']({ number: '2002' })).toMatchObject({
      remote: { number: '2002' },
    });
  });

  it('detached: an offline state saying why, commands refused, no events from the old desk', async () => {
    const proxy = new DeskProxy(new MemoryLogger());
    const api = fakeDeskApi();
    proxy.attach(api);
    const states: unknown[] = [];
    proxy.onEvent((event) => states.push(event.payload));
    proxy.detach('CTI settings changed');
    expect(states).toEqual([offlineDeskState('CTI settings changed')]);
    expect(api.listeners.size).toBe(0);
    api.fire('desk.state', desk());
    expect(states).toHaveLength(1);
    const handlers = proxy.handlers();
    expect(await handlers['desk.getState']({})).toEqual(offlineDeskState('CTI settings changed'));
    expect(await handlers['desk.getCtiHealth']({})).toEqual({ overall: 'down', nodes: [] });
    expect(await handlers['desk.listLines']({})).toEqual([]);
    expect(() => handlers['desk.hold']({ callId: 'x' })).toThrow(/Not connected: CTI settings changed/);
  });

  it('a throwing listener does not stop the others', () => {
    const logger = new MemoryLogger();
    const proxy = new DeskProxy(logger);
    const api = fakeDeskApi();
    proxy.attach(api);
    const seen: string[] = [];
    proxy.onEvent(() => {
      throw new Error('boom');
    });
    proxy.onEvent((event) => seen.push(event.name));
    api.fire('desk.state', desk());
    expect(seen).toEqual(['desk.state']);
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    proxy.dispose();
    expect(api.listeners.size).toBe(0);
  });
});
