// The Microsoft RCC flow driven by an independent SIP implementation: sip.js 0.21's core in
// Node over WebSocket (RFC 7118), against the whole gateway (SIP stack, RCC face, session core,
// CTI pool) and the demo CTI Manager simulator. Everything an RCC client does in a working day:
// INVITE + RequestSystemStatus, GetCSTAFeatures, MonitorStart, click-to-dial with its events,
// consultation + transfer, conference, forwarding, do-not-disturb, MonitorStop, BYE.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../host/src/demo.js';
import { SipJsCstaClient, type SipJsSession } from '../support/sip-sipjs-client.js';
import { ALICE_LINE, body, sipGateway } from '../faces/msrcc/helpers.js';
import {
  ED3,
  SERVER_URI,
  answerOf,
  decoded,
  expectAllReleased,
  sessionExpires,
  simulatorMonitors,
  sipJsEvent,
  until,
  wsUrl,
} from './helpers.js';

const BOARD_ROOM = 'tel:1300;phone-context=dialstring'; // answers by itself after 1 s
const HELP_DESK = 'tel:1200;phone-context=dialstring'; // answers by itself after 1.5 s
const BOB = 'tel:1002;phone-context=dialstring';

const dnd = {
  set: (device: string, on: boolean): string =>
    `<?xml version="1.0"?><SetDoNotDisturb xmlns="${ED3}"><device>${device}</device><doNotDisturbOn>${on}</doNotDisturbOn></SetDoNotDisturb>`,
  get: (device: string): string =>
    `<?xml version="1.0"?><GetDoNotDisturb xmlns="${ED3}"><device>${device}</device></GetDoNotDisturb>`,
};
const getForwarding = (device: string): string =>
  `<?xml version="1.0"?><GetForwarding xmlns="${ED3}"><device>${device}</device></GetForwarding>`;

let gateway: HostedGateway | undefined;
let client: SipJsCstaClient | undefined;
afterEach(async () => {
  await client?.close();
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

/** Opens alice's session over WS, starts her monitor; returns the session and cross-reference ID. */
async function aliceMonitored(gw: HostedGateway): Promise<{ session: SipJsSession; xref: string }> {
  client = await SipJsCstaClient.connect({ url: wsUrl(gw), aor: 'sip:alice@deskline.example' });
  const session = await client.openSession(SERVER_URI, body.requestSystemStatus(ALICE_LINE));
  const monitor = answerOf(await session.info(body.monitorStart(ALICE_LINE)), 'MonitorStartResponse');
  return { session, xref: monitor.monitorCrossRefID };
}

/** MakeCall from alice's line and waits until the far end answered; returns the call ID. */
async function callAndWaitEstablished(session: SipJsSession, xref: string, to: string): Promise<string> {
  const made = answerOf(await session.info(body.makeCall(ALICE_LINE, to)), 'MakeCallResponse');
  const callId = made.callingDevice.callID ?? '';
  expect(callId).not.toBe('');
  const established = await sipJsEvent(session, 'EstablishedEvent');
  expect(established).toMatchObject({ monitorCrossRefID: xref, establishedConnection: { callID: callId } });
  return callId;
}

describe('sip.js (core, over WebSocket) as a Microsoft RCC client', () => {
  it('opens the session, reads the features, monitors, click-to-dials with every event, stops and says BYE', async () => {
    gateway = await sipGateway();
    client = await SipJsCstaClient.connect({ url: wsUrl(gateway), aor: 'sip:alice@deskline.example' });
    const session = await client.openSession(SERVER_URI, body.requestSystemStatus(ALICE_LINE));

    // The 200 OK to the INVITE carries RequestSystemStatusResponse{normal}, in the client's edition,
    // and RFC 4028 session timer terms with the client as the refresher.
    expect(session.answer.status).toBe(200);
    expect(decoded(session.answer.body)).toEqual({
      message: { type: 'RequestSystemStatusResponse', systemStatus: 'normal' },
      edition: 'ed3',
    });
    expect(session.answer.headers('Content-Type')).toBe('application/csta+xml');
    expect(sessionExpires(session.answer.headers('Session-Expires'))).toEqual({
      seconds: 1800,
      refresher: 'uac',
    });
    expect(session.answer.headers('Require')).toBe('timer');
    expect(gateway.core.sessionCount).toBe(1);

    const features = answerOf(
      await session.info(body.getCstaFeatures(ALICE_LINE)),
      'GetCSTAFeaturesResponse',
    );
    expect(features.supportedServices?.callControlServList).toEqual(
      expect.arrayContaining([
        'makeCall',
        'clearConnection',
        'consultationCall',
        'transferCall',
        'conferenceCall',
      ]),
    );
    expect(features.supportedServices?.monitoringServList).toEqual(['monitorStart', 'monitorStop']);

    const monitor = answerOf(await session.info(body.monitorStart(ALICE_LINE)), 'MonitorStartResponse');
    const xref = monitor.monitorCrossRefID;
    expect(simulatorMonitors(gateway)).toBe(1);

    const made = answerOf(await session.info(body.makeCall(ALICE_LINE, BOARD_ROOM)), 'MakeCallResponse');
    const callId = made.callingDevice.callID ?? '';
    // sipe matches events by this callID and reuses this deviceID (docs/msrcc.md).
    expect(made.callingDevice.deviceID).toBe(ALICE_LINE);

    const originated = await sipJsEvent(session, 'OriginatedEvent');
    expect(originated).toMatchObject({
      monitorCrossRefID: xref,
      originatedConnection: { callID: callId, deviceID: ALICE_LINE },
    });
    const delivered = await sipJsEvent(session, 'DeliveredEvent');
    expect(delivered).toMatchObject({
      monitorCrossRefID: xref,
      connection: { callID: callId },
      alertingDevice: { id: BOARD_ROOM },
    });
    const established = await sipJsEvent(session, 'EstablishedEvent');
    expect(established).toMatchObject({
      monitorCrossRefID: xref,
      establishedConnection: { callID: callId },
      answeringDevice: { id: BOARD_ROOM },
    });

    answerOf(await session.info(body.clearConnection(callId, ALICE_LINE)), 'ClearConnectionResponse');
    const cleared = await sipJsEvent(session, 'ConnectionClearedEvent');
    expect(cleared).toMatchObject({ monitorCrossRefID: xref, droppedConnection: { callID: callId } });

    answerOf(await session.info(body.monitorStop(xref)), 'MonitorStopResponse');
    await until(() => simulatorMonitors(gateway!) === 0, 'the CTI monitor stopped');

    const bye = await session.bye();
    expect(bye.status).toBe(200);
    await expectAllReleased(gateway);
  });

  it('consults and transfers: Held, Established, Transfered', async () => {
    gateway = await sipGateway();
    const { session, xref } = await aliceMonitored(gateway);
    const first = await callAndWaitEstablished(session, xref, BOARD_ROOM);

    const consult = answerOf(
      await session.info(body.consultationCall(first, ALICE_LINE, HELP_DESK)),
      'ConsultationCallResponse',
    );
    const second = consult.initiatedCall.callID ?? '';
    expect(second).not.toBe(first);
    const held = await sipJsEvent(session, 'HeldEvent');
    expect(held).toMatchObject({
      monitorCrossRefID: xref,
      heldConnection: { callID: first },
      holdingDevice: { id: ALICE_LINE },
    });
    const answered = await sipJsEvent(session, 'EstablishedEvent');
    expect(answered).toMatchObject({
      establishedConnection: { callID: second },
      answeringDevice: { id: HELP_DESK },
    });

    answerOf(
      await session.info(body.twoCalls('TransferCall', first, second, ALICE_LINE)),
      'TransferCallResponse',
    );
    const transferred = await sipJsEvent(session, 'TransferedEvent');
    expect(transferred).toMatchObject({
      monitorCrossRefID: xref,
      transferringDevice: { id: ALICE_LINE },
      transferredToDevice: { id: HELP_DESK },
    });
    // The board room and the help desk now talk without alice: the simulator says so.
    await until(() => gateway!.simulator!.model.snapshot().length === 1, 'one call left');
    const [remaining] = gateway.simulator!.model.snapshot();
    const parties = remaining?.connections.map((c) => c.deviceId) ?? [];
    expect(parties).toEqual(
      expect.arrayContaining([expect.stringContaining('/1200/'), expect.stringContaining('/1300/')]),
    );
    expect(parties.some((d) => d.includes('/1001/'))).toBe(false);
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });

  it('conferences a consulted party in, then leaves the conference', async () => {
    gateway = await sipGateway();
    const { session, xref } = await aliceMonitored(gateway);
    const first = await callAndWaitEstablished(session, xref, BOARD_ROOM);
    const consult = answerOf(
      await session.info(body.consultationCall(first, ALICE_LINE, BOB)),
      'ConsultationCallResponse',
    );
    const second = consult.initiatedCall.callID ?? '';
    await sipJsEvent(session, 'HeldEvent');
    await sipJsEvent(session, 'EstablishedEvent'); // Bob answers by himself after 2 s

    const conference = answerOf(
      await session.info(body.twoCalls('ConferenceCall', first, second, ALICE_LINE)),
      'ConferenceCallResponse',
    );
    const conferenceCall = conference.conferenceCall.callID ?? '';
    const conferenced = await sipJsEvent(session, 'ConferencedEvent');
    expect(conferenced).toMatchObject({ monitorCrossRefID: xref, conferencingDevice: { id: ALICE_LINE } });
    expect(conferenced.conferenceConnections.length).toBe(3);
    const call = gateway.simulator!.model.snapshot().find((c) => c.callId === conferenceCall);
    expect(call?.conference).toBe(true);
    expect(call?.connections).toHaveLength(3);

    answerOf(await session.info(body.clearConnection(conferenceCall, ALICE_LINE)), 'ClearConnectionResponse');
    const left = await sipJsEvent(session, 'ConnectionClearedEvent');
    expect(left).toMatchObject({ monitorCrossRefID: xref, droppedConnection: { callID: conferenceCall } });
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });

  it('sets and clears forwarding and do-not-disturb, with their events', async () => {
    gateway = await sipGateway();
    const { session, xref } = await aliceMonitored(gateway);

    answerOf(await session.info(body.setForwarding(ALICE_LINE, true, BOB)), 'SetForwardingResponse');
    const on = await sipJsEvent(session, 'ForwardingEvent');
    expect(on).toMatchObject({
      monitorCrossRefID: xref,
      device: { id: ALICE_LINE },
      forwardingType: 'forwardImmediate',
      forwardStatus: true,
      forwardTo: BOB,
    });
    const list = answerOf(await session.info(getForwarding(ALICE_LINE)), 'GetForwardingResponse');
    expect(list.forwardingList).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ forwardingType: 'forwardImmediate', forwardStatus: true }),
      ]),
    );
    answerOf(await session.info(body.setForwarding(ALICE_LINE, false, BOB)), 'SetForwardingResponse');
    expect(await sipJsEvent(session, 'ForwardingEvent')).toMatchObject({ forwardStatus: false });

    answerOf(await session.info(dnd.set(ALICE_LINE, true)), 'SetDoNotDisturbResponse');
    expect(await sipJsEvent(session, 'DoNotDisturbEvent')).toMatchObject({
      monitorCrossRefID: xref,
      device: { id: ALICE_LINE },
      doNotDisturbOn: true,
    });
    expect(answerOf(await session.info(dnd.get(ALICE_LINE)), 'GetDoNotDisturbResponse')).toEqual({
      type: 'GetDoNotDisturbResponse',
      doNotDisturbOn: true,
    });
    answerOf(await session.info(dnd.set(ALICE_LINE, false)), 'SetDoNotDisturbResponse');
    expect(await sipJsEvent(session, 'DoNotDisturbEvent')).toMatchObject({ doNotDisturbOn: false });

    // Someone else's line is refused at the CSTA level, in a 200 OK with a CSTAErrorCode.
    const foreign = await session.info(dnd.set('tel:1002;phone-context=dialstring;partition=INTERNAL', true));
    expect(foreign.status).toBe(200);
    expect(decoded(foreign.body).message).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'operation',
      value: 'privilegeViolationSpecifiedDevice',
    });

    answerOf(await session.info(body.monitorStop(xref)), 'MonitorStopResponse');
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });

  it('a WebSocket that closes ends the session: dialog, core session and monitor are released', async () => {
    gateway = await sipGateway();
    await aliceMonitored(gateway);
    expect(simulatorMonitors(gateway)).toBe(1);
    // RFC 7118 §5: the gateway cannot call a WebSocket client back; the dialog ends with it.
    await client?.close();
    client = undefined;
    await expectAllReleased(gateway);
    await until(
      () => gateway!.sip?.userAgent.stats().connections === 0,
      'the WebSocket connection gone on the gateway side',
    );
  });
});
