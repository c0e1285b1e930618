// The simulator's standard profile from the wire (docs/simulator.md §7): what a client sees of a
// standard CSTA call server — nothing private, devices by DN, the login in its form, the server's
// own SystemStatus requests (and a client that never answers them is dropped), the device list,
// SystemRegister, and the edition the client asked for.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cstaNamespace, encodeCsta, encodeFrame, type CstaMessage } from '../../gateway/src/protocol.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/index.js';
import { TestCtiClient } from './cti-test-client.js';

const sims: Simulator[] = [];
const clients: TestCtiClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sims.splice(0)) await s.dispose();
});

async function standard(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ cluster: 'demo', profile: 'standard', ...options });
  sims.push(sim);
  return sim;
}

function port(sim: Simulator): number {
  return sim.nodes[0]?.port ?? 0;
}

/** Raw bytes received on a connection that sends one frame and answers nothing. */
async function rawSession(
  sim: Simulator,
  first: CstaMessage,
  until: (text: string) => boolean,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: port(sim) });
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out; received: ${text}`));
    }, 5_000);
    socket.on('connect', () => socket.write(encodeFrame(1, encodeCsta(first))));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (until(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ text, closed });
      }
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text, closed });
    });
    socket.on('error', () => undefined);
  });
}

describe('the simulator as a standard CSTA call server', () => {
  it('names devices by DN, lists them, sends nothing private, and answers in the edition asked for', async () => {
    const sim = await standard({ systemStatusIntervalMs: 0 });
    const client = await TestCtiClient.connect(port(sim));
    clients.push(client);
    const started = await client.request({
      type: 'StartApplicationSession',
      applicationInfo: { applicationID: 'test' },
      requestedProtocolVersions: [cstaNamespace('ed4')],
      requestedSessionDuration: 60,
    });
    expect(started).toMatchObject({ actualProtocolVersion: cstaNamespace('ed4') });
    const monitor = await client.request({ type: 'MonitorStart', monitorObject: { deviceObject: '1001' } });
    if (monitor.type !== 'MonitorStartResponse') throw new Error(JSON.stringify(monitor));
    const made = await client.request({
      type: 'MakeCall',
      callingDevice: '1001',
      calledDirectoryNumber: '1002',
    });
    expect(made).toMatchObject({ type: 'MakeCallResponse', callingDevice: { deviceID: '1001' } });
    const delivered = await client.waitForEvent('DeliveredEvent');
    expect(delivered).toMatchObject({ alertingDevice: { id: '1002' }, callingDevice: { id: '1001' } });
    const list = await client.request({ type: 'GetSwitchingFunctionDevices' });
    expect(list.type).toBe('GetSwitchingFunctionDevicesResponse');
    const segment = await client.waitForEvent('SwitchingFunctionDevices');
    expect(segment.lastSegment).toBe(true);
    expect(segment.deviceList?.map((d) => d.deviceID)).toEqual(
      sim.cluster.lines.filter((l) => l.appearances.length > 0).map((l) => l.dn),
    );
    expect(segment.extensions).toBeUndefined();
    const registered = await client.request({ type: 'SystemRegister', requestTypes: { systemStatus: true } });
    expect(registered).toMatchObject({ type: 'SystemRegisterResponse' });
    // A device ID outside the cluster is refused as a standard server would.
    expect(
      await client.request({ type: 'MonitorStart', monitorObject: { deviceObject: '9999' } }),
    ).toMatchObject({
      type: 'CSTAErrorCode',
      errorClass: 'operation',
      value: 'invalidMonitorObject',
    });
  });

  it('sends its own SystemStatus, and drops a client that answers none of them', async () => {
    const sim = await standard({ systemStatusIntervalMs: 100 });
    const { text, closed } = await rawSession(
      sim,
      {
        type: 'StartApplicationSession',
        applicationInfo: { applicationID: 'silent' },
        requestedProtocolVersions: [cstaNamespace('ed3')],
        requestedSessionDuration: 60,
      },
      () => false,
    );
    expect(closed).toBe(true);
    expect(
      text.match(/<SystemStatus xmlns="[^"]+"><systemStatus>normal<\/systemStatus><\/SystemStatus>/g),
    ).toHaveLength(2);
    expect(text).not.toMatch(/urn:deskline/);
  });

  it('with a trusted address, serves a client that opens no application session', async () => {
    const sim = await standard({ systemStatusIntervalMs: 0 });
    const { text } = await rawSession(sim, { type: 'SnapshotDevice', snapshotObject: '1001' }, (t) =>
      t.includes('SnapshotDeviceResponse'),
    );
    expect(text).toContain('<SnapshotDeviceResponse');
  });

  it('refuses a login in the wrong form and, three times on one connection, closes it', async () => {
    const sim = await standard({
      systemStatusIntervalMs: 0,
      login: { form: 'sessionLoginInfo', userElement: 'userName', passwordElement: 'password', extra: {} },
      applicationUser: 'app',
      applicationPassword: 'secret',
    });
    const client = await TestCtiClient.connect(port(sim));
    clients.push(client);
    for (let i = 0; i < 3; i++) {
      const refused = await client.request({
        type: 'StartApplicationSession',
        applicationInfo: { applicationID: 'app' }, // no credential block at all
        requestedProtocolVersions: [cstaNamespace('ed3')],
      });
      expect(refused).toMatchObject({
        type: 'StartApplicationSessionNegResponse',
        errorCode: { definedError: 'invalidApplicationInfo' },
      });
    }
    await client.closed;
  });
});
