// The RCC face over TLS with trusted peers, configured as an operator would (sip.tls with cert,
// key, ca and trustedPeers; docs/msrcc.md §2): the Lync/Skype pool's certificate is trusted
// and its users' sessions work end to end; any other peer is refused at the TLS layer — before a
// single SIP byte is read — and the log says why. Certificates: gateway/test/fixtures/tls
// (scripts/gen-test-certs.sh).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { SipRawClient } from '../support/sip-raw-client.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { demoGateway } from '../faces/desk/helpers.js';
import { ALICE_LINE, body, csta, nextEvent } from '../faces/msrcc/helpers.js';
import { SERVER_URI, expectAllReleased, until } from './helpers.js';

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
const tlsPath = (name: string): string => fileURLToPath(new URL(name, TLS_DIR));
const tlsFile = (name: string): Buffer => readFileSync(new URL(name, TLS_DIR));

let gateway: Gateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

async function tlsGateway(logger: MemoryLogger): Promise<Gateway> {
  return demoGateway(
    {
      sip: {
        domain: 'gw.deskline.test',
        tls: [
          {
            host: '127.0.0.1',
            port: 0,
            cert: tlsPath('server.crt'),
            key: tlsPath('server.key'),
            ca: tlsPath('ca.crt'),
            trustedPeers: ['lync-pool.test'],
          },
        ],
      },
    },
    logger,
  );
}

function tlsPort(gw: Gateway): number {
  const found = gw.sip?.listenerAddresses().find((l) => l.transport === 'TLS');
  if (found === undefined) throw new Error('no TLS listener');
  return Number(found.address.slice(found.address.lastIndexOf(':') + 1));
}

function clientTls(name: 'trusted-client' | 'untrusted-client' | 'rogue-client' | undefined): {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
} {
  return name === undefined
    ? { ca: tlsFile('ca.crt') }
    : { ca: tlsFile('ca.crt'), cert: tlsFile(`${name}.crt`), key: tlsFile(`${name}.key`) };
}

describe('Microsoft RCC over TLS with trusted peers', () => {
  it('the trusted pool opens a session for its user, and calls, events and BYE flow over TLS', async () => {
    const logger = new MemoryLogger();
    gateway = await tlsGateway(logger);
    client = await SipRawClient.connect({
      transport: 'TLS',
      host: '127.0.0.1',
      port: tlsPort(gateway),
      tls: clientTls('trusted-client'),
    });
    const session = await client.openSession({
      uri: SERVER_URI,
      from: '<sip:alice@deskline.example>',
      contact: '<sip:alice@lync-pool.test;transport=tls>',
      body: body.requestSystemStatus(ALICE_LINE),
    });
    expect(session.inviteResponse.status).toBe(200);
    expect(csta(session.inviteResponse)).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });
    // Our Contact says TLS, so in-dialog requests come back over TLS.
    expect(session.inviteResponse.header('contact')).toContain('transport=tls');
    expect(
      logger.records.some(
        (r) => r.message === 'RCC session open' && r.fields.transport === 'TLS' && r.fields.user === 'alice',
      ),
    ).toBe(true);
    expect(gateway.sip?.userAgent.connections()[0]?.peerNames).toContain('lync-pool.test');

    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    expect(await nextEvent(client, 'EstablishedEvent')).toMatchObject({ type: 'EstablishedEvent' });
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
    expect(client.parseErrors).toEqual([]);
  });

  it.each([
    [
      'a certificate whose names are not trusted',
      'untrusted-client',
      /stranger\.test.*match no trusted peer/,
    ],
    ['no client certificate', undefined, /no client certificate presented/],
    ['a certificate from another CA', 'rogue-client', /not verified/],
  ] as const)('refuses %s at the TLS layer, opens nothing, and logs why', async (_name, who, reason) => {
    const logger = new MemoryLogger();
    gateway = await tlsGateway(logger);
    let answered: boolean;
    try {
      client = await SipRawClient.connect({
        transport: 'TLS',
        host: '127.0.0.1',
        port: tlsPort(gateway),
        tls: clientTls(who),
      });
      // TLS 1.3 completes on the client side before the server checks the certificate: whatever
      // the client sends next must never be answered.
      client.send({
        method: 'INVITE',
        uri: SERVER_URI,
        from: '<sip:alice@deskline.example>',
        headers: [
          ['Contact', '<sip:alice@x.invalid;transport=tls>'],
          ['Content-Disposition', 'signal;handling=required'],
        ],
        body: body.requestSystemStatus(ALICE_LINE),
      });
      await client.closed();
      answered = client.bytesReceived > 0;
    } catch {
      answered = false; // the handshake itself failed
    }
    expect(answered).toBe(false);
    const refusal = (r: { level: string; message: string }): boolean =>
      r.level === 'warn' && /TLS peer refused|TLS handshake refused/.test(r.message);
    await until(() => logger.records.some(refusal), 'the refusal logged');
    expect(String(logger.records.find(refusal)?.fields.reason)).toMatch(reason);
    expect(gateway.core.sessionCount).toBe(0);
    expect(gateway.sip?.userAgent.stats().connections).toBe(0);
    expect(logger.records.some((r) => r.message === 'RCC session open')).toBe(false);
  });
});
