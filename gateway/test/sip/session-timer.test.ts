// RFC 4028 session timers: negotiation (422 with Min-SE, Session-Expires/refresher/Require in
// the 2xx), expiry with BYE (§10), refresh by UPDATE and by re-INVITE, and the gateway as
// refresher for a UAC without timer support — all with the fake clock over real TCP.
import { afterEach, describe, expect, it } from 'vitest';
import { SipParams } from '../../src/sip/headers/params.js';
import {
  expiryDelayMs,
  negotiateSessionTimer,
  type SessionTimerRequest,
} from '../../src/sip/session-timer.js';
import { RSS_BODY, startGateway, until, type TestGateway } from './helpers.js';

const GATEWAY_URI = 'sip:73124@127.0.0.1';

function request(
  supportsTimer: boolean,
  se: number | undefined,
  refresher: 'uac' | 'uas' | undefined,
  minSE: number | undefined,
  allowsUpdate: boolean,
): SessionTimerRequest {
  return {
    supportsTimer,
    sessionExpires: se === undefined ? undefined : { deltaSeconds: se, refresher, params: SipParams.EMPTY },
    minSE,
    allowsUpdate,
  };
}

describe('negotiateSessionTimer (RFC 4028 §9)', () => {
  const policy = { minSeconds: 90, defaultSeconds: 1800 };
  it.each([
    [
      'timer, no Session-Expires → our default, refresher uac',
      request(true, undefined, undefined, undefined, false),
      { kind: 'use', interval: 1800, refresher: 'uac', requireTimer: true },
    ],
    [
      'timer, SE 600 → 600',
      request(true, 600, undefined, undefined, false),
      { kind: 'use', interval: 600, refresher: 'uac', requireTimer: true },
    ],
    [
      'timer, SE 600;refresher=uas is kept',
      request(true, 600, 'uas', undefined, true),
      { kind: 'use', interval: 600, refresher: 'uas', requireTimer: true },
    ],
    [
      'timer, SE 60 → 422 with Min-SE 90',
      request(true, 60, undefined, undefined, false),
      { kind: 'reject', minSE: 90 },
    ],
    [
      'no timer, SE 60 (a proxy inserted it) → raised to 90, we refresh',
      request(false, 60, undefined, undefined, true),
      { kind: 'use', interval: 90, refresher: 'uas', requireTimer: false },
    ],
    [
      'no timer, UPDATE allowed → we refresh',
      request(false, undefined, undefined, undefined, true),
      { kind: 'use', interval: 1800, refresher: 'uas', requireTimer: false },
    ],
    [
      'no timer, no UPDATE → no session timer',
      request(false, undefined, undefined, undefined, false),
      { kind: 'none' },
    ],
    [
      'Min-SE 3000 raises our default',
      request(true, undefined, undefined, 3000, false),
      { kind: 'use', interval: 3000, refresher: 'uac', requireTimer: true },
    ],
  ] as const)('%s', (_name, input, expected) => {
    expect(negotiateSessionTimer(input, policy)).toEqual(expected);
  });

  it('expires min(32 s, interval/3) before the end (§10)', () => {
    expect(expiryDelayMs(1800)).toBe(1768_000);
    expect(expiryDelayMs(90)).toBe(60_000);
  });
});

describe('session timers on the wire', () => {
  let gateway: TestGateway;
  afterEach(async () => {
    await gateway.stop();
  });

  it('422 with Min-SE when Session-Expires is too small; the application never sees it (RFC 4028 §6, §9)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Session-Expires', '60']],
    });
    expect(session.inviteResponse.status).toBe(422);
    expect(session.inviteResponse.header('min-se')).toBe('90');
    expect(gateway.delegate.invites).toHaveLength(0);
  });

  it('answers Session-Expires with refresher=uac and Require: timer', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [
        ['Session-Expires', '600;refresher=uac'],
        ['Min-SE', '90'],
      ],
    });
    expect(session.inviteResponse.header('session-expires')).toBe('600;refresher=uac');
    expect(session.inviteResponse.header('require')).toBe('timer');
    expect(gateway.delegate.dialogs[0]!.sessionInterval).toBe(600);
  });

  it('expires a session that is never refreshed: BYE, and the application is told (RFC 4028 §10)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Session-Expires', '600']],
    });
    await client.sync();
    gateway.clock.advance(expiryDelayMs(600) - 1);
    expect(gateway.delegate.terminated).toHaveLength(0);
    gateway.clock.advance(1);
    const bye = await client.nextRequest('BYE');
    expect(bye.header('call-id')).toBe(session.callId);
    expect(gateway.delegate.terminated.map((t) => t.reason)).toEqual(['expired']);
    expect(gateway.core.stats().dialogs).toBe(0);
  });

  it('a refresh by UPDATE postpones the expiry (Communicator 2007 R2 style)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Session-Expires', '600']],
    });
    await client.sync();
    gateway.clock.advance(300_000);
    const update = await session.update(600);
    expect(update.status).toBe(200);
    expect(update.header('session-expires')).toBe('600;refresher=uac');
    expect(update.header('require')).toBe('timer');
    gateway.clock.advance(expiryDelayMs(600) - 1);
    expect(gateway.delegate.terminated).toHaveLength(0);
    gateway.clock.advance(1);
    await client.nextRequest('BYE');
    expect(gateway.delegate.terminated.map((t) => t.reason)).toEqual(['expired']);
  });

  it('a refresh by re-INVITE (RequestSystemStatus) postpones the expiry too (older clients, sipe)', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Session-Expires', '600']],
    });
    await client.sync();
    gateway.clock.advance(500_000);
    const refreshed = await session.reInvite(RSS_BODY, [['Session-Expires', '900']]);
    expect(refreshed.status).toBe(200);
    expect(refreshed.header('session-expires')).toBe('900;refresher=uac');
    await client.sync();
    gateway.clock.advance(expiryDelayMs(900) - 1);
    expect(gateway.delegate.terminated).toHaveLength(0);
    gateway.clock.advance(1);
    await client.nextRequest('BYE');
  });

  it('an UPDATE with too small a Session-Expires gets 422 and changes nothing', async () => {
    gateway = await startGateway();
    const client = await gateway.connect('TCP');
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [['Session-Expires', '600']],
    });
    const refused = await session.update(30);
    expect(refused.status).toBe(422);
    expect(refused.header('min-se')).toBe('90');
    expect(gateway.delegate.dialogs[0]!.sessionInterval).toBe(600);
  });

  it('for a UAC without timer support, the gateway refreshes with UPDATE at half the interval', async () => {
    gateway = await startGateway({ core: { sessionTimer: { defaultSeconds: 600 } } });
    const client = await gateway.connect('TCP', { autoAnswer: false });
    const session = await client.openSession({
      uri: GATEWAY_URI,
      body: RSS_BODY,
      headers: [
        ['Supported', ''],
        ['Allow', 'INVITE, ACK, BYE, INFO, UPDATE'],
      ],
    });
    expect(session.inviteResponse.header('session-expires')).toBe('600;refresher=uas');
    expect(session.inviteResponse.header('require')).toBeUndefined();
    await client.sync();
    gateway.clock.advance(300_000);
    const update = await client.nextRequest('UPDATE');
    expect(update.header('session-expires')).toBe('600;refresher=uas');
    expect(update.header('contact')).toBeTruthy();
    client.respond(update, 200);
    await client.sync(); // the 200 has been processed
    // The refresh succeeded: the session lives past the first expiry point.
    gateway.clock.advance(expiryDelayMs(600) - 300_000 + 1);
    expect(gateway.delegate.terminated).toHaveLength(0);
    // The next refresh comes 300 s after the last one; this time the peer does not answer,
    // so Timer F ends the dialog (RFC 4028 §10, RFC 3261 §12.2.1.2).
    gateway.clock.advance(300_000 - (expiryDelayMs(600) - 300_000 + 1));
    const second = await client.nextRequest('UPDATE');
    expect(second.header('session-expires')).toBe('600;refresher=uas');
    gateway.clock.advance(32_000);
    await until(() => gateway.delegate.terminated.length === 1, 'dialog ended');
    expect(gateway.delegate.terminated.map((t) => t.reason)).toEqual(['timeout']);
  });
});
