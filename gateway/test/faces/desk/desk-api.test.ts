// The desk API end to end against the real simulator over real TCP: pick a line, dial,
// ringing → connected, hold, resume, consultative transfer, conference, hang up, refusals.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import { callIn, demoGateway, waitForState } from './helpers.js';

let gateway: HostedGateway | undefined;
afterEach(async () => {
  await gateway?.dispose();
  gateway = undefined;
});

const ALICE_LINE = 'SEP00AABB000001/1001/INTERNAL';
const CAROL_SHARED = 'SEP00AABB000003/1004/INTERNAL';

describe('desk API on the demo cluster', () => {
  it("lists the user's line appearances with shared-line and CTI-control details", async () => {
    gateway = await demoGateway();
    const carol = gateway.desk('carol').getState();
    expect(carol.user).toMatchObject({ userId: 'carol', licence: 'UCL' });
    expect(carol.lines.map((l) => l.id)).toEqual([
      'SEP00AABB000003/1003/INTERNAL',
      CAROL_SHARED,
      'SEP00AABB000013/1003/INTERNAL',
    ]);
    const shared = carol.lines.find((l) => l.id === CAROL_SHARED);
    expect(shared).toMatchObject({
      shared: true,
      sharedWith: ['SEP00AABB000004'],
      controllable: true,
      lineUri: 'tel:1004;phone-context=dialstring;partition=INTERNAL',
    });
    const grace = gateway.desk('grace').getState();
    const lab = grace.lines.find((l) => l.deviceName === 'SEP00AABB000017');
    expect(lab?.controllable).toBe(false);
    // Plain words for the user; the device and the setting only in the administrator's detail.
    expect(lab?.notControllableReason).toBe(
      'Your administrator has not allowed this phone to be controlled from a computer',
    );
    expect(lab?.unavailable).toEqual({
      code: 'ctiControlDisallowed',
      detail: '"Allow Control of Device from CTI" is off on SEP00AABB000017',
    });
    expect(grace.access).toBeUndefined();
    const frank = gateway.desk('frank').getState();
    expect(frank.access?.code).toBe('notLicensed');
    expect(frank.lines.every((l) => l.unavailable?.code === 'notLicensed' && !l.controllable)).toBe(true);
    expect(gateway.desk('nobody').getState().access?.code).toBe('unknownUser');
    expect(gateway.health().cti.nodes.every((n) => n.state === 'up')).toBe(true);
  });

  it('dials, sees ringing then connected, holds, resumes and hangs up', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    expect(desk.getState().session.state).toBe('active');
    const call = await desk.handlers['desk.makeCall']({ number: '1002' }); // Bob's line answers by itself after 2 s
    expect(call.direction).toBe('outbound');
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'alerting') !== undefined,
      'alerting',
    );
    const connected = await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'connected') !== undefined,
      'connected',
    );
    const view = callIn(connected, (c) => c.callId === call.callId);
    expect(view?.remote).toEqual({ number: '1002', display: 'Bob Baker' });
    expect(view?.actions.hold.enabled).toBe(true);
    expect(view?.actions.answer).toEqual({ enabled: false, reason: 'Only a ringing call can be answered' });

    await desk.handlers['desk.hold']({ callId: call.callId });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'held') !== undefined,
      'held',
    );
    await desk.handlers['desk.retrieve']({ callId: call.callId });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'connected') !== undefined,
      'retrieved',
    );
    await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'call cleared');
    expect(gateway.simulator?.model.snapshot().length ?? -1).toBe(0);
  });

  it('consults and conferences three parties', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    const first = await desk.handlers['desk.makeCall']({ number: '1200' }); // help desk auto-answers
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === first.callId && c.state === 'connected') !== undefined,
      'first connected',
    );
    const consult = await desk.handlers['desk.consult']({ callId: first.callId, to: '1300' }); // board room auto-answers
    expect(consult.consultationOf).toBe(first.callId);
    const both = await waitForState(
      desk,
      (s) =>
        callIn(s, (c) => c.callId === first.callId && c.state === 'held') !== undefined &&
        callIn(s, (c) => c.callId === consult.callId && c.state === 'connected') !== undefined,
      'held + consultation connected',
    );
    expect(callIn(both, (c) => c.callId === consult.callId)?.actions.conference.enabled).toBe(true);
    await desk.handlers['desk.conference']({ heldCallId: first.callId, activeCallId: consult.callId });
    const conf = await waitForState(
      desk,
      (s) => s.calls.length === 1 && s.calls[0]?.conference === true,
      'conference',
    );
    expect(conf.calls[0]?.parties.map((p) => p.number).sort()).toEqual(['1200', '1300']);
    await desk.handlers['desk.hangup']({ callId: conf.calls[0]?.callId ?? '' });
    await waitForState(desk, (s) => s.calls.length === 0, 'conference left');
    // The other two stay in the call after the conference controller leaves.
    expect(gateway.simulator?.model.snapshot()).toHaveLength(1);
  });

  it('completes a consultative transfer: the two others stay connected', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    const again = await desk.handlers['desk.makeCall']({ number: '1200' });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === again.callId && c.state === 'connected') !== undefined,
      'connected again',
    );
    const c2 = await desk.handlers['desk.consult']({ callId: again.callId, to: '1300' });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === c2.callId && c.state === 'connected') !== undefined,
      'consultation connected',
    );
    await desk.handlers['desk.transfer']({ heldCallId: again.callId, activeCallId: c2.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'transferred away');
    const remaining = gateway.simulator?.model.snapshot() ?? [];
    expect(remaining).toHaveLength(1); // help desk ↔ board room, still talking
  });

  it('refuses with a reason: unlicensed user, disallowed device, invalid state, bad number', async () => {
    gateway = await demoGateway();
    await expect(
      gateway.desk('frank').handlers['desk.selectLine']({ lineId: 'SEP00AABB000006/1006/INTERNAL' }),
    ).rejects.toMatchObject({ code: 'NOT_LICENSED' });
    await expect(
      gateway.desk('grace').handlers['desk.selectLine']({ lineId: 'SEP00AABB000017/1017/INTERNAL' }),
    ).rejects.toMatchObject({ code: 'CTI_CONTROL_DISALLOWED' });
    await expect(
      gateway.desk('alice').handlers['desk.selectLine']({ lineId: 'SEP00AABB000002/1002/INTERNAL' }),
    ).rejects.toMatchObject({ code: 'LINE_NOT_OWNED' });
    const desk = gateway.desk('alice');
    await expect(desk.handlers['desk.makeCall']({ number: '1002' })).rejects.toThrow(/Choose the line/);
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    await expect(desk.handlers['desk.makeCall']({ number: 'abc' })).rejects.toMatchObject({
      code: 'NUMBER_INVALID',
    });
    const call = await desk.handlers['desk.makeCall']({ number: '+14085550188' }); // never answers
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === call.callId && c.state === 'alerting') !== undefined,
      'alerting',
    );
    // Our own connection is connected while the far end rings: there is nothing to answer.
    await expect(desk.handlers['desk.answer']({ callId: call.callId })).rejects.toThrow(/^Cannot answer: /);
    await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'cleared');
  });

  it('shows an inbound call ringing and answers it', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    const incoming = new Promise((resolve) =>
      desk.onEvent((name, payload) => name === 'desk.incomingCall' && resolve(payload)),
    );
    const placed = gateway.simulator?.placeInboundCall('+14085550123', '1001');
    expect(placed?.ok).toBe(true);
    const ringing = (await incoming) as { callId: string; state: string; remote: { number: string } };
    expect(ringing.state).toBe('ringing');
    expect(ringing.remote.number).toBe('+14085550123');
    await desk.handlers['desk.answer']({ callId: ringing.callId });
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === ringing.callId && c.state === 'connected') !== undefined,
      'answered',
    );
    await desk.handlers['desk.hangup']({ callId: ringing.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'cleared');
  });
});
