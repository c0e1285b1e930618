// A CTI Manager stopped and frozen under live RCC sessions (docs/architecture.md §6, docs/msrcc.md
// §8): requests fail fast with a CSTA error; after reconnection the session restores its monitor
// by itself and the client sees nothing (the default, cti.sessionRecovery: transparent) — or, in
// Cisco's way (reinvite), in-session INFO gets 481 and a new INVITE (or an in-dialog re-INVITE)
// restores the session without signing in again; round-robin skips the dead node, and with no CTI
// Manager at all the INVITE gets 503.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { SipRawClient } from '../../support/sip-raw-client.js';
import { unwrap } from '../../../src/util/result.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient, sipGateway } from './helpers.js';

let gateway: HostedGateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RCC sessions when a CTI Manager fails', () => {
  it('fails fast while down; after reconnection the same dialog goes on, its monitor restored under its monitorCrossRefID (default: transparent recovery)', async () => {
    gateway = await sipGateway();
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error('no monitor');
    const core = [...gateway.core.allSessions()][0];
    if (core === undefined) throw new Error('no core session');
    const node = core.connection.index;
    unwrap(await sim.stopNode(node));
    await until(() => core.state === 'ctiDown', 'ctiDown');
    const down = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(csta(down)).toMatchObject({ type: 'CSTAErrorCode', value: 'resourceOutOfService' });
    unwrap(await sim.startNode(node));
    await until(() => core.state === 'active' && sim.nodes[node]!.monitors === 1, 'restored');
    const made = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(made.status).toBe(200);
    expect(csta(made).type).toBe('MakeCallResponse');
    expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: monitor.monitorCrossRefID,
    });
    // Same dialog, same core session: nothing to re-INVITE.
    expect([...gateway.core.allSessions()]).toEqual([core]);
  });

  it('a refresh re-INVITE while no CTI Manager is up keeps the session (200, systemStatus disabled); it restores itself when the node is back', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error('no monitor');
    const core = [...gateway.core.allSessions()][0];
    unwrap(await sim.stopNode(0));
    await until(() => core?.state === 'ctiDown', 'ctiDown');
    // pidgin-sipe refreshes only after a 200: a 503 here would be its last refresh.
    const refresh = await session.reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(refresh.status).toBe(200);
    expect(csta(refresh)).toEqual({ type: 'RequestSystemStatusResponse', systemStatus: 'disabled' });
    expect(refresh.header('warning')).toMatch(/no CTI Manager is available/);
    unwrap(await sim.startNode(0));
    await until(() => core?.state === 'active' && sim.nodes[0]!.monitors === 1, 'restored');
    csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring')));
    expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: monitor.monitorCrossRefID,
    });
  });

  it('Cisco mode (cti.sessionRecovery: reinvite): fails fast while down, 481 after reconnection, and a new INVITE restores the session', async () => {
    gateway = await sipGateway({ cti: { sessionRecovery: 'reinvite' } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const core = [...gateway.core.allSessions()][0];
    if (core === undefined) throw new Error('no core session');
    const node = core.connection.index;

    unwrap(await sim.stopNode(node));
    await until(() => core.state === 'ctiDown', 'ctiDown');
    const started = Date.now();
    const down = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(down.status).toBe(200);
    expect(csta(down)).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
      value: 'resourceOutOfService',
    });

    // Round-robin skips the dead node: a new session lands on the other one.
    const other = await openRcc(client, 'dave', 'tel:1004;phone-context=dialstring;partition=INTERNAL');
    expect(other.inviteResponse.status).toBe(200);
    const daveCore = [...gateway.core.allSessions()].find((s) => s.user.id === 'dave');
    expect(daveCore?.connection.index).not.toBe(node);

    unwrap(await sim.startNode(node));
    await until(() => core.state === 'stale', 'stale');
    const stale = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(stale.status).toBe(481);
    await until(() => core.state === 'closed', 'old session released');

    // The client re-INVITEs (a new dialog): the user does not sign in again.
    const again = await openRcc(client, 'alice', ALICE_LINE);
    expect(again.inviteResponse.status).toBe(200);
    csta(await again.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await again.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    await nextEvent(client, 'EstablishedEvent');
  });

  it('Cisco mode: an in-dialog re-INVITE restores a stale session and its monitor', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 }, cti: { sessionRecovery: 'reinvite' } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error('no monitor');
    const core = [...gateway.core.allSessions()][0];
    unwrap(await sim.stopNode(0));
    await until(() => core?.state === 'ctiDown', 'ctiDown');
    unwrap(await sim.startNode(0));
    await until(() => core?.state === 'stale', 'stale');
    const restored = await session.reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(restored.status).toBe(200);
    expect(core?.state).toBe('active');
    csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring')));
    const event = await nextEvent(client, 'OriginatedEvent');
    expect(event).toMatchObject({ monitorCrossRefID: monitor.monitorCrossRefID });
  });

  it('a frozen node is detected by heartbeats and its sessions fail fast', async () => {
    gateway = await sipGateway({ cti: { heartbeatIntervalMs: 300 } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const core = [...gateway.core.allSessions()][0];
    unwrap(sim.freezeNode(core?.connection.index ?? 0));
    await until(() => core?.state === 'ctiDown', 'frozen node declared down');
    const down = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(csta(down)).toMatchObject({ type: 'CSTAErrorCode', errorClass: 'systemResourceAvailibility' });
    unwrap(sim.thawNode(core?.connection.index ?? 0));
  });

  it('refuses INVITE with 503 and Retry-After when no CTI Manager is up', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    const sim = gateway.simulator;
    if (sim === undefined) throw new Error('no simulator');
    unwrap(await sim.stopNode(0));
    await until(() => gateway?.pool.upCount === 0, 'all down');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(503);
    expect(session.inviteResponse.header('Retry-After')).toBeDefined();
    expect(session.inviteResponse.header('Warning')).toMatch(/no CTI Manager is available/);
    // RFC 3261 §11.2: OPTIONS is answered as an INVITE would be, so a load balancer's probe
    // takes this node out of rotation; it is back once a CTI Manager is.
    const probe = await client.request({ method: 'OPTIONS', uri: 'sip:gw.deskline.test' });
    expect(probe.status).toBe(503);
    expect(probe.header('Retry-After')).toBeDefined();
    unwrap(await sim.startNode(0));
    await until(() => gateway?.pool.upCount === 1, 'up again');
    expect((await client.request({ method: 'OPTIONS', uri: 'sip:gw.deskline.test' })).status).toBe(200);
  });
});
