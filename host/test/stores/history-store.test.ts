import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CallAction,
  type ActionAvailability,
  type CallView,
  type DeskStateView,
  type HistoryEntryView,
} from '../../../common/src/api/views.js';
import { HistoryStore } from '../../src/stores/history-store.js';
import { FakeClock } from '../../../gateway/test/support/fake-clock.js';
import { MemoryLogger } from '../../../gateway/src/index.js';
import { FaultyFs } from './support/faulty-fs.js';

let dir: string;
let clock: FakeClock;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-history-'));
  clock = new FakeClock(Date.UTC(2026, 0, 1, 9));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (options: { limit?: number; fs?: FaultyFs } = {}): Promise<HistoryStore> =>
  HistoryStore.open({ dir, clock, logger: new MemoryLogger(), ...options });

const noActions = Object.fromEntries(
  CallAction.options.map((action) => [action, { enabled: false, reason: 'test' }]),
) as Record<CallAction, ActionAvailability>;

function call(
  callId: string,
  direction: CallView['direction'],
  state: CallView['state'],
  extra: Partial<CallView> = {},
): CallView {
  return {
    callId,
    direction,
    state,
    remote: {
      number: extra.remote?.number ?? '2002',
      ...(extra.remote?.display ? { display: extra.remote.display } : {}),
    },
    parties: [],
    conference: false,
    startedAt: Date.UTC(2026, 0, 1, 9),
    actions: noActions,
    ...extra,
  };
}

function desk(calls: CallView[]): DeskStateView {
  return {
    user: null,
    lines: [],
    selectedLineId: 'SEP001',
    session: { state: 'active' },
    calls,
    features: { forwarding: [], doNotDisturb: false },
    cti: { overall: 'up', nodes: [] },
  };
}

/** Feeds snapshots in order, moving the clock by `stepMs` between them. */
function play(store: HistoryStore, snapshots: CallView[][], stepMs = 1_000): void {
  for (const calls of snapshots) {
    store.observe(desk(calls));
    clock.advance(stepMs);
  }
}

describe('HistoryStore: entries from desk.state transitions', () => {
  it('an answered inbound call, with its connected duration', async () => {
    const store = await open();
    const t0 = clock.now();
    play(store, [
      [call('c1', 'inbound', 'ringing', { remote: { number: '2002', display: 'Bob' } })],
      [call('c1', 'inbound', 'connected', { connectedAt: t0 + 1_000 })],
      [call('c1', 'inbound', 'held', { connectedAt: t0 + 1_000 })],
      [
        call('c1', 'inbound', 'cleared', {
          connectedAt: t0 + 1_000,
          endedAt: t0 + 61_000,
          cause: 'normalClearing',
        }),
      ],
    ]);
    expect(store.list()).toEqual<HistoryEntryView[]>([
      {
        id: `c1@${t0}`,
        callId: 'c1',
        direction: 'inbound',
        number: '2002',
        display: 'Bob',
        startedAt: t0,
        durationMs: 60_000,
        outcome: 'answered',
      },
    ]);
    await store.dispose();
  });

  it('outcomes: missed, cancelled, failed (state or cause), answered without connectedAt', async () => {
    const store = await open();
    play(store, [
      [
        call('in', 'inbound', 'ringing'),
        call('out1', 'outbound', 'alerting'),
        call('out2', 'outbound', 'initiated'),
        call('out3', 'outbound', 'alerting'),
        call('out4', 'outbound', 'alerting'),
      ],
      [
        call('in', 'inbound', 'cleared', { cause: 'callPickup' }),
        call('out1', 'outbound', 'cleared', { cause: 'normalClearing' }),
        call('out2', 'outbound', 'failed', { cause: 'destNotObtainable' }),
        call('out3', 'outbound', 'cleared', { cause: 'busy' }),
        call('out4', 'outbound', 'connected'),
      ],
    ]);
    // out4 is still live; it answered, seen connected at t0+1s, and vanishes 30 s later.
    clock.advance(29_000);
    store.observe(desk([]));
    const byCall = Object.fromEntries(store.list().map((e) => [e.callId, e]));
    expect(byCall['in']?.outcome).toBe('missed');
    expect(byCall['out1']?.outcome).toBe('cancelled');
    expect(byCall['out2']?.outcome).toBe('failed');
    expect(byCall['out3']?.outcome).toBe('failed');
    expect(byCall['out4']).toMatchObject({ outcome: 'answered', durationMs: 30_000 });
    expect(byCall['in']?.durationMs).toBe(0);
    await store.dispose();
  });

  it('records a call once even while it lingers as cleared, and again if the ID is reused later', async () => {
    const store = await open();
    play(store, [
      [call('c1', 'outbound', 'alerting')],
      [call('c1', 'outbound', 'cleared')],
      [call('c1', 'outbound', 'cleared')],
      [],
      [call('c1', 'outbound', 'alerting', { startedAt: clock.now() })],
      [],
    ]);
    expect(store.list().map((e) => e.callId)).toEqual(['c1', 'c1']);
    await store.dispose();
  });

  it('a call that disappears without a final state ends when it disappears', async () => {
    const store = await open();
    play(store, [[call('c9', 'inbound', 'ringing')], []]);
    expect(store.list()[0]).toMatchObject({ callId: 'c9', outcome: 'missed' });
    await store.dispose();
  });

  it('is newest first, bounded, with recent distinct numbers', async () => {
    const store = await open({ limit: 5 });
    for (let i = 0; i < 8; i++) {
      const number = `10${i % 3}`;
      play(store, [[call(`c${i}`, 'outbound', 'alerting', { remote: { number } })], []]);
    }
    const list = store.list();
    expect(list.map((e) => e.callId)).toEqual(['c7', 'c6', 'c5', 'c4', 'c3']);
    expect(store.list(2).map((e) => e.callId)).toEqual(['c7', 'c6']);
    expect(store.recentNumbers()).toEqual(['101', '100', '102']);
    expect(store.recentNumbers(2)).toEqual(['101', '100']);
    await store.dispose();
  });

  it('persists across restarts, and clear() empties it (also on disk)', async () => {
    const store = await open();
    const changes: number[] = [];
    store.onChange((entries) => changes.push(entries.length));
    play(store, [[call('a', 'inbound', 'ringing')], [], [call('b', 'outbound', 'alerting')], []]);
    expect((await store.flush()).ok).toBe(true);
    await store.dispose();
    const again = await open();
    expect(again.list().map((e) => e.callId)).toEqual(['b', 'a']);
    expect((await again.clear()).ok).toBe(true);
    await again.dispose();
    expect((await open()).list()).toEqual([]);
    expect(changes).toEqual([1, 2]);
  });

  it('missed calls stay "not yet seen" until markSeen, across a restart', async () => {
    const store = await open();
    const changes: number[] = [];
    store.onChange(() => changes.push(store.unseenMissed()));
    play(store, [[call('m1', 'inbound', 'ringing', { startedAt: clock.now() })], []]);
    play(store, [
      [call('a1', 'inbound', 'connected', { startedAt: clock.now(), connectedAt: clock.now() })],
      [],
    ]);
    expect(store.unseenMissed()).toBe(1);
    expect((await store.markSeen()).ok).toBe(true);
    expect(store.unseenMissed()).toBe(0);
    // A later missed call is new again; seeing an older moment changes nothing.
    clock.advance(1_000);
    play(store, [[call('m2', 'inbound', 'ringing', { startedAt: clock.now() })], []]);
    expect(store.unseenMissed()).toBe(1);
    expect((await store.markSeen(Date.UTC(2020, 0, 1))).ok).toBe(true);
    expect(store.unseenMissed()).toBe(1);
    expect(changes).toEqual([1, 1, 0, 1]);
    await store.flush();
    await store.dispose();
    const again = await open();
    expect(again.unseenMissed()).toBe(1);
    await again.dispose();
  });

  it('a clear that cannot be saved keeps the history', async () => {
    const fs = new FaultyFs();
    const store = await open({ fs });
    play(store, [[call('a', 'inbound', 'ringing')], []]);
    await store.flush();
    fs.failAt('writeFileSynced');
    const result = await store.clear();
    expect(result.ok).toBe(false);
    expect(store.list()).toHaveLength(1);
    await store.dispose();
  });
});
