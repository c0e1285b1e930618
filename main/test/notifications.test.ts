import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../gateway/src/index.js';
import {
  IncomingCallNotifier,
  incomingCallNotification,
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
  it('says who calls on which line, with Answer and Decline', () => {
    expect(incomingCallNotification(ringing('c1'), line())).toEqual({
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
    );
    expect(model.actions.map((a) => a.id)).toEqual(['answer']);
    expect(model.title).toBe('Call from unknown number');
    expect(model.body).toBe('Ringing');
  });
});

describe('IncomingCallNotifier', () => {
  function setup() {
    const port = new FakeNotifier();
    const answered: string[] = [];
    const declined: string[] = [];
    const opened: string[] = [];
    const notifier = new IncomingCallNotifier({
      port,
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

  it('dispose closes what is open', () => {
    const { port, notifier } = setup();
    notifier.observe(desk({ calls: [ringing('c1')] }));
    notifier.dispose();
    expect(port.shown[0]?.closed).toBe(true);
    notifier.observe(desk({ calls: [ringing('c9')] }));
    expect(port.shown).toHaveLength(1);
  });
});
