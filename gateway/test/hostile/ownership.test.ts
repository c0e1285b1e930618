// Authorization by ownership, not by acquaintance (docs/robustness.md §5). Each attack here worked
// before: the session core let a session act on ANY connection of a call it had seen, and the MS-RCC
// face passed device IDs it did not know through to the CTI link unchanged. So a caller could
// answer the callee's ringing phone (turning a desk phone into a room microphone), deflect it, hold
// the other party or send DTMF from their phone; on a shared line the assistant could act on a call
// her manager answered on his own phone; and a call was never forgotten. Every request below is
// sent over SIP/TCP or WebSocket to the whole gateway, refused with CSTAErrorCode
// operation/privilegeViolationSpecifiedDevice and a Warning saying why, and the victim's phone is
// checked in the simulator to be exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CstaMessage } from '../../src/csta/index.js';
import type { SipResponse } from '../../src/sip/index.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { FAR_END, Rig, until } from '../fault/harness.js';
import { connect, invite, LINES, signIn, warningText, type SignedIn } from './helpers.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const DAVE_DEVICE = 'SEP00AABB000004/1004/INTERNAL';
const CAROL_SHARED_DEVICE = 'SEP00AABB000003/1004/INTERNAL';
const BOB_DEVICE = 'SEP00AABB000002/1002/INTERNAL';
const ALICE_DEVICE = 'SEP00AABB000001/1001/INTERNAL';
const PRIVILEGE = {
  type: 'CSTAErrorCode',
  errorClass: 'operation',
  value: 'privilegeViolationSpecifiedDevice',
};

const connection = (tag: string, callId: string, device: string): string =>
  `<${tag}><callID>${callId}</callID><deviceID>${device}</deviceID></${tag}>`;
const xml = {
  answer: (callId: string, device: string): string =>
    `<?xml version="1.0"?><AnswerCall xmlns="${NS}">${connection('callToBeAnswered', callId, device)}</AnswerCall>`,
  deflect: (callId: string, device: string, to: string): string =>
    `<?xml version="1.0"?><DeflectCall xmlns="${NS}">${connection('callToBeDiverted', callId, device)}<newDestination>${to}</newDestination></DeflectCall>`,
  hold: (callId: string, device: string): string =>
    `<?xml version="1.0"?><HoldCall xmlns="${NS}">${connection('callToBeHeld', callId, device)}</HoldCall>`,
  digits: (callId: string, device: string, digits = '1234'): string =>
    `<?xml version="1.0"?><GenerateDigits xmlns="${NS}">${connection('connectionToSendDigits', callId, device)}<charactersToSend>${digits}</charactersToSend></GenerateDigits>`,
  clearCall: (callId: string, device?: string): string =>
    `<?xml version="1.0"?><ClearCall xmlns="${NS}"><callToBeCleared><callID>${callId}</callID>${device === undefined ? '' : `<deviceID>${device}</deviceID>`}</callToBeCleared></ClearCall>`,
};

/** What the simulator says of one call: each connection's device and state. */
function callState(rig: Rig, callId: string): string[] {
  const call = rig.sim.model.snapshot().find((c) => c.callId === callId);
  return call === undefined ? [] : call.connections.map((c) => `${c.deviceId}:${c.state}`).sort();
}

function connectionState(rig: Rig, callId: string, device: string): string | undefined {
  return rig.sim.model
    .snapshot()
    .find((c) => c.callId === callId)
    ?.connections.find((c) => c.deviceId === device)?.state;
}

/** The next event of `type` this signed-in client receives (other events are skipped). */
async function eventOf<T extends CstaMessage['type']>(
  who: SignedIn,
  type: T,
  match: (m: Extract<CstaMessage, { type: T }>) => boolean = () => true,
): Promise<Extract<CstaMessage, { type: T }>> {
  for (;;) {
    const message = csta(await who.client.nextRequest('INFO'));
    if (message.type === type && match(message as Extract<CstaMessage, { type: T }>))
      return message as Extract<CstaMessage, { type: T }>;
  }
}

function expectRefused(response: SipResponse, what: string): void {
  expect(response.status, what).toBe(200);
  expect(csta(response), what).toEqual(PRIVILEGE);
  expect(warningText(response), what).not.toBe('');
}

async function makeCall(who: SignedIn, to: string): Promise<string> {
  const made = csta(await who.session.info(body.makeCall(LINES[who.user], to)));
  if (made.type !== 'MakeCallResponse') throw new Error(`${who.user} MakeCall: ${JSON.stringify(made)}`);
  return made.callingDevice.callID ?? '';
}

describe('a session acts only on its own connections', () => {
  let rig: Rig;
  let alice: SignedIn;
  let bob: SignedIn;
  let carol: SignedIn;
  let dave: SignedIn;

  beforeAll(async () => {
    rig = await Rig.start();
    alice = await signIn(rig, 'TCP', 'alice');
    bob = await signIn(rig, 'WS', 'bob');
    dave = await signIn(rig, 'TCP', 'dave');
    // Carol's session is on her appearance of Dave's shared line 1004 (her 8851 desk phone).
    const client = await connect(rig, 'WS');
    const session = await invite(client, 'carol', LINES.dave);
    expect(session.inviteResponse.status, 'Carol signs in on the shared line').toBe(200);
    const monitor = csta(await session.info(body.monitorStart(LINES.dave)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(monitor));
    carol = { user: 'carol', client, session, monitor: monitor.monitorCrossRefID };
  });
  afterAll(async () => {
    await rig.abandon();
  });

  it('a caller cannot answer, deflect or clear the callee’s ringing phone', async () => {
    const callId = await makeCall(alice, 'tel:1004;phone-context=dialstring');
    const delivered = await eventOf(alice, 'DeliveredEvent', (e) => e.connection.deviceID !== LINES.alice);
    const learned = delivered.connection.deviceID ?? '';
    await until(() => connectionState(rig, callId, DAVE_DEVICE) === 'alerting', 'Dave’s phone rings');
    const before = callState(rig, callId);

    // The attack of the report: Alice's callID, Dave's device as the CTI names it.
    expectRefused(await alice.session.info(xml.answer(callId, DAVE_DEVICE)), 'AnswerCall, CTI device ID');
    // …and as the gateway named it in Alice's own DeliveredEvent.
    expectRefused(await alice.session.info(xml.answer(callId, learned)), 'AnswerCall, learned device ID');
    expectRefused(
      await alice.session.info(xml.deflect(callId, learned, 'tel:1001;phone-context=dialstring')),
      'DeflectCall',
    );
    expectRefused(
      await alice.session.info(body.clearConnection(callId, learned)),
      'ClearConnection of the callee',
    );
    expectRefused(await alice.session.info(xml.hold(callId, DAVE_DEVICE)), 'HoldCall');
    expect(callState(rig, callId), 'Dave’s phone still rings, untouched').toEqual(before);
    expect(connectionState(rig, callId, DAVE_DEVICE)).toBe('alerting');
    expect(rig.logger.find('CSTA request refused').length).toBeGreaterThan(0);

    // Alice may still end her own call.
    expect(csta(await alice.session.info(body.clearConnection(callId, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => callState(rig, callId).length === 0, 'the call is gone');
  });

  it('on a shared line, the assistant cannot act on a call her manager answered on his own phone', async () => {
    const callId = await makeCall(alice, 'tel:1004;phone-context=dialstring');
    // Carol's appearance rings too: she learns the callID from her own DeliveredEvent.
    const carolDelivered = await eventOf(carol, 'DeliveredEvent', (e) => e.connection.callID === callId);
    expect(carolDelivered.connection.callID).toBe(callId);
    const daveDelivered = await eventOf(dave, 'DeliveredEvent', (e) => e.connection.callID === callId);
    // Dave answers on his own phone.
    const answered = csta(
      await dave.session.info(xml.answer(callId, daveDelivered.connection.deviceID ?? '')),
    );
    expect(answered.type).toBe('AnswerCallResponse');
    await until(() => connectionState(rig, callId, DAVE_DEVICE) === 'connected', 'Dave connected');
    const before = callState(rig, callId);

    for (const device of [DAVE_DEVICE, 'tel:1004;phone-context=dialstring']) {
      expectRefused(await carol.session.info(xml.digits(callId, device)), `GenerateDigits on ${device}`);
      expectRefused(await carol.session.info(xml.hold(callId, device)), `HoldCall on ${device}`);
      const cleared = await carol.session.info(body.clearConnection(callId, device));
      // Named by the CTI ID, Dave's connection is refused; named as the shared line's number, it is
      // Carol's own appearance, whose connection left the call when Dave answered: the switch says so.
      const message = csta(cleared);
      expect(message.type, `ClearConnection on ${device}`).toBe('CSTAErrorCode');
    }
    expectRefused(await carol.session.info(xml.clearCall(callId)), 'ClearCall of a call she is not in');
    expect(callState(rig, callId), 'Dave’s call untouched').toEqual(before);

    expect(csta(await alice.session.info(body.clearConnection(callId, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => callState(rig, callId).length === 0, 'the call is gone');
  });

  it('a caller cannot send digits from, or hold, the party it called', async () => {
    const callId = await makeCall(alice, 'tel:1002;phone-context=dialstring');
    // Bob's line answers by itself.
    const established = await eventOf(
      alice,
      'EstablishedEvent',
      (e) => e.establishedConnection.callID === callId,
    );
    const bobSeen = established.establishedConnection.deviceID ?? '';
    await until(() => connectionState(rig, callId, BOB_DEVICE) === 'connected', 'Bob answered');
    const before = callState(rig, callId);
    for (const device of [bobSeen, BOB_DEVICE]) {
      expectRefused(await alice.session.info(xml.digits(callId, device)), `GenerateDigits from ${device}`);
      expectRefused(await alice.session.info(xml.hold(callId, device)), `HoldCall of ${device}`);
      expectRefused(
        await alice.session.info(body.clearConnection(callId, device)),
        `ClearConnection of ${device}`,
      );
    }
    expect(callState(rig, callId)).toEqual(before);
    // Her own connection: allowed.
    expect(csta(await alice.session.info(xml.digits(callId, LINES.alice))).type).toBe(
      'GenerateDigitsResponse',
    );
    expect(csta(await alice.session.info(body.clearConnection(callId, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => callState(rig, callId).length === 0, 'the call is gone');
  });

  it('only the conference controller drops a party, and only while still in the conference', async () => {
    // Alice calls Bob, consults the far end, and joins the three.
    const first = await makeCall(alice, 'tel:1002;phone-context=dialstring');
    await until(() => connectionState(rig, first, BOB_DEVICE) === 'connected', 'Bob answered');
    const consulted = csta(await alice.session.info(body.consultationCall(first, LINES.alice, FAR_END)));
    if (consulted.type !== 'ConsultationCallResponse') throw new Error(JSON.stringify(consulted));
    const second = consulted.initiatedCall.callID ?? '';
    await until(
      () =>
        rig.sim.model
          .snapshot()
          .some((c) => c.callId === second && c.connections.every((p) => p.state === 'connected')),
      'the far end answered',
    );
    const joined = csta(
      await alice.session.info(body.twoCalls('ConferenceCall', first, second, LINES.alice)),
    );
    if (joined.type !== 'ConferenceCallResponse') throw new Error(JSON.stringify(joined));
    const conference = joined.conferenceCall.callID ?? '';
    const conferenced = await eventOf(alice, 'ConferencedEvent');
    const farEnd = conferenced.conferenceConnections
      .map((c) => c.newConnection?.deviceID)
      .find((d) => d !== undefined && d !== LINES.alice && !d.includes('1002'));
    expect(farEnd, 'the far end in the conference').toBeDefined();
    const bobConferenced = await eventOf(bob, 'ConferencedEvent');
    const farEndForBob = bobConferenced.conferenceConnections
      .map((c) => c.newConnection?.deviceID)
      .find((d) => d !== undefined && d !== LINES.bob && !d.includes('1001'));
    const before = callState(rig, conference);
    expect(before.length).toBe(3);

    // Bob is in the conference but did not set it up: he may not drop others, nor end it for all.
    expectRefused(
      await bob.session.info(body.clearConnection(conference, farEndForBob ?? '')),
      'Bob drops the far end',
    );
    expectRefused(await bob.session.info(xml.clearCall(conference)), 'Bob ends the conference for all');
    expectRefused(
      await bob.session.info(xml.clearCall(conference, LINES.bob)),
      'Bob ends it naming his own line',
    );
    expect(callState(rig, conference)).toEqual(before);

    // Alice, the controller, drops the far end.
    expect(csta(await alice.session.info(body.clearConnection(conference, farEnd ?? ''))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => callState(rig, conference).length === 2, 'the far end dropped');

    // Alice hangs up: she is no longer in the call and loses every right in it.
    expect(csta(await alice.session.info(body.clearConnection(conference, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => connectionState(rig, conference, ALICE_DEVICE) === undefined, 'Alice left');
    const after = callState(rig, conference);
    expectRefused(
      await alice.session.info(body.clearConnection(conference, 'tel:1002;phone-context=dialstring')),
      'Alice, gone, drops Bob',
    );
    expect(callState(rig, conference)).toEqual(after);
    // Whatever is left is Bob's to end.
    if (after.length > 0)
      expect(csta(await bob.session.info(body.clearConnection(conference, LINES.bob))).type).toBe(
        'ClearConnectionResponse',
      );
    await until(() => rig.sim.model.snapshot().length === 0, 'no call left');
  });

  it('device IDs the session was never told of are refused, not passed to the CTI link', async () => {
    const callId = await makeCall(alice, FAR_END);
    for (const device of ['SEP00AABB000099/1099/INTERNAL', CAROL_SHARED_DEVICE, 'tel:+14085559999'])
      expectRefused(await alice.session.info(xml.hold(callId, device)), `HoldCall naming ${device}`);
    expect(csta(await alice.session.info(body.clearConnection(callId, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => rig.sim.model.snapshot().length === 0, 'no call left');
  });

  it('the core refuses the same requests from the desktop face (same rules for every face)', async () => {
    const callId = await makeCall(alice, 'tel:1004;phone-context=dialstring');
    await until(() => connectionState(rig, callId, DAVE_DEVICE) === 'alerting', 'Dave’s phone rings');
    const session = [...rig.gateway.core.allSessions()].find((s) => s.user.id === 'alice');
    if (session === undefined) throw new Error('no core session for alice');
    await expect(
      session.request({ type: 'AnswerCall', callToBeAnswered: { callID: callId, deviceID: DAVE_DEVICE } }),
    ).rejects.toMatchObject({ code: 'LINE_NOT_OWNED' });
    expect(connectionState(rig, callId, DAVE_DEVICE)).toBe('alerting');
    expect(csta(await alice.session.info(body.clearConnection(callId, LINES.alice))).type).toBe(
      'ClearConnectionResponse',
    );
    await until(() => rig.sim.model.snapshot().length === 0, 'no call left');
  });
});
