// Every CSTA body that crosses the wire in real flows validates against the ECMA-323 ed3
// structure (ECMA-354 for application sessions): the simulator and a gateway on loopback, a
// Microsoft RCC client over SIP/TCP and the desk API driving every service, and recording relays
// on both links (wire-recorder.ts) keeping each SIP body and each CTI frame, both ways, exactly as
// the peer received it. Our `dl:` extensions may appear only inside extensions/privateData/private.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeCsta,
  encodeCsta,
  lcsLine,
  type CstaMessage,
  type CstaMessageOf,
  type CstaMessageType,
  type CstaRequest,
} from '../../../src/csta/index.js';
import { createGateway, type Gateway } from '../../../src/gateway.js';
import {
  DEMO_APPLICATION_PASSWORD as DEMO_CTI_PASSWORD,
  DEMO_APPLICATION_USER as DEMO_CTI_USER,
  DEMO_NUMBERING_RULES as DEFAULT_NUMBERING_RULES_CONFIG,
  startSimulator,
  type Simulator,
} from '../../../../simulator/src/index.js';
import { SipRawClient, type RawSession } from '../../support/sip-raw-client.js';
import type { SipResponse } from '../../../src/sip/index.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import { unwrap } from '../../../src/util/result.js';
import { callIn, waitForState } from '../../faces/desk/helpers.js';
import { describeIssues, validateCsta } from './validate.js';
import { eventually, TestCtiClient } from '../../../../simulator/test/cti-test-client.js';
import { RecordingRelay, type CapturedBody, type Endpoint } from './wire-recorder.js';

const ALICE_LINE = 'tel:1001;phone-context=dialstring;partition=INTERNAL';
const BOB_LINE = 'tel:1002;phone-context=dialstring;partition=INTERNAL';
const BOARD_ROOM = 'tel:1300;phone-context=dialstring'; // answers after 1 s
const HELP_DESK = 'tel:1200;phone-context=dialstring'; // answers after 1.5 s
const BUSY = 'tel:+14085550199';
const NOT_OBTAINABLE = 'tel:+19005550100';
const OUTSIDE = '+14085550123';
const CAROL_LINE_ID = 'SEP00AABB000003/1003/INTERNAL';
const ALICE_APPEARANCE = 'SEP00AABB000001/1001/INTERNAL';
const GRACE_LAB = 'SEP00AABB000017/1017/INTERNAL'; // does not allow control from CTI

let sim: Simulator;
let gateway: Gateway;
let cti: RecordingRelay;
let sip: RecordingRelay;
let probe: RecordingRelay;
let application: TestCtiClient | undefined;
let client: SipRawClient;
let session: RawSession;
let xref = '';

function endpoint(hostPort: string): Endpoint {
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

beforeAll(async () => {
  sim = await startSimulator({ cluster: 'demo', nodes: 1, host: '127.0.0.1', port: 0 });
  const node = endpoint(sim.nodes[0]!.address);
  cti = await RecordingRelay.start('CTI', node, { client: 'gateway', server: 'simulator' });
  probe = await RecordingRelay.start('CTI', node, { client: 'CTI test application', server: 'simulator' });
  gateway = await createGateway({
    config: {
      cti: {
        addresses: [cti.hostPort],
        applicationUser: DEMO_CTI_USER,
        password: DEMO_CTI_PASSWORD,
        // Heartbeats cross the link too (ResetApplicationSessionTimer); a generous timeout keeps a
        // busy 2-core machine from declaring the live simulator dead mid-flow.
        heartbeatIntervalMs: 500,
        heartbeatTimeoutMs: 2000,
        requestTimeoutMs: 3000,
      },
      numbering: DEFAULT_NUMBERING_RULES_CONFIG,
      sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port: 0 }] },
      http: { port: null },
    },
    logger: new MemoryLogger(),
  });
  const tcp = gateway.sip?.listenerAddresses().find((l) => l.transport === 'TCP');
  if (tcp === undefined) throw new Error('no SIP/TCP listener');
  sip = await RecordingRelay.start('SIP', endpoint(tcp.address), { client: 'RCC client', server: 'gateway' });
  client = await SipRawClient.connect({ transport: 'TCP', ...sip.address });
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  await sim?.dispose();
  application?.close();
  await sip?.close();
  await cti?.close();
  await probe?.close();
});

// ---- a Microsoft RCC client's side, with bodies written by our codec ---------------------------

const body = (message: CstaMessage): string => encodeCsta(message);

function cstaOf(response: SipResponse): CstaMessage {
  const decoded = decodeCsta(response.body);
  if (!decoded.ok) throw decoded.error;
  return decoded.value.message;
}

/** Sends a request in an INFO and returns the answer, which must be of `type`. */
async function request<T extends CstaMessageType>(message: CstaRequest, type: T): Promise<CstaMessageOf<T>> {
  const response = await session.info(body(message));
  expect(response.status, `${message.type}: ${response.reason}`).toBe(200);
  const answer = cstaOf(response);
  if (answer.type !== type)
    throw new Error(`${message.type}: expected ${type}, got ${JSON.stringify(answer)}`);
  return answer as CstaMessageOf<T>;
}

/** The next event INFO of `type` (other events before it are passed over; the relay kept them). */
async function event<T extends CstaMessageType>(type: T): Promise<CstaMessageOf<T>> {
  for (;;) {
    const info = await client.nextRequest('INFO');
    const decoded = decodeCsta(info.body);
    if (!decoded.ok) throw decoded.error;
    if (decoded.value.message.type === type) return decoded.value.message as CstaMessageOf<T>;
  }
}

const conn = (callID: string): { callID: string; deviceID: string } => ({ callID, deviceID: ALICE_LINE });

/** MakeCall from Alice's line to `to`; waits until the far end answered. Returns the call ID. */
async function callEstablished(to: string): Promise<string> {
  const made = await request(
    { type: 'MakeCall', callingDevice: ALICE_LINE, calledDirectoryNumber: to, autoOriginate: 'doNotPrompt' },
    'MakeCallResponse',
  );
  const callId = made.callingDevice.callID ?? '';
  await event('EstablishedEvent');
  return callId;
}

/** Consults `to` from an established call; waits until it answered. Returns the new call ID. */
async function consulted(callId: string, to: string): Promise<string> {
  const consult = await request(
    { type: 'ConsultationCall', existingCall: conn(callId), consultedDevice: to },
    'ConsultationCallResponse',
  );
  await event('EstablishedEvent');
  return consult.initiatedCall.callID ?? '';
}

async function clear(callId: string): Promise<void> {
  await request({ type: 'ClearConnection', connectionToBeCleared: conn(callId) }, 'ClearConnectionResponse');
  await event('ConnectionClearedEvent');
}

describe('CSTA bodies on the wire, against the ECMA-323 ed3 structure', () => {
  // What the flows leave between far ends (a transfer joins the board room and the help desk, a
  // deflected call stays up at the board room) is cleared, so that each flow finds them free.
  // None of it involves Alice, so her monitor reports nothing of it.
  afterEach(async () => {
    for (const call of sim.model.snapshot()) sim.model.clearCallById(call.callId);
    await client.until(() => sim.model.callCount() === 0, 'an idle cluster');
  });

  it('opens an RCC session: RequestSystemStatus, GetCSTAFeatures, MonitorStart, idle queries', async () => {
    session = await client.openSession({
      uri: 'sip:1001@gw.deskline.test',
      from: '<sip:alice@deskline.example>',
      body: body({ type: 'RequestSystemStatus', extensions: { privateData: [lcsLine(ALICE_LINE)] } }),
    });
    expect(session.inviteResponse.status).toBe(200);
    await request(
      { type: 'GetCSTAFeatures', extensions: { privateData: [lcsLine(ALICE_LINE)] } },
      'GetCSTAFeaturesResponse',
    );
    xref = (
      await request(
        { type: 'MonitorStart', monitorObject: { deviceObject: ALICE_LINE } },
        'MonitorStartResponse',
      )
    ).monitorCrossRefID;
    await request({ type: 'GetForwarding', device: ALICE_LINE }, 'GetForwardingResponse');
    await request({ type: 'GetDoNotDisturb', device: ALICE_LINE }, 'GetDoNotDisturbResponse');
    await request({ type: 'SnapshotDevice', snapshotObject: ALICE_LINE }, 'SnapshotDeviceResponse');
    // The session refresh of older clients: a re-INVITE with RequestSystemStatus.
    const refreshed = await session.reInvite(
      body({ type: 'RequestSystemStatus', extensions: { privateData: [lcsLine(ALICE_LINE)] } }),
    );
    expect(refreshed.status).toBe(200);
  });

  it("the simulator answers a CTI application of the test's own: session errors, directory, refusals", async () => {
    const raw = await TestCtiClient.connect(probe.address.port);
    application = raw;
    const errorCodes: CstaMessage[] = [
      await raw.request({ type: 'MonitorStart', monitorObject: { deviceObject: ALICE_APPEARANCE } }),
      await raw.request({
        type: 'ResetApplicationSessionTimer',
        sessionID: 'none',
        requestedSessionDuration: 30,
      }),
      await raw.startSession(DEMO_CTI_USER, 'not-the-password'),
      await raw.request({
        type: 'StartApplicationSession',
        applicationInfo: {
          applicationID: 'schema-test',
          applicationSpecificInfo: { credentials: { userName: DEMO_CTI_USER, password: DEMO_CTI_PASSWORD } },
        },
        requestedProtocolVersions: ['urn:no-such-protocol'],
      }),
    ];
    expect(errorCodes.map((m) => m.type)).toEqual([
      'CSTAErrorCode',
      'ResetApplicationSessionTimerNegResponse',
      'StartApplicationSessionNegResponse',
      'StartApplicationSessionNegResponse',
    ]);
    // A 5 s session that is never refreshed: the simulator ends it (checked at the end).
    expect((await raw.startSession(DEMO_CTI_USER, DEMO_CTI_PASSWORD, 5)).type).toBe(
      'StartApplicationSessionPosResponse',
    );
    const answers: CstaMessage[] = [];
    for (const message of [
      {
        type: 'StartApplicationSession',
        applicationInfo: { applicationID: 'again' },
        requestedProtocolVersions: ['http://www.ecma-international.org/standards/ecma-323/csta/ed3'],
      },
      { type: 'GetCSTAFeatures' },
      { type: 'RequestSystemStatus' },
      { type: 'SystemStatus', systemStatus: 'normal' },
      { type: 'SnapshotDevice', snapshotObject: ALICE_APPEARANCE },
      { type: 'MakeCall', callingDevice: ALICE_APPEARANCE, calledDirectoryNumber: 'call bob' },
      { type: 'MakeCall', callingDevice: 'SEP00AABB0000FF/1001/INTERNAL', calledDirectoryNumber: '1300' },
      { type: 'MonitorStart', monitorObject: { deviceObject: GRACE_LAB } },
      { type: 'MonitorStart', monitorObject: { deviceObject: ALICE_APPEARANCE }, monitorType: 'call' },
      { type: 'RetrieveCall', callToBeRetrieved: { callID: 'no-such-call', deviceID: ALICE_APPEARANCE } },
      { type: 'SetForwarding', device: ALICE_APPEARANCE, activateForward: true, forwardDN: 'not a number' },
      {
        type: 'StopApplicationSession',
        sessionID: 'not-mine',
        sessionEndReason: { definedEndReason: 'normal' },
      },
    ] satisfies CstaRequest[]) {
      answers.push(await raw.request(message));
    }
    expect(answers.filter((m) => m.type === 'CSTAErrorCode').length).toBeGreaterThanOrEqual(6);
    await raw.request({ type: 'GetSwitchingFunctionDevices' });
    await raw.waitFor(
      (r) => r.message.type === 'SwitchingFunctionDevices' && r.message.lastSegment,
      'the directory',
    );
  });

  it('click-to-dials with its events, snapshots, sends digits, holds, retrieves and hangs up', async () => {
    const made = await request(
      {
        type: 'MakeCall',
        callingDevice: ALICE_LINE,
        calledDirectoryNumber: BOARD_ROOM,
        autoOriginate: 'doNotPrompt',
      },
      'MakeCallResponse',
    );
    const callId = made.callingDevice.callID ?? '';
    expect((await event('OriginatedEvent')).monitorCrossRefID).toBe(xref);
    await event('DeliveredEvent');
    await event('EstablishedEvent');
    const snapshot = await request(
      { type: 'SnapshotDevice', snapshotObject: ALICE_LINE },
      'SnapshotDeviceResponse',
    );
    expect(snapshot.crossRefIDorSnapshotData.snapshotData?.length).toBe(1);
    await request(
      { type: 'GenerateDigits', connectionToSendDigits: conn(callId), charactersToSend: '12#' },
      'GenerateDigitsResponse',
    );
    await event('DigitsGeneratedEvent');
    await request({ type: 'HoldCall', callToBeHeld: conn(callId) }, 'HoldCallResponse');
    await event('HeldEvent');
    await request({ type: 'RetrieveCall', callToBeRetrieved: conn(callId) }, 'RetrieveCallResponse');
    await event('RetrievedEvent');
    await clear(callId);
  });

  it('consults and transfers', async () => {
    const first = await callEstablished(BOARD_ROOM);
    const second = await consulted(first, HELP_DESK);
    await request(
      { type: 'TransferCall', heldCall: conn(first), activeCall: conn(second) },
      'TransferCallResponse',
    );
    await event('TransferedEvent');
  });

  it('alternates between two calls and reconnects', async () => {
    const first = await callEstablished(BOARD_ROOM);
    const second = await consulted(first, HELP_DESK);
    await request(
      { type: 'AlternateCall', heldCall: conn(first), activeCall: conn(second) },
      'AlternateCallResponse',
    );
    await event('RetrievedEvent');
    await request(
      { type: 'ReconnectCall', activeCall: conn(first), heldCall: conn(second) },
      'ReconnectCallResponse',
    );
    await event('RetrievedEvent');
    await clear(second);
  });

  it('conferences', async () => {
    const first = await callEstablished(BOARD_ROOM);
    const second = await consulted(first, HELP_DESK);
    const conference = await request(
      { type: 'ConferenceCall', heldCall: conn(first), activeCall: conn(second) },
      'ConferenceCallResponse',
    );
    await event('ConferencedEvent');
    await clear(conference.conferenceCall.callID ?? '');
  });

  it('deflects, answers, single-step transfers and clears inbound calls', async () => {
    unwrap(sim.placeInboundCall(OUTSIDE, '1001'));
    const ringing = await event('DeliveredEvent');
    await request(
      {
        type: 'DeflectCall',
        callToBeDiverted: conn(ringing.connection.callID ?? ''),
        newDestination: BOARD_ROOM,
      },
      'DeflectCallResponse',
    );
    await event('DivertedEvent');

    unwrap(sim.placeInboundCall(OUTSIDE, '1001'));
    const second = (await event('DeliveredEvent')).connection.callID ?? '';
    await request({ type: 'AnswerCall', callToBeAnswered: conn(second) }, 'AnswerCallResponse');
    await event('EstablishedEvent');
    await request(
      { type: 'SingleStepTransferCall', activeCall: conn(second), transferredTo: HELP_DESK },
      'SingleStepTransferCallResponse',
    );
    await event('TransferedEvent');

    unwrap(sim.placeInboundCall(OUTSIDE, '1001'));
    const third = (await event('DeliveredEvent')).connection.callID ?? '';
    await request({ type: 'AnswerCall', callToBeAnswered: conn(third) }, 'AnswerCallResponse');
    await event('EstablishedEvent');
    await request({ type: 'ClearCall', callToBeCleared: conn(third) }, 'ClearCallResponse');
    await event('ConnectionClearedEvent');
  });

  it('reports calls that fail: busy and not obtainable', async () => {
    for (const to of [BUSY, NOT_OBTAINABLE]) {
      const made = await session.info(
        body({
          type: 'MakeCall',
          callingDevice: ALICE_LINE,
          calledDirectoryNumber: to,
          autoOriginate: 'doNotPrompt',
        }),
      );
      const answer = cstaOf(made);
      if (answer.type === 'MakeCallResponse') {
        await event('FailedEvent');
        await clear(answer.callingDevice.callID ?? '');
      } else {
        expect(answer.type).toBe('CSTAErrorCode');
      }
    }
  });

  it('sets and clears forwarding and do-not-disturb', async () => {
    await request(
      {
        type: 'SetForwarding',
        device: ALICE_LINE,
        forwardingType: 'forwardImmediate',
        activateForward: true,
        forwardDN: HELP_DESK,
      },
      'SetForwardingResponse',
    );
    await event('ForwardingEvent');
    await request({ type: 'GetForwarding', device: ALICE_LINE }, 'GetForwardingResponse');
    await request(
      {
        type: 'SetForwarding',
        device: ALICE_LINE,
        forwardingType: 'forwardImmediate',
        activateForward: false,
      },
      'SetForwardingResponse',
    );
    await event('ForwardingEvent');
    await request(
      { type: 'SetDoNotDisturb', device: ALICE_LINE, doNotDisturbOn: true },
      'SetDoNotDisturbResponse',
    );
    await event('DoNotDisturbEvent');
    await request({ type: 'GetDoNotDisturb', device: ALICE_LINE }, 'GetDoNotDisturbResponse');
    await request(
      { type: 'SetDoNotDisturb', device: ALICE_LINE, doNotDisturbOn: false },
      'SetDoNotDisturbResponse',
    );
    await event('DoNotDisturbEvent');
  });

  it('refuses: a line that is not hers, calls that do not exist, hostile and unknown bodies, bad INVITEs', async () => {
    const refusals: CstaRequest[] = [
      { type: 'MakeCall', callingDevice: BOB_LINE, calledDirectoryNumber: BOARD_ROOM },
      { type: 'MakeCall', callingDevice: ALICE_LINE, calledDirectoryNumber: 'call bob' },
      { type: 'HoldCall', callToBeHeld: conn('no-such-call') },
      { type: 'RetrieveCall', callToBeRetrieved: conn('no-such-call') },
      { type: 'ClearConnection', connectionToBeCleared: conn('no-such-call') },
      { type: 'MonitorStop', monitorCrossRefID: 'no-such-monitor' },
    ];
    for (const refused of refusals) {
      // Each is answered in a 200 OK; most with CSTAErrorCode (the end of the test checks one was).
      const response = await session.info(body(refused));
      expect(response.status, refused.type).toBe(200);
    }
    for (const raw of [
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><MakeCall/>',
      '<MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>',
      '<NoSuchService xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"/>',
    ]) {
      const response = await session.info(raw);
      expect(response.status).toBe(200);
      expect(cstaOf(response).type).toBe('CSTAErrorCode');
    }
    const invite = (user: string, line: string): Promise<RawSession> =>
      client.openSession({
        uri: 'sip:1001@gw.deskline.test',
        from: `<sip:${user}@deskline.example>`,
        body: body({ type: 'RequestSystemStatus', extensions: { privateData: [lcsLine(line)] } }),
      });
    expect(
      (await invite('frank', 'tel:1006;phone-context=dialstring;partition=INTERNAL')).inviteResponse.status,
    ).toBe(403);
    expect(
      (await invite('grace', 'tel:1017;phone-context=dialstring;partition=INTERNAL')).inviteResponse.status,
    ).toBe(403);
    expect((await invite('alice', BOB_LINE)).inviteResponse.status).toBe(403);
  });

  it('drives the desk API over the same CTI link', async () => {
    const desk = gateway.desk('carol');
    await desk.handlers['desk.selectLine']({ lineId: CAROL_LINE_ID });
    const call = await desk.handlers['desk.makeCall']({ number: '1300' });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'connected') !== undefined,
      'connected',
    );
    await desk.handlers['desk.hold']({ callId: call.callId });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'held') !== undefined,
      'held',
    );
    await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => callIn(s, (c) => c.callId === call.callId) === undefined, 'gone');
  });

  it('answers fast with an error while the CTI Manager is down, and signs out', async () => {
    await request({ type: 'MonitorStop', monitorCrossRefID: xref }, 'MonitorStopResponse');
    // The test application's 5 s session has run out by now (the simulator said so and closed).
    await eventually(() => application?.isOpen === false, "the test application's session ended");
    unwrap(await sim.stopNode(0));
    await client.until(() => gateway.health().cti.nodes.every((n) => n.state !== 'up'), 'CTI link down');
    const refused = await request(
      { type: 'MakeCall', callingDevice: ALICE_LINE, calledDirectoryNumber: BOARD_ROOM },
      'CSTAErrorCode',
    );
    expect(refused.errorClass).toBe('systemResourceAvailibility');
    expect((await session.bye()).status).toBe(200);
  });

  it('every body both ways validates, and every service above was on the wire', async () => {
    // Bodies in flight when the last test ended have arrived by now (the relay is on loopback).
    await client.sync();
    expect([...sip.faults, ...cti.faults, ...probe.faults]).toEqual([]);
    const all: CapturedBody[] = [...sip.captured, ...cti.captured, ...probe.captured];
    expect(all.length).toBeGreaterThan(250);
    const failures: string[] = [];
    const seen = new Map<string, Set<string>>();
    for (const captured of all) {
      const result = validateCsta(captured.body);
      const route = `${captured.link} ${captured.from} → ${captured.to}`;
      seen.set(route, (seen.get(route) ?? new Set<string>()).add(result.root));
      // Only the hostile bodies the test's RCC client sent may fail (they are meant to).
      const hostile =
        captured.from === 'RCC client' &&
        /DOCTYPE|NoSuchService|<callingDevice>$/.test(captured.body.toString('utf8'));
      if (result.issues.length > 0 && !hostile) {
        failures.push(
          `${route} (${captured.carrier}) <${result.root}>:\n${describeIssues(result.issues)}\n${captured.body.toString('utf8')}`,
        );
      }
    }
    expect(failures.join('\n\n')).toBe('');

    const types = (route: string): string[] => [...(seen.get(route) ?? new Set<string>())];
    expect(types('SIP gateway → RCC client')).toEqual(
      expect.arrayContaining([
        'RequestSystemStatusResponse',
        'GetCSTAFeaturesResponse',
        'MonitorStartResponse',
        'MonitorStopResponse',
        'MakeCallResponse',
        'OriginatedEvent',
        'DeliveredEvent',
        'EstablishedEvent',
        'HeldEvent',
        'RetrievedEvent',
        'ConnectionClearedEvent',
        'DigitsGeneratedEvent',
        'SnapshotDeviceResponse',
        'GenerateDigitsResponse',
        'HoldCallResponse',
        'RetrieveCallResponse',
        'ClearConnectionResponse',
        'ConsultationCallResponse',
        'TransferCallResponse',
        'TransferedEvent',
        'AlternateCallResponse',
        'ReconnectCallResponse',
        'ConferenceCallResponse',
        'ConferencedEvent',
        'DeflectCallResponse',
        'DivertedEvent',
        'AnswerCallResponse',
        'SingleStepTransferCallResponse',
        'ClearCallResponse',
        'FailedEvent',
        'SetForwardingResponse',
        'GetForwardingResponse',
        'ForwardingEvent',
        'SetDoNotDisturbResponse',
        'GetDoNotDisturbResponse',
        'DoNotDisturbEvent',
        'CSTAErrorCode',
      ]),
    );
    expect(types('CTI gateway → simulator')).toEqual(
      expect.arrayContaining([
        'StartApplicationSession',
        'GetSwitchingFunctionDevices',
        'MonitorStart',
        'MonitorStop',
        'MakeCall',
        'SnapshotDevice',
        'GetForwarding',
        'GetDoNotDisturb',
        'ClearConnection',
        'ConferenceCall',
        'TransferCall',
        'SingleStepTransferCall',
        'DeflectCall',
        'AnswerCall',
        'SetForwarding',
        'SetDoNotDisturb',
      ]),
    );
    expect(types('CTI simulator → gateway')).toEqual(
      expect.arrayContaining([
        'StartApplicationSessionPosResponse',
        'GetSwitchingFunctionDevicesResponse',
        'SwitchingFunctionDevices',
        'MonitorStartResponse',
        'MakeCallResponse',
        'DeliveredEvent',
        'EstablishedEvent',
        'ConferencedEvent',
        'TransferedEvent',
        'CSTAErrorCode',
      ]),
    );
    expect(types('SIP RCC client → gateway')).toEqual(
      expect.arrayContaining(['RequestSystemStatus', 'MakeCall']),
    );
    expect(types('CTI simulator → CTI test application')).toEqual(
      expect.arrayContaining([
        'CSTAErrorCode',
        'StartApplicationSessionNegResponse',
        'StartApplicationSessionPosResponse',
        'ResetApplicationSessionTimerNegResponse',
        'StopApplicationSessionNegResponse',
        'StopApplicationSession', // the session timer ran out
        'GetCSTAFeaturesResponse',
        'RequestSystemStatusResponse',
        'SystemStatusResponse',
        'SnapshotDeviceResponse',
        'GetSwitchingFunctionDevicesResponse',
        'SwitchingFunctionDevices',
      ]),
    );
  });
});
