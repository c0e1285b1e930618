// The call tracker alone, driven by CSTA events as a monitor delivers them (ECMA-269 §17.2):
// who controls a conference (only the controller may drop a party), a shared line ringing on
// another phone before ours, names found after the call was first seen.
import { describe, expect, it } from 'vitest';
import type { CstaEvent } from '../../../src/csta/index.js';
import { CallTracker, callViewOf, type PartyInfo } from '../../../src/faces/desk/call-tracker.js';
import { callActions } from '../../../src/faces/desk/call-actions.js';

const ME = 'SEP00AABB000003/1004/INTERNAL';
const DAVE = 'SEP00AABB000004/1004/INTERNAL';
const HELP = 'SEP00AABB000005/1200/INTERNAL';
const BOARD = 'SEP00AABB000030/1300/INTERNAL';
const CALLER = '+14085550123';

const names: Record<string, PartyInfo> = {
  [ME]: { number: '1004', display: 'Dave (shared)' },
  [DAVE]: { number: '1004', display: 'Dave Diaz' },
  [HELP]: { number: '1200', display: 'Help Desk' },
  [BOARD]: { number: '1300', display: 'Board Room' },
};
const describeDevice = (id: string): PartyInfo => names[id] ?? { number: id };
const dev = (id: string) => ({ id });

const delivered = (callID: string, at: string, from: string): CstaEvent => ({
  type: 'DeliveredEvent',
  monitorCrossRefID: 'm1',
  connection: { callID, deviceID: at },
  alertingDevice: dev(at),
  callingDevice: dev(from),
  calledDevice: dev('1004'),
  lastRedirectionDevice: { absent: 'notRequired' },
  cause: 'newCall',
});

function conferenced(conferencing: string): CstaEvent {
  return {
    type: 'ConferencedEvent',
    monitorCrossRefID: 'm1',
    primaryOldCall: { callID: 'c1', deviceID: ME },
    secondaryOldCall: { callID: 'c2', deviceID: ME },
    conferencingDevice: dev(conferencing),
    addedParty: dev(BOARD),
    conferenceConnections: [
      { newConnection: { callID: 'c1', deviceID: ME } },
      { newConnection: { callID: 'c1', deviceID: HELP } },
      { newConnection: { callID: 'c1', deviceID: BOARD } },
    ],
    cause: 'conference',
  };
}

describe('CallTracker', () => {
  it('takes a call ringing on the shared line as inbound, from its caller, whichever phone rang first', () => {
    const tracker = new CallTracker(ME, describeDevice);
    tracker.apply(delivered('c9', DAVE, CALLER), 1);
    const changes = tracker.apply(delivered('c9', ME, CALLER), 2);
    expect(changes.map((c) => c.kind)).toEqual(['ringing']);
    expect(tracker.get('c9')).toMatchObject({
      direction: 'inbound',
      state: 'ringing',
      remote: { number: CALLER },
    });
    // Dave's phone ringing after ours changes nothing of ours.
    tracker.apply(delivered('c9', DAVE, CALLER), 3);
    expect(tracker.get('c9')).toMatchObject({ state: 'ringing', remote: { number: CALLER } });
  });

  it('lets only the conference controller drop a party', () => {
    for (const [conferencing, controller] of [
      [ME, true],
      [HELP, false],
    ] as const) {
      const tracker = new CallTracker(ME, describeDevice);
      tracker.addOutbound('c1', describeDevice(HELP), 1);
      tracker.apply(conferenced(conferencing), 2);
      const call = tracker.get('c1');
      expect(call?.conference).toBe(true);
      const view = callViewOf(call!, callActions(call!, tracker.list()), { lineId: ME });
      expect(view.controller).toBe(controller);
      expect(view.parties.map((p) => p.id)).toEqual([HELP, BOARD]);
      for (const party of view.parties)
        expect(party.drop).toEqual(
          controller
            ? { enabled: true }
            : {
                enabled: false,
                reason: 'Only the person who set up the conference can remove someone from it',
              },
        );
    }
  });

  it('names a number once the directory answers, where it had no name yet', () => {
    const tracker = new CallTracker(ME, describeDevice);
    tracker.apply(delivered('c3', ME, CALLER), 1);
    expect(tracker.applyName(CALLER, 'Pat Caller')).toBe(true);
    expect(tracker.get('c3')?.remote).toEqual({ number: CALLER, display: 'Pat Caller' });
    expect(tracker.get('c3')?.parties.get(CALLER)?.display).toBe('Pat Caller');
    // A name the call already has is kept.
    expect(tracker.applyName(CALLER, 'Someone else')).toBe(false);
  });
});
