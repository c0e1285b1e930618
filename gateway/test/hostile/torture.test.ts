// Every RFC 4475 and RFC 5118 torture message (gateway/test/vectors/sip-torture, INDEX.md), byte
// exact, over TCP and over WebSocket, to the whole gateway — the MS-RCC face, the session core and
// the CTI side behind the SIP stack (the SIP stack's own suite sends them to a bare user agent
// core). Each gets the status INDEX.md prescribes (the choices are named in ../sip/vectors.ts),
// the connection stays usable or is closed as prescribed, none reaches the application, and the
// RCC sessions already open — one per transport — never notice.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SipRawClient } from '../support/sip-raw-client.js';
import type { SipResponse } from '../../src/sip/index.js';
import {
  TORTURE_VECTORS,
  streamBytes,
  vectorBytes,
  withContentLength,
  type Outcome,
  type TortureVector,
} from '../sip/vectors.js';
import { Rig, until } from '../fault/harness.js';
import {
  connect,
  engineState,
  expectState,
  expectWorking,
  signIn,
  signOut,
  type EngineState,
  type SignedIn,
} from './helpers.js';

// Bounded, but several round trips and recoveries per test on a shared 2-core machine: more room than the 30 s default.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const PROBE_URI = 'sip:probe@127.0.0.1';
/** How long a half-received message may wait (sip.messageTimeoutSec, docs/robustness.md §7). */
const MESSAGE_TIMEOUT_SEC = 3;

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
  const callId = /^(?:Call-ID|i)\s*:\s*(.+?)\r$/im.exec(request.toString('latin1'))?.[1];
  if (first && callId !== undefined) expect(response.header('call-id')).toBe(callId.trim());
  if (status === 400 || status === 505) expect(response.header('warning')).toMatch(/^399 deskline ".+"$/);
  if (status === 415) expect(response.header('accept')).toBe('application/csta+xml');
  // The gateway names itself in every answer (Server header from the node ID).
  expect(response.header('server')).toBe('Deskline/fault-gw');
}

describe.each(['TCP', 'WS'] as const)(
  'RFC 4475 / RFC 5118 torture messages to the whole gateway over %s',
  (transport) => {
    let rig: Rig;
    let tcpUser: SignedIn;
    let wsUser: SignedIn;
    let before: EngineState;
    /** What the MS-RCC face had logged about sessions before the torture (the two sign-ins). */
    let faceRecords: number;
    /** Connections holding half a message: the message deadline must close them (checked at the end). */
    const waiting: SipRawClient[] = [];

    beforeAll(async () => {
      rig = await Rig.start({ sip: { messageTimeoutSec: MESSAGE_TIMEOUT_SEC } });
      tcpUser = await signIn(rig, 'TCP', 'alice');
      wsUser = await signIn(rig, 'WS', 'carol');
      before = engineState(rig);
      faceRecords = rig.logger.find(/^(RCC session open|session refused)$/).length;
    });
    afterAll(async () => {
      for (const client of waiting) client.destroy();
      await rig.abandon();
    });

    async function run(vector: TortureVector, outcome: Outcome, bytes: Buffer): Promise<void> {
      const client = await connect(rig, transport);
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
          const port = client.localPort;
          await until(
            () =>
              rig.gateway.sip?.userAgent
                .connections()
                .some((c) => c.remotePort === port && c.bytesIn === bytes.length) ?? false,
            'the gateway read the vector',
          );
          expect(client.bytesReceived).toBe(0);
          waiting.push(client);
          return; // closed at the message deadline: checked once, at the end, for all of them
        }
        default:
          throw new Error('unknown outcome');
      }
      expect(client.parseErrors).toEqual([]);
      await client.close();
    }

    for (const vector of TORTURE_VECTORS) {
      const outcome = transport === 'TCP' ? vector.tcp : vector.ws;
      const label =
        outcome.kind === 'answer'
          ? outcome.statuses.join('+')
          : outcome.kind === 'answer-close'
            ? `${outcome.statuses.join('+')} then close`
            : outcome.kind;
      it(`${vector.file} (§${vector.section}) → ${label}`, async () => {
        await run(vector, outcome, transport === 'TCP' ? streamBytes(vector) : vectorBytes(vector.file));
        // None of them is a session for the MS-RCC face: no session opened, none refused by it.
        expect(rig.logger.find(/^(RCC session open|session refused)$/)).toHaveLength(faceRecords);
        expect(engineState(rig)).toEqual(before);
      });
    }

    it('inv2543 with a Content-Length appended is accepted as RFC 2543 (415 for its SDP body)', async () => {
      const vector = TORTURE_VECTORS.find((v) => v.file === 'inv2543.dat');
      if (vector === undefined) throw new Error('inv2543.dat missing from the vector table');
      await run(vector, { kind: 'answer', statuses: [415] }, withContentLength(vectorBytes('inv2543.dat')));
    });

    it(
      'half-received messages are dropped at the message deadline, without a word',
      async () => {
        await Promise.all(waiting.map((client) => client.closed()));
        for (const client of waiting) expect(client.bytesReceived).toBe(0);
      },
      (MESSAGE_TIMEOUT_SEC + 10) * 1000,
    );

    it('the open sessions never noticed, and sign out cleanly', async () => {
      await expectWorking(tcpUser);
      await expectWorking(wsUser);
      await expectState(rig, before, 'after the torture');
      await signOut(tcpUser);
      await signOut(wsUser);
      await rig.expectGatewayIdle();
      await rig.expectNoCalls();
      await rig.finish();
    });
  },
);
