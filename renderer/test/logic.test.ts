// The renderer's pure logic: formatting, call layout, keyboard map, dial suggestions,
// notices and the settings form.
import { describe, expect, it } from 'vitest';
import type {
  CallAction,
  CallView,
  DeskStateView,
  HistoryEntryView,
  SettingsView,
} from '../../common/src/api/views.js';
import {
  ACTION_LABEL,
  availability,
  conferenceSize,
  controlBlocked,
  dialBlocked,
  failureReason,
  focusCall,
  layoutCalls,
  neighbourOf,
  partyName,
} from '../src/lib/call-model.js';
import { lastDialled, newestMissedAt, unseenMissed } from '../src/lib/history.js';
import { formatDay, formatDuration, formatRtt, formatUptime, sparklinePoints } from '../src/lib/format.js';
import { shortcutFor, type KeyLike } from '../src/lib/keyboard.js';
import { addNotice, MAX_NOTICES, removeNotice } from '../src/lib/notices.js';
import { buildPatch, fieldErrorFromServer, formFromSettings } from '../src/lib/settings-form.js';
import { suggest } from '../src/lib/suggest.js';
import { createFixtureDesk } from './fixture-desk.js';

const ACTIONS: CallAction[] = [
  'answer',
  'decline',
  'hold',
  'retrieve',
  'hangup',
  'singleStepTransfer',
  'consult',
  'transfer',
  'conference',
  'alternate',
  'reconnect',
  'deflect',
  'digits',
];

function call(callId: string, state: CallView['state'], extra: Partial<CallView> = {}): CallView {
  return {
    callId,
    direction: 'outbound',
    state,
    remote: { number: callId },
    parties: [],
    conference: false,
    startedAt: 0,
    actions: Object.fromEntries(
      ACTIONS.map((a) => [a, { enabled: false, reason: `${a} off` }]),
    ) as CallView['actions'],
    ...extra,
  };
}

describe('format', () => {
  it('formats call durations, uptimes and RTTs', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_900)).toBe('0:07');
    expect(formatDuration(754_000)).toBe('12:34');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
    expect(formatUptime(40_000)).toBe('40 s');
    expect(formatUptime(5 * 60_000)).toBe('5 min');
    expect(formatUptime(2 * 3600_000 + 13 * 60_000)).toBe('2 h 13 min');
    expect(formatUptime(76 * 3600_000)).toBe('3 d 4 h');
    expect(formatRtt(undefined)).toBe('—');
    expect(formatRtt(0.84)).toBe('0.8 ms');
    expect(formatRtt(12.6)).toBe('13 ms');
  });

  it('scales a sparkline into its box, flat series in the middle, nothing for < 2 samples', () => {
    expect(sparklinePoints([], 100, 20)).toBe('');
    expect(sparklinePoints([5], 100, 20)).toBe('');
    expect(sparklinePoints([1, 3], 100, 20, 0)).toBe('0.0,20.0 100.0,0.0');
    expect(sparklinePoints([2, 2, 2], 100, 20, 0)).toBe('0.0,10.0 50.0,10.0 100.0,10.0');
    expect(sparklinePoints([1, Number.NaN, 3], 100, 20, 0)).toBe('0.0,20.0 100.0,0.0');
  });
});

describe('call layout', () => {
  it('separates ringing calls and pairs a consultation with its held call', () => {
    const original = call('a', 'held');
    const consultation = call('b', 'connected', { consultationOf: 'a' });
    const ringing = call('r', 'ringing', { direction: 'inbound' });
    const other = call('c', 'alerting');
    const layout = layoutCalls([original, ringing, consultation, other]);
    expect(layout.ringing.map((c) => c.callId)).toEqual(['r']);
    expect(layout.groups).toHaveLength(2);
    const pair = layout.groups[0];
    expect(pair?.kind).toBe('consultation');
    if (pair?.kind !== 'consultation') return;
    expect([pair.held.callId, pair.active.callId]).toEqual(['a', 'b']);
    expect(layout.groups[1]).toEqual({ kind: 'single', call: other });
  });

  it('follows an Alternate: the consultation held, the original active', () => {
    const layout = layoutCalls([call('a', 'connected'), call('b', 'held', { consultationOf: 'a' })]);
    const pair = layout.groups[0];
    if (pair?.kind !== 'consultation') throw new Error('expected a pair');
    expect([pair.held.callId, pair.active.callId]).toEqual(['b', 'a']);
  });

  it('shows a consultation whose original is gone as a single call', () => {
    const layout = layoutCalls([call('b', 'connected', { consultationOf: 'gone' })]);
    expect(layout.groups).toEqual([{ kind: 'single', call: expect.objectContaining({ callId: 'b' }) }]);
  });

  it('an outbound ringing call is not an incoming call', () => {
    expect(layoutCalls([call('x', 'ringing')]).ringing).toEqual([]);
  });

  it('picks the connected call for Alt+H / Alt+E, then a dialling one, then a held one', () => {
    expect(focusCall([call('h', 'held'), call('c', 'connected')])?.callId).toBe('c');
    expect(focusCall([call('h', 'held'), call('d', 'initiated')])?.callId).toBe('d');
    expect(focusCall([call('h', 'held')])?.callId).toBe('h');
    expect(focusCall([call('r', 'ringing', { direction: 'inbound' })])).toBeUndefined();
  });

  it('treats an action missing from an old engine as disabled with a reason', () => {
    const partial = call('p', 'connected');
    const { digits: _d, ...rest } = partial.actions;
    const old = { ...partial, actions: rest as CallView['actions'] };
    expect(availability(old, 'digits')).toEqual({ enabled: false, reason: 'Not offered for this call' });
  });

  it('names a conference after everyone in it, the party just added first', () => {
    const bob = { number: '1002', display: 'Bob Baker', state: 'connected' as const };
    const desk = { number: '1200', display: 'Help Desk', state: 'connected' as const };
    const conference = call('k', 'connected', {
      conference: true,
      remote: { number: '1200', display: 'Help Desk' },
      parties: [bob, desk],
    });
    expect(partyName(conference)).toBe('Help Desk and Bob Baker');
    expect(conferenceSize(conference)).toBe(3);
    const four = {
      ...conference,
      parties: [bob, desk, { number: '+14085550123', state: 'connected' as const }],
    };
    // A number is named as people write it (docs/ui.md §8).
    expect(partyName(four)).toBe('Help Desk, Bob Baker and +1 408 555 0123');
    expect(partyName(call('2002', 'connected', { remote: { number: '2002', display: ' ' } }))).toBe('2002');
  });

  it('says why a call failed in words (ECMA-269 event causes), nothing for an ordinary end', () => {
    expect(failureReason(call('f', 'failed', { cause: 'destNotObtainable' }))).toBe('Number not obtainable');
    expect(failureReason(call('f', 'failed', { cause: 'busy' }))).toBe('Busy');
    expect(failureReason(call('f', 'failed', { cause: 'someNewCause' }))).toBe('Some new cause');
    expect(failureReason(call('f', 'failed'))).toBeUndefined();
    expect(failureReason(call('e', 'cleared', { cause: 'normalClearing' }))).toBeUndefined();
    expect(failureReason(call('e', 'cleared', { cause: 'callNotAnswered' }))).toBe('No answer');
    expect(failureReason(call('c', 'connected', { cause: 'busy' }))).toBeUndefined();
  });
});

describe('keyboard', () => {
  const key = (k: Partial<KeyLike>): KeyLike => ({
    key: '',
    code: '',
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    ...k,
  });
  it('maps Alt+digit to screens and Alt+letters (by code) to call actions', () => {
    expect(shortcutFor(key({ altKey: true, code: 'Digit1', key: '¡' }), false)).toEqual({
      kind: 'screen',
      screen: 'calls',
    });
    expect(shortcutFor(key({ altKey: true, code: 'Digit6' }), true)).toEqual({
      kind: 'screen',
      screen: 'settings',
    });
    expect(shortcutFor(key({ altKey: true, code: 'Digit7' }), false)).toBeNull();
    expect(shortcutFor(key({ altKey: true, code: 'KeyA', key: 'å' }), true)).toEqual({ kind: 'answer' });
    expect(shortcutFor(key({ altKey: true, code: 'KeyD' }), false)).toEqual({ kind: 'decline' });
    expect(shortcutFor(key({ altKey: true, code: 'KeyH' }), false)).toEqual({ kind: 'holdToggle' });
    expect(shortcutFor(key({ altKey: true, code: 'KeyE' }), false)).toEqual({ kind: 'hangup' });
    expect(shortcutFor(key({ altKey: true, ctrlKey: true, code: 'KeyA' }), false)).toBeNull();
  });

  it('never hijacks "/" and "?" while typing in a field', () => {
    expect(shortcutFor(key({ key: '/' }), false)).toEqual({ kind: 'focusDial' });
    expect(shortcutFor(key({ key: '/' }), true)).toBeNull();
    expect(shortcutFor(key({ key: '?', shiftKey: true }), false)).toEqual({ kind: 'help' });
    expect(shortcutFor(key({ key: '?', shiftKey: true }), true)).toBeNull();
    expect(shortcutFor(key({ key: 'a' }), false)).toBeNull();
  });
});

describe('dial suggestions', () => {
  const favourites = [
    { name: 'Alice Example', number: '+1 408 555 0101' },
    { name: 'Service desk', number: '4000' },
  ];
  const history = [
    {
      id: 'h',
      callId: 'c',
      direction: 'inbound' as const,
      number: '2002',
      display: 'Carol Diaz',
      startedAt: 0,
      durationMs: 0,
      outcome: 'missed' as const,
    },
  ];
  it('matches favourites by name or digits, recent numbers and history names, de-duplicated', () => {
    expect(suggest('ali', favourites, [], history).map((s) => s.name)).toEqual(['Alice Example']);
    expect(suggest('4085550', favourites, ['+14085550101'], history).map((s) => s.number)).toEqual([
      '+1 408 555 0101',
    ]);
    expect(suggest('carol', favourites, [], history)).toEqual([
      { key: 'history:2002', name: 'Carol Diaz', number: '2002', source: 'history' },
    ]);
    expect(suggest('200', favourites, ['2002'], history)).toEqual([
      { key: 'recent:2002', number: '2002', source: 'recent' },
    ]);
    expect(suggest('  ', favourites, ['1'], history)).toEqual([]);
    expect(
      suggest('0', favourites, ['1000', '2000', '3000', '5000', '6000', '7000', '8000'], [], 6),
    ).toHaveLength(6);
  });
});

describe('notices', () => {
  it('collapses repeats, keeps the newest few, and removes by id', () => {
    let list = addNotice([], { level: 'error', message: 'down', at: 1 }, 1);
    list = addNotice(list, { level: 'error', message: 'down', at: 2 }, 2);
    expect(list).toEqual([{ level: 'error', message: 'down', at: 2, id: 1, repeat: 2 }]);
    for (let i = 0; i < 10; i += 1)
      list = addNotice(list, { level: 'info', message: `n${i}`, at: i }, 10 + i);
    expect(list).toHaveLength(MAX_NOTICES);
    expect(list[list.length - 1]?.message).toBe('n9');
    expect(removeNotice(list, 19).map((n) => n.message)).toEqual(['n6', 'n7', 'n8']);
  });
});

describe('settings form', () => {
  const settings: SettingsView = {
    ctiAddresses: ['cucm1.example.com:2748'],
    applicationUser: 'app',
    hasPassword: true,
    heartbeatIntervalSec: 30,
    userId: 'alice',
    favourites: [{ name: 'Bob', number: '2002' }],
    sipListenerEnabled: true,
    startAtLogin: false,
    theme: 'system',
    globalShortcut: 'Alt+D',
  };

  it('sends only what changed, and the password only when typed', () => {
    const form = formFromSettings(settings);
    expect(form.password).toBe('');
    expect(buildPatch(form, settings)).toEqual({ ok: true, patch: {}, changed: false });
    const edited = {
      ...form,
      heartbeatIntervalSec: ' 15 ',
      theme: 'dark' as const,
      ctiAddresses: [...form.ctiAddresses, ' [::1]:2748 '],
    };
    expect(buildPatch(edited, settings)).toEqual({
      ok: true,
      changed: true,
      patch: {
        heartbeatIntervalSec: 15,
        theme: 'dark',
        ctiAddresses: ['cucm1.example.com:2748', '[::1]:2748'],
      },
    });
    expect(buildPatch({ ...form, password: 's3cret' }, settings)).toEqual({
      ok: true,
      changed: true,
      patch: { password: 's3cret' },
    });
  });

  it('reports each bad field by its path, next to the field', () => {
    const form = formFromSettings(settings);
    const result = buildPatch(
      {
        ...form,
        ctiAddresses: ['good.example:1', 'no port', '', 'x:2', 'x:3', 'x:4', 'x:5', 'x:6', 'x:7'],
        heartbeatIntervalSec: '0',
        favourites: [{ name: '', number: '1' }],
      },
      settings,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toMatchObject({
      'ctiAddresses.1': 'Expected host:port, for example cucm1.example.com:2748',
      'ctiAddresses.2': 'Enter host:port, or remove this row',
      heartbeatIntervalSec: 'A whole number of seconds, 1 to 300',
      'favourites.0.name': 'A name of 1 to 80 characters',
    });
    expect(result.errors.ctiAddresses).toBe('At most 8 addresses');
    for (const bad of ['301', '1.5', 'ten', '']) {
      const r = buildPatch({ ...form, heartbeatIntervalSec: bad }, settings);
      expect(r.ok, bad).toBe(false);
    }
  });

  it('maps a refusal from the host to its field', () => {
    expect(fieldErrorFromServer('app.updateSettings: ctiAddresses.2: expected host:port')).toEqual({
      'ctiAddresses.2': 'expected host:port',
    });
    expect(fieldErrorFromServer('app.updateSettings: userId: unknown user')).toEqual({
      userId: 'unknown user',
    });
    expect(fieldErrorFromServer('storage is read-only')).toBeNull();
  });
});

describe('the fixture desk used by the screen tests', () => {
  // The history screen test expects two calls today and two yesterday; that must hold
  // whatever the local time of day the suite runs at (a fixed "80 minutes ago" is
  // yesterday before 01:20, which once failed CI at night).
  it.each([
    [0, 0],
    [0, 5],
    [1, 0],
    [2, 30],
    [12, 0],
    [23, 59],
  ])('groups its demo history as 2 today and 2 yesterday at %i:%i', async (hour, minute) => {
    const clock = new Date(2026, 2, 29, hour, minute).getTime(); // a DST change day in Europe
    const desk = createFixtureDesk({ now: () => clock });
    const entries = await desk.handlers['app.listHistory']({});
    const days = entries.map((e) => formatDay(e.startedAt, clock));
    expect(days).toEqual(['Today', 'Today', 'Yesterday', 'Yesterday']);
    for (const e of entries) expect(e.startedAt).toBeLessThanOrEqual(clock);
  });
});

describe('calls while the link is down', () => {
  const cti = (overall: DeskStateView['cti']['overall']): DeskStateView['cti'] => ({ overall, nodes: [] });
  const active = { state: 'active' as const };

  it('blocks every action with one reason while no CTI Manager is up or the line is reconnecting', () => {
    expect(controlBlocked({ cti: cti('up'), session: active })).toBeUndefined();
    expect(controlBlocked({ cti: cti('degraded'), session: active })).toBeUndefined();
    const down = controlBlocked({ cti: cti('down'), session: active });
    expect(down).toMatch(/^The link to the phone system is down/);
    expect(controlBlocked({ cti: cti('up'), session: { state: 'recovering' } })).toBe(down);
    const connected = call('c', 'connected', {
      actions: { ...call('c', 'connected').actions, hold: { enabled: true } },
    });
    expect(availability(connected, 'hold')).toEqual({ enabled: true });
    expect(availability(connected, 'hold', down)).toEqual({ enabled: false, reason: down });
  });

  it('says first what the user can do about dialling: choose a line, then wait for the link', () => {
    expect(dialBlocked({ cti: cti('down'), session: { state: 'noLine' } })).toBe(
      'Choose a line to control first',
    );
    expect(dialBlocked({ cti: cti('down'), session: active })).toMatch(/link to the phone system is down/);
    expect(dialBlocked({ cti: cti('up'), session: { state: 'starting' } })).toBe(
      'Your line is not ready yet',
    );
    expect(dialBlocked({ cti: cti('up'), session: active })).toBeUndefined();
  });
});

describe('focus after calls leave', () => {
  it('goes to the card after theirs, else the one before, else nowhere (the heading)', () => {
    const { groups } = layoutCalls([
      call('a', 'connected'),
      call('h', 'held'),
      call('b', 'connected', { consultationOf: 'h' }),
      call('c', 'alerting'),
    ]);
    // Groups: the consultation (h+b) first, then a, then c.
    expect(neighbourOf(groups, ['h', 'b'])).toEqual(['a']);
    expect(neighbourOf(groups, ['a'])).toEqual(['c']);
    expect(neighbourOf(groups, ['c'])).toEqual(['a']);
    expect(neighbourOf(groups, ['gone'])).toBeUndefined();
    expect(neighbourOf(layoutCalls([call('a', 'connected')]).groups, ['a'])).toBeUndefined();
  });
});

describe('words on buttons', () => {
  it('names no action after its CSTA service', () => {
    const labels = Object.values(ACTION_LABEL);
    for (const jargon of ['Deflect', 'Alternate', 'Reconnect', 'Consultation'])
      expect(
        labels.some((l) => l.includes(jargon)),
        jargon,
      ).toBe(false);
    expect(ACTION_LABEL.deflect).toBe('Send to…');
    expect(ACTION_LABEL.alternate).toBe('Swap');
  });
});

describe('missed calls and redial', () => {
  const entry = (id: string, extra: Partial<HistoryEntryView>): HistoryEntryView => ({
    id,
    callId: `c-${id}`,
    direction: 'inbound',
    number: '2002',
    startedAt: 0,
    durationMs: 0,
    outcome: 'answered',
    ...extra,
  });
  const history = [
    entry('1', { outcome: 'missed', startedAt: 100 }),
    entry('2', { outcome: 'answered', startedAt: 200 }),
    entry('3', { outcome: 'missed', startedAt: 300 }),
    entry('4', { direction: 'outbound', number: '+442071234567', startedAt: 250 }),
    entry('5', { direction: 'outbound', number: '1002', startedAt: 150 }),
  ];

  it('counts missed calls newer than the last one seen', () => {
    expect(unseenMissed(history, 0)).toBe(2);
    expect(unseenMissed(history, 100)).toBe(1);
    expect(unseenMissed(history, newestMissedAt(history))).toBe(0);
    expect(newestMissedAt(null)).toBe(0);
    expect(unseenMissed(null, 0)).toBe(0);
  });

  it('a declined call is not a missed one', () => {
    expect(unseenMissed([...history, entry('6', { outcome: 'declined', startedAt: 900 })], 0)).toBe(2);
  });

  it('redials the newest outbound call', () => {
    expect(lastDialled(history)?.number).toBe('+442071234567');
    expect(lastDialled(history.filter((e) => e.direction === 'inbound'))).toBeUndefined();
    expect(lastDialled(null)).toBeUndefined();
  });
});
