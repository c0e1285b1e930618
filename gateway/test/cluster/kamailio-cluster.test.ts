// Scale-out (docs/running-at-scale.md): three gateway nodes — real child processes running the
// service CLI — behind Kamailio (deploy/kamailio/kamailio.cfg), the CTI Manager simulator
// behind them, RCC clients speaking real SIP to Kamailio only. Shows:
//   - round-robin spreads new sessions evenly (each node's /health session count);
//   - the From-user hash (WITH_FROM_HASH) keeps a user on one node across sessions;
//   - a KILLED node's users: their next in-dialog request is re-dispatched by Kamailio to a live
//     node (the dead node refuses the connection), which does not know the dialog and answers 481;
//     they re-INVITE through Kamailio and land on a live node — whether the dispatcher's OPTIONS
//     probe already took the node out (kamailio-rr, probing every second) or not (kamailio-hash,
//     probing every 10 minutes: its requests are failed over when the connection is refused) —
//     while every session on the nodes that stay up keeps working (INFO answered, events
//     delivered) in its original dialog; the restarted node is probed back in and takes sessions
//     again;
//   - SIP over WebSocket to Kamailio, TCP to the gateways, events included; a client that vanishes
//     is released by its node at the next event Kamailio cannot deliver (480);
//   - mutual TLS client → Kamailio → node (the balancer's certificate in the node's trustedPeers);
//   - a node stopped with SIGTERM drains (BYE), and its clients sign in again on the others.
// Tests run in order on one cluster (each leaves no session behind); the last one stops gw3.
// Bounded: processes start in parallel; every wait has a deadline (~15 s in all).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { body } from '../faces/msrcc/helpers.js';
import { generatedDn } from '../../../simulator/src/index.js';
import { TEST_TLS, TestCluster, type KamailioInstance } from './cluster.js';
import { LyncClient } from './lync-client.js';
import { runningChildren } from './processes.js';

const USERS = 24;
const FAR_END = 'tel:+16505550100'; // outside the generated cluster: a far end that rings, then answers
const lineOf = (i: number): string => `tel:${generatedDn(i)};phone-context=dialstring;partition=INTERNAL`;

let cluster: TestCluster | undefined;
let roundRobin: KamailioInstance;
let fromHash: KamailioInstance;
let mutualTls: KamailioInstance;
const clients: LyncClient[] = [];

function running(): TestCluster {
  if (cluster === undefined) throw new Error('cluster not started');
  return cluster;
}

async function client(
  balancer: KamailioInstance,
  i: number,
  transport: 'TCP' | 'WS' | 'TLS' = 'TCP',
): Promise<LyncClient> {
  const port = transport === 'TCP' ? balancer.port : transport === 'WS' ? balancer.wsPort : balancer.tlsPort;
  if (port === undefined) throw new Error(`${balancer.name} has no ${transport} listener`);
  const tls =
    transport === 'TLS'
      ? {
          cert: readFileSync(TEST_TLS.peerCert),
          key: readFileSync(TEST_TLS.peerKey),
          ca: readFileSync(TEST_TLS.ca),
          servername: TEST_TLS.peerName,
        }
      : undefined;
  const c = await LyncClient.connect({
    host: '127.0.0.1',
    port,
    transport,
    tls,
    user: `user${i}`,
    line: lineOf(i),
    domain: 'deskline.test',
  });
  clients.push(c);
  return c;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

/** Each node's /health session count; -1 for a node whose process is not running. */
async function sessionCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const g of running().gateways) counts[g.id] = g.child.running ? await g.sessions() : -1;
  return counts;
}

const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((a, n) => a + Math.max(0, n), 0);

/** Polls the nodes' /health until `check` holds (bounded). */
async function untilCounts(
  check: (c: Record<string, number>) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await sessionCounts();
    if (check(counts)) return counts;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(counts)}\n${running().diagnostics()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** MonitorStop + BYE for each; resolves once the nodes released those sessions. */
async function signOutAll(list: readonly LyncClient[]): Promise<void> {
  const before = total(await sessionCounts());
  await Promise.all(list.map((c) => c.signOut()));
  await untilCounts((c) => total(c) === before - list.length, `${list.length} sessions released`);
}

/** A call from the client's line to a far end: MakeCall answered, OriginatedEvent delivered, call cleared. */
async function callAndHangUp(
  c: LyncClient,
): Promise<{ recovered: boolean; failure: number | 'no answer' | undefined }> {
  const made = await c.request(body.makeCall(c.options.line, FAR_END));
  if (made.message.type !== 'MakeCallResponse')
    throw new Error(`${c.options.user}: ${JSON.stringify(made.message)}`);
  const callId = made.message.callingDevice.callID ?? '';
  const originated = await c.nextEvent('OriginatedEvent');
  expect(originated).toMatchObject({
    monitorCrossRefID: c.monitorCrossRefId,
    originatedConnection: { callID: callId },
  });
  const cleared = await c.request(body.clearConnection(callId, c.options.line));
  expect(cleared).toMatchObject({ recovered: false, message: { type: 'ClearConnectionResponse' } });
  await c.nextEvent('ConnectionClearedEvent');
  return { recovered: made.recovered, failure: made.failure };
}

beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, users: USERS });
  [roundRobin, fromHash, mutualTls] = await Promise.all([
    cluster.startKamailio('kamailio-rr', { defines: ['WITH_WEBSOCKET'], probeIntervalSec: 1 }),
    cluster.startKamailio('kamailio-hash', { defines: ['WITH_FROM_HASH'], probeIntervalSec: 600 }),
    cluster.startKamailio('kamailio-tls', { defines: ['WITH_TLS'], probeIntervalSec: 1 }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await cluster?.dispose();
  // Nothing outlives the suite: every gateway node and Kamailio process has exited.
  expect(runningChildren()).toBe(0);
}, 60_000);

describe('gateway nodes behind Kamailio', () => {
  it('round-robin spreads new sessions evenly over the three nodes', async () => {
    const users = await Promise.all(range(0, 9).map((i) => client(roundRobin, i)));
    // One at a time, as sign-ins arrive: the dispatcher's round-robin pointer is the only state.
    for (const u of users) await u.signIn();
    const counts = await untilCounts((c) => total(c) === 9, 'nine sessions');
    expect(counts).toEqual({ gw1: 3, gw2: 3, gw3: 3 });
    // The node a client saw in its 2xx (Server: Deskline/<node>) is the node that counts its session.
    const seen: Record<string, number> = {};
    for (const u of users) seen[u.node] = (seen[u.node] ?? 0) + 1;
    expect(seen).toEqual({ gw1: 3, gw2: 3, gw3: 3 });
    await signOutAll(users);
  });

  it('the From-user hash keeps each user on one node across sign-ins', async () => {
    const users = await Promise.all(range(0, 12).map((i) => client(fromHash, i)));
    for (let round = 0; round < 3; round++) {
      for (const u of users) await u.signIn();
      await signOutAll(users);
    }
    for (const u of users) {
      expect(u.nodes, u.options.user).toHaveLength(3);
      expect(new Set(u.nodes).size, `${u.options.user} moved: ${u.nodes.join(' → ')}`).toBe(1);
    }
    // ... and the hash still spreads users over the nodes.
    expect(new Set(users.map((u) => u.nodes[0])).size).toBeGreaterThan(1);
  });

  it('a killed node: its users re-INVITE onto live nodes, no session on the live nodes is lost, the node comes back', async () => {
    const c = running();
    const users = await Promise.all(range(0, 9).map((i) => client(roundRobin, i)));
    for (const u of users) await u.signIn();
    await untilCounts((n) => n['gw1'] === 3 && n['gw2'] === 3 && n['gw3'] === 3, 'three sessions per node');
    // Users of the hash balancer whose hash picks gw2 (the hash is deterministic: some do).
    const hashed = await Promise.all(range(16, 24).map((i) => client(fromHash, i)));
    for (const u of hashed) await u.signIn();
    const hashVictims = hashed.filter((u) => u.node === 'gw2');
    await signOutAll(hashed.filter((u) => u.node !== 'gw2'));
    expect(hashVictims.length, 'users hashed to gw2').toBeGreaterThan(0);
    const victims = users.filter((u) => u.node === 'gw2');
    const survivors = users.filter((u) => u.node !== 'gw2');
    expect(victims).toHaveLength(3);
    const survivorDialogs = survivors.map((u) => u.dialog);

    await c.gateway('gw2').child.kill(); // SIGKILL: no drain, no BYE — a crash
    // The nodes that stay up still hold every one of their sessions.
    expect(await c.gateway('gw1').sessions()).toBe(3);
    expect(await c.gateway('gw3').sessions()).toBe(3);

    // Survivors: INFO answered and events delivered, in the same dialog, on the same node.
    for (const u of survivors) {
      expect(await callAndHangUp(u), u.options.user).toEqual({ recovered: false, failure: undefined });
    }
    survivors.forEach((u, i) => expect(u.dialog).toBe(survivorDialogs[i]));

    // Victims: the dialog's node refuses connections, so Kamailio re-dispatches the next request
    // to a live node; that node does not know the dialog (481), the client re-INVITEs through
    // Kamailio, lands on a live node, and the request then succeeds.
    for (const u of [...victims, ...hashVictims]) {
      expect(await callAndHangUp(u), u.options.user).toEqual({ recovered: true, failure: 481 });
      expect(u.nodes).toHaveLength(2);
      expect(['gw1', 'gw3']).toContain(u.node);
    }
    expect(
      roundRobin.child.lines.some((l) => /in-dialog INFO from user\d+ re-dispatched to gateway node/.test(l)),
      roundRobin.child.tail(),
    ).toBe(true);
    // kamailio-hash had not probed gw2 since the kill: its requests (the re-dispatched INFO, or
    // the INVITE) went to gw2 first and were failed over when the connection was refused.
    expect(
      fromHash.child.lines.some((l) =>
        /gateway node sip:127\.0\.0\.1:\d+;transport=tcp unreachable for (INVITE|in-dialog INFO)/.test(l),
      ),
      fromHash.child.tail(),
    ).toBe(true);
    const after = await untilCounts(
      (n) => n['gw1']! + n['gw3']! === 9 + hashVictims.length,
      'every session on gw1 + gw3',
    );
    expect(after['gw1']).toBeGreaterThanOrEqual(3);
    expect(after['gw3']).toBeGreaterThanOrEqual(3);
    // While gw2 is down, the hash keeps each of its users on one fallback node.
    for (const u of hashVictims) {
      const fallback = u.node;
      await signOutAll([u]);
      await u.signIn();
      expect(u.node, u.options.user).toBe(fallback);
    }
    // Nothing is left over in the simulator: every call cleared.
    expect(c.simulator.model.snapshot()).toHaveLength(0);

    // The node restarts on its port; kamailio-rr's OPTIONS probe puts it back and new sessions reach it.
    await c.restartGateway('gw2');
    const late = await Promise.all(range(9, 12).map((i) => client(roundRobin, i)));
    const deadline = Date.now() + 10_000;
    let landed = false;
    while (!landed) {
      for (const u of late) await u.signIn();
      landed = late.some((u) => u.node === 'gw2');
      if (landed) break;
      if (Date.now() > deadline)
        throw new Error(
          `no session reached the restarted gw2: ${late.map((u) => u.nodes.join(',')).join(' ')}`,
        );
      await signOutAll(late);
      await new Promise((r) => setTimeout(r, 500));
    }
    await signOutAll([...users, ...hashVictims, ...late]);
  }, 90_000);

  it('a WebSocket client reaches a TCP gateway node through Kamailio, events included; when it vanishes its node releases the session', async () => {
    const c = running();
    const u = await client(roundRobin, 13, 'WS');
    await u.signIn();
    expect(['gw1', 'gw2', 'gw3']).toContain(u.node);
    expect(await callAndHangUp(u)).toEqual({ recovered: false, failure: undefined });
    const node = c.gateway(u.node);
    expect(await node.sessions()).toBe(1);

    // The client disappears without BYE. The next event for it (an inbound call ringing its line)
    // cannot be delivered: Kamailio answers the gateway's INFO with 480 (the client's connection is
    // gone, deploy/kamailio/kamailio.cfg), and the node ends the session and releases its monitor
    // instead of keeping it until the session timer expires. (A 408 would not: a proxy answers 408
    // for a client that is alive and never answers event INFOs, docs/msrcc.md §5.)
    await u.close();
    const call = c.simulator.placeInboundCall('+14155550123', generatedDn(13));
    if (!call.ok) throw call.error;
    await untilCounts((n) => n[u.node] === 0, `${u.node} released the vanished client's session`);
    expect(
      roundRobin.child.lines.some((l) =>
        /in-dialog INFO to sip:user13@client\.invalid.* unreachable/.test(l),
      ),
      roundRobin.child.tail(),
    ).toBe(true);
    const cleared = c.simulator.model.clearCallById(call.value.callId);
    if (!cleared.ok) throw cleared.error;
  });

  it('mutual TLS end to end: client → Kamailio (TLS) → gateway node (TLS, Kamailio in its trustedPeers), events included', async () => {
    const u = await client(mutualTls, 14, 'TLS');
    await u.signIn();
    expect(['gw1', 'gw2', 'gw3']).toContain(u.node);
    expect(await callAndHangUp(u)).toEqual({ recovered: false, failure: undefined });
    await signOutAll([u]);
    // The balancer's probes and INVITEs reached the nodes over TLS (transport=tls in its list).
    expect(
      mutualTls.child.lines.some((l) =>
        /INVITE from user14 to gateway node sip:127\.0\.0\.1:\d+;transport=tls/.test(l),
      ),
      mutualTls.child.tail(),
    ).toBe(true);
  });

  // Last: it takes gw3 away for good.
  it('a node drained with SIGTERM: its clients get BYE and sign in again on the other nodes', async () => {
    const c = running();
    const users = await Promise.all(range(0, 6).map((i) => client(roundRobin, i)));
    for (const u of users) await u.signIn();
    await untilCounts((n) => n['gw1'] === 2 && n['gw2'] === 2 && n['gw3'] === 2, 'two sessions per node');
    const leaving = users.filter((u) => u.node === 'gw3');
    const staying = users.filter((u) => u.node !== 'gw3');

    const gw3 = c.gateway('gw3');
    const stopped = gw3.child.stop(20_000); // SIGTERM: the rolling-restart path
    await Promise.all(leaving.map((u) => u.byeReceived()));
    await stopped;
    expect(await gw3.child.exited, gw3.child.tail()).toBe(0);

    // Signing in again (a new INVITE) reaches a live node — whether Kamailio still listed gw3
    // (503 while draining, or a refused connection: both failed over) or its probe took it out.
    for (const u of leaving) {
      await u.signIn();
      expect(['gw1', 'gw2']).toContain(u.node);
      expect(await callAndHangUp(u)).toEqual({ recovered: false, failure: undefined });
    }
    for (const u of staying) expect(await callAndHangUp(u)).toEqual({ recovered: false, failure: undefined });
    await signOutAll(users);
  }, 60_000);
});
