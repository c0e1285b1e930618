// Hostile and broken CTI Manager nodes (issue 9, findings 4, 5 and 10), over real sockets on
// 127.0.0.1: a raw node that floods directory segments nobody asked for, simulator nodes that
// serve an empty or a much smaller directory, and a simulator node that answers heartbeats but
// no request (`mute-requests`). Each time a healthy node sits beside the bad one and a bystander's
// RCC session over SIP/TCP must keep working.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startGateway, type HostedGateway as Gateway } from '../../../host/src/demo.js';
import type { GatewayConfigInput } from '../../src/config/config.js';
import { startHttpServer } from '../../../service/src/http-server.js';
import {
  DEMO_APPLICATION_PASSWORD as DEMO_CTI_PASSWORD,
  DEMO_APPLICATION_USER as DEMO_CTI_USER,
  DEMO_NUMBERING_RULES as DEFAULT_NUMBERING_RULES_CONFIG,
  demoClusterConfig,
  startSimulator,
  type ClusterConfig,
  type Simulator,
} from '../../../simulator/src/index.js';
import { SipRawClient, type RawSession } from '../support/sip-raw-client.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { unwrap } from '../../src/util/result.js';
import { until } from '../fault/harness.js';
import { snapshotDeviceBody } from '../fault/load-client.js';
import { body, csta, nextEvent } from '../faces/msrcc/helpers.js';
import { BrokenCtiNode, unrequestedSegmentFrame } from './broken-cti-node.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

const LINES = {
  alice: 'tel:1001;phone-context=dialstring;partition=INTERNAL',
  carol: 'tel:1003;phone-context=dialstring;partition=INTERNAL',
  dave: 'tel:1004;phone-context=dialstring;partition=INTERNAL',
  emma: 'tel:1005;phone-context=dialstring;partition=INTERNAL',
} as const;

const disposables: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const dispose of disposables.splice(0).reverse()) await dispose().catch(() => undefined);
});

async function simulator(cluster: ClusterConfig | 'demo' = 'demo', nodes = 1): Promise<Simulator> {
  const sim = await startSimulator({ cluster, nodes, host: '127.0.0.1', port: 0 });
  disposables.push(() => sim.dispose());
  return sim;
}

/** The demo cluster with only some of its users (and their devices). */
function clusterOf(userIds: readonly string[], name: string): ClusterConfig {
  const demo = demoClusterConfig();
  const users = demo.users.filter((u) => userIds.includes(u.id));
  const devices = new Set(users.flatMap((u) => u.controlledDevices));
  return { ...demo, name, users, devices: demo.devices.filter((d) => devices.has(d.name)) };
}

async function gatewayOn(
  addresses: string[],
  cti: NonNullable<GatewayConfigInput['cti']> = {},
  waitForDirectoryMs?: number,
): Promise<{ gateway: Gateway; logger: MemoryLogger }> {
  const logger = new MemoryLogger([], {}, 20_000, 'info');
  const gateway = await startGateway({
    ...(waitForDirectoryMs === undefined ? {} : { waitForDirectoryMs }),
    config: {
      node: { id: 'cti-hostile' },
      cti: {
        addresses,
        applicationUser: DEMO_CTI_USER,
        password: DEMO_CTI_PASSWORD,
        heartbeatIntervalMs: 500,
        reconnectInitialMs: 100,
        reconnectMaxMs: 400,
        requestTimeoutMs: 2000,
        ...cti,
      },
      numbering: DEFAULT_NUMBERING_RULES_CONFIG,
      sip: { domain: 'gw.deskline.test', tcp: [{ host: '127.0.0.1', port: 0 }] },
      http: { port: null },
    },
    logger,
  });
  disposables.push(() => gateway.dispose());
  return { gateway, logger };
}

async function sipClient(gateway: Gateway): Promise<SipRawClient> {
  const found = gateway.sip?.listenerAddresses().find((l) => l.transport === 'TCP');
  if (found === undefined) throw new Error('no TCP listener');
  const colon = found.address.lastIndexOf(':');
  const client = await SipRawClient.connect({
    transport: 'TCP',
    host: found.address.slice(0, colon),
    port: Number(found.address.slice(colon + 1)),
    waitTimeoutMs: 10_000,
  });
  disposables.push(() => client.close());
  return client;
}

function invite(client: SipRawClient, user: keyof typeof LINES): Promise<RawSession> {
  return client.openSession({
    uri: 'sip:rcc@gw.deskline.test',
    from: `<sip:${user}@deskline.example>`,
    contact: `<sip:${user}@127.0.0.1:1;transport=tcp>`,
    body: body.requestSystemStatus(LINES[user]),
  });
}

const coreSessionOf = (gateway: Gateway, user: string) => {
  const found = [...gateway.core.allSessions()].find((s) => s.user.id === user && s.state !== 'closed');
  if (found === undefined) throw new Error(`no core session for ${user}`);
  return found;
};

async function metric(gateway: Gateway, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await gateway.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const missedHeartbeats = (logger: MemoryLogger, address: string) =>
  logger.find('CTI heartbeat missed').filter((r) => r.fields['cti'] === address);

describe('a node that floods directory segments nobody requested (finding 4)', () => {
  it('drops them undecoded and counted: memory stays bounded, the healthy node keeps its heartbeats, a bystander keeps working', async () => {
    const sim = await simulator();
    const broken = await BrokenCtiNode.start();
    disposables.push(() => broken.dispose());
    const healthyAddress = sim.nodes[0]?.address ?? '';
    const { gateway, logger } = await gatewayOn([healthyAddress, broken.address]);
    await until(() => gateway.pool.upCount === 2, 'both CTI connections up');
    const [healthy, bad] = gateway.pool.connections;
    if (healthy === undefined || bad === undefined) throw new Error('two connections expected');

    // The bystander: Alice over SIP/TCP, on the healthy node (the first pick of the round-robin).
    const client = await sipClient(gateway);
    const alice = await invite(client, 'alice');
    expect(alice.inviteResponse.status).toBe(200);
    expect(coreSessionOf(gateway, 'alice').connection).toBe(healthy);
    const snapshot = snapshotDeviceBody(LINES.alice);
    expect(csta(await alice.info(snapshot)).type).toBe('SnapshotDeviceResponse');

    const frame = unrequestedSegmentFrame(58_000);
    expect(frame.length).toBeGreaterThan(57_000);
    // Warm up (buffers, JIT), then measure the flood proper.
    await broken.flood(frame, 200).done;
    await until(() => bad.unrequestedSegments === 200, 'warm-up segments dropped');
    const healthyFailures = healthy.failures;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 25);
    disposables.push(async () => clearInterval(sampler));

    // 4,000 × 58 KB ≈ 232 MB: the code before the fix held every one of them decoded
    // (about 250 KB of heap each, ~1 GB here; issue 9 measured 3.2 GiB for 12,000).
    const SEGMENTS = 4_000;
    const flood = broken.flood(frame, SEGMENTS);
    let floodOver = false;
    void flood.done.then(() => (floodOver = true));
    let bystanderRequests = 0;
    while (!floodOver || bystanderRequests < 3) {
      const answer = await alice.info(snapshot);
      expect(answer.status).toBe(200);
      expect(csta(answer), 'the bystander is answered').toMatchObject({ type: 'SnapshotDeviceResponse' });
      bystanderRequests++;
    }
    await until(
      () => bad.unrequestedSegments === 200 + SEGMENTS,
      () => `all segments dropped (${bad.unrequestedSegments})`,
    );
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    clearInterval(sampler);

    const grownMiB = (rssPeak - rssBefore) / 2 ** 20;
    expect(grownMiB, `RSS grew by ${grownMiB.toFixed(0)} MiB during a 232 MB flood`).toBeLessThan(160);
    // The healthy node never missed a heartbeat and stayed up; so did the broken one (it heartbeats).
    expect(missedHeartbeats(logger, healthyAddress)).toEqual([]);
    expect(healthy.failures).toBe(healthyFailures);
    expect(healthy.viewState).toBe('up');
    expect(bad.isUp).toBe(true);
    // Counted (metric and connection), logged at a bounded rate.
    expect(bad.unrequestedSegmentBytes).toBe((200 + SEGMENTS) * (frame.length - 8));
    expect(
      await metric(gateway, 'deskline_cti_unrequested_segments_total', { address: broken.address }),
    ).toBe(200 + SEGMENTS);
    const dropLogs = logger.find('unrequested directory segment dropped');
    expect(dropLogs.length).toBeGreaterThan(0);
    expect(dropLogs.length).toBeLessThanOrEqual(10);
    // The directory is still the healthy node's, and still works for a new session.
    expect(gateway.core.directory.size.users).toBe(8);
    const dave = await invite(client, 'dave');
    expect(dave.inviteResponse.status).toBe(200);
  });

  it('keeps the segments of its own directory load when they share a TCP chunk with the response', async () => {
    // The simulator writes the response and the first segments in one turn (one chunk): the
    // collector must exist before the segments are looked at, or the directory would be lost.
    const sim = await simulator();
    const { gateway } = await gatewayOn([sim.nodes[0]?.address ?? '']);
    const connection = gateway.pool.connections[0];
    if (connection === undefined) throw new Error('no connection');
    for (let i = 0; i < 5; i++) {
      const segments = await connection.loadDirectory();
      expect(segments.flatMap((s) => s.users)).toHaveLength(8);
    }
    expect(connection.unrequestedSegments).toBe(0);
  });
});

describe('the directory in node priority order, refused when empty or shrunk (finding 5)', () => {
  const EMPTY = (): ClusterConfig => clusterOf([], 'empty cluster');

  it('an empty node listed first: refused with an alarm, the next node gives the directory, INVITEs accepted', async () => {
    const empty = await simulator(EMPTY());
    const demo = await simulator();
    const emptyAddress = empty.nodes[0]?.address ?? '';
    const demoAddress = demo.nodes[0]?.address ?? '';
    const { gateway, logger } = await gatewayOn([emptyAddress, demoAddress]);
    await until(() => gateway.pool.upCount === 2, 'both up');
    await gateway.core.loadDirectory(); // a refresh: deterministic whatever won the start
    expect(gateway.core.directory.size.users).toBe(8);
    // The operator's view: GET /health.
    const http = await startHttpServer(gateway, { host: '127.0.0.1', port: 0, logger });
    disposables.push(() => http.dispose());
    const response = await fetch(`${http.url}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as ReturnType<Gateway['health']>;
    expect(health.directory.source).toBe(demoAddress);
    expect(health.directory.refused).toEqual([
      expect.objectContaining({ cti: emptyAddress, reason: 'empty' }),
    ]);
    expect(health.status).toBe('degraded');
    expect(await metric(gateway, 'deskline_directory_refusals_total', { reason: 'empty' })).toBeGreaterThan(
      0,
    );
    expect(logger.find('directory refused').some((r) => r.fields['cti'] === emptyAddress)).toBe(true);

    const client = await sipClient(gateway);
    expect((await invite(client, 'alice')).inviteResponse.status).toBe(200);
    expect((await invite(client, 'dave')).inviteResponse.status).toBe(200);
  });

  it('an empty node listed second that is up first: refused; the first node gives the directory once it is up', async () => {
    const demo = await simulator();
    const empty = await simulator(EMPTY());
    const demoAddress = demo.nodes[0]?.address ?? '';
    unwrap(await demo.stopNode(0));
    const { gateway } = await gatewayOn([demoAddress, empty.nodes[0]?.address ?? ''], {}, 3_000);
    // Only the empty node is up: nothing acceptable, no directory — rather than an empty one.
    expect(gateway.core.directory.loadedAt).toBe(0);
    expect(gateway.health().directory.refused.map((r) => r.reason)).toEqual(['empty']);
    const client = await sipClient(gateway);
    const early = await invite(client, 'alice');
    expect(early.inviteResponse.status).not.toBe(200);

    unwrap(await demo.startNode(0));
    await until(() => gateway.core.directory.size.users === 8, 'directory from the first node');
    expect(gateway.health().directory.source).toBe(demoAddress);
    expect((await invite(client, 'alice')).inviteResponse.status).toBe(200);
    expect((await invite(client, 'emma')).inviteResponse.status).toBe(200);
  });

  it('a directory that shrinks by more than directoryMaxShrinkPercent is refused: the last good one and every session are kept', async () => {
    const full = await simulator();
    const small = await simulator(clusterOf(['alice', 'bob'], 'two users'));
    const fullAddress = full.nodes[0]?.address ?? '';
    const smallAddress = small.nodes[0]?.address ?? '';
    const { gateway, logger } = await gatewayOn([fullAddress, smallAddress]);
    await until(() => gateway.pool.upCount === 2, 'both up');
    await gateway.core.loadDirectory();
    expect(gateway.health().directory.source).toBe(fullAddress);

    const client = await sipClient(gateway);
    const alice = await invite(client, 'alice'); // round-robin: the full node
    const dave = await invite(client, 'dave'); // the small node, which does not know Dave
    expect([alice.inviteResponse.status, dave.inviteResponse.status]).toEqual([200, 200]);
    expect(coreSessionOf(gateway, 'dave').connection.addressText).toBe(smallAddress);

    unwrap(await full.stopNode(0));
    await until(() => gateway.pool.upCount === 1, 'the full node seen down');
    await gateway.core.loadDirectory(); // 8 → 2 users: a 75 % shrink
    expect(gateway.core.directory.size.users).toBe(8);
    const refused = gateway.health().directory.refused;
    expect(refused).toEqual([expect.objectContaining({ cti: smallAddress, reason: 'shrink' })]);
    expect(refused[0]?.message).toMatch(/from 8 to 2 users.*cti\.directoryMaxShrinkPercent \(50 %\)/);
    expect(await metric(gateway, 'deskline_directory_refusals_total', { reason: 'shrink' })).toBe(1);
    expect(logger.find('no CTI Manager gave an acceptable directory; keeping the previous one')).toHaveLength(
      1,
    );
    // Dave's session was not revalidated against the refused directory.
    expect(coreSessionOf(gateway, 'dave').state).toBe('active');
    const answer = await dave.info(snapshotDeviceBody(LINES.dave));
    expect(answer.status).toBe(200);
    expect((await invite(client, 'emma')).inviteResponse.status).toBe(200);

    // Once the full node is back, a reload takes it (priority order) and the alarm clears.
    unwrap(await full.startNode(0));
    await until(() => gateway.pool.upCount === 2, 'the full node back');
    await gateway.core.loadDirectory();
    expect(gateway.health().directory).toMatchObject({ source: fullAddress, refused: [], users: 8 });
  });

  it('a shrink within directoryMaxShrinkPercent is taken, and sessions of users who left are closed', async () => {
    const full = await simulator();
    const small = await simulator(clusterOf(['alice', 'bob'], 'two users'));
    const { gateway } = await gatewayOn([full.nodes[0]?.address ?? '', small.nodes[0]?.address ?? ''], {
      directoryMaxShrinkPercent: 90,
    });
    await until(() => gateway.pool.upCount === 2, 'both up');
    const client = await sipClient(gateway);
    await invite(client, 'alice');
    const dave = await invite(client, 'dave');
    expect(dave.inviteResponse.status).toBe(200);
    unwrap(await full.stopNode(0));
    await until(() => gateway.pool.upCount === 1, 'the full node seen down');
    await gateway.core.loadDirectory();
    expect(gateway.core.directory.size.users).toBe(2);
    expect(gateway.health().directory.refused).toEqual([]);
    await until(() => ![...gateway.core.allSessions()].some((s) => s.user.id === 'dave'), 'Dave signed out');
  });
});

describe('a node whose directory never ends', () => {
  it('fails the load past directoryMaxSegments, and the next node gives the directory', async () => {
    const broken = await BrokenCtiNode.start({ endlessDirectorySegments: 500 });
    disposables.push(() => broken.dispose());
    const demo = await simulator();
    const { gateway, logger } = await gatewayOn([broken.address, demo.nodes[0]?.address ?? ''], {
      directoryMaxSegments: 50,
    });
    await until(() => gateway.pool.upCount === 2, 'both up');
    await gateway.core.loadDirectory();
    expect(gateway.core.directory.size.users).toBe(8);
    const refused = gateway.health().directory.refused;
    expect(refused).toEqual([expect.objectContaining({ cti: broken.address, reason: 'error' })]);
    expect(refused[0]?.message).toMatch(/more than 50 segments \(cti\.directoryMaxSegments\)/);
    expect(await metric(gateway, 'deskline_directory_refusals_total', { reason: 'error' })).toBeGreaterThan(
      0,
    );
    expect(logger.find('directory refused').length).toBeGreaterThan(0);
    // What followed the 50th segment was dropped as unrequested, not collected.
    await until(() => (gateway.pool.connections[0]?.unrequestedSegments ?? 0) >= 450, 'the rest dropped');
  });
});

describe('a node that heartbeats but answers no request (finding 10)', () => {
  async function muteSetup(cti: NonNullable<GatewayConfigInput['cti']> = {}) {
    const sim = await simulator('demo', 2);
    const { gateway, logger } = await gatewayOn(
      sim.nodes.map((n) => n.address),
      { heartbeatIntervalMs: 300, requestTimeoutMs: 1000, requestTimeoutLimit: 3, ...cti },
    );
    await until(() => gateway.pool.upCount === 2, 'both up');
    const client = await sipClient(gateway);
    const alice = await invite(client, 'alice'); // node 0
    const dave = await invite(client, 'dave'); // node 1, the one to be muted
    expect([alice.inviteResponse.status, dave.inviteResponse.status]).toEqual([200, 200]);
    expect(coreSessionOf(gateway, 'dave').connection.index).toBe(1);
    const monitor = csta(await dave.info(body.monitorStart(LINES.dave)));
    if (monitor.type !== 'MonitorStartResponse') throw new Error('no monitor');
    return { sim, gateway, logger, client, alice, dave, monitor: monitor.monitorCrossRefID };
  }

  async function timeOutThreeRequests(dave: RawSession): Promise<void> {
    for (let i = 0; i < 3; i++)
      expect(csta(await dave.info(snapshotDeviceBody(LINES.dave)))).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'systemResourceAvailibility',
        value: 'resourceBusy',
      });
  }

  it('is degraded after requestTimeoutLimit timeouts: new sessions avoid it, its sessions fail fast, and it comes back when it answers', async () => {
    const { sim, gateway, logger, client, alice, dave } = await muteSetup();
    const muted = gateway.pool.connections[1];
    if (muted === undefined) throw new Error('no connection');
    unwrap(sim.muteRequestsNode(1));
    await timeOutThreeRequests(dave);
    await until(() => muted.viewState === 'degraded', 'degraded after three timeouts');
    expect(muted.isUp).toBe(true); // its heartbeats are answered: not down
    const node = gateway.health().cti.nodes[1];
    expect(node?.degradedReason).toMatch(/3 requests in a row unanswered/);
    expect(logger.find('CTI Manager answers heartbeats but no requests: connection degraded')).toHaveLength(
      1,
    );
    expect(
      await metric(gateway, 'deskline_cti_request_degradations_total', { address: muted.addressText }),
    ).toBe(1);
    expect(
      await metric(gateway, 'deskline_cti_request_timeouts_total', { address: muted.addressText }),
    ).toBeGreaterThanOrEqual(3);

    // Dave's requests fail at once, like a down node's — well within the 1 s request timeout.
    const started = performance.now();
    expect(csta(await dave.info(snapshotDeviceBody(LINES.dave)))).toEqual({
      type: 'CSTAErrorCode',
      errorClass: 'systemResourceAvailibility',
      value: 'resourceOutOfService',
    });
    expect(performance.now() - started).toBeLessThan(500);
    // New sessions go to the node that answers; the bystander never notices.
    const carol = await invite(client, 'carol');
    const emma = await invite(client, 'emma');
    expect([carol.inviteResponse.status, emma.inviteResponse.status]).toEqual([200, 200]);
    expect(coreSessionOf(gateway, 'carol').connection.index).toBe(0);
    expect(coreSessionOf(gateway, 'emma').connection.index).toBe(0);
    expect(csta(await alice.info(snapshotDeviceBody(LINES.alice))).type).toBe('SnapshotDeviceResponse');

    // It answers again: the probe finds out, Dave's session is active again with its monitor.
    unwrap(sim.unmuteRequestsNode(1));
    await until(() => muted.viewState === 'up', 'usable again');
    expect(logger.find('CTI Manager answers requests again: connection usable')).toHaveLength(1);
    await until(() => coreSessionOf(gateway, 'dave').state === 'active', 'Dave active again');
    expect(csta(await dave.info(body.makeCall(LINES.dave, 'tel:1200;phone-context=dialstring'))).type).toBe(
      'MakeCallResponse',
    );
    await nextEvent(client, 'EstablishedEvent');
  });

  it('with moveSessionsOnFailure its sessions move to a node that answers, monitors included', async () => {
    const { sim, gateway, client, dave, monitor } = await muteSetup({ moveSessionsOnFailure: true });
    unwrap(sim.muteRequestsNode(1));
    await timeOutThreeRequests(dave);
    await until(() => {
      const s = coreSessionOf(gateway, 'dave');
      return s.state === 'active' && s.connection.index === 0;
    }, 'Dave moved to node 0');
    const made = csta(await dave.info(body.makeCall(LINES.dave, 'tel:1200;phone-context=dialstring')));
    expect(made.type).toBe('MakeCallResponse');
    const event = await nextEvent(client, 'EstablishedEvent');
    expect('monitorCrossRefID' in event && event.monitorCrossRefID).toBe(monitor);
  });
});
