import { describe, expect, it } from 'vitest';
import { unwrap } from '../../gateway/src/protocol.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { CallModel } from '../src/call-model.js';
import { buildClusterModel } from '../src/model.js';
import {
  DEMO_NUMBERS,
  demoCluster,
  generateCluster,
  generatedDeviceName,
  generatedDn,
} from '../src/demo-cluster.js';

describe('demo cluster invariants', () => {
  const model = demoCluster();

  it('has at least 6 users, one of them without an IM and Presence licence', () => {
    expect(model.users.length).toBeGreaterThanOrEqual(6);
    expect(model.users.filter((u) => u.licence === null).map((u) => u.id)).toEqual(['frank']);
    for (const u of model.users) expect(u.controlledDevices.length).toBeGreaterThan(0);
  });

  it('has 8+ devices of several models', () => {
    expect(model.devices.length).toBeGreaterThanOrEqual(8);
    expect(new Set(model.devices.map((d) => d.model)).size).toBeGreaterThanOrEqual(4);
  });

  it('has a shared line on two devices', () => {
    const shared = model.lines.filter((l) => l.appearances.length >= 2);
    expect(shared.map((l) => l.dn)).toContain('1004');
    expect(model.line('1004', 'INTERNAL')?.appearances.map((a) => a.device.name)).toEqual([
      'SEP00AABB000004',
      'SEP00AABB000003',
    ]);
  });

  it('has a user with three line appearances on two devices', () => {
    const carol = model.user('carol');
    const appearances = carol?.controlledDevices.flatMap((d) => d.appearances) ?? [];
    expect(appearances.length).toBe(3);
    expect(new Set(appearances.map((a) => a.device.name)).size).toBe(2);
  });

  it('has a device whose CTI control is disallowed', () => {
    expect(model.devices.filter((d) => !d.ctiAllowed).map((d) => d.name)).toEqual(['SEP00AABB000017']);
  });

  it('has a couple of auto-answer lines', () => {
    expect(model.lines.filter((l) => l.autoAnswerMs !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('has far ends that are busy, never answer, answer slowly and are invalid', () => {
    expect(model.farEndRule(DEMO_NUMBERS.busy).behaviour).toBe('busy');
    expect(model.farEndRule(DEMO_NUMBERS.noAnswer).behaviour).toBe('noAnswer');
    expect(model.farEndRule(DEMO_NUMBERS.slowAnswer)).toMatchObject({
      behaviour: 'answer',
      answerAfterMs: 15_000,
    });
    expect(model.farEndRule(DEMO_NUMBERS.invalid).behaviour).toBe('invalid');
    expect(model.farEndRule(DEMO_NUMBERS.answers)).toMatchObject({
      behaviour: 'answer',
      answerAfterMs: model.defaultAnswerAfterMs,
    });
  });

  it('every appearance ID has the documented form and resolves back', () => {
    for (const d of model.devices)
      for (const a of d.appearances) {
        expect(a.id).toBe(`${d.name}/${a.line.dn}/${a.line.partition}`);
        expect(model.appearance(a.id)).toBe(a);
      }
  });
});

describe('generateCluster', () => {
  it('builds 100,000 users quickly enough for benchmarks, and the model works on it', () => {
    const config = generateCluster({
      users: 100_000,
      autoAnswerMs: 10,
      sharedEvery: 1_000,
      unlicensedEvery: 100,
    });
    const model = unwrap(buildClusterModel(config));
    expect(model.summary()).toMatchObject({
      users: 100_000,
      devices: 100_000,
      lines: 100_000,
      licensedUsers: 99_000,
      sharedLines: 99,
    });
    const clock = new FakeClock();
    const calls = new CallModel({ cluster: model, clock });
    const from = `${generatedDeviceName(5)}/${generatedDn(5)}/INTERNAL`;
    const { callingDevice } = unwrap(calls.makeCall(from, generatedDn(99_999)));
    clock.advance(10);
    expect(calls.call(callingDevice.callId)?.connections.map((c) => c.state)).toEqual([
      'connected',
      'connected',
    ]);
    calls.dispose();
  });

  it('names are valid and unique', () => {
    const config = generateCluster({ users: 3 });
    expect(config.devices.map((d) => d.name)).toEqual([
      'SEP0A0000000001',
      'SEP0A0000000002',
      'SEP0A0000000003',
    ]);
    expect(buildClusterModel(config).ok).toBe(true);
  });
});
