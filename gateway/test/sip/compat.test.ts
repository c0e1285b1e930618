// The SIP stack's rules for Microsoft RCC clients as they really are (docs/msrcc.md §14), through
// real sockets on a fake clock:
//   - CSeq resets (sip.tolerateCSeqReset, on by default): an ACK of a dialog awaiting the ACK of our
//     2xx is that ACK whatever its CSeq, and a numbering that restarts after our 2xx to a
//     (re-)INVITE is re-baselined once — and, with the rule off, the RFC 3261 answers (a stray ACK,
//     BYE after 64·T1, 500);
//   - what an answer to our in-dialog request means: 408 and Timer F fail the transaction only, the
//     RFC 5057 dialog-terminating statuses end the dialog, our own refresh's 408 ends it (RFC 4028);
//   - a re-INVITE's Record-Route is copied into its answers;
//   - our requests follow the route set: a request of the dialog that arrives some other way does
//     not divert them, one from the first hop (its Via names it) does;
//   - a re-INVITE for a dialog the core does not know, taken over by the layer above.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRequest, type SipResponse } from '../../src/sip/message.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { buildResponse } from '../../src/sip/serializer.js';
import type { RawSession, SipRawClient } from '../support/sip-raw-client.js';
import {
  DELIVERED_EVENT_BODY,
  MONITOR_START_BODY,
  RSS_BODY,
  RSS_RESPONSE_BODY,
  portOf,
  startGateway,
  until,
  type StartOptions,
  type TestGateway,
} from './helpers.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';
const CONTACT: [string, string] = ['Contact', '<sip:alice@client.invalid;transport=tcp>'];
/** The client's From in a dialog it opened with another node: its tag is the dialog's remote tag. */
const CLIENT_FROM: [string, string] = ['From', '<sip:alice@example.com>;tag=client7'];

let gateway: TestGateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

async function start(options: StartOptions = {}): Promise<TestGateway> {
  gateway = await startGateway(options);
  return gateway;
}

/** A re-INVITE with CSeq `cseq`, answered 200 by the application; resolves with that 200 (not ACKed). */
async function reInviteUnacked(
  client: SipRawClient,
  session: RawSession,
  cseq: number,
  extra: [string, string][] = [],
): Promise<SipResponse> {
  const built = session.build('INVITE', { body: RSS_BODY, cseq, headers: [CONTACT, ...extra] });
  client.sendBytes(built.bytes);
  return client.finalResponse(built.branch, 'INVITE');
}

describe('CSeq resets (sip.tolerateCSeqReset)', () => {
  it('on (the default): the ACK with CSeq 1 after the 2xx to a re-INVITE with CSeq 5 is its ACK; the next requests are numbered 2, 3, … and served', async () => {
    const gw = await start();
    const client = await gw.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 4 })).status).toBe(200);
    expect((await reInviteUnacked(client, session, 5)).status).toBe(200);
    session.ack(1); // pidgin-sipe: CSeq reset to 0 before the ACK
    await client.sync();
    // No BYE for a missing ACK (RFC 3261 §13.3.1.4): the ACK was taken.
    gw.clock.advance(33_000);
    expect(gw.delegate.terminated).toEqual([]);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 2 })).status).toBe(200);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 3 })).status).toBe(200);
    // Re-baselined once, not switched off: a request out of order is still refused.
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 3 })).status).toBe(500);
    expect(gw.delegate.requests.map((r) => r.request.method)).toEqual(['INFO', 'INVITE', 'INFO', 'INFO']);
  });

  it('on: a numbering that restarts after a correctly numbered ACK is re-baselined once', async () => {
    const gw = await start();
    const client = await gw.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await reInviteUnacked(client, session, 7)).status).toBe(200);
    session.ack(7);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 2 })).status).toBe(200);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 1 })).status).toBe(500);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 3 })).status).toBe(200);
  });

  it('off: the ACK with CSeq 1 is stray (BYE after 64·T1), and INFO with CSeq 2 gets 500 (RFC 3261 §12.2.2, §13.3.1.4)', async () => {
    const gw = await start({ core: { tolerateCSeqReset: false } });
    const client = await gw.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await reInviteUnacked(client, session, 5)).status).toBe(200);
    session.ack(1);
    const refused = await session.request('INFO', { body: MONITOR_START_BODY, cseq: 2 });
    expect(refused.status).toBe(500);
    expect(refused.header('warning')).toMatch(/CSeq 2 is not above 5/);
    gw.clock.advance(32_000);
    await client.nextRequest('BYE');
    expect(gw.delegate.terminated.map((t) => t.reason)).toEqual(['ack-timeout']);
  });

  it('off: a numbering that restarts after the ACK gets 500', async () => {
    const gw = await start({ core: { tolerateCSeqReset: false } });
    const client = await gw.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect((await reInviteUnacked(client, session, 7)).status).toBe(200);
    session.ack(7);
    expect((await session.request('INFO', { body: MONITOR_START_BODY, cseq: 2 })).status).toBe(500);
  });
});

describe('what an answer to our in-dialog request means', () => {
  it('408 to an INFO fails that transaction only; the dialog goes on (docs/msrcc.md §5)', async () => {
    const gw = await start();
    const client = await gw.connect('TCP', { autoAnswer: false });
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const dialog = gw.delegate.dialogs[0]!;
    const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    client.respond(await client.nextRequest('INFO'), 408);
    expect((await sent).status).toBe(408);
    expect(dialog.isTerminated).toBe(false);
    expect(gw.delegate.terminated).toEqual([]);
  });

  it.each([404, 410, 416, 480, 482, 483, 484, 485, 502, 604])(
    '%i to an INFO ends the dialog (RFC 5057 §5.1), without BYE',
    async (status) => {
      const gw = await start();
      const client = await gw.connect('TCP', { autoAnswer: false });
      await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
      const dialog = gw.delegate.dialogs[0]!;
      const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
      client.respond(await client.nextRequest('INFO'), status);
      expect((await sent).status).toBe(status);
      expect(gw.delegate.terminated).toEqual([{ dialog, reason: 'rejected' }]);
      await client.sync();
      expect(client.received.filter((m) => m instanceof SipRequest && m.method === 'BYE')).toEqual([]);
    },
  );

  it.each([400, 415, 486, 500, 503])('%i to an INFO fails that transaction only', async (status) => {
    const gw = await start();
    const client = await gw.connect('TCP', { autoAnswer: false });
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const dialog = gw.delegate.dialogs[0]!;
    const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    client.respond(await client.nextRequest('INFO'), status);
    expect((await sent).status).toBe(status);
    expect(dialog.isTerminated).toBe(false);
  });

  it('408 to our own session refresh (UPDATE) ends the dialog (RFC 4028 §10)', async () => {
    const gw = await start();
    const client = await gw.connect('TCP', { autoAnswer: false });
    await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [
        ['Supported', ''],
        ['Allow', 'INVITE, ACK, BYE, INFO, UPDATE'],
      ],
    });
    await client.sync();
    gw.clock.advance(900_000); // refresher=uas: UPDATE at half the 1800 s interval
    client.respond(await client.nextRequest('UPDATE'), 408);
    await until(() => gw.delegate.terminated.length === 1, 'dialog ended');
    expect(gw.delegate.terminated.map((t) => t.reason)).toEqual(['timeout']);
  });
});

describe('route sets that survive clients which re-learn them', () => {
  it("a re-INVITE's Record-Route is copied into its 2xx, and into a 491 (pidgin-sipe rebuilds its route set from every answer)", async () => {
    const gw = await start();
    const client = await gw.connect('TCP');
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    const rr: [string, string] = ['Record-Route', '<sip:lb.example.com;lr>'];
    const ok = await reInviteUnacked(client, session, 3, [rr]);
    expect(ok.status).toBe(200);
    expect(ok.headers.getAll('record-route')).toEqual(['<sip:lb.example.com;lr>']);
    expect(ok.header('contact')).toBeDefined();
    // Before its ACK, another re-INVITE gets 491 — with the Record-Route too.
    const glare = await reInviteUnacked(client, session, 4, [rr]);
    expect(glare.status).toBe(491);
    expect(glare.headers.getAll('record-route')).toEqual(['<sip:lb.example.com;lr>']);
  });
});

describe('in-dialog requests follow the route set (RFC 3261 §12.2.1.1)', () => {
  it('to the first Route hop: a request of the dialog from elsewhere does not divert them; one whose Via names the first hop does; without a connection, a new one to that hop', async () => {
    // A stand-in for the proxy the route set names (the first Record-Route), answering 200.
    const atProxy: SipRequest[] = [];
    const sockets: Socket[] = [];
    const proxy: Server = createServer((socket) => {
      sockets.push(socket);
      const framer = new StreamFramer({
        onMessage: (result) => {
          if (!result.ok || !(result.value instanceof SipRequest)) return;
          atProxy.push(result.value);
          socket.write(buildResponse(result.value.headers, true, 200, {}));
        },
        onPing: () => undefined,
        onFatal: () => socket.destroy(),
      });
      socket.on('data', (chunk: Buffer) => framer.push(chunk));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = portOf(proxy);
    try {
      const gw = await start();
      const viaOfProxy = (branch: string): [string, string] => [
        'Via',
        `SIP/2.0/TCP 127.0.0.1:${proxyPort};branch=${branch}, SIP/2.0/TCP client.invalid;branch=${branch}c`,
      ];
      // The INVITE comes from the proxy (its connection, its Via, its Record-Route).
      const first = await gw.connect('TCP');
      const session = await first.openSession({
        uri: GATEWAY_URI,
        body: RSS_BODY,
        headers: [['Record-Route', `<sip:127.0.0.1:${proxyPort};transport=tcp;lr>`]],
      });
      const dialog = gw.delegate.dialogs[0]!;
      // A request of the dialog arriving on another connection, not from the first hop.
      const stray = await gw.connect('TCP');
      const built = session.build('INFO', { body: MONITOR_START_BODY });
      stray.sendBytes(built.bytes);
      expect((await stray.finalResponse(built.branch, 'INFO')).status).toBe(200);
      // Our next request still goes to the first hop's connection.
      const sent = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
      const onFirst = await first.nextRequest('INFO');
      expect(onFirst.headers.getAll('route')).toEqual([`<sip:127.0.0.1:${proxyPort};transport=tcp;lr>`]);
      expect((await sent).status).toBe(200);
      expect(stray.received.filter((m) => m instanceof SipRequest)).toEqual([]);

      // That connection closes: the next request opens one to the first hop itself.
      await first.close();
      await until(() => dialog.transport === undefined, 'dialog lost its connection');
      expect((await dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY })).status).toBe(200);
      expect(atProxy.map((r) => r.method)).toEqual(['INFO']);
      expect(dialog.transport?.outbound).toBe(true);

      // A request from the first hop (its Via names it) arriving on a new connection: ours go back on it.
      const third = await gw.connect('TCP');
      const branch = 'z9hG4bKfromproxy1';
      const fromProxy = session.build('INFO', { body: MONITOR_START_BODY, headers: [viaOfProxy(branch)] });
      third.sendBytes(fromProxy.bytes);
      expect((await third.nextResponse((r) => r.header('cseq')?.endsWith('INFO') === true)).status).toBe(200);
      const back = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
      expect((await third.nextRequest('INFO')).header('call-id')).toBe(session.callId);
      expect((await back).status).toBe(200);
      expect(atProxy).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe('a re-INVITE for a dialog the core does not know', () => {
  /** A re-INVITE in a dialog of `callId` with our tag `toTag`, as a client whose node died sends it. */
  function orphanReInvite(
    client: SipRawClient,
    options: { callId: string; toTag: string; cseq: number; body?: string; contentType?: string },
  ): { branch: string } {
    return client.send({
      method: 'INVITE',
      uri: 'sip:73124@10.1.1.1:5060;transport=tcp',
      callId: options.callId,
      cseq: options.cseq,
      to: `<${GATEWAY_URI}>;tag=${options.toTag}`,
      body: options.body ?? RSS_BODY,
      ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
      headers: [
        CLIENT_FROM,
        CONTACT,
        ['Record-Route', '<sip:lb.example.com;lr>'],
        ['Supported', 'timer'],
        ['Session-Expires', '600;refresher=uac'],
      ],
    });
  }

  it('without a take-over delegate: 481 (RFC 3261 §12.2.2)', async () => {
    const gw = await start();
    const client = await gw.connect('TCP');
    const sent = orphanReInvite(client, { callId: 'orphan-1', toTag: 'deadnode1', cseq: 9 });
    expect((await client.finalResponse(sent.branch, 'INVITE')).status).toBe(481);
  });

  it('taken over: the dialog keeps its ID (To tag kept), the 200 carries Record-Route, Contact and Session-Expires, our requests count from the upper half of the CSeq space', async () => {
    const gw = await start();
    const taken: string[] = [];
    gw.delegate.onDialogTakeover = (invite) => {
      expect(invite.takeover).toBe(true);
      const dialog = invite.accept({ body: RSS_RESPONSE_BODY });
      gw.delegate.dialogs.push(dialog);
      taken.push(dialog.id);
    };
    const client = await gw.connect('TCP');
    const sent = orphanReInvite(client, { callId: 'orphan-2', toTag: 'deadnode2', cseq: 9 });
    const ok = await client.finalResponse(sent.branch, 'INVITE');
    expect(ok.status).toBe(200);
    expect(ok.header('to')).toBe(`<${GATEWAY_URI}>;tag=deadnode2`);
    expect(ok.headers.getAll('record-route')).toEqual(['<sip:lb.example.com;lr>']);
    expect(ok.header('contact')).toMatch(/^<sip:73124@127\.0\.0\.1:\d+;transport=tcp>$/);
    expect(ok.header('session-expires')).toBe('600;refresher=uac');
    const dialog = gw.delegate.dialogs[0]!;
    expect(taken).toEqual([dialog.id]);
    expect([dialog.callId, dialog.localTag]).toEqual(['orphan-2', 'deadnode2']);
    expect(dialog.localUri).toBe(`<${GATEWAY_URI}>`);
    expect(dialog.routeSet).toEqual(['<sip:lb.example.com;lr>']);
    // The client's ACK (pidgin-sipe's: CSeq 1) and its next INFO go to the taken-over dialog.
    expect(dialog.remoteTag).toBe('client7');
    const inDialog = { callId: 'orphan-2', to: `<${GATEWAY_URI}>;tag=deadnode2`, uri: GATEWAY_URI };
    client.send({ ...inDialog, method: 'ACK', cseq: 1, headers: [CLIENT_FROM] });
    const info = client.send({
      ...inDialog,
      method: 'INFO',
      cseq: 2,
      body: MONITOR_START_BODY,
      headers: [CLIENT_FROM],
    });
    expect((await client.finalResponse(info.branch, 'INFO')).status).toBe(200);
    gw.clock.advance(33_000); // the ACK was taken: no BYE for a missing one
    expect(gw.delegate.terminated).toEqual([]);
    const event = dialog.sendRequest('INFO', { body: DELIVERED_EVENT_BODY });
    const request = await client.nextRequest('INFO');
    const cseq = request.cseq();
    expect(cseq.ok && cseq.value.seq).toBeGreaterThanOrEqual(2 ** 30);
    expect(cseq.ok && cseq.value.seq).toBeLessThan(2 ** 31 - 2 ** 24);
    expect(request.headers.getAll('route')).toEqual(['<sip:lb.example.com;lr>']);
    expect((await event).status).toBe(200);
  });

  it('refused by the layer above: its status, with the Record-Route', async () => {
    const gw = await start();
    gw.delegate.onDialogTakeover = (invite) => invite.reject(403, { reason: 'Forbidden' });
    const client = await gw.connect('TCP');
    const sent = orphanReInvite(client, { callId: 'orphan-3', toTag: 'deadnode3', cseq: 4 });
    const refused = await client.finalResponse(sent.branch, 'INVITE');
    expect(refused.status).toBe(403);
    expect(refused.headers.getAll('record-route')).toEqual(['<sip:lb.example.com;lr>']);
    expect(gw.core.stats().dialogs).toBe(0);
  });

  it('not a CSTA re-INVITE (SDP): 481, the layer above never sees it', async () => {
    const gw = await start();
    let seen = 0;
    gw.delegate.onDialogTakeover = () => seen++;
    const client = await gw.connect('TCP');
    const sent = orphanReInvite(client, {
      callId: 'orphan-4',
      toTag: 'deadnode4',
      cseq: 4,
      body: 'v=0\r\n',
      contentType: 'application/sdp',
    });
    expect((await client.finalResponse(sent.branch, 'INVITE')).status).toBe(481);
    expect(seen).toBe(0);
  });

  it('a second take-over re-INVITE for the same dialog while the first is decided gets 491', async () => {
    const gw = await start();
    const pending: { accept: () => void }[] = [];
    gw.delegate.onDialogTakeover = (invite) =>
      pending.push({ accept: () => gw.delegate.dialogs.push(invite.accept({ body: RSS_RESPONSE_BODY })) });
    const client = await gw.connect('TCP');
    const first = orphanReInvite(client, { callId: 'orphan-5', toTag: 'deadnode5', cseq: 4 });
    await until(() => pending.length === 1, 'the first take-over reached the layer above');
    const second = orphanReInvite(client, { callId: 'orphan-5', toTag: 'deadnode5', cseq: 5 });
    expect((await client.finalResponse(second.branch, 'INVITE')).status).toBe(491);
    pending[0]!.accept();
    expect((await client.finalResponse(first.branch, 'INVITE')).status).toBe(200);
    expect(gw.core.stats().dialogs).toBe(1);
  });
});
