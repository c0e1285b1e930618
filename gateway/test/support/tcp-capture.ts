// A capture of a TCP link: a loopback relay between a client and a server that keeps every byte
// that crosses it, in both directions, in order — what a packet capture of the CTI link would show,
// without needing the privileges tcpdump needs. When either side closes, so does the other.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CapturedChunk {
  /** `up`: client → server; `down`: server → client. */
  readonly direction: 'up' | 'down';
  readonly bytes: Buffer;
}

export class TcpCapture {
  readonly chunks: CapturedChunk[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  /** Listens on 127.0.0.1 (port 0) and relays every connection to `target` (`host:port`). */
  static async start(target: string): Promise<TcpCapture> {
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no capture address');
    const capture = new TcpCapture(server, `127.0.0.1:${address.port}`);
    server.on('connection', (client) => capture.relay(client, host, port));
    return capture;
  }

  /** Everything that crossed, as one buffer (both directions, in arrival order). */
  bytes(direction?: 'up' | 'down'): Buffer {
    return Buffer.concat(
      this.chunks.filter((c) => direction === undefined || c.direction === direction).map((c) => c.bytes),
    );
  }

  /** Closes the listener and every relayed connection. */
  async dispose(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (bytes: Buffer) => {
      this.chunks.push({ direction: 'up', bytes: Buffer.from(bytes) });
      upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => {
      this.chunks.push({ direction: 'down', bytes: Buffer.from(bytes) });
      client.write(bytes);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
