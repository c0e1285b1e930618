// The Microsoft RCC flow end to end over raw SIP/TCP against the demo simulator (docs/msrcc.md):
// INVITE + RequestSystemStatus, GetCSTAFeatures, MonitorStart, MakeCall, events as INFO,
// consultation + transfer, forwarding, ClearConnection, MonitorStop, UPDATE / re-INVITE refresh, BYE.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { SipRawClient } from '../../support/sip-raw-client.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient, sipGateway } from './helpers.js';

let gateway: HostedGateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

describe('Microsoft RCC over SIP/TCP', () => {
  it('opens a session, monitors, click-to-dials, sees the events, hangs up, stops and says BYE', async () => {
    gateway = await sipGateway();
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(200);
    expect(csta(session.inviteResponse)).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });
    expect(session.inviteResponse.header('Session-Expires')).toMatch(/refresher=uac/);

    const features = csta(await session.info(body.getCstaFeatures(ALICE_LINE)));
    expect(features).toMatchObject({
      type: 'GetCSTAFeaturesResponse',
      supportedServices: {
        callControlServList: expect.arrayContaining(['makeCall', 'singleStepTransfer', 'conferenceCall']),
        logicalServList: ['getDoNotDisturb', 'getForwarding', 'setDoNotDisturb', 'setForwarding'],
      },
      // ECMA-285's component names (csta/features.ts); the directory service stays on the CTI side.
      supportedEvents: { logicalEvtsList: ['doNotDisturb', 'forwarding'] },
    });
    expect(JSON.stringify(features)).not.toMatch(/getSwitchingFunctionDevices/);

    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error(`unexpected ${monitor.type}`);
    const xref = monitor.monitorCrossRefID;

    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1002;phone-context=dialstring')));
    if (made.type !== 'MakeCallResponse') throw new Error(`unexpected ${made.type}: ${JSON.stringify(made)}`);
    const callId = made.callingDevice.callID ?? '';
    expect(made.callingDevice.deviceID).toBe(ALICE_LINE);

    const originated = await nextEvent(client, 'OriginatedEvent');
    expect(originated).toMatchObject({
      monitorCrossRefID: xref,
      originatedConnection: { callID: callId, deviceID: ALICE_LINE },
    });
    const delivered = await nextEvent(client, 'DeliveredEvent');
    expect(delivered).toMatchObject({
      monitorCrossRefID: xref,
      alertingDevice: { id: 'tel:1002;phone-context=dialstring' },
    });
    const established = await nextEvent(client, 'EstablishedEvent'); // Bob's line answers by itself
    expect(established).toMatchObject({ monitorCrossRefID: xref, establishedConnection: { callID: callId } });

    const cleared = csta(await session.info(body.clearConnection(callId, ALICE_LINE)));
    expect(cleared.type).toBe('ClearConnectionResponse');
    const dropped = await nextEvent(client, 'ConnectionClearedEvent');
    expect(dropped).toMatchObject({ monitorCrossRefID: xref });

    expect((await session.update()).status).toBe(200);
    const refreshed = await session.reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(refreshed.status).toBe(200);

    expect(csta(await session.info(body.monitorStop(xref))).type).toBe('MonitorStopResponse');
    expect((await session.bye()).status).toBe(200);
    await client.until(() => gateway?.core.sessionCount === 0, 'session released');
    expect(gateway.simulator?.nodes.reduce((n, node) => n + node.monitors, 0)).toBe(0);
  });

  it('consults and transfers, and sets forwarding, with events for each', async () => {
    gateway = await sipGateway();
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:+14085551200'))); // the help desk's DID → 1200
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    const first = made.callingDevice.callID ?? '';
    await nextEvent(client, 'EstablishedEvent');
    const consult = csta(
      await session.info(body.consultationCall(first, ALICE_LINE, 'tel:1300;phone-context=dialstring')),
    );
    if (consult.type !== 'ConsultationCallResponse') throw new Error(JSON.stringify(consult));
    await nextEvent(client, 'HeldEvent');
    await nextEvent(client, 'EstablishedEvent');
    const transferred = csta(
      await session.info(
        body.twoCalls('TransferCall', first, consult.initiatedCall.callID ?? '', ALICE_LINE),
      ),
    );
    expect(transferred.type).toBe('TransferCallResponse');
    const event = await nextEvent(client, 'TransferedEvent');
    expect(event).toMatchObject({ transferringDevice: { id: ALICE_LINE } });

    const forwarded = csta(
      await session.info(body.setForwarding(ALICE_LINE, true, 'tel:1002;phone-context=dialstring')),
    );
    expect(forwarded.type).toBe('SetForwardingResponse');
    const fwd = await nextEvent(client, 'ForwardingEvent');
    expect(fwd).toMatchObject({ forwardStatus: true, forwardTo: 'tel:1002;phone-context=dialstring' });
    expect((await session.bye()).status).toBe(200);
  });

  it('answers CSTA refusals in a 200 OK with CSTAErrorCode, and hostile XML likewise', async () => {
    gateway = await sipGateway();
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    const foreign = await session.info(
      body.makeCall(
        'tel:1002;phone-context=dialstring;partition=INTERNAL',
        'tel:1003;phone-context=dialstring',
      ),
    );
    expect(foreign.status).toBe(200);
    expect(csta(foreign)).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'operation',
      value: 'privilegeViolationSpecifiedDevice',
    });
    expect(foreign.header('Warning')).toMatch(/not one of this user's lines/);

    const bomb =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>&b;</callingDevice></MakeCall>';
    const refused = await session.info(bomb);
    expect(refused.status).toBe(200);
    expect(csta(refused)).toMatchObject({ type: 'CSTAErrorCode', errorClass: 'operation' });
    expect(refused.header('Warning')).toMatch(/DOCTYPE/i);

    const stale = await session.info(body.clearConnection('no-such-call', ALICE_LINE));
    expect(csta(stale)).toMatchObject({ type: 'CSTAErrorCode' });
    expect((await session.bye()).status).toBe(200);
  });

  it('refuses a re-INVITE that names another line, and the session goes on with its own', async () => {
    gateway = await sipGateway();
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(200);

    const foreign = await session.reInvite(
      body.requestSystemStatus('tel:1002;phone-context=dialstring;partition=INTERNAL'),
    );
    expect(foreign.status).toBe(403);
    expect(foreign.header('Warning')).toMatch(/the line of a session cannot change/);
    const unreadable = await session.reInvite(body.requestSystemStatus('mailto:alice@example.com'));
    expect(unreadable.status).toBe(403);
    expect(unreadable.header('Warning')).toMatch(/line URI mailto:alice@example.com/);

    // Still her session, on her line; the same line written another way refreshes.
    const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
    expect(monitor.type).toBe('MonitorStartResponse');
    expect(
      (await session.reInvite(body.requestSystemStatus('tel:1001;phone-context=dialstring'))).status,
    ).toBe(200);
    expect(gateway.core.sessionCount).toBe(1);
    expect(gateway.simulator?.nodes.reduce((n, node) => n + node.monitors, 0)).toBe(1);
    expect((await session.bye()).status).toBe(200);
  });

  it('refuses INVITEs with a status and a reason: unknown user, unlicensed, foreign line, CTI disallowed', async () => {
    gateway = await sipGateway();
    client = await rawClient(gateway);
    const cases: [string, string, number, RegExp][] = [
      ['nobody', ALICE_LINE, 404, /no CUCM user/],
      ['frank', 'tel:1006;phone-context=dialstring;partition=INTERNAL', 403, /licence/],
      [
        'alice',
        'tel:1002;phone-context=dialstring;partition=INTERNAL',
        403,
        /not associated with user alice/,
      ],
      ['grace', 'tel:1017;phone-context=dialstring;partition=INTERNAL', 403, /CTI control is not allowed/],
      ['alice', 'tel:9999;phone-context=dialstring;partition=INTERNAL', 404, /not in the directory/],
    ];
    for (const [user, line, status, reason] of cases) {
      const session = await openRcc(client, user, line);
      expect(session.inviteResponse.status, `${user} ${line}`).toBe(status);
      expect(session.inviteResponse.header('Warning')).toMatch(reason);
      expect(csta(session.inviteResponse).type).toBe('CSTAErrorCode');
    }
    expect(gateway.core.sessionCount).toBe(0);
  });
});
