// The CTI link's standard profile at the connection level (docs/cti-link.md §7), over real loopback
// sockets: every request a server sends is answered (unknown ones with a proper CSTAErrorCode,
// never silence), heartbeats by the server's own SystemStatus or ours, links without an application
// session, the login forms against the simulator's checks, the edition written, and device IDs.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CtiConnection, type CtiConnectionDelegate } from '../../src/cti/cti-connection.js';
import { DESKLINE_LINK_PROFILE, type CtiLinkProfile } from '../../src/cti/link-profile.js';
import { cstaNamespace, decodeCsta, encodeCsta, type CstaMessage } from '../../src/csta/index.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/cti-link/framing.js';
import { systemClock } from '../../src/util/clock.js';
import { MemoryLogger } from '../../src/util/logger.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  startSimulator,
  type Simulator,
} from '../../../simulator/src/index.js';
import type { LoginSpec } from '../../src/cti-link/profile.js';
import { TcpCapture } from '../support/tcp-capture.js';

const ED3 = cstaNamespace('ed3');
const disposables: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const dispose of disposables.splice(0).reverse()) await dispose();
});

async function until(check: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const login = (form: LoginSpec['form'], more: Partial<LoginSpec> = {}): LoginSpec => ({
  form,
  userElement: 'userName',
  passwordElement: 'password',
  extra: {},
  ...more,
});

function standard(more: Partial<CtiLinkProfile> = {}): CtiLinkProfile {
  return {
    name: 'standard',
    edition: 'ed3',
    session: 'ecma354',
    login: login('none'),
    heartbeat: 'resetApplicationSessionTimer',
    systemRegister: false,
    checkDevices: false,
    deviceIds: undefined,
    ...more,
  };
}

interface Recorder extends CtiConnectionDelegate {
  ups: string[];
  downs: string[];
}

function recorder(): Recorder {
  const r: Recorder = {
    ups: [],
    downs: [],
    onUp: (_c, id) => r.ups.push(id),
    onDown: (_c, _id, reason) => r.downs.push(reason.message),
  };
  return r;
}

function connection(
  address: string,
  profile: CtiLinkProfile,
  more: { password?: string; heartbeatIntervalMs?: number; logger?: MemoryLogger } = {},
): { connection: CtiConnection; events: Recorder; logger: MemoryLogger } {
  const colon = address.lastIndexOf(':');
  const events = recorder();
  const logger = more.logger ?? new MemoryLogger();
  const c = new CtiConnection(
    {
      index: 0,
      address: { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) },
      applicationUser: DEMO_APPLICATION_USER,
      password: more.password ?? DEMO_APPLICATION_PASSWORD,
      applicationId: 'Deskline/test',
      heartbeatIntervalMs: more.heartbeatIntervalMs ?? 200,
      heartbeatMissLimit: 2,
      requestTimeoutMs: 2000,
      reconnectInitialMs: 100,
      reconnectMaxMs: 400,
      clock: systemClock,
      logger,
      profile,
    },
    events,
  );
  disposables.push(() => c.dispose());
  c.start();
  return { connection: c, events, logger };
}

async function standardSimulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const sim = await startSimulator({
    cluster: 'demo',
    profile: 'standard',
    systemStatusIntervalMs: 150,
    applicationUser: DEMO_APPLICATION_USER,
    applicationPassword: DEMO_APPLICATION_PASSWORD,
    ...options,
  });
  disposables.push(() => sim.dispose());
  return sim;
}

/** A CTI node driven by the test: it opens sessions and answers heartbeats, records every frame
 *  the gateway sends, and sends whatever frames the test tells it to. */
class ScriptedNode {
  readonly frames: { frame: Frame; message: CstaMessage | undefined; raw: string }[] = [];
  private socket: Socket | undefined;
  /** Requests left unanswered (the test answers them itself). */
  hold = new Set<string>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ScriptedNode> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const node = new ScriptedNode(server);
    server.on('connection', (socket) => node.accept(socket));
    disposables.push(() => node.dispose());
    return node;
  }

  get address(): string {
    const a = this.server.address();
    return `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  }

  send(invokeId: number, xml: string): void {
    this.socket?.write(encodeFrame(invokeId, xml));
  }

  async answerTo(invokeId: number, timeoutMs = 5_000): Promise<CstaMessage | string> {
    await until(
      () => this.frames.some((f) => f.frame.invokeId === invokeId),
      `an answer to ${invokeId}`,
      timeoutMs,
    );
    const found = this.frames.find((f) => f.frame.invokeId === invokeId);
    return found?.message ?? found?.raw ?? '';
  }

  async dispose(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.socket = socket;
    const decoder = new FrameDecoder();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      if (!frames.ok) return;
      for (const frame of frames.value) {
        const decoded = decodeCsta(frame.payload);
        const message = decoded.ok ? decoded.value.message : undefined;
        this.frames.push({ frame, message, raw: frame.payload.toString('utf8') });
        if (message === undefined || this.hold.has(message.type)) continue;
        const answer = this.answer(message);
        if (answer !== undefined) socket.write(encodeFrame(frame.invokeId, encodeCsta(answer)));
      }
    });
  }

  private answer(request: CstaMessage): CstaMessage | undefined {
    switch (request.type) {
      case 'StartApplicationSession':
        return {
          type: 'StartApplicationSessionPosResponse',
          sessionID: 'scripted-1',
          actualProtocolVersion: ED3,
          actualSessionDuration: 60,
        };
      case 'ResetApplicationSessionTimer':
        return { type: 'ResetApplicationSessionTimerPosResponse', actualSessionDuration: 60 };
      default:
        return undefined;
    }
  }
}

describe('requests a CSTA server sends the gateway', () => {
  it.each<['deskline' | 'standard', CtiLinkProfile]>([
    ['deskline', DESKLINE_LINK_PROFILE],
    ['standard', standard()],
  ])(
    'are all answered, unknown ones with CSTAErrorCode serviceNotSupported (%s profile)',
    async (_name, profile) => {
      const node = await ScriptedNode.start();
      const { connection: c } = connection(node.address, profile);
      await until(() => c.isUp, 'up');
      const ed3 = (root: string, inner = ''): string =>
        `<?xml version="1.0"?><${root} xmlns="${ED3}">${inner}</${root}>`;

      node.send(41, ed3('SystemStatus', '<systemStatus>normal</systemStatus>'));
      expect(await node.answerTo(41)).toEqual({ type: 'SystemStatusResponse' });
      node.send(42, ed3('RequestSystemStatus'));
      expect(await node.answerTo(42)).toEqual({
        type: 'RequestSystemStatusResponse',
        systemStatus: 'normal',
      });
      // A service the gateway does not offer a server, a message it does not know, one it cannot
      // read, and one in no CSTA namespace: each gets an answer on its own invoke ID.
      node.send(
        43,
        ed3(
          'MakeCall',
          '<callingDevice>1001</callingDevice><calledDirectoryNumber>1002</calledDirectoryNumber>',
        ),
      );
      expect(await node.answerTo(43)).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'serviceNotSupported',
      });
      node.send(44, ed3('FrobnicateDevice', '<device>1001</device>'));
      expect(await node.answerTo(44)).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'serviceNotSupported',
      });
      node.send(45, ed3('MonitorStart', '<monitorType>device</monitorType>'));
      expect(await node.answerTo(45)).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'generic',
      });
      node.send(46, ed3('SystemRegister', '<requestTypes><systemStatus>true</systemStatus></requestTypes>'));
      expect(await node.answerTo(46)).toEqual({
        type: 'CSTAErrorCode',
        errorClass: 'operation',
        value: 'serviceNotSupported',
      });
      // An answer to nothing is not a request: dropped, not answered.
      node.send(47, ed3('MonitorStopResponse'));
      await new Promise((r) => setTimeout(r, 100));
      expect(node.frames.some((f) => f.frame.invokeId === 47)).toBe(false);
      expect(c.isUp).toBe(true);
    },
  );

  it('a server request on the invoke ID of a request of ours is answered, and ours still gets its answer', async () => {
    const node = await ScriptedNode.start();
    const { connection: c } = connection(node.address, standard());
    await until(() => c.isUp, 'up');
    node.hold.add('SnapshotDevice');
    const pending = c.request({ type: 'SnapshotDevice', snapshotObject: '1001' }, 'SnapshotDeviceResponse');
    await until(() => node.frames.some((f) => f.message?.type === 'SnapshotDevice'), 'the request');
    const ours = node.frames.find((f) => f.message?.type === 'SnapshotDevice');
    const id = ours?.frame.invokeId ?? 0;
    // The server's own SystemStatus, numbered from its own counter, happens to use the same ID.
    node.send(id, `<SystemStatus xmlns="${ED3}"><systemStatus>normal</systemStatus></SystemStatus>`);
    await until(
      () => node.frames.some((f) => f.frame.invokeId === id && f.message?.type === 'SystemStatusResponse'),
      'the SystemStatus answered',
    );
    node.send(
      id,
      `<SnapshotDeviceResponse xmlns="${ED3}"><crossRefIDorSnapshotData><snapshotData/></crossRefIDorSnapshotData></SnapshotDeviceResponse>`,
    );
    expect((await pending).type).toBe('SnapshotDeviceResponse');
  });
});

describe('heartbeats in the standard profile', () => {
  it("`server`: the server's SystemStatus keeps the link up; when they stop, the link is down within the miss limit", async () => {
    const sim = await standardSimulator({ systemStatusIntervalMs: 150 });
    const address = sim.nodes[0]?.address ?? '';
    const { connection: c, events, logger } = connection(address, standard({ heartbeat: 'server' }));
    await until(() => c.isUp, 'up');
    await new Promise((r) => setTimeout(r, 800)); // several of the server's intervals
    expect(c.isUp).toBe(true);
    expect(c.missedHeartbeats).toBe(0);
    expect(events.downs).toEqual([]);
    // A frozen server sends nothing and answers nothing: two windows of 200 + 90 ms.
    sim.freezeNode(0);
    const frozenAt = Date.now();
    await until(() => events.downs.length > 0, 'down');
    expect(Date.now() - frozenAt).toBeLessThan(2_000);
    expect(events.downs[0]).toMatch(/sent no SystemStatus in 2 heartbeat windows \(cti\.heartbeat: server/);
    expect(logger.find('CTI heartbeat missed (no SystemStatus from the CTI Manager)').length).toBe(2);
  });

  it('`server` against a server that sends no SystemStatus at all: down, and the message says why', async () => {
    const sim = await standardSimulator({ systemStatusIntervalMs: 0 });
    const { events } = connection(sim.nodes[0]?.address ?? '', standard({ heartbeat: 'server' }));
    await until(() => events.downs.length > 0, 'down');
    expect(events.ups.length).toBeGreaterThan(0);
    expect(events.downs[0]).toMatch(/sent no SystemStatus/);
  });

  it("`systemStatus`: the gateway's own SystemStatus, answered, measures the round trip; the server's are answered too", async () => {
    const sim = await standardSimulator({ systemStatusIntervalMs: 150 });
    const { connection: c, events } = connection(
      sim.nodes[0]?.address ?? '',
      standard({ heartbeat: 'systemStatus' }),
    );
    await until(() => c.view().rttMs !== undefined, 'a heartbeat round trip');
    await new Promise((r) => setTimeout(r, 600));
    expect(events.downs).toEqual([]);
    expect(c.view().state).toBe('up');
  });

  it('a link without an application session: up at once under a connection ID of our own, served, new after a reconnect', async () => {
    const sim = await standardSimulator({ login: login('none') });
    const address = sim.nodes[0]?.address ?? '';
    const { connection: c, events } = connection(address, standard({ session: 'none', heartbeat: 'server' }));
    await until(() => c.isUp, 'up');
    expect(c.connectionId).toBe(`${address}#1`);
    const monitor = await c.request(
      { type: 'MonitorStart', monitorObject: { deviceObject: '1001' } },
      'MonitorStartResponse',
    );
    expect(monitor.monitorCrossRefID).not.toBe('');
    await sim.stopNode(0);
    await until(() => events.downs.length === 1, 'down');
    await sim.startNode(0);
    await until(() => events.ups.length === 2, 'up again');
    expect(events.ups).toEqual([`${address}#1`, `${address}#2`]);
  });
});

describe('the login, where the vendor puts it', () => {
  it.each<[string, LoginSpec]>([
    ['applicationID', login('applicationId')],
    ["Avaya AE Services' SessionLoginInfo", login('sessionLoginInfo')],
    [
      'a custom block',
      login('custom', {
        element: 'Login',
        namespace: 'http://pbx.example/csta',
        userElement: 'user',
        passwordElement: 'secret',
      }),
    ],
  ])(
    '%s: accepted with the right credentials, refused with wrong ones (the message names cti.login)',
    async (_what, spec) => {
      const sim = await standardSimulator({ login: spec });
      const address = sim.nodes[0]?.address ?? '';
      const right = connection(address, standard({ login: spec }));
      await until(() => right.connection.isUp, 'up');
      const wrong = connection(address, standard({ login: spec }), { password: 'not-the-password' });
      const wrongUser =
        spec.form === 'applicationId'
          ? new CtiConnection(
              {
                index: 1,
                address: wrong.connection.address,
                applicationUser: 'somebody-else',
                password: '',
                applicationId: 'x',
                heartbeatIntervalMs: 200,
                heartbeatMissLimit: 2,
                requestTimeoutMs: 2000,
                reconnectInitialMs: 100,
                reconnectMaxMs: 400,
                clock: systemClock,
                logger: new MemoryLogger(),
                profile: standard({ login: spec }),
              },
              recorder(),
            )
          : wrong.connection;
      if (wrongUser !== wrong.connection) {
        disposables.push(() => wrongUser.dispose());
        wrongUser.start();
      }
      await until(() => wrongUser.failures > 0, 'refused');
      expect(wrongUser.isUp).toBe(false);
      expect(wrongUser.view().lastError).toMatch(
        /refused the application session.*invalidApplicationInfo.*check cti\.login: form/,
      );
    },
  );

  it('the password never appears in a log line', async () => {
    const spec = login('sessionLoginInfo');
    const sim = await standardSimulator({ login: spec });
    const logger = new MemoryLogger();
    const { connection: c } = connection(sim.nodes[0]?.address ?? '', standard({ login: spec }), {
      password: 'wrong-and-secret',
      logger,
    });
    await until(() => c.failures > 0, 'refused');
    expect(JSON.stringify(logger.records)).not.toContain('wrong-and-secret');
  });
});

describe('what goes on the wire', () => {
  it('ed5 out, ed5 back; devices by DN; nothing in urn:deskline', async () => {
    const sim = await standardSimulator();
    const capture = await TcpCapture.start(sim.nodes[0]?.address ?? '');
    disposables.push(() => capture.dispose());
    const appearance = 'SEP00AABB000001/1001/INTERNAL';
    const deviceIds = {
      toWire: (id: string) => (id === appearance ? '1001' : undefined),
      fromWire: (id: string) => (id === '1001' ? [appearance] : []),
      expected: () => new Set(['1001']),
    };
    const { connection: c } = connection(
      capture.address,
      standard({ edition: 'ed5', deviceIds, checkDevices: true }),
    );
    await until(() => c.listedDevices !== undefined, 'the device list');
    expect(c.listedDevices?.has('1001')).toBe(true);
    expect(c.view().deviceCheck).toMatchObject({ listed: c.listedDevices?.size });
    const monitor = await c.request(
      { type: 'MonitorStart', monitorObject: { deviceObject: appearance } },
      'MonitorStartResponse',
    );
    const events: CstaMessage[] = [];
    c.registerMonitor(monitor.monitorCrossRefID, (e) => events.push(e));
    const made = await c.request(
      { type: 'MakeCall', callingDevice: appearance, calledDirectoryNumber: '1002' },
      'MakeCallResponse',
    );
    // The server answered with its own ID (1001); the connection gives back ours.
    expect(made.callingDevice.deviceID).toBe(appearance);
    await until(() => events.some((e) => e.type === 'EstablishedEvent'), 'established');
    const established = events.find((e) => e.type === 'EstablishedEvent');
    // The caller is ours again; the party answering is a number we do not know as an appearance.
    expect(established).toMatchObject({
      callingDevice: { id: appearance },
      establishedConnection: { deviceID: '1002' },
    });
    const up = capture.bytes('up').toString('latin1');
    const down = capture.bytes('down').toString('latin1');
    expect(up).toContain('<deviceObject>1001</deviceObject>');
    expect(up).toContain('<callingDevice>1001</callingDevice>');
    expect(up).toContain(cstaNamespace('ed5'));
    expect(down).toContain(`<MakeCallResponse xmlns="${cstaNamespace('ed5')}">`);
    expect(up + down).not.toMatch(/urn:deskline|SEP00AABB/);
  });
});
