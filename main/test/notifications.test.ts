import { describe, expect, it } from 'vitest';
import { DEFAULT_XML_LIMITS, parseXml, type XmlElement } from '../../gateway/src/csta/xml.js';
import { MemoryLogger } from '../../gateway/src/index.js';
import {
  IncomingCallNotifier,
  escapeXml,
  incomingCallNotification,
  parseToastArguments,
  toastArguments,
  type IncomingCallNotification,
  type NotificationActionId,
  type NotifierPort,
} from '../src/notifications.js';
import { actions, call, desk, line } from './support/views.js';

class FakeNotifier implements NotifierPort {
  readonly shown: Array<{
    model: IncomingCallNotification;
    closed: boolean;
    onAction: (id: NotificationActionId) => void;
    onClick: () => void;
  }> = [];
  show(
    model: IncomingCallNotification,
    events: { onAction: (id: NotificationActionId) => void; onClick: () => void },
  ) {
    const entry = { model, closed: false, ...events };
    this.shown.push(entry);
    return {
      close: () => {
        entry.closed = true;
      },
    };
  }
}

const ringing = (callId: string) =>
  call({ callId, direction: 'inbound', state: 'ringing', actions: actions('answer', 'decline') });

describe('incomingCallNotification', () => {
  it('macOS: says who calls on which line, with Answer and Decline actions', () => {
    expect(incomingCallNotification(ringing('c1'), line(), 'darwin')).toEqual({
      callId: 'c1',
      title: 'Call from Bob Baker (2002)',
      body: 'Ringing on 1001 Alice Archer',
      actions: [
        { id: 'answer', text: 'Answer' },
        { id: 'decline', text: 'Decline' },
      ],
      urgency: 'critical',
      timeoutType: 'never',
    });
  });

  it('offers only the actions the call allows; an anonymous caller is named so', () => {
    const model = incomingCallNotification(
      call({
        callId: 'c',
        direction: 'inbound',
        state: 'ringing',
        remote: { number: '' },
        actions: actions('answer'),
      }),
      undefined,
      'darwin',
    );
    expect(model.actions.map((a) => a.id)).toEqual(['answer']);
    expect(model.title).toBe('Call from unknown number');
    expect(model.body).toBe('Ringing');
  });

  it('Linux: no buttons; the body says a click answers in Deskline', () => {
    const model = incomingCallNotification(ringing('c1'), line(), 'linux');
    expect(model.actions).toEqual([]);
    expect(model.toastXml).toBeUndefined();
    expect(model.body).toBe('Ringing on 1001 Alice Archer. Click to answer in Deskline.');
  });

  it('Windows: an incomingCall toast with Answer and Decline whose arguments name the call', () => {
    const model = incomingCallNotification(ringing('c/1 ?&'), line(), 'win32');
    const parsed = parseXml(model.toastXml ?? '', DEFAULT_XML_LIMITS);
    if (!parsed.ok) throw parsed.error;
    const toast = parsed.value;
    const attr = (element: XmlElement, name: string): string | undefined => {
      const attrs = element.attrs ?? [];
      for (let i = 0; i < attrs.length; i += 2) if (attrs[i] === name) return attrs[i + 1];
      return undefined;
    };
    const find = (element: XmlElement, name: string): XmlElement[] =>
      (element.children ?? []).flatMap((child) => (child.name === name ? [child] : find(child, name)));
    expect(toast.name).toBe('toast');
    expect(attr(toast, 'scenario')).toBe('incomingCall');
    expect(parseToastArguments(attr(toast, 'launch') ?? '')).toEqual({ action: 'open', callId: 'c/1 ?&' });
    expect(find(toast, 'text').map((text) => text.text)).toEqual([
      'Call from Bob Baker (2002)',
      'Ringing on 1001 Alice Archer',
    ]);
    const buttons = find(toast, 'action');
    expect(buttons.map((b) => [attr(b, 'content'), attr(b, 'hint-buttonStyle')])).toEqual([
      ['Answer', 'Success'],
      ['Decline', 'Critical'],
    ]);
    expect(buttons.map((b) => parseToastArguments(attr(b, 'arguments') ?? ''))).toEqual([
      { action: 'answer', callId: 'c/1 ?&' },
      { action: 'decline', callId: 'c/1 ?&' },
    ]);
    expect(attr(find(toast, 'audio')[0]!, 'loop')).toBe('true');
  });

  it('Windows: a hostile caller name cannot change the toast (escaped, control characters dropped)', () => {
    const hostile = '"/><action content="Pwn" arguments="x"/><text>\u0000\u0007&amp;';
    const model = incomingCallNotification(
      call({
        callId: 'c',
        direction: 'inbound',
        state: 'ringing',
        remote: { number: '2002', display: hostile },
        actions: actions('answer', 'decline'),
      }),
      undefined,
      'win32',
    );
    const parsed = parseXml(model.toastXml ?? '', DEFAULT_XML_LIMITS);
    if (!parsed.ok) throw parsed.error;
    const all = (element: XmlElement): XmlElement[] => [element, ...(element.children ?? []).flatMap(all)];
    expect(all(parsed.value).filter((element) => element.name === 'action')).toHaveLength(2);
    const title = all(parsed.value).find((element) => element.name === 'text')?.text;
    expect(title).toBe(`Call from ${hostile.replaceAll('\u0000', '').replaceAll('\u0007', '')} (2002)`);
    expect(escapeXml('a\u0001b<')).toBe('ab&lt;');
  });

  it('toast arguments round-trip; anything else is not ours', () => {
    expect(parseToastArguments(toastArguments({ action: 'decline', callId: 'é:1' }))).toEqual({
      action: 'decline',
      callId: 'é:1',
    });
    for (const other of [
      '',
      'type=action&action=0&tag=123',
      'deskline-call:hangup:c1',
      'deskline-call:answer:%E0%A4%A',
    ])
      expect(parseToastArguments(other)).toBeUndefined();
  });
});

describe('IncomingCallNotifier', () => {
  function setup(platform: NodeJS.Platform = 'darwin') {
    const port = new FakeNotifier();
    const answered: string[] = [];
    const declined: string[] = [];
    const opened: string[] = [];
    const notifier = new IncomingCallNotifier({
      port,
      platform,
      answer: (id) => answered.push(id),
      decline: (id) => declined.push(id),
      open: (id) => opened.push(id),
      logger: new MemoryLogger(),
    });
    return { port, notifier, answered, declined, opened };
  }

  it('one notification per ringing call, closed when it stops ringing', () => {
    const { port, notifier } = setup();
    notifier.observe(desk({ calls: [ringing('c1')] }));
    notifier.observe(desk({ calls: [ringing('c1')] }));
    notifier.observe(desk({ calls: [ringing('c1'), ringing('c2')] }));
    expect(port.shown.map((s) => s.model.callId)).toEqual(['c1', 'c2']);
    notifier.observe(
      desk({ calls: [call({ callId: 'c1', direction: 'inbound', state: 'connected' }), ringing('c2')] }),
    );
    expect(port.shown.map((s) => s.closed)).toEqual([true, false]);
    notifier.observe(desk({ calls: [] }));
    expect(port.shown.every((s) => s.closed)).toBe(true);
    expect(notifier.open).toBe(0);
  });

  it('ignores outbound calls and calls in other states', () => {
    const { port, notifier } = setup();
    notifier.observe(
      desk({
        calls: [
          call({ callId: 'o', state: 'alerting' }),
          call({ callId: 'i', direction: 'inbound', state: 'connected' }),
        ],
      }),
    );
    expect(port.shown).toEqual([]);
  });

  it('routes Answer, Decline and a click; an action after the call stopped ringing does nothing', () => {
    const { port, notifier, answered, declined, opened } = setup();
    notifier.observe(desk({ calls: [ringing('c1'), ringing('c2')] }));
    port.shown[0]?.onAction('answer');
    port.shown[1]?.onAction('decline');
    port.shown[1]?.onClick();
    expect([answered, declined, opened]).toEqual([['c1'], ['c2'], ['c2']]);
    notifier.observe(desk({ calls: [] }));
    port.shown[0]?.onAction('answer');
    expect(answered).toEqual(['c1']);
  });

  it('Windows: a toast activation answers or declines a call still ringing; a stale one only opens the app', () => {
    const { notifier, answered, declined, opened } = setup('win32');
    notifier.observe(desk({ calls: [ringing('c1'), ringing('c2')] }));
    notifier.activate(toastArguments({ action: 'answer', callId: 'c1' }));
    notifier.activate(toastArguments({ action: 'decline', callId: 'c2' }));
    notifier.activate(toastArguments({ action: 'open', callId: 'c2' }));
    notifier.activate('type=action&action=0&tag=1');
    expect([answered, declined, opened]).toEqual([['c1'], ['c2'], ['c2']]);
    notifier.observe(desk({ calls: [] }));
    notifier.activate(toastArguments({ action: 'answer', callId: 'c1' }));
    expect(answered).toEqual(['c1']);
    expect(opened).toEqual(['c2', 'c1']);
  });

  it('a call ringing on another of the user’s lines is announced with that line', () => {
    const { port, notifier } = setup('darwin');
    const shared = line({ id: 'SEP00AABB000003:1004', dn: '1004', label: 'Support' });
    const state = desk({
      lines: [line(), shared],
      calls: [{ ...ringing('c9'), lineId: shared.id } as never],
    });
    notifier.observe(state);
    expect(port.shown[0]?.model.body).toBe('Ringing on 1004 Support');
  });

  it('dispose closes what is open', () => {
    const { port, notifier } = setup();
    notifier.observe(desk({ calls: [ringing('c1')] }));
    notifier.dispose();
    expect(port.shown[0]?.closed).toBe(true);
    notifier.observe(desk({ calls: [ringing('c9')] }));
    expect(port.shown).toHaveLength(1);
  });
});
