// The SIP transport limits (docs/robustness.md, "SIP transport limits") against the whole gateway,
// each with a bystander that must not notice: sessions per connection through the MS-RCC face,
// connections per source address, slowloris over TCP and WebSocket on the real clock, and
// flooding connections while a signed-in user works and the CTI heartbeats keep their deadline.
// Every test ends with the rig's leak checks (sessions, dialogs, monitors, sockets, timers).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { buildRequest, type SipRawClient } from '../support/sip-raw-client.js';
import { SipResponse } from '../../src/sip/index.js';
import { Rig, until } from '../fault/harness.js';
import { destroyRawSockets, rawSocket, rawWebSocket, wsFrame, closeFrame } from '../sip/raw-sockets.js';
import { LINES, connect, expectWorking, invite, signIn, signOut } from './helpers.js';

// Bounded, but several round trips and recoveries per test on a shared 2-core machine: more room than the 30 s default.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const PROBE_URI = 'sip:probe@127.0.0.1';

let rig: Rig | undefined;
const clients: SipRawClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  destroyRawSockets();
  await rig?.abandon();
  rig = undefined;
});

/** deskline_sip_limit_hits_total{limit} as scraped. */
async function limitHits(r: Rig, limit: string): Promise<number> {
  const text = await r.gateway.metrics.registry.getSingleMetricAsString('deskline_sip_limit_hits_total');
  const line = text.split('\n').find((l) => l.includes(`limit="${limit}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function upgradeStatus(port: number): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, ['sip']);
    ws.on('open', () => {
      resolve('open');
      ws.close(1000);
    });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined);
  });
}

describe('SIP transport limits against the whole gateway', () => {
  it('sip.maxSessionsPerConnection: the INVITE over it gets 503 + Retry-After, opens nothing; others sign in', async () => {
    rig = await Rig.start({ sip: { maxSessionsPerConnection: 2 } });
    const r = rig;
    const bystander = await signIn(r, 'WS', 'grace');
    const pool = await connect(r, 'TCP');
    clients.push(pool);
    // A front-end pool's connection carrying two users' sessions: the third is refused.
    const alice = await invite(pool, 'alice', LINES.alice);
    const carol = await invite(pool, 'carol', LINES.carol);
    expect([alice.inviteResponse.status, carol.inviteResponse.status]).toEqual([200, 200]);
    const sessionsBefore = r.gateway.core.sessionCount;
    const dave = await invite(pool, 'dave', LINES.dave);
    expect(dave.inviteResponse.status).toBe(503);
    expect(Number(dave.inviteResponse.header('retry-after'))).toBeGreaterThan(0);
    expect(dave.inviteResponse.header('warning')).toMatch(/most allowed per connection/);
    expect(r.gateway.core.sessionCount).toBe(sessionsBefore);
    expect(r.logger.find('SIP session refused: too many sessions on this connection')).toHaveLength(1);
    expect(await limitHits(r, 'maxSessionsPerConnection')).toBe(1);
    expect(r.gateway.health().sip.limits.maxSessionsPerConnection).toBe(1);
    // Dave on a connection of his own is fine; so is the bystander.
    const daveAlone = await signIn(r, 'TCP', 'dave');
    await expectWorking(bystander);
    // Once alice signs out, the pool's connection takes a new session again.
    expect((await alice.bye()).status).toBe(200);
    const again = await invite(pool, 'alice', LINES.alice);
    expect(again.inviteResponse.status).toBe(200);
    for (const session of [again, carol]) expect((await session.bye()).status).toBe(200);
    await signOut(daveAlone);
    await signOut(bystander);
    await pool.close();
    await r.expectGatewayIdle();
    await r.finish();
  });

  it('sip.maxConnectionsPerSource: one address cannot take every slot; another address is served', async () => {
    rig = await Rig.start({ sip: { maxConnectionsPerSource: 3 } });
    const r = rig;
    const bystander = await signIn(r, 'TCP', 'alice');
    const held = [await connect(r, 'TCP'), await connect(r, 'WS')];
    clients.push(...held);
    await until(() => r.gateway.sip?.userAgent.stats().connections === 3, 'at the limit');
    const over = await rawSocket(r.listener('TCP').port);
    await over.closed;
    expect(over.data().length).toBe(0);
    expect(await upgradeStatus(r.listener('WS').port)).toBe(503);
    // 127.0.0.2 is another loopback address: another source.
    const other = await rawSocket(r.listener('TCP').port, '127.0.0.2');
    other.socket.write(buildRequest({ method: 'OPTIONS', uri: PROBE_URI }).bytes);
    await until(
      () => other.data().toString('latin1').startsWith('SIP/2.0 200 '),
      'the other source is answered',
    );
    other.socket.destroy();
    expect(await limitHits(r, 'maxConnectionsPerSource')).toBe(2);
    expect(r.logger.find('SIP connection refused: too many connections from one source').length).toBe(1);
    await expectWorking(bystander);
    for (const client of held) await client.close();
    await until(() => r.gateway.sip?.userAgent.stats().connections === 1, 'held ones released');
    expect(await upgradeStatus(r.listener('WS').port)).toBe('open');
    await signOut(bystander);
    await r.expectGatewayIdle();
    await until(() => r.gateway.sip?.userAgent.stats().sources === 0, 'no source counted');
    await r.finish();
  });

  it('sip.messageTimeoutSec: a request trickled a byte at a time is cut, over TCP and WebSocket; the bystander never notices', async () => {
    rig = await Rig.start({ sip: { messageTimeoutSec: 1 } });
    const r = rig;
    const bystander = await signIn(r, 'TCP', 'carol');
    // TCP: one byte every 100 ms of an OPTIONS that would take seconds to finish.
    const tcp = await rawSocket(r.listener('TCP').port);
    const bytes = buildRequest({ method: 'OPTIONS', uri: PROBE_URI }).bytes;
    void (async () => {
      for (let i = 0; i < bytes.length && !tcp.isClosed(); i++) {
        tcp.socket.write(bytes.subarray(i, i + 1));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // WebSocket: a whole OPTIONS, then the first bytes of another frame, and nothing more.
    const ws = await rawWebSocket(r.listener('WS').port);
    const next = wsFrame(buildRequest({ method: 'OPTIONS', uri: PROBE_URI }, 'WS').bytes);
    ws.socket.write(
      Buffer.concat([
        wsFrame(buildRequest({ method: 'OPTIONS', uri: PROBE_URI }, 'WS').bytes),
        next.subarray(0, 30),
      ]),
    );
    await expectWorking(bystander);
    await tcp.closed;
    expect(tcp.data().length).toBe(0);
    await ws.closed;
    expect(ws.received().toString('latin1')).toContain('SIP/2.0 200 OK');
    expect(ws.received().includes(closeFrame(1008))).toBe(true);
    await until(() => r.gateway.health().sip.limits.messageTimeout === 2, 'both cut');
    expect(await limitHits(r, 'messageTimeout')).toBe(2);
    await expectWorking(bystander);
    await signOut(bystander);
    await r.expectGatewayIdle();
    await r.finish();
  });

  it('flooding connections: a signed-in user keeps working, the CTI heartbeats keep their deadline, nothing is lost or leaked', async () => {
    rig = await Rig.start({ sip: { maxMessagesPerTurn: 64, maxMessagesPerTurnPerConnection: 8 } });
    const r = rig;
    const bystander = await signIn(r, 'TCP', 'alice');
    // A node declared down (missed heartbeats) reconnects with a new connection ID and counts a failure.
    const linksBefore = r.gateway.pool.health().nodes.map((n) => `${n.connectionId} ${n.failures}`);
    const FLOOD = 2_000;
    const flooders = await Promise.all([
      connect(r, 'TCP'),
      connect(r, 'TCP'),
      connect(r, 'TCP'),
      connect(r, 'WS'),
    ]);
    clients.push(...flooders);
    const answered = (client: SipRawClient): number =>
      client.received.filter((m) => m instanceof SipResponse).length;
    for (const client of flooders) {
      const requests = Array.from(
        { length: FLOOD },
        () => buildRequest({ method: 'OPTIONS', uri: PROBE_URI }, client.transport).bytes,
      );
      if (client.transport === 'TCP') client.sendBytes(Buffer.concat(requests));
      else for (const request of requests) client.sendBytes(request);
    }
    // The bystander makes and clears a call meanwhile; the flood is still being served when it is done.
    await expectWorking(bystander);
    const servedWhenDone = flooders.reduce((n, client) => n + answered(client), 0);
    for (const client of flooders)
      await until(() => answered(client) === FLOOD, 'every flood request answered', 30_000);
    expect(servedWhenDone).toBeLessThan(flooders.length * FLOOD);
    // Every node stayed up with no missed heartbeat.
    const health = r.gateway.pool.health();
    expect(health.nodes.every((n) => n.state === 'up')).toBe(true);
    expect(health.nodes.map((n) => `${n.connectionId} ${n.failures}`)).toEqual(linksBefore);
    expect(r.gateway.health().sip.deferredMessages).toBeGreaterThan(0);
    expect(r.gateway.health().sip.queuedMessages).toBe(0);
    for (const client of flooders) await client.close();
    await expectWorking(bystander);
    await signOut(bystander);
    await r.expectGatewayIdle();
    await r.finish();
  });
});
