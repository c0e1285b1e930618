// TLS and secure WebSocket with trusted peers: the peer certificate's subject CN or
// subjectAltName must match a configured name; mutual TLS is required when the list is
// non-empty; anyone else is refused at the TLS layer and the log says why. Certificates are the
// committed fixtures from scripts/gen-test-certs.sh.
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRawClient } from '../support/sip-raw-client.js';
import { certificateNames, isTrustedPeer } from '../../src/sip/transport/tls-peers.js';
import { RSS_BODY, startGateway, tlsFile, until, type TestGateway } from './helpers.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';

function clientTls(name: 'trusted-client' | 'untrusted-client' | 'rogue-client' | undefined) {
  return name === undefined
    ? { ca: tlsFile('ca.crt') }
    : { ca: tlsFile('ca.crt'), cert: tlsFile(`${name}.crt`), key: tlsFile(`${name}.key`) };
}

describe('trusted peer names', () => {
  it('match CN or SAN, case-insensitively, with single-label wildcards', () => {
    expect(isTrustedPeer(['Lync-Pool.test'], ['lync-pool.test'])).toBe(true);
    expect(isTrustedPeer(['fe1.pool.example.com'], ['*.pool.example.com'])).toBe(true);
    expect(isTrustedPeer(['a.fe1.pool.example.com'], ['*.pool.example.com'])).toBe(false);
    expect(isTrustedPeer(['pool.example.com'], ['*.pool.example.com'])).toBe(false);
    expect(isTrustedPeer(['stranger.test'], ['lync-pool.test'])).toBe(false);
    expect(isTrustedPeer([], ['lync-pool.test'])).toBe(false);
  });

  it('reads names from a certificate', async () => {
    const names = await new Promise<string[]>((resolve, reject) => {
      // A TLS client looking at our server certificate.
      void startGateway({ tls: true }).then(async (gateway) => {
        const socket = tlsConnect(
          { host: '127.0.0.1', port: gateway.port('TLS'), ...clientTls('trusted-client') },
          () => {
            const found = certificateNames(socket.getPeerCertificate());
            socket.destroy();
            void gateway.stop().then(() => resolve(found), reject);
          },
        );
        socket.on('error', reject);
      }, reject);
    });
    expect(names).toEqual(['gateway.test', 'localhost', 'gateway.test', '127.0.0.1']);
  });
});

describe.each(['TLS', 'WSS'] as const)('%s with trusted peers', (transport) => {
  let gateway: TestGateway;
  afterEach(async () => {
    await gateway.stop();
  });

  it('accepts a trusted peer (mutual TLS) and runs a session', async () => {
    gateway = await startGateway({ tls: true });
    const client = await gateway.connect(transport, { tls: clientTls('trusted-client') });
    const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect(session.inviteResponse.status).toBe(200);
    expect(session.inviteResponse.header('contact')).toContain(`transport=${transport.toLowerCase()}`);
    expect(gateway.delegate.invites[0]!.transport.peerNames).toContain('lync-pool.test');
    expect(gateway.delegate.invites[0]!.transport.protocol).toBe(transport);
  });

  it.each([
    ['a certificate whose names are not trusted', 'untrusted-client', /match no trusted peer|stranger\.test/],
    ['no client certificate', undefined, /no client certificate presented/],
    ['a certificate from another CA', 'rogue-client', /not verified: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
  ] as const)('refuses %s, and logs why', async (_name, who, reason) => {
    gateway = await startGateway({ tls: true });
    // TLS: the handshake completes on the client side, then the gateway closes the connection
    // before reading anything, so no SIP byte is ever answered. WSS: the upgrade is refused.
    const refused = await SipRawClient.connect({
      transport,
      host: '127.0.0.1',
      port: gateway.port(transport),
      tls: clientTls(who),
    }).then(
      async (client) => {
        client.send({ method: 'OPTIONS', uri: GATEWAY_URI });
        await client.closed();
        return client.bytesReceived === 0;
      },
      () => true,
    );
    expect(refused).toBe(true);
    const refusal = (r: { level: string; message: string }): boolean =>
      r.level === 'warn' && /TLS peer refused|upgrade refused/.test(r.message);
    await until(() => gateway.logger.records.some(refusal), 'refusal logged');
    const record = gateway.logger.records.find(refusal)!;
    expect(String(record.fields.reason)).toMatch(reason);
    expect(gateway.core.stats().connections).toBe(0);
    expect(gateway.delegate.invites).toHaveLength(0);
  });

  it('without trusted peers, plain server-side TLS accepts any client', async () => {
    gateway = await startGateway({
      tls: true,
      transports: { tlsConfig: { cert: tlsFile('server.crt'), key: tlsFile('server.key') } },
    });
    const client = await gateway.connect(transport, { tls: clientTls(undefined) });
    expect((await client.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
  });

  it('refuses TLS 1.1 (modern settings: TLS 1.2+)', async () => {
    gateway = await startGateway({ tls: true });
    const error = await new Promise<Error | undefined>((resolve) => {
      const socket = tlsConnect(
        {
          host: '127.0.0.1',
          port: gateway.port(transport),
          ...clientTls('trusted-client'),
          maxVersion: 'TLSv1.1',
          minVersion: 'TLSv1',
        },
        () => {
          socket.destroy();
          resolve(undefined);
        },
      );
      socket.on('error', (e) => resolve(e));
    });
    expect(error).toBeInstanceOf(Error);
  });
});
