// Random sequences of services and time on the demo cluster: whatever happens, the model keeps
// its invariants, never throws, and once every call is cleared nothing is left (no call, no timer).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FORWARDING_TYPES,
  MAX_CALLS_PER_APPEARANCE,
  type CallModelEvent,
  type ConnectionRef,
} from '../src/call-model.js';
import { DEMO_NUMBERS } from '../src/demo-cluster.js';
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
  harness,
  isCallEvent,
} from './helpers.js';

const DEVICES = [ALICE, BOB, CAROL_DESK, CAROL_SOFT, CAROL_DAVE, DAVE, EMMA, HELPDESK, HENRY, GRACE_LAB];
const NUMBERS = [
  '1001',
  '1002',
  '1003',
  '1004',
  '1005',
  '1008',
  '1017',
  '1200',
  '1300',
  ...Object.values(DEMO_NUMBERS),
  'garbage',
];

const step = fc.tuple(fc.nat(17), fc.nat(1_000), fc.nat(1_000), fc.nat(1_000));
interface Party extends ConnectionRef {
  state: string;
}

describe('call model under random use', () => {
  it('keeps its invariants and leaves nothing behind', () => {
    const tally = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 80, size: 'max' }), (steps) => {
        const h = harness();
        const pick = <T>(list: readonly T[], n: number): T | undefined =>
          list.length === 0 ? undefined : list[n % list.length];
        const connections = (): Party[] =>
          h.model
            .snapshot()
            .flatMap((c) =>
              c.connections.map((p) => ({ callId: c.callId, deviceId: p.deviceId, state: p.state })),
            );
        // Transfer, conference, alternate, reconnect: a held connection and another call at the same device, mostly.
        const pair = (): [ConnectionRef, ConnectionRef] | undefined => {
          const all = connections();
          const held = all.filter((p) => p.state === 'hold');
          const x = pick(held.length > 0 && a % 5 !== 0 ? held : all, b);
          if (x === undefined) return undefined;
          const same = all.filter((p) => p.deviceId === x.deviceId && p.callId !== x.callId);
          const y = pick(same.length > 0 && a % 7 !== 0 ? same : all, c);
          return y === undefined ? undefined : [x, y];
        };
        // Mostly a connection in the state the service wants, sometimes any (to hit the refusals).
        const inState = (state: string): ConnectionRef | undefined => {
          const all = connections();
          const fit = all.filter((p) => p.state === state);
          return pick(fit.length > 0 && c % 5 !== 0 ? fit : all, b);
        };
        let a = 0;
        let b = 0;
        let c = 0;
        for (const [op, sa, sb, sc] of steps) {
          a = sa;
          b = sb;
          c = sc;
          const device = DEVICES[a % DEVICES.length] as string;
          const number = NUMBERS[b % NUMBERS.length] as string;
          const x = pick(connections(), b);
          const xy = op >= 7 && op <= 9 ? pair() : undefined;
          switch (op) {
            case 0:
            case 1:
              h.model.makeCall(device, number);
              break;
            case 2: {
              const r = inState('alerting');
              if (r) h.model.answerCall(r);
              break;
            }
            case 3:
              if (x) h.model.clearConnection(x);
              break;
            case 4: {
              const r = inState('connected');
              if (r) h.model.holdCall(r);
              break;
            }
            case 5: {
              const r = inState('hold');
              if (r) h.model.retrieveCall(r);
              break;
            }
            case 6: {
              const r = inState('connected');
              if (r) h.model.consultationCall(r, number);
              break;
            }
            case 7:
              if (xy) h.model.transferCall(...xy);
              break;
            case 8:
              if (xy) h.model.conferenceCall(...xy);
              break;
            case 9:
              if (xy && a % 2 === 0) h.model.alternateCall(...xy);
              else if (xy) h.model.reconnectCall(...xy);
              break;
            case 10: {
              const r = inState('alerting');
              if (r) h.model.deflectCall(r, number);
              break;
            }
            case 11:
              if (x) h.model.singleStepTransferCall(x, number);
              break;
            case 12:
              h.model.setForwarding(
                device,
                FORWARDING_TYPES[c % 3] ?? 'forwardBusy',
                c % 2 === 0,
                number,
                c % 4 === 0 ? 2_000 : undefined,
              );
              break;
            case 13:
              h.model.setDoNotDisturb(device, c % 2 === 0);
              break;
            case 14:
              h.model.placeInboundCall(`+1415555${String(1000 + (c % 9000))}`, number);
              break;
            case 15:
              if (x) h.model.clearCall(x);
              break;
            default:
              h.clock.advance(a * 30);
          }
          // Invariants after every step.
          const perAppearance = new Map<string, number>();
          for (const call of h.model.snapshot()) {
            expect(call.connections.length).toBeGreaterThan(0);
            const ids = call.connections.map((p) => p.deviceId);
            expect(new Set(ids).size).toBe(ids.length);
            for (const p of call.connections) {
              expect(p.state).not.toBe('null');
              if (p.deviceId.includes('/'))
                perAppearance.set(p.deviceId, (perAppearance.get(p.deviceId) ?? 0) + 1);
            }
          }
          for (const n of perAppearance.values()) expect(n).toBeLessThanOrEqual(MAX_CALLS_PER_APPEARANCE);
        }
        const seen: CallModelEvent[] = h.events;
        for (const e of seen) tally.set(e.type, (tally.get(e.type) ?? 0) + 1);
        for (const e of seen)
          if (isCallEvent(e)) {
            const ids = e.parties.map((p) => p.deviceId);
            expect(new Set(ids).size).toBe(ids.length);
          }
        for (const call of h.model.snapshot()) expect(h.model.clearCallById(call.callId).ok).toBe(true);
        expect(h.model.callCount()).toBe(0);
        expect(h.model.timerCount()).toBe(0);
        expect(h.clock.pendingTimers()).toBe(0);
        h.model.dispose();
      }),
      { numRuns: 200 },
    );
    // The runs did exercise the interesting paths (a test that never transfers proves nothing about transfers).
    for (const type of [
      'established',
      'held',
      'retrieved',
      'transferred',
      'conferenced',
      'diverted',
      'failed',
      'callCleared',
      'forwarding',
      'doNotDisturb',
    ])
      expect(tally.get(type) ?? 0, type).toBeGreaterThan(0);
  });
});
