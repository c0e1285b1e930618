// Raw sockets for tests that must cut SIP where no client library would: a TCP socket that
// records what it receives, and a WebSocket opened with a hand-made RFC 6455 handshake so that a
// frame can be sent in pieces. Every socket made here is tracked for `destroyRawSockets()`.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { until } from './helpers.js';

const open = new Set<Socket>();

/** Destroys every socket made by this module that is still open (afterEach). */
export function destroyRawSockets(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}

export interface RawSocket {
  readonly socket: Socket;
  /** Everything received so far. */
  data(): Buffer;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

/** A TCP connection to 127.0.0.1:`port` (from `localAddress` if given), recording what it receives. */
export function rawSocket(port: number, localAddress?: string): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: '127.0.0.1',
      port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    open.add(socket);
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closedPromise = new Promise<void>((done) =>
      socket.once('close', () => {
        closed = true;
        open.delete(socket);
        done();
      }),
    );
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve({ socket, data: () => Buffer.concat(chunks), closed: closedPromise, isClosed: () => closed });
    });
  });
}

/** One masked client WebSocket text frame (RFC 6455 §5.2) carrying `payload` (< 64 KiB). */
export function wsFrame(payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x81, 0x80 | length])
      : Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, masked]);
}

/** RFC 6455 §5.5.1: the Close frame a server sends with `code` and no reason (unmasked). */
export function closeFrame(code: number): Buffer {
  return Buffer.from([0x88, 0x02, code >> 8, code & 0xff]);
}

/**
 * A WebSocket with subprotocol "sip" (RFC 7118 §4.1) opened by hand over a raw socket; `received()`
 * is what came after the 101 response.
 */
export async function rawWebSocket(port: number): Promise<RawSocket & { received(): Buffer }> {
  const raw = await rawSocket(port);
  raw.socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Protocol: sip\r\n\r\n',
  );
  await until(() => raw.data().includes('\r\n\r\n'), 'WebSocket upgrade answered');
  const head = raw.data().toString('latin1');
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.slice(0, 40)}`);
  const headLength = head.indexOf('\r\n\r\n') + 4;
  return { ...raw, received: () => raw.data().subarray(headLength) };
}
