// Fuzz through the whole process: random mutations of valid messages (RCC samples and torture
// vectors) sent over real TCP and WebSocket connections. Whatever arrives, the gateway never
// crashes and never leaves a peer hanging: each mutated message gets a response or the
// connection is closed — except responses, which RFC 3261 §8.1.3.3 / RFC 4475 say to drop —
// and the gateway keeps serving afterwards.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../../src/sip/constants.js';
import { SipResponse } from '../../src/sip/message.js';
import { RSS_BODY, startGateway, until, type TestGateway } from './helpers.js';
import { TORTURE_VECTORS, msRccMessage, streamBytes, vectorBytes } from './vectors.js';

const SEEDS: readonly Buffer[] = [
  msRccMessage('01-invite-request-system-status.txt'),
  msRccMessage('05-info-monitor-start.txt'),
  msRccMessage('07-info-make-call.txt'),
  msRccMessage('18-update-session-refresh.txt'),
  msRccMessage('16-bye.txt'),
  ...TORTURE_VECTORS.filter((v) => v.tcp.kind === 'answer').map((v) => streamBytes(v)),
];

const EDIT = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'insert', 'delete', 'crlf', 'separator', 'digits', 'duplicate-line'),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(seed: Buffer, edits: readonly { at: number; kind: string; byte: number }[]): Buffer {
  let bytes: Buffer = Buffer.from(seed);
  for (const edit of edits) {
    const at = edit.at % (bytes.length + 1);
    const insert = (extra: Buffer): Buffer =>
      Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
    switch (edit.kind) {
      case 'flip':
        if (at < bytes.length) bytes[at] = edit.byte;
        break;
      case 'insert':
        bytes = insert(Buffer.from([edit.byte]));
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + (edit.byte % 16))]);
        break;
      case 'crlf':
        bytes = insert(Buffer.from('\r\n'));
        break;
      case 'separator':
        bytes = insert(Buffer.from([':', ';', ',', '<', '>', '"', ' ', '@'][edit.byte % 8]!));
        break;
      case 'digits':
        bytes = insert(Buffer.from(String(edit.byte * 104_729)));
        break;
      default: {
        // Repeat a whole header line (single-valued headers twice, RFC 4475 multi01 style).
        const start = bytes.lastIndexOf('\r\n', at);
        const end = bytes.indexOf('\r\n', at);
        if (start >= 0 && end > start)
          bytes = Buffer.concat([bytes.subarray(0, end), bytes.subarray(start, end), bytes.subarray(end)]);
      }
    }
  }
  return bytes;
}

const SAMPLE = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  edits: fc.array(EDIT, { minLength: 1, maxLength: 6 }),
});

function looksLikeResponse(bytes: Buffer): boolean {
  return /^sip\//i.test(bytes.subarray(0, 4).toString('latin1'));
}

describe.each(['TCP', 'WS'] as const)('fuzz over %s', (transport) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
    gateway.delegate.inviteHandler = (invite) => invite.reject(488);
  });
  afterAll(async () => {
    await gateway.stop();
  });

  it('answers or closes, never crashes', async () => {
    const outcomes = { answered: 0, closed: 0, dropped: 0 };
    await fc.assert(
      fc.asyncProperty(SAMPLE, async ({ seed, edits }) => {
        const bytes = mutate(SEEDS[seed]!, edits);
        const client = await gateway.connect(transport);
        const port = client.localPort;
        client.sendBytes(bytes, { binary: true });
        // The gateway handles what it has read synchronously: once it has read everything (or
        // closed), its responses are written. If part of a message is left over (a mutated
        // Content-Length promising more), only the message deadline can end the wait.
        const connection = () => gateway.core.connections().find((c) => c.remotePort === port);
        await until(() => {
          const c = connection();
          return (
            c === undefined ||
            client.isClosed ||
            (transport === 'TCP' ? c.bytesIn >= bytes.length : c.messagesIn >= 1)
          );
        }, 'gateway read the sample');
        const pending = connection();
        if (pending !== undefined && pending.bufferedBytes > 0) {
          gateway.clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
          await client.closed();
          outcomes.closed++;
        } else if (pending === undefined || client.isClosed) {
          await client.closed();
          if (client.received.some((m) => m instanceof SipResponse)) outcomes.answered++;
          else outcomes.closed++;
        } else {
          // Still open at a message boundary: a probe's answer comes after any answer to the sample.
          const probe = client.send({ method: 'OPTIONS', uri: 'sip:probe@127.0.0.1' });
          const probeAnswer = await Promise.race([
            client.finalResponse(probe.branch, 'OPTIONS'),
            client.closed(),
          ]);
          const earlier = client.received.filter((m) => m instanceof SipResponse);
          if (probeAnswer === undefined) {
            outcomes.closed++;
          } else if (earlier.length > 0) {
            outcomes.answered++;
          } else {
            // Nothing answered: only allowed for what RFC 3261 says never to answer — a response
            // (§8.1.3.3, RFC 4475 §3.1.2.19), an ACK (§17), or a retransmission being absorbed (§17.2).
            const firstLine = bytes.subarray(0, Math.max(0, bytes.indexOf('\r\n'))).toString('latin1');
            expect(
              looksLikeResponse(bytes) ||
                /^ACK /.test(firstLine) ||
                /^\r\n/.test(bytes.toString('latin1')) ||
                gateway.core.stats().serverTransactions > 0,
            ).toBe(true);
            outcomes.dropped++;
          }
        }
        // Whatever we answered is itself well-formed SIP.
        expect(client.parseErrors).toEqual([]);
        client.destroy();
      }),
      { numRuns: 80 },
    );
    expect(outcomes.answered + outcomes.closed + outcomes.dropped).toBe(80);
    expect(outcomes.answered).toBeGreaterThan(0);
    // Still serving, and nothing blew up inside.
    const probe = await gateway.connect(transport);
    expect((await probe.request({ method: 'OPTIONS', uri: 'sip:probe@127.0.0.1' })).status).toBe(200);
    expect(
      (await probe.openSession({ uri: 'sip:73124@127.0.0.1', body: RSS_BODY })).inviteResponse.status,
    ).toBe(488);
    expect(gateway.logger.records.filter((r) => r.level === 'error')).toEqual([]);
  });
});

describe('vectors unchanged as a mutation baseline', () => {
  it('every seed is itself a message the gateway answers', () => {
    expect(SEEDS.length).toBeGreaterThan(30);
    for (const seed of SEEDS) expect(looksLikeResponse(seed)).toBe(false);
    expect(vectorBytes('wsinv.dat').length).toBeGreaterThan(0);
  });
});
