// pidgin-sipe — the one public Microsoft RCC client implementation — byte for byte: the bodies
// marked VERBATIM in gateway/test/vectors/ms-rcc/README.md go over SIP/TCP unchanged. No line
// URI is substituted: the simulator's cluster holds sipe's example line (sipe-cluster.ts). The
// only substitutions are the two values sipe's printf templates take from the gateway's own
// answers — the callID of MakeCallResponse (ClearConnection) and the monitorCrossRefID of
// MonitorStartResponse (MonitorStop) — exactly as sipe fills them in.
//
// Like sipe, the client never answers the gateway's event INFOs (autoAnswer: false; sipe's other
// SIP habits are SipeLikeClient's, sipe-behaviour.test.ts).
//
// Then the edition rule (docs/msrcc.md §6): a client that speaks ed2, ed4 or ed5 gets responses and
// events in that edition.
import { afterEach, describe, expect, it } from 'vitest';
import { cstaNamespace, type CstaXmlEdition } from '../../src/csta/index.js';
import { RawSession, SipRawClient } from '../support/sip-raw-client.js';
import type { SipRequest } from '../../src/sip/index.js';
import { listener } from '../faces/msrcc/helpers.js';
import { ED3, decoded, expectAllReleased, expectCsta, simulatorMonitors, until, vector } from './helpers.js';
import { SIPE, sipeSite, type SipeSite } from './sipe-cluster.js';

let site: SipeSite | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await site?.dispose();
  client = undefined;
  site = undefined;
});

/** A stored SIP message file (LF line ends, one trailing LF) as it goes on the wire (CRLF). */
function wireMessage(file: string): { bytes: Buffer; body: string } {
  const text = vector(file);
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split).split('\n');
  const body = text.slice(split + 2).replace(/\n$/, '');
  const length = Number(/^Content-Length:\s*(\d+)$/im.exec(head.join('\n'))?.[1]);
  // The README says Content-Length was computed for the body as stored: check, do not fix.
  expect(length).toBe(Buffer.byteLength(body));
  return { bytes: Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'utf8'), body };
}

/** Replaces one value in a body and checks it was there exactly once (a template fill, not an edit). */
function fill(body: string, example: string, value: string): string {
  expect(body.split(example)).toHaveLength(2);
  return body.replace(example, value);
}

/** The events sipe's process_incoming_info_csta() handles; it ignores the others (e.g. ServiceInitiatedEvent). */
const SIPE_EVENTS: ReadonlySet<string> = new Set([
  'OriginatedEvent',
  'DeliveredEvent',
  'EstablishedEvent',
  'ConnectionClearedEvent',
]);

/** The next event INFO sipe would act on, skipping the ones it ignores (sipe answers none of them). */
async function nextEvent(
  c: SipRawClient,
): Promise<{ request: SipRequest; message: ReturnType<typeof decoded>['message']; edition: string }> {
  for (;;) {
    const request = await c.nextRequest('INFO');
    const { message, edition } = decoded(request.body);
    if (SIPE_EVENTS.has(message.type)) return { request, message, edition };
  }
}

describe('pidgin-sipe VERBATIM bodies over SIP/TCP', () => {
  it('the whole sipe sequence is accepted unchanged, and answered with what sipe reads', async () => {
    site = await sipeSite();
    const { host, port } = listener(site.gateway, 'TCP');
    client = await SipRawClient.connect({ transport: 'TCP', host, port, autoAnswer: false });

    // 1. The INVITE file as stored (CONSTRUCTED headers, VERBATIM body), CRLF line ends.
    const invite = wireMessage('01-invite-request-system-status.txt');
    expect(invite.body).toBe(vector('01-body-request-system-status.xml'));
    client.sendBytes(invite.bytes);
    const inviteResponse = await client.finalResponse('z9hG4bKexample01', 'INVITE');
    expect(inviteResponse.status, inviteResponse.bodyText()).toBe(200);
    // sipe proceeds iff systemStatus is "normal" (NOTES §2.2).
    expect(decoded(inviteResponse.body)).toEqual({
      message: { type: 'RequestSystemStatusResponse', systemStatus: 'normal' },
      edition: 'ed3',
    });
    expect(inviteResponse.header('content-type')).toBe('application/csta+xml');
    const session = new RawSession(
      client,
      'sip:73124@euuklhccups01.eu.company.local',
      {
        bytes: invite.bytes,
        branch: 'z9hG4bKexample01',
        method: 'INVITE',
        callId: 'a3f0077597a645ed91dfed3bf7e88d93',
        fromTag: '9708e2df90',
      },
      inviteResponse,
      `<${SIPE.user}>`,
      '<sip:73124@euuklhccups01.eu.company.local>',
    );
    session.ack(1);

    // 2. GetCSTAFeatures, VERBATIM.
    const features = await session.info(vector('04-body-get-csta-features.xml'));
    expect(features.status).toBe(200);
    expect(
      expectCsta(features.body, 'GetCSTAFeaturesResponse').supportedServices?.callControlServList,
    ).toContain('makeCall');

    // 3. MonitorStart, VERBATIM: sipe reads monitorCrossRefID from the 200 OK's body.
    const monitor = expectCsta(
      (await session.info(vector('05-body-monitor-start.xml'))).body,
      'MonitorStartResponse',
    );
    const xref = monitor.monitorCrossRefID;
    expect(xref).not.toBe('');
    expect(simulatorMonitors(site.gateway, site.simulator)).toBe(1);

    // 4. MakeCall, VERBATIM: sipe reads callingDevice/callID and callingDevice/deviceID.
    const made = expectCsta((await session.info(vector('07-body-make-call.xml'))).body, 'MakeCallResponse');
    const callId = made.callingDevice.callID ?? '';
    expect(callId).not.toBe('');
    expect(made.callingDevice.deviceID).toBe(SIPE.line);

    // 5. The events sipe handles, each with the connection element it reads, its monitorCrossRefID,
    //    in INFO with Content-Type application/csta+xml (sipe dispatches on it), in ed3.
    const expected: [string, string][] = [
      ['OriginatedEvent', 'originatedConnection'],
      ['DeliveredEvent', 'connection'],
      ['EstablishedEvent', 'establishedConnection'],
    ];
    for (const [type, connection] of expected) {
      const { request, message, edition } = await nextEvent(client);
      expect(message.type).toBe(type);
      expect(edition).toBe('ed3');
      expect(request.header('content-type')).toBe('application/csta+xml');
      expect(request.header('content-disposition')).toBe('signal;handling=required');
      expect(request.header('call-id')).toBe('a3f0077597a645ed91dfed3bf7e88d93');
      expect(message).toMatchObject({ monitorCrossRefID: xref, [connection]: { callID: callId } });
    }

    // 6. ClearConnection, VERBATIM template filled with the gateway's callID; its deviceID is
    //    the form without partition (what CUPS reports in events) and still names alice's line.
    const clear = fill(vector('13-body-clear-connection.xml'), SIPE.callId, callId);
    expect(clear).toContain(`<deviceID>${SIPE.eventDevice}</deviceID>`);
    expect(expectCsta((await session.info(clear)).body, 'ClearConnectionResponse')).toEqual({
      type: 'ClearConnectionResponse',
    });
    const dropped = await nextEvent(client);
    expect(dropped.message).toMatchObject({
      type: 'ConnectionClearedEvent',
      monitorCrossRefID: xref,
      droppedConnection: { callID: callId },
    });

    // 7. MonitorStop, VERBATIM template filled with the monitorCrossRefID; then BYE (sip_csta_close()).
    const stop = fill(vector('15-body-monitor-stop.xml'), SIPE.monitorCrossRefId, xref);
    expect(expectCsta((await session.info(stop)).body, 'MonitorStopResponse')).toEqual({
      type: 'MonitorStopResponse',
    });
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(site.gateway, site.simulator);
    expect(client.parseErrors).toEqual([]);
  });

  it('the 200 OK to MakeCall goes out before the events the call causes (sipe drops events of a callID it does not know yet)', async () => {
    // sipe's sip_csta_update_id_and_status() ignores an event whose callID differs from the one
    // it stored from MakeCallResponse: an OriginatedEvent sent before that response is lost.
    site = await sipeSite();
    const { host, port } = listener(site.gateway, 'TCP');
    client = await SipRawClient.connect({ transport: 'TCP', host, port, autoAnswer: false });
    const c = client;
    const session = await c.openSession({
      uri: 'sip:73124@gw.deskline.test',
      from: `<${SIPE.user}>`,
      body: vector('01-body-request-system-status.xml'),
    });
    expectCsta((await session.info(vector('05-body-monitor-start.xml'))).body, 'MonitorStartResponse');
    for (let round = 0; round < 5; round++) {
      // Sent without waiting on the answer, so that everything lands in `received` in arrival order.
      c.received.splice(0);
      c.sendBytes(
        session.build('INFO', {
          body: vector('07-body-make-call.xml'),
          headers: [['Content-Disposition', 'signal;handling=required']],
        }).bytes,
      );
      const kinds = (): string[] =>
        c.received.map((m) =>
          'method' in m ? `${m.method} ${decoded(m.body).message.type}` : `${m.status}`,
        );
      await until(
        () => kinds().includes('200') && kinds().includes('INFO DeliveredEvent'),
        'the MakeCall answer and the first events',
      );
      const order = kinds();
      expect(order.indexOf('200'), order.join(', ')).toBeLessThan(
        order.findIndex((k) => k.startsWith('INFO ')),
      );
      const response = c.received.find((m) => !('method' in m));
      const callId =
        response === undefined
          ? ''
          : (expectCsta(response.body, 'MakeCallResponse').callingDevice.callID ?? '');
      expectCsta(
        (await session.info(fill(vector('13-body-clear-connection.xml'), SIPE.callId, callId))).body,
        'ClearConnectionResponse',
      );
      await until(() => kinds().includes('INFO ConnectionClearedEvent'), 'the call cleared');
    }
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(site.gateway, site.simulator);
  });

  it("sipe's refresh: a re-INVITE with the same VERBATIM RequestSystemStatus keeps the monitor", async () => {
    site = await sipeSite();
    const { host, port } = listener(site.gateway, 'TCP');
    client = await SipRawClient.connect({ transport: 'TCP', host, port, autoAnswer: false });
    const rss = vector('01-body-request-system-status.xml');
    const session = await client.openSession({
      uri: 'sip:73124@gw.deskline.test',
      from: `<${SIPE.user}>`,
      body: rss,
    });
    expect(session.inviteResponse.status).toBe(200);
    const xref = expectCsta(
      (await session.info(vector('05-body-monitor-start.xml'))).body,
      'MonitorStartResponse',
    ).monitorCrossRefID;
    // NOTES §2.6: sipe re-INVITEs at Session-Expires − 60 s and does not restart MonitorStart.
    const refreshed = await session.reInvite(rss);
    expect(refreshed.status).toBe(200);
    expect(decoded(refreshed.body).message).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });
    expectCsta((await session.info(vector('07-body-make-call.xml'))).body, 'MakeCallResponse');
    const originated = await nextEvent(client);
    expect(originated.message).toMatchObject({ type: 'OriginatedEvent', monitorCrossRefID: xref });
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(site.gateway, site.simulator);
  });
});

describe('answers in the edition the client spoke (docs/msrcc.md §6)', () => {
  const editions: [string, string, CstaXmlEdition][] = [
    ['ed2', cstaNamespace('ed2'), 'ed2'],
    ['ed4', cstaNamespace('ed4'), 'ed4'],
    ['ed5', cstaNamespace('ed5'), 'ed5'],
    // Early editions were published under www.ecma.ch (OpenScape sends it): same edition back.
    ['ed2 under www.ecma.ch', 'http://www.ecma.ch/standards/ecma-323/csta/ed2', 'ed2'],
  ];

  it.each(editions)(
    'a client speaking %s gets that edition back: responses and events',
    async (_name, namespace, edition) => {
      // sipe's VERBATIM bodies with only the namespace changed to the one under test.
      const speak = (xml: string): string => {
        expect(xml).toContain(`xmlns="${ED3}"`);
        return xml.replace(`xmlns="${ED3}"`, `xmlns="${namespace}"`);
      };
      site = await sipeSite();
      const { host, port } = listener(site.gateway, 'TCP');
      client = await SipRawClient.connect({ transport: 'TCP', host, port });
      const session = await client.openSession({
        uri: 'sip:73124@gw.deskline.test',
        from: `<${SIPE.user}>`,
        body: speak(vector('01-body-request-system-status.xml')),
      });
      expect(session.inviteResponse.status).toBe(200);
      const answered = (body: Buffer): void => {
        expect(decoded(body).edition).toBe(edition);
        expect(body.toString('utf8')).toContain(`xmlns="${cstaNamespace(edition)}"`);
      };
      answered(session.inviteResponse.body);
      const features = await session.info(speak(vector('04-body-get-csta-features.xml')));
      answered(features.body);
      const monitor = await session.info(speak(vector('05-body-monitor-start.xml')));
      answered(monitor.body);
      const made = await session.info(speak(vector('07-body-make-call.xml')));
      answered(made.body);
      expect(decoded(made.body).message.type).toBe('MakeCallResponse');
      for (const type of ['OriginatedEvent', 'DeliveredEvent', 'EstablishedEvent']) {
        const event = await nextEvent(client);
        expect(event.message.type).toBe(type);
        answered(event.request.body);
      }
      // A refusal comes back in the client's edition too.
      const refused = await session.info(
        speak(
          vector('07-body-make-call.xml').replace(
            SIPE.line,
            'tel:73125;phone-context=dialstring;partition=BE_BRS_INT',
          ),
        ),
      );
      expect(refused.status).toBe(200);
      expect(decoded(refused.body).message).toMatchObject({ type: 'CSTAErrorCode', errorClass: 'operation' });
      answered(refused.body);
      expect((await session.bye()).status).toBe(200);
      await expectAllReleased(site.gateway, site.simulator);
    },
  );
});
