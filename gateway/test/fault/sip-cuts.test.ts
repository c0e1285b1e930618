// SIP connections cut in the middle of a transaction, under steady load from three other
// clients (TCP and WebSocket): after half an INFO, after an INVITE before its 200, and while an
// event INFO from the gateway is unanswered; and a client that vanishes without a word. The
// half-sent request is never executed, no session, dialog or monitor outlives its client, the
// call a cut client placed is still in the simulator (a phone keeps its call when the CTI
// application goes) and is cleared when the client comes back, and the load never notices.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SipRawClient, RawSession, type RawTransport } from '../support/sip-raw-client.js';
import { unwrap } from '../../src/util/result.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { FAR_END, LOAD_USERS, Rig, until } from './harness.js';
import { drainAndCheck, LoadClient, snapshotDeviceBody, startLoad } from './load-client.js';

// Bounded, but several round trips and recoveries per test on a shared 2-core machine: more room than the 30 s default.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let rig: Rig | undefined;
let load: LoadClient[] = [];
const victims: SipRawClient[] = [];
afterEach(async () => {
  for (const client of load) client.destroyConnection();
  for (const client of victims.splice(0)) client.destroy();
  load = [];
  await rig?.abandon();
  rig = undefined;
});

/** The victim of each test: a user the background load does not use. */
const GRACE = {
  user: 'grace',
  line: 'tel:1007;phone-context=dialstring;partition=INTERNAL',
  device: 'SEP00AABB000007/1007/INTERNAL',
};
const BACKGROUND = LOAD_USERS.filter((u) => u.user !== GRACE.user);

async function rigWithLoad(options: Parameters<typeof Rig.start>[0] = {}): Promise<Rig> {
  rig = await Rig.start(options);
  load = await startLoad(rig, { count: 3, users: BACKGROUND });
  return rig;
}

async function connect(r: Rig, transport: RawTransport, autoAnswer = true): Promise<SipRawClient> {
  const { host, port } = r.listener(transport === 'TCP' ? 'TCP' : 'WS');
  const client = await SipRawClient.connect({ transport, host, port, autoAnswer, waitTimeoutMs: 5_000 });
  victims.push(client);
  return client;
}

function openGrace(client: SipRawClient): Promise<RawSession> {
  return client.openSession({
    uri: 'sip:rcc@gw.deskline.test',
    from: `<sip:${GRACE.user}@deskline.example>`,
    // Port 1 refuses at once: a callback the gateway attempts fails fast.
    contact:
      client.transport === 'TCP'
        ? '<sip:grace@127.0.0.1:1;transport=tcp>'
        : '<sip:grace@cut.invalid;transport=ws>',
    body: body.requestSystemStatus(GRACE.line),
  });
}

/** The same dialog, continued over another connection (a TCP dialog outlives its connection, RFC 3261 §18.1.1). */
function continueOn(client: SipRawClient, old: RawSession): RawSession {
  const session = new RawSession(
    client,
    old.uri,
    { bytes: Buffer.alloc(0), branch: '', method: 'INVITE', callId: old.callId, fromTag: old.localTag },
    old.inviteResponse,
    `<sip:${GRACE.user}@deskline.example>`,
    `<${old.uri}>`,
  );
  // Continue the CSeq space past what the old connection used.
  session.build('OPTIONS', { cseq: old.lastCSeq });
  return session;
}

/** The gateway's view of the connection a client uses (found by the client's local port). */
function serverSide(r: Rig, client: SipRawClient): { bytesIn: number } | undefined {
  return r.gateway.sip?.userAgent.connections().find((c) => c.remotePort === client.localPort);
}

const graceCalls = (r: Rig): number =>
  r.sim.model.snapshot().filter((c) => c.connections.some((p) => p.deviceId === GRACE.device)).length;
const graceSessions = (r: Rig): number =>
  [...r.gateway.core.allSessions()].filter((s) => s.user.id === GRACE.user).length;

/** Signs grace in again, clears every call on her line, and signs out. */
async function comeBackAndClean(r: Rig, transport: RawTransport): Promise<void> {
  const client = await connect(r, transport);
  const session = await openGrace(client);
  expect(session.inviteResponse.status).toBe(200);
  const snapshot = csta(await session.info(snapshotDeviceBody(GRACE.line)));
  if (snapshot.type !== 'SnapshotDeviceResponse') throw new Error(`unexpected ${snapshot.type}`);
  for (const item of snapshot.crossRefIDorSnapshotData.snapshotData ?? []) {
    const cleared = csta(
      await session.info(body.clearConnection(item.connectionIdentifier.callID ?? '', GRACE.line)),
    );
    expect(cleared.type).toBe('ClearConnectionResponse');
  }
  expect((await session.bye()).status).toBe(200);
  await client.close();
  await until(() => graceCalls(r) === 0, "grace's calls cleared");
}

describe('SIP connections cut mid-transaction, under load', () => {
  it('half an INFO then the socket dies: never executed; the TCP dialog goes on over a new connection', async () => {
    const r = await rigWithLoad();
    const first = await connect(r, 'TCP');
    const session = await openGrace(first);
    expect(csta(await session.info(body.monitorStart(GRACE.line))).type).toBe('MonitorStartResponse');
    const info = session.build('INFO', {
      body: body.makeCall(GRACE.line, FAR_END),
      headers: [['Content-Disposition', 'signal;handling=required']],
    });
    const before = serverSide(r, first)?.bytesIn ?? 0;
    const half = Math.floor(info.bytes.length / 2);
    first.sendBytes(info.bytes.subarray(0, half));
    await until(
      () => (serverSide(r, first)?.bytesIn ?? 0) >= before + half,
      'the gateway read half the INFO',
    );
    first.destroy();
    await until(() => serverSide(r, first) === undefined, 'the gateway closed its side');
    // The half request was never executed.
    expect(graceCalls(r)).toBe(0);
    expect(graceSessions(r)).toBe(1);

    // Same dialog, new connection: the request is sent whole this time (same CSeq: it was never processed).
    const second = await connect(r, 'TCP');
    const resumed = continueOn(second, session);
    const made = csta(
      await resumed.request('INFO', {
        body: body.makeCall(GRACE.line, FAR_END),
        headers: [['Content-Disposition', 'signal;handling=required']],
        cseq: info.cseq,
      }),
    );
    if (made.type !== 'MakeCallResponse') throw new Error(`unexpected ${JSON.stringify(made)}`);
    expect(graceCalls(r)).toBe(1);
    expect(
      csta(await resumed.info(body.clearConnection(made.callingDevice.callID ?? '', GRACE.line))).type,
    ).toBe('ClearConnectionResponse');
    expect((await resumed.bye()).status).toBe(200);
    await until(() => graceSessions(r) === 0 && graceCalls(r) === 0, 'grace signed out, no call left');
    await drainAndCheck(r, load);
  });

  it('half an INFO over WebSocket (a message shorter than its Content-Length): 400, the session keeps working', async () => {
    const r = await rigWithLoad();
    const client = await connect(r, 'WS');
    const session = await openGrace(client);
    const info = session.build('INFO', {
      body: body.makeCall(GRACE.line, FAR_END),
      headers: [['Content-Disposition', 'signal;handling=required']],
    });
    client.sendBytes(info.bytes.subarray(0, info.bytes.length - 40));
    const refused = await client.finalResponse(info.branch, 'INFO');
    expect(refused.status).toBe(400);
    expect(graceCalls(r)).toBe(0);
    expect(csta(await session.info(snapshotDeviceBody(GRACE.line))).type).toBe('SnapshotDeviceResponse');
    // Then the socket dies mid-session: a WebSocket client cannot be called back, so everything goes.
    client.destroy();
    await until(() => graceSessions(r) === 0, "grace's session released with her WebSocket");
    await drainAndCheck(r, load);
  });

  it.each(['TCP', 'WS'] as const)(
    'an INVITE whose connection (%s) dies before the 200 leaves no session behind',
    async (transport) => {
      // No CTI Manager yet: the INVITE waits for the directory, and the client gives up meanwhile.
      rig = await Rig.start({ nodesDownAtStart: true });
      const r = rig;
      const client = await connect(r, transport);
      client.send({
        method: 'INVITE',
        uri: 'sip:rcc@gw.deskline.test',
        from: `<sip:${GRACE.user}@deskline.example>`,
        headers: [
          ['Contact', '<sip:grace@127.0.0.1:1;transport=tcp>'],
          ['Content-Disposition', 'signal;handling=required'],
          ['Supported', 'timer'],
        ],
        body: body.requestSystemStatus(GRACE.line),
      });
      await client.nextResponse((response) => response.status === 100);
      client.destroy();
      await until(
        () => r.gateway.sip?.userAgent.stats().connections === 0,
        'the gateway saw the connection go',
      );
      unwrap(await r.sim.startNode(0));
      unwrap(await r.sim.startNode(1));
      await until(() => r.gateway.core.directory.loadedAt !== 0, 'directory loaded');
      // The INVITE was processed to the end once the directory came: wait for its outcome in the log.
      await until(
        () => r.logger.find(/RCC session open|session refused|INVITE handling failed/).length > 0,
        'the INVITE handled',
      );
      await until(
        () => graceSessions(r) === 0,
        () =>
          `no session left for the vanished INVITE: ${JSON.stringify(r.logger.find(/session|INVITE/).map((x) => x.message))}`,
      );
      load = await startLoad(r, { count: 3, users: BACKGROUND });
      await drainAndCheck(r, load);
    },
  );

  it('INVITEs cut at once, over and over, on both transports: WebSocket ones leave nothing, TCP ones only timer-bounded dialogs', async () => {
    const r = await rigWithLoad();
    for (let i = 0; i < 16; i++) {
      const client = await connect(r, i % 2 === 0 ? 'TCP' : 'WS');
      client.send({
        method: 'INVITE',
        uri: 'sip:rcc@gw.deskline.test',
        from: `<sip:${GRACE.user}@deskline.example>`,
        headers: [
          ['Contact', '<sip:grace@127.0.0.1:1;transport=tcp>'],
          ['Content-Disposition', 'signal;handling=required'],
          ['Supported', 'timer'],
        ],
        body: body.requestSystemStatus(GRACE.line),
      });
      // Vary the moment of the cut: at once, or after a few event-loop turns.
      for (let spin = 0; spin < i % 4; spin++) await new Promise((resolve) => setImmediate(resolve));
      client.destroy();
    }
    await until(
      () => (r.gateway.sip?.userAgent.stats().connections ?? 0) <= load.length,
      'cut connections gone',
    );
    // Every INVITE was handled to the end (answered, or refused because its connection had gone).
    await until(
      () =>
        r.logger
          .find(/RCC session open|INVITE handling failed/)
          .filter((x) => x.fields['user'] === GRACE.user || x.message === 'INVITE handling failed').length >=
        16,
      'all 16 INVITEs handled',
    );
    // What is left: TCP dialogs that got their 200 (a TCP dialog outlives its connection, RFC 3261
    // §18.1.1), each bounded by its RFC 4028 session timer; nothing from the WebSocket ones.
    const opened = r.logger.find('RCC session open').filter((x) => x.fields['user'] === GRACE.user);
    const alive = opened
      .map((x) => r.gateway.sip?.userAgent.dialog(String(x.fields['dialog'])))
      .filter((d) => d !== undefined && !d.isTerminated);
    expect(alive.length).toBe(graceSessions(r));
    for (const dialog of alive) {
      expect(dialog?.transport?.protocol ?? 'gone').toBe('gone');
      expect(dialog?.sessionInterval).toBeGreaterThanOrEqual(90);
      expect(dialog?.refresher).toBe('uac');
    }
    for (const x of opened)
      if (x.fields['transport'] === 'WS')
        expect(r.gateway.sip?.userAgent.dialog(String(x.fields['dialog']))).toBeUndefined();
    // The load never noticed; after it signs out only those bounded dialogs remain, and dispose() ends them.
    await Promise.all(load.map((c) => c.progress(3)));
    r.expectCallsAccountedFor();
    await Promise.all(load.map((c) => c.stop()));
    for (const client of load) expect(client.anomalies, client.name).toEqual([]);
    await until(
      () => [...r.gateway.core.allSessions()].every((s) => s.user.id === GRACE.user),
      'only the cut sessions left',
    );
    expect(r.simMonitors()).toBe(0);
    await r.expectNoCalls();
    await r.finish();
  });

  it('a TCP client without session timers that vanishes: with nothing to bound its dialog, it ends with the connection', async () => {
    const r = await rigWithLoad();
    const client = await connect(r, 'TCP');
    // No "Supported: timer" and no UPDATE in Allow: RFC 4028 §9 leaves no session timer at all.
    const session = await client.openSession({
      uri: 'sip:rcc@gw.deskline.test',
      from: `<sip:${GRACE.user}@deskline.example>`,
      contact: '<sip:grace@127.0.0.1:1;transport=tcp>',
      headers: [['Supported', 'replaces']],
      body: body.requestSystemStatus(GRACE.line),
    });
    expect(session.inviteResponse.status).toBe(200);
    expect(session.inviteResponse.header('session-expires')).toBeUndefined();
    expect(graceSessions(r)).toBe(1);
    client.destroy();
    await until(() => graceSessions(r) === 0, "grace's unbounded session released with its connection");
    await drainAndCheck(r, load);
  });

  it.each(['TCP', 'WS'] as const)(
    'an event INFO unanswered when the connection (%s) dies: the session is released, the call stays on the phone',
    async (transport) => {
      const r = await rigWithLoad();
      const client = await connect(r, transport, false);
      const session = await openGrace(client);
      expect(csta(await session.info(body.monitorStart(GRACE.line))).type).toBe('MonitorStartResponse');
      const made = csta(await session.info(body.makeCall(GRACE.line, FAR_END)));
      expect(made.type).toBe('MakeCallResponse');
      const event = await client.nextRequest('INFO');
      expect(csta(event).type).toMatch(/Event$/);
      client.destroy(); // the event is never answered
      await until(() => graceSessions(r) === 0, "grace's session released");
      await until(() => r.simMonitors() === load.length, "grace's monitor stopped");
      // The phone still has the call; grace signs in again and clears it.
      expect(graceCalls(r)).toBe(1);
      await comeBackAndClean(r, transport);
      await drainAndCheck(r, load);
    },
  );

  it('a TCP client that vanishes without a word: its dialog survives, and the first event it cannot get releases it', async () => {
    const r = await rigWithLoad();
    const client = await connect(r, 'TCP');
    const session = await openGrace(client);
    expect(csta(await session.info(body.monitorStart(GRACE.line))).type).toBe('MonitorStartResponse');
    client.destroy();
    await until(() => serverSide(r, client) === undefined, 'connection gone');
    // RFC 3261 §18.1.1: the dialog is not tied to the connection; nothing has been lost yet.
    expect(graceSessions(r)).toBe(1);
    const call = unwrap(r.sim.placeInboundCall('+14085550123', '1007'));
    // The DeliveredEvent cannot reach grace (her Contact refuses): the session and its monitor go.
    await until(() => graceSessions(r) === 0, "grace's session released after an undeliverable event");
    await until(() => r.simMonitors() === load.length, "grace's monitor stopped");
    unwrap(r.sim.model.clearCallById(call.callId));
    await drainAndCheck(r, load);
  });
});
