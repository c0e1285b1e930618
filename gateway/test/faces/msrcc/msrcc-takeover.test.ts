// A re-INVITE for a dialog this node does not know (docs/msrcc.md §8): the node restarted, or a
// balancer re-dispatched it from a node that died. Against the demo cluster over raw SIP/TCP:
//   - it is authorized exactly as an INVITE: the From user, the licence, the line, the users'
//     limits (docs/robustness.md §5-6) — refused with the INVITE's statuses;
//   - accepted, it re-opens the session under the dialog's own ID: its 200 carries Record-Route,
//     Contact and Session-Expires, and the session restores the client's monitor by itself under
//     the monitorCrossRefID derived from the dialog (the one the client already has);
//   - a re-INVITE that carries no RequestSystemStatus, and an INFO in an unknown dialog (even a
//     MakeCall from the user's own line), get 481 and change nothing (the decision of §8).
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import { monitorCrossRefIdOf } from '../../../src/faces/msrcc/msrcc-front.js';
import type { SipResponse } from '../../../src/sip/index.js';
import type { SipRawClient } from '../../support/sip-raw-client.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient, sipGateway } from './helpers.js';

let gateway: HostedGateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

const SERVER_URI = 'sip:1001@gw.deskline.test';
const BOB_LINE = 'tel:1002;phone-context=dialstring;partition=INTERNAL';
const FRANK_LINE = 'tel:1006;phone-context=dialstring;partition=INTERNAL';

let dialogs = 0;

/** The requests of a dialog another node (or this one before a restart) opened with the client. */
class OrphanDialog {
  readonly callId = `orphan-${process.pid}-${++dialogs}`;
  readonly clientTag = `c${dialogs}x7f3a`;
  readonly gatewayTag = `deadnode${dialogs}`;
  private cseq = 10;

  constructor(
    readonly c: SipRawClient,
    readonly user: string,
  ) {}

  private fields(): { callId: string; to: string; uri: string } {
    return { callId: this.callId, to: `<${SERVER_URI}>;tag=${this.gatewayTag}`, uri: SERVER_URI };
  }

  private get from(): [string, string] {
    return ['From', `<sip:${this.user}@deskline.example>;tag=${this.clientTag}`];
  }

  async reInvite(xml: string): Promise<SipResponse> {
    const sent = this.c.send({
      ...this.fields(),
      method: 'INVITE',
      cseq: ++this.cseq,
      body: xml,
      headers: [
        this.from,
        ['Contact', `<sip:${this.user}@client.invalid;transport=tcp>`],
        ['Record-Route', '<sip:lb.deskline.test;lr>'],
        ['Content-Disposition', 'signal;handling=required'],
        ['Supported', 'timer'],
        ['Session-Expires', '900;refresher=uac'],
      ],
    });
    const response = await this.c.finalResponse(sent.branch, 'INVITE');
    // pidgin-sipe's ACK: CSeq restarted (docs/msrcc.md §14).
    if (response.status === 200)
      this.c.send({ ...this.fields(), method: 'ACK', cseq: 1, headers: [this.from] });
    if (response.status === 200) this.cseq = 1;
    return response;
  }

  async info(xml: string): Promise<SipResponse> {
    const sent = this.c.send({
      ...this.fields(),
      method: 'INFO',
      cseq: ++this.cseq,
      body: xml,
      headers: [this.from, ['Content-Disposition', 'signal;handling=required']],
    });
    return this.c.finalResponse(sent.branch, 'INFO');
  }
}

describe('a re-INVITE for a dialog this node does not know', () => {
  it("re-opens the session: 200 with Record-Route, Contact, Session-Expires; the client's monitor is restored under its monitorCrossRefID; calls and events go on", async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    client = await rawClient(gateway);
    const orphan = new OrphanDialog(client, 'alice');
    const ok = await orphan.reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(ok.status).toBe(200);
    expect(csta(ok)).toEqual({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
    expect(ok.header('to')).toBe(`<${SERVER_URI}>;tag=${orphan.gatewayTag}`);
    expect(ok.headers.getAll('record-route')).toEqual(['<sip:lb.deskline.test;lr>']);
    expect(ok.header('contact')).toMatch(/^<sip:1001@127\.0\.0\.1:\d+;transport=tcp>$/);
    expect(ok.header('session-expires')).toBe('900;refresher=uac');
    // The monitor is back on the CTI side without any MonitorStart from the client.
    const sim = gateway.simulator!;
    await client.until(() => sim.nodes[0]!.monitors === 1, 'the monitor restored');
    const xref = monitorCrossRefIdOf(
      { callId: orphan.callId, remoteTag: orphan.clientTag },
      { dn: '1001', partition: 'INTERNAL' },
      1,
    );
    expect(xref).toMatch(/^[0-9a-f]{16}$/);
    // The ACK with CSeq 1 was taken; INFO 2 is served.
    const made = await orphan.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(made.status).toBe(200);
    expect(csta(made).type).toBe('MakeCallResponse');
    expect(await nextEvent(client, 'OriginatedEvent')).toMatchObject({ monitorCrossRefID: xref });
    const restored = await gateway.metrics.registry.getSingleMetricAsString(
      'deskline_sessions_restored_total',
    );
    expect(restored).toMatch(/how="takeover"[^\n]* 1/);
  });

  it('is authorized exactly as an INVITE: an unknown user 404, no licence 403, not their line 403, a user at users.maxSessionsPerUser 403 — each refusal with its CSTAErrorCode, nothing opened', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 }, users: { maxSessionsPerUser: 1 } });
    client = await rawClient(gateway);
    const refusals: [string, string, number, string][] = [
      ['mallory', ALICE_LINE, 404, 'generic'],
      ['frank', FRANK_LINE, 403, 'generic'],
      ['alice', BOB_LINE, 403, 'privilegeViolationSpecifiedDevice'],
    ];
    for (const [user, line, status, value] of refusals) {
      const refused = await new OrphanDialog(client, user).reInvite(body.requestSystemStatus(line));
      expect([user, refused.status]).toEqual([user, status]);
      expect(csta(refused)).toMatchObject({ type: 'CSTAErrorCode', value });
      expect(refused.headers.getAll('record-route')).toEqual(['<sip:lb.deskline.test;lr>']);
    }
    // Alice's one session (of users.maxSessionsPerUser: 1), on a live connection: a take-over is
    // a new session like any other, refused at the limit.
    const open = await openRcc(client, 'alice', ALICE_LINE);
    expect(open.inviteResponse.status).toBe(200);
    const atLimit = await new OrphanDialog(client, 'alice').reInvite(body.requestSystemStatus(ALICE_LINE));
    expect(atLimit.status).toBe(403);
    expect(atLimit.header('warning')).toMatch(/maxSessionsPerUser/);
    expect(gateway.core.sessionCount).toBe(1);
    expect(gateway.simulator!.nodes[0]!.monitors).toBe(0);
  });

  it('a re-INVITE carrying anything but RequestSystemStatus gets 481, as does an INFO — even a MakeCall from the user’s own line — and no call is placed', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    client = await rawClient(gateway);
    const orphan = new OrphanDialog(client, 'alice');
    expect((await orphan.reInvite(body.getCstaFeatures(ALICE_LINE))).status).toBe(481);
    const makeCall = await orphan.info(body.makeCall(ALICE_LINE, 'tel:1200;phone-context=dialstring'));
    expect(makeCall.status).toBe(481);
    expect((await orphan.info(body.monitorStart(ALICE_LINE))).status).toBe(481);
    expect(gateway.core.sessionCount).toBe(0);
    expect(gateway.simulator!.model.callCount()).toBe(0);
    expect(gateway.simulator!.nodes[0]!.monitors).toBe(0);
  });
});
