// Keep-alive and expiry of RCC sessions (RFC 4028; docs/msrcc.md §7): Communicator 2007 R2
// refreshes with UPDATE, older clients and sipe with a re-INVITE carrying RequestSystemStatus;
// both are answered and keep the session. A session whose refresh never comes is torn down: BYE
// from the gateway, the core session closed, the CTI monitor stopped in the simulator.
//
// Expiry needs time to pass: sip.sessionExpiresSec cannot go below RFC 4028's 90 s minimum (the
// config schema and the SIP core both refuse less), and the BYE comes min(32 s, 90/3) = 30 s before
// the end, i.e. 60 s in — too long for a suite. So those tests inject a FakeClock into
// createGateway({ clock }), the engine's own port for this (docs/architecture.md §4.2): no test-only knob in
// the product. The whole gateway runs on that clock — SIP, session core, CTI pool, simulator — so
// the CTI heartbeat interval and directory refresh are set above the time the test moves, and
// sockets still carry real bytes.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type HostedGateway } from '../../../host/src/demo.js';
import { expiryDelayMs } from '../../src/sip/session-timer.js';
import { FakeClock } from '../support/fake-clock.js';
import type { RawSession, SipRawClient } from '../support/sip-raw-client.js';
import { SipJsCstaClient } from '../support/sip-sipjs-client.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient, sipGateway } from '../faces/msrcc/helpers.js';
import {
  SERVER_URI,
  answerOf,
  decoded,
  expectAllReleased,
  sessionExpires,
  simulatorMonitors,
  sipJsEvent,
  wsUrl,
} from './helpers.js';

const INTERVAL_S = 90;

let gateway: HostedGateway | undefined;
let raw: SipRawClient | undefined;
let sipjs: SipJsCstaClient | undefined;
afterEach(async () => {
  await sipjs?.close();
  await raw?.close().catch(() => undefined);
  await gateway?.dispose();
  sipjs = undefined;
  raw = undefined;
  gateway = undefined;
});

/** The demo gateway on a fake clock, with a 90 s session interval (the RFC 4028 minimum). */
async function gatewayOnFakeClock(clock: FakeClock, logger = new MemoryLogger()): Promise<HostedGateway> {
  return startGateway({
    clock,
    logger,
    config: {
      demo: { enabled: true, nodes: 1 },
      http: { port: null },
      sip: {
        domain: 'gw.deskline.test',
        tcp: [{ host: '127.0.0.1', port: 0 }],
        sessionExpiresSec: INTERVAL_S,
        minSessionExpiresSec: INTERVAL_S,
      },
      // Longer than any time the tests move the clock: no heartbeat is due (a heartbeat sent and
      // timed out inside one advance() would take the CTI link down before its answer could arrive).
      cti: { heartbeatIntervalMs: 300_000, directoryRefreshSec: 86_400, requestTimeoutMs: 120_000 },
    },
  });
}

/** True if the gateway sent a BYE so far. Call after sync(): everything sent before the sync arrived. */
function byeReceived(client: SipRawClient): boolean {
  return client.received.some((m) => 'method' in m && m.method === 'BYE');
}

async function monitoredAlice(client: SipRawClient): Promise<{ session: RawSession; xref: string }> {
  const session = await openRcc(client, 'alice', ALICE_LINE);
  expect(session.inviteResponse.status).toBe(200);
  const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
  if (monitor.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(monitor));
  return { session, xref: monitor.monitorCrossRefID };
}

describe('session refresh (real clock, sip.js over WebSocket)', () => {
  it('UPDATE and re-INVITE are both answered 200 with the session timer, and the session goes on', async () => {
    gateway = await sipGateway();
    sipjs = await SipJsCstaClient.connect({ url: wsUrl(gateway), aor: 'sip:alice@deskline.example' });
    const session = await sipjs.openSession(SERVER_URI, body.requestSystemStatus(ALICE_LINE));
    const xref = answerOf(
      await session.info(body.monitorStart(ALICE_LINE)),
      'MonitorStartResponse',
    ).monitorCrossRefID;

    // Communicator 2007 R2: UPDATE (RFC 3311), no body.
    const update = await session.update(900);
    expect(update.status).toBe(200);
    expect(sessionExpires(update.headers('Session-Expires'))).toEqual({ seconds: 900, refresher: 'uac' });
    // Older Communicator, sipe: re-INVITE with RequestSystemStatus; answered like the INVITE.
    const reInvite = await session.reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(reInvite.status).toBe(200);
    expect(decoded(reInvite.body).message).toEqual({
      type: 'RequestSystemStatusResponse',
      systemStatus: 'normal',
    });
    expect(sessionExpires(reInvite.headers('Session-Expires')).refresher).toBe('uac');

    // Same session, same monitor: a call still produces events with the same cross-reference.
    expect(gateway.core.sessionCount).toBe(1);
    expect(simulatorMonitors(gateway)).toBe(1);
    answerOf(
      await session.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')),
      'MakeCallResponse',
    );
    expect(await sipJsEvent(session, 'OriginatedEvent')).toMatchObject({ monitorCrossRefID: xref });
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });
});

describe('session expiry (RFC 4028 §10) on a fake clock', () => {
  it('a session never refreshed gets a BYE at the expiry instant and everything is released', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    gateway = await gatewayOnFakeClock(clock, logger);
    raw = await rawClient(gateway);
    const { session } = await monitoredAlice(raw);
    expect(sessionExpires(session.inviteResponse.header('Session-Expires'))).toEqual({
      seconds: INTERVAL_S,
      refresher: 'uac',
    });
    expect(simulatorMonitors(gateway)).toBe(1);

    await raw.sync();
    clock.advance(expiryDelayMs(INTERVAL_S) - 1);
    await raw.sync();
    expect(byeReceived(raw)).toBe(false);
    expect(gateway.core.sessionCount).toBe(1);

    clock.advance(1);
    const bye = await raw.nextRequest('BYE');
    expect(bye.header('call-id')).toBe(session.callId);
    await expectAllReleased(gateway);
    // Why, in the log: the SIP layer's expiry, and the RCC session ended for that reason.
    expect(
      logger.records.some(
        (r) => r.message === 'SIP session expired (no refresh)' && r.fields.interval === INTERVAL_S,
      ),
    ).toBe(true);
    expect(
      logger.records.some(
        (r) =>
          r.message === 'RCC session ended' && r.fields.reason === 'expired' && r.fields.user === 'alice',
      ),
    ).toBe(true);
    // The dialog is gone: a late INFO gets 481 (RFC 3261 §12.2.2).
    expect((await session.info(body.getCstaFeatures(ALICE_LINE))).status).toBe(481);

    // Nothing leaks: after dispose no timer of the whole gateway is left on its clock.
    await raw.close();
    raw = undefined;
    await gateway.dispose();
    gateway = undefined;
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refreshes by UPDATE and by re-INVITE each restart the interval; the last one is what counts', async () => {
    const clock = new FakeClock();
    gateway = await gatewayOnFakeClock(clock);
    raw = await rawClient(gateway);
    const { session, xref } = await monitoredAlice(raw);
    const step = expiryDelayMs(INTERVAL_S) - 10_000; // 50 s: each step alone is before the expiry

    await raw.sync();
    clock.advance(step);
    const update = await session.update(INTERVAL_S);
    expect(update.status).toBe(200);
    expect(sessionExpires(update.header('Session-Expires'))).toEqual({
      seconds: INTERVAL_S,
      refresher: 'uac',
    });

    clock.advance(step); // 100 s after the INVITE: expired without the UPDATE
    await raw.sync();
    expect(byeReceived(raw)).toBe(false);
    const refreshed = await session.reInvite(body.requestSystemStatus(ALICE_LINE), [
      ['Session-Expires', `${INTERVAL_S};refresher=uac`],
    ]);
    expect(refreshed.status).toBe(200);
    expect(csta(refreshed)).toEqual({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
    // The ACK of that 2xx must have arrived before time moves on (else RFC 3261 §13.3.1.4 ends the session).
    await raw.sync();

    clock.advance(step); // 150 s
    await raw.sync();
    expect(byeReceived(raw)).toBe(false);
    expect(gateway.core.sessionCount).toBe(1);
    expect(simulatorMonitors(gateway)).toBe(1);
    // Still a working session: its monitor still delivers events.
    csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')));
    expect(await nextEvent(raw, 'OriginatedEvent')).toMatchObject({ monitorCrossRefID: xref });

    clock.advance(expiryDelayMs(INTERVAL_S) - step); // 60 s after the re-INVITE: expired
    const bye = await raw.nextRequest('BYE');
    expect(bye.header('call-id')).toBe(session.callId);
    await expectAllReleased(gateway);
  });

  it('a client asking for less than the minimum gets 422 with Min-SE and no session', async () => {
    const clock = new FakeClock();
    gateway = await gatewayOnFakeClock(clock);
    raw = await rawClient(gateway);
    const session = await raw.openSession({
      uri: SERVER_URI,
      from: '<sip:alice@deskline.example>',
      body: body.requestSystemStatus(ALICE_LINE),
      headers: [['Session-Expires', '60']],
    });
    expect(session.inviteResponse.status).toBe(422);
    expect(session.inviteResponse.header('Min-SE')).toBe(String(INTERVAL_S));
    expect(gateway.core.sessionCount).toBe(0);
  });
});
