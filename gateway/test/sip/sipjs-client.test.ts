// An independent SIP implementation against the gateway: sip.js 0.21's core in Node over
// WebSocket (RFC 7118) — open a CSTA session with RequestSystemStatus, INFO both ways, refresh
// by UPDATE and re-INVITE, BYE from either side.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SipJsCstaClient } from '../support/sip-sipjs-client.js';
import {
  DELIVERED_EVENT_BODY,
  MONITOR_START_BODY,
  MONITOR_START_RESPONSE_BODY,
  RSS_BODY,
  RSS_RESPONSE_BODY,
  startGateway,
  until,
  type TestGateway,
} from './helpers.js';

describe('sip.js core client over WebSocket', () => {
  let gateway: TestGateway;
  let client: SipJsCstaClient;
  beforeEach(async () => {
    gateway = await startGateway();
    client = await SipJsCstaClient.connect({
      url: `ws://127.0.0.1:${gateway.port('WS')}/`,
      aor: 'sip:alice@example.com',
    });
  });
  afterEach(async () => {
    await client.close();
    await gateway.stop();
  });

  it('opens a CSTA session and exchanges INFO both ways', async () => {
    const session = await client.openSession('sip:73124@127.0.0.1', RSS_BODY);
    expect(session.answer.status).toBe(200);
    expect(session.answer.body).toBe(RSS_RESPONSE_BODY);
    expect(session.answer.headers('Session-Expires')).toBe('1800;refresher=uac');
    const invite = gateway.delegate.invites[0]!;
    expect(invite.message.bodyText()).toBe(RSS_BODY);
    expect(invite.message.header('content-type')).toBe('application/csta+xml');
    expect(invite.message.header('content-disposition')).toBe('signal;handling=required');
    expect(invite.transport.protocol).toBe('WS');

    const response = await session.info(MONITOR_START_BODY);
    expect(response.status).toBe(200);
    expect(response.body).toBe(MONITOR_START_RESPONSE_BODY);

    const dialog = gateway.delegate.dialogs[0]!;
    const sent = dialog.sendRequest('INFO', {
      body: DELIVERED_EVENT_BODY,
      headers: [['Content-Disposition', 'signal;handling=required']],
    });
    const event = await session.nextIncoming('INFO');
    expect(event.body).toBe(DELIVERED_EVENT_BODY);
    expect(event.contentType).toBe('application/csta+xml');
    expect((await sent).status).toBe(200);
  });

  it('refreshes with UPDATE and with re-INVITE', async () => {
    const session = await client.openSession('sip:73124@127.0.0.1', RSS_BODY);
    const update = await session.update(900);
    expect(update.status).toBe(200);
    expect(update.headers('Session-Expires')).toBe('900;refresher=uac');
    const reInvite = await session.reInvite(RSS_BODY);
    expect(reInvite.status).toBe(200);
    expect(reInvite.body).toBe(RSS_RESPONSE_BODY);
    expect(gateway.delegate.requests.map((r) => r.request.method)).toEqual(['UPDATE', 'INVITE']);
    // The re-INVITE's ACK arrived: a further request is not refused as glare.
    expect((await session.info(MONITOR_START_BODY)).status).toBe(200);
  });

  it('ends with BYE from the client', async () => {
    const session = await client.openSession('sip:73124@127.0.0.1', RSS_BODY);
    const bye = await session.bye();
    expect(bye.status).toBe(200);
    await until(() => gateway.delegate.terminated.length === 1, 'dialog terminated');
    expect(gateway.delegate.terminated[0]!.reason).toBe('bye');
  });

  it('ends with BYE from the gateway', async () => {
    const session = await client.openSession('sip:73124@127.0.0.1', RSS_BODY);
    await gateway.delegate.dialogs[0]!.bye();
    await session.nextIncoming('BYE');
    expect(session.endedByGateway).toBe(true);
  });
});
