// The main flows against both CTI link profiles (docs/cti-link.md §7): an RCC session over real
// SIP/TCP, monitors, MakeCall and its events, consultation and transfer, and a CTI Manager failing
// under a live session — once with the deskline profile (the simulator's private directory and
// login), once with the standard profile (users from a file, devices by DN, a vendor credential
// block, the server's own SystemStatus as heartbeat, ed4 on the wire, nothing private).
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRawClient } from '../support/sip-raw-client.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient } from '../faces/msrcc/helpers.js';
import { startWorld, type ProfileName, type World } from './worlds.js';

let world: World | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await world?.dispose();
  client = undefined;
  world = undefined;
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the standard profile must never put on the link, and what it must. */
function expectStandardWire(w: World): void {
  if (w.profile !== 'standard') return;
  const wire = Buffer.concat(w.captures.map((c) => c.bytes())).toString('latin1');
  expect(wire.length).toBeGreaterThan(0);
  expect(wire).not.toMatch(/urn:deskline/i);
  expect(wire).not.toMatch(/SEP00AABB/); // devices by DN, never Deskline's appearance IDs
  const up = Buffer.concat(w.captures.map((c) => c.bytes('up'))).toString('latin1');
  expect(up).toContain('http://www.ecma-international.org/standards/ecma-323/csta/ed4');
  expect(up).not.toContain('http://www.ecma-international.org/standards/ecma-323/csta/ed3"');
  expect(up).toMatch(/<SessionLoginInfo xmlns="http:\/\/www\.avaya\.com\/csta"><userName>/);
}

describe.each<ProfileName>(['deskline', 'standard'])('the %s profile', (profile) => {
  it('opens a session, monitors, click-to-dials, sees the events, hangs up and says BYE', async () => {
    world = await startWorld(profile);
    const gateway = world.gateway;
    expect(gateway.health().directory.provider.kind).toBe(profile === 'deskline' ? 'cti' : 'file');
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(200);
    expect(csta(session.inviteResponse)).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });

    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error(`unexpected ${monitor.type}`);
    const xref = monitor.monitorCrossRefID;
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1002;phone-context=dialstring')));
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    const callId = made.callingDevice.callID ?? '';
    expect(made.callingDevice.deviceID).toBe(ALICE_LINE);

    expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: xref,
      originatedConnection: { callID: callId, deviceID: ALICE_LINE },
    });
    expect(await nextEvent(client, 'DeliveredEvent')).toMatchObject({
      monitorCrossRefID: xref,
      alertingDevice: { id: 'tel:1002;phone-context=dialstring' },
    });
    expect(await nextEvent(client, 'EstablishedEvent')).toMatchObject({
      establishedConnection: { callID: callId },
    });
    expect(csta(await session.info(body.clearConnection(callId, ALICE_LINE))).type).toBe(
      'ClearConnectionResponse',
    );
    await nextEvent(client, 'ConnectionClearedEvent');
    expect(csta(await session.info(body.monitorStop(xref))).type).toBe('MonitorStopResponse');
    expect((await session.bye()).status).toBe(200);
    await client.until(() => gateway.core.sessionCount === 0, 'session released');
    await until(
      () => world?.simulator.nodes.reduce((n, node) => n + node.monitors, 0) === 0,
      'monitors released',
    );
    expectStandardWire(world);
  });

  it('consults and transfers, with events for each', async () => {
    world = await startWorld(profile);
    client = await rawClient(world.gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:+14085551200'))); // the help desk → 1200
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    const first = made.callingDevice.callID ?? '';
    await nextEvent(client, 'EstablishedEvent');
    const consult = csta(
      await session.info(body.consultationCall(first, ALICE_LINE, 'tel:1300;phone-context=dialstring')),
    );
    if (consult.type !== 'ConsultationCallResponse') throw new Error(JSON.stringify(consult));
    expect(consult.initiatedCall.deviceID).toBe(ALICE_LINE);
    await nextEvent(client, 'HeldEvent');
    await nextEvent(client, 'EstablishedEvent');
    const transferred = csta(
      await session.info(
        body.twoCalls('TransferCall', first, consult.initiatedCall.callID ?? '', ALICE_LINE),
      ),
    );
    expect(transferred.type).toBe('TransferCallResponse');
    expect(await nextEvent(client, 'TransferedEvent')).toMatchObject({
      transferringDevice: { id: ALICE_LINE },
    });
    expect((await session.bye()).status).toBe(200);
    expectStandardWire(world);
  });

  it('fails fast while its CTI Manager is down, then restores the session by itself: same dialog, same monitor', async () => {
    world = await startWorld(profile);
    const gateway = world.gateway;
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error(`unexpected ${monitor.type}`);
    const core = [...gateway.core.allSessions()][0];
    if (core === undefined) throw new Error('no core session');
    const node = core.connection.index;

    await world.stopNode(node);
    await until(() => core.state === 'ctiDown', 'ctiDown');
    const down = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(csta(down)).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
      value: 'resourceOutOfService',
    });
    await world.startNode(node);
    // Transparent recovery (the default, docs/msrcc.md §8): no 481, no new INVITE; the client's
    // monitorCrossRefID keeps naming its monitor.
    await until(() => core.state === 'active', 'active again', 15_000);
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    expect(await nextEvent(client, 'EstablishedEvent')).toMatchObject({
      monitorCrossRefID: monitor.monitorCrossRefID,
    });
    expectStandardWire(world);
  });

  it('with cti.sessionRecovery: reinvite, 481 after reconnection and a new INVITE restores the session', async () => {
    world = await startWorld(profile, { cti: { sessionRecovery: 'reinvite' } });
    const gateway = world.gateway;
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const core = [...gateway.core.allSessions()][0];
    if (core === undefined) throw new Error('no core session');
    const node = core.connection.index;

    await world.stopNode(node);
    await until(() => core.state === 'ctiDown', 'ctiDown');
    const down = await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(csta(down)).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
      value: 'resourceOutOfService',
    });
    await world.startNode(node);
    await until(() => core.state === 'stale', 'stale', 15_000);
    expect((await session.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'))).status).toBe(
      481,
    );

    const again = await openRcc(client, 'alice', ALICE_LINE);
    expect(again.inviteResponse.status).toBe(200);
    csta(await again.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await again.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    await nextEvent(client, 'EstablishedEvent');
    expectStandardWire(world);
  });

  it('with moveSessionsOnFailure a session moves to the other node, its monitor with it', async () => {
    world = await startWorld(profile, { cti: { moveSessionsOnFailure: true } });
    const gateway = world.gateway;
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const core = [...gateway.core.allSessions()][0];
    if (core === undefined) throw new Error('no core session');
    const node = core.connection.index;
    await world.stopNode(node);
    await until(() => core.state === 'active' && core.connection.index !== node, 'moved to the other node');
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1002;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    await nextEvent(client, 'EstablishedEvent');
    expectStandardWire(world);
  });
});
