// The transport layer under stress and at its limits, over real sockets: a slow reader is cut
// off, oversize messages are refused, many connections at once, the connection limit, idle
// timeout, RFC 5626 keep-alive, RFC 7118 subprotocol, and dispose() leaving nothing behind.
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { isDesklineError } from '../../src/util/errors.js';
import { SipUserAgentCore, type IncomingDialogRequest } from '../../src/sip/user-agent-core.js';
import { FakeClock } from '../support/fake-clock.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../../src/sip/constants.js';
import type { SipResponse } from '../../src/sip/message.js';
import type { SipConnection } from '../../src/sip/transport/connection.js';
import {
  MONITOR_START_BODY,
  MONITOR_START_RESPONSE_BODY,
  RecordingDelegate,
  RSS_BODY,
  activeResources,
  startGateway,
  until,
  type TestGateway,
} from './helpers.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';

describe('transport limits', () => {
  let gateway: TestGateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  it('cuts off a peer that never reads instead of buffering without bound', async () => {
    gateway = await startGateway({ transports: { maxWriteBufferBytes: 256 * 1024 } });
    const client = await gateway.connect('TCP');
    await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    await client.sync();
    client.pauseReading();
    const dialog = gateway.delegate.dialogs[0]!;
    const body = `<x>${'e'.repeat(60_000)}</x>`;
    const sends: Promise<unknown>[] = [];
    // Loopback socket buffers absorb a few MB; keep writing until the gateway gives up on us.
    for (let i = 0; i < 400 && gateway.core.stats().connections > 0; i++) {
      sends.push(dialog.sendRequest('INFO', { body }).catch((error: unknown) => error));
      if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => gateway!.core.stats().connections === 0, 'slow reader cut off');
    const outcomes = await Promise.all(sends);
    expect(outcomes.some((o) => isDesklineError(o, 'SIP_TRANSPORT'))).toBe(true);
    expect(gateway.logger.records.some((r) => r.message === 'SIP peer not reading; connection cut off')).toBe(
      true,
    );
    client.destroy();
  });

  it.each(['TCP', 'WS'] as const)(
    '%s: stops reading at maxPendingRequests unanswered, resumes at half; other connections go on',
    async (protocol) => {
      gateway = await startGateway({ transports: { maxPendingRequests: 8 } });
      const held: IncomingDialogRequest[] = [];
      gateway.delegate.requestHandler = (_dialog, request) => {
        if (request.method === 'INFO') held.push(request);
        else request.respond(200);
      };
      const client = await gateway.connect(protocol);
      const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
      expect(session.inviteResponse.status).toBe(200);
      const answers: Promise<SipResponse>[] = [];
      for (let i = 0; i < 8; i++) answers.push(session.info(MONITOR_START_BODY));
      await until(() => held.length === 8, 'eight INFOs held by the TU');
      const connection = gateway.core.connections()[0] as SipConnection;
      expect(connection.isReadingPaused).toBe(true);
      // Sent one by one after the pause: none is read while eight are unanswered.
      for (let i = 0; i < 12; i++) {
        answers.push(session.info(MONITOR_START_BODY));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const other = await gateway.connect(protocol);
      expect((await other.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
      expect(held.length).toBe(8);

      // Answering three leaves five (> 8/2): still paused. The fourth resumes reading.
      for (const request of held.splice(0, 3)) request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held.length).toBe(5);
      held.shift()?.respond(200, { body: MONITOR_START_RESPONSE_BODY });
      await until(() => held.length > 4, 'reading resumed');
      // Answer everything as it comes; all twenty get their 200.
      gateway.delegate.requestHandler = (_dialog, request) =>
        request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
      for (const request of held.splice(0)) request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
      await until(() => connection.pending === 0 && !connection.isReadingPaused, 'nothing pending');
      for (const request of held.splice(0)) request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
      const statuses = (await Promise.all(answers)).map((a) => a.status);
      expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
      expect(gateway.core.stats().readPauses).toBeGreaterThanOrEqual(1);
      expect(connection.pending).toBe(0);
      await other.close();
    },
  );

  it('refuses a header section over 16 KiB with 400, then closes', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    client.sendBytes(
      `OPTIONS ${GATEWAY_URI} SIP/2.0\r\nVia: SIP/2.0/TCP c.example.com;branch=z9hG4bKbig\r\nCall-ID: big@c\r\nCSeq: 1 OPTIONS\r\nX-Pad: ${'p'.repeat(17_000)}\r\n\r\n`,
    );
    const answer = await client.nextResponse();
    expect(answer.status).toBe(400);
    expect(answer.header('warning')).toMatch(/header section exceeds 16384 bytes/);
    await client.closed();
  });

  it('refuses a body over 64 KiB with 413 as soon as the Content-Length says so, then closes', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    client.sendBytes(
      `INFO ${GATEWAY_URI} SIP/2.0\r\nVia: SIP/2.0/TCP c.example.com;branch=z9hG4bKbig\r\nCall-ID: big@c\r\nCSeq: 1 INFO\r\nContent-Length: 70000\r\n\r\n`,
    );
    const answer = await client.nextResponse();
    expect(answer.status).toBe(413);
    await client.closed();
  });

  it('limits are configurable (smaller body limit)', async () => {
    gateway = await startGateway({ transports: { maxBodyBytes: 100 } });
    const client = await gateway.connect('TCP');
    client.send({ method: 'INFO', uri: GATEWAY_URI, body: 'x'.repeat(101), contentType: 'text/plain' });
    expect((await client.nextResponse()).status).toBe(413);
  });

  it('serves many connections at once, over TCP and WebSocket', async () => {
    gateway = await startGateway();
    const clients = await Promise.all(
      Array.from({ length: 120 }, (_, i) => gateway!.connect(i % 3 === 0 ? 'WS' : 'TCP')),
    );
    await until(() => gateway!.core.stats().connections === 120, '120 connections registered');
    const answers = await Promise.all(
      clients.map((client) => client.request({ method: 'OPTIONS', uri: GATEWAY_URI })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const sessions = await Promise.all(
      clients.slice(0, 40).map((client) => client.openSession({ uri: GATEWAY_URI, body: RSS_BODY })),
    );
    expect(sessions.every((s) => s.inviteResponse.status === 200)).toBe(true);
    expect(gateway.core.stats().dialogs).toBe(40);
    await Promise.all(clients.map((client) => client.close()));
    await until(() => gateway!.core.stats().connections === 0, 'all closed');
  });

  it('refuses connections above maxConnections', async () => {
    gateway = await startGateway({ transports: { maxConnections: 3 } });
    const kept = await Promise.all([gateway.connect('TCP'), gateway.connect('TCP'), gateway.connect('TCP')]);
    await until(() => gateway!.core.stats().connections === 3, 'three registered');
    const extra = await gateway.connect('TCP');
    await extra.closed();
    expect(gateway.logger.records.some((r) => /too many connections/.test(r.message))).toBe(true);
    const ws = await gateway.connect('WS').catch((error: unknown) => error);
    expect(ws).toBeInstanceOf(Error);
    expect((await kept[0]!.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
  });

  it('closes an idle connection, but not one that carries a dialog', async () => {
    gateway = await startGateway();
    const idle = await gateway.connect('TCP');
    const busy = await gateway.connect('TCP');
    await busy.openSession({ uri: GATEWAY_URI, body: RSS_BODY, headers: [['Session-Expires', '7200']] });
    await busy.sync();
    await idle.sync();
    gateway.clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
    await idle.closed();
    expect(busy.isClosed).toBe(false);
    expect((await busy.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
  });

  it('answers a CRLFCRLF keep-alive ping with a CRLF pong (RFC 5626 §3.5.1)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    await client.ping();
    await client.ping();
    expect(client.pongs).toBe(2);
    expect((await client.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
  });

  it('requires the "sip" WebSocket subprotocol (RFC 7118 §4.1)', async () => {
    gateway = await startGateway();
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gateway!.port('WS')}/`, ['chat']);
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('upgrade accepted without "sip"')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
    const ok = await gateway.connect('WS');
    expect((await ok.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
  });

  it('WebSocket: text and binary messages both carry SIP; garbage closes the connection', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('WS');
    const built = client.send({ method: 'OPTIONS', uri: GATEWAY_URI });
    expect((await client.finalResponse(built.branch, 'OPTIONS')).status).toBe(200);
    const binary = (await import('../support/sip-raw-client.js')).buildRequest(
      { method: 'OPTIONS', uri: GATEWAY_URI },
      'WS',
    );
    client.sendBytes(binary.bytes, { binary: true });
    expect((await client.finalResponse(binary.branch, 'OPTIONS')).status).toBe(200);
    client.sendBytes('\u0000\u0001 not sip at all');
    await client.closed();
  });
});

describe('dispose', () => {
  it('leaves no sockets, servers or timers behind', async () => {
    const tcpBefore = activeResources('TCP');
    const clock = new FakeClock();
    const delegate = new RecordingDelegate();
    const core = new SipUserAgentCore({
      transports: { tcp: [{ host: '127.0.0.1', port: 0 }], ws: [{ host: '127.0.0.1', port: 0 }] },
      delegate,
      clock,
      timers: { timerJMs: 32_000 },
    });
    const [tcp, ws] = await core.start();
    const { SipRawClient } = await import('../support/sip-raw-client.js');
    const clients = await Promise.all([
      SipRawClient.connect({ transport: 'TCP', host: '127.0.0.1', port: tcp!.port }),
      SipRawClient.connect({ transport: 'WS', host: '127.0.0.1', port: ws!.port }),
    ]);
    for (const client of clients) {
      const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
      await session.info('<x/>');
      void delegate.dialogs
        .at(-1)!
        .sendRequest('INFO', { body: '<event/>' })
        .catch(() => undefined);
    }
    expect(clock.pendingTimers()).toBeGreaterThan(0);
    await core.dispose();
    expect(clock.pendingTimers()).toBe(0);
    expect(core.stats()).toEqual({
      connections: 0,
      dialogs: 0,
      serverTransactions: 0,
      clientTransactions: 0,
      readPauses: 0,
      sources: 0,
      queuedMessages: 0,
      deferredMessages: 0,
      limits: {
        maxConnections: 0,
        maxConnectionsPerSource: 0,
        maxDialogsPerConnection: 0,
        messageTimeout: 0,
      },
    });
    expect(delegate.terminated.map((t) => t.reason)).toEqual(['disposed', 'disposed']);
    await Promise.all(clients.map((client) => client.closed()));
    await until(() => activeResources('TCP') <= tcpBefore, 'TCP handles released');
    expect(activeResources('TCP')).toBeLessThanOrEqual(tcpBefore);
  });
});
