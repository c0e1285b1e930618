// Dialogs (RFC 3261 §12, UAS side) through real sockets: the Microsoft RCC flow, CSeq ordering,
// 481, re-INVITE glare, route set and loose/strict routing, target refresh, BYE both ways,
// and requests that must find a new connection.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SipRequest } from '../../src/sip/message.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { buildResponse } from '../../src/sip/serializer.js';
import { isDesklineError } from '../../src/util/errors.js';
import {
  portOf,
  DELIVERED_EVENT_BODY,
  MONITOR_START_BODY,
  MONITOR_START_RESPONSE_BODY,
  RSS_BODY,
  RSS_RESPONSE_BODY,
  startGateway,
  until,
  type TestGateway,
} from './helpers.js';
import { msRccMessage } from './vectors.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';

describe('dialogs', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startGateway();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  it('runs the Microsoft RCC flow: INVITE (sipe RequestSystemStatus, verbatim) → 200 → ACK, INFO, event INFO, BYE', async () => {
    const client = await gateway.connect('TCP');
    // The pidgin-sipe INVITE exactly as in the sample (headers CRLF), body verbatim.
    const invite = msRccMessage('01-invite-request-system-status.txt');
    client.sendBytes(invite);
    const ok = await client.nextResponse((r) => r.status >= 200);
    expect(ok.status).toBe(200);
    expect(ok.bodyText()).toBe(RSS_RESPONSE_BODY);
    expect(ok.header('content-type')).toBe('application/csta+xml');
    expect(ok.header('session-expires')).toBe('1800;refresher=uac');
    expect(ok.header('require')).toBe('timer');
    expect(ok.header('contact')).toMatch(/^<sip:73124@127\.0\.0\.1:\d+;transport=tcp>$/);
    const toTag = ok.to().ok ? ok.to() : undefined;
    expect(toTag?.ok && toTag.value.params.get('tag')).toBeTruthy();
    // The application saw the INVITE with the line URI body.
    expect(gateway.delegate.invites).toHaveLength(1);
    expect(gateway.delegate.invites[0]!.message.bodyText()).toBe(RSS_BODY);
    const dialog = gateway.delegate.dialogs[0]!;
    expect(dialog.remoteTarget).toBe('sip:alice@company.local;opaque=user:epid:example;gruu');
    expect(dialog.remoteUri).toBe('<sip:alice@company.local>;tag=9708e2df90;epid=bd23d94254');
    client.destroy();
  });

  it('carries INFO requests both ways inside a dialog', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect(session.inviteResponse.status).toBe(200);
    const answer = await session.info(MONITOR_START_BODY);
    expect(answer.status).toBe(200);
    expect(answer.bodyText()).toBe(MONITOR_START_RESPONSE_BODY);
    const { dialog, request } = gateway.delegate.requests[0]!;
    expect(request.method).toBe('INFO');
    expect(request.message.bodyText()).toBe(MONITOR_START_BODY);
    // An event from the gateway: a new INFO in the same dialog (RFC 3261 §12.2.1.1).
    const sent = dialog.sendRequest('INFO', {
      body: DELIVERED_EVENT_BODY,
      headers: [['Content-Disposition', 'signal;handling=required']],
    });
    const event = await client.nextRequest('INFO');
    expect(event.bodyText()).toBe(DELIVERED_EVENT_BODY);
    expect(event.uri).toBe('sip:alice@client.invalid;transport=tcp');
    expect(event.header('call-id')).toBe(session.callId);
    expect(event.to().ok && event.to()).toMatchObject({ value: { params: expect.anything() } });
    const to = event.to();
    const from = event.from();
    expect(to.ok && to.value.params.get('tag')).toBe(session.localTag);
    expect(from.ok && from.value.params.get('tag')).toBe(session.remoteTag);
    expect((await sent).status).toBe(200);
    // Our CSeq space grows by one per request (§12.2.1.1).
    const second = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    const event2 = await client.nextRequest('INFO');
    const seq1 = event.cseq();
    const seq2 = event2.cseq();
    expect(seq1.ok && seq2.ok && seq2.value.seq - seq1.value.seq).toBe(1);
    await second;
    // BYE from the client ends it.
    expect((await session.bye()).status).toBe(200);
    expect(gateway.delegate.terminated).toEqual([{ dialog, reason: 'bye' }]);
    expect(gateway.core.stats().dialogs).toBe(0);
  });

  it('orders remote CSeq: lower or equal → 500 (RFC 3261 §12.2.2)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 10 })).status).toBe(200);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 9 })).status).toBe(500);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 10 })).status).toBe(500);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 11 })).status).toBe(200);
    expect(gateway.delegate.requests).toHaveLength(2);
  });

  it('answers 481 to requests that match no dialog (RFC 3261 §12.2.2, §15.1.2)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const wrongTag = (method: string) =>
      client.request({
        method,
        uri: GATEWAY_URI,
        from: '<sip:alice@example.com>',
        to: `<${GATEWAY_URI}>;tag=nope`,
        callId: session.callId,
        cseq: 50,
      });
    expect((await wrongTag('INFO')).status).toBe(481);
    expect((await wrongTag('BYE')).status).toBe(481);
    expect((await wrongTag('UPDATE')).status).toBe(481);
    // Outside any dialog (no To tag): BYE, INFO, UPDATE → 481.
    for (const method of ['BYE', 'INFO', 'UPDATE'])
      expect((await client.request({ method, uri: GATEWAY_URI })).status).toBe(481);
    expect(gateway.delegate.requests).toHaveLength(0);
  });

  it('re-INVITE while one is pending → 500 with Retry-After; before our 2xx is ACKed → 491 (RFC 3261 §14.2)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    // The application holds the first re-INVITE.
    gateway.delegate.requestHandler = () => undefined;
    const first = session.build('INVITE', {
      body: RSS_BODY,
      headers: [['Contact', '<sip:alice@client.invalid>']],
    });
    client.sendBytes(first.bytes);
    await until(() => gateway.delegate.requests.length === 1, 're-INVITE reached the application');
    const second = await session.request('INVITE', {
      body: RSS_BODY,
      headers: [['Contact', '<sip:alice@client.invalid>']],
    });
    expect(second.status).toBe(500);
    expect(Number(second.header('retry-after'))).toBeGreaterThanOrEqual(0);
    expect(Number(second.header('retry-after'))).toBeLessThanOrEqual(10);
    // Now answer the first; before its ACK a third re-INVITE gets 491.
    gateway.delegate.requests[0]!.request.respond(200, { body: RSS_RESPONSE_BODY });
    expect((await client.finalResponse(first.branch, 'INVITE')).status).toBe(200);
    const third = await session.request('INVITE', {
      body: RSS_BODY,
      headers: [['Contact', '<sip:alice@client.invalid>']],
    });
    expect(third.status).toBe(491);
    // After the ACK a re-INVITE goes through.
    session.ack(first.cseq);
    gateway.delegate.requestHandler = (_d, request) => request.respond(200, { body: RSS_RESPONSE_BODY });
    expect((await session.reInvite(RSS_BODY)).status).toBe(200);
  });

  it('uses the Record-Route route set with loose routing, and target refresh by UPDATE (RFC 3261 §12.1.1, §12.2.1.1)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Record-Route', '<sip:lb1.example.com;lr;r2=on>, <sip:lb2.example.com;lr>']],
      contact: '<sip:alice@10.9.9.9:5070;transport=tcp>',
    });
    // RFC 3261 §12.1.1: the 2xx copies Record-Route.
    expect(session.inviteResponse.headers.getAll('record-route')).toEqual([
      '<sip:lb1.example.com;lr;r2=on>, <sip:lb2.example.com;lr>',
    ]);
    const dialog = gateway.delegate.dialogs[0]!;
    expect(dialog.routeSet).toEqual(['<sip:lb1.example.com;lr;r2=on>', '<sip:lb2.example.com;lr>']);
    const firstEvent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    const event = await client.nextRequest('INFO');
    expect(event.uri).toBe('sip:alice@10.9.9.9:5070;transport=tcp');
    expect(event.headers.getAll('route')).toEqual([
      '<sip:lb1.example.com;lr;r2=on>',
      '<sip:lb2.example.com;lr>',
    ]);
    // Target refresh: an UPDATE with a new Contact replaces the remote target on 2xx.
    const update = await session.update(1800, [['Contact', '<sip:alice@10.8.8.8:6000;transport=tcp>']]);
    expect(update.status).toBe(200);
    expect(update.header('contact')).toMatch(/^<sip:.*transport=tcp>$/);
    const secondEvent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    expect((await client.nextRequest('INFO')).uri).toBe('sip:alice@10.8.8.8:6000;transport=tcp');
    expect((await firstEvent).status).toBe(200);
    expect((await secondEvent).status).toBe(200);
  });

  it('strict routing: the first route becomes the Request-URI and the target goes last (RFC 3261 §12.2.1.1)', async () => {
    const client = await gateway.connect('TCP');
    await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Record-Route', '<sip:strict.example.com;maddr=10.0.0.1>, <sip:lb2.example.com;lr>']],
      contact: '<sip:alice@10.9.9.9>',
    });
    const sent = gateway.delegate.dialogs[0]!.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    const event = await client.nextRequest('INFO');
    expect(event.uri).toBe('sip:strict.example.com;maddr=10.0.0.1');
    expect(event.headers.getAll('route')).toEqual(['<sip:lb2.example.com;lr>', '<sip:alice@10.9.9.9>']);
    expect((await sent).status).toBe(200);
  });

  it('dialog.bye() sends BYE and ends the dialog (RFC 3261 §15.1.1)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const dialog = gateway.delegate.dialogs[0]!;
    const done = dialog.bye();
    const bye = await client.nextRequest('BYE');
    expect(bye.header('call-id')).toBe(session.callId);
    await done;
    expect(gateway.delegate.terminated).toEqual([{ dialog, reason: 'local-bye' }]);
    await expect(dialog.sendRequest('INFO', {})).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await session.info(MONITOR_START_BODY)).status).toBe(481);
  });

  it('a 481 to our INFO ends the dialog (RFC 3261 §12.2.1.2)', async () => {
    const client = await gateway.connect('TCP', { autoAnswer: false });
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const dialog = gateway.delegate.dialogs[0]!;
    const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    client.respond(await client.nextRequest('INFO'), 481);
    expect((await sent).status).toBe(481);
    expect(gateway.delegate.terminated).toEqual([{ dialog, reason: '481' }]);
  });

  it('refuses INFO bodies it cannot read (415) and an Accept that excludes CSTA (406)', async () => {
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const sdp = await session.request('INFO', { body: 'v=0\r\n', contentType: 'application/sdp' });
    expect(sdp.status).toBe(415);
    expect(sdp.header('accept')).toBe('application/csta+xml');
    expect(
      (await session.request('INFO', { body: MONITOR_START_BODY, headers: [['Accept', 'text/plain']] }))
        .status,
    ).toBe(406);
    expect(
      (
        await session.request('INFO', {
          body: MONITOR_START_BODY,
          headers: [['Content-Disposition', 'alert;handling=required']],
        })
      ).status,
    ).toBe(415);
    expect(
      (await session.request('INFO', { body: MONITOR_START_BODY, headers: [['Content-Encoding', 'gzip']] }))
        .status,
    ).toBe(415);
    expect((await session.info(MONITOR_START_BODY)).status).toBe(200);
    expect(gateway.delegate.requests).toHaveLength(1);
  });

  it('OPTIONS inside and outside a dialog → 200 with Allow, Accept, Supported (RFC 3261 §11.2)', async () => {
    const client = await gateway.connect('TCP');
    const outside = await client.request({ method: 'OPTIONS', uri: GATEWAY_URI });
    expect(outside.status).toBe(200);
    expect(outside.header('allow')).toBe('INVITE, ACK, BYE, CANCEL, INFO, UPDATE, OPTIONS');
    expect(outside.header('accept')).toBe('application/csta+xml');
    expect(outside.header('supported')).toBe('timer');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await session.request('OPTIONS')).status).toBe(200);
  });

  it('stamps received and rport on the top Via of what it answers (RFC 3261 §18.2.1, RFC 3581 §4)', async () => {
    const client = await gateway.connect('TCP');
    const named = await client.request({
      method: 'OPTIONS',
      uri: GATEWAY_URI,
      branch: 'z9hG4bKstamp1',
      headers: [
        [
          'Via',
          'SIP/2.0/TCP client.invalid:5099;branch=z9hG4bKstamp1;rport, SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp',
        ],
      ],
    });
    expect(named.headers.getAll('via')).toEqual([
      `SIP/2.0/TCP client.invalid:5099;branch=z9hG4bKstamp1;rport=${client.localPort};received=127.0.0.1, SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp`,
    ]);
    const same = await client.request({
      method: 'OPTIONS',
      uri: GATEWAY_URI,
      branch: 'z9hG4bKstamp2',
      headers: [['Via', 'SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKstamp2']],
    });
    expect(same.header('via')).toBe('SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKstamp2');
  });

  it('INVITE refusals the application never sees: no Contact (400), Require unknown (420), 405, 501', async () => {
    const client = await gateway.connect('TCP');
    const noContact = await client.request({ method: 'INVITE', uri: GATEWAY_URI, body: RSS_BODY });
    expect(noContact.status).toBe(400);
    expect(noContact.header('warning')).toMatch(/Contact/);
    expect(
      (
        await client.request({
          method: 'INVITE',
          uri: GATEWAY_URI,
          body: RSS_BODY,
          headers: [
            ['Contact', '<sip:a@b.example.com>'],
            ['Require', '100rel'],
          ],
        })
      ).header('unsupported'),
    ).toBe('100rel');
    expect((await client.request({ method: 'SUBSCRIBE', uri: GATEWAY_URI })).status).toBe(405);
    expect((await client.request({ method: 'FROBNICATE', uri: GATEWAY_URI })).status).toBe(501);
    expect(gateway.delegate.invites).toHaveLength(0);
  });

  it('the application may reject an INVITE, or answer later (100 Trying meanwhile)', async () => {
    const client = await gateway.connect('TCP');
    gateway.delegate.inviteHandler = (invite) => invite.reject(403, { reason: 'Line Not Yours' });
    const refused = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect([refused.inviteResponse.status, refused.inviteResponse.reason]).toEqual([403, 'Line Not Yours']);
    gateway.delegate.inviteHandler = () => undefined;
    const pending = client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await client.nextResponse((r) => r.status === 100)).status).toBe(100);
    const invite = gateway.delegate.invites[1]!;
    invite.progress(180);
    expect((await client.nextResponse((r) => r.status === 180)).to().ok).toBe(true);
    invite.accept({ body: RSS_RESPONSE_BODY });
    expect((await pending).inviteResponse.status).toBe(200);
    expect(() => invite.reject(486)).toThrow(/already answered/);
  });

  it('when the dialog connection is gone, a TCP request goes on a new connection to the remote target (RFC 3261 §18.1.1)', async () => {
    // A stand-in for the client's own listener (its Contact address).
    const received: SipRequest[] = [];
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => {
      sockets.push(socket);
      const framer = new StreamFramer({
        onMessage: (result) => {
          if (!result.ok || !(result.value instanceof SipRequest)) return;
          received.push(result.value);
          socket.write(buildResponse(result.value.headers, true, 200, {}));
        },
        onPing: () => undefined,
        onFatal: () => socket.destroy(),
      });
      socket.on('data', (chunk: Buffer) => framer.push(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = portOf(server);
    try {
      const client = await gateway.connect('TCP');
      await client.openSession({
        uri: GATEWAY_URI,
        body: RSS_BODY,
        contact: `<sip:alice@127.0.0.1:${port};transport=tcp>`,
      });
      const dialog = gateway.delegate.dialogs[0]!;
      await client.close();
      await until(() => dialog.transport === undefined, 'dialog lost its connection');
      expect(dialog.isTerminated).toBe(false);
      const answer = await dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
      expect(answer.status).toBe(200);
      expect(received.map((r) => r.method)).toEqual(['INFO']);
      expect(dialog.transport?.outbound).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a dialog whose target cannot be reached ends with "transport"', async () => {
    const client = await gateway.connect('TCP');
    await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      contact: '<sip:alice@127.0.0.1:1;transport=tcp>',
    });
    const dialog = gateway.delegate.dialogs[0]!;
    await client.close();
    await until(() => dialog.transport === undefined, 'dialog lost its connection');
    const failure = await dialog
      .sendRequest('INFO', { body: DELIVERED_EVENT_BODY })
      .catch((error: unknown) => error);
    expect(isDesklineError(failure, 'SIP_TRANSPORT')).toBe(true);
    expect(gateway.delegate.terminated).toEqual([{ dialog, reason: 'transport' }]);
  });

  it('a WebSocket dialog ends with its connection (RFC 7118: the server cannot call back)', async () => {
    const client = await gateway.connect('WS');
    await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      contact: '<sip:alice@df7jal23ls0d.invalid;transport=ws>',
    });
    const dialog = gateway.delegate.dialogs[0]!;
    await client.close();
    await until(() => gateway.delegate.terminated.length === 1, 'dialog terminated');
    expect(gateway.delegate.terminated).toEqual([{ dialog, reason: 'transport' }]);
  });

  it('ends a session whose 2xx is never ACKed, with BYE (RFC 3261 §13.3.1.4)', async () => {
    const client = await gateway.connect('TCP');
    const built = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [
        ['Contact', '<sip:a@client.invalid>'],
        ['Supported', 'timer'],
      ],
    });
    expect((await client.finalResponse(built.branch, 'INVITE')).status).toBe(200);
    gateway.clock.advance(32_000);
    const bye = await client.nextRequest('BYE');
    expect(bye.header('call-id')).toBe(built.callId);
    expect(gateway.delegate.terminated.map((t) => t.reason)).toEqual(['ack-timeout']);
  });
});
