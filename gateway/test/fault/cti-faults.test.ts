// CTI Manager nodes failing under steady SIP load (docs/architecture.md §6): stopped, frozen, restarted, and
// flapping (stop/start every few hundred ms). Four RCC clients — two over TCP, two over
// WebSocket — loop MakeCall / ClearConnection / SnapshotDevice throughout. While a node is down its
// sessions get CSTAErrorCode systemResourceAvailibility at once; after it returns with a new
// connection ID their sessions restore their monitors by themselves and the clients go on in the
// same dialogs (the default), or — Cisco's way, cti.sessionRecovery: reinvite — their INFOs get
// 481 and the clients re-INVITE; the sessions on the healthy node never notice. Afterwards every client is still making progress, and nothing is left behind:
// no session, dialog or monitor, no call in the simulator that the load did not place and clear,
// no socket and no timer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { unwrap } from '../../src/util/result.js';
import { Rig, until, type RigOptions } from './harness.js';
import { drainAndCheck, LoadClient, startLoad } from './load-client.js';

// Bounded, but several round trips and recoveries per test on a shared 2-core machine: more room than the 30 s default.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let rig: Rig | undefined;
let clients: LoadClient[] = [];
afterEach(async () => {
  for (const client of clients) client.destroyConnection();
  clients = [];
  await rig?.abandon();
  rig = undefined;
});

async function load4(
  options: RigOptions = {},
  client: { refreshAfterOutages?: number } = {},
): Promise<{ rig: Rig; clients: LoadClient[] }> {
  rig = await Rig.start(options);
  // Steady state before any fault: everyone is working.
  clients = await startLoad(rig, { count: 4, ...client });
  return { rig, clients };
}

const finish = drainAndCheck;

const sessionsOn = (r: Rig, node: number): number =>
  [...r.gateway.core.allSessions()].filter((s) => s.connection.index === node).length;
/** The clients whose session is bound to CTI node `node` now. */
const clientsOn = (r: Rig, load: readonly LoadClient[], node: number): LoadClient[] => {
  const users = new Set(
    [...r.gateway.core.allSessions()]
      .filter((s) => s.connection.index === node && s.state === 'active')
      .map((s) => s.user.id),
  );
  return load.filter((c) => users.has(c.name.slice(0, c.name.indexOf('/'))));
};

describe('CTI Manager faults under SIP load', () => {
  it('a node stopped and restarted: fail fast, then the same dialogs go on (transparent recovery, the default), and the other node never notices', async () => {
    // Clients that never refresh: their sessions wait for their own node.
    const { rig: r, clients: load } = await load4({}, { refreshAfterOutages: 0 });
    const victims = clientsOn(r, load, 0);
    expect(victims.length).toBeGreaterThan(0);
    unwrap(await r.sim.stopNode(0));
    await until(() => r.gateway.pool.upCount === 1, 'node 0 seen down');
    unwrap(await r.sim.startNode(0));
    await until(() => r.gateway.pool.upCount === 2, 'node 0 back');
    await finish(r, load);
    for (const victim of victims) {
      expect(
        victim.count('CSTAErrorCode:systemResourceAvailibility/resourceOutOfService'),
        victim.name,
      ).toBeGreaterThan(0);
      // No 481 and no new INVITE: the session that came back is the one that was there.
      expect(victim.count('INFO 481'), victim.name).toBe(0);
      expect(victim.count('INVITE 200'), victim.name).toBe(1);
    }
    expect(load.reduce((n, c) => n + c.count('INFO 481'), 0)).toBe(0);
  });

  it('Cisco mode (cti.sessionRecovery: reinvite): a node stopped and restarted: fail fast, 481, re-INVITE, and the other node never notices', async () => {
    // Clients that never refresh: their sessions wait for their own node (Cisco's behaviour).
    const { rig: r, clients: load } = await load4(
      { cti: { sessionRecovery: 'reinvite' } },
      { refreshAfterOutages: 0 },
    );
    const victims = clientsOn(r, load, 0);
    expect(sessionsOn(r, 0)).toBeGreaterThan(0);
    expect(sessionsOn(r, 1)).toBeGreaterThan(0);
    const healthy = clientsOn(r, load, 1);
    unwrap(await r.sim.stopNode(0));
    await until(() => r.gateway.pool.upCount === 1, 'node 0 seen down');
    // Sessions on node 1 keep working while node 0 is down.
    await Promise.all(healthy.map((c) => c.progress(2)));
    unwrap(await r.sim.startNode(0));
    await until(() => r.gateway.pool.upCount === 2, 'node 0 back');
    await finish(r, load);
    // The clients on node 0 were refused at once while it was down, then told by 481 to INVITE again.
    for (const victim of victims) {
      expect(
        victim.count('CSTAErrorCode:systemResourceAvailibility/resourceOutOfService'),
        victim.name,
      ).toBeGreaterThan(0);
      expect(victim.count('INFO 481'), victim.name).toBeGreaterThan(0);
      expect(victim.count('INVITE 200'), victim.name).toBeGreaterThanOrEqual(2);
    }
    // The others never noticed.
    for (const other of load.filter((c) => !victims.includes(c)))
      expect(other.count('INFO 481'), other.name).toBe(0);
  });

  it('a node frozen (socket open, silent) is detected by heartbeats; sessions fail over after thaw', async () => {
    const { rig: r, clients: load } = await load4();
    const healthy = clientsOn(r, load, 0);
    const frozen = clientsOn(r, load, 1);
    expect(frozen.length).toBeGreaterThan(0);
    unwrap(r.sim.freezeNode(1));
    await until(() => r.gateway.pool.upCount === 1, 'frozen node declared down by heartbeats');
    await Promise.all(healthy.map((c) => c.progress(2)));
    // The frozen node's sessions are refused at once now, not left waiting on a silent socket.
    await until(
      () => frozen.every((c) => c.count('CSTAErrorCode:systemResourceAvailibility/resourceOutOfService') > 0),
      'frozen sessions refused with a CSTA error',
    );
    unwrap(r.sim.thawNode(1));
    await until(() => r.gateway.pool.upCount === 2, 'thawed node back');
    await finish(r, load);
  });

  it('both nodes down at once: everything refused at once; when one returns, its sessions restore themselves and a re-INVITE brings the others back', async () => {
    const { rig: r, clients: load } = await load4();
    unwrap(await r.sim.stopNode(0));
    unwrap(await r.sim.stopNode(1));
    await until(() => r.gateway.pool.upCount === 0, 'no CTI Manager');
    await until(
      () =>
        load.every(
          (c) =>
            c.count('CSTAErrorCode:systemResourceAvailibility/resourceOutOfService') + c.count('INVITE 503') >
            0,
        ),
      'every client told the CTI Manager is out of service',
    );
    const during = load.map((c) => c.iterations);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Nothing succeeds with no CTI Manager (and nothing hangs: the rounds go on, refused).
    expect(load.map((c) => c.iterations)).toEqual(during);
    unwrap(await r.sim.startNode(1));
    await finish(r, load);
    // Sessions of node 1 restored themselves (no 481); those of node 0, still down, came back by
    // their clients' re-INVITE, which rebinds them to node 1.
    expect(load.reduce((n, c) => n + c.count('INFO 481'), 0)).toBe(0);
    expect(load.reduce((n, c) => n + c.count('re-INVITE 200'), 0)).toBeGreaterThan(0);
  });

  it('a flapping node (stop/start every few hundred ms for seconds) leaves nothing stuck', async () => {
    const { rig: r, clients: load } = await load4();
    for (let flap = 0; flap < 8; flap++) {
      unwrap(await r.sim.stopNode(flap % 2));
      await new Promise((resolve) => setTimeout(resolve, 150 + ((flap * 37) % 200)));
      unwrap(await r.sim.startNode(flap % 2));
      await new Promise((resolve) => setTimeout(resolve, 150 + ((flap * 53) % 200)));
    }
    await until(() => r.gateway.pool.upCount === 2, 'both nodes back after flapping', 15_000);
    await finish(r, load);
  });

  it('with moveSessionsOnFailure, sessions move to the healthy node and clients see no 481', async () => {
    const { rig: r, clients: load } = await load4({ cti: { moveSessionsOnFailure: true } });
    expect(sessionsOn(r, 0)).toBeGreaterThan(0);
    unwrap(await r.sim.stopNode(0));
    await until(
      () => [...r.gateway.core.allSessions()].every((s) => s.connection.index === 1 && s.state === 'active'),
      'every session moved to node 1',
    );
    // Everyone works on node 1, including the clients whose session was on node 0.
    await Promise.all(load.map((c) => c.progress(2)));
    unwrap(await r.sim.startNode(0));
    await finish(r, load);
    expect(load.reduce((n, c) => n + c.count('INFO 481'), 0)).toBe(0);
  });
});
