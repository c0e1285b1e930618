// The browser shell host over a real demo gateway and real loopback sockets: a restart within
// the same data directory keeps the token and the port (an open tab reconnects), the user's
// only line is chosen by itself, "Ring my phone" rings it, the host says what it applies, and
// the missed-call badge crosses as an event.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type HostedGateway } from '../../src/demo.js';
import { startShellHost, type ShellHost } from '../../src/shell/shell-host.js';
import { SHELL_STATE_FILE } from '../../src/shell/shell-state.js';
import { MemoryLogger, systemClock } from '../../../gateway/src/index.js';
import { makeStaticDir, openClient, type OpenResult, type StaticFixture } from './helpers.js';

let dataDir: string;
let statics: StaticFixture;
let gateway: HostedGateway | undefined;
const hosts: ShellHost[] = [];
const clients: OpenResult[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'deskline-shell-host-'));
  statics = await makeStaticDir();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.terminate();
  for (const host of hosts.splice(0)) await host.dispose();
  await gateway?.dispose();
  gateway = undefined;
  await statics.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

async function demo(user = 'alice'): Promise<{ gateway: HostedGateway; host: ShellHost }> {
  gateway ??= await startGateway({
    config: {
      demo: { enabled: true, nodes: 1 },
      http: { port: null },
      cti: { heartbeatIntervalMs: 500, reconnectInitialMs: 100, reconnectMaxMs: 500 },
    },
    logger: new MemoryLogger(),
  });
  const host = await startShellHost({
    gateway,
    userId: user,
    staticDir: statics.root,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    rememberPort: true,
    clock: systemClock,
    logger: new MemoryLogger(),
  });
  hosts.push(host);
  return { gateway, host };
}

async function connect(host: ShellHost): Promise<OpenResult> {
  const url = new URL(host.server.url);
  const client = await openClient(
    `ws://${url.host}/ws?token=${url.searchParams.get('token') ?? ''}`,
    host.server.origin,
  );
  clients.push(client);
  return client;
}

let nextId = 1;
async function call(client: OpenResult, method: string, request: unknown = {}): Promise<unknown> {
  const id = nextId++;
  client.socket.send(JSON.stringify({ id, method, request }));
  for (;;) {
    const message = (await client.next()) as { id?: number; envelope?: unknown };
    if (message.id === id) return message.envelope;
  }
}

/** Resolves with the first pushed event `name` whose payload passes `predicate`. */
async function event(client: OpenResult, name: string, predicate: (p: never) => boolean): Promise<unknown> {
  for (;;) {
    const message = (await client.next()) as { event?: string; payload?: never };
    if (message.event === name && message.payload !== undefined && predicate(message.payload))
      return message.payload;
  }
}

describe('browser shell host', () => {
  it('keeps its token and port across a restart within the same data directory', async () => {
    const first = (await demo()).host;
    const { port, url } = first.server;
    const state = JSON.parse(await readFile(join(dataDir, SHELL_STATE_FILE), 'utf8')) as {
      token: string;
      port: number;
    };
    expect(state).toMatchObject({ version: 1, port });
    expect(url).toContain(`token=${state.token}`);
    await first.dispose();
    hosts.splice(0);
    const second = (await demo()).host;
    expect(second.server.port).toBe(port);
    expect(second.server.url).toBe(url);
    // The old tab's token still opens the socket.
    const client = await connect(second);
    expect(await call(client, 'app.getHostInfo')).toEqual({
      ok: true,
      value: { kind: 'browserShell', settings: ['favourites', 'theme'], demo: true },
    });
  });

  it("starts at a one-line user's line, remembers it, and rings it on demand", async () => {
    const { host, gateway: gw } = await demo('alice');
    const client = await connect(host);
    client.socket.send(JSON.stringify({ subscribe: ['desk.state', 'app.missedCalls'] }));
    const active = await call(client, 'desk.getState');
    expect(active).toMatchObject({ ok: true });
    await event(client, 'desk.state', (s: { session: { state: string } }) => s.session.state === 'active');
    expect(gw.desk('alice').getState().selectedLineId).toBe('SEP00AABB000001/1001/INTERNAL');

    expect(await call(client, 'app.ringMyPhone')).toEqual({ ok: true, value: { ok: true } });
    const ringing = (await event(client, 'desk.state', (s: { calls: Array<{ state: string }> }) =>
      s.calls.some((c) => c.state === 'ringing'),
    )) as { calls: Array<{ callId: string; remote: { number: string } }> };
    expect(ringing.calls[0]?.remote.number).toBe('+14085550123');
    // Nobody answers: the caller gives up (the simulator clears it): a missed call, pushed.
    const [simCall] = gw.simulator?.model.snapshot() ?? [];
    expect(gw.simulator?.model.clearCallById(simCall?.callId ?? '').ok).toBe(true);
    expect(await event(client, 'app.missedCalls', (m: { unseen: number }) => m.unseen === 1)).toMatchObject({
      unseen: 1,
    });
    const settings = JSON.parse(await readFile(join(dataDir, 'settings.json'), 'utf8')) as {
      lines?: Record<string, string>;
    };
    expect(settings.lines).toEqual({ alice: 'SEP00AABB000001/1001/INTERNAL' });
  });

  it('leaves a user with several lines and none remembered at the picker', async () => {
    const { gateway: gw } = await demo('carol');
    // The first snapshot has been seen (the keeper decides synchronously).
    expect(gw.desk('carol').getState()).toMatchObject({ selectedLineId: null, session: { state: 'noLine' } });
  });
});
