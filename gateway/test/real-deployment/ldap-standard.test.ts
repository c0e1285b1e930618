// Issue 12's "done when", with real parts (docs/real-deployments.md): users from a real OpenLDAP
// (Debian's slapd, StartTLS, the Lync / Skype for Business attributes), a CTI link in the standard
// profile against the simulator speaking it too (`cucm-sim --profile standard`: devices by DN, a
// vendor credential block, nothing private), and a full Microsoft RCC flow over real SIP/TCP —
// INVITE → MonitorStart → MakeCall → events → BYE. A capture of the CTI link holds no
// `urn:deskline` namespace, and the troubleshooter says which provider answered and why each user
// is, or is not, allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { formatTroubleshootReport, troubleshoot } from '../../src/core/troubleshoot.js';
import { MemoryLogger } from '../../src/util/logger.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  DEMO_NUMBERING_RULES,
  startSimulator,
  type Simulator,
} from '../../../simulator/src/index.js';
import { startHttpServer } from '../../../service/src/http-server.js';
import type { HostedGateway } from '../../../host/src/demo.js';
import {
  GATEWAY_BIND_DN,
  LICENCE_GROUP_DN,
  PEOPLE_DN,
  TestSlapd,
  type TestUser,
} from '../directory/slapd.js';
import { TcpCapture } from '../support/tcp-capture.js';
import { body, csta, nextEvent, rawClient } from '../faces/msrcc/helpers.js';
import { waitForState } from '../faces/desk/helpers.js';

const RCC = 16; // msRTCSIP-OptionFlags: remote call control (docs/directory.md §4)
const LINE_SERVER = 'sip:rcc@gw.deskline.test';
const line = (dn: string): string => `tel:${dn};phone-context=dialstring;partition=INTERNAL`;
const ALICE_LINE = line('1001');

const PEOPLE: TestUser[] = [
  {
    uid: 'alice',
    displayName: 'Alice Archer',
    sipUri: 'sip:alice@deskline.test',
    lineUri: ALICE_LINE,
    lineServer: LINE_SERVER,
    optionFlags: RCC,
    licensed: true,
  },
  {
    uid: 'bob',
    displayName: 'Bob Baker',
    sipUri: 'sip:bob@deskline.test',
    lineUri: line('1002'),
    lineServer: LINE_SERVER,
    optionFlags: RCC,
    telephoneNumber: '+1 408 555 1002',
    licensed: true,
  },
  // Not in the licence group.
  {
    uid: 'carol',
    displayName: 'Carol Chen',
    sipUri: 'sip:carol@deskline.test',
    lineUri: line('1003'),
    lineServer: LINE_SERVER,
    optionFlags: RCC,
  },
  // Remote call control through another gateway.
  {
    uid: 'dave',
    displayName: 'Dave Diaz',
    sipUri: 'sip:dave@deskline.test',
    lineUri: line('1004'),
    lineServer: 'sip:rcc@other-gateway.example.com',
    optionFlags: RCC,
    licensed: true,
  },
  // A line the call server does not have.
  {
    uid: 'ivy',
    displayName: 'Ivy Irwin',
    sipUri: 'sip:ivy@deskline.test',
    lineUri: line('1999'),
    lineServer: LINE_SERVER,
    optionFlags: RCC,
    licensed: true,
  },
];

/** The vendor credential block the server expects (a custom one: element and namespace configured). */
const LOGIN = {
  form: 'custom',
  element: 'LoginInfo',
  namespace: 'http://pbx.example.com/csta',
  userElement: 'user',
  passwordElement: 'secret',
  extra: {},
} as const;

let slapd: TestSlapd;
let sim: Simulator;
let capture: TcpCapture;
let gateway: Gateway;
const logger = new MemoryLogger();

beforeAll(async () => {
  slapd = await TestSlapd.start({ users: PEOPLE });
  sim = await startSimulator({
    cluster: 'demo',
    profile: 'standard',
    login: LOGIN,
    systemStatusIntervalMs: 1_000,
    applicationUser: DEMO_APPLICATION_USER,
    applicationPassword: DEMO_APPLICATION_PASSWORD,
  });
  capture = await TcpCapture.start(sim.nodes[0]?.address ?? '');
  gateway = await createGateway({
    logger,
    config: {
      http: { port: null },
      numbering: DEMO_NUMBERING_RULES,
      sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port: 0 }] },
      cti: {
        addresses: [capture.address],
        applicationUser: DEMO_APPLICATION_USER,
        password: DEMO_APPLICATION_PASSWORD,
        profile: 'standard',
        login: LOGIN,
        heartbeatIntervalMs: 1_000,
      },
      directory: {
        source: 'ldap',
        ldap: {
          urls: [slapd.ldapUrl], // StartTLS, the CA checked
          caFile: slapd.caFile,
          bindDn: GATEWAY_BIND_DN,
          passwordFile: slapd.gatewayPasswordFile,
          users: { baseDn: PEOPLE_DN },
          licence: { groupDn: LICENCE_GROUP_DN },
          lineServers: ['gw.deskline.test'],
        },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway?.dispose();
  await capture?.dispose();
  await sim?.dispose();
  await slapd?.dispose();
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Deskline on a standard CSTA call server with its users in LDAP', () => {
  it('runs a full RCC flow: INVITE, MonitorStart, MakeCall, events, BYE — and the CTI link carries nothing private', async () => {
    const health = gateway.health();
    expect(health.status).toBe('ok');
    expect(health.directory.provider).toMatchObject({
      kind: 'ldap',
      state: 'ready',
      counts: { users: 4, licensedUsers: 3 },
    });
    expect(gateway.directoryLookup).toBeDefined();

    const client = await rawClient(gateway);
    try {
      const session = await client.openSession({
        uri: 'sip:rcc@gw.deskline.test',
        from: '<sip:alice@deskline.test>',
        body: body.requestSystemStatus(ALICE_LINE),
      });
      expect(session.inviteResponse.status).toBe(200);
      expect(csta(session.inviteResponse)).toEqual({
        type: 'RequestSystemStatusResponse',
        systemStatus: 'normal',
      });

      const monitor = csta(await session.info(body.monitorStart(ALICE_LINE)));
      if (monitor.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(monitor));
      const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1002;phone-context=dialstring')));
      if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
      const callId = made.callingDevice.callID ?? '';
      expect(made.callingDevice.deviceID).toBe(ALICE_LINE);
      expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({
        monitorCrossRefID: monitor.monitorCrossRefID,
        originatedConnection: { callID: callId, deviceID: ALICE_LINE },
      });
      expect(await nextEvent(client, 'DeliveredEvent')).toMatchObject({
        alertingDevice: { id: 'tel:1002;phone-context=dialstring' },
      });
      expect(await nextEvent(client, 'EstablishedEvent')).toMatchObject({
        establishedConnection: { callID: callId },
      });
      expect(csta(await session.info(body.clearConnection(callId, ALICE_LINE))).type).toBe(
        'ClearConnectionResponse',
      );
      await nextEvent(client, 'ConnectionClearedEvent');
      expect(csta(await session.info(body.monitorStop(monitor.monitorCrossRefID))).type).toBe(
        'MonitorStopResponse',
      );
      expect((await session.bye()).status).toBe(200);
      await until(() => gateway.core.sessionCount === 0, 'session released');

      // A user the directory does not make ours is refused at the INVITE.
      const dave = await client.openSession({
        uri: 'sip:rcc@gw.deskline.test',
        from: '<sip:dave@deskline.test>',
        body: body.requestSystemStatus(line('1004')),
      });
      expect(dave.inviteResponse.status).not.toBe(200);
    } finally {
      await client.close();
    }

    // The capture of the CTI link, both directions, every byte.
    const bytes = capture.bytes();
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes('urn:deskline')).toBe(false);
    expect(bytes.includes(Buffer.from('urn:deskline', 'utf8'))).toBe(false);
    const text = bytes.toString('latin1');
    expect(text).not.toMatch(/LDAP-alice|SEP00AABB/); // devices by DN only
    expect(text).toContain('<deviceObject>1001</deviceObject>');
    expect(text).toContain('<calledDirectoryNumber>1002</calledDirectoryNumber>');
    expect(text).toMatch(
      /<applicationSpecificInfo><LoginInfo xmlns="http:\/\/pbx\.example\.com\/csta"><user>deskline<\/user><secret>/,
    );
    expect(text).toContain('<GetSwitchingFunctionDevices');
  });

  it('reports the lines the call server does not list, and the troubleshooter says who answered and why each user is allowed or not', async () => {
    await until(() => gateway.pool.connections[0]?.listedDevices !== undefined, 'the device check');
    const node = gateway.health().cti.nodes[0];
    expect(node?.deviceCheck).toMatchObject({ missing: 1, missingExamples: ['1999'] });

    const options = { identity: gateway.config.users.identity, trustedPeers: [] as string[] };
    const alice = troubleshoot(gateway.core, gateway.rules, options, {
      user: 'sip:alice@deskline.test',
      lineUri: ALICE_LINE,
    });
    expect(alice.verdict).toBe('ok');
    expect(alice.directory).toMatchObject({ source: 'ldap', answeredFrom: slapd.ldapUrl, state: 'ready' });
    expect(alice.finding).toMatchObject({ included: true, entry: `uid=alice,${PEOPLE_DN}` });
    expect(alice.checks.find((c) => c.check === 'ldap entry: lineServer')).toMatchObject({ status: 'ok' });
    expect(alice.checks.find((c) => c.check === 'CTI device IDs')).toMatchObject({
      status: 'ok',
      detail: 'LDAP-alice/1001/INTERNAL → 1001 (listed by the CTI Manager)',
    });

    const carol = troubleshoot(gateway.core, gateway.rules, options, { user: 'carol' });
    expect(carol.verdict).toBe('fail');
    expect(carol.checks.find((c) => c.check === 'licence')).toMatchObject({ status: 'fail' });
    expect(carol.checks.find((c) => c.check === 'ldap entry: licence')?.detail).toMatch(
      /not a member of cn=rcc-users/,
    );

    const dave = troubleshoot(gateway.core, gateway.rules, options, { user: 'dave' });
    expect(dave.verdict).toBe('fail');
    expect(dave.checks.find((c) => c.check === 'ldap entry: lineServer')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/names another gateway/),
    });
    expect(dave.checks.find((c) => c.check === 'user')?.detail).toMatch(
      /not a user of this gateway: see the ldap entry checks/,
    );

    const ivy = troubleshoot(gateway.core, gateway.rules, options, { user: 'ivy' });
    expect(ivy.checks.find((c) => c.check === 'CTI device IDs')).toMatchObject({
      status: 'warning',
      detail: expect.stringMatching(
        /LDAP-ivy\/1999\/INTERNAL → 1999 \(not listed by .*: check cti\.deviceIds\)/,
      ),
    });
    const text = formatTroubleshootReport(dave);
    expect(text).toMatch(/^directory: ldap \(ldap:\/\/127\.0\.0\.1:\d+\), answered by ldap:/m);
    expect(text).toMatch(
      /\[FAIL\] ldap entry: lineServer +msRTCSIP-LineServer "sip:rcc@other-gateway\.example\.com" names another gateway/,
    );
    expect(text).toMatch(/verdict: FAIL/);

    // The same report over HTTP, as an operator asks for it.
    const hosted = {
      ...gateway,
      simulator: undefined,
      health: () => ({ ...gateway.health(), demo: null }),
    } as HostedGateway;
    const http = await startHttpServer(hosted, { host: '127.0.0.1', port: 0, logger });
    try {
      const response = await fetch(`${http.url}/troubleshoot?user=dave`);
      expect(response.status).toBe(200);
      const report = (await response.json()) as typeof dave;
      expect(report.directory.source).toBe('ldap');
      expect(report.finding?.included).toBe(false);
      const metrics = await (await fetch(`${http.url}/metrics`)).text();
      expect(metrics).toMatch(/deskline_directory_entries\{[^}]*source="ldap"[^}]*what="users"[^}]*\} 4/);
      expect(metrics).toMatch(/deskline_directory_state\{[^}]*source="ldap"[^}]*state="ready"[^}]*\} 1/);
      expect(metrics).toMatch(/deskline_directory_consecutive_failures\{[^}]*\} 0/);
    } finally {
      await http.dispose();
    }
  });

  it('gives the desktop face its lines and names from LDAP, and finds people by name', async () => {
    const desk = gateway.desk('alice');
    const lines = await desk.handlers['desk.listLines']({});
    expect(lines.map((l) => [l.dn, l.controllable])).toEqual([['1001', true]]);
    await desk.handlers['desk.selectLine']({ lineId: lines[0]?.id ?? '' });
    await waitForState(desk, (s) => s.session.state === 'active', 'the line session');
    // Bob calls from his direct number, presented in national format: named from his LDAP
    // telephoneNumber.
    expect(sim.placeInboundCall('4085551002', '1001').ok).toBe(true);
    const named = await waitForState(
      desk,
      (s) => s.calls.some((c) => c.remote.display === 'Bob Baker'),
      'the caller named from LDAP',
    );
    await desk.handlers['desk.hangup']({ callId: named.calls[0]?.callId ?? '' });
    const found = await desk.handlers['desk.searchDirectory']({ query: 'bob' });
    expect(found.people.map((p) => p.name)).toEqual(['Bob Baker']);
    expect(found.people[0]?.numbers).toContainEqual(expect.objectContaining({ number: '+1 408 555 1002' }));
    const carol = await gateway.desk('carol').handlers['desk.troubleshoot']({});
    expect(carol.verdict).toBe('problem');
    expect(carol.checks.find((c) => c.id === 'directoryEntry')?.detail).toMatch(/ldap entry: licence/);
  });
});
