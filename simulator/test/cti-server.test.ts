// The simulator's CTI Manager nodes over real TCP on 127.0.0.1 (port 0), spoken to with the real
// codec and framing. The simulator runs on a fake clock: far ends, auto answer and session timers
// move only when a test says so.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeFrame,
  directoryFromPrivateData,
  MemoryLogger,
  type CstaMessage,
} from '../../gateway/src/protocol.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { startSimulator, type Simulator } from '../src/index.js';
import { DEMO_NUMBERS } from '../src/demo-cluster.js';
import { ALICE, CAROL_DAVE, CAROL_DESK, DAVE, EMMA, GRACE_LAB } from './helpers.js';
import { pause, TestCtiClient } from './cti-test-client.js';

let sim: Simulator;
let clock: FakeClock;
let logger: MemoryLogger;
const clients: TestCtiClient[] = [];

beforeEach(async () => {
  clock = new FakeClock();
  logger = new MemoryLogger();
  sim = await startSimulator({ nodes: 2, port: 0, clock, logger });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await sim.dispose();
});

function port(node = 0): number {
  const p = sim.nodes[node]?.port;
  if (p === undefined) throw new Error(`no node ${node}`);
  return p;
}

async function session(node = 0): Promise<TestCtiClient> {
  const c = await TestCtiClient.session(port(node));
  clients.push(c);
  return c;
}

async function connectRaw(node = 0): Promise<TestCtiClient> {
  const c = await TestCtiClient.connect(port(node));
  clients.push(c);
  return c;
}

async function monitor(client: TestCtiClient, deviceId: string): Promise<string> {
  const response = await client.request({ type: 'MonitorStart', monitorObject: { deviceObject: deviceId } });
  if (response.type !== 'MonitorStartResponse')
    throw new Error(`MonitorStart ${deviceId} refused: ${JSON.stringify(response)}`);
  return response.monitorCrossRefID;
}

function errorOf(message: CstaMessage): string {
  return message.type === 'CSTAErrorCode' ? `${message.errorClass}/${message.value}` : message.type;
}

/** Event type and local connection state, as a compact trace. */
function trace(client: TestCtiClient): string[] {
  return client
    .events()
    .map((m) =>
      'localConnectionInfo' in m && m.localConnectionInfo !== undefined
        ? `${m.type}:${m.localConnectionInfo}`
        : m.type,
    );
}

describe('application session (docs/cti-link.md §3)', () => {
  it('refuses a wrong password without logging it, and closes after repeated failures', async () => {
    const c = await connectRaw();
    const refused = await c.startSession('deskline', 'wrong-password-123');
    expect(refused).toEqual({
      type: 'StartApplicationSessionNegResponse',
      errorCode: { definedError: 'invalidApplicationInfo' },
    });
    expect(JSON.stringify(logger.records)).not.toContain('wrong-password-123');
    expect(logger.records.some((r) => r.level === 'warn' && r.message.includes('bad credentials'))).toBe(
      true,
    );
    await c.startSession('deskline', 'again-wrong');
    await c.startSession('someone', 'deskline');
    await c.closed;
    expect(c.isOpen).toBe(false);
  });

  it('gives a new session ID on every session, across reconnects and nodes', async () => {
    const ids = new Set<string>();
    for (const node of [0, 0, 1]) {
      const c = await session(node);
      expect(c.sessionId).toMatch(/^[0-9a-f]{8}-\d{6}$/);
      ids.add(c.sessionId as string);
      c.close();
      await c.closed;
    }
    expect(ids.size).toBe(3);
  });

  it('refuses requests before a session, answers heartbeats, and stops on request', async () => {
    const c = await connectRaw();
    expect(errorOf(await c.request({ type: 'MonitorStart', monitorObject: { deviceObject: ALICE } }))).toBe(
      'security/generic',
    );
    expect(
      await c.request({ type: 'ResetApplicationSessionTimer', sessionID: 'x', requestedSessionDuration: 30 }),
    ).toMatchObject({
      type: 'ResetApplicationSessionTimerNegResponse',
    });
    const started = await c.startSession('deskline', 'deskline', 30);
    expect(started).toMatchObject({
      type: 'StartApplicationSessionPosResponse',
      actualProtocolVersion: 'http://www.ecma-international.org/standards/ecma-323/csta/ed3',
      actualSessionDuration: 30,
    });
    expect(await c.heartbeat()).toEqual({
      type: 'ResetApplicationSessionTimerPosResponse',
      actualSessionDuration: 60,
    });
    expect(
      await c.request({
        type: 'ResetApplicationSessionTimer',
        sessionID: 'not-mine',
        requestedSessionDuration: 30,
      }),
    ).toEqual({
      type: 'ResetApplicationSessionTimerNegResponse',
      errorCode: { definedError: 'invalidSessionID' },
    });
    expect(await c.request({ type: 'SystemStatus', systemStatus: 'normal' })).toEqual({
      type: 'SystemStatusResponse',
    });
    expect(await c.request({ type: 'RequestSystemStatus' })).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });
    expect(
      await c.request({
        type: 'StopApplicationSession',
        sessionID: c.sessionId ?? '',
        sessionEndReason: { definedEndReason: 'normal' },
      }),
    ).toEqual({
      type: 'StopApplicationSessionPosResponse',
    });
    await c.closed;
  });

  it('ends a session whose timer expires: StopApplicationSession, monitors released, connection closed', async () => {
    const c = await TestCtiClient.session(port(), { durationS: 10 });
    clients.push(c);
    await monitor(c, ALICE);
    expect(sim.nodes[0]?.monitors).toBe(1);
    clock.advance(9_999);
    await c.request({
      type: 'ResetApplicationSessionTimer',
      sessionID: c.sessionId ?? '',
      requestedSessionDuration: 10,
    }); // resets the timer
    clock.advance(9_999);
    expect(c.isOpen).toBe(true);
    clock.advance(1);
    const stop = await c.waitFor((r) => r.message.type === 'StopApplicationSession');
    expect(stop.message).toMatchObject({
      sessionID: c.sessionId,
      sessionEndReason: { appEndReason: 'sessionTimerExpired' },
    });
    await c.closed;
    expect(sim.nodes[0]?.monitors).toBe(0);
    expect(sim.nodes[0]?.sessions).toBe(0);
  });
});

describe('directory (docs/cti-link.md §4)', () => {
  it('answers GetSwitchingFunctionDevices then sends the directory as segments', async () => {
    const c = await session();
    const response = await c.request({ type: 'GetSwitchingFunctionDevices' });
    expect(response.type).toBe('GetSwitchingFunctionDevicesResponse');
    const crossRef =
      response.type === 'GetSwitchingFunctionDevicesResponse' ? response.serviceCrossRefID : '';
    const last = await c.waitForEvent('SwitchingFunctionDevices', 1, (m) => m.lastSegment);
    const segments = c.eventsOfType('SwitchingFunctionDevices');
    expect(segments.map((s) => s.segmentID)).toEqual(segments.map((_, i) => i + 1));
    expect(last.serviceCrossRefID).toBe(crossRef);
    const users = segments.flatMap((s) => {
      const d = directoryFromPrivateData(s.extensions?.privateData);
      return d.ok ? d.value.users : [];
    });
    const devices = segments.flatMap((s) => {
      const d = directoryFromPrivateData(s.extensions?.privateData);
      return d.ok ? d.value.devices : [];
    });
    expect(users.find((u) => u.id === 'frank')).toMatchObject({
      licence: null,
      controlledDevices: ['SEP00AABB000006'],
    });
    expect(users.find((u) => u.id === 'carol')?.controlledDevices).toEqual([
      'SEP00AABB000003',
      'SEP00AABB000013',
    ]);
    expect(devices.find((d) => d.name === 'SEP00AABB000017')?.ctiAllowed).toBe(false);
    expect(devices.find((d) => d.name === 'SEP00AABB000003')?.lines).toEqual([
      { index: 1, dn: '1003', partition: 'INTERNAL', label: 'Carol Chen', e164: '+14085551003' },
      { index: 2, dn: '1004', partition: 'INTERNAL', label: 'Dave (shared)', e164: '+14085551004' },
    ]);
    const entries = segments.flatMap((s) => s.deviceList ?? []).map((e) => e.deviceID);
    expect(entries).toContain(CAROL_DAVE);
    expect(entries.length).toBe(sim.cluster.appearanceCount());
  });

  it('segments a large directory under the frame limit', async () => {
    await sim.dispose();
    const { generateCluster } = await import('../src/demo-cluster.js');
    sim = await startSimulator({ cluster: generateCluster({ users: 3_000 }), clock, logger });
    const c = await session();
    await c.request({ type: 'GetSwitchingFunctionDevices' });
    await c.waitForEvent('SwitchingFunctionDevices', 1, (m) => m.lastSegment);
    const segments = c.eventsOfType('SwitchingFunctionDevices');
    expect(segments.length).toBeGreaterThan(1);
    expect(segments.flatMap((s) => s.deviceList ?? []).length).toBe(3_000);
  });
});

describe('monitors and call control over the wire (docs/cti-link.md §6)', () => {
  it('MakeCall between two monitored lines: the right events on the right monitors, response first', async () => {
    const a = await session(0);
    const b = await session(1); // a monitor on another node sees the same call
    const aliceRef = await monitor(a, ALICE);
    const daveRef = await monitor(b, DAVE);
    const carolRef = await monitor(b, CAROL_DAVE);

    const made = await a.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: '1004',
      autoOriginate: 'doNotPrompt',
    });
    expect(made.type).toBe('MakeCallResponse');
    const callId = made.type === 'MakeCallResponse' ? (made.callingDevice.callID as string) : '';
    expect(made).toEqual({ type: 'MakeCallResponse', callingDevice: { callID: callId, deviceID: ALICE } });
    // The response came before any event of the call.
    const responseAt = a.received.findIndex((r) => r.message.type === 'MakeCallResponse');
    const firstEventAt = a.received.findIndex((r) => r.invokeId === 9999);
    expect(responseAt).toBeLessThan(firstEventAt);

    await a.waitForEvent('DeliveredEvent', 2);
    const delivered = await b.waitForEvent('DeliveredEvent', 4);
    expect(trace(a)).toEqual([
      'ServiceInitiatedEvent:initiated',
      'OriginatedEvent:connected',
      'DeliveredEvent:connected',
      'DeliveredEvent:connected',
    ]);
    const originated = a.eventsOfType('OriginatedEvent')[0];
    expect(originated).toMatchObject({
      monitorCrossRefID: aliceRef,
      originatedConnection: { callID: callId, deviceID: ALICE },
      callingDevice: { id: ALICE },
      calledDevice: { id: '1004' },
      cause: 'makeCall',
    });
    // Both devices of the shared line see it ring, each on its own monitor.
    const forDave = b.eventsOfType('DeliveredEvent').filter((e) => e.monitorCrossRefID === daveRef);
    const forCarol = b.eventsOfType('DeliveredEvent').filter((e) => e.monitorCrossRefID === carolRef);
    expect(forDave.map((e) => e.localConnectionInfo)).toEqual(['alerting', 'alerting']);
    expect(forCarol.map((e) => e.localConnectionInfo)).toEqual(['alerting', 'alerting']);
    expect(delivered).toMatchObject({
      callingDevice: { id: ALICE },
      calledDevice: { id: '1004' },
      lastRedirectionDevice: { absent: 'notRequired' },
      cause: 'newCall',
    });
    expect(forDave.map((e) => e.alertingDevice)).toEqual([{ id: DAVE }, { id: CAROL_DAVE }]);

    // Dave answers; Carol's appearance stops ringing; both ends see Established.
    expect(
      await b.request({ type: 'AnswerCall', callToBeAnswered: { callID: callId, deviceID: DAVE } }),
    ).toEqual({ type: 'AnswerCallResponse' });
    const established = await a.waitForEvent('EstablishedEvent');
    expect(established).toMatchObject({
      monitorCrossRefID: aliceRef,
      establishedConnection: { callID: callId, deviceID: DAVE },
      answeringDevice: { id: DAVE },
      localConnectionInfo: 'connected',
    });
    await b.waitForEvent('EstablishedEvent', 1, (e) => e.monitorCrossRefID === daveRef);
    const carolCleared = await b.waitForEvent(
      'ConnectionClearedEvent',
      1,
      (e) => e.monitorCrossRefID === carolRef,
    );
    expect(carolCleared).toMatchObject({
      droppedConnection: { callID: callId, deviceID: CAROL_DAVE },
      localConnectionInfo: 'null',
    });

    // Alice hangs up: everyone sees the connection and the call cleared.
    expect(
      await a.request({
        type: 'ClearConnection',
        connectionToBeCleared: { callID: callId, deviceID: ALICE },
      }),
    ).toEqual({ type: 'ClearConnectionResponse' });
    await a.waitForEvent('CallClearedEvent');
    const cleared = await b.waitForEvent('CallClearedEvent', 1, (e) => e.monitorCrossRefID === daveRef);
    expect(cleared).toMatchObject({ clearedCall: { callID: callId }, cause: 'normalClearing' });
    expect(sim.model.callCount()).toBe(0);
  });

  it('hold, consultation, transfer, then a conference, seen by the monitors', async () => {
    const a = await session();
    await monitor(a, ALICE);
    const d = await session(1);
    await monitor(d, DAVE);
    await monitor(d, EMMA);
    const made = await a.request({ type: 'MakeCall', callingDevice: ALICE, calledDirectoryNumber: '1004' });
    const first = made.type === 'MakeCallResponse' ? (made.callingDevice.callID as string) : '';
    await d.request({ type: 'AnswerCall', callToBeAnswered: { callID: first, deviceID: DAVE } });
    const consult = await a.request({
      type: 'ConsultationCall',
      existingCall: { callID: first, deviceID: ALICE },
      consultedDevice: '1005',
    });
    expect(consult.type).toBe('ConsultationCallResponse');
    const second =
      consult.type === 'ConsultationCallResponse' ? (consult.initiatedCall.callID as string) : '';
    expect(await a.waitForEvent('HeldEvent')).toMatchObject({
      heldConnection: { callID: first, deviceID: ALICE },
      localConnectionInfo: 'hold',
      cause: 'consultation',
    });
    await d.request({ type: 'AnswerCall', callToBeAnswered: { callID: second, deviceID: EMMA } });

    // Conference: Alice, Dave and Emma.
    const conf = await a.request({
      type: 'ConferenceCall',
      heldCall: { callID: first, deviceID: ALICE },
      activeCall: { callID: second, deviceID: ALICE },
    });
    expect(conf).toEqual({
      type: 'ConferenceCallResponse',
      conferenceCall: { callID: first, deviceID: ALICE },
    });
    const conferenced = await d.waitForEvent('ConferencedEvent', 2);
    expect(conferenced).toMatchObject({
      primaryOldCall: { callID: first },
      secondaryOldCall: { callID: second },
      conferencingDevice: { id: ALICE },
      addedParty: { id: EMMA },
      cause: 'conference',
    });
    expect(conferenced.conferenceConnections.map((c) => c.endpoint?.deviceID)).toEqual([ALICE, DAVE, EMMA]);

    // Alice leaves; Dave and Emma go on. Then transfer is refused without a held call.
    await a.request({ type: 'ClearConnection', connectionToBeCleared: { callID: first, deviceID: ALICE } });
    expect(sim.model.call(first)?.connections.map((c) => c.deviceId)).toEqual([DAVE, EMMA]);
    const refused = await d.request({
      type: 'TransferCall',
      heldCall: { callID: first, deviceID: DAVE },
      activeCall: { callID: first, deviceID: EMMA },
    });
    expect(errorOf(refused)).toBe('operation/requestIncompatibleWithObject');

    // Consultative transfer: Dave holds, consults the far end, transfers.
    const c2 = await d.request({
      type: 'ConsultationCall',
      existingCall: { callID: first, deviceID: DAVE },
      consultedDevice: DEMO_NUMBERS.answers,
    });
    const third = c2.type === 'ConsultationCallResponse' ? (c2.initiatedCall.callID as string) : '';
    clock.advance(3_000); // the far end answers
    await d.waitForEvent('EstablishedEvent', 1, (e) => e.establishedConnection.callID === third);
    const transferred = await d.request({
      type: 'TransferCall',
      heldCall: { callID: first, deviceID: DAVE },
      activeCall: { callID: third, deviceID: DAVE },
    });
    expect(transferred).toEqual({
      type: 'TransferCallResponse',
      transferredCall: { callID: first, deviceID: DEMO_NUMBERS.answers },
    });
    const event = await d.waitForEvent(
      'TransferedEvent',
      1,
      (e) => e.monitorCrossRefID !== undefined && e.transferringDevice !== undefined,
    );
    expect(event).toMatchObject({
      primaryOldCall: { callID: first, deviceID: DAVE },
      secondaryOldCall: { callID: third, deviceID: DAVE },
      transferringDevice: { id: DAVE },
      transferredToDevice: { id: DEMO_NUMBERS.answers },
      cause: 'transfer',
    });
    expect(sim.model.call(first)?.connections.map((c) => c.deviceId)).toEqual([EMMA, DEMO_NUMBERS.answers]);
  });

  it('forwarding and DND reach every monitor of the line or phone; Get* answer', async () => {
    const c = await session();
    await monitor(c, DAVE);
    const carol = await monitor(c, CAROL_DAVE);
    await monitor(c, CAROL_DESK);
    expect(
      await c.request({
        type: 'SetForwarding',
        device: DAVE,
        forwardingType: 'forwardNoAns',
        activateForward: true,
        forwardDN: '1005',
        ringCount: 3,
      }),
    ).toEqual({
      type: 'SetForwardingResponse',
    });
    const fwd = await c.waitForEvent('ForwardingEvent', 2);
    expect(fwd).toMatchObject({
      monitorCrossRefID: carol,
      device: { id: CAROL_DAVE },
      forwardingType: 'forwardNoAns',
      forwardStatus: true,
      forwardTo: '1005',
      ringCount: 3,
    });
    const got = await c.request({ type: 'GetForwarding', device: CAROL_DAVE });
    expect(got).toEqual({
      type: 'GetForwardingResponse',
      forwardingList: [
        { forwardingType: 'forwardImmediate', forwardStatus: false },
        { forwardingType: 'forwardBusy', forwardStatus: false },
        { forwardingType: 'forwardNoAns', forwardStatus: true, forwardDN: '1005', ringCount: 3 },
      ],
    });
    expect(
      errorOf(
        await c.request({
          type: 'SetForwarding',
          device: DAVE,
          forwardingType: 'forwardDND',
          activateForward: true,
          forwardDN: '1005',
        }),
      ),
    ).toBe('operation/invalidFeature');
    await c.request({ type: 'SetDoNotDisturb', device: CAROL_DESK, doNotDisturbOn: true });
    const dnd = await c.waitForEvent('DoNotDisturbEvent', 2);
    expect(c.eventsOfType('DoNotDisturbEvent').map((e) => e.device)).toEqual([
      { id: CAROL_DESK },
      { id: CAROL_DAVE },
    ]);
    expect(dnd.doNotDisturbOn).toBe(true);
    expect(await c.request({ type: 'GetDoNotDisturb', device: CAROL_DAVE })).toEqual({
      type: 'GetDoNotDisturbResponse',
      doNotDisturbOn: true,
    });
  });

  it('SnapshotDevice, GenerateDigits and GetCSTAFeatures', async () => {
    const c = await session();
    await monitor(c, ALICE);
    const made = await c.request({
      type: 'MakeCall',
      callingDevice: ALICE,
      calledDirectoryNumber: DEMO_NUMBERS.answers,
    });
    const callId = made.type === 'MakeCallResponse' ? (made.callingDevice.callID as string) : '';
    clock.advance(3_000);
    await c.waitForEvent('EstablishedEvent');
    expect(await c.request({ type: 'SnapshotDevice', snapshotObject: ALICE })).toEqual({
      type: 'SnapshotDeviceResponse',
      crossRefIDorSnapshotData: {
        snapshotData: [
          {
            connectionIdentifier: { callID: callId, deviceID: ALICE },
            localCallState: { compoundCallState: ['connected'] },
          },
        ],
      },
    });
    expect(
      await c.request({
        type: 'GenerateDigits',
        connectionToSendDigits: { callID: callId, deviceID: ALICE },
        charactersToSend: '123#',
      }),
    ).toEqual({ type: 'GenerateDigitsResponse' });
    expect(await c.waitForEvent('DigitsGeneratedEvent')).toMatchObject({
      connection: { callID: callId, deviceID: ALICE },
      digitGeneratedList: '123#',
    });
    const features = await c.request({ type: 'GetCSTAFeatures' });
    expect(
      features.type === 'GetCSTAFeaturesResponse' ? features.supportedServices['callControlServList'] : [],
    ).toContain('makeCall');
  });

  it('an inbound call placed on demand rings the monitored line', async () => {
    const c = await session();
    await monitor(c, EMMA);
    const call = sim.placeInboundCall('+14155550123', '1005');
    expect(call.ok).toBe(true);
    const delivered = await c.waitForEvent('DeliveredEvent');
    expect(delivered).toMatchObject({
      alertingDevice: { id: EMMA },
      callingDevice: { id: '+14155550123' },
      calledDevice: { id: '1005' },
      localConnectionInfo: 'alerting',
    });
  });
});

describe('errors (docs/cti-link.md §6)', () => {
  it('answers invalid requests with CSTAErrorCode and changes nothing', async () => {
    const c = await session();
    expect(
      errorOf(await c.request({ type: 'MonitorStart', monitorObject: { deviceObject: GRACE_LAB } })),
    ).toBe('operation/privilegeViolationSpecifiedDevice');
    expect(
      errorOf(
        await c.request({
          type: 'MonitorStart',
          monitorObject: { deviceObject: 'SEP00AABB0000FF/1/INTERNAL' },
        }),
      ),
    ).toBe('operation/invalidMonitorObject');
    expect(errorOf(await c.request({ type: 'MonitorStop', monitorCrossRefID: 'm999' }))).toBe(
      'operation/invalidCrossRefID',
    );
    expect(
      errorOf(await c.request({ type: 'MakeCall', callingDevice: GRACE_LAB, calledDirectoryNumber: '1001' })),
    ).toBe('operation/privilegeViolationSpecifiedDevice');
    expect(
      errorOf(
        await c.request({ type: 'AnswerCall', callToBeAnswered: { callID: '424242', deviceID: ALICE } }),
      ),
    ).toBe('operation/invalidConnectionID');
    expect(errorOf(await c.request({ type: 'HoldCall', callToBeHeld: {} }))).toBe(
      'operation/invalidConnectionID',
    );
    const made = await c.request({ type: 'MakeCall', callingDevice: ALICE, calledDirectoryNumber: '1005' });
    const callId = made.type === 'MakeCallResponse' ? (made.callingDevice.callID as string) : '';
    expect(
      errorOf(await c.request({ type: 'AnswerCall', callToBeAnswered: { callID: callId, deviceID: ALICE } })),
    ).toBe('stateIncompatibility/noCallToAnswer');
    expect(
      errorOf(
        await c.request({ type: 'RetrieveCall', callToBeRetrieved: { callID: callId, deviceID: ALICE } }),
      ),
    ).toBe('stateIncompatibility/noHeldCall');
    expect(sim.model.call(callId)?.connections).toEqual([
      { deviceId: ALICE, state: 'connected' },
      { deviceId: EMMA, state: 'alerting' },
    ]);
    // The monitor on the disallowed device was never created.
    expect(sim.nodes[0]?.monitors).toBe(0);
  });

  it('answers an undecodable document with CSTAErrorCode and keeps the connection', async () => {
    const c = await session();
    c.sendRaw(encodeFrame(77, '<NotCsta xmlns="urn:x"/>'));
    c.sendRaw(
      encodeFrame(
        78,
        '<MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>',
      ),
    );
    c.sendRaw(encodeFrame(79, '<!DOCTYPE x [<!ENTITY a "b">]><MakeCall/>'));
    const r77 = await c.waitFor((r) => r.invokeId === 77);
    const r79 = await c.waitFor((r) => r.invokeId === 79);
    expect(errorOf(r77.message)).toBe('operation/generic');
    expect(errorOf(r79.message)).toBe('operation/generic');
    expect(await c.heartbeat()).toMatchObject({ type: 'ResetApplicationSessionTimerPosResponse' });
  });

  it('closes the connection on a corrupt frame header, and logs why', async () => {
    const c = await session();
    const corrupt = Buffer.from([0x00, 0x01, 0x00, 0x10, 0x30, 0x30, 0x30, 0x31]);
    c.sendRaw(corrupt);
    await c.closed;
    expect(logger.records.some((r) => r.level === 'warn' && r.message.includes('corrupt frame'))).toBe(true);
    expect(sim.nodes[0]?.connections).toBe(0);
  });

  it('reassembles requests split at every byte', async () => {
    const c = await session();
    const frame = encodeFrame(
      500,
      '<?xml version="1.0"?><RequestSystemStatus xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"/>',
    );
    for (const byte of frame) {
      c.sendRaw(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const r = await c.waitFor((x) => x.invokeId === 500);
    expect(r.message).toEqual({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
  });
});

describe('node lifecycle (docs/simulator.md)', () => {
  it('stop closes the listener and every connection, releasing their monitors; start listens on the same port again', async () => {
    const c = await session(0);
    await monitor(c, ALICE);
    const other = await session(1);
    const p = port(0);
    const stopped = await sim.stopNode(0);
    expect(stopped.ok && stopped.value.state).toBe('stopped');
    await c.closed;
    await expect(TestCtiClient.connect(p)).rejects.toThrow(/ECONNREFUSED/);
    expect(other.isOpen).toBe(true); // the other node is untouched
    expect(await other.heartbeat()).toMatchObject({ type: 'ResetApplicationSessionTimerPosResponse' });
    const started = await sim.startNode(0);
    expect(started.ok && started.value).toMatchObject({
      state: 'running',
      port: p,
      connections: 0,
      monitors: 0,
    });
    const again = await session(0);
    expect(again.sessionId).not.toBe(c.sessionId);
    // Monitors were released: an event for Alice reaches nobody on the old session.
    expect(sim.nodes.reduce((n, v) => n + v.monitors, 0)).toBe(0);
  });

  it('freeze stops answering (heartbeats included) with sockets open; thaw answers what waited', async () => {
    const frozenSide = await session(0);
    const running = await session(1);
    await monitor(frozenSide, EMMA);
    expect(sim.freezeNode(0).ok).toBe(true);
    expect(sim.nodes[0]?.state).toBe('frozen');
    const heartbeatId = frozenSide.requestNoWait({
      type: 'ResetApplicationSessionTimer',
      sessionID: frozenSide.sessionId ?? '',
      requestedSessionDuration: 60,
    });
    // A new connection is accepted but its session is not answered.
    const late = await connectRaw(0);
    const lateSession = late.startSession('deskline', 'deskline');
    // Events for the frozen node's monitors are not sent either.
    sim.placeInboundCall('+14155550123', '1005');
    // Give a frozen node every chance to answer: several round trips on the running node, then a pause.
    for (let i = 0; i < 3; i++) await running.heartbeat();
    await pause(200);
    expect(frozenSide.received.some((r) => r.invokeId === heartbeatId)).toBe(false);
    expect(frozenSide.events()).toEqual([]);
    expect(late.received).toEqual([]);
    expect(frozenSide.isOpen).toBe(true);
    expect(late.isOpen).toBe(true);
    // The session timer does not run while frozen either.
    clock.advance(120_000);
    expect(frozenSide.isOpen).toBe(true);

    expect(sim.thawNode(0).ok).toBe(true);
    await frozenSide.waitFor((r) => r.invokeId === heartbeatId);
    expect(await lateSession).toMatchObject({ type: 'StartApplicationSessionPosResponse' });
    expect(await frozenSide.heartbeat()).toMatchObject({ type: 'ResetApplicationSessionTimerPosResponse' });
  });

  it('mute-requests answers heartbeats only: other requests are swallowed, no events; unmute answers again', async () => {
    const mutedSide = await session(0);
    await monitor(mutedSide, EMMA);
    expect(sim.muteRequestsNode(0).ok).toBe(true);
    expect(sim.nodes[0]?.state).toBe('muted');
    const snapshotId = mutedSide.requestNoWait({ type: 'SnapshotDevice', snapshotObject: EMMA });
    const directoryId = mutedSide.requestNoWait({ type: 'GetSwitchingFunctionDevices' });
    sim.placeInboundCall('+14155550123', '1005');
    // Heartbeats, in both forms, are answered; a new session opens.
    expect(await mutedSide.heartbeat()).toMatchObject({ type: 'ResetApplicationSessionTimerPosResponse' });
    expect(await mutedSide.request({ type: 'SystemStatus' })).toMatchObject({ type: 'SystemStatusResponse' });
    const late = await session(0);
    expect(late.sessionId).toBeDefined();
    await pause(100);
    expect(mutedSide.received.some((r) => r.invokeId === snapshotId || r.invokeId === directoryId)).toBe(
      false,
    );
    expect(mutedSide.events()).toEqual([]);

    expect(sim.unmuteRequestsNode(0).ok).toBe(true);
    expect(sim.nodes[0]?.state).toBe('running');
    // What was swallowed stays unanswered; new requests are served.
    expect(errorOf(await mutedSide.request({ type: 'SnapshotDevice', snapshotObject: EMMA }))).toBe(
      'SnapshotDeviceResponse',
    );
    expect(mutedSide.received.some((r) => r.invokeId === snapshotId)).toBe(false);
    expect(sim.unmuteRequestsNode(0).ok).toBe(true); // already running: nothing to do
    expect((await sim.stopNode(0)).ok).toBe(true);
    const muted = sim.muteRequestsNode(0);
    expect(muted.ok ? 'ok' : muted.error.code).toBe('INVALID_STATE');
  });

  it('refuses impossible node operations with a typed error', async () => {
    expect((await sim.stopNode(0)).ok).toBe(true);
    const frozen = sim.freezeNode(0);
    expect(frozen.ok ? 'ok' : frozen.error.code).toBe('INVALID_STATE');
    const thawed = sim.thawNode(1);
    expect(thawed.ok).toBe(true); // already running: nothing to do
    const missing = sim.freezeNode(7);
    expect(missing.ok ? 'ok' : missing.error.code).toBe('INVALID_ARGUMENT');
  });
});
