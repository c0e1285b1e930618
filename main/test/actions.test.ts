import { describe, expect, it } from 'vitest';
import type { DeskStateView, NoticeView } from '../../common/src/api/views.js';
import { DesklineError, ErrorCode, MemoryLogger } from '../../gateway/src/index.js';
import { createActions, type DeskCommands } from '../src/actions.js';
import type { Screen } from '../src/tray-menu.js';
import { call, desk } from './support/views.js';

function setup(
  options: {
    state?: DeskStateView | null;
    clipboard?: string;
    selection?: string;
    desk?: Partial<DeskCommands> | null;
  } = {},
) {
  const commands: Array<[string, unknown]> = [];
  const notices: Array<{ level: NoticeView['level']; message: string; code?: string }> = [];
  const screens: Array<[Screen, string | undefined]> = [];
  let shown = 0;
  let quit = 0;
  const record =
    <T>(name: string, answer: T) =>
    (request: unknown): T => {
      commands.push([name, request]);
      return answer;
    };
  const ok = { ok: true as const };
  const deskCommands: DeskCommands = {
    'desk.makeCall': (request) => {
      commands.push(['desk.makeCall', request]);
      return call({ callId: 'c1', state: 'initiated', remote: { number: request.number } });
    },
    'desk.answer': record('desk.answer', ok),
    'desk.hangup': record('desk.hangup', ok),
    'desk.hold': record('desk.hold', ok),
    'desk.retrieve': record('desk.retrieve', ok),
    'desk.singleStepTransfer': record('desk.singleStepTransfer', ok),
    'desk.conference': record('desk.conference', ok),
    ...(options.desk ?? {}),
  };
  const actions = createActions({
    desk: () => (options.desk === null ? undefined : deskCommands),
    state: () => (options.state === undefined ? desk() : options.state),
    show: () => (shown += 1),
    navigate: (screen, number) => screens.push([screen, number]),
    notice: (level, message, code) =>
      notices.push(code === undefined ? { level, message } : { level, message, code }),
    readClipboard: async () => options.clipboard ?? '',
    readSelection: async () => options.selection ?? '',
    quit: () => (quit += 1),
    logger: new MemoryLogger(),
  });
  return { actions, commands, notices, screens, shown: () => shown, quit: () => quit };
}

describe('tray actions', () => {
  it('call commands go to the desk API', async () => {
    const t = setup();
    await t.actions.dispatch({ type: 'answer', callId: 'a' });
    await t.actions.dispatch({ type: 'decline', callId: 'b' });
    await t.actions.dispatch({ type: 'hold', callId: 'c' });
    await t.actions.dispatch({ type: 'retrieve', callId: 'd' });
    await t.actions.dispatch({ type: 'hangup', callId: 'e' });
    await t.actions.dispatch({ type: 'transfer', callId: 'f', to: '1005' });
    await t.actions.dispatch({ type: 'conference', heldCallId: 'h', activeCallId: 'a' });
    expect(t.commands).toEqual([
      ['desk.answer', { callId: 'a' }],
      ['desk.hangup', { callId: 'b' }], // Decline = ClearConnection of the ringing call
      ['desk.hold', { callId: 'c' }],
      ['desk.retrieve', { callId: 'd' }],
      ['desk.hangup', { callId: 'e' }],
      ['desk.singleStepTransfer', { callId: 'f', to: '1005' }],
      ['desk.conference', { heldCallId: 'h', activeCallId: 'a' }],
    ]);
    expect(t.notices).toEqual([]);
  });

  it('navigation, show and quit', async () => {
    const t = setup();
    await t.actions.dispatch({ type: 'navigate', screen: 'settings' });
    await t.actions.dispatch({ type: 'show' });
    await t.actions.dispatch({ type: 'quit' });
    expect(t.screens).toEqual([['settings', undefined]]);
    expect([t.shown(), t.quit()]).toEqual([1, 1]);
  });

  it('a refused command becomes a notice with the engine code', async () => {
    const t = setup({
      desk: {
        'desk.hold': () => {
          throw new DesklineError(ErrorCode.InvalidState, 'the call is not connected');
        },
      },
    });
    await t.actions.dispatch({ type: 'hold', callId: 'x' });
    expect(t.notices).toEqual([
      { level: 'error', message: 'Hold: the call is not connected', code: 'INVALID_STATE' },
    ]);
  });

  it('before the engine runs, commands say so', async () => {
    const t = setup({ desk: null });
    await t.actions.dispatch({ type: 'hangup', callId: 'x' });
    expect(t.notices[0]).toMatchObject({
      level: 'warning',
      code: 'INVALID_STATE',
      message: expect.stringMatching(/still starting/),
    });
  });
});

describe('dialling from links, the clipboard and the shortcut', () => {
  it('a recent number or favourite dials, cleaned', async () => {
    const t = setup();
    await t.actions.dispatch({ type: 'dial', number: '+1 (408) 555-0100' });
    expect(t.commands).toEqual([['desk.makeCall', { number: '+14085550100' }]]);
  });

  it('the clipboard dials when it holds a number, else says why', async () => {
    const t = setup({ clipboard: 'tel:2002' });
    await t.actions.dispatch({ type: 'dialClipboard' });
    expect(t.commands).toEqual([['desk.makeCall', { number: '2002' }]]);
    expect(t.screens).toEqual([['calls', undefined]]);
    const empty = setup({ clipboard: 'hello world' });
    await empty.actions.dispatch({ type: 'dialClipboard' });
    expect(empty.commands).toEqual([]);
    expect(empty.notices[0]?.message).toMatch(/clipboard holds no number/);
  });

  it('without an active line the number waits on the dial screen', async () => {
    const t = setup({ state: desk({ selectedLineId: null, session: { state: 'noLine' } }) });
    await t.actions.dial({ number: '2002', source: 'tel' }, { show: true });
    expect(t.commands).toEqual([]);
    expect(t.screens).toEqual([['dial', '2002']]);
    expect(t.notices[0]).toMatchObject({
      level: 'warning',
      message: 'Cannot dial 2002 yet: Choose a line first',
    });
  });

  it('an extension is announced after dialling', async () => {
    const t = setup();
    await t.actions.dial({ number: '+14085551234', extension: '77', source: 'tel' }, { show: true });
    expect(t.notices).toEqual([
      { level: 'info', message: 'Extension 77: send it with the keypad once the call is answered' },
    ]);
    expect(t.screens).toEqual([['calls', undefined]]);
  });

  it('the shortcut dials the selection first, then the clipboard, else opens the dial screen', async () => {
    const both = setup({ selection: '1005', clipboard: '2002' });
    await both.actions.dialSelectionOrClipboard();
    expect(both.commands).toEqual([['desk.makeCall', { number: '1005' }]]);
    const clipboardOnly = setup({ selection: 'some prose', clipboard: '2002' });
    await clipboardOnly.actions.dialSelectionOrClipboard();
    expect(clipboardOnly.commands).toEqual([['desk.makeCall', { number: '2002' }]]);
    const neither = setup({ selection: '', clipboard: 'nope' });
    await neither.actions.dialSelectionOrClipboard();
    expect(neither.commands).toEqual([]);
    expect(neither.screens).toEqual([['dial', undefined]]);
    expect(neither.notices[0]?.message).toMatch(/No phone number is selected or copied/);
  });

  it('an unreadable clipboard holds nothing (logged, no throw)', async () => {
    const notices: string[] = [];
    const logger = new MemoryLogger();
    const actions = createActions({
      desk: () => undefined,
      state: () => desk(),
      show: () => undefined,
      navigate: () => undefined,
      notice: (_level, message) => notices.push(message),
      readClipboard: async () => {
        throw new Error('clipboard busy');
      },
      readSelection: async () => {
        throw new Error('no selection owner');
      },
      quit: () => undefined,
      logger,
    });
    await actions.dialSelectionOrClipboard();
    await actions.dispatch({ type: 'dialClipboard' });
    expect(notices).toEqual([
      expect.stringMatching(/No phone number/),
      expect.stringMatching(/clipboard holds no number/),
    ]);
    expect(logger.records.filter((r) => r.message === 'clipboard unreadable')).toHaveLength(3);
  });
});

describe('dial results', () => {
  it('dial() says whether the call was placed', async () => {
    expect(await setup().actions.dial({ number: '2002', source: 'tel' })).toBe(true);
    expect(await setup({ state: null }).actions.dial({ number: '2002', source: 'tel' })).toBe(false);
    const refused = setup({
      desk: {
        'desk.makeCall': () => {
          throw new DesklineError(ErrorCode.NumberInvalid, 'not a number');
        },
      },
    });
    expect(await refused.actions.dial({ number: '2002', source: 'tel' })).toBe(false);
    expect(refused.notices[0]).toMatchObject({ level: 'error', code: 'NUMBER_INVALID' });
  });
});
