import { describe, expect, it } from 'vitest';
import { unwrap, ErrorCode } from '../../gateway/src/protocol.js';
import { FAILED_CALL_CLEAR_MS, isLegalTransition, MAX_CALLS_PER_APPEARANCE } from '../src/call-model.js';
import { DEMO_NUMBERS, demoClusterConfig } from '../src/demo-cluster.js';
import {
  ALICE,
  BOB,
  CAROL_DAVE,
  CAROL_DESK,
  CAROL_SOFT,
  DAVE,
  EMMA,
  GRACE_LAB,
  HELPDESK,
  HENRY,
  conn,
  eventsOfType,
  harness,
  refusal,
  seenBy,
  stateOf,
} from './helpers.js';

/** Alice calls Dave's shared line 1004 and Dave answers on his own phone. Returns both connections. */
function aliceCallsDave(h = harness()) {
  const made = unwrap(h.model.makeCall(ALICE, '1004'));
  const callId = made.callingDevice.callId;
  unwrap(h.model.answerCall(conn(callId, DAVE)));
  return { ...h, callId, alice: made.callingDevice, dave: conn(callId, DAVE) };
}

describe('connection state table (ECMA-269 §6.1.4)', () => {
  it('allows the progressions a call goes through and nothing out of a cleared connection', () => {
    expect(isLegalTransition('null', 'initiated')).toBe(true);
    expect(isLegalTransition('initiated', 'connected')).toBe(true);
    expect(isLegalTransition('alerting', 'connected')).toBe(true);
    expect(isLegalTransition('connected', 'hold')).toBe(true);
    expect(isLegalTransition('hold', 'connected')).toBe(true);
    expect(isLegalTransition('fail', 'null')).toBe(true);
    expect(isLegalTransition('hold', 'alerting')).toBe(false);
    expect(isLegalTransition('fail', 'connected')).toBe(false);
    expect(isLegalTransition('connected', 'alerting')).toBe(false);
    expect(isLegalTransition('null', 'hold')).toBe(false);
  });
});

describe('MakeCall and AnswerCall', () => {
  it('rings every appearance of a shared line; answering on one clears the other', () => {
    const h = harness();
    const made = unwrap(h.model.makeCall(ALICE, '1004'));
    const callId = made.callingDevice.callId;
    expect(made.callingDevice).toEqual({ callId, deviceId: ALICE });

    // Caller's point of view: initiated, originated, and a Delivered for each ringing appearance.
    expect(seenBy(h.events, ALICE)).toEqual([
      'serviceInitiated:initiated',
      'originated:connected',
      'delivered:connected',
      'delivered:connected',
    ]);
    const delivered = eventsOfType(h.events, 'delivered');
    expect(delivered.map((e) => e.alertingDevice).sort()).toEqual([CAROL_DAVE, DAVE].sort());
    for (const e of delivered) {
      expect(e.callingDevice).toBe(ALICE);
      expect(e.calledDevice).toBe('1004');
      expect(e.cause).toBe('newCall');
    }
    // Both phones of the shared line see their own connection alerting.
    expect(seenBy(h.events, DAVE)).toEqual(['delivered:alerting', 'delivered:alerting']);
    expect(seenBy(h.events, CAROL_DAVE)).toEqual(['delivered:alerting', 'delivered:alerting']);

    const mark = h.events.length;
    unwrap(h.model.answerCall(conn(callId, DAVE)));
    expect(seenBy(h.events, CAROL_DAVE, mark)).toEqual(['connectionCleared:null']);
    expect(seenBy(h.events, DAVE, mark)).toEqual(['connectionCleared:alerting', 'established:connected']);
    expect(seenBy(h.events, ALICE, mark)).toEqual(['connectionCleared:connected', 'established:connected']);
    const established = eventsOfType(h.events, 'established')[0];
    expect(established?.answeringDevice).toBe(DAVE);
    expect(established?.callingDevice).toBe(ALICE);
    expect(h.model.snapshot()).toEqual([
      expect.objectContaining({
        callId,
        connections: [
          { deviceId: ALICE, state: 'connected' },
          { deviceId: DAVE, state: 'connected' },
        ],
      }),
    ]);
  });

  it('clears the whole two-party call when one side hangs up, leaving no timer behind', () => {
    const h = aliceCallsDave();
    const mark = h.events.length;
    unwrap(h.model.clearConnection(h.alice));
    expect(seenBy(h.events, ALICE, mark)).toEqual(['connectionCleared:null', 'callCleared:null']);
    expect(seenBy(h.events, DAVE, mark)).toEqual([
      'connectionCleared:connected',
      'connectionCleared:null',
      'callCleared:null',
    ]);
    expect(h.model.snapshot()).toEqual([]);
    expect(h.model.timerCount()).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('a caller giving up stops every ringing appearance (callCancelled)', () => {
    const h = harness();
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1004'));
    const mark = h.events.length;
    unwrap(h.model.clearConnection(callingDevice));
    const cleared = eventsOfType(h.events.slice(mark), 'connectionCleared');
    expect(cleared.map((e) => [e.connection.deviceId, e.cause])).toEqual([
      [ALICE, 'normalClearing'],
      [DAVE, 'callCancelled'],
      [CAROL_DAVE, 'callCancelled'],
    ]);
    expect(h.model.callCount()).toBe(0);
  });

  it('a line that auto-answers connects after its delay, not before', () => {
    const h = harness();
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1002'));
    h.clock.advance(1_999);
    expect(stateOf(h.model, conn(callingDevice.callId, BOB))).toBe('alerting');
    h.clock.advance(1);
    expect(stateOf(h.model, conn(callingDevice.callId, BOB))).toBe('connected');
    expect(seenBy(h.events, ALICE).at(-1)).toBe('established:connected');
  });

  it('answering while on another call puts that call on hold, as the phone does', () => {
    const h = aliceCallsDave();
    const inbound = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1001'));
    unwrap(h.model.answerCall(conn(inbound.callId, ALICE)));
    expect(stateOf(h.model, h.alice)).toBe('hold');
    expect(stateOf(h.model, conn(inbound.callId, ALICE))).toBe('connected');
  });

  it('refuses to answer a call that is not alerting, and changes nothing', () => {
    const h = aliceCallsDave();
    const before = h.model.snapshot();
    const count = h.events.length;
    expect(refusal(h.model.answerCall(h.dave))).toBe('stateIncompatibility/noCallToAnswer');
    expect(refusal(h.model.answerCall(h.alice))).toBe('stateIncompatibility/noCallToAnswer');
    expect(h.model.snapshot()).toEqual(before);
    expect(h.events.length).toBe(count);
  });

  it('refuses unknown calling devices, garbage numbers and unknown connections', () => {
    const h = harness();
    expect(refusal(h.model.makeCall('SEP00AABB0000FF/1001/INTERNAL', '1002'))).toBe(
      'operation/invalidCallingDeviceID',
    );
    expect(refusal(h.model.makeCall(ALICE, 'call bob'))).toBe('operation/invalidCalledDeviceID');
    expect(refusal(h.model.makeCall(ALICE, ''))).toBe('operation/invalidCalledDeviceID');
    expect(refusal(h.model.answerCall(conn('999', ALICE)))).toBe('operation/invalidConnectionID');
    expect(refusal(h.model.clearConnection(conn('999', ALICE)))).toBe('operation/invalidConnectionID');
    expect(refusal(h.model.clearCall(conn('999', ALICE)))).toBe('operation/invalidConnectionID');
    expect(h.model.callCount()).toBe(0);
    expect(h.events).toEqual([]);
  });

  it('refuses every service on a device whose CTI control is disallowed', () => {
    const h = harness();
    const pv = 'operation/privilegeViolationSpecifiedDevice';
    expect(refusal(h.model.makeCall(GRACE_LAB, '1001'))).toBe(pv);
    expect(refusal(h.model.setDoNotDisturb(GRACE_LAB, true))).toBe(pv);
    expect(refusal(h.model.setForwarding(GRACE_LAB, 'forwardImmediate', true, '1001'))).toBe(pv);
    expect(refusal(h.model.snapshotDevice(GRACE_LAB))).toBe(pv);
    // The phone still rings for a call from elsewhere; CTI just cannot touch it.
    const inbound = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1017'));
    const lab = conn(inbound.callId, GRACE_LAB);
    expect(stateOf(h.model, lab)).toBe('alerting');
    expect(refusal(h.model.answerCall(lab))).toBe(pv);
    expect(refusal(h.model.clearConnection(lab))).toBe(pv);
    expect(refusal(h.model.deflectCall(lab, '1001'))).toBe(pv);
    expect(stateOf(h.model, lab)).toBe('alerting');
  });

  it('refuses a call beyond the maximum number of calls per appearance', () => {
    const h = harness();
    for (let i = 0; i < MAX_CALLS_PER_APPEARANCE; i++) unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.noAnswer));
    expect(refusal(h.model.makeCall(ALICE, DEMO_NUMBERS.noAnswer))).toBe(
      'systemResourceAvailibility/resourceLimitExceeded',
    );
  });

  it('refuses to control a party outside the cluster', () => {
    const h = harness();
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.answers));
    expect(refusal(h.model.answerCall(conn(callingDevice.callId, DEMO_NUMBERS.answers)))).toBe(
      'operation/requestIncompatibleWithObject',
    );
  });
});

describe('declining (ClearConnection on a ringing appearance)', () => {
  it('the other appearance of a shared line rings on; the last decline gives the caller busy', () => {
    const h = harness();
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1004'));
    const id = callingDevice.callId;
    unwrap(h.model.clearConnection(conn(id, CAROL_DAVE)));
    expect(stateOf(h.model, conn(id, DAVE))).toBe('alerting');
    unwrap(h.model.clearConnection(conn(id, DAVE)));
    expect(stateOf(h.model, callingDevice)).toBe('fail');
    expect(eventsOfType(h.events, 'failed')[0]).toMatchObject({
      cause: 'busy',
      failingDevice: '1004',
      connection: callingDevice,
    });
    h.clock.advance(FAILED_CALL_CLEAR_MS);
    expect(h.model.callCount()).toBe(0);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('a decline goes to forward-busy when it is set', () => {
    const h = harness();
    unwrap(h.model.setForwarding(HENRY, 'forwardBusy', true, '1005'));
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1008'));
    unwrap(h.model.clearConnection(conn(callingDevice.callId, HENRY)));
    expect(stateOf(h.model, conn(callingDevice.callId, EMMA))).toBe('alerting');
    expect(eventsOfType(h.events, 'delivered').at(-1)).toMatchObject({
      alertingDevice: EMMA,
      cause: 'callForwardBusy',
      lastRedirectionDevice: '1008',
    });
  });
});

describe('ClearCall', () => {
  it('releases every connection, then reports the call cleared', () => {
    const h = aliceCallsDave();
    const mark = h.events.length;
    unwrap(h.model.clearCall(h.dave));
    expect(h.events.slice(mark).map((e) => e.type)).toEqual([
      'connectionCleared',
      'connectionCleared',
      'callCleared',
    ]);
    expect(h.model.callCount()).toBe(0);
  });
});

describe('HoldCall and RetrieveCall', () => {
  it('holds and retrieves, seen from both parties', () => {
    const h = aliceCallsDave();
    const mark = h.events.length;
    unwrap(h.model.holdCall(h.alice));
    expect(seenBy(h.events, ALICE, mark)).toEqual(['held:hold']);
    expect(seenBy(h.events, DAVE, mark)).toEqual(['held:connected']);
    expect(eventsOfType(h.events, 'held')[0]?.holdingDevice).toBe(ALICE);
    unwrap(h.model.retrieveCall(h.alice));
    expect(seenBy(h.events, ALICE, mark)).toEqual(['held:hold', 'retrieved:connected']);
    expect(seenBy(h.events, DAVE, mark)).toEqual(['held:connected', 'retrieved:connected']);
  });

  it('refuses to hold what is not connected and to retrieve what is not held', () => {
    const h = aliceCallsDave();
    unwrap(h.model.holdCall(h.alice));
    expect(refusal(h.model.holdCall(h.alice))).toBe('stateIncompatibility/noActiveCall');
    unwrap(h.model.retrieveCall(h.alice));
    expect(refusal(h.model.retrieveCall(h.alice))).toBe('stateIncompatibility/noHeldCall');
    const ringing = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1005'));
    expect(refusal(h.model.holdCall(conn(ringing.callId, EMMA)))).toBe('stateIncompatibility/noActiveCall');
  });

  it('the held party hanging up ends the call for the holder too', () => {
    const h = aliceCallsDave();
    unwrap(h.model.holdCall(h.alice));
    unwrap(h.model.clearConnection(h.dave));
    expect(h.model.callCount()).toBe(0);
    expect(seenBy(h.events, ALICE).slice(-2)).toEqual(['connectionCleared:null', 'callCleared:null']);
  });
});

describe('ConsultationCall and TransferCall', () => {
  it('consults, then transfers: the transferring device leaves and the others are joined', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, '1003')).initiatedCall;
    expect(consult.deviceId).toBe(ALICE);
    expect(consult.callId).not.toBe(h.callId);
    expect(stateOf(h.model, h.alice)).toBe('hold');
    expect(h.model.call(consult.callId)?.consultationOf).toBe(h.callId);
    expect(eventsOfType(h.events, 'serviceInitiated').at(-1)?.cause).toBe('consultation');
    // Carol's line rings on her desk phone and her softphone; she answers on the softphone.
    expect(stateOf(h.model, conn(consult.callId, CAROL_DESK))).toBe('alerting');
    unwrap(h.model.answerCall(conn(consult.callId, CAROL_SOFT)));
    expect(stateOf(h.model, conn(consult.callId, CAROL_DESK))).toBeUndefined();

    const mark = h.events.length;
    const result = unwrap(h.model.transferCall(h.alice, consult));
    expect(result.transferredCall).toEqual({ callId: h.callId, deviceId: CAROL_SOFT });
    const transferred = eventsOfType(h.events, 'transferred').at(-1);
    expect(transferred).toMatchObject({
      callId: h.callId,
      transferringDevice: ALICE,
      transferredToDevice: CAROL_SOFT,
      primaryOldCall: h.alice,
      secondaryOldCall: consult,
      cause: 'transfer',
    });
    // Every party's point of view, from the one event.
    expect(seenBy(h.events, ALICE, mark)).toEqual(['transferred:null']);
    expect(seenBy(h.events, DAVE, mark)).toEqual(['transferred:connected']);
    expect(seenBy(h.events, CAROL_SOFT, mark)).toEqual(['transferred:connected']);
    expect(h.model.snapshot()).toEqual([
      expect.objectContaining({
        callId: h.callId,
        connections: [
          { deviceId: DAVE, state: 'connected' },
          { deviceId: CAROL_SOFT, state: 'connected' },
        ],
      }),
    ]);
    expect(unwrap(h.model.snapshotDevice(ALICE))).toEqual([]);
  });

  it('transfers while the consulted party is still ringing', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, DEMO_NUMBERS.slowAnswer)).initiatedCall;
    unwrap(h.model.transferCall(h.alice, consult));
    expect(stateOf(h.model, conn(h.callId, DEMO_NUMBERS.slowAnswer))).toBe('alerting');
    h.clock.advance(15_000);
    expect(stateOf(h.model, conn(h.callId, DEMO_NUMBERS.slowAnswer))).toBe('connected');
    expect(eventsOfType(h.events, 'established').at(-1)?.answeringDevice).toBe(DEMO_NUMBERS.slowAnswer);
  });

  it('refuses a transfer without a held call, with one call, or across devices', () => {
    const h = aliceCallsDave();
    const other = unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.noAnswer)).callingDevice; // auto-holds the first
    unwrap(h.model.retrieveCall(h.alice)); // and now `other` is on hold, h.alice active
    expect(refusal(h.model.transferCall(h.alice, other))).toBe('stateIncompatibility/noHeldCall');
    expect(refusal(h.model.transferCall(other, other))).toBe('operation/requestIncompatibleWithObject');
    expect(refusal(h.model.transferCall(other, h.dave))).toBe('operation/requestIncompatibleWithObject');
    expect(refusal(h.model.consultationCall(other, '1005'))).toBe('stateIncompatibility/noActiveCall');
  });

  it('consultation to a busy number fails the consultation only; ReconnectCall goes back', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, DEMO_NUMBERS.busy)).initiatedCall;
    expect(stateOf(h.model, consult)).toBe('fail');
    expect(refusal(h.model.transferCall(h.alice, consult))).toBe('stateIncompatibility/noActiveCall');
    unwrap(h.model.reconnectCall(h.alice, consult));
    expect(h.model.call(consult.callId)).toBeUndefined();
    expect(stateOf(h.model, h.alice)).toBe('connected');
  });
});

describe('SingleStepTransferCall', () => {
  it('the transferring device leaves and the other party is offered to the destination', () => {
    const h = aliceCallsDave();
    const mark = h.events.length;
    const result = unwrap(h.model.singleStepTransferCall(h.alice, '1003'));
    expect(result.transferredCall).toEqual(h.dave);
    expect(seenBy(h.events, ALICE, mark)).toEqual(['transferred:null']);
    expect(seenBy(h.events, DAVE, mark)).toEqual([
      'transferred:connected',
      'delivered:connected',
      'delivered:connected',
    ]);
    const delivered = eventsOfType(h.events.slice(mark), 'delivered');
    expect(delivered.map((e) => e.alertingDevice)).toEqual([CAROL_DESK, CAROL_SOFT]);
    expect(delivered[0]).toMatchObject({
      cause: 'singleStepTransfer',
      callingDevice: DAVE,
      calledDevice: '1003',
      lastRedirectionDevice: '1001',
    });
    unwrap(h.model.answerCall(conn(h.callId, CAROL_DESK)));
    expect(h.model.call(h.callId)?.connections).toEqual([
      { deviceId: DAVE, state: 'connected' },
      { deviceId: CAROL_DESK, state: 'connected' },
    ]);
  });

  it('refuses from a ringing or held call and to garbage', () => {
    const h = aliceCallsDave();
    expect(refusal(h.model.singleStepTransferCall(h.alice, 'x'))).toBe('operation/invalidDestination');
    unwrap(h.model.holdCall(h.alice));
    expect(refusal(h.model.singleStepTransferCall(h.alice, '1003'))).toBe(
      'stateIncompatibility/noActiveCall',
    );
  });
});

describe('ConferenceCall', () => {
  it('makes a three-party conference, adds a fourth, and survives a member leaving', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, '1005')).initiatedCall;
    expect(refusal(h.model.conferenceCall(h.alice, consult))).toBe('stateIncompatibility/invalidObjectState'); // Emma still ringing
    unwrap(h.model.answerCall(conn(consult.callId, EMMA)));
    const mark = h.events.length;
    const { conferenceCall } = unwrap(h.model.conferenceCall(h.alice, consult));
    expect(conferenceCall).toEqual(h.alice);
    const event = eventsOfType(h.events, 'conferenced').at(-1);
    expect(event).toMatchObject({
      callId: h.callId,
      conferencingDevice: ALICE,
      addedParty: EMMA,
      primaryOldCall: h.alice,
      secondaryOldCall: consult,
    });
    expect(event?.conferenceConnections.map((c) => c.deviceId)).toEqual([ALICE, DAVE, EMMA]);
    for (const device of [ALICE, DAVE, EMMA])
      expect(seenBy(h.events, device, mark)).toEqual(['conferenced:connected']);
    expect(h.model.call(h.callId)?.conference).toBe(true);
    expect(h.model.call(consult.callId)).toBeUndefined();

    // Add Henry: hold the conference, consult, conference again.
    const consult2 = unwrap(h.model.consultationCall(h.alice, '1008')).initiatedCall;
    unwrap(h.model.answerCall(conn(consult2.callId, HENRY)));
    unwrap(h.model.conferenceCall(h.alice, consult2));
    expect(h.model.call(h.callId)?.connections.map((c) => c.deviceId)).toEqual([ALICE, DAVE, EMMA, HENRY]);

    // Alice (the controller) leaves: the other three go on.
    unwrap(h.model.clearConnection(h.alice));
    expect(h.model.call(h.callId)?.connections.length).toBe(3);
    unwrap(h.model.clearConnection(conn(h.callId, HENRY)));
    expect(h.model.call(h.callId)?.conference).toBe(false);
    unwrap(h.model.clearConnection(conn(h.callId, EMMA)));
    expect(h.model.callCount()).toBe(0);
  });

  it('refuses beyond the cluster conference limit', () => {
    const config = demoClusterConfig();
    config.limits.maxConferenceParties = 3;
    const h = aliceCallsDave(harness(config));
    let consult = unwrap(h.model.consultationCall(h.alice, '1005')).initiatedCall;
    unwrap(h.model.answerCall(conn(consult.callId, EMMA)));
    unwrap(h.model.conferenceCall(h.alice, consult));
    consult = unwrap(h.model.consultationCall(h.alice, '1008')).initiatedCall;
    unwrap(h.model.answerCall(conn(consult.callId, HENRY)));
    expect(refusal(h.model.conferenceCall(h.alice, consult))).toBe(
      'systemResourceAvailibility/conferenceMemberLimitExceeded',
    );
  });
});

describe('AlternateCall and ReconnectCall', () => {
  it('alternates between the held and the active call', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, '1002')).initiatedCall;
    h.clock.advance(2_000); // Bob auto-answers
    const mark = h.events.length;
    unwrap(h.model.alternateCall(h.alice, consult));
    expect(seenBy(h.events, ALICE, mark)).toEqual(['held:hold', 'retrieved:connected']);
    expect(seenBy(h.events, BOB, mark)).toEqual(['held:connected']);
    expect(seenBy(h.events, DAVE, mark)).toEqual(['retrieved:connected']);
    expect(eventsOfType(h.events, 'held').at(-1)?.cause).toBe('alternate');
    expect(stateOf(h.model, h.alice)).toBe('connected');
    expect(stateOf(h.model, consult)).toBe('hold');
    expect(refusal(h.model.alternateCall(h.alice, consult))).toBe('stateIncompatibility/noHeldCall');
  });

  it('reconnect clears the active call and retrieves the held one', () => {
    const h = aliceCallsDave();
    const consult = unwrap(h.model.consultationCall(h.alice, '1002')).initiatedCall;
    h.clock.advance(2_000);
    unwrap(h.model.reconnectCall(h.alice, consult));
    expect(h.model.call(consult.callId)).toBeUndefined();
    expect(stateOf(h.model, h.alice)).toBe('connected');
    expect(seenBy(h.events, BOB).slice(-2)).toEqual(['connectionCleared:null', 'callCleared:null']);
  });
});

describe('DeflectCall', () => {
  it('sends a ringing call elsewhere, with the diverting line as last redirection', () => {
    const h = harness();
    const inbound = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1004'));
    const mark = h.events.length;
    unwrap(h.model.deflectCall(conn(inbound.callId, DAVE), '1005'));
    // Both appearances of the shared line stop ringing.
    expect(seenBy(h.events, DAVE, mark)).toEqual(['diverted:null']);
    expect(seenBy(h.events, CAROL_DAVE, mark)).toEqual(['diverted:null']);
    const diverted = eventsOfType(h.events.slice(mark), 'diverted');
    expect(diverted[0]).toMatchObject({ divertingDevice: DAVE, newDestination: '1005', cause: 'redirected' });
    expect(eventsOfType(h.events.slice(mark), 'delivered')[0]).toMatchObject({
      alertingDevice: EMMA,
      callingDevice: DEMO_NUMBERS.answers,
      calledDevice: '1004',
      lastRedirectionDevice: '1004',
      cause: 'redirected',
    });
  });

  it('refuses to deflect a connected call, to its own line, or to garbage', () => {
    const h = aliceCallsDave();
    expect(refusal(h.model.deflectCall(h.dave, '1005'))).toBe('stateIncompatibility/invalidObjectState');
    const inbound = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1005'));
    expect(refusal(h.model.deflectCall(conn(inbound.callId, EMMA), '1005'))).toBe(
      'operation/invalidDestination',
    );
    expect(refusal(h.model.deflectCall(conn(inbound.callId, EMMA), 'nowhere'))).toBe(
      'operation/invalidDestination',
    );
  });
});

describe('GenerateDigits and SnapshotDevice', () => {
  it('sends DTMF on a connected call only', () => {
    const h = aliceCallsDave();
    unwrap(h.model.generateDigits(h.alice, '12#*'));
    expect(eventsOfType(h.events, 'digitsGenerated')[0]).toMatchObject({
      connection: h.alice,
      digits: '12#*',
    });
    expect(refusal(h.model.generateDigits(h.alice, '12x'))).toBe('operation/valueOutOfRange');
    unwrap(h.model.holdCall(h.alice));
    expect(refusal(h.model.generateDigits(h.alice, '1'))).toBe('stateIncompatibility/noActiveCall');
  });

  it('lists the calls at an appearance with its connection state in each', () => {
    const h = aliceCallsDave();
    const inbound = unwrap(h.model.placeInboundCall(DEMO_NUMBERS.answers, '1001'));
    expect(unwrap(h.model.snapshotDevice(ALICE))).toEqual([
      { connection: h.alice, state: 'connected' },
      { connection: conn(inbound.callId, ALICE), state: 'alerting' },
    ]);
    expect(refusal(h.model.snapshotDevice('+14085550100'))).toBe('operation/invalidDeviceID');
  });
});

describe('forwarding', () => {
  it('forward immediate: the line never rings; the destination gets the call with the forwarding line as last redirection', () => {
    const h = harness();
    unwrap(h.model.setForwarding(EMMA, 'forwardImmediate', true, '1008'));
    expect(eventsOfType(h.events, 'forwarding')[0]).toMatchObject({
      device: EMMA,
      devices: [EMMA],
      forwardingType: 'forwardImmediate',
      forwardStatus: true,
      forwardTo: '1008',
    });
    expect(unwrap(h.model.getForwarding(EMMA))[0]).toEqual({
      type: 'forwardImmediate',
      on: true,
      to: '1008',
      ringDurationMs: undefined,
    });
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1005'));
    expect(seenBy(h.events, EMMA)).toEqual(['forwarding', 'diverted:null']);
    expect(eventsOfType(h.events, 'delivered')[0]).toMatchObject({
      alertingDevice: HENRY,
      calledDevice: '1005',
      lastRedirectionDevice: '1005',
      cause: 'callForwardImmediate',
    });
    unwrap(h.model.answerCall(conn(callingDevice.callId, HENRY)));
    expect(eventsOfType(h.events, 'established')[0]?.cause).toBe('callForwardImmediate');
    unwrap(h.model.setForwarding(EMMA, 'forwardImmediate', false));
    expect(unwrap(h.model.getForwarding(EMMA))[0]?.on).toBe(false);
  });

  it('forwarding on a shared line applies to, and is reported on, every appearance', () => {
    const h = harness();
    unwrap(h.model.setForwarding(CAROL_DAVE, 'forwardImmediate', true, '1003'));
    expect(eventsOfType(h.events, 'forwarding')[0]?.devices).toEqual([DAVE, CAROL_DAVE]);
    expect(unwrap(h.model.getForwarding(DAVE))[0]?.on).toBe(true);
  });

  it('forward busy applies when every appearance is at its busy trigger', () => {
    const h = harness();
    unwrap(h.model.makeCall(EMMA, DEMO_NUMBERS.noAnswer));
    unwrap(h.model.makeCall(EMMA, DEMO_NUMBERS.noAnswer)); // busy trigger 2 reached
    const busy = unwrap(h.model.makeCall(ALICE, '1005')).callingDevice;
    expect(stateOf(h.model, busy)).toBe('fail');
    expect(eventsOfType(h.events, 'failed').at(-1)).toMatchObject({ cause: 'busy', failingDevice: '1005' });
    unwrap(h.model.setForwarding(EMMA, 'forwardBusy', true, '1008'));
    const forwarded = unwrap(h.model.makeCall(ALICE, '1005')).callingDevice;
    expect(stateOf(h.model, conn(forwarded.callId, HENRY))).toBe('alerting');
    expect(eventsOfType(h.events, 'delivered').at(-1)).toMatchObject({
      cause: 'callForwardBusy',
      lastRedirectionDevice: '1005',
    });
  });

  it('forward no answer applies after the line rings for its ring time (or the one set)', () => {
    const h = harness();
    unwrap(h.model.setForwarding(HENRY, 'forwardNoAns', true, '1005'));
    expect(unwrap(h.model.getForwarding(HENRY))[2]).toEqual({
      type: 'forwardNoAns',
      on: true,
      to: '1005',
      ringDurationMs: 8_000,
    });
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1008'));
    h.clock.advance(7_999);
    expect(stateOf(h.model, conn(callingDevice.callId, HENRY))).toBe('alerting');
    h.clock.advance(1);
    expect(stateOf(h.model, conn(callingDevice.callId, HENRY))).toBeUndefined();
    expect(stateOf(h.model, conn(callingDevice.callId, EMMA))).toBe('alerting');
    expect(seenBy(h.events, HENRY).slice(-1)).toEqual(['diverted:null']);
    expect(eventsOfType(h.events, 'delivered').at(-1)).toMatchObject({
      cause: 'callForwardNoAnswer',
      lastRedirectionDevice: '1008',
    });

    unwrap(h.model.setForwarding(HENRY, 'forwardNoAns', true, '1005', 3_000));
    const second = unwrap(h.model.makeCall(ALICE, '1008')).callingDevice;
    h.clock.advance(3_000);
    expect(stateOf(h.model, conn(second.callId, HENRY))).toBeUndefined();
  });

  it('answering before the ring time cancels no-answer forwarding', () => {
    const h = harness();
    unwrap(h.model.setForwarding(HENRY, 'forwardNoAns', true, '1005'));
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1008'));
    unwrap(h.model.answerCall(conn(callingDevice.callId, HENRY)));
    h.clock.advance(60_000);
    expect(stateOf(h.model, conn(callingDevice.callId, HENRY))).toBe('connected');
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('stops after the maximum hop count when lines forward to each other', () => {
    const h = harness();
    unwrap(h.model.setForwarding(EMMA, 'forwardImmediate', true, '1008'));
    unwrap(h.model.setForwarding(HENRY, 'forwardImmediate', true, '1005'));
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1005'));
    const call = h.model.call(callingDevice.callId);
    expect(call?.connections.length).toBe(2); // it rings somewhere in the end
    expect(eventsOfType(h.events, 'diverted').length).toBe(12);
  });

  it('refuses forwarding without a destination, to itself, or with a silly ring time', () => {
    const h = harness();
    expect(refusal(h.model.setForwarding(EMMA, 'forwardImmediate', true))).toBe(
      'operation/invalidForwardingDestination',
    );
    expect(refusal(h.model.setForwarding(EMMA, 'forwardImmediate', true, '1005'))).toBe(
      'operation/invalidForwardingDestination',
    );
    expect(refusal(h.model.setForwarding(EMMA, 'forwardNoAns', true, '1008', 5))).toBe(
      'operation/valueOutOfRange',
    );
    expect(refusal(h.model.setForwarding('nobody', 'forwardBusy', true, '1008'))).toBe(
      'operation/invalidDeviceID',
    );
    expect(unwrap(h.model.getForwarding(EMMA)).every((f) => !f.on)).toBe(true);
    expect(h.events).toEqual([]);
  });
});

describe('Do Not Disturb', () => {
  it('is a phone feature: reported on all its appearances, skipped when ringing, busy when nobody is left', () => {
    const h = harness();
    unwrap(h.model.setDoNotDisturb(DAVE, true));
    expect(eventsOfType(h.events, 'doNotDisturb')[0]).toMatchObject({
      device: DAVE,
      devices: [DAVE],
      doNotDisturbOn: true,
    });
    expect(unwrap(h.model.getDoNotDisturb(DAVE))).toBe(true);
    const first = unwrap(h.model.makeCall(ALICE, '1004')).callingDevice;
    expect(h.model.call(first.callId)?.connections.map((c) => c.deviceId)).toEqual([ALICE, CAROL_DAVE]);

    unwrap(h.model.setDoNotDisturb(CAROL_DESK, true)); // Carol's desk phone: both its appearances
    expect(eventsOfType(h.events, 'doNotDisturb')[1]?.devices).toEqual([CAROL_DESK, CAROL_DAVE]);
    const second = unwrap(h.model.makeCall(BOB, '1004')).callingDevice;
    expect(eventsOfType(h.events, 'failed').at(-1)).toMatchObject({
      connection: second,
      cause: 'doNotDisturb',
    });
    unwrap(h.model.setDoNotDisturb(DAVE, false));
    expect(unwrap(h.model.getDoNotDisturb(DAVE))).toBe(false);
  });
});

describe('far ends', () => {
  it('answers after the default delay when no rule matches', () => {
    const h = harness();
    const { callingDevice } = unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.answers));
    const far = conn(callingDevice.callId, DEMO_NUMBERS.answers);
    expect(stateOf(h.model, far)).toBe('alerting');
    h.clock.advance(2_999);
    expect(stateOf(h.model, far)).toBe('alerting');
    h.clock.advance(1);
    expect(stateOf(h.model, far)).toBe('connected');
    expect(seenBy(h.events, ALICE).at(-1)).toBe('established:connected');
  });

  it('answers slowly, never answers, is busy, or is not obtainable, per the rules', () => {
    const h = harness();
    const slow = unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.slowAnswer)).callingDevice;
    const never = unwrap(h.model.makeCall(BOB, DEMO_NUMBERS.noAnswer)).callingDevice;
    const busy = unwrap(h.model.makeCall(EMMA, DEMO_NUMBERS.busy)).callingDevice;
    const invalid = unwrap(h.model.makeCall(HENRY, DEMO_NUMBERS.invalid)).callingDevice;
    expect(stateOf(h.model, busy)).toBe('fail');
    expect(stateOf(h.model, invalid)).toBe('fail');
    const failed = eventsOfType(h.events, 'failed');
    expect(failed.map((e) => [e.failingDevice, e.cause])).toEqual([
      [DEMO_NUMBERS.busy, 'busy'],
      [DEMO_NUMBERS.invalid, 'destNotObtainable'],
    ]);
    h.clock.advance(14_999);
    expect(stateOf(h.model, conn(slow.callId, DEMO_NUMBERS.slowAnswer))).toBe('alerting');
    expect(h.model.call(busy.callId)).toBeUndefined(); // failed calls clear by themselves
    h.clock.advance(1);
    expect(stateOf(h.model, conn(slow.callId, DEMO_NUMBERS.slowAnswer))).toBe('connected');
    h.clock.advance(600_000);
    expect(stateOf(h.model, conn(never.callId, DEMO_NUMBERS.noAnswer))).toBe('alerting');
  });
});

describe('inbound calls on demand', () => {
  it('rings the line from an external number', () => {
    const h = harness();
    const call = unwrap(h.model.placeInboundCall('+14155550123', '1003'));
    expect(call.callingDevice).toBe('+14155550123');
    expect(call.connections).toEqual([
      { deviceId: '+14155550123', state: 'connected' },
      { deviceId: CAROL_DESK, state: 'alerting' },
      { deviceId: CAROL_SOFT, state: 'alerting' },
    ]);
    expect(seenBy(h.events, CAROL_DESK)).toEqual(['delivered:alerting', 'delivered:alerting']);
    expect(eventsOfType(h.events, 'delivered')[0]).toMatchObject({
      callingDevice: '+14155550123',
      calledDevice: '1003',
    });
  });

  it('reaches a line by its E.164 number too', () => {
    const h = harness();
    const call = unwrap(h.model.placeInboundCall('+14155550123', '+14085551003'));
    expect(call.connections.map((c) => c.deviceId)).toContain(CAROL_DESK);
  });

  it('refuses an internal caller, an external destination and garbage', () => {
    const h = harness();
    expect(refusal(h.model.placeInboundCall('1001', '1003'))).toBe('operation/invalidCallingDeviceID');
    expect(refusal(h.model.placeInboundCall('+14155550123', '+14155550124'))).toBe(
      'operation/invalidCalledDeviceID',
    );
    expect(refusal(h.model.placeInboundCall('<script>', '1003'))).toBe('operation/invalidCallingDeviceID');
    expect(h.model.callCount()).toBe(0);
  });

  it('an inbound call to a line in DND fails and clears by itself', () => {
    const h = harness();
    unwrap(h.model.setDoNotDisturb(HELPDESK, true));
    const call = unwrap(h.model.placeInboundCall('+14155550123', '1200'));
    expect(call.connections).toEqual([{ deviceId: '+14155550123', state: 'fail' }]);
    h.clock.advance(FAILED_CALL_CLEAR_MS);
    expect(h.model.callCount()).toBe(0);
  });
});

describe('lifecycle', () => {
  it('clearCallById ends any call; unknown IDs are refused', () => {
    const h = aliceCallsDave();
    expect(refusal(h.model.clearCallById('nope'))).toBe('operation/invalidCallID');
    unwrap(h.model.clearCallById(h.callId));
    expect(h.model.callCount()).toBe(0);
  });

  it('call IDs are never reused', () => {
    const h = harness();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { callingDevice } = unwrap(h.model.makeCall(ALICE, '1005'));
      ids.add(callingDevice.callId);
      unwrap(h.model.clearConnection(callingDevice));
    }
    expect(ids.size).toBe(20);
  });

  it('dispose() cancels every timer and refuses further services', () => {
    const h = harness();
    unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.slowAnswer));
    unwrap(h.model.makeCall(BOB, DEMO_NUMBERS.busy));
    unwrap(h.model.setForwarding(HENRY, 'forwardNoAns', true, '1005'));
    unwrap(h.model.makeCall(EMMA, '1008'));
    expect(h.clock.pendingTimers()).toBeGreaterThan(0);
    h.model.dispose();
    expect(h.clock.pendingTimers()).toBe(0);
    const after = h.model.makeCall(ALICE, '1002');
    expect(after.ok ? 'ok' : after.error.code).toBe(ErrorCode.Disposed);
  });

  it('a listener that throws does not break the model or other listeners', () => {
    const h = harness();
    h.model.subscribe(() => {
      throw new Error('listener bug');
    });
    unwrap(h.model.makeCall(ALICE, '1005'));
    expect(h.events.length).toBeGreaterThan(0);
  });

  it('events of a service arrive after it returns, in order, even when a listener calls back in', () => {
    const h = harness();
    const order: string[] = [];
    h.model.subscribe((e) => {
      order.push(e.type);
      if (e.type === 'delivered' && 'alertingDevice' in e && e.alertingDevice === EMMA)
        unwrap(h.model.answerCall(e.connection));
    });
    unwrap(h.model.makeCall(ALICE, '1005'));
    expect(order).toEqual(['serviceInitiated', 'originated', 'delivered', 'established']);
  });
});
