// A client that never reads, under steady load from three other clients. It pipelines requests
// whose answers pile up on the gateway's side of the connection; the gateway cuts it off once
// its write buffer passes the limit (1 MiB, transport/connection.ts), so the memory it spends on a
// stuck peer is bounded, and the other clients never notice. Over TCP and over WebSocket.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_WRITE_BUFFER_BYTES } from '../../src/sip/constants.js';
import { SipRawClient, RawSession } from '../support/sip-raw-client.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { LOAD_USERS, Rig, until } from './harness.js';
import { drainAndCheck, LoadClient, startLoad } from './load-client.js';

let rig: Rig | undefined;
let load: LoadClient[] = [];
const clients: SipRawClient[] = [];
afterEach(async () => {
  for (const client of load) client.destroyConnection();
  for (const client of clients.splice(0)) client.destroy();
  load = [];
  await rig?.abandon();
  rig = undefined;
});

const GRACE = { user: 'grace', line: 'tel:1007;phone-context=dialstring;partition=INTERNAL' };
/** The largest answer a client can ask for cheaply: the feature lists. */
const FEATURES = body.getCstaFeatures(GRACE.line);

describe.each(['TCP', 'WS'] as const)('a %s client that never reads', (transport) => {
  it('is cut off at the write-buffer limit; memory stays bounded; the others carry on', async () => {
    rig = await Rig.start();
    const r = rig;
    load = await startLoad(r, { count: 3, users: LOAD_USERS.filter((u) => u.user !== GRACE.user) });
    const { host, port } = r.listener(transport);
    const slow = await SipRawClient.connect({ transport, host, port, waitTimeoutMs: 5_000 });
    clients.push(slow);
    const session = await slow.openSession({
      uri: 'sip:rcc@gw.deskline.test',
      from: `<sip:${GRACE.user}@deskline.example>`,
      contact:
        transport === 'TCP'
          ? '<sip:grace@127.0.0.1:1;transport=tcp>'
          : '<sip:grace@slow.invalid;transport=ws>',
      body: body.requestSystemStatus(GRACE.line),
    });
    expect(session.inviteResponse.status).toBe(200);
    const one = await session.info(FEATURES);
    const answerBytes = one.body.length + 600; // body + headers of one 200 OK
    slow.pauseReading();

    // Pipeline requests, never reading an answer, until the gateway gives up on us.
    const cutOff = (): boolean => r.logger.find('SIP peer not reading; connection cut off').length > 0;
    let sent = 0;
    while (!cutOff() && !slow.isClosed && sent < 40_000) {
      for (let i = 0; i < 100; i++) {
        slow.sendBytes(
          session.build('INFO', {
            body: FEATURES,
            headers: [['Content-Disposition', 'signal;handling=required']],
          }).bytes,
        );
        sent++;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(cutOff, `the gateway cut the slow reader off (${sent} requests sent)`);
    const record = r.logger.find('SIP peer not reading; connection cut off')[0];
    const buffered = Number(record?.fields['buffered']);
    // Bounded: at most the limit plus the one answer that crossed it.
    expect(buffered).toBeGreaterThan(DEFAULT_MAX_WRITE_BUFFER_BYTES);
    expect(buffered).toBeLessThanOrEqual(DEFAULT_MAX_WRITE_BUFFER_BYTES + answerBytes);
    await until(
      () => !r.gateway.sip?.userAgent.connections().some((c) => c.remotePort === slow.localPort),
      'its connection gone',
    );
    slow.destroy();

    if (transport === 'TCP') {
      // The dialog outlived its connection (RFC 3261 §18.1.1): the client comes back and signs out.
      const again = await SipRawClient.connect({ transport, host, port, waitTimeoutMs: 5_000 });
      clients.push(again);
      const resumed = new RawSession(
        again,
        session.uri,
        {
          bytes: Buffer.alloc(0),
          branch: '',
          method: 'INVITE',
          callId: session.callId,
          fromTag: session.localTag,
        },
        session.inviteResponse,
        `<sip:${GRACE.user}@deskline.example>`,
        `<${session.uri}>`,
      );
      const answer = await resumed.request('INFO', { body: FEATURES, cseq: session.lastCSeq + 1 });
      expect(`${answer.status} ${answer.reason} ${answer.header('warning') ?? ''}`).toMatch(/^200 /);
      expect(csta(answer).type).toBe('GetCSTAFeaturesResponse');
      expect((await resumed.bye()).status).toBe(200);
      await again.close();
    }
    await until(
      () => ![...r.gateway.core.allSessions()].some((s) => s.user.id === GRACE.user),
      "the slow reader's session released",
    );
    await drainAndCheck(r, load);
  }, 60_000);
});
