// The CTI connection pool and the session core under CTI Manager failures, against the real
// simulator over TCP: round-robin, fail-fast while a node is down, a new connection ID after
// reconnection (the session restores itself by default; with cti.sessionRecovery: reinvite it
// stays stale until rebound), freeze detection, and the optional move to a healthy connection.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../host/src/demo.js';
import type { CstaEvent } from '../../src/csta/index.js';
import type { CoreSession, CoreSessionState, SessionFace } from '../../src/core/session-core.js';
import { unwrap } from '../../src/util/result.js';
import { demoGateway, waitForState } from '../faces/desk/helpers.js';

let gateway: HostedGateway | undefined;
afterEach(async () => {
  await gateway?.dispose();
  gateway = undefined;
});

class RecordingFace implements SessionFace {
  readonly events: CstaEvent[] = [];
  readonly states: CoreSessionState[] = [];
  onCtiEvent(_s: CoreSession, e: CstaEvent): void {
    this.events.push(e);
  }
  onStateChange(_s: CoreSession, state: CoreSessionState): void {
    this.states.push(state);
  }
}

function open(
  gw: HostedGateway,
  userId: string,
  lineId: string,
  face = new RecordingFace(),
): { session: CoreSession; face: RecordingFace } {
  const user = gw.core.directory.userById(userId);
  const appearance = gw.core.directory.appearances.get(lineId);
  if (user === undefined || appearance === undefined) throw new Error('demo data missing');
  return { session: unwrap(gw.core.openSession({ user, appearance }, face)), face };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ALICE = 'SEP00AABB000001/1001/INTERNAL';
const DAVE = 'SEP00AABB000004/1004/INTERNAL';

describe('CTI pool and sessions under failure', () => {
  it('spreads new sessions round-robin over the CTI connections', async () => {
    // Six sessions of one user: above the default users.maxSessionsPerUser (4).
    gateway = await demoGateway({ demo: { enabled: true, nodes: 3 }, users: { maxSessionsPerUser: 6 } });
    const indexes = Array.from(
      { length: 6 },
      () => open(gateway as HostedGateway, 'alice', ALICE).session.connection.index,
    );
    expect(new Set(indexes).size).toBe(3);
    expect(indexes.slice(0, 3).sort()).toEqual([0, 1, 2]);
    expect(gateway.pool.health().nodes.map((n) => n.sessions)).toEqual([2, 2, 2]);
  });

  it('fails requests fast while the node is down; after reconnect the session restores its monitors by itself, under the same IDs (default: transparent recovery)', async () => {
    gateway = await demoGateway();
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const { session, face } = open(gateway, 'alice', ALICE);
    const monitor = await session.monitorStart(ALICE);
    const node = session.connection.index;
    const firstId = session.boundConnectionId;

    unwrap(await sim.stopNode(node));
    await until(() => session.state === 'ctiDown', 'ctiDown');
    await expect(session.request({ type: 'SnapshotDevice', snapshotObject: ALICE })).rejects.toMatchObject({
      code: 'CTI_NOT_CONNECTED',
    });
    unwrap(await sim.startNode(node));
    await until(() => session.state === 'active', 'restored after reconnect');
    expect(session.connection.index).toBe(node);
    expect(session.boundConnectionId).not.toBe(firstId);
    expect(face.states).toEqual(['ctiDown', 'stale', 'rebinding', 'active']);
    // The monitor was re-created on the CTI side: its events carry the ID the face knows.
    await session.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: '1200',
      autoOriginate: 'doNotPrompt',
    });
    await until(() => face.events.some((e) => e.type === 'EstablishedEvent'), 'events after the restore');
    expect(face.events.every((e) => 'monitorCrossRefID' in e && e.monitorCrossRefID === monitor)).toBe(true);
  });

  it('with sessionRecovery reinvite (Cisco): the stale session is refused after reconnect until rebound', async () => {
    gateway = await demoGateway({ cti: { sessionRecovery: 'reinvite' } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const { session, face } = open(gateway, 'alice', ALICE);
    await session.monitorStart(ALICE);
    const node = session.connection.index;
    const firstId = session.boundConnectionId;

    unwrap(await sim.stopNode(node));
    await until(() => session.state === 'ctiDown', 'ctiDown');
    const started = Date.now();
    await expect(session.request({ type: 'SnapshotDevice', snapshotObject: ALICE })).rejects.toMatchObject({
      code: 'CTI_NOT_CONNECTED',
    });
    expect(Date.now() - started).toBeLessThan(1000); // fail fast, not a timeout

    // New sessions skip the dead node.
    const other = open(gateway, 'dave', DAVE).session;
    expect(other.connection.index).not.toBe(node);

    unwrap(await sim.startNode(node));
    await until(() => session.state === 'stale', 'stale after reconnect');
    expect(session.connection.connectionId).not.toBe(firstId);
    await expect(session.request({ type: 'SnapshotDevice', snapshotObject: ALICE })).rejects.toMatchObject({
      code: 'SESSION_STALE',
    });

    await session.rebind();
    expect(session.state).toBe('active');
    expect(session.boundConnectionId).not.toBe(firstId);
    // The monitor was re-created: events flow again.
    await session.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: '1200',
      autoOriginate: 'doNotPrompt',
    });
    await until(() => face.events.some((e) => e.type === 'EstablishedEvent'), 'events after rebind');
    expect(face.states).toEqual(['ctiDown', 'stale', 'rebinding', 'active']);
  });

  it('detects a frozen node by missed heartbeats and reconnects when it thaws', async () => {
    gateway = await demoGateway({ cti: { heartbeatIntervalMs: 300, heartbeatMissLimit: 2 } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const connection = gateway.pool.connections[1];
    if (connection === undefined) throw new Error('no connection');
    const before = connection.connectionId;
    unwrap(sim.freezeNode(1));
    await until(() => connection.viewState === 'degraded', 'degraded after a missed heartbeat');
    await until(() => connection.viewState === 'down', 'down after the miss limit');
    expect(connection.view().lastError).toMatch(/missed 2 heartbeats/);
    unwrap(sim.thawNode(1));
    await until(() => connection.viewState === 'up', 'up again');
    expect(connection.connectionId).not.toBe(before);
  });

  it('moves sessions to a healthy connection transparently when moveSessionsOnFailure is on', async () => {
    gateway = await demoGateway({ cti: { moveSessionsOnFailure: true } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const { session, face } = open(gateway, 'alice', ALICE);
    const monitor = await session.monitorStart(ALICE);
    const node = session.connection.index;
    unwrap(await sim.stopNode(node));
    await until(() => session.state === 'active' && session.connection.index !== node, 'moved');
    await session.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: '1200',
      autoOriginate: 'doNotPrompt',
    });
    await until(() => face.events.some((e) => e.type === 'EstablishedEvent'), 'events after the move');
    expect(face.events.every((e) => 'monitorCrossRefID' in e && e.monitorCrossRefID === monitor)).toBe(true);
  });

  it('the desk API recovers by itself when its node fails', async () => {
    gateway = await demoGateway();
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE });
    const bound = [...gateway.core.allSessions()][0];
    const node = bound?.connection.index ?? 0;
    const recovering = waitForState(desk, (s) => s.session.state === 'recovering', 'recovering');
    unwrap(await sim.stopNode(node));
    await recovering;
    await waitForState(desk, (s) => s.session.state === 'active', 'active again on the other node');
    const call = await desk.handlers['desk.makeCall']({ number: '1200' });
    await waitForState(
      desk,
      (s) => s.calls.some((c) => c.callId === call.callId && c.state === 'connected'),
      'call on the other node',
    );
    unwrap(await sim.startNode(node));
  });
});
