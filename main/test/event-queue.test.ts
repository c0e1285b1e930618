import { describe, expect, it } from 'vitest';
import { EVENT_CHANNEL } from '../../common/src/api/contract.js';
import { MemoryLogger } from '../../gateway/src/index.js';
import { RendererEventQueue, type EventMessage, type EventSink } from '../src/event-queue.js';
import { call, desk } from './support/views.js';

class FakeSink implements EventSink {
  readonly sent: EventMessage[] = [];
  destroyed = false;
  failing = false;
  send(channel: string, message: EventMessage): void {
    expect(channel).toBe(EVENT_CHANNEL);
    if (this.failing) throw new Error('Render frame was disposed');
    this.sent.push(message);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const notice = (message: string) => ({ level: 'info' as const, message, at: 1 });

describe('RendererEventQueue', () => {
  it('queues until READY, then flushes in order and delivers directly', () => {
    const sink = new FakeSink();
    const queue = new RendererEventQueue(sink, new MemoryLogger());
    queue.emit('app.notice', notice('one'));
    queue.emit('app.navigate', { screen: 'dial', number: '2002' });
    expect(sink.sent).toEqual([]);
    expect(queue.pending).toBe(2);
    queue.markReady();
    queue.emit('app.notice', notice('two'));
    expect(sink.sent.map((m) => m.name)).toEqual(['app.notice', 'app.navigate', 'app.notice']);
    expect(queue.pending).toBe(0);
  });

  it('keeps only the newest snapshot of each whole-state event', () => {
    const sink = new FakeSink();
    const queue = new RendererEventQueue(sink, new MemoryLogger());
    for (let i = 0; i < 100; i++)
      queue.emit('desk.state', desk({ calls: [call({ callId: `c${i}`, state: 'connected' })] }));
    queue.emit('desk.incomingCall', call({ callId: 'in', direction: 'inbound', state: 'ringing' }));
    queue.emit('desk.state', desk());
    expect(queue.pending).toBe(2);
    queue.markReady();
    expect(sink.sent.map((m) => m.name)).toEqual(['desk.incomingCall', 'desk.state']);
    expect(sink.sent[1]).toEqual({ name: 'desk.state', payload: desk() });
  });

  it('is bounded: the oldest non-snapshot events go first, with one warning', () => {
    const sink = new FakeSink();
    const logger = new MemoryLogger();
    const queue = new RendererEventQueue(sink, logger, 4);
    queue.emit('app.settings', {
      ctiAddresses: [],
      applicationUser: '',
      hasPassword: false,
      heartbeatIntervalSec: 30,
      userId: '',
      favourites: [],
      sipListenerEnabled: false,
      startAtLogin: false,
      theme: 'system',
      globalShortcut: '',
    });
    for (let i = 0; i < 10; i++) queue.emit('app.notice', notice(`n${i}`));
    expect(queue.pending).toBe(4);
    queue.markReady();
    expect(sink.sent.map((m) => (m.name === 'app.notice' ? m.payload.message : m.name))).toEqual([
      'app.settings',
      'n7',
      'n8',
      'n9',
    ]);
    expect(logger.records.filter((r) => r.level === 'warn')).toHaveLength(1);
  });

  it('a reload makes it queue again until the next READY', () => {
    const sink = new FakeSink();
    const queue = new RendererEventQueue(sink, new MemoryLogger());
    queue.markReady();
    queue.reset();
    expect(queue.isReady).toBe(false);
    queue.emit('app.notice', notice('while reloading'));
    expect(sink.sent).toEqual([]);
    queue.markReady();
    expect(sink.sent).toHaveLength(1);
  });

  it('never throws: a destroyed or failing renderer drops the event; dispose clears', () => {
    const sink = new FakeSink();
    const logger = new MemoryLogger();
    const queue = new RendererEventQueue(sink, logger);
    queue.markReady();
    sink.failing = true;
    expect(() => queue.emit('app.notice', notice('x'))).not.toThrow();
    expect(logger.records.some((r) => r.message === 'ipc: event not delivered')).toBe(true);
    sink.failing = false;
    sink.destroyed = true;
    queue.emit('app.notice', notice('y'));
    expect(sink.sent).toEqual([]);
    sink.destroyed = false;
    queue.reset();
    queue.emit('app.notice', notice('z'));
    queue.dispose();
    expect(queue.pending).toBe(0);
    queue.markReady();
    expect(sink.sent).toEqual([]);
  });
});
