// pidgin-sipe's SIP behaviour, fast: the in-process SipeLikeClient (sipe-like-client.ts) against
// a gateway and CTI Manager simulator on a FakeClock, so that Timer F (64·T1 = 32 s) and the
// session interval pass in microseconds. The real sipe runs the same story end to end in
// gateway/test/real-sipe/ (minutes); these catch regressions in seconds. docs/msrcc.md says what
// the gateway owes a client like this (issue 10):
//   - an event INFO nobody answers fails that transaction only, never the session;
//   - an ACK whose CSeq restarted at 1 after the 2xx to a re-INVITE is that re-INVITE's ACK, and
//     the INFOs numbered 2, 3, … after it are in order;
//   - the 2xx to a re-INVITE carries its Record-Route (sipe rebuilds its route set from it);
//   - after a gateway restart, sipe's in-dialog refresh re-INVITE opens the session again (sipe
//     never re-INVITEs out of dialog), and its monitor is restored under its monitorCrossRefID;
//   - after a CTI reconnect, the session's requests are served and events keep that ID;
//   - events of a client that never answers stay in order and bounded (sip.maxEventsInFlightPerSession,
//     sip.maxQueuedEventsPerSession), and the CSeq rule switched off breaks sipe as RFC 3261 would.
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { startSimulator, type Simulator } from '../../../simulator/src/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { listener } from '../faces/msrcc/helpers.js';
import { SIPE, sipeClusterConfig } from './sipe-cluster.js';
import { SipeLikeClient } from './sipe-like-client.js';
import type { SipRequest } from '../../src/sip/index.js';

const FAR_END = 'tel:+3222220220';
const SERVER_URI = 'sip:73124@gw.deskline.test';
/** Timer F (RFC 3261 §17.1.2.2: 64·T1) and a little more. */
const PAST_TIMER_F_MS = 33_000;
const CTI_USER = 'rcc-test';
const CTI_PASSWORD = 'not-a-real-secret';

interface Site {
  clock: FakeClock;
  logger: MemoryLogger;
  simulator: Simulator;
  gateway: Gateway;
  port: number;
}

let site: Site | undefined;
let client: SipeLikeClient | undefined;

afterEach(async () => {
  client?.close();
  await site?.gateway.dispose();
  await site?.simulator.dispose();
  client = undefined;
  site = undefined;
});

type SipOptions = Partial<{
  tolerateCSeqReset: boolean;
  maxEventsInFlightPerSession: number;
  maxQueuedEventsPerSession: number;
}>;

function gatewayConfig(
  simulator: Simulator,
  port: number,
  sip: SipOptions = {},
): Parameters<typeof createGateway>[0]['config'] {
  return {
    sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port }], ...sip },
    cti: {
      addresses: simulator.nodes.map((n) => n.address),
      applicationUser: CTI_USER,
      password: CTI_PASSWORD,
      // Longer than any time a test moves the clock (session-timers.test.ts explains why).
      heartbeatIntervalMs: 300_000,
      directoryRefreshSec: 86_400,
      requestTimeoutMs: 120_000,
      reconnectInitialMs: 100,
      reconnectMaxMs: 500,
    },
    http: { port: null },
  };
}

/** sipe's example site (sipe-cluster.ts) with simulator and gateway on one FakeClock. */
async function startSite(sip: SipOptions = {}): Promise<Site> {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const simulator = await startSimulator({
    cluster: sipeClusterConfig(),
    nodes: 1,
    host: '127.0.0.1',
    port: 0,
    adminPort: null,
    applicationUser: CTI_USER,
    applicationPassword: CTI_PASSWORD,
    clock,
    logger,
  });
  const gateway = await createGateway({ clock, logger, config: gatewayConfig(simulator, 0, sip) });
  const { port } = listener(gateway, 'TCP');
  site = { clock, logger, simulator, gateway, port };
  return site;
}

async function signedIn(s: Site): Promise<SipeLikeClient> {
  client = await SipeLikeClient.connect({
    host: '127.0.0.1',
    port: s.port,
    user: SIPE.user,
    serverUri: SERVER_URI,
    line: SIPE.line,
  });
  const response = await client.invite();
  expect(response.status, response.bodyText()).toBe(200);
  await client.monitored();
  return client;
}

/** MakeCall, the far end answers (300 ms of simulated time), sipe accepts Originated/Delivered/Established. */
async function callAnswered(s: Site, c: SipeLikeClient): Promise<void> {
  const from = c.events.length;
  const response = await c.makeCall(FAR_END);
  expect(`${response.status} ${response.bodyText()}`).toMatch(/^200 .*MakeCallResponse/);
  await c.acceptedEvents(2, from);
  s.clock.advance(300);
  const accepted = await c.acceptedEvents(3, from);
  expect(accepted.map((e) => e.type)).toEqual(['OriginatedEvent', 'DeliveredEvent', 'EstablishedEvent']);
}

/** The far end hangs up; sipe accepts ConnectionCleared and is idle again. */
async function farEndHangsUp(s: Site, c: SipeLikeClient): Promise<void> {
  for (const call of s.simulator.model.snapshot()) {
    const cleared = s.simulator.model.clearCallById(call.callId);
    if (!cleared.ok) throw cleared.error;
  }
  await c.acceptedEvents(1, c.events.findLastIndex((e) => e.type === 'EstablishedEvent') + 1);
  expect(c.idle).toBe(true);
}

describe('the sipe-like client is sipe on the wire', () => {
  it('no Via branch, ACK with CSeq 1 after every final response to its (re-)INVITE, event INFOs never answered, BYE answered 200 and the dialog kept', async () => {
    const s = await startSite();
    const c = await signedIn(s);
    await callAnswered(s, c);
    await c.refresh();
    const requests = c.outgoing.filter((m) => !m.startsWith('SIP/2.0'));
    for (const m of requests) expect(m).toMatch(/^Via: SIP\/2\.0\/tcp 127\.0\.0\.1:\d+\r$/m);
    const acks = requests.filter((m) => m.startsWith('ACK '));
    expect(acks).toHaveLength(2);
    for (const ack of acks) expect(ack).toMatch(/^CSeq: 1 ACK\r$/m);
    const cseqs = requests.map((m) => /^CSeq: (\d+ \w+)\r$/m.exec(m)?.[1]);
    expect(cseqs).toEqual(['1 INVITE', '1 ACK', '2 INFO', '3 INFO', '4 INFO', '5 INVITE', '1 ACK']);
    // Answers: none to the gateway's event INFOs.
    const answers = c.outgoing.filter((m) => m.startsWith('SIP/2.0'));
    expect(answers).toEqual([]);
    expect(c.requests.filter((r) => r.method === 'INFO').length).toBeGreaterThanOrEqual(3);

    // A BYE (the gateway draining) is answered 200; the dialog stays, nothing else is sent.
    const before = c.outgoing.length;
    const requestsBefore = c.requests.length;
    const disposing = s.gateway.dispose();
    await c.nextRequest('BYE', requestsBefore);
    await disposing;
    expect(c.outgoing.slice(before).map((m) => m.split('\r\n')[0])).toEqual(['SIP/2.0 200 OK']);
    expect(c.established).toBe(true);
    expect(c.theirTag).toBeDefined();
  });
});

describe('what the gateway owes a client like sipe (issue 10)', () => {
  it('an event INFO nobody answers fails that transaction only: after Timer F the session is still there and usable', async () => {
    const s = await startSite();
    const c = await signedIn(s);
    await callAnswered(s, c);
    await farEndHangsUp(s, c);
    s.clock.advance(PAST_TIMER_F_MS);
    const again = await c.makeCall(FAR_END);
    expect(`${again.status} ${again.reason} ${again.bodyText()}`).toMatch(/^200 .*MakeCallResponse/);
    expect(c.requests.filter((r) => r.method === 'BYE')).toEqual([]);
    expect(s.gateway.core.sessionCount).toBe(1);
  });

  it("sipe's refresh: the ACK with CSeq 1 is the re-INVITE's ACK, the next INFO (CSeq 2) is served, no BYE after 64·T1", async () => {
    const s = await startSite();
    const c = await signedIn(s);
    const refreshed = await c.refresh();
    expect(refreshed.status).toBe(200);
    const made = await c.makeCall(FAR_END);
    expect(`${made.status} ${made.reason} ${made.header('warning') ?? ''} ${made.bodyText()}`).toMatch(
      /^200 .*MakeCallResponse/,
    );
    s.clock.advance(PAST_TIMER_F_MS);
    const after = await c.info(
      `<?xml version="1.0"?><GetCSTAFeatures xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><extensions><privateData><private><lcs:line xmlns:lcs="http://schemas.microsoft.com/Lcs/2005/04/RCCExtension">${SIPE.line}</lcs:line></private></privateData></extensions></GetCSTAFeatures>`,
    );
    expect(after.status).toBe(200);
    expect(c.requests.filter((r) => r.method === 'BYE')).toEqual([]);
  });

  it("with sip.tolerateCSeqReset off, sipe's refresh breaks the session as RFC 3261 says: the ACK with CSeq 1 is stray, MakeCall gets 500, 64·T1 later BYE", async () => {
    const s = await startSite({ tolerateCSeqReset: false });
    const c = await signedIn(s);
    expect((await c.refresh()).status).toBe(200);
    const made = await c.makeCall(FAR_END);
    expect(`${made.status} ${made.header('warning') ?? ''}`).toMatch(/^500 .*CSeq 2 is not above 4/);
    s.clock.advance(PAST_TIMER_F_MS);
    await c.nextRequest('BYE');
    expect(s.gateway.core.sessionCount).toBe(0);
  });

  it('events of a client that never answers: at most sip.maxEventsInFlightPerSession unanswered, the rest wait in order; each Timer F frees the window; the session lives on', async () => {
    const s = await startSite({ maxEventsInFlightPerSession: 2, maxQueuedEventsPerSession: 64 });
    const c = await signedIn(s);
    const infos = (): SipRequest[] => c.requests.filter((r) => r.method === 'INFO');
    const made = await c.makeCall(FAR_END);
    expect(made.status).toBe(200);
    s.clock.advance(300); // the far end answers: ServiceInitiated?, Originated, Delivered, Established
    await until(() => infos().length === 2, 'the first two events');
    // Two unanswered INFOs in flight: the others wait.
    await new Promise((r) => setTimeout(r, 100));
    expect(infos()).toHaveLength(2);
    s.clock.advance(PAST_TIMER_F_MS);
    await until(() => infos().length >= 3, 'the next events after Timer F');
    for (let i = 0; i < 4 && c.events.filter((e) => e.type === 'EstablishedEvent').length === 0; i++)
      s.clock.advance(PAST_TIMER_F_MS);
    await c.acceptedEvents(3);
    // In order, one CSeq after the other, as the CTI Manager sent them.
    const seqs = infos().map((r) => Number(/^(\d+)/.exec(r.header('cseq') ?? '')?.[1]));
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(c.events.filter((e) => e.accepted).map((e) => e.type)).toEqual([
      'OriginatedEvent',
      'DeliveredEvent',
      'EstablishedEvent',
    ]);
    expect(s.gateway.core.sessionCount).toBe(1);
    const failures = await s.gateway.metrics.registry.getSingleMetricAsString(
      'deskline_csta_event_failures_total',
    );
    expect(failures).toMatch(/outcome="timeout"[^\n]* [1-9]/);
  });

  it('past sip.maxQueuedEventsPerSession waiting events the session ends with BYE (its client is not taking events), counted by its config field', async () => {
    const s = await startSite({ maxEventsInFlightPerSession: 1, maxQueuedEventsPerSession: 2 });
    const c = await signedIn(s);
    expect((await c.makeCall(FAR_END)).status).toBe(200);
    s.clock.advance(300);
    await c.nextRequest('BYE');
    await until(() => s.gateway.core.sessionCount === 0, 'the session released');
    const limits = await s.gateway.metrics.registry.getSingleMetricAsString('deskline_limit_refusals_total');
    expect(limits).toMatch(/limit="sip\.maxQueuedEventsPerSession"[^\n]* 1/);
    expect(s.logger.records.some((r) => /its client leaves its events unanswered/.test(r.message))).toBe(
      true,
    );
  });

  it('the 2xx to a re-INVITE carries the Record-Route of that re-INVITE (sipe rebuilds its route set from it)', async () => {
    const s = await startSite();
    const c = await signedIn(s);
    // As a proxy that stays on the path of each refresh would add it (deploy/kamailio/kamailio.cfg).
    const proxy = '<sip:127.0.0.1:5;transport=tcp;lr>';
    const response = await c.refresh({ proxyHeaders: [['Record-Route', proxy]] });
    expect(response.status).toBe(200);
    expect(response.headers.getAll('record-route')).toEqual([proxy]);
    expect(c.routes).toEqual([proxy]);
  });

  it("after a gateway restart, sipe's in-dialog refresh re-INVITE opens the session again; its monitor is back under its monitorCrossRefID", async () => {
    const s = await startSite();
    const c = await signedIn(s);
    const xref = c.monitorCrossRefId;
    // Restart on the same port (graceful: BYE, answered 200 and ignored by sipe).
    await s.gateway.dispose();
    s.gateway = await createGateway({
      clock: s.clock,
      logger: s.logger,
      config: gatewayConfig(s.simulator, s.port),
    });
    await c.reconnect();
    const refreshed = await c.refresh();
    expect(`${refreshed.status} ${refreshed.reason}`).toBe('200 OK');
    expect(c.monitorCrossRefId).toBe(xref);
    await callAnswered(s, c);
  });

  it('after the CTI connection is lost and back, the next MakeCall is served in the same session and its events keep the monitorCrossRefID', async () => {
    const s = await startSite();
    const c = await signedIn(s);
    const stopped = await s.simulator.stopNode(0);
    if (!stopped.ok) throw stopped.error;
    await until(() => s.gateway.pool.upCount === 0, 'the CTI connection down');
    const started = await s.simulator.startNode(0);
    if (!started.ok) throw started.error;
    await until(() => {
      s.clock.advance(100); // the reconnect backoff runs on the fake clock
      return s.gateway.pool.upCount > 0;
    }, 'the CTI connection back');
    // A gateway that restores monitors does it as the connection comes back: give it a moment
    // (what is asserted is the call).
    await until(
      () => s.simulator.nodes.reduce((n, node) => n + node.monitors, 0) > 0,
      'monitors',
      3_000,
    ).catch(() => undefined);
    await callAnswered(s, c);
  });
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
