// Edge cases a demanding operator meets with real clients: a CANCEL of an INVITE still pending,
// one user signed in twice on the same line, a client that forgot the dialog (481 to an event),
// Line URIs in E.164 form, OPTIONS probes in and out of dialogs.
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  startSimulator,
  type Simulator,
} from '../../../simulator/src/index.js';
import { SipJsCstaClient } from '../support/sip-sipjs-client.js';
import { SipRawClient } from '../support/sip-raw-client.js';
import { SipRequest, type SipResponse } from '../../src/sip/index.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { unwrap } from '../../src/util/result.js';
import {
  ALICE_LINE,
  body,
  csta,
  listener,
  nextEvent,
  openRcc,
  rawClient,
  sipGateway,
} from '../faces/msrcc/helpers.js';
import {
  SERVER_URI,
  answerOf,
  expectAllReleased,
  simulatorMonitors,
  sipJsEvent,
  until,
  wsUrl,
} from './helpers.js';

let gateway: (Gateway & { simulator?: Simulator }) | undefined;
let simulator: Simulator | undefined;
const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await gateway?.dispose();
  await simulator?.dispose();
  gateway = undefined;
  simulator = undefined;
});

async function raw(gw: Gateway): Promise<SipRawClient> {
  const client = await rawClient(gw);
  clients.push(client);
  return client;
}

/** deskline_sip_requests_total{method,status} of a gateway. */
async function sipAnswered(gw: Gateway, method: string, status: number): Promise<number> {
  const metric = gw.metrics.registry.getSingleMetric('deskline_sip_requests_total');
  if (metric === undefined) throw new Error('no deskline_sip_requests_total');
  const { values } = await metric.get();
  return values.find((v) => v.labels.method === method && v.labels.status === String(status))?.value ?? 0;
}

describe('CANCEL of a pending INVITE (RFC 3261 §9.2)', () => {
  /** A gateway whose only CTI Manager is down at start: INVITEs wait for the user directory. */
  async function gatewayWaitingForDirectory(): Promise<{
    gw: Gateway;
    sim: Simulator;
    logger: MemoryLogger;
  }> {
    const sim = await startSimulator({
      cluster: 'demo',
      nodes: 1,
      host: '127.0.0.1',
      port: 0,
      adminPort: null,
      applicationUser: DEMO_APPLICATION_USER,
      applicationPassword: DEMO_APPLICATION_PASSWORD,
    });
    simulator = sim;
    unwrap(await sim.stopNode(0));
    const logger = new MemoryLogger();
    const gw = await createGateway({
      logger,
      waitForDirectoryMs: 0,
      config: {
        sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port: 0 }] },
        cti: {
          addresses: sim.nodes.map((n) => n.address),
          applicationUser: DEMO_APPLICATION_USER,
          password: DEMO_APPLICATION_PASSWORD,
          reconnectInitialMs: 50,
          reconnectMaxMs: 100,
        },
        http: { port: null },
      },
    });
    gateway = gw;
    return { gw, sim, logger };
  }

  /** Sends an INVITE, waits for 100 Trying, CANCELs it; returns the 487 (ACKed) and the CANCEL's answer. */
  async function inviteThenCancel(
    client: SipRawClient,
  ): Promise<{ invite: SipResponse; cancel: SipResponse }> {
    const branch = `z9hG4bKcancel${Date.now().toString(36)}`;
    const common: [string, string][] = [
      ['Via', `SIP/2.0/TCP client.invalid;branch=${branch}`],
      ['From', '<sip:alice@deskline.example>;tag=cancel-test'],
      ['To', `<${SERVER_URI}>`],
      ['Call-ID', `cancel-${branch}`],
    ];
    client.send({
      method: 'INVITE',
      uri: SERVER_URI,
      headers: [
        ...common,
        ['CSeq', '1 INVITE'],
        ['Contact', '<sip:alice@client.invalid;transport=tcp>'],
        ['Supported', 'timer'],
        ['Content-Disposition', 'signal;handling=required'],
      ],
      body: body.requestSystemStatus(ALICE_LINE),
    });
    const trying = await client.nextResponse((r) => r.status === 100);
    expect(trying.header('call-id')).toBe(`cancel-${branch}`);
    // RFC 3261 §9.1: the CANCEL repeats Request-URI, Call-ID, To, From, the CSeq number and the Via.
    client.send({ method: 'CANCEL', uri: SERVER_URI, headers: [...common, ['CSeq', '1 CANCEL']] });
    const cancel = await client.finalResponse(branch, 'CANCEL');
    const invite = await client.finalResponse(branch, 'INVITE');
    // §17.1.1.3: the ACK for a non-2xx carries the To tag of the response and the INVITE's branch.
    client.send({
      method: 'ACK',
      uri: SERVER_URI,
      headers: [common[0]!, common[1]!, ['To', invite.header('to') ?? ''], common[3]!, ['CSeq', '1 ACK']],
    });
    return { invite, cancel };
  }

  it('200 to the CANCEL, 487 to the INVITE, and no session once the directory arrives', async () => {
    const { gw, sim } = await gatewayWaitingForDirectory();
    const client = await raw(gw);
    const { invite, cancel } = await inviteThenCancel(client);
    expect(cancel.status).toBe(200);
    expect(invite.status).toBe(487);

    // The CTI Manager comes back: the directory loads, the held-up INVITE handling resumes and
    // sees the CANCEL — no core session, no dialog, no monitor.
    unwrap(await sim.startNode(0));
    await until(() => gw.core.directory.loadedAt !== 0, 'directory loaded');
    await client.sync();
    expect(gw.core.sessionCount).toBe(0);
    expect(gw.sip?.dialogCount).toBe(0);
    expect(gw.sip?.userAgent.stats().dialogs).toBe(0);
    expect(await sipAnswered(gw, 'INVITE', 200)).toBe(0);

    // And the gateway serves the next INVITE normally.
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(200);
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gw, sim);
  });

  it('a CANCEL whose INVITE then times out on the directory is not counted as a 503', async () => {
    const { gw, logger } = await gatewayWaitingForDirectory();
    const client = await raw(gw);
    const { invite } = await inviteThenCancel(client);
    expect(invite.status).toBe(487);
    // The INVITE handling gives up on the directory after 3 s, when the INVITE has long been
    // answered (487): its refusal is dropped, not sent, counted or logged as a refused session.
    await until(
      () => logger.records.some((r) => r.message === 'INVITE already answered (canceled); refusal not sent'),
      'the directory wait to end',
    );
    expect(await sipAnswered(gw, 'INVITE', 503)).toBe(0);
    expect(logger.records.some((r) => r.message === 'session refused')).toBe(false);
    expect(gw.core.sessionCount).toBe(0);
    await client.sync();
    expect(client.received.filter((m) => !(m instanceof SipRequest) && m.status !== 100)).toEqual([]);
  });

  it('a CANCEL that matches no INVITE gets 481', async () => {
    gateway = await sipGateway();
    const client = await raw(gateway);
    const response = await client.request({
      method: 'CANCEL',
      uri: SERVER_URI,
      from: '<sip:alice@deskline.example>',
    });
    expect(response.status).toBe(481);
  });
});

describe('one user, one line, two sessions (two PCs signed in)', () => {
  it('both sessions work and each gets the events, with its own cross-reference', async () => {
    gateway = await sipGateway();
    const tcp = await raw(gateway);
    const first = await openRcc(tcp, 'alice', ALICE_LINE);
    expect(first.inviteResponse.status).toBe(200);
    const firstMonitor = csta(await first.info(body.monitorStart(ALICE_LINE)));
    if (firstMonitor.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(firstMonitor));

    const ws = await SipJsCstaClient.connect({ url: wsUrl(gateway), aor: 'sip:alice@deskline.example' });
    clients.push(ws);
    const second = await ws.openSession(SERVER_URI, body.requestSystemStatus(ALICE_LINE));
    const secondXref = answerOf(
      await second.info(body.monitorStart(ALICE_LINE)),
      'MonitorStartResponse',
    ).monitorCrossRefID;
    expect(secondXref).not.toBe(firstMonitor.monitorCrossRefID);
    expect(gateway.core.sessionCount).toBe(2);
    expect(simulatorMonitors(gateway)).toBe(2);

    // A call from the second session: both see it, each with its own monitorCrossRefID.
    const made = answerOf(
      await second.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')),
      'MakeCallResponse',
    );
    const callId = made.callingDevice.callID;
    expect(await sipJsEvent(second, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: secondXref,
      originatedConnection: { callID: callId },
    });
    expect(await nextEvent(tcp, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: firstMonitor.monitorCrossRefID,
      originatedConnection: { callID: callId },
    });
    // The first session may control the call the second one made: it is the same line.
    const cleared = csta(await first.info(body.clearConnection(callId ?? '', ALICE_LINE)));
    expect(cleared.type).toBe('ClearConnectionResponse');
    await sipJsEvent(second, 'ConnectionClearedEvent');
    await nextEvent(tcp, 'ConnectionClearedEvent');

    // One signs out; the other goes on.
    expect((await second.bye()).status).toBe(200);
    await until(
      () => gateway!.core.sessionCount === 1 && simulatorMonitors(gateway!) === 1,
      'one session left',
    );
    csta(await first.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')));
    expect(await nextEvent(tcp, 'OriginatedEvent')).toMatchObject({
      monitorCrossRefID: firstMonitor.monitorCrossRefID,
    });
    expect((await first.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });
});

describe('a client that no longer knows the dialog', () => {
  it('answers an event INFO with 481: the gateway releases the session and sends nothing more', async () => {
    gateway = await sipGateway();
    const client = await SipRawClient.connect({
      ...listener(gateway, 'TCP'),
      transport: 'TCP',
      autoAnswer: false,
    });
    clients.push(client);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    expect(simulatorMonitors(gateway)).toBe(1);
    csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')));

    const first = await client.nextRequest('INFO');
    client.respond(first, 481);
    await expectAllReleased(gateway);
    // Events already on their way are answered the same way; then the call goes on (the board
    // room answers after 1 s) without any further INFO to this client.
    const requests = (): SipRequest[] =>
      client.received.filter((m): m is SipRequest => m instanceof SipRequest);
    for (const request of requests()) {
      client.received.splice(client.received.indexOf(request), 1);
      client.respond(request, 481);
    }
    const sim = gateway.simulator!;
    await until(
      () => sim.model.snapshot().some((c) => c.connections.every((p) => p.state === 'connected')),
      'the call answered',
    );
    await client.sync();
    expect(requests()).toEqual([]);
    expect(gateway.sip?.dialogCount).toBe(0);
  });
});

describe('Line URIs in other forms', () => {
  it.each([
    ['E.164 with the extension', 'tel:+14085551001;ext=1001'],
    ['the site DID, rewritten to the extension by the numbering rules', 'tel:+14085551001'],
    ['the dialstring without partition', 'tel:1001;phone-context=dialstring'],
  ])("%s (%s) is alice's line; events name it exactly as she gave it", async (_name, line) => {
    gateway = await sipGateway();
    const client = await raw(gateway);
    const session = await openRcc(client, 'alice', line);
    expect(session.inviteResponse.status, session.inviteResponse.header('warning')).toBe(200);
    const monitor = csta(await session.info(body.monitorStart(line)));
    expect(monitor.type).toBe('MonitorStartResponse');
    const made = csta(await session.info(body.makeCall(line, 'tel:1300;phone-context=dialstring')));
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    expect(made.callingDevice.deviceID).toBe(line);
    expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({
      originatedConnection: { deviceID: line },
    });
    const core = [...gateway.core.allSessions()][0];
    expect(core?.appearance.line.dn).toBe('1001');
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });

  it.each([
    ["bob's number in E.164 form", 'tel:+14085551002;ext=1002', 403],
    ['a number that is no line at all', 'tel:+14085559999;ext=9999', 404],
  ])('%s is refused (%s → %i)', async (_name, line, status) => {
    gateway = await sipGateway();
    const client = await raw(gateway);
    const session = await openRcc(client, 'alice', line);
    expect(session.inviteResponse.status).toBe(status);
    expect(csta(session.inviteResponse).type).toBe('CSTAErrorCode');
    expect(gateway.core.sessionCount).toBe(0);
  });
});

describe('OPTIONS', () => {
  it('out of dialog: 200 with what we allow, accept and support (load balancer probes)', async () => {
    gateway = await sipGateway();
    const client = await raw(gateway);
    const response = await client.request({
      method: 'OPTIONS',
      uri: SERVER_URI,
      from: '<sip:dispatcher@lb.deskline.test>',
    });
    expect(response.status).toBe(200);
    expect(response.header('allow')?.split(/\s*,\s*/)).toEqual(
      expect.arrayContaining(['INVITE', 'ACK', 'BYE', 'CANCEL', 'INFO', 'UPDATE', 'OPTIONS']),
    );
    expect(response.header('accept')).toBe('application/csta+xml');
    expect(response.header('supported')).toContain('timer');
    expect(gateway.core.sessionCount).toBe(0);
  });

  it('in a dialog: 200, and the session is unaffected; in an unknown dialog: 481', async () => {
    gateway = await sipGateway();
    const client = await raw(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const options = await session.request('OPTIONS');
    expect(options.status).toBe(200);
    expect(options.header('allow')).toContain('INFO');
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1300;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    await nextEvent(client, 'OriginatedEvent');

    const stranger = await client.request({
      method: 'OPTIONS',
      uri: session.remoteTarget,
      headers: [
        ['From', session.fromHeader],
        ['To', `<${SERVER_URI}>;tag=not-our-tag`],
        ['Call-ID', session.callId],
        ['CSeq', '99 OPTIONS'],
      ],
    });
    expect(stranger.status).toBe(481);
    expect(gateway.core.sessionCount).toBe(1);
    expect((await session.bye()).status).toBe(200);
    await expectAllReleased(gateway);
  });
});
