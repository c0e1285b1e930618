// Oversized and odd-shaped SIP against the whole gateway, over TCP and WebSocket: a header section
// over the limit, a body over sip.maxMessageBytes, an absurd Content-Length, thousands of header
// fields, a long Request-URI, a header section that is not UTF-8, and absurd RFC 4028 values. Each
// gets its SIP status (or, where the stream cannot be framed any more, the connection closes), and
// changes nothing: the sessions already open keep working and no state is left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, type SipRawClient } from '../support/sip-raw-client.js';
import { DEFAULT_MAX_HEADER_BYTES, MAX_SESSION_EXPIRES_S } from '../../src/sip/constants.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { Rig, until } from '../fault/harness.js';
import {
  connect,
  engineState,
  expectState,
  expectWorking,
  LINES,
  rawInfo,
  signIn,
  signOut,
  warningText,
  type EngineState,
  type SignedIn,
} from './helpers.js';

const MAX_MESSAGE_BYTES = 65_536; // sip.maxMessageBytes default
const OPTIONS_URI = 'sip:probe@127.0.0.1';

describe.each(['TCP', 'WS'] as const)('oversized and odd-shaped SIP over %s', (transport) => {
  let rig: Rig;
  let alice: SignedIn;
  let bystander: SignedIn;
  let before: EngineState;
  const opened: SipRawClient[] = [];
  const client = async (): Promise<SipRawClient> => {
    const c = await connect(rig, transport);
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    rig = await Rig.start();
    alice = await signIn(rig, transport, 'alice');
    bystander = await signIn(rig, transport === 'TCP' ? 'WS' : 'TCP', 'carol');
    before = engineState(rig);
  });
  afterAll(async () => {
    for (const c of opened) c.destroy();
    await rig.abandon();
  });

  it('a header section over the limit', async () => {
    const c = await client();
    const sent = c.send({
      method: 'OPTIONS',
      uri: OPTIONS_URI,
      headers: [['X-Junk', 'j'.repeat(DEFAULT_MAX_HEADER_BYTES + 1024)]],
    });
    const answer = await c.finalResponse(sent.branch, 'OPTIONS');
    // The same limit and answer on both: 400 naming the limit.
    expect(answer.status).toBe(400);
    expect(warningText(answer)).toMatch(/header section exceeds 16384 bytes/);
    if (transport === 'TCP') {
      // The stream cannot be framed safely any more: the connection closes.
      await c.closed();
    } else {
      // One WebSocket message is one SIP message: the next one is framed as ever.
      const probe = c.send({ method: 'OPTIONS', uri: OPTIONS_URI });
      expect((await c.finalResponse(probe.branch, 'OPTIONS')).status).toBe(200);
    }
    expect(engineState(rig)).toEqual(before);
  });

  it('a body over sip.maxMessageBytes', async () => {
    const c = await client();
    if (transport === 'TCP') {
      // Refused from its Content-Length alone, before the body is read: 413, then close.
      const sent = c.send({ method: 'INFO', uri: OPTIONS_URI, body: 'x'.repeat(MAX_MESSAGE_BYTES + 4096) });
      expect((await c.finalResponse(sent.branch, 'INFO')).status).toBe(413);
    } else {
      // A WebSocket message is bounded as a whole (maxPayload = header limit + body limit): one
      // over it fails the connection (1009) unread.
      c.send({
        method: 'INFO',
        uri: OPTIONS_URI,
        body: 'x'.repeat(DEFAULT_MAX_HEADER_BYTES + MAX_MESSAGE_BYTES + 1024),
      });
    }
    await c.closed();
    expect(engineState(rig)).toEqual(before);
  });

  if (transport === 'WS') {
    it('a body over the limit but inside one WebSocket message: the CSTA decoder refuses it (XML too large)', async () => {
      const response = await rawInfo(
        alice,
        `<MakeCall xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><callingDevice>${'9'.repeat(MAX_MESSAGE_BYTES)}</callingDevice></MakeCall>`,
      );
      expect(response.status).toBe(200);
      expect(csta(response)).toEqual({ type: 'CSTAErrorCode', errorClass: 'operation', value: 'generic' });
      expect(warningText(response)).toMatch(/bytes|large|limit/i);
      expect(engineState(rig)).toEqual(before);
    });
  }

  it('an absurd Content-Length (15 digits) is refused without waiting for the body', async () => {
    const c = await client();
    const bytes = Buffer.from(
      `OPTIONS ${OPTIONS_URI} SIP/2.0\r\nVia: SIP/2.0/${transport} h.invalid;branch=z9hG4bKcl15\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: cl15\r\nCSeq: 1 OPTIONS\r\nContent-Length: 999999999999999\r\n\r\n`,
      'latin1',
    );
    c.sendBytes(bytes);
    const answer = await c.nextResponse();
    // TCP: the body could never be accepted (413) and the stream is given up. WebSocket: the
    // message ends long before its Content-Length (RFC 3261 §18.3 as for a datagram): 400.
    expect(answer.status).toBe(transport === 'TCP' ? 413 : 400);
    if (transport === 'TCP') await c.closed();
    expect(engineState(rig)).toEqual(before);
  });

  it('two thousand small header fields, and a 4 kB Request-URI, are parsed and answered', async () => {
    const c = await client();
    const many: [string, string][] = Array.from({ length: 2000 }, (_, i) => ['X-H', String(i % 10)]);
    const sent = c.send({ method: 'OPTIONS', uri: OPTIONS_URI, headers: many });
    expect((await c.finalResponse(sent.branch, 'OPTIONS')).status).toBe(200);
    const long = c.send({ method: 'OPTIONS', uri: `sip:${'u'.repeat(4096)}@127.0.0.1` });
    expect((await c.finalResponse(long.branch, 'OPTIONS')).status).toBe(200);
    expect(c.isClosed).toBe(false);
    expect(engineState(rig)).toEqual(before);
  });

  it('a header section that is not UTF-8', async () => {
    const c = await client();
    const bytes = Buffer.from(
      `OPTIONS ${OPTIONS_URI} SIP/2.0\r\nVia: SIP/2.0/${transport} h.invalid;branch=z9hG4bKlat1\r\nMax-Forwards: 70\r\nFrom: "Jos\xe9" <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: lat1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    );
    c.sendBytes(bytes, { binary: true });
    // RFC 3261 §7.3.1 (UTF8-NONASCII): 400 naming the problem; the framing is intact, the
    // connection stays. Over WebSocket this holds for a binary message; a text message that is not
    // UTF-8 fails the WebSocket connection itself (RFC 6455 §8.1, hostile/xml.test.ts).
    const answer = await c.nextResponse();
    expect(answer.status).toBe(400);
    expect(warningText(answer)).toMatch(/UTF-8/);
    const probe = c.send({ method: 'OPTIONS', uri: OPTIONS_URI });
    expect((await c.finalResponse(probe.branch, 'OPTIONS')).status).toBe(200);
    expect(engineState(rig)).toEqual(before);
  });

  it('an absurd Session-Expires is reduced (RFC 4028 §9), not a session torn down at once', async () => {
    const c = await client();
    const session = await c.openSession({
      uri: 'sip:rcc@gw.deskline.test',
      from: '<sip:dave@deskline.example>',
      contact: '<sip:dave@127.0.0.1:1;transport=tcp>',
      headers: [
        ['Session-Expires', '4294967295;refresher=uac'],
        ['Min-SE', '4294967295'],
      ],
      body: body.requestSystemStatus(LINES.dave),
    });
    expect(session.inviteResponse.status).toBe(200);
    expect(session.inviteResponse.header('session-expires')).toBe(`${MAX_SESSION_EXPIRES_S};refresher=uac`);
    // Still there after a while (a 32-bit timer overflow used to fire the expiry after 1 ms).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.received.some((m) => 'method' in m && m.method === 'BYE')).toBe(false);
    expect(csta(await session.info(body.getCstaFeatures(LINES.dave))).type).toBe('GetCSTAFeaturesResponse');
    expect((await session.bye()).status).toBe(200);
    await expectState(rig, before, 'after the session');
  });

  it('a Session-Expires below our minimum gets 422 with Min-SE (RFC 4028 §6), and no session', async () => {
    const c = await client();
    const session = await c.openSession({
      uri: 'sip:rcc@gw.deskline.test',
      from: '<sip:dave@deskline.example>',
      contact: '<sip:dave@127.0.0.1:1;transport=tcp>',
      headers: [['Session-Expires', '1']],
      body: body.requestSystemStatus(LINES.dave),
    });
    expect(session.inviteResponse.status).toBe(422);
    expect(session.inviteResponse.header('min-se')).toBe('90');
    expect(engineState(rig)).toEqual(before);
  });

  it('a thousand requests in one write are all answered, in order', async () => {
    const c = await client();
    const built = Array.from({ length: 1000 }, () =>
      buildRequest({ method: 'OPTIONS', uri: OPTIONS_URI }, transport),
    );
    if (transport === 'TCP') c.sendBytes(Buffer.concat(built.map((b) => b.bytes)));
    else for (const b of built) c.sendBytes(b.bytes);
    for (const b of built) expect((await c.finalResponse(b.branch, 'OPTIONS')).status).toBe(200);
    expect(engineState(rig)).toEqual(before);
  });

  it('the open sessions never noticed, and sign out cleanly', async () => {
    await expectWorking(alice);
    await expectWorking(bystander);
    await expectState(rig, before, 'after everything');
    await signOut(alice);
    await signOut(bystander);
    for (const c of opened) c.destroy();
    await until(() => (rig.gateway.sip?.userAgent.stats().connections ?? 0) === 0, 'every connection gone');
    await rig.expectGatewayIdle();
    await rig.expectNoCalls();
    await rig.finish();
  });
});
