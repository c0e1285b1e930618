// Resource attacks from issue 9, each over real SIP sockets against the whole gateway, with a
// bystander whose session must keep working and CTI links that must stay up
// (docs/robustness.md §5–§6):
//  - pre-authentication CPU amplification: INVITE bodies built to make the XML parser quadratic
//    (thousands of attributes), sent from several connections at once;
//  - who is asking is checked before the body is parsed;
//  - the parser's caps (attributes per element, elements per body) and namespaces;
//  - sessions per user (with an abandoned session making room) and CTI monitors per user.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, type SipRawClient } from '../support/sip-raw-client.js';
import type { SipResponse } from '../../src/sip/index.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { Rig, until } from '../fault/harness.js';
import { snapshotDeviceBody } from '../fault/load-client.js';
import {
  connect,
  engineState,
  expectState,
  expectWorking,
  invite,
  LINES,
  rawInfo,
  rawInvite,
  signIn,
  warningText,
  type SignedIn,
} from './helpers.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const LCS = 'http://schemas.microsoft.com/Lcs/2005/04/RCCExtension';

/** A RequestSystemStatus whose root carries `attributes` distinct attributes (~7 bytes each). */
function attributeBomb(attributes: number): string {
  const attrs: string[] = [];
  for (let i = 0; i < attributes; i++) attrs.push(`a${i.toString(36)}=""`);
  return `<?xml version="1.0"?><RequestSystemStatus xmlns="${NS}" ${attrs.join(' ')}><extensions><privateData><private><lcs:line xmlns:lcs="${LCS}">${LINES.alice}</lcs:line></private></privateData></extensions></RequestSystemStatus>`;
}

function metricValue(rig: Rig, name: string, labels: Record<string, string>): number {
  const metric = rig.gateway.metrics.registry.getSingleMetric(name) as unknown as
    { hashMap: Record<string, { value: number; labels: Record<string, string> }> } | undefined;
  if (metric === undefined) return 0;
  let total = 0;
  for (const entry of Object.values(metric.hashMap))
    if (Object.entries(labels).every(([k, v]) => entry.labels[k] === v)) total += entry.value;
  return total;
}

function ctiHealthy(rig: Rig): { up: boolean; misses: number; failures: number } {
  const nodes = rig.gateway.pool.health().nodes;
  return {
    up: nodes.every((n) => n.state === 'up'),
    misses: rig.logger.find('CTI heartbeat missed').length,
    failures: nodes.reduce((n, node) => n + node.failures, 0),
  };
}

describe('pre-authentication CPU amplification', () => {
  let rig: Rig;
  let bystander: SignedIn;
  beforeAll(async () => {
    rig = await Rig.start();
    bystander = await signIn(rig, 'WS', 'bob');
  });
  afterAll(async () => {
    await rig.abandon();
  });

  it('360 INVITEs of 5,400 attributes from 6 connections: refused cheaply, the bystander and the CTI links unharmed', async () => {
    const before = ctiHealthy(rig);
    const bomb = attributeBomb(5_400);
    expect(bomb.length).toBeGreaterThan(30_000);
    const attackers: SipRawClient[] = [];
    for (let i = 0; i < 6; i++) attackers.push(await connect(rig, i % 2 === 0 ? 'TCP' : 'WS'));
    const answers: Promise<SipResponse>[] = [];
    for (const attacker of attackers) {
      for (let k = 0; k < 60; k++) {
        const built = buildRequest(
          {
            method: 'INVITE',
            uri: 'sip:rcc@gw.deskline.test',
            // A licensed user: the From check passes, so the body is parsed.
            from: '<sip:alice@deskline.example>',
            headers: [
              ['Contact', '<sip:alice@127.0.0.1:1;transport=tcp>'],
              ['Content-Disposition', 'signal;handling=required'],
            ],
            body: bomb,
          },
          attacker.transport,
        );
        attacker.sendBytes(built.bytes, { binary: true });
        answers.push(attacker.finalResponse(built.branch, 'INVITE'));
      }
    }
    // The bystander keeps working while the flood is being answered.
    const bystanderAnswers: Promise<SipResponse>[] = [];
    for (let k = 0; k < 12; k++) bystanderAnswers.push(bystander.session.info(snapshotDeviceBody(LINES.bob)));
    const refused = await Promise.all(answers);
    for (const response of refused) {
      expect(response.status).toBe(400);
      expect(warningText(response)).toMatch(/more than 64 attributes/);
    }
    for (const response of await Promise.all(bystanderAnswers))
      expect(csta(response).type, 'the bystander is served').toBe('SnapshotDeviceResponse');
    await expectWorking(bystander);
    const after = ctiHealthy(rig);
    expect(after.up, 'every CTI link stayed up').toBe(true);
    expect(after.misses - before.misses, 'no heartbeat missed during the flood').toBe(0);
    expect(after.failures).toBe(before.failures);
    for (const attacker of attackers) await attacker.close();
  });

  it('who is asking comes first: an unknown user’s INVITE is refused before its body is read', async () => {
    const client = await connect(rig, 'TCP');
    // Not even XML: had the body been parsed first, the answer would be 400.
    const response = await rawInvite(client, 'mallory', `<${'x'.repeat(40_000)}`);
    expect(response.status).toBe(404);
    // An unlicensed user likewise gets 403 before the body is read.
    expect((await rawInvite(client, 'frank', attributeBomb(5_400))).status).toBe(403);
    await client.close();
  });
});

describe('parser caps and namespaces', () => {
  let rig: Rig;
  let alice: SignedIn;
  beforeAll(async () => {
    rig = await Rig.start();
    alice = await signIn(rig, 'TCP', 'alice');
  });
  afterAll(async () => {
    await rig.abandon();
  });

  const monitorStartWith = (extra: string, ns = NS, prefix = ''): string =>
    `<?xml version="1.0"?><${prefix}MonitorStart xmlns${prefix === '' ? '' : `:${prefix.slice(0, -1)}`}="${ns}"${extra}><${prefix}monitorObject><${prefix}deviceObject>${LINES.alice}</${prefix}deviceObject></${prefix}monitorObject></${prefix}MonitorStart>`;

  it('an element with more than csta.maxAttributesPerElement attributes is refused; at the cap it is read', async () => {
    const before = engineState(rig);
    const attrs = (n: number): string => Array.from({ length: n }, (_, i) => ` x${i}="1"`).join('');
    const over = await rawInfo(alice, monitorStartWith(attrs(64)));
    expect(csta(over)).toEqual({ type: 'CSTAErrorCode', errorClass: 'operation', value: 'generic' });
    expect(warningText(over)).toMatch(/more than 64 attributes/);
    await expectState(rig, before, 'nothing changed');
    // 63 plus the namespace declaration: exactly the cap.
    const at = csta(await rawInfo(alice, monitorStartWith(attrs(63))));
    expect(at.type).toBe('MonitorStartResponse');
    if (at.type === 'MonitorStartResponse')
      expect(csta(await alice.session.info(body.monitorStop(at.monitorCrossRefID))).type).toBe(
        'MonitorStopResponse',
      );
  });

  it('a body with more than csta.maxElements elements is refused', async () => {
    const before = engineState(rig);
    const many = `<?xml version="1.0"?><MonitorStart xmlns="${NS}"><monitorObject><deviceObject>${LINES.alice}</deviceObject></monitorObject><extensions><privateData><private>${'<a/>'.repeat(9_000)}</private></privateData></extensions></MonitorStart>`;
    const response = await rawInfo(alice, many);
    expect(csta(response)).toEqual({ type: 'CSTAErrorCode', errorClass: 'operation', value: 'generic' });
    expect(warningText(response)).toMatch(/more than 8192 elements/);
    await expectState(rig, before, 'nothing changed');
  });

  it('a root in a foreign namespace, a prefix bound to another URI, or no namespace is not ECMA-323', async () => {
    const before = engineState(rig);
    for (const [what, xml] of [
      ['default namespace urn:evil', monitorStartWith('', 'urn:evil')],
      ['ed3 prefix bound to urn:evil', monitorStartWith('', 'urn:evil', 'ed3:')],
      ['no namespace', monitorStartWith('').replace(` xmlns="${NS}"`, '')],
    ] as const) {
      const response = await rawInfo(alice, xml);
      expect(response.status, what).toBe(200);
      expect(csta(response), what).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'invalidObjectType',
      });
      expect(warningText(response), what).toMatch(/namespace/);
    }
    await expectState(rig, before, 'nothing changed');
    // The same document in ed3 is served.
    const served = csta(await rawInfo(alice, monitorStartWith('', NS, 'ed3:')));
    expect(served.type).toBe('MonitorStartResponse');
    if (served.type === 'MonitorStartResponse')
      await alice.session.info(body.monitorStop(served.monitorCrossRefID));

    const client = await connect(rig, 'TCP');
    const evil = body.requestSystemStatus(LINES.alice).replace(NS, 'urn:evil');
    const refused = await rawInvite(client, 'alice', evil);
    expect(refused.status).toBe(400);
    expect(warningText(refused)).toMatch(/urn:evil/);
    await client.close();
  });
});

describe('sessions and monitors per user', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await Rig.start();
  });
  afterAll(async () => {
    await rig.abandon();
  });

  it('users.maxSessionsPerUser: the fifth session is refused, unless one of the four lost its client', async () => {
    const clients: SipRawClient[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await connect(rig, 'TCP');
      clients.push(client);
      expect((await invite(client, 'alice', LINES.alice)).inviteResponse.status).toBe(200);
    }
    const refusedBefore = metricValue(rig, 'deskline_limit_refusals_total', {
      limit: 'users.maxSessionsPerUser',
    });
    const fifth = await connect(rig, 'TCP');
    const refused = await invite(fifth, 'alice', LINES.alice);
    expect(refused.inviteResponse.status).toBe(403);
    expect(warningText(refused.inviteResponse)).toMatch(/users\.maxSessionsPerUser/);
    expect(csta(refused.inviteResponse)).toMatchObject({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
    });
    expect(metricValue(rig, 'deskline_limit_refusals_total', { limit: 'users.maxSessionsPerUser' })).toBe(
      refusedBefore + 1,
    );
    // Another user is not affected.
    const bob = await signIn(rig, 'TCP', 'bob');
    await expectWorking(bob);

    // One of Alice's PCs vanishes without a BYE: its TCP dialog has no connection any more, and a
    // new session of Alice's takes its place.
    const connections = (): number => rig.gateway.sip?.userAgent.stats().connections ?? 0;
    const open = connections();
    (clients[0] as SipRawClient).destroy();
    await until(() => connections() === open - 1, 'the gateway sees the connection closed');
    const again = await invite(fifth, 'alice', LINES.alice);
    expect(again.inviteResponse.status).toBe(200);
    const aliceSessions = [...rig.gateway.core.allSessions()].filter((s) => s.user.id === 'alice');
    expect(aliceSessions.length).toBe(4);
    for (const client of [...clients.slice(1), fifth]) await client.close();
  });

  it('users.maxMonitorsPerUser: MonitorStart past the limit is refused with overallMonitorLimitExceeded', async () => {
    const carol = await signIn(rig, 'WS', 'carol');
    const monitorsBefore = rig.simMonitors();
    // signIn started one monitor; the default limit is 16 per user.
    const started: string[] = [];
    for (let i = 1; i < 16; i++) {
      const response = csta(await carol.session.info(body.monitorStart(LINES.carol)));
      if (response.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(response));
      started.push(response.monitorCrossRefID);
    }
    const over = await carol.session.info(body.monitorStart(LINES.carol));
    expect(csta(over)).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
      value: 'overallMonitorLimitExceeded',
    });
    expect(warningText(over)).toMatch(/users\.maxMonitorsPerUser/);
    expect(rig.simMonitors()).toBe(monitorsBefore + 15);
    for (const id of started) await carol.session.info(body.monitorStop(id));
    expect(csta(await carol.session.info(body.monitorStart(LINES.carol))).type).toBe('MonitorStartResponse');
  });
});
