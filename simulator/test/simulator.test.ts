// startSimulator() as the app and the gateway use it: options, failure without leftovers, and
// dispose() leaving nothing open (sockets, listeners, timers).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { ErrorCode, isDesklineError } from '../../gateway/src/protocol.js';
import { DEMO_NUMBERS, generateCluster, startSimulator } from '../src/index.js';
import { ALICE, BOB, HENRY } from './helpers.js';
import { eventually, tcpHandles, TestCtiClient } from './cti-test-client.js';

describe('startSimulator', () => {
  it('dispose() closes every listener, connection and timer, even with calls and monitors in flight', async () => {
    // Sockets of earlier tests may still be closing: start from none.
    await eventually(() => tcpHandles() === 0, 'earlier sockets are closed');
    const baseline = 0;
    const clock = new FakeClock();
    const sim = await startSimulator({ nodes: 3, port: 0, adminPort: 0, clock });
    expect(sim.nodes.map((n) => n.address)).toEqual(sim.nodes.map((n) => `127.0.0.1:${n.port}`));
    const clients = await Promise.all(sim.nodes.map((n) => TestCtiClient.session(n.port)));
    const pending = await TestCtiClient.connect(sim.nodes[0]?.port ?? 0); // no session yet: its start timeout is pending
    await clients[0]?.request({ type: 'MonitorStart', monitorObject: { deviceObject: ALICE } });
    await clients[0]?.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: DEMO_NUMBERS.slowAnswer,
    });
    await clients[1]?.request({ type: 'MakeCall', callingDevice: BOB, calledDirectoryNumber: '1008' });
    expect(sim.freezeNode(2).ok).toBe(true);
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    expect(tcpHandles()).toBeGreaterThan(baseline);

    await sim.dispose();
    await Promise.all([...clients.map((c) => c.closed), pending.closed]);
    expect(clock.pendingTimers()).toBe(0);
    expect(sim.model.callCount()).toBe(0);
    await eventually(() => tcpHandles() === baseline, 'every socket and listener is closed');
    expect(sim.nodes.every((n) => n.state === 'stopped')).toBe(true);
    const restart = await sim.startNode(0);
    expect(restart.ok ? 'ok' : restart.error.code).toBe(ErrorCode.Disposed);
    await sim.dispose(); // twice is fine
  });

  it('defaults to one node on loopback, the demo cluster and the demo credentials', async () => {
    const sim = await startSimulator();
    try {
      expect(sim.nodes).toHaveLength(1);
      expect(sim.nodes[0]?.host).toBe('127.0.0.1');
      expect(sim.adminUrl).toBeUndefined();
      expect(sim.cluster.name).toBe('Deskline demo cluster');
      const c = await TestCtiClient.session(sim.nodes[0]?.port ?? 0, {
        user: 'deskline',
        password: 'deskline',
      });
      c.close();
      await c.closed;
    } finally {
      await sim.dispose();
    }
  });

  it('serves a generated cluster with its own credentials', async () => {
    const sim = await startSimulator({
      cluster: generateCluster({ users: 50, autoAnswerMs: 0 }),
      applicationUser: 'bench',
      applicationPassword: 'pw-for-bench',
    });
    try {
      const refused = await TestCtiClient.connect(sim.nodes[0]?.port ?? 0);
      expect((await refused.startSession('deskline', 'deskline')).type).toBe(
        'StartApplicationSessionNegResponse',
      );
      refused.close();
      const c = await TestCtiClient.session(sim.nodes[0]?.port ?? 0, {
        user: 'bench',
        password: 'pw-for-bench',
      });
      expect(
        (
          await c.request({
            type: 'MonitorStart',
            monitorObject: { deviceObject: 'SEP0A0000000001/1000000/INTERNAL' },
          })
        ).type,
      ).toBe('MonitorStartResponse');
      c.close();
      await c.closed;
    } finally {
      await sim.dispose();
    }
  });

  it('refuses bad options with CONFIG_INVALID and a port in use with an error, leaving nothing open', async () => {
    await eventually(() => tcpHandles() === 0, 'earlier sockets are closed');
    const baseline = 0;
    await expect(startSimulator({ nodes: 0 })).rejects.toSatisfy((e) =>
      isDesklineError(e, ErrorCode.ConfigInvalid),
    );
    await expect(startSimulator({ nodes: 99 })).rejects.toSatisfy((e) =>
      isDesklineError(e, ErrorCode.ConfigInvalid),
    );
    await expect(startSimulator({ port: 70_000 })).rejects.toSatisfy((e) =>
      isDesklineError(e, ErrorCode.ConfigInvalid),
    );
    await expect(startSimulator({ applicationPassword: '' })).rejects.toSatisfy((e) =>
      isDesklineError(e, ErrorCode.ConfigInvalid),
    );
    const bad = generateCluster({ users: 2 });
    (bad.devices[1] as { name: string }).name = 'SEP0A0000000001';
    await expect(startSimulator({ cluster: bad })).rejects.toSatisfy((e) =>
      isDesklineError(e, ErrorCode.ConfigInvalid),
    );

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const address = blocker.address();
    const taken = address !== null && typeof address === 'object' ? address.port : 0;
    await expect(startSimulator({ port: taken })).rejects.toThrow(/cannot listen/);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await eventually(() => tcpHandles() === baseline, 'every socket and listener is closed');
  });

  it('placeInboundCall reaches the model and is refused for garbage', async () => {
    const clock = new FakeClock();
    const sim = await startSimulator({ clock });
    try {
      const call = sim.placeInboundCall('+14155550123', '1008');
      expect(call.ok && call.value.connections.map((c) => c.deviceId)).toEqual(['+14155550123', HENRY]);
      expect(sim.placeInboundCall('nobody', '1008').ok).toBe(false);
    } finally {
      await sim.dispose();
    }
    expect(clock.pendingTimers()).toBe(0);
  });
});
