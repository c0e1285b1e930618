import { describe, expect, it } from 'vitest';
import {
  buildTrayMenu,
  dialBlocker,
  toMenuTemplate,
  type MenuItemModel,
  type TrayAction,
} from '../src/tray-menu.js';
import { actions, call, desk, health, line } from './support/views.js';

const favourites = [
  { name: 'Reception', number: '1005' },
  { name: 'Help desk', number: '1200' },
];

function find(menu: readonly MenuItemModel[], id: string): MenuItemModel {
  for (const entry of menu) {
    if (entry.id === id) return entry;
    if (entry.submenu) {
      const inner = find(entry.submenu, id);
      if (inner.id === id) return inner;
    }
  }
  return { id: '(missing)', kind: 'header', label: '', enabled: false };
}
const labels = (menu: readonly MenuItemModel[]): string[] =>
  menu.filter((e) => e.kind !== 'separator').map((e) => e.label);

describe('buildTrayMenu', () => {
  it('idle with a line: line, change line, dial entries, status, settings, quit', () => {
    const menu = buildTrayMenu({ desk: desk(), favourites, recentNumbers: ['2002', '+14085550100'] });
    expect(labels(menu)).toEqual([
      'Open Deskline',
      'Line 1001 Alice Archer — Alice Archer - desk',
      'Change line…',
      'Dial…',
      'Recent',
      'Favourites',
      'Dial number from clipboard',
      'CTI status: up…',
      'Call history…',
      'Settings…',
      'Quit Deskline',
    ]);
    expect(find(menu, 'recent').submenu?.map((e) => e.action)).toEqual([
      { type: 'dial', number: '2002' },
      { type: 'dial', number: '+14085550100' },
    ]);
    expect(find(menu, 'favourites').submenu?.map((e) => [e.label, e.action])).toEqual([
      ['Reception (1005)', { type: 'dial', number: '1005' }],
      ['Help desk (1200)', { type: 'dial', number: '1200' }],
    ]);
    expect(find(menu, 'dial:clipboard')).toMatchObject({ enabled: true, action: { type: 'dialClipboard' } });
    expect(find(menu, 'quit').action).toEqual({ type: 'quit' });
    expect(find(menu, 'health').action).toEqual({ type: 'navigate', screen: 'health' });
    expect(find(menu, 'settings').action).toEqual({ type: 'navigate', screen: 'settings' });
  });

  it('no line chosen: dialling is disabled with the reason; empty lists say so', () => {
    const menu = buildTrayMenu({
      desk: desk({ selectedLineId: null, session: { state: 'noLine' } }),
      favourites: [],
      recentNumbers: [],
    });
    expect(find(menu, 'line').label).toBe('No line chosen');
    expect(find(menu, 'line:change')).toMatchObject({
      label: 'Choose a line…',
      enabled: true,
      action: { type: 'navigate', screen: 'lines' },
    });
    expect(find(menu, 'dial')).toMatchObject({ enabled: false, reason: 'Choose a line first' });
    expect(find(menu, 'dial:clipboard')).toMatchObject({ enabled: false, reason: 'Choose a line first' });
    expect(find(menu, 'recent')).toMatchObject({ enabled: false, reason: 'No recent calls' });
    expect(find(menu, 'favourites')).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/Settings/),
    });
  });

  it('CTI down and before the first state: disabled, saying why', () => {
    expect(dialBlocker(desk({ cti: health('down') }))).toBe('CTI is down');
    expect(dialBlocker(null)).toBe('Deskline is starting');
    expect(dialBlocker(desk({ session: { state: 'failed', reason: 'No IM and Presence licence' } }))).toBe(
      'No IM and Presence licence',
    );
    expect(dialBlocker(desk({ session: { state: 'starting' } }))).toBe('The line is starting');
    const menu = buildTrayMenu({ desk: null, favourites, recentNumbers: ['1'] });
    expect(find(menu, 'recent:0')).toMatchObject({ enabled: false, reason: 'Deskline is starting' });
    expect(find(menu, 'health').label).toBe('CTI status…');
  });

  it('ringing: Answer and Decline first, as the call allows', () => {
    const ringing = call({
      callId: 'c1',
      direction: 'inbound',
      state: 'ringing',
      actions: actions('answer', 'decline', 'deflect'),
    });
    const menu = buildTrayMenu({ desk: desk({ calls: [ringing] }), favourites, recentNumbers: [] });
    const ids = menu.map((e) => e.id);
    expect(ids.indexOf('call:c1:answer')).toBeLessThan(ids.indexOf('dial'));
    expect(find(menu, 'call:c1:header').label).toBe('Incoming call from Bob Baker (2002)');
    expect(find(menu, 'call:c1:answer')).toMatchObject({
      enabled: true,
      action: { type: 'answer', callId: 'c1' },
    });
    expect(find(menu, 'call:c1:decline')).toMatchObject({
      enabled: true,
      action: { type: 'decline', callId: 'c1' },
    });
  });

  it('on a call: Hold, Transfer to favourites or a number, Conference (explained), Hang up', () => {
    const active = call({
      callId: 'c1',
      state: 'connected',
      actions: actions('hold', 'hangup', 'singleStepTransfer', 'consult'),
    });
    const menu = buildTrayMenu({ desk: desk({ calls: [active] }), favourites, recentNumbers: [] });
    expect(find(menu, 'call:c1:header').label).toBe('On call with Bob Baker (2002)');
    expect(find(menu, 'call:c1:hold')).toMatchObject({
      label: 'Hold',
      enabled: true,
      action: { type: 'hold', callId: 'c1' },
    });
    const transfer = find(menu, 'call:c1:transfer');
    expect(transfer.enabled).toBe(true);
    expect(transfer.submenu?.filter((e) => e.kind === 'action').map((e) => e.action)).toEqual([
      { type: 'transfer', callId: 'c1', to: '1005' },
      { type: 'transfer', callId: 'c1', to: '1200' },
      { type: 'navigate', screen: 'calls' },
    ]);
    expect(find(menu, 'call:c1:conference')).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/Hold this call/),
    });
    expect(find(menu, 'call:c1:hangup')).toMatchObject({
      enabled: true,
      action: { type: 'hangup', callId: 'c1' },
    });
  });

  it('one held and one active: Resume on the held, Conference joins them', () => {
    const held = call({
      callId: 'h',
      state: 'held',
      remote: { number: '1005' },
      actions: actions('retrieve', 'hangup'),
    });
    const active = call({
      callId: 'a',
      state: 'connected',
      actions: actions('hold', 'hangup', 'conference', 'transfer'),
    });
    const menu = buildTrayMenu({ desk: desk({ calls: [held, active] }), favourites: [], recentNumbers: [] });
    expect(find(menu, 'call:h:header').label).toBe('On hold: 1005');
    expect(find(menu, 'call:h:retrieve')).toMatchObject({
      label: 'Resume',
      enabled: true,
      action: { type: 'retrieve', callId: 'h' },
    });
    expect(find(menu, 'call:a:conference')).toMatchObject({
      label: 'Conference with 1005',
      enabled: true,
      action: { type: 'conference', heldCallId: 'h', activeCallId: 'a' },
    });
  });

  it("disabled call actions carry the engine's reason; transfer disabled as a whole", () => {
    const active = call({ callId: 'c1', state: 'alerting', actions: actions('hangup') });
    const menu = buildTrayMenu({ desk: desk({ calls: [active] }), favourites, recentNumbers: [] });
    expect(find(menu, 'call:c1:header').label).toBe('Calling Bob Baker (2002)…');
    expect(find(menu, 'call:c1:hold')).toMatchObject({ enabled: false, reason: 'hold not possible now' });
    expect(find(menu, 'call:c1:transfer')).toMatchObject({
      enabled: false,
      reason: 'singleStepTransfer not possible now',
    });
  });

  it('cleared and failed calls are not shown', () => {
    const menu = buildTrayMenu({
      desk: desk({
        calls: [call({ callId: 'x', state: 'cleared' }), call({ callId: 'y', state: 'failed' })],
      }),
      favourites: [],
      recentNumbers: [],
    });
    expect(menu.some((e) => e.id.startsWith('call:'))).toBe(false);
  });

  it('missed calls are counted on Call history; calls say their line when the user has several', () => {
    const shared = line({ id: 'SEP00AABB000003:1004', dn: '1004', label: 'Support' });
    const ringing = {
      ...call({ callId: 'c', direction: 'inbound', state: 'ringing', actions: actions('answer', 'decline') }),
      lineId: shared.id,
    };
    const menu = buildTrayMenu({
      desk: desk({ lines: [line(), shared], calls: [ringing as never] }),
      favourites: [],
      recentNumbers: [],
      missed: 3,
    });
    expect(find(menu, 'history').label).toBe('Call history — 3 missed calls…');
    expect(find(menu, 'call:c:header').label).toBe('Incoming call from Bob Baker (2002) on 1004');
    const one = buildTrayMenu({ desk: desk(), favourites: [], recentNumbers: [], missed: 0 });
    expect(find(one, 'history').label).toBe('Call history…');
  });

  it('updates: check, download, restart — the restart disabled during a call, saying why', () => {
    const base = { desk: desk(), favourites: [], recentNumbers: [] };
    const at = (update: Parameters<typeof buildTrayMenu>[0]['update']) =>
      find(buildTrayMenu({ ...base, update }), 'update');
    expect(find(buildTrayMenu(base), 'update').id).toBe('(missing)');
    expect(at({ state: 'disabled', currentVersion: '0.1.0' }).id).toBe('(missing)');
    expect(at({ state: 'idle', currentVersion: '0.1.0' })).toMatchObject({
      label: 'Check for updates',
      enabled: true,
      action: { type: 'checkForUpdates' },
    });
    expect(at({ state: 'checking', currentVersion: '0.1.0' })).toMatchObject({
      enabled: false,
      reason: 'Checking now',
    });
    expect(at({ state: 'available', currentVersion: '0.1.0', version: '0.2.0' })).toMatchObject({
      label: 'Download Deskline 0.2.0',
      action: { type: 'downloadUpdate' },
    });
    expect(
      at({ state: 'downloading', currentVersion: '0.1.0', version: '0.2.0', percent: 40 }),
    ).toMatchObject({
      label: 'Downloading Deskline 0.2.0… 40 %',
      enabled: false,
    });
    expect(at({ state: 'downloaded', currentVersion: '0.1.0', version: '0.2.0' })).toMatchObject({
      label: 'Restart to update to 0.2.0',
      enabled: true,
      action: { type: 'installUpdate' },
    });
    expect(
      at({
        state: 'downloaded',
        currentVersion: '0.1.0',
        version: '0.2.0',
        restartBlocker: 'Finish your calls first',
      }),
    ).toMatchObject({ enabled: false, reason: 'Finish your calls first' });
  });

  it('item ids are unique', () => {
    const calls = [
      call({ callId: 'r', direction: 'inbound', state: 'ringing', actions: actions('answer') }),
      call({ callId: 'h', state: 'held', actions: actions('retrieve') }),
      call({ callId: 'a', state: 'connected', actions: actions('hold', 'conference') }),
    ];
    const menu = buildTrayMenu({
      desk: desk({ calls, lines: [line(), line({ id: 'other', dn: '1003' })] }),
      favourites,
      recentNumbers: ['1', '2'],
    });
    const ids: string[] = [];
    const walk = (items: readonly MenuItemModel[]): void =>
      items.forEach((e) => {
        ids.push(e.id);
        if (e.submenu) walk(e.submenu);
      });
    walk(menu);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('toMenuTemplate', () => {
  it('maps the model to Electron items whose clicks dispatch the action', () => {
    const dispatched: TrayAction[] = [];
    const menu = buildTrayMenu({
      desk: desk({ selectedLineId: null, session: { state: 'noLine' } }),
      favourites,
      recentNumbers: [],
    });
    const template = toMenuTemplate(menu, (action) => dispatched.push(action));
    const quit = template.find((entry) => entry.id === 'quit');
    (quit?.click as (() => void) | undefined)?.();
    expect(dispatched).toEqual([{ type: 'quit' }]);
    expect(template.find((entry) => entry.id === 'dial')).toMatchObject({
      enabled: false,
      toolTip: 'Choose a line first',
      sublabel: 'Choose a line first',
    });
    expect(template.find((entry) => entry.id === 'sep:dial')).toEqual({ id: 'sep:dial', type: 'separator' });
    expect(template.find((entry) => entry.id === 'line')).toMatchObject({ enabled: false });
    const favouritesItem = template.find((entry) => entry.id === 'favourites');
    expect(Array.isArray(favouritesItem?.submenu) && favouritesItem.submenu.length).toBe(2);
  });
});
