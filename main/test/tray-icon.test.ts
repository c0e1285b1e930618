import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOOLTIP_MAX, TRAY_ICON_FILES, TrayIconState, trayIconFile, trayIconFor } from '../src/tray-icon.js';
import { actions, call, desk, health, line } from './support/views.js';

describe('trayIconFor', () => {
  it.each([
    ['before the first state', null, 'ctiDown', /starting/],
    ['CTI down', desk({ cti: health('down') }), 'ctiDown', /CTI is down/],
    [
      'no line chosen',
      desk({ selectedLineId: null, session: { state: 'noLine' } }),
      'noLine',
      /no line chosen/,
    ],
    [
      'line failed',
      desk({ session: { state: 'failed', reason: 'not licensed' } }),
      'noLine',
      /not available: not licensed/,
    ],
    ['idle', desk(), 'idle', /1001 Alice Archer: ready/],
    ['CTI degraded', desk({ cti: health('degraded') }), 'ctiDegraded', /degraded/],
    ['recovering session', desk({ session: { state: 'recovering' } }), 'ctiDegraded', /degraded/],
    [
      'ringing',
      desk({ calls: [call({ callId: 'c', direction: 'inbound', state: 'ringing' })] }),
      'ringing',
      /call from Bob Baker \(2002\)/,
    ],
    ['dialling', desk({ calls: [call({ callId: 'c', state: 'alerting' })] }), 'onCall', /calling Bob Baker/],
    [
      'on a call',
      desk({ calls: [call({ callId: 'c', state: 'connected' })] }),
      'onCall',
      /on a call with Bob Baker/,
    ],
    [
      'on hold',
      desk({ calls: [call({ callId: 'c', state: 'held', remote: { number: '1005' } })] }),
      'onHold',
      /1005 on hold/,
    ],
  ] as const)('%s', (_name, state, expected, tooltip) => {
    const view = trayIconFor(state);
    expect(view.state).toBe(expected);
    expect(view.file).toBe(TRAY_ICON_FILES[expected]);
    expect(view.tooltip).toMatch(tooltip);
  });

  it('the most urgent state wins: down > ringing > on call > held > degraded', () => {
    const ringing = call({ callId: 'r', direction: 'inbound', state: 'ringing' });
    const connected = call({ callId: 'a', state: 'connected', actions: actions('hold') });
    const held = call({ callId: 'h', state: 'held' });
    expect(trayIconFor(desk({ calls: [held, connected, ringing], cti: health('down') })).state).toBe(
      'ctiDown',
    );
    expect(trayIconFor(desk({ calls: [held, connected, ringing] })).state).toBe('ringing');
    expect(trayIconFor(desk({ calls: [held, connected] })).tooltip).toMatch(/\(\+1 more\)/);
    expect(trayIconFor(desk({ calls: [held], cti: health('degraded') })).state).toBe('onHold');
    expect(trayIconFor(desk({ calls: [call({ callId: 'x', state: 'cleared' })] })).state).toBe('idle');
  });

  it('keeps tooltips within the Windows limit', () => {
    const long = line({ label: 'A'.repeat(200) });
    const view = trayIconFor(desk({ lines: [long], selectedLineId: long.id }));
    expect(view.tooltip.length).toBeLessThanOrEqual(TOOLTIP_MAX);
    expect(view.tooltip.endsWith('…')).toBe(true);
  });

  it('missed calls not yet seen: the same state with the dot, and a count in the tooltip', () => {
    const idle = trayIconFor(desk(), 2);
    expect(idle).toMatchObject({ state: 'idle', file: 'tray-idle-missed.png' });
    expect(idle.tooltip).toMatch(/ready · 2 missed calls$/);
    expect(trayIconFor(desk(), 1).tooltip).toMatch(/· 1 missed call$/);
    expect(trayIconFor(desk(), 0).file).toBe('tray-idle.png');
    expect(trayIconFor(null, 3).file).toBe('tray-cti-down-missed.png');
  });

  it('a call on another of the user’s lines is named with that line, not the chosen one', () => {
    const shared = line({ id: 'SEP00AABB000003:1004', dn: '1004', label: 'Support' });
    const ringing = { ...call({ callId: 'c', direction: 'inbound', state: 'ringing' }), lineId: shared.id };
    const view = trayIconFor(desk({ lines: [line(), shared], calls: [ringing as never] }));
    expect(view).toMatchObject({
      state: 'ringing',
      tooltip: 'Deskline — 1004 Support: call from Bob Baker (2002)',
    });
  });

  it('every state has its image (and @2x) in build/tray, with and without the missed dot', () => {
    for (const state of [
      ...Object.values(TrayIconState).map((s) => trayIconFile(s, 0)),
      ...Object.values(TrayIconState).map((s) => trayIconFile(s, 1)),
    ]) {
      const file = state;
      expect(existsSync(fileURLToPath(new URL(`../../build/tray/${file}`, import.meta.url))), file).toBe(
        true,
      );
      expect(
        existsSync(
          fileURLToPath(new URL(`../../build/tray/${file.replace('.png', '@2x.png')}`, import.meta.url)),
        ),
        file,
      ).toBe(true);
    }
  });
});
