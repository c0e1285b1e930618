// Events as a client can tell them apart (docs/msrcc.md §5): one CTI connection per line
// appearance, but the client knows a line by its number. A call alerting on two appearances of a
// shared line is two connections on the CTI link and one in the client's terms: the client gets
// one DeliveredEvent for it, and no ConnectionClearedEvent for it while the call goes on through
// the other appearance (when one phone answers, the other stops ringing) — unless the phone that
// stops is the monitored one, whose monitor then sees no more of the call. Demo cluster, raw SIP/TCP.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { CstaMessage } from '../../../src/csta/index.js';
import type { SipRawClient } from '../../support/sip-raw-client.js';
import { ALICE_LINE, body, csta, nextEvent, openRcc, rawClient, sipGateway } from './helpers.js';

/** Carol's line 1003: on her desk phone (where her session's monitor is) and on her softphone. */
const DESK = 'SEP00AABB000003/1003/INTERNAL';
const SOFTPHONE = 'SEP00AABB000013/1003/INTERNAL';

let gateway: HostedGateway | undefined;
let client: SipRawClient | undefined;
afterEach(async () => {
  await client?.close().catch(() => undefined);
  await gateway?.dispose();
  client = undefined;
  gateway = undefined;
});

/** Events up to and including the first of `type`. */
async function eventsUntil(c: SipRawClient, type: string): Promise<CstaMessage[]> {
  const seen: CstaMessage[] = [];
  for (;;) {
    const event = await nextEvent(c);
    seen.push(event);
    if (event.type === type) return seen;
  }
}

/** The (callID, deviceID) of each event's own connection, by type: what a client tells apart. */
function connectionsOf(events: readonly CstaMessage[], type: string): string[] {
  const element: Record<string, string> = {
    DeliveredEvent: 'connection',
    ConnectionClearedEvent: 'droppedConnection',
    EstablishedEvent: 'establishedConnection',
  };
  return events
    .filter((e) => e.type === type)
    .map((e) => {
      const c = (e as unknown as Record<string, { callID?: string; deviceID?: string }>)[element[type]!];
      return `${c?.callID} ${c?.deviceID}`;
    });
}

describe('one DeliveredEvent per connection the client can tell apart', () => {
  it("calling a shared line (Dave's 1004, also on Carol's phone): one DeliveredEvent for it, and no ConnectionClearedEvent when Dave answers and Carol's phone stops ringing", async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    client = await rawClient(gateway);
    const session = await openRcc(client, 'alice', ALICE_LINE);
    csta(await session.info(body.monitorStart(ALICE_LINE)));
    const made = csta(await session.info(body.makeCall(ALICE_LINE, 'tel:1004;phone-context=dialstring')));
    if (made.type !== 'MakeCallResponse') throw new Error(JSON.stringify(made));
    const callId = made.callingDevice.callID!;
    const ringing = await eventsUntil(client, 'DeliveredEvent');
    // Both appearances alert on the CTI link; wait until the simulator shows both, then answer on Dave's.
    const sim = gateway.simulator!;
    const call = sim.model.call(callId);
    expect(call?.connections.map((p) => p.deviceId).sort()).toEqual([
      'SEP00AABB000001/1001/INTERNAL',
      'SEP00AABB000003/1004/INTERNAL',
      'SEP00AABB000004/1004/INTERNAL',
    ]);
    const answered = sim.model.answerCall({ callId, deviceId: 'SEP00AABB000004/1004/INTERNAL' });
    if (!answered.ok) throw answered.error;
    const untilEstablished = await eventsUntil(client, 'EstablishedEvent');
    const events = [...ringing, ...untilEstablished];
    expect(connectionsOf(events, 'DeliveredEvent')).toEqual([`${callId} tel:1004;phone-context=dialstring`]);
    // Carol's appearance stopped ringing: to Alice that is not "the party you called cleared".
    expect(connectionsOf(events, 'ConnectionClearedEvent')).toEqual([]);
    expect(connectionsOf(events, 'EstablishedEvent')).toEqual([
      `${callId} tel:1004;phone-context=dialstring`,
    ]);
    // Alice hangs up: her connection clears once.
    csta(await session.info(body.clearConnection(callId, ALICE_LINE)));
    const ending = await eventsUntil(client, 'ConnectionClearedEvent');
    expect(connectionsOf(ending, 'ConnectionClearedEvent')).toEqual([`${callId} ${ALICE_LINE}`]);
  });

  it("a call to Carol's own line, on her desk phone and her softphone, signed in as tel:1003 without partition: one DeliveredEvent; answered on the desk phone (the monitored one), the softphone's clearing is not shown", async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    client = await rawClient(gateway);
    const line = 'tel:1003;phone-context=dialstring';
    const session = await openRcc(client, 'carol', line);
    expect(session.inviteResponse.status).toBe(200);
    csta(await session.info(body.monitorStart(line)));
    const sim = gateway.simulator!;
    const placed = sim.model.placeInboundCall('+14155550123', '1003');
    if (!placed.ok) throw placed.error;
    const callId = placed.value.callId;
    const ringing = await eventsUntil(client, 'DeliveredEvent');
    expect(gateway.core.allSessions().next().value?.appearance.id).toBe(DESK);
    const answered = sim.model.answerCall({ callId, deviceId: DESK });
    if (!answered.ok) throw answered.error;
    const untilEstablished = await eventsUntil(client, 'EstablishedEvent');
    const events = [...ringing, ...untilEstablished];
    expect(connectionsOf(events, 'DeliveredEvent')).toEqual([`${callId} ${line}`]);
    expect(connectionsOf(events, 'ConnectionClearedEvent')).toEqual([]);
    const cleared = sim.model.clearCallById(callId);
    if (!cleared.ok) throw cleared.error;
    // Her line's connection clears once, when the call through it is over.
    const ending = await eventsUntil(client, 'CallClearedEvent');
    expect(connectionsOf(ending, 'ConnectionClearedEvent').filter((c) => c.endsWith(line))).toEqual([
      `${callId} ${line}`,
    ]);
  });

  it('answered on the other phone, the monitored one leaves the call: the client is told (its monitor sees no more of that call)', async () => {
    gateway = await sipGateway({ demo: { enabled: true, nodes: 1 } });
    client = await rawClient(gateway);
    const line = 'tel:1003;phone-context=dialstring';
    const session = await openRcc(client, 'carol', line);
    csta(await session.info(body.monitorStart(line)));
    const sim = gateway.simulator!;
    const placed = sim.model.placeInboundCall('+14155550123', '1003');
    if (!placed.ok) throw placed.error;
    const callId = placed.value.callId;
    const ringing = await eventsUntil(client, 'DeliveredEvent');
    const answered = sim.model.answerCall({ callId, deviceId: SOFTPHONE });
    if (!answered.ok) throw answered.error;
    const gone = await eventsUntil(client, 'ConnectionClearedEvent');
    expect(connectionsOf([...ringing, ...gone], 'DeliveredEvent')).toEqual([`${callId} ${line}`]);
    expect(connectionsOf(gone, 'ConnectionClearedEvent')).toEqual([`${callId} ${line}`]);
    const cleared = sim.model.clearCallById(callId);
    if (!cleared.ok) throw cleared.error;
  });
});
