// The refresh loop every provider shares (docs/directory.md §2), driven by a scripted source:
// the state machine, one load at a time, wrapping of unexpected throws, listeners that throw,
// disposal in the middle of a load. The LDAP specifics are tested against slapd.
import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../src/cti-link/directory-codec.js';
import {
  DirectoryError,
  DirectoryProblem,
  DirectoryProviderState,
  DirectoryRefresher,
  type DirectoryContent,
} from '../../src/directory/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLogger } from '../../src/util/logger.js';

const user = (id: string): DirectoryUser => ({ id, displayName: id, licence: 'CUWL', controlledDevices: [] });
const content = (n: number): DirectoryContent => ({
  users: Array.from({ length: n }, (_, i) => user(`u${i}`)),
  devices: [],
  findings: new Map(),
});

function refresher(fetch: () => Promise<DirectoryContent>) {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const r = new DirectoryRefresher({
    kind: 'file',
    source: 'test source',
    clock,
    logger,
    intervalMs: 60_000,
    retryMs: 5_000,
    maxShrinkPercent: 50,
    allowEmpty: false,
    settings: { empty: 'x.empty', shrink: 'x.shrink' },
    fetch,
  });
  return { r, clock, logger };
}

describe('DirectoryRefresher', () => {
  it('starting → failed → ready → degraded → ready, with the retry and refresh delays', async () => {
    const script: (() => Promise<DirectoryContent>)[] = [
      () => Promise.reject(new Error('boom')),
      () => Promise.resolve(content(4)),
      () => Promise.reject(new DirectoryError(DirectoryProblem.Unavailable, 'gone', { setting: 'x.urls' })),
      () => Promise.resolve(content(3)),
    ];
    const { r, clock } = refresher(() => (script.shift() ?? (() => Promise.resolve(content(3))))());
    expect(r.state).toBe(DirectoryProviderState.Starting);
    r.start();
    const first = await r.load(); // shares the load start() began
    expect(first.kind).toBe('failed');
    if (first.kind === 'failed') {
      // An unexpected throw is wrapped, never lost.
      expect(first.error).toBeInstanceOf(DirectoryError);
      expect(first.error.message).toBe('directory load failed: boom');
    }
    expect(r.state).toBe(DirectoryProviderState.Failed);
    await Promise.resolve();
    expect(r.status().nextRefreshAt).toBe(clock.now() + 5_000);

    const ready = new Promise((resolve) => r.onSnapshot(resolve));
    clock.advance(5_000);
    await ready;
    expect(r.state).toBe(DirectoryProviderState.Ready);
    await Promise.resolve();
    expect(r.status().nextRefreshAt).toBe(clock.now() + 60_000);

    expect((await r.load()).kind).toBe('failed');
    expect(r.state).toBe(DirectoryProviderState.Degraded);
    expect(r.current()?.users).toHaveLength(4);
    expect(r.status().lastError).toEqual({
      problem: DirectoryProblem.Unavailable,
      message: 'gone (check x.urls)',
      setting: 'x.urls',
    });

    expect((await r.load()).kind).toBe('accepted'); // 4 → 3 is within 50%
    expect(r.state).toBe(DirectoryProviderState.Ready);
    await r.dispose();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('one load at a time; a throwing listener breaks nothing; disposal mid-load leaves nothing', async () => {
    let calls = 0;
    let release: (c: DirectoryContent) => void = () => undefined;
    const { r, clock, logger } = refresher(() => {
      calls++;
      return new Promise<DirectoryContent>((resolve) => (release = resolve));
    });
    r.onSnapshot(() => {
      throw new Error('listener bug');
    });
    const a = r.load();
    const b = r.load();
    expect(a).toBe(b);
    release(content(2));
    expect((await a).kind).toBe('accepted');
    expect(calls).toBe(1);
    expect(logger.find('directory snapshot listener threw')).toHaveLength(1);

    const pending = r.load();
    const disposed = r.dispose();
    release(content(2));
    await disposed;
    const outcome = await pending;
    expect(outcome.kind).toBe('failed');
    if (outcome.kind === 'failed') expect(outcome.error.problem).toBe(DirectoryProblem.Disposed);
    expect(r.state).toBe(DirectoryProviderState.Disposed);
    expect(clock.pendingTimers()).toBe(0);
  });
});
