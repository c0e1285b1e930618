// Reaching for other users' lines, against the whole gateway (docs/architecture.md §6: "only their own line
// appearances"). Alice is signed in on her line; Bob on his, with a live call. Alice asks for Bob's
// line in every form a client could write it (dialstring tel URI, E.164, the CTI device ID, a
// shared line that is not hers) in every request that names a device, and for Bob's connections in
// every request that names a connection; she opens a session on Bob's line; she rewrites the From of
// her own dialog to Bob's. Each request is refused with CSTAErrorCode privilegeViolation (an INVITE
// with 403), each refusal is logged with its reason, and nothing changes on Bob's side: no monitor,
// no call, no forwarding, his call untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../support/sip-raw-client.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { FAR_END, Rig, until } from '../fault/harness.js';
import { snapshotDeviceBody } from '../fault/load-client.js';
import { connect, invite, LINES, signIn, signOut, warningText, type SignedIn } from './helpers.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const BOB_DEVICE = 'SEP00AABB000002/1002/INTERNAL';
const PRIVILEGE = {
  type: 'CSTAErrorCode',
  errorClass: 'operation',
  value: 'privilegeViolationSpecifiedDevice',
};

/** Bob's line as a client might write it. */
const BOB_FORMS = [
  LINES.bob,
  'tel:1002;phone-context=dialstring',
  'tel:+14085551002',
  'tel:+14085551002;ext=1002',
  BOB_DEVICE,
  'sip:1002@deskline.example',
  // Dave's line, shared with Carol's phone: not Alice's either.
  LINES.dave,
];

const deviceRequests = (device: string): [string, string][] => [
  ['MonitorStart', body.monitorStart(device)],
  ['MakeCall', body.makeCall(device, FAR_END)],
  ['SetForwarding', body.setForwarding(device, true, 'tel:+14085550199')],
  [
    'GetForwarding',
    `<?xml version="1.0"?><GetForwarding xmlns="${NS}"><device>${device}</device></GetForwarding>`,
  ],
  [
    'SetDoNotDisturb',
    `<?xml version="1.0"?><SetDoNotDisturb xmlns="${NS}"><device>${device}</device><doNotDisturbOn>true</doNotDisturbOn></SetDoNotDisturb>`,
  ],
  ['SnapshotDevice', snapshotDeviceBody(device)],
];

const connectionRequests = (callId: string, device: string): [string, string][] => [
  ['ClearConnection', body.clearConnection(callId, device)],
  [
    'HoldCall',
    `<?xml version="1.0"?><HoldCall xmlns="${NS}"><callToBeHeld><callID>${callId}</callID><deviceID>${device}</deviceID></callToBeHeld></HoldCall>`,
  ],
  [
    'AnswerCall',
    `<?xml version="1.0"?><AnswerCall xmlns="${NS}"><callToBeAnswered><callID>${callId}</callID><deviceID>${device}</deviceID></callToBeAnswered></AnswerCall>`,
  ],
  [
    'DeflectCall',
    `<?xml version="1.0"?><DeflectCall xmlns="${NS}"><callToBeDiverted><callID>${callId}</callID><deviceID>${device}</deviceID></callToBeDiverted><newDestination>tel:1001;phone-context=dialstring</newDestination></DeflectCall>`,
  ],
  [
    'GenerateDigits',
    `<?xml version="1.0"?><GenerateDigits xmlns="${NS}"><connectionToSendDigits><callID>${callId}</callID><deviceID>${device}</deviceID></connectionToSendDigits><charactersToSend>1234</charactersToSend></GenerateDigits>`,
  ],
  [
    'SingleStepTransferCall',
    `<?xml version="1.0"?><SingleStepTransferCall xmlns="${NS}"><activeCall><callID>${callId}</callID><deviceID>${device}</deviceID></activeCall><transferredTo>tel:1001;phone-context=dialstring</transferredTo></SingleStepTransferCall>`,
  ],
];

describe('requests for other users’ lines', () => {
  let rig: Rig;
  let alice: SignedIn;
  let bob: SignedIn;
  let bobCall: string;
  const bobSide = (): string =>
    JSON.stringify({
      monitors: rig.simMonitors(),
      calls: rig.sim.model
        .snapshot()
        .map((c) => [c.callId, c.connections.map((p) => `${p.deviceId}:${p.state}`)]),
      forwarding: rig.sim.model.getForwarding(BOB_DEVICE),
      dnd: rig.sim.model.getDoNotDisturb(BOB_DEVICE),
    });
  let bobBefore: string;

  beforeAll(async () => {
    rig = await Rig.start();
    alice = await signIn(rig, 'TCP', 'alice');
    bob = await signIn(rig, 'WS', 'bob');
    const made = csta(await bob.session.info(body.makeCall(LINES.bob, FAR_END)));
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    bobCall = made.callingDevice.callID ?? '';
    // Wait until Bob's call is connected, so that its state is stable while Alice tries things.
    await until(
      () =>
        rig.sim.model
          .snapshot()
          .some((c) => c.callId === bobCall && c.connections.every((p) => p.state === 'connected')),
      "Bob's call connected",
    );
    bobBefore = bobSide();
  });
  afterAll(async () => {
    await rig.abandon();
  });

  for (const form of BOB_FORMS) {
    it(`every request naming ${form} as Alice's device is refused`, async () => {
      for (const [name, xml] of deviceRequests(form)) {
        const refusedBefore = rig.logger.find('CSTA request refused').length;
        const response = await alice.session.info(xml);
        expect(response.status, name).toBe(200);
        expect(csta(response), `${name} ${form}`).toEqual(PRIVILEGE);
        expect(warningText(response), name).not.toBe('');
        // Logged, with the request and the reason (an operator can see who reached for what).
        const logged = rig.logger.find('CSTA request refused').slice(refusedBefore);
        expect(
          logged.map((r) => [r.fields['request'], r.fields['code']]),
          name,
        ).toEqual([[name, 'LINE_NOT_OWNED']]);
      }
      expect(bobSide()).toBe(bobBefore);
    });
  }

  it("every request naming one of Bob's connections is refused, by call ID alone or with his device", async () => {
    for (const device of [LINES.bob, BOB_DEVICE]) {
      for (const [name, xml] of connectionRequests(bobCall, device)) {
        const response = await alice.session.info(xml);
        expect(csta(response), `${name} on ${device}`).toEqual(PRIVILEGE);
      }
    }
    // With her own device and his call ID the gateway lets it through, and the CTI Manager finds
    // no such connection: refused all the same.
    for (const [name, xml] of connectionRequests(bobCall, LINES.alice)) {
      expect(csta(await alice.session.info(xml)), name).toMatchObject({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'invalidConnectionID',
      });
    }
    expect(bobSide()).toBe(bobBefore);
  });

  it('a call ringing at Bob cannot be picked up by Alice', async () => {
    const ringing = rig.sim.model.placeInboundCall('+14085550123', '1002');
    if (!ringing.ok) throw ringing.error;
    for (const device of [LINES.bob, BOB_DEVICE]) {
      const response = await alice.session.info(connectionRequests(ringing.value.callId, device)[2]![1]);
      expect(csta(response)).toEqual(PRIVILEGE);
    }
    const call = rig.sim.model.call(ringing.value.callId);
    expect(call?.connections.find((p) => p.deviceId === BOB_DEVICE)?.state).toBe('alerting');
    expect(rig.sim.model.clearCallById(ringing.value.callId).ok).toBe(true);
  });

  it("opening a session on Bob's line as Alice (a From/line mismatch) gets 403, logged", async () => {
    const client = await connect(rig, 'TCP');
    for (const line of [LINES.bob, 'tel:+14085551002', LINES.dave]) {
      const refusedBefore = rig.logger.find('session refused').length;
      const session = await invite(client, 'alice', line);
      expect(session.inviteResponse.status, line).toBe(403);
      expect(csta(session.inviteResponse)).toEqual(PRIVILEGE);
      expect(session.inviteResponse.header('warning')).toMatch(/not associated with user alice/);
      const logged = rig.logger.find('session refused').slice(refusedBefore);
      expect(logged.map((r) => [r.fields['status'], r.fields['code']])).toEqual([[403, 'LINE_NOT_OWNED']]);
    }
    // In another partition the line does not exist at all.
    expect(
      (await invite(client, 'alice', 'tel:1002;phone-context=dialstring;partition=LOBBY')).inviteResponse
        .status,
    ).toBe(404);
    await client.close();
    expect(bobSide()).toBe(bobBefore);
  });

  it('with identity sipUri, a From in another domain is nobody (404)', async () => {
    const strict = await Rig.start({ users: { identity: 'sipUri' } });
    try {
      const client = await connect(strict, 'TCP');
      const session = await invite(client, 'alice', LINES.alice, '<sip:alice@evil.example>');
      expect(session.inviteResponse.status).toBe(404);
      expect(strict.gateway.core.sessionCount).toBe(0);
      await client.close();
    } finally {
      await strict.abandon();
    }
  });

  it("rewriting the From of Alice's own dialog to Bob's URI grants nothing: the dialog is Alice's", async () => {
    const forged = buildRequest(
      {
        method: 'INFO',
        uri: alice.session.remoteTarget,
        headers: [
          ['From', `<sip:bob@deskline.example>;tag=${alice.session.localTag}`],
          ['To', alice.session.toHeader],
          ['Call-ID', alice.session.callId],
          ['CSeq', `${alice.session.lastCSeq + 100} INFO`],
          ['Content-Disposition', 'signal;handling=required'],
        ],
        body: body.makeCall(LINES.bob, FAR_END),
      },
      'TCP',
    );
    alice.client.sendBytes(forged.bytes);
    const response = await alice.client.finalResponse(forged.branch, 'INFO');
    expect(csta(response)).toEqual(PRIVILEGE);
    // Keep Alice's CSeq space in step with what was sent.
    alice.session.build('OPTIONS', { cseq: alice.session.lastCSeq + 100 });
    expect(bobSide()).toBe(bobBefore);
  });

  it("a re-INVITE naming Bob's line is refused and does not move Alice's session to it", async () => {
    const refused = await alice.session.reInvite(body.requestSystemStatus(LINES.bob));
    expect(refused.status).toBe(403);
    expect(refused.header('Warning')).toMatch(/the line of a session cannot change/);
    expect(csta(await alice.session.info(body.makeCall(LINES.bob, FAR_END)))).toEqual(PRIVILEGE);
    expect(csta(await alice.session.info(body.monitorStart(LINES.bob)))).toEqual(PRIVILEGE);
    expect([...rig.gateway.core.allSessions()].find((s) => s.user.id === 'alice')?.appearance.id).toBe(
      'SEP00AABB000001/1001/INTERNAL',
    );
    expect(bobSide()).toBe(bobBefore);
  });

  it('Alice and Bob still work on their own lines, and sign out cleanly', async () => {
    expect(csta(await bob.session.info(body.clearConnection(bobCall, LINES.bob))).type).toBe(
      'ClearConnectionResponse',
    );
    for (const who of [alice, bob]) {
      const made = csta(await who.session.info(body.makeCall(LINES[who.user], FAR_END)));
      if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
      expect(
        csta(await who.session.info(body.clearConnection(made.callingDevice.callID ?? '', LINES[who.user])))
          .type,
      ).toBe('ClearConnectionResponse');
    }
    await signOut(alice);
    await signOut(bob);
    await rig.expectGatewayIdle();
    await rig.expectNoCalls();
    await rig.finish();
  });
});
