// Transactions (RFC 3261 §17) over real TCP with the fake clock: retransmissions absorbed with
// the last response resent, CANCEL (§9.2), RFC 2543 matching, Timer F, Timer H, and the guard
// that answers for an application that never does.
import { afterEach, describe, expect, it } from 'vitest';
import type { SipRawClient } from '../support/sip-raw-client.js';
import {
  DELIVERED_EVENT_BODY,
  MONITOR_START_BODY,
  RSS_BODY,
  RSS_RESPONSE_BODY,
  startGateway,
  until,
  type TestGateway,
} from './helpers.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';
const INVITE_HEADERS: [string, string][] = [
  ['Contact', '<sip:alice@client.invalid;transport=tcp>'],
  ['Supported', 'timer'],
];

/** Counts responses with `status` among those received and not yet consumed. */
async function responsesWith(client: SipRawClient, status: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await client.nextResponse((r) => r.status === status);
}

describe('transactions', () => {
  let gateway: TestGateway;
  afterEach(async () => {
    await gateway.stop();
  });

  it('absorbs a retransmitted INVITE, resends the provisional, then the final response (§17.2.1)', async () => {
    gateway = await startGateway();
    gateway.delegate.inviteHandler = () => undefined; // the application takes its time
    const client = await gateway.connect('TCP');
    const invite = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: INVITE_HEADERS,
    });
    await responsesWith(client, 100, 1);
    client.sendBytes(invite.bytes); // retransmission while Proceeding
    await responsesWith(client, 100, 1);
    expect(gateway.delegate.invites).toHaveLength(1);
    gateway.delegate.invites[0]!.reject(486);
    const busy = await client.finalResponse(invite.branch, 'INVITE');
    expect(busy.status).toBe(486);
    client.sendBytes(invite.bytes); // retransmission while Completed: the 486 again, same To tag
    const again = await client.finalResponse(invite.branch, 'INVITE');
    expect(again.status).toBe(486);
    expect(again.header('to')).toBe(busy.header('to'));
    expect(gateway.delegate.invites).toHaveLength(1);
    // The ACK for the non-2xx uses the INVITE's branch and is absorbed (§17.2.1 Confirmed).
    const to = busy.header('to')!;
    client.send({
      method: 'ACK',
      uri: GATEWAY_URI,
      branch: invite.branch,
      callId: invite.callId,
      to,
      headers: [['From', `<sip:alice@example.com>;tag=${invite.fromTag}`]],
    });
    await until(
      () => gateway.core.stats().serverTransactions === 0,
      'INVITE transaction terminated by the ACK',
    );
  });

  it('absorbs an INVITE retransmitted after the 2xx (RFC 6026 Accepted state) until Timer L', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const invite = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: INVITE_HEADERS,
    });
    expect((await client.finalResponse(invite.branch, 'INVITE')).status).toBe(200);
    client.sendBytes(invite.bytes);
    const probe = await client.request({ method: 'OPTIONS', uri: GATEWAY_URI });
    expect(probe.status).toBe(200);
    expect(client.received.filter((m) => !m.isRequest)).toHaveLength(0); // nothing answered the retransmission
    expect(gateway.delegate.invites).toHaveLength(1);
    expect(gateway.core.stats().serverTransactions).toBe(1);
    gateway.clock.advance(32_000); // Timer L = 64*T1
    expect(gateway.core.stats().serverTransactions).toBe(0);
  });

  it('absorbs a retransmitted INFO while the application works on it (§17.2.2 Trying)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    gateway.delegate.requestHandler = () => undefined;
    const info = session.build('INFO', { body: MONITOR_START_BODY });
    client.sendBytes(info.bytes);
    await until(() => gateway.delegate.requests.length === 1, 'INFO reached the application');
    client.sendBytes(info.bytes);
    expect((await client.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
    expect(gateway.delegate.requests).toHaveLength(1);
    gateway.delegate.requests[0]!.request.respond(200, { body: '<ok/>' });
    expect((await client.finalResponse(info.branch, 'INFO')).bodyText()).toBe('<ok/>');
  });

  it('with a Timer J linger, a retransmission after the answer gets the same final response again', async () => {
    gateway = await startGateway({ core: { timers: { timerJMs: 32_000 } } });
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const info = session.build('INFO', { body: MONITOR_START_BODY });
    client.sendBytes(info.bytes);
    const first = await client.finalResponse(info.branch, 'INFO');
    client.sendBytes(info.bytes);
    const second = await client.finalResponse(info.branch, 'INFO');
    expect(second.status).toBe(200);
    expect(second.bodyText()).toBe(first.bodyText());
    expect(gateway.delegate.requests).toHaveLength(1);
    gateway.clock.advance(32_000);
    await until(() => gateway.core.stats().serverTransactions === 0, 'Timer J fired');
  });

  it('CANCEL: 200 to the CANCEL, 487 to the INVITE, the application is told (§9.2)', async () => {
    gateway = await startGateway();
    gateway.delegate.inviteHandler = () => undefined;
    const client = await gateway.connect('TCP');
    const invite = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: INVITE_HEADERS,
    });
    await until(() => gateway.delegate.invites.length === 1, 'INVITE reached the application');
    const incoming = gateway.delegate.invites[0]!;
    let told = false;
    incoming.onCancel = () => {
      told = true;
    };
    const cancel = await client.request({
      method: 'CANCEL',
      uri: GATEWAY_URI,
      branch: invite.branch,
      callId: invite.callId,
      headers: [['From', `<sip:alice@example.com>;tag=${invite.fromTag}`]],
    });
    expect(cancel.status).toBe(200);
    expect((await client.finalResponse(invite.branch, 'INVITE')).status).toBe(487);
    expect([incoming.canceled, told, incoming.answered]).toEqual([true, true, true]);
    expect(() => incoming.accept({ body: RSS_RESPONSE_BODY })).toThrow(/already answered/);
    // A CANCEL for nothing → 481.
    expect((await client.request({ method: 'CANCEL', uri: GATEWAY_URI })).status).toBe(481);
  });

  it('matches an RFC 2543 request (no magic cookie, RFC 4475 §3.2.1) for retransmissions', async () => {
    gateway = await startGateway();
    gateway.delegate.inviteHandler = () => undefined;
    const client = await gateway.connect('TCP');
    const invite = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Via', 'SIP/2.0/TCP oldclient.example.com;branch=z9hG4bK'], ...INVITE_HEADERS],
    });
    await responsesWith(client, 100, 1);
    client.sendBytes(invite.bytes);
    await responsesWith(client, 100, 1);
    expect(gateway.delegate.invites).toHaveLength(1);
    gateway.delegate.invites[0]!.reject(603);
    expect((await client.nextResponse((r) => r.status === 603)).status).toBe(603);
  });

  it('Timer F: an INFO the peer never answers fails with SIP_TIMEOUT after 64*T1; the dialog goes on (§17.1.2.2; docs/msrcc.md §5)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP', { autoAnswer: false });
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    await client.sync(); // the ACK has been processed before time moves
    const dialog = gateway.delegate.dialogs[0]!;
    const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    await client.nextRequest('INFO');
    expect(gateway.core.stats().clientTransactions).toBe(1);
    gateway.clock.advance(31_999);
    expect(gateway.core.stats().clientTransactions).toBe(1);
    gateway.clock.advance(1);
    await expect(sent).rejects.toMatchObject({ code: 'SIP_TIMEOUT' });
    expect(gateway.core.stats().clientTransactions).toBe(0);
    // RFC 3261 §12.2.1.2 would end the dialog; a client that never answers INFO (pidgin-sipe) is
    // alive, so the timeout fails this transaction only, and the next INFO goes out in the dialog.
    expect(gateway.delegate.terminated).toEqual([]);
    expect(dialog.isTerminated).toBe(false);
    const next = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    client.respond(await client.nextRequest('INFO'), 200);
    expect((await next).status).toBe(200);
  });

  it('a provisional response does not stop Timer F; a final one resolves', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP', { autoAnswer: false });
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const sent = gateway.delegate.dialogs[0]!.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    const info = await client.nextRequest('INFO');
    client.respond(info, 100);
    client.respond(info, 202);
    expect((await sent).status).toBe(202);
  });

  it('answers 500 for an application that never answers, so nothing hangs', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    gateway.delegate.requestHandler = () => undefined;
    const info = session.build('INFO', { body: MONITOR_START_BODY });
    client.sendBytes(info.bytes);
    await until(() => gateway.delegate.requests.length === 1, 'INFO reached the application');
    gateway.clock.advance(32_000);
    const answer = await client.finalResponse(info.branch, 'INFO');
    expect(answer.status).toBe(500);
    expect(answer.header('warning')).toMatch(/did not answer/);
    expect(() => gateway.delegate.requests[0]!.request.respond(200)).toThrow(/already answered/);
  });

  it('Timer H: a non-2xx never ACKed ends its transaction after 64*T1', async () => {
    gateway = await startGateway();
    gateway.delegate.inviteHandler = (invite) => invite.reject(480);
    const client = await gateway.connect('TCP');
    const invite = client.send({
      method: 'INVITE',
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: INVITE_HEADERS,
    });
    expect((await client.finalResponse(invite.branch, 'INVITE')).status).toBe(480);
    expect(gateway.core.stats().serverTransactions).toBe(1);
    gateway.clock.advance(32_000);
    expect(gateway.core.stats().serverTransactions).toBe(0);
  });
});
