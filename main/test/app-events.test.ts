import { describe, expect, it } from 'vitest';
import { AppEventLog } from '../src/app-events.js';
import { autostartDesktopEntry, autostartPath, quoteExecArgument } from '../src/login-item.js';

describe('AppEventLog', () => {
  it('waitFor sees past and future events, with a filter', async () => {
    let now = 100;
    const log = new AppEventLog(() => now);
    log.emit('engine.started', { mode: 'demo' });
    await expect(log.waitFor('engine.started')).resolves.toEqual({
      name: 'engine.started',
      at: 100,
      detail: { mode: 'demo' },
    });
    const later = log.waitFor('dial.started', (event) => event.detail['number'] === '2002');
    now = 200;
    log.emit('dial.started', { number: '1001' });
    log.emit('dial.started', { number: '2002' });
    await expect(later).resolves.toMatchObject({ at: 200, detail: { number: '2002' } });
    expect(log.list().map((e) => e.name)).toEqual(['engine.started', 'dial.started', 'dial.started']);
  });

  it('is bounded', () => {
    const log = new AppEventLog(() => 0);
    for (let i = 0; i < 600; i++) log.emit('dial.requested', { i });
    expect(log.list()).toHaveLength(500);
    expect(log.list()[0]?.detail['i']).toBe(100);
  });
});

describe('Linux autostart entry (XDG Autostart)', () => {
  it('lives in $XDG_CONFIG_HOME/autostart, else ~/.config/autostart', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/me')).toBe(
      '/cfg/autostart/dev.deskline.app.desktop',
    );
    expect(autostartPath({}, '/home/me')).toBe('/home/me/.config/autostart/dev.deskline.app.desktop');
    expect(autostartPath({ XDG_CONFIG_HOME: '' }, '/home/me')).toBe(
      '/home/me/.config/autostart/dev.deskline.app.desktop',
    );
  });

  it('starts the app hidden, quoting the Exec arguments per the Desktop Entry spec', () => {
    const entry = autostartDesktopEntry('/home/me/Apps/Deskline 1.0.AppImage');
    expect(entry.split('\n')).toContain('Exec="/home/me/Apps/Deskline 1.0.AppImage" --hidden');
    expect(entry.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    expect(quoteExecArgument('/usr/bin/deskline')).toBe('/usr/bin/deskline');
    expect(quoteExecArgument('a "b" $c `d` \\e 100%')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e 100%%"');
  });
});

describe('LaunchInbox', () => {
  it('queues launches until drained, in order, then hands them over directly; bounded', async () => {
    const { LaunchInbox, LAUNCH_INBOX_LIMIT } = await import('../src/launch-inbox.js');
    const inbox = new LaunchInbox();
    inbox.push({ kind: 'url', url: 'tel:1' });
    inbox.push({ kind: 'argv', argv: ['deskline', 'tel:2'] });
    const seen: string[] = [];
    inbox.drain((item) => seen.push(item.kind === 'url' ? item.url : item.argv.join(' ')));
    inbox.push({ kind: 'url', url: 'tel:3' });
    expect(seen).toEqual(['tel:1', 'deskline tel:2', 'tel:3']);
    const flooded = new LaunchInbox();
    for (let i = 0; i < LAUNCH_INBOX_LIMIT + 10; i++) flooded.push({ kind: 'url', url: `tel:${i}` });
    let count = 0;
    flooded.drain(() => (count += 1));
    expect(count).toBe(LAUNCH_INBOX_LIMIT);
  });
});
