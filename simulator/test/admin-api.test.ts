import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { startSimulator, type Simulator } from '../src/index.js';
import { EMMA } from './helpers.js';
import { TestCtiClient } from './cti-test-client.js';

let sim: Simulator;
let base: string;
const clock = new FakeClock();

beforeAll(async () => {
  sim = await startSimulator({ nodes: 2, port: 0, adminPort: 0, clock });
  base = sim.adminUrl ?? '';
});

afterAll(async () => {
  await sim.dispose();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: unknown }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': contentType };
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('admin API', () => {
  it('listens on loopback and reports health and nodes', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('GET', '/health')).toEqual({
      status: 200,
      json: {
        status: 'ok',
        nodes: sim.nodes.map((n) => ({ index: n.index, state: 'running', address: n.address })),
        calls: 0,
      },
    });
    const nodes = await call('GET', '/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.json).toEqual([
      expect.objectContaining({ index: 0, state: 'running', connections: 0, sessions: 0 }),
      expect.objectContaining({ index: 1, state: 'running' }),
    ]);
  });

  it('places, lists, shows and clears inbound calls', async () => {
    const created = await call('POST', '/calls', { from: '+14155550123', to: '1005' });
    expect(created.status).toBe(201);
    const callId = (created.json as { callId: string }).callId;
    expect(created.json).toMatchObject({
      callingDevice: '+14155550123',
      calledDevice: '1005',
      connections: [
        { deviceId: '+14155550123', state: 'connected' },
        { deviceId: EMMA, state: 'alerting' },
      ],
    });
    expect((await call('GET', '/calls')).json).toEqual([created.json]);
    expect((await call('GET', `/calls/${callId}`)).json).toEqual(created.json);
    expect((await call('DELETE', `/calls/${callId}`)).status).toBe(204);
    expect(sim.model.callCount()).toBe(0);
    expect((await call('DELETE', `/calls/${callId}`)).status).toBe(404);
    expect((await call('GET', `/calls/${callId}`)).status).toBe(404);
  });

  it('validates bodies and says what is wrong', async () => {
    const missing = await call('POST', '/calls', { from: '+14155550123' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.json)).toContain('to');
    expect((await call('POST', '/calls', { from: '+1', to: '1005', extra: 1 })).status).toBe(400);
    expect((await call('POST', '/calls', '{not json')).status).toBe(400);
    expect((await call('POST', '/calls', 'from=1&to=2', 'text/plain')).status).toBe(415);
    expect((await call('POST', '/calls', { from: 'x'.repeat(20_000), to: '1' })).status).toBe(413);
    const refused = await call('POST', '/calls', { from: '+14155550123', to: '+14155550124' });
    expect(refused).toEqual({
      status: 422,
      json: {
        error: {
          code: 'INVALID_ARGUMENT',
          message: '+14155550124 is not a line of the cluster',
          csta: { errorClass: 'operation', value: 'invalidCalledDeviceID' },
        },
      },
    });
    expect(sim.model.callCount()).toBe(0);
  });

  it('drives node operations, refusing impossible ones', async () => {
    const c = await TestCtiClient.session(sim.nodes[0]?.port ?? 0);
    expect((await call('POST', '/nodes/0/freeze')).json).toMatchObject({
      index: 0,
      state: 'frozen',
      connections: 1,
      sessions: 1,
    });
    expect((await call('POST', '/nodes/0/thaw')).json).toMatchObject({ state: 'running' });
    expect((await call('POST', '/nodes/0/mute-requests')).json).toMatchObject({ state: 'muted' });
    expect((await call('POST', '/nodes/0/freeze')).status).toBe(409);
    expect((await call('POST', '/nodes/0/unmute-requests')).json).toMatchObject({ state: 'running' });
    expect((await call('POST', '/nodes/0/stop')).json).toMatchObject({ state: 'stopped', connections: 0 });
    await c.closed;
    expect((await call('GET', '/health')).json).toMatchObject({ status: 'degraded' });
    const conflict = await call('POST', '/nodes/0/freeze');
    expect(conflict.status).toBe(409);
    expect(conflict.json).toMatchObject({ error: { code: 'INVALID_STATE' } });
    expect((await call('POST', '/nodes/0/start')).json).toMatchObject({
      state: 'running',
      port: sim.nodes[0]?.port,
    });
    expect((await call('POST', '/nodes/9/stop')).status).toBe(404);
    expect((await call('POST', '/nodes/0/explode')).status).toBe(404);
    expect((await call('POST', '/nodes/x/stop')).status).toBe(404);
  });

  it('summarises the directory, in detail on request', async () => {
    expect((await call('GET', '/directory')).json).toMatchObject({
      name: 'Deskline demo cluster',
      users: 8,
      licensedUsers: 7,
      sharedLines: 2,
      ctiDisallowedDevices: 1,
    });
    const detail = (await call('GET', '/directory?detail=1')).json as {
      users: { id: string; appearances: string[] }[];
      truncated: boolean;
    };
    expect(detail.truncated).toBe(false);
    expect(detail.users.find((u) => u.id === 'carol')?.appearances).toHaveLength(3);
  });

  it('answers unknown routes and methods, and refuses non-loopback Host headers', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
    expect((await call('PUT', '/calls')).status).toBe(405);
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/health', headers: { host: 'evil.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('survives garbage on its socket', async () => {
    const url = new URL(base);
    await new Promise<void>((resolve) => {
      const s = connect({ host: url.hostname, port: Number(url.port) }, () =>
        s.end(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a])),
      );
      s.on('data', () => undefined);
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect((await call('GET', '/health')).status).toBe(200);
  });
});
