// Every RFC 4475 and RFC 5118 torture message, byte-exact, over a real TCP connection and a real
// WebSocket on 127.0.0.1, handled exactly as gateway/test/vectors/sip-torture/INDEX.md says
// (our choices where it allows several are named in vectors.ts): the status answered, and
// whether the connection stays usable (an OPTIONS probe gets its 200) or is closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRawClient, RawTransport } from '../support/sip-raw-client.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../../src/sip/constants.js';
import type { SipResponse } from '../../src/sip/message.js';
import { PROBE_URI, startGateway, until, type TestGateway } from './helpers.js';
import {
  TORTURE_VECTORS,
  streamBytes,
  vectorBytes,
  withContentLength,
  type Outcome,
  type TortureVector,
} from './vectors.js';

async function expectProbeAnswered(client: SipRawClient): Promise<void> {
  const probe = client.send({ method: 'OPTIONS', uri: PROBE_URI });
  const next = await client.nextResponse();
  const via = next.topVia();
  // The very next response is the probe's: nothing else was answered in between.
  expect(via.ok && via.value.branch).toBe(probe.branch);
  expect(next.status).toBe(200);
}

function checkResponse(response: SipResponse, status: number, request: Buffer, first: boolean): void {
  expect(response.status).toBe(status);
  // The answer is to this request: its (first) Call-ID is echoed (RFC 3261 §8.2.6.2).
  const callId = /^(?:Call-ID|i)\s*:\s*(.+?)\r$/im.exec(request.toString('latin1'))?.[1];
  if (first && callId !== undefined) expect(response.header('call-id')).toBe(callId.trim());
  switch (status) {
    case 400:
    case 505:
      // RFC 3261 §20.43: the Warning names the problem.
      expect(response.header('warning')).toMatch(/^399 deskline ".+"$/);
      break;
    case 405:
    case 501:
      expect(response.header('allow')).toContain('INVITE');
      break;
    case 415:
      expect(response.header('accept')).toBe('application/csta+xml');
      break;
    case 420:
      expect(response.header('unsupported')).toBe('nothingSupportsThis, nothingSupportsThisEither');
      break;
    default:
      break;
  }
  // RFC 3261 §8.2.6.2: a final response carries a To tag.
  const to = response.to();
  if (to.ok) expect(to.value.params.get('tag')).toBeTruthy();
}

async function run(
  gateway: TestGateway,
  transport: RawTransport,
  vector: TortureVector,
  outcome: Outcome,
  bytes: Buffer,
): Promise<void> {
  const client = await gateway.connect(transport);
  client.sendBytes(bytes, { binary: vector.binary === true });
  switch (outcome.kind) {
    case 'answer':
      for (const [index, status] of outcome.statuses.entries())
        checkResponse(await client.nextResponse(), status, bytes, index === 0);
      await expectProbeAnswered(client);
      expect(client.isClosed).toBe(false);
      break;
    case 'answer-close':
      for (const [index, status] of outcome.statuses.entries())
        checkResponse(await client.nextResponse(), status, bytes, index === 0);
      await client.closed();
      break;
    case 'drop':
      await expectProbeAnswered(client);
      break;
    case 'wait-close': {
      // Wait until the gateway has read every byte, check it said nothing, then let the message
      // deadline run out: the connection closes without a word (RFC 4475 clerr over a stream).
      const port = client.localPort;
      await until(
        () => gateway.core.connections().some((c) => c.remotePort === port && c.bytesIn === bytes.length),
        'gateway read the vector',
      );
      expect(client.bytesReceived).toBe(0);
      expect(client.isClosed).toBe(false);
      gateway.clock.advance(DEFAULT_IDLE_TIMEOUT_MS);
      await client.closed();
      expect(client.bytesReceived).toBe(0);
      break;
    }
    default:
      throw new Error('unknown outcome');
  }
  expect(client.parseErrors).toEqual([]);
  await client.close();
}

describe.each(['TCP', 'WS'] as const)('RFC 4475 / RFC 5118 torture vectors over %s', (transport) => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(async () => {
    await gateway.stop();
  });

  for (const vector of TORTURE_VECTORS) {
    const outcome = transport === 'TCP' ? vector.tcp : vector.ws;
    const label =
      outcome.kind === 'answer'
        ? outcome.statuses.join('+')
        : outcome.kind === 'answer-close'
          ? `${outcome.statuses.join('+')} then close`
          : outcome.kind;
    it(`${vector.file} (§${vector.section}) → ${label}`, async () => {
      const bytes = transport === 'TCP' ? streamBytes(vector) : vectorBytes(vector.file);
      await run(gateway, transport, vector, outcome, bytes);
      // No INVITE in the torture set is one the application should ever see.
      expect(gateway.delegate.invites).toHaveLength(0);
    });
  }

  it('inv2543 with a Content-Length appended is accepted as RFC 2543 (415 for its SDP body)', async () => {
    const vector = TORTURE_VECTORS.find((v) => v.file === 'inv2543.dat')!;
    await run(
      gateway,
      transport,
      vector,
      { kind: 'answer', statuses: [415] },
      withContentLength(vectorBytes('inv2543.dat')),
    );
  });
});
