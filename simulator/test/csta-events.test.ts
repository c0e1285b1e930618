// Golden vectors: what a monitor receives, byte for byte, for each kind of call-model event in a
// scripted demo-cluster scenario. Regenerate after an intended change with UPDATE_VECTORS=1.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeCsta, encodeCsta, unwrap } from '../../gateway/src/protocol.js';
import { callEventMessage, deviceEventMessage, ringCountOf } from '../src/csta-events.js';
import type { CallModelEvent } from '../src/call-model.js';
import { DEMO_NUMBERS } from '../src/demo-cluster.js';
import { ALICE, DAVE, EMMA, HENRY, conn, harness } from './helpers.js';

const DIR = new URL('./vectors/events/', import.meta.url);
const UPDATE = process.env['UPDATE_VECTORS'] === '1';

/** One scripted scenario touching every event kind; returns the events by name. */
function scenario(): Map<string, { event: CallModelEvent; device: string }> {
  const h = harness();
  const picked = new Map<string, { event: CallModelEvent; device: string }>();
  const take = (name: string, device: string, match: (e: CallModelEvent) => boolean): void => {
    const event = h.events.find(match);
    if (event === undefined) throw new Error(`scenario produced no ${name}`);
    picked.set(name, { event, device });
  };
  const first = unwrap(h.model.makeCall(ALICE, '1004')).callingDevice;
  take('ServiceInitiatedEvent', ALICE, (e) => e.type === 'serviceInitiated');
  take('OriginatedEvent', ALICE, (e) => e.type === 'originated');
  take('DeliveredEvent', DAVE, (e) => e.type === 'delivered' && e.alertingDevice === DAVE);
  unwrap(h.model.answerCall(conn(first.callId, DAVE)));
  take('ConnectionClearedEvent', DAVE, (e) => e.type === 'connectionCleared');
  take('EstablishedEvent', ALICE, (e) => e.type === 'established');
  const consult = unwrap(h.model.consultationCall(first, '1005')).initiatedCall;
  take('HeldEvent', DAVE, (e) => e.type === 'held');
  unwrap(h.model.answerCall(conn(consult.callId, EMMA)));
  unwrap(h.model.alternateCall(first, consult));
  take('RetrievedEvent', ALICE, (e) => e.type === 'retrieved');
  unwrap(h.model.alternateCall(consult, first));
  unwrap(h.model.conferenceCall(first, consult));
  take('ConferencedEvent', EMMA, (e) => e.type === 'conferenced');
  unwrap(h.model.generateDigits(first, '42#'));
  take('DigitsGeneratedEvent', ALICE, (e) => e.type === 'digitsGenerated');
  const c2 = unwrap(h.model.consultationCall(conn(first.callId, ALICE), '1008')).initiatedCall;
  unwrap(h.model.answerCall(conn(c2.callId, HENRY)));
  unwrap(h.model.transferCall(first, c2));
  take('TransferedEvent', HENRY, (e) => e.type === 'transferred');
  unwrap(h.model.setForwarding(EMMA, 'forwardNoAns', true, '1008', 12_000));
  take('ForwardingEvent', EMMA, (e) => e.type === 'forwarding');
  unwrap(h.model.setDoNotDisturb(HENRY, true));
  take('DoNotDisturbEvent', HENRY, (e) => e.type === 'doNotDisturb');
  const inbound = unwrap(h.model.placeInboundCall('+14155550123', '1001'));
  unwrap(h.model.deflectCall(conn(inbound.callId, ALICE), '1006'));
  take('DivertedEvent', ALICE, (e) => e.type === 'diverted');
  unwrap(h.model.makeCall(ALICE, DEMO_NUMBERS.busy));
  take('FailedEvent', ALICE, (e) => e.type === 'failed');
  unwrap(h.model.clearCallById(first.callId));
  take('CallClearedEvent', DAVE, (e) => e.type === 'callCleared' && e.callId === first.callId);
  h.model.dispose();
  return picked;
}

describe('CSTA events as a monitor receives them (golden vectors)', () => {
  const picked = scenario();
  it('covers every event type the simulator sends', () => {
    expect([...picked.keys()].sort()).toEqual(
      [
        'CallClearedEvent',
        'ConferencedEvent',
        'ConnectionClearedEvent',
        'DeliveredEvent',
        'DigitsGeneratedEvent',
        'DivertedEvent',
        'DoNotDisturbEvent',
        'EstablishedEvent',
        'FailedEvent',
        'ForwardingEvent',
        'HeldEvent',
        'OriginatedEvent',
        'RetrievedEvent',
        'ServiceInitiatedEvent',
        'TransferedEvent',
      ].sort(),
    );
  });
  for (const [name, { event, device }] of picked) {
    it(name, () => {
      const message =
        'parties' in event
          ? callEventMessage(event, 'm7', event.parties.find((p) => p.deviceId === device)?.state ?? 'null')
          : deviceEventMessage(event, 'm7', device);
      expect(message.type).toBe(name);
      const xml = encodeCsta(message);
      const file = new URL(`${name}.xml`, DIR);
      if (UPDATE) writeFileSync(file, `${xml}\n`);
      expect(existsSync(file), `${name}.xml exists (UPDATE_VECTORS=1 writes it)`).toBe(true);
      expect(xml).toBe(readFileSync(fileURLToPath(file), 'utf8').trimEnd());
      // And it decodes back to the same message (what the gateway's codec will see).
      expect(unwrap(decodeCsta(xml)).message).toEqual(message);
    });
  }

  it('converts ring durations to ring counts', () => {
    expect(ringCountOf(12_000)).toBe(2);
    expect(ringCountOf(1_000)).toBe(1);
    expect(ringCountOf(10_000_000)).toBe(100);
  });
});
