import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { methods, parseRequest } from '../../common/src/api/contract.js';
import { createAppHandlers, type AppHandlers } from '../src/app-handlers.js';
import { HistoryStore } from '../src/stores/history-store.js';
import { MemorySecretStore } from '../src/stores/secret-store.js';
import { SettingsStore } from '../src/stores/settings-store.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { isDesklineError, MemoryLogger } from '../../gateway/src/index.js';

let dir: string;
let settings: SettingsStore;
let history: HistoryStore;
let hidden = 0;
let handlers: AppHandlers;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-app-'));
  const logger = new MemoryLogger();
  settings = await SettingsStore.open({ dir, secrets: new MemorySecretStore(), logger });
  history = await HistoryStore.open({ dir, clock: new FakeClock(), logger });
  hidden = 0;
  handlers = createAppHandlers({ settings, history, hideWindow: () => (hidden += 1) });
});
afterEach(async () => {
  await settings.dispose();
  await history.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('app.* handlers', () => {
  it('answer with what the contract says (responses validate against the method table)', async () => {
    const answers: Array<[keyof AppHandlers, unknown]> = [
      ['app.getSettings', await handlers['app.getSettings']({})],
      ['app.updateSettings', await handlers['app.updateSettings']({ userId: 'alice' })],
      ['app.listHistory', await handlers['app.listHistory']({})],
      ['app.clearHistory', await handlers['app.clearHistory']({})],
      [
        'app.setFavourites',
        await handlers['app.setFavourites']({ favourites: [{ name: 'Desk', number: '1001' }] }),
      ],
      ['app.recentNumbers', await handlers['app.recentNumbers']({})],
      ['app.hideWindow', await handlers['app.hideWindow']({})],
      ['app.getMissedCalls', await handlers['app.getMissedCalls']({})],
      ['app.markMissedSeen', await handlers['app.markMissedSeen']({ upTo: 0 })],
      ['app.getHostInfo', await handlers['app.getHostInfo']({})],
    ];
    for (const [method, answer] of answers)
      expect(methods[method].response.safeParse(answer).success, method).toBe(true);
    expect(settings.get()).toMatchObject({ userId: 'alice', favourites: [{ name: 'Desk', number: '1001' }] });
    expect(hidden).toBe(1);
  });

  it('a refused update throws a coded DesklineError', async () => {
    const request = parseRequest('app.updateSettings', { globalShortcut: 'Q' });
    expect(request.ok).toBe(true);
    if (!request.ok) return;
    const failure = await Promise.resolve(handlers['app.updateSettings'](request.value)).catch(
      (error: unknown) => error,
    );
    expect(isDesklineError(failure, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('says the desktop applies every setting, and refuses to ring a phone outside demo mode', async () => {
    expect(await handlers['app.getHostInfo']({})).toMatchObject({ kind: 'desktop', demo: false });
    expect((await handlers['app.getHostInfo']({})).settings).toContain('ctiAddresses');
    const refused = await Promise.resolve(handlers['app.ringMyPhone']({})).catch((e: unknown) => e);
    expect(isDesklineError(refused, 'INVALID_STATE')).toBe(true);
    const rung: Array<string | undefined> = [];
    const demo = createAppHandlers({
      settings,
      history,
      hideWindow: () => undefined,
      hostInfo: () => ({ kind: 'browserShell', settings: ['theme'], demo: true }),
      ringMyPhone: async (lineId) => void rung.push(lineId),
    });
    expect(await demo['app.ringMyPhone']({ lineId: 'L1' })).toEqual({ ok: true });
    expect(rung).toEqual(['L1']);
  });
});
