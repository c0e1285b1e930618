// Many small connections against the whole gateway while two RCC clients keep it busy: a few
// thousand TCP and WebSocket connections opened and closed quickly — empty, with one OPTIONS,
// with HTTP or garbage, with half a request, with a WebSocket upgrade that does not offer "sip" —
// and, on a gateway configured for few connections, more than it allows. Every one of them is
// answered or refused as it should be and released; the load never notices; nothing is left open.
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { buildRequest } from '../support/sip-raw-client.js';
import { Rig, until, type Listener } from '../fault/harness.js';
import { drainAndCheck, startLoad, type LoadClient } from '../fault/load-client.js';
import { connect } from './helpers.js';

// Bounded, but several round trips and recoveries per test on a shared 2-core machine: more room than the 30 s default.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let rig: Rig | undefined;
let load: LoadClient[] = [];
afterEach(async () => {
  for (const client of load) client.destroyConnection();
  load = [];
  await rig?.abandon();
  rig = undefined;
});

type Kind = 'empty' | 'options' | 'http' | 'garbage' | 'half' | 'reset';

/** One short-lived TCP connection; resolves when it is closed (by either side). */
function tcpOnce({ host, port }: Listener, kind: Kind): Promise<{ kind: Kind; answered: string }> {
  return new Promise((resolve) => {
    const socket: Socket = netConnect({ host, port });
    let received = '';
    const done = (): void => resolve({ kind, answered: received.slice(0, 12) });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (kind === 'options' && received.includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
    socket.once('connect', () => {
      switch (kind) {
        case 'empty':
          socket.end();
          return;
        case 'options':
          socket.write(buildRequest({ method: 'OPTIONS', uri: 'sip:probe@127.0.0.1' }).bytes);
          return;
        case 'http':
          socket.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
          return;
        case 'garbage':
          socket.end(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])); // a TLS ClientHello start
          return;
        case 'half':
          socket.write(buildRequest({ method: 'OPTIONS', uri: 'sip:probe@127.0.0.1' }).bytes.subarray(0, 60));
          socket.destroy();
          return;
        case 'reset':
          socket.resetAndDestroy();
          return;
        default:
          throw new Error(`unknown kind ${String(kind)}`);
      }
    });
  });
}

/** One short-lived WebSocket: 'open' when the upgrade succeeds (then closed at once), else the HTTP status of the refusal. */
function wsOnce({ host, port }: Listener, sip: boolean): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${host}:${port}/`, sip ? ['sip'] : ['chat']);
    let outcome: 'open' | number = 0;
    ws.on('open', () => {
      outcome = 'open';
      ws.close(1000);
    });
    ws.on('unexpected-response', (_request, response) => {
      outcome = response.statusCode ?? 0;
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', () => resolve(outcome));
  });
}

/** Runs `count` tasks, `width` at a time. */
async function pool<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

const KINDS: readonly Kind[] = ['empty', 'options', 'http', 'garbage', 'half', 'reset'];

describe('many small connections', () => {
  it('a few thousand TCP and WebSocket connections opened and closed quickly, under load', async () => {
    rig = await Rig.start();
    const r = rig;
    load = await startLoad(r, { count: 2 });
    const tcp = r.listener('TCP');
    const ws = r.listener('WS');
    const results = await pool(2400, 48, (i) => tcpOnce(tcp, KINDS[i % KINDS.length] as Kind));
    // Each kind got what it should: OPTIONS its 200; the rest nothing at all (not SIP: dropped).
    for (const result of results) {
      if (result.kind === 'options') expect(result.answered).toBe('SIP/2.0 200 ');
      else if (result.kind !== 'half' && result.kind !== 'reset')
        expect(result.answered, result.kind).toBe('');
    }
    const upgrades = await pool(600, 24, (i) => wsOnce(ws, i % 3 !== 0));
    expect(upgrades.filter((u) => u === 'open')).toHaveLength(400);
    // RFC 7118 §4.1: an upgrade that does not offer the "sip" subprotocol is refused.
    expect(upgrades.filter((u) => u === 400)).toHaveLength(200);
    // All released: only the load's own connections remain, and it kept working throughout.
    await until(
      () => r.gateway.sip?.userAgent.stats().connections === load.length,
      () => `connections released (${r.gateway.sip?.userAgent.stats().connections} open)`,
    );
    expect(r.gateway.core.sessionCount).toBe(load.length);
    await drainAndCheck(r, load);
  });

  it('beyond sip.maxConnections new connections are refused at once, and accepted again once others close', async () => {
    rig = await Rig.start({ sip: { maxConnections: 12 } });
    const r = rig;
    load = await startLoad(r, { count: 2 });
    const held = await Promise.all(Array.from({ length: 10 }, () => connect(r, 'TCP')));
    await until(() => r.gateway.sip?.userAgent.stats().connections === 12, 'at the limit');
    // Over the limit: the connection is accepted by the kernel and dropped by the gateway at once.
    const over = await tcpOnce(r.listener('TCP'), 'options');
    expect(over.answered).toBe('');
    expect(await wsOnce(r.listener('WS'), true)).toBe(503);
    expect(
      r.logger.find('SIP connection refused: too many connections').length +
        r.logger.find('SIP WebSocket upgrade refused').length,
    ).toBeGreaterThan(0);
    for (const client of held) await client.close();
    await until(() => r.gateway.sip?.userAgent.stats().connections === 2, 'held connections released');
    const again = await tcpOnce(r.listener('TCP'), 'options');
    expect(again.answered).toBe('SIP/2.0 200 ');
    await drainAndCheck(r, load);
  });
});
