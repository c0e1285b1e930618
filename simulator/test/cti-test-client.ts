// A small CTI client for the simulator's tests, built on the real codec and framing: it opens a
// real TCP connection, sends framed ECMA-323/354 requests and collects responses and events.
import { connect, type Socket } from 'node:net';
import {
  cstaNamespace,
  decodeCsta,
  encodeCsta,
  type CstaMessage,
  type CstaMessageOf,
  type CstaMessageType,
  type CstaRequest,
  encodeFrame,
  FrameDecoder,
  EVENT_INVOKE_ID,
  InvokeIdAllocator,
} from '../../gateway/src/protocol.js';

/** How long a test waits for something before failing (it never asserts on durations). */
export const WAIT_MS = 5_000;

export interface Received {
  invokeId: number;
  message: CstaMessage;
}

export class TestCtiClient {
  /** Every frame received, in order. */
  readonly received: Received[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly invokeIds = new InvokeIdAllocator();
  private readonly pending = new Map<number, (message: CstaMessage) => void>();
  private waiters: { predicate: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  private isClosed = false;
  sessionId: string | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestCtiClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TestCtiClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Connects and opens an application session; rejects if the session is refused. */
  static async session(
    port: number,
    options: { user?: string; password?: string; durationS?: number } = {},
  ): Promise<TestCtiClient> {
    const client = await TestCtiClient.connect(port);
    const response = await client.startSession(
      options.user ?? 'deskline',
      options.password ?? 'deskline',
      options.durationS,
    );
    if (response.type !== 'StartApplicationSessionPosResponse') {
      client.close();
      throw new Error(`session refused: ${JSON.stringify(response)}`);
    }
    return client;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  async startSession(user: string, password: string, durationS?: number): Promise<CstaMessage> {
    const request: CstaMessageOf<'StartApplicationSession'> = {
      type: 'StartApplicationSession',
      applicationInfo: {
        applicationID: 'Deskline-test/1',
        applicationSpecificInfo: { credentials: { userName: user, password } },
      },
      requestedProtocolVersions: [cstaNamespace('ed3')],
    };
    if (durationS !== undefined) request.requestedSessionDuration = durationS;
    const response = await this.request(request);
    if (response.type === 'StartApplicationSessionPosResponse') this.sessionId = response.sessionID;
    return response;
  }

  heartbeat(): Promise<CstaMessage> {
    return this.request({
      type: 'ResetApplicationSessionTimer',
      sessionID: this.sessionId ?? '',
      requestedSessionDuration: 60,
    });
  }

  /** Sends a request and resolves with its response (positive or negative). */
  request(message: CstaRequest): Promise<CstaMessage> {
    const invokeId = this.invokeIds.next();
    const answered = new Promise<CstaMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(invokeId);
        reject(new Error(`no response to ${message.type} (invoke ${invokeId}) within ${WAIT_MS} ms`));
      }, WAIT_MS);
      this.pending.set(invokeId, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
    this.socket.write(encodeFrame(invokeId, encodeCsta(message)));
    return answered;
  }

  /** Sends a request and returns its invoke ID without waiting (to check what is not answered). */
  requestNoWait(message: CstaRequest): number {
    const invokeId = this.invokeIds.next();
    this.pending.set(invokeId, () => undefined);
    this.socket.write(encodeFrame(invokeId, encodeCsta(message)));
    return invokeId;
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  events(): CstaMessage[] {
    return this.received.filter((r) => r.invokeId === EVENT_INVOKE_ID).map((r) => r.message);
  }

  eventsOfType<T extends CstaMessageType>(type: T): CstaMessageOf<T>[] {
    return this.events().filter((m): m is CstaMessageOf<T> => m.type === type);
  }

  /** Resolves with the first frame (already received or to come) matching. */
  waitFor(predicate: (r: Received) => boolean, what = 'a matching frame'): Promise<Received> {
    const found = this.received.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `timed out waiting for ${what}; received: ${this.received.map((r) => r.message.type).join(', ')}`,
          ),
        );
      }, WAIT_MS);
      const done = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** Waits for the n-th event of a type (1-based) and returns it. */
  async waitForEvent<T extends CstaMessageType>(
    type: T,
    n = 1,
    extra?: (m: CstaMessageOf<T>) => boolean,
  ): Promise<CstaMessageOf<T>> {
    let seen = 0;
    const r = await this.waitFor((x) => {
      if (x.invokeId !== EVENT_INVOKE_ID || x.message.type !== type) return false;
      if (extra !== undefined && !extra(x.message as CstaMessageOf<T>)) return false;
      seen++;
      return seen >= n;
    }, `${type} #${n}`);
    return r.message as CstaMessageOf<T>;
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const frames = this.decoder.push(chunk);
    if (!frames.ok) throw frames.error;
    for (const frame of frames.value) {
      const decoded = decodeCsta(frame.payload);
      if (!decoded.ok) throw decoded.error;
      const r: Received = { invokeId: frame.invokeId, message: decoded.value.message };
      this.received.push(r);
      if (!frame.isEvent) {
        const resolve = this.pending.get(frame.invokeId);
        if (resolve !== undefined) {
          this.pending.delete(frame.invokeId);
          this.invokeIds.release(frame.invokeId);
          resolve(r.message);
        }
      }
      for (const w of [...this.waiters])
        if (w.predicate(r)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(r);
        }
    }
  }
}

/** Resolves after `ms` (for "nothing happens meanwhile" checks; never to measure speed). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** TCP handles open in this process (sockets and listeners): the leak check. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')
    .length;
}

/**
 * Waits until `predicate` holds, checking after each turn of the event loop (closed handles
 * leave the list a turn or two after their close callback). Fails after WAIT_MS.
 */
export async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await pause(5);
  }
}
