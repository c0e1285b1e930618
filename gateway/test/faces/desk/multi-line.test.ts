// Every line of the user's phones watched at once, against the real simulator over real TCP:
// Carol's own 1003 (desk phone and softphone) and Dave's 1004 shared on her desk phone; calls on
// two lines at once; the line to dial from; the monitor limit; a shared line ringing on two of
// her phones shown once and declined on both; merge and drop; the line's call limit; names for
// numbers and directory search; the troubleshooter in plain words.
import { afterEach, describe, expect, it } from 'vitest';
import type { HostedGateway } from '../../../../host/src/demo.js';
import type { CallView, DeskStateView } from '../../../../common/src/api/views.js';
import { callIn, demoGateway, waitForState } from './helpers.js';

let gateway: HostedGateway | undefined;
afterEach(async () => {
  await gateway?.dispose();
  gateway = undefined;
});

const CAROL_DESK_1003 = 'SEP00AABB000003/1003/INTERNAL';
const CAROL_DESK_1004 = 'SEP00AABB000003/1004/INTERNAL';
const CAROL_SOFT_1003 = 'SEP00AABB000013/1003/INTERNAL';
const ALICE_LINE = 'SEP00AABB000001/1001/INTERNAL';
const CALLER = '+14085550123';
/** A far end that rings for ever (DEMO_NUMBERS.noAnswer). */
const NO_ANSWER = '+14085550188';

const on = (state: DeskStateView, lineId: string, predicate: (c: CallView) => boolean = () => true) =>
  state.calls.find((c) => c.lineId === lineId && predicate(c));

describe('every line watched', () => {
  it("shows calls on Carol's 1003 and the shared 1004 at once, each on its line", async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('carol');
    const chosen = await desk.handlers['desk.selectLine']({ lineId: CAROL_DESK_1003 });
    expect(chosen.lines.map((l) => [l.id, l.watched])).toEqual([
      [CAROL_DESK_1003, true],
      [CAROL_DESK_1004, true],
      [CAROL_SOFT_1003, true],
    ]);
    // One core session watches all three appearances.
    expect(gateway.core.sessionCount).toBe(1);
    expect(gateway.core.monitorsOfUser('carol')).toBe(3);

    // A caller rings Dave's shared line: it shows on Carol's desk, on the 1004 appearance.
    const incoming = new Promise<CallView>((resolve) =>
      desk.onEvent((name, payload) => name === 'desk.incomingCall' && resolve(payload as CallView)),
    );
    expect(gateway.simulator?.placeInboundCall(CALLER, '1004').ok).toBe(true);
    const ringing = await incoming;
    expect(ringing).toMatchObject({ state: 'ringing', lineId: CAROL_DESK_1004, remote: { number: CALLER } });

    // Meanwhile she dials from her own line (the chosen one): the help desk answers by itself.
    const dialled = await desk.handlers['desk.makeCall']({ number: '1200' });
    expect(dialled.lineId).toBe(CAROL_DESK_1003);
    await waitForState(
      desk,
      (s) => on(s, CAROL_DESK_1003, (c) => c.state === 'connected') !== undefined,
      'the 1003 call connected',
    );
    await desk.handlers['desk.answer']({ callId: ringing.callId });
    const both = await waitForState(
      desk,
      (s) =>
        on(s, CAROL_DESK_1004, (c) => c.callId === ringing.callId && c.state === 'connected') !== undefined &&
        on(s, CAROL_DESK_1003, (c) => c.callId === dialled.callId) !== undefined,
      'a call on each line',
    );
    expect(both.calls.map((c) => c.lineId).sort()).toEqual([CAROL_DESK_1003, CAROL_DESK_1004]);
    // Two calls on two lines do not pair: joining them needs one line.
    expect(on(both, CAROL_DESK_1004)?.pairedWith).toBeUndefined();
    await expect(
      desk.handlers['desk.conference']({ heldCallId: dialled.callId, activeCallId: ringing.callId }),
    ).rejects.toThrow(/different lines/);

    await desk.handlers['desk.hangup']({ callId: ringing.callId });
    await desk.handlers['desk.hangup']({ callId: dialled.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'both ended');
    expect(gateway.simulator?.model.snapshot()).toHaveLength(0);
  });

  it('dials from the line chosen, or from another one asked for; choosing again keeps the session', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('carol');
    await desk.handlers['desk.selectLine']({ lineId: CAROL_DESK_1003 });
    const viaShared = await desk.handlers['desk.makeCall']({ number: NO_ANSWER, lineId: CAROL_DESK_1004 });
    expect(viaShared.lineId).toBe(CAROL_DESK_1004);
    const state = await desk.handlers['desk.selectLine']({ lineId: CAROL_SOFT_1003 });
    expect(state.selectedLineId).toBe(CAROL_SOFT_1003);
    expect(state.session.state).toBe('active');
    expect(gateway.core.sessionCount).toBe(1);
    const fromSoftphone = await desk.handlers['desk.makeCall']({ number: NO_ANSWER });
    expect(fromSoftphone.lineId).toBe(CAROL_SOFT_1003);
    await waitForState(
      desk,
      (s) => s.calls.filter((c) => c.state === 'alerting').length === 2,
      'both ringing out',
    );
    await expect(
      desk.handlers['desk.makeCall']({ number: NO_ANSWER, lineId: 'SEP00AABB000001/1001/INTERNAL' }),
    ).rejects.toMatchObject({ code: 'LINE_NOT_OWNED' });
    for (const call of desk.getState().calls) await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'ended');
  });

  it('watches no more lines than users.maxMonitorsPerUser allows, the chosen one first', async () => {
    gateway = await demoGateway({ users: { maxMonitorsPerUser: 2 } });
    const desk = gateway.desk('carol');
    const state = await desk.handlers['desk.selectLine']({ lineId: CAROL_SOFT_1003 });
    expect(state.lines.map((l) => [l.id, l.watched])).toEqual([
      [CAROL_DESK_1003, true],
      [CAROL_DESK_1004, false],
      [CAROL_SOFT_1003, true],
    ]);
    await expect(desk.handlers['desk.makeCall']({ number: '1200', lineId: CAROL_DESK_1004 })).rejects.toThrow(
      /not watched/,
    );
    const report = desk.handlers['desk.troubleshoot']({});
    expect(report).toMatchObject({ verdict: 'ok' });
    const watching = (await report).checks.find((c) => c.id === 'watching');
    expect(watching).toMatchObject({
      status: 'warning',
      text: expect.stringMatching(/^2 of 3 lines are watched/),
    });
    expect(watching?.detail).toContain(CAROL_DESK_1004);
  });

  it('shows a call ringing on two of her phones once, announces it once, and declines it on both', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('carol');
    await desk.handlers['desk.selectLine']({ lineId: CAROL_DESK_1003 });
    const announced: CallView[] = [];
    desk.onEvent((name, payload) => name === 'desk.incomingCall' && announced.push(payload as CallView));
    expect(gateway.simulator?.placeInboundCall(CALLER, '1003').ok).toBe(true);
    const ringing = await waitForState(desk, (s) => s.calls.some((c) => c.state === 'ringing'), 'ringing');
    // It rings at both 1003 appearances; the desk shows it once, on the line chosen.
    const snapshot = gateway.simulator?.model.snapshot() ?? [];
    expect(snapshot[0]?.connections.filter((c) => c.state === 'alerting')).toHaveLength(2);
    expect(ringing.calls).toHaveLength(1);
    expect(ringing.calls[0]?.lineId).toBe(CAROL_DESK_1003);
    expect(announced).toHaveLength(1);

    const seen: DeskStateView[] = [];
    desk.onEvent((name, payload) => name === 'desk.state' && seen.push(payload as DeskStateView));
    await desk.handlers['desk.hangup']({ callId: ringing.calls[0]?.callId ?? '' });
    await waitForState(desk, (s) => s.calls.length === 0, 'declined');
    // The last snapshot that showed it says it was declined (history: Declined, not Missed).
    const last = seen.filter((s) => s.calls.length > 0).at(-1);
    expect(last?.calls[0]?.declined).toBe(true);
    expect(
      (gateway.simulator?.model.snapshot() ?? []).flatMap((c) =>
        c.connections.filter((x) => x.deviceId.startsWith('SEP00AABB0000')),
      ),
    ).toEqual([]);
  });
});

describe('a working day', () => {
  it('merges two calls into a conference and drops a party; the roster names each one', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    const first = await desk.handlers['desk.makeCall']({ number: '1200' }); // help desk auto-answers
    await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === first.callId && c.state === 'connected') !== undefined,
      'first connected',
    );
    const second = await desk.handlers['desk.consult']({ callId: first.callId, to: '1300' });
    const pair = await waitForState(
      desk,
      (s) => callIn(s, (c) => c.callId === second.callId && c.state === 'connected') !== undefined,
      'second connected',
    );
    expect(callIn(pair, (c) => c.callId === first.callId)?.pairedWith).toBe(second.callId);
    expect(callIn(pair, (c) => c.callId === second.callId)?.pairedWith).toBe(first.callId);
    await desk.handlers['desk.conference']({ heldCallId: first.callId, activeCallId: second.callId });
    const conference = await waitForState(
      desk,
      (s) => s.calls.length === 1 && s.calls[0]?.conference === true && s.calls[0].parties.length === 2,
      'conference of three',
    );
    const call = conference.calls[0] as CallView;
    expect(call.controller).toBe(true);
    expect(call.parties.map((p) => [p.number, p.display, p.drop?.enabled])).toEqual(
      expect.arrayContaining([
        ['1200', 'Help Desk', true],
        ['1300', 'Board Room', true],
      ]),
    );
    const boardRoom = call.parties.find((p) => p.number === '1300');
    expect(boardRoom?.id).toBe('SEP00AABB000030/1300/INTERNAL');

    await desk.handlers['desk.dropParty']({ callId: call.callId, partyId: boardRoom?.id ?? '' });
    const after = await waitForState(
      desk,
      (s) => s.calls.length === 1 && s.calls[0]?.parties.every((p) => p.number !== '1300') === true,
      'board room dropped',
    );
    expect(after.calls[0]?.conference).toBe(false);
    expect(after.calls[0]?.remote).toEqual({ number: '1200', display: 'Help Desk' });
    const sim = gateway.simulator?.model.snapshot() ?? [];
    expect(sim.flatMap((c) => c.connections.map((x) => x.deviceId))).not.toContain(
      'SEP00AABB000030/1300/INTERNAL',
    );
    await expect(
      desk.handlers['desk.dropParty']({ callId: call.callId, partyId: 'SEP00AABB000030/1300/INTERNAL' }),
    ).rejects.toThrow(/not in this conference/);
    await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'ended');
  });

  it("says the line is full, not that the phone system is busy, at the line's call limit", async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    // The simulator allows 4 calls per appearance (CUCM's "Maximum Number of Calls" default).
    for (let i = 0; i < 4; i++) await desk.handlers['desk.makeCall']({ number: NO_ANSWER });
    const refused = await Promise.resolve(desk.handlers['desk.makeCall']({ number: NO_ANSWER })).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({
      code: 'LINE_CALL_LIMIT',
      message:
        'Cannot make the call: this line already has as many calls as it can take; end or transfer one first',
    });
    for (const call of desk.getState().calls) await desk.handlers['desk.hangup']({ callId: call.callId });
    await waitForState(desk, (s) => s.calls.length === 0, 'ended');
  });

  it('names a caller from the directory, and finds people by name or number', async () => {
    gateway = await demoGateway();
    const desk = gateway.desk('alice');
    await desk.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    // Bob's direct number as a caller from outside presents it, in national format: the
    // directory holds +1 408 555 1002 (numbers match by their last 7 digits or more).
    expect(gateway.simulator?.placeInboundCall('4085551002', '1001').ok).toBe(true);
    const named = await waitForState(
      desk,
      (s) => s.calls.some((c) => c.remote.display === 'Bob Baker'),
      'the caller named',
    );
    expect(named.calls[0]?.remote).toEqual({ number: '4085551002', display: 'Bob Baker' });
    await desk.handlers['desk.hangup']({ callId: named.calls[0]?.callId ?? '' });

    const bob = await desk.handlers['desk.searchDirectory']({ query: 'bob' });
    expect(bob).toEqual({
      people: [
        {
          name: 'Bob Baker',
          numbers: [
            { kind: 'line', number: '1002' },
            { kind: 'work', number: '+14085551002' },
          ],
        },
      ],
      truncated: false,
    });
    expect(
      (await desk.handlers['desk.searchDirectory']({ query: 'help' })).people.map((p) => p.name),
    ).toEqual(['Help Desk']);
    expect(
      (await desk.handlers['desk.searchDirectory']({ query: '555 1004' })).people.map((p) => p.name),
    ).toEqual(['Dave Diaz']);
    await expect(desk.handlers['desk.searchDirectory']({ query: 'x' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('troubleshoots the signed-in user in plain words, the technical finding kept apart', async () => {
    gateway = await demoGateway();
    const alice = gateway.desk('alice');
    await alice.handlers['desk.selectLine']({ lineId: ALICE_LINE });
    const fine = await alice.handlers['desk.troubleshoot']({});
    expect(fine.verdict).toBe('ok');
    expect(fine.summary).toBe('Everything needed to control your phone from here is in place.');
    expect(fine.checks.map((c) => c.id)).toEqual([
      'directory',
      'user',
      'licence',
      'lines',
      'ctiControl',
      'link',
      'watching',
      'session',
    ]);
    const frank = await gateway.desk('frank').handlers['desk.troubleshoot']({});
    expect(frank).toMatchObject({
      verdict: 'problem',
      summary:
        'You have no licence to control your phone from a computer. Ask your administrator to assign one.',
    });
    expect(frank.checks.find((c) => c.id === 'licence')?.detail).toMatch(/UCL or CUWL/);
    // The directory source's own finding on the entry: one check, its detail the administrator's.
    const entry = frank.checks.find((c) => c.id === 'directoryEntry');
    expect(entry?.status).not.toBe('ok');
    expect(entry?.detail).toMatch(/entry: .*licen/i);
    expect(fine.checks.find((c) => c.id === 'directory')?.detail).toMatch(/entry: /);
    const grace = await gateway.desk('grace').handlers['desk.troubleshoot']({});
    expect(grace.checks.find((c) => c.id === 'ctiControl')).toMatchObject({
      status: 'warning',
      detail: expect.stringContaining('SEP00AABB000017'),
    });
    for (const check of [...fine.checks, ...frank.checks, ...grace.checks])
      expect(check.text).not.toMatch(/SEP[0-9A-F]{12}|CUWL|UCL|CTI Manager/);
  });
});
