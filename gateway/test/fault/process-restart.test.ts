// The gateway *process* killed under load and started again. The headless service
// (service/src/cli.ts, --config with a temporary YAML file) runs as its own Node process
// against a CTI Manager simulator in this test process; four RCC clients (TCP and WebSocket) keep
// it busy. SIGKILL — no drain, no BYE: the simulator must notice the dead CTI connections and drop
// their application sessions and monitors by itself; the calls the phones have stay (a phone keeps
// its call when the CTI application dies). The service starts again on the same ports: the clients
// reconnect, their old dialogs get 481, they re-INVITE and carry on, and clear the calls left over.
// At the end SIGTERM drains the service (exit code 0) and nothing is left anywhere.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  startSimulator,
  DEMO_NUMBERING_RULES,
  type Simulator,
} from '../../../simulator/src/index.js';
import {
  CountingClock,
  LOAD_DEVICES,
  LOAD_USERS,
  OperatorLogger,
  refTimers,
  socketHandles,
  until,
  FAR_END,
  type Listener,
} from './harness.js';
import { LoadClient } from './load-client.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../service/src/cli.ts', import.meta.url));

interface ServiceProcess {
  readonly child: ChildProcess;
  readonly tcp: Listener;
  readonly ws: Listener;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts the service (one Node process: tsx as a loader, so that SIGKILL reaches the gateway itself). */
function startService(configFile: string): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--config', configFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise<ServiceProcess>((resolve, reject) => {
    const listeners: Partial<Record<'TCP' | 'WS', Listener>> = {};
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway service did not start in time:\n${output}`));
    }, 20_000);
    const read = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      for (const match of output.matchAll(/^\s+SIP (TCP|WS) (\S+):(\d+)$/gm))
        listeners[match[1] as 'TCP' | 'WS'] = { host: match[2] as string, port: Number(match[3]) };
      if (listeners.TCP !== undefined && listeners.WS !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', read);
        child.stdout?.resume();
        resolve({ child, tcp: listeners.TCP, ws: listeners.WS, exited, output: () => output });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the gateway service exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

let sim: Simulator | undefined;
let service: ServiceProcess | undefined;
let load: LoadClient[] = [];
let dir: string | undefined;
afterEach(async () => {
  for (const client of load) client.destroyConnection();
  load = [];
  if (service !== undefined && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill('SIGKILL');
    await service.exited;
  }
  service = undefined;
  await sim?.dispose();
  sim = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the gateway process restarted under load', () => {
  it('SIGKILL, start again: clients re-INVITE and carry on, the simulator drops the dead sessions, nothing stuck', async () => {
    const baseline = { sockets: socketHandles(), timers: refTimers() };
    const clock = new CountingClock();
    sim = await startSimulator({
      cluster: 'demo',
      nodes: 2,
      host: '127.0.0.1',
      port: 0,
      clock,
      logger: new OperatorLogger(),
    });
    const s = sim;
    dir = mkdtempSync(join(tmpdir(), 'deskline-restart-'));
    const configFile = join(dir, 'gateway.yaml');
    const config = (tcpPort: number, wsPort: number): string =>
      stringify({
        node: { id: 'restart-gw' },
        sip: {
          domain: 'gw.deskline.test',
          tcp: [{ host: '127.0.0.1', port: tcpPort }],
          ws: [{ host: '127.0.0.1', port: wsPort }],
        },
        cti: {
          addresses: s.nodes.map((n) => n.address),
          applicationUser: DEMO_APPLICATION_USER,
          password: DEMO_APPLICATION_PASSWORD,
          heartbeatIntervalMs: 300,
          heartbeatTimeoutMs: 1_000,
          reconnectInitialMs: 100,
          reconnectMaxMs: 400,
          requestTimeoutMs: 1500,
        },
        numbering: DEMO_NUMBERING_RULES,
        http: { port: null },
        log: { level: 'error' },
      });
    writeFileSync(configFile, config(0, 0));
    service = await startService(configFile);
    const first = service;
    const target = (transport: 'TCP' | 'WS'): Listener => (transport === 'TCP' ? first.tcp : first.ws);
    load = LOAD_USERS.slice(0, 4).map((u, i) => {
      const transport = i % 2 === 0 ? 'TCP' : 'WS';
      return new LoadClient({
        user: u.user,
        line: u.line,
        transport,
        target: () => target(transport),
        dial: FAR_END,
      }).start();
    });
    await Promise.all(load.map((c) => c.progress(3)));
    expect(s.nodes.reduce((n, node) => n + node.monitors, 0)).toBe(4);

    // Kill -9 in the middle of the load: no BYE, no MonitorStop, no StopApplicationSession.
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // The simulator notices the dead connections and releases their sessions and monitors.
    await until(
      () => s.nodes.every((n) => n.connections === 0 && n.sessions === 0 && n.monitors === 0),
      'simulator dropped the dead CTI sessions',
    );
    // The clients notice too (their connections are gone) and keep trying.
    await until(
      () =>
        load.every(
          (c) =>
            c.count('connection closed') +
              c.count('INFO failed') +
              c.count('INFO timeout') +
              c.count('connect failed') >
            0,
        ),
      'every client noticed',
    );

    // Same ports, new process.
    writeFileSync(configFile, config(first.tcp.port, first.ws.port));
    service = await startService(configFile);
    const second = service;
    expect([second.tcp.port, second.ws.port]).toEqual([first.tcp.port, first.ws.port]);
    await Promise.all(load.map((c) => c.progress(3)));
    for (const client of load) {
      // A new INVITE each: the new process knows none of the old dialogs.
      expect(client.count('INVITE 200'), client.name).toBeGreaterThanOrEqual(2);
      expect(client.anomalies, client.name).toEqual([]);
    }
    // The old TCP dialogs were BYE'd over the new connections: 481, the new process never knew them.
    for (const client of load.filter((c) => c.name.endsWith('/TCP')))
      expect(client.count('orphan BYE 481'), client.name).toBeGreaterThanOrEqual(1);
    // Every call in the simulator is one the load placed (calls from before the kill included).
    for (const call of s.model.snapshot())
      expect(LOAD_DEVICES.has(call.callingDevice), `call ${call.callId} from ${call.callingDevice}`).toBe(
        true,
      );

    await Promise.all(load.map((c) => c.stop()));
    for (const client of load) expect(client.anomalies, client.name).toEqual([]);
    await until(() => s.model.snapshot().length === 0, 'every call cleared');
    await until(() => s.nodes.reduce((n, node) => n + node.monitors, 0) === 0, 'every monitor stopped');

    // SIGTERM drains and exits 0; the simulator then holds nothing of it.
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    await until(
      () => s.nodes.every((n) => n.connections === 0 && n.sessions === 0),
      'simulator released the service',
    );
    await s.dispose();
    sim = undefined;
    await until(() => clock.liveTimers === 0, 'simulator timers cleared');
    await until(() => socketHandles() <= baseline.sockets, 'sockets closed');
    await until(() => refTimers() <= baseline.timers, 'timers cleared');
  }, 90_000);
});
