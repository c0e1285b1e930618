// The SIP transport limits of docs/robustness.md ("SIP transport limits"), over real sockets
// against a bare user agent core: the deadline for completing a message (slowloris, over TCP and
// WebSocket, the WebSocket upgrade and the TLS handshake), connections per source address, dialogs
// per connection, and the fair scheduling of received messages (several flooding connections and
// a well-behaved client, fairness asserted by counts, never by wall-clock thresholds).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SipRequest, SipResponse } from '../../src/sip/message.js';
import { buildRequest } from '../support/sip-raw-client.js';
import type { IncomingInvite } from '../../src/sip/user-agent-core.js';
import type { SipConnection } from '../../src/sip/transport/connection.js';
import {
  MONITOR_START_BODY,
  MONITOR_START_RESPONSE_BODY,
  RSS_BODY,
  RSS_RESPONSE_BODY,
  startGateway,
  tlsFile,
  until,
  untilServerRead,
  type TestGateway,
} from './helpers.js';
import { closeFrame, destroyRawSockets, rawSocket, rawWebSocket, wsFrame } from './raw-sockets.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';
/** Long enough that only the message deadline can close a connection in these tests. */
const NO_IDLE = 3_600_000;

let gateway: TestGateway | undefined;
afterEach(async () => {
  destroyRawSockets();
  await gateway?.stop();
  gateway = undefined;
});

/** A WebSocket client (the ws library) whose upgrade answer is awaited: 'open' or the refusal status. */
function upgradeStatus(port: number): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['sip']);
    ws.on('open', () => {
      resolve('open');
      ws.terminate();
    });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

describe('message deadline (sip.messageTimeoutSec): a message must be complete within it of its first byte', () => {
  it('TCP: a head trickled one byte a second is cut at the deadline, without an answer; the idle timer plays no part', async () => {
    gateway = await startGateway({ transports: { idleTimeoutMs: NO_IDLE, messageTimeoutMs: 10_000 } });
    const client = await gateway.connect('TCP');
    const bytes = buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }).bytes;
    let sent = 0;
    // Nine seconds of one byte a second: still open (the deadline runs from the first byte).
    for (; sent < 10; sent++) {
      client.sendBytes(bytes.subarray(sent, sent + 1));
      await untilServerRead(gateway, sent + 1);
      if (sent < 9) gateway.clock.advance(1000);
    }
    expect(gateway.core.stats().connections).toBe(1);
    expect(client.isClosed).toBe(false);
    gateway.clock.advance(1000);
    await client.closed();
    expect(client.bytesReceived).toBe(0);
    expect(gateway.core.stats().limits.messageTimeout).toBe(1);
    expect(
      gateway.logger.records.some((r) => r.message === 'SIP connection closed: message not complete in time'),
    ).toBe(true);
  });

  it('TCP: a body trickled after a whole head is cut too; messages that complete in time each get a fresh deadline', async () => {
    gateway = await startGateway({ transports: { idleTimeoutMs: NO_IDLE, messageTimeoutMs: 10_000 } });
    const client = await gateway.connect('TCP');
    // Two messages, each taking 8 s in four pieces, and a quiet minute between them: both answered.
    let read = 0;
    for (let m = 0; m < 2; m++) {
      const built = buildRequest({
        method: 'OPTIONS',
        uri: GATEWAY_URI,
        body: 'x'.repeat(40),
        contentType: 'text/plain',
      });
      const quarter = Math.ceil(built.bytes.length / 4);
      for (let i = 0; i < 4; i++) {
        const piece = built.bytes.subarray(i * quarter, (i + 1) * quarter);
        client.sendBytes(piece);
        read += piece.length;
        await untilServerRead(gateway, read);
        if (i < 3) gateway.clock.advance(2600);
      }
      expect((await client.finalResponse(built.branch, 'OPTIONS')).status).toBe(200);
      gateway.clock.advance(60_000);
    }
    // A lone CRLF (half of a keep-alive) is not a message: no deadline.
    client.sendBytes('\r\n');
    await untilServerRead(gateway, read + 2);
    gateway.clock.advance(30_000);
    expect(client.isClosed).toBe(false);
    // Head complete at once, body trickled: cut at the deadline.
    const slow = buildRequest({
      method: 'OPTIONS',
      uri: GATEWAY_URI,
      body: 'y'.repeat(100),
      contentType: 'text/plain',
    });
    const headEnd = slow.bytes.indexOf('\r\n\r\n') + 4;
    client.sendBytes(slow.bytes.subarray(0, headEnd + 1));
    await untilServerRead(gateway, read + 2 + headEnd + 1);
    for (let i = 0; i < 9; i++) {
      client.sendBytes(slow.bytes.subarray(headEnd + 1 + i, headEnd + 2 + i));
      await untilServerRead(gateway, read + 2 + headEnd + 2 + i);
      gateway.clock.advance(1000);
    }
    expect(client.isClosed).toBe(false);
    gateway.clock.advance(1000);
    await client.closed();
    expect(gateway.core.stats().limits.messageTimeout).toBe(1);
  });

  it('WebSocket: a frame left unfinished is cut at the deadline with close code 1008 (RFC 6455 §7.4.1)', async () => {
    gateway = await startGateway({ transports: { idleTimeoutMs: NO_IDLE, messageTimeoutMs: 10_000 } });
    const ws = await rawWebSocket(gateway.port('WS'));
    const options = buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }, 'WS');
    const next = wsFrame(buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }, 'WS').bytes);
    // A whole message and the first part of the next one in one write: once the first is
    // answered, the gateway has read the partial frame too.
    ws.socket.write(Buffer.concat([wsFrame(options.bytes), next.subarray(0, 40)]));
    await until(() => ws.received().includes('SIP/2.0 200'), 'first message answered');
    gateway.clock.advance(9_000);
    ws.socket.write(next.subarray(40, 41));
    await new Promise((resolve) => setImmediate(resolve));
    expect(gateway.core.stats().connections).toBe(1);
    gateway.clock.advance(1_000);
    // RFC 6455 §5.5.1: a Close frame from the server (unmasked), status code 1008 (policy violation).
    await until(() => ws.received().includes(closeFrame(1008)), 'close frame 1008');
    expect(gateway.core.stats().limits.messageTimeout).toBe(1);
  });

  it('a WebSocket upgrade request left unfinished, and a TLS handshake that never comes, are closed at the deadline', async () => {
    gateway = await startGateway({
      tls: true,
      transports: { idleTimeoutMs: NO_IDLE, messageTimeoutMs: 1_000 },
    });
    // Node enforces these with its own (real) timers: the HTTP head timeout and handshakeTimeout.
    const upgrade = await rawSocket(gateway.port('WS'));
    upgrade.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const tls = await rawSocket(gateway.port('TLS'));
    await Promise.all([upgrade.closed, tls.closed]);
    expect(upgrade.data().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
    expect(gateway.logger.records.some((r) => r.message === 'TLS handshake refused')).toBe(true);
    expect(gateway.core.stats().connections).toBe(0);
  });
});

describe('connections per source address (sip.maxConnectionsPerSource)', () => {
  it('beyond the limit a source is refused at once (TCP closed, TLS closed, WebSocket 503), other sources are not', async () => {
    gateway = await startGateway({ tls: true, transports: { maxConnectionsPerSource: 3 } });
    const g = gateway;
    const held = [await g.connect('TCP'), await g.connect('TCP'), await g.connect('WS')];
    await until(() => g.core.stats().connections === 3, 'three registered');
    // TCP: accepted by the kernel, closed by the gateway before a byte is read.
    const over = await rawSocket(g.port('TCP'));
    over.socket.write(buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }).bytes);
    await over.closed;
    expect(over.data().length).toBe(0);
    // TLS: refused before the handshake.
    const tls = await rawSocket(g.port('TLS'));
    await tls.closed;
    // WebSocket: 503 to the upgrade.
    const status = await upgradeStatus(g.port('WS'));
    expect(status).toBe(503);
    expect(g.core.stats().limits.maxConnectionsPerSource).toBe(3);
    expect(g.core.stats().limits.maxConnections).toBe(0);
    // Another source address (127.0.0.2 is loopback too) is served meanwhile.
    const other = await rawSocket(g.port('TCP'), '127.0.0.2');
    other.socket.write(buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }).bytes);
    await until(() => other.data().toString('latin1').startsWith('SIP/2.0 200'), 'other source answered');
    // The held ones still work; once one closes, the source gets a slot again.
    expect((await held[2]!.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
    await held[0]!.close();
    await until(() => g.core.stats().connections === 3, 'one released');
    const again = await g.connect('TCP');
    expect((await again.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
    expect(
      g.logger.records.some(
        (r) => r.message === 'SIP connection refused: too many connections from one source',
      ),
    ).toBe(true);
  });

  it('slots are released with their sockets, on every transport: after many refusals and closes, nothing is counted', async () => {
    gateway = await startGateway({ tls: true, transports: { maxConnectionsPerSource: 4 } });
    const g = gateway;
    const tls = {
      ca: tlsFile('ca.crt'),
      cert: tlsFile('trusted-client.crt'),
      key: tlsFile('trusted-client.key'),
    };
    for (let round = 0; round < 4; round++) {
      const clients = await Promise.all([
        g.connect('TCP'),
        g.connect('WS'),
        g.connect('TLS', { tls }),
        g.connect('WSS', { tls }),
      ]);
      const refused = await rawSocket(g.port('TCP'));
      await refused.closed;
      expect((await clients[2]!.request({ method: 'OPTIONS', uri: GATEWAY_URI })).status).toBe(200);
      await Promise.all(clients.map((client) => client.close()));
      await until(() => g.core.stats().connections === 0 && g.core.stats().sources === 0, 'released');
    }
    expect(g.core.stats().limits.maxConnectionsPerSource).toBe(4);
  });
});

describe('sessions per connection (sip.maxSessionsPerConnection)', () => {
  it('an INVITE beyond the limit gets 503 with Retry-After and a Warning; INVITEs still being decided count; other connections are not affected', async () => {
    gateway = await startGateway({ core: { maxDialogsPerConnection: 3 } });
    const g = gateway;
    const held: IncomingInvite[] = [];
    const accept = (invite: IncomingInvite): void => {
      g.delegate.dialogs.push(
        invite.accept({
          body: RSS_RESPONSE_BODY,
          headers: [['Content-Disposition', 'signal;handling=required']],
        }),
      );
    };
    const client = await g.connect('TCP');
    const first = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect(first.inviteResponse.status).toBe(200);
    // Two more INVITEs the application has not answered yet: they count.
    g.delegate.inviteHandler = (invite) => held.push(invite);
    const pending = [
      client.openSession({ uri: GATEWAY_URI, body: RSS_BODY }),
      client.openSession({ uri: GATEWAY_URI, body: RSS_BODY }),
    ];
    await until(() => held.length === 2, 'two INVITEs held');
    const refused = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect(refused.inviteResponse.status).toBe(503);
    expect(refused.inviteResponse.header('retry-after')).toBe('30');
    expect(refused.inviteResponse.header('warning')).toMatch(
      /^399 deskline ".*3 sessions, the most allowed per connection"$/,
    );
    expect(held.length).toBe(2); // never reached the application
    // Another connection is not affected.
    g.delegate.inviteHandler = accept;
    const other = await g.connect('WS');
    expect((await other.openSession({ uri: GATEWAY_URI, body: RSS_BODY })).inviteResponse.status).toBe(200);
    // The held two are answered: one accepted, one refused; the refused one frees its place.
    accept(held[0]!);
    held[1]!.reject(486);
    const [second, third] = await Promise.all(pending);
    expect(second!.inviteResponse.status).toBe(200);
    expect(third!.inviteResponse.status).toBe(486);
    const fourth = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
    expect(fourth.inviteResponse.status).toBe(200);
    expect((await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY })).inviteResponse.status).toBe(503);
    // A BYE frees one.
    expect((await first.bye()).status).toBe(200);
    expect((await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY })).inviteResponse.status).toBe(200);
    expect(g.core.stats().limits.maxDialogsPerConnection).toBe(2);
    expect(g.core.stats().dialogs).toBe(4);
    // In-dialog requests and re-INVITEs are not new sessions: never refused by the cap.
    expect((await fourth.reInvite(RSS_BODY)).status).toBe(200);
  });
});

describe('fair scheduling of received messages (sip.maxMessagesPerTurn, sip.maxMessagesPerTurnPerConnection)', () => {
  const PER_TURN = 16;
  const PER_CONNECTION = 4;
  const FLOOD = 600;

  it('several flooding connections and a well-behaved client: budgets per turn hold, the client is served promptly, nothing is lost or reordered', async () => {
    gateway = await startGateway({
      transports: {
        maxMessagesPerTurn: PER_TURN,
        maxMessagesPerTurnPerConnection: PER_CONNECTION,
        maxPendingRequests: 64,
      },
    });
    const g = gateway;
    // An event-loop turn counter: a setImmediate chain, like the scheduler's own.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    /** Every INFO the application saw: which dialog, its CSeq, and the turn. */
    const seen: { callId: string; cseq: number; turn: number }[] = [];
    g.delegate.requestHandler = (dialog, request) => {
      const cseq = request.message.cseq();
      seen.push({ callId: dialog.callId, cseq: cseq.ok ? cseq.value.seq : -1, turn });
      request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
    };

    const open = async (transport: 'TCP' | 'WS') => {
      const client = await g.connect(transport, { waitTimeoutMs: 60_000 });
      const session = await client.openSession({ uri: GATEWAY_URI, body: RSS_BODY });
      await client.sync();
      return { client, callId: session.callId, session };
    };
    const flooders = await Promise.all([open('TCP'), open('TCP'), open('TCP'), open('WS')]);
    const polite = await open('TCP');

    // Each flooder pipelines FLOOD INFOs: over TCP in one write, over WebSocket one message each.
    for (const { client, session } of flooders) {
      const requests = Array.from({ length: FLOOD }, () =>
        session.build('INFO', {
          body: MONITOR_START_BODY,
          headers: [['Content-Disposition', 'signal;handling=required']],
        }),
      );
      if (client.transport === 'TCP') client.sendBytes(Buffer.concat(requests.map((r) => r.bytes)));
      else for (const request of requests) client.sendBytes(request.bytes);
    }
    // Meanwhile the polite client asks one thing at a time.
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = seen.length;
      const answer = await polite.session.info(MONITOR_START_BODY);
      expect(answer.status).toBe(200);
      const mine = seen.findIndex((s, index) => index >= before && s.callId === polite.callId);
      // Flood messages handled between sending it and its being handled.
      waits.push(mine - before);
    }
    for (const { client } of flooders)
      await client.until(
        () => client.received.filter((m) => m instanceof SipResponse).length >= FLOOD,
        'flood answered',
      );
    ticking = false;

    // Nothing lost, nothing reordered: each flooder's INFOs reached the application once each, in
    // CSeq order, and each got its 200 in order.
    for (const { client, callId } of flooders) {
      const cseqs = seen.filter((s) => s.callId === callId).map((s) => s.cseq);
      expect(cseqs).toHaveLength(FLOOD);
      expect(cseqs).toEqual([...cseqs].sort((a, b) => a - b));
      expect(new Set(cseqs).size).toBe(FLOOD);
      const answered = client.received.filter((m): m is SipResponse => m instanceof SipResponse);
      expect(answered.every((r) => r.status === 200)).toBe(true);
      const answeredCSeqs = answered.map((r) => {
        const cseq = r.cseq();
        return cseq.ok ? cseq.value.seq : -1;
      });
      expect(answeredCSeqs).toEqual(cseqs);
      expect(client.received.filter((m) => m instanceof SipRequest)).toHaveLength(0);
    }
    // The budgets held. Our turn counter and the scheduler's turns are both setImmediate chains,
    // so one of our turns can straddle two of its: hence twice the budget at most.
    const perTurn = new Map<number, number>();
    const perConnectionTurn = new Map<string, number>();
    for (const s of seen) {
      perTurn.set(s.turn, (perTurn.get(s.turn) ?? 0) + 1);
      const key = `${s.turn}/${s.callId}`;
      perConnectionTurn.set(key, (perConnectionTurn.get(key) ?? 0) + 1);
    }
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(2 * PER_TURN);
    expect(Math.max(...perConnectionTurn.values())).toBeLessThanOrEqual(2 * PER_CONNECTION);
    // The polite client waited at most about one round of the flooders' shares and a turn's budget.
    expect(Math.max(...waits)).toBeLessThanOrEqual(flooders.length * 2 * PER_CONNECTION + 2 * PER_TURN);
    expect(g.core.stats().deferredMessages).toBeGreaterThan(0);
    // Nothing left queued or pending.
    expect(g.core.stats().queuedMessages).toBe(0);
    expect(g.core.connections().every((c) => (c as SipConnection).pending === 0)).toBe(true);
  });

  it('a framing error behind queued messages closes the connection only after they are answered', async () => {
    gateway = await startGateway({
      transports: { maxMessagesPerTurn: 4, maxMessagesPerTurnPerConnection: 2 },
    });
    const client = await gateway.connect('TCP');
    const requests = Array.from({ length: 10 }, () => buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }));
    const broken = Buffer.from(
      buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI })
        .bytes.toString('latin1')
        .replace(/Content-Length: 0/i, 'Content-Length: -1'),
      'latin1',
    );
    client.sendBytes(Buffer.concat([...requests.map((r) => r.bytes), broken]));
    await client.closed();
    const answered = client.received.filter((m): m is SipResponse => m instanceof SipResponse);
    expect(answered.map((r) => r.status)).toEqual([...requests.map(() => 200), 400]);
    expect(
      answered.slice(0, 10).map((r) => {
        const via = r.topVia();
        return via.ok ? via.value.branch : '';
      }),
    ).toEqual(requests.map((r) => r.branch));
  });

  it('a peer that half-closes after pipelining still gets every answer', async () => {
    gateway = await startGateway({
      transports: { maxMessagesPerTurn: 4, maxMessagesPerTurnPerConnection: 2 },
    });
    const g = gateway;
    const rec = await rawSocket(g.port('TCP'));
    const socket = rec.socket;
    const requests = Array.from({ length: 20 }, () => buildRequest({ method: 'OPTIONS', uri: GATEWAY_URI }));
    socket.end(Buffer.concat(requests.map((r) => r.bytes)));
    await rec.closed;
    const text = rec.data().toString('latin1');
    expect(text.match(/^SIP\/2\.0 200 /gm)).toHaveLength(20);
    expect(g.core.stats().queuedMessages).toBe(0);
  });
});
