// First start at the user's line: the only line chosen by itself, else the one chosen last
// time, else the picker; nothing for a user with no line; the line chosen is remembered.
import { describe, expect, it } from 'vitest';
import type { DeskStateView, LineAppearanceView } from '../../common/src/api/views.js';
import { MemoryLogger, ok, type Result } from '../../gateway/src/index.js';
import { LineKeeper, startLineFor } from '../src/line-keeper.js';

const line = (id: string, controllable = true): LineAppearanceView => ({
  id,
  deviceName: id.split('/')[0] ?? id,
  deviceModel: 'Cisco 8851',
  deviceDescription: 'desk',
  dn: id.split('/')[1] ?? '1000',
  partition: 'INTERNAL',
  lineUri: 'tel:1000',
  label: 'Line',
  shared: false,
  sharedWith: [],
  controllable,
});

const state = (lines: LineAppearanceView[], extra: Partial<DeskStateView> = {}): DeskStateView => ({
  user: { userId: 'carol', displayName: 'Carol Chen', licence: 'UCL' },
  lines,
  selectedLineId: null,
  session: { state: 'noLine' },
  calls: [],
  features: { forwarding: [], doNotDisturb: false },
  cti: { overall: 'up', nodes: [] },
  ...extra,
});

const A = 'SEP1/1003/INTERNAL';
const B = 'SEP1/1004/INTERNAL';
const LAB = 'SEP9/1017/INTERNAL';

describe('startLineFor', () => {
  it('chooses the only line, else the remembered one, else asks', () => {
    expect(startLineFor(state([line(A), line(LAB, false)]), undefined)).toEqual({
      kind: 'choose',
      lineId: A,
      why: 'onlyLine',
    });
    expect(startLineFor(state([line(A), line(B)]), B)).toEqual({
      kind: 'choose',
      lineId: B,
      why: 'remembered',
    });
    expect(startLineFor(state([line(A), line(B)]), LAB)).toEqual({ kind: 'picker' });
    expect(startLineFor(state([line(A), line(B)]), undefined)).toEqual({ kind: 'picker' });
  });

  it('has nothing to choose without a controllable line, and waits for the directory', () => {
    expect(startLineFor(state([line(LAB, false)]), LAB)).toEqual({ kind: 'none' });
    expect(
      startLineFor(state([], { user: null, access: { code: 'unknownUser', detail: '' } }), undefined),
    ).toEqual({ kind: 'none' });
    expect(
      startLineFor(state([], { user: null, access: { code: 'directoryNotLoaded', detail: '' } }), undefined),
    ).toEqual({ kind: 'wait' });
  });
});

describe('LineKeeper', () => {
  function keeper(remembered?: string) {
    const saved = new Map<string, string>(remembered === undefined ? [] : [['carol', remembered]]);
    const selected: string[] = [];
    const k = new LineKeeper({
      userId: 'carol',
      settings: {
        rememberedLine: (user) => saved.get(user),
        rememberLine: (user, lineId): Promise<Result<void>> => {
          saved.set(user, lineId);
          return Promise.resolve(ok(undefined));
        },
      },
      selectLine: (lineId) => {
        selected.push(lineId);
        return Promise.resolve();
      },
      logger: new MemoryLogger(),
    });
    return { k, saved, selected };
  }

  it('chooses once at start, and again after a new desk is attached', () => {
    const { k, selected } = keeper(B);
    k.observe(state([], { user: null, access: { code: 'directoryNotLoaded', detail: '' } }));
    expect(selected).toEqual([]);
    k.observe(state([line(A), line(B)]));
    k.observe(state([line(A), line(B)]));
    expect(selected).toEqual([B]);
    k.reset();
    k.observe(state([line(A), line(B)]));
    expect(selected).toEqual([B, B]);
  });

  it('remembers a line that is up, and never overrides a line the user chose', () => {
    const { k, saved, selected } = keeper();
    k.observe(state([line(A), line(B)]));
    expect(selected).toEqual([]); // the picker: nothing remembered
    k.observe(state([line(A), line(B)], { selectedLineId: A, session: { state: 'starting' } }));
    expect(saved.get('carol')).toBeUndefined();
    k.observe(state([line(A), line(B)], { selectedLineId: A, session: { state: 'active' } }));
    expect(saved.get('carol')).toBe(A);
    k.observe(state([line(A), line(B)], { selectedLineId: B, session: { state: 'active' } }));
    expect(saved.get('carol')).toBe(B);
    expect(selected).toEqual([]);
  });
});
