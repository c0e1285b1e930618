// A recording TCP relay for the schema test: it sits on loopback between two real peers, passes
// every byte through unchanged, and splits each direction with the project's own stream framers
// (CTI link frames, docs/cti-link.md §1; SIP over TCP, RFC 3261 §18.3) to keep every CSTA body
// that crossed the wire. Nothing is decoded or re-encoded on the way: what is recorded is exactly
// what the peer received.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../src/cti-link/framing.js';
import { SipRequest, StreamFramer, type SipResponse } from '../../../src/sip/index.js';

export type Link = 'SIP' | 'CTI';

/** Who is on each end of a relay ('gateway', 'simulator', 'RCC client', …), for the record. */
export interface Peers {
  /** The peer that connects to the relay. */
  readonly client: string;
  /** The peer the relay connects to. */
  readonly server: string;
}

export interface CapturedBody {
  readonly link: Link;
  /** Sender and receiver, as named in Peers. */
  readonly from: string;
  readonly to: string;
  /** `INFO`, `200 (INFO)`, `invoke 0042`, … */
  readonly carrier: string;
  readonly body: Buffer;
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

interface Splitter {
  push(chunk: Buffer): void;
}

export class RecordingRelay {
  readonly captured: CapturedBody[] = [];
  /** Bytes a framer could not split (must stay empty: a peer sent something unframeable). */
  readonly faults: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly link: Link,
    private readonly server: Server,
    readonly peers: Peers,
  ) {}

  /** Listens on 127.0.0.1:0 and relays each connection to `target` (the `server` peer). */
  static start(link: Link, target: Endpoint, peers: Peers): Promise<RecordingRelay> {
    const server = createServer();
    const relay = new RecordingRelay(link, server, peers);
    server.on('connection', (client) => relay.accept(client, target));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(relay));
    });
  }

  get address(): Endpoint {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('relay not listening');
    return { host: '127.0.0.1', port: address.port };
  }

  /** `host:port`, as a CTI address is configured. */
  get hostPort(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  private accept(client: Socket, target: Endpoint): void {
    const upstream = connect(target.port, target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const fromClient = this.splitter(this.peers.client, this.peers.server);
    const fromUpstream = this.splitter(this.peers.server, this.peers.client);
    client.on('data', (chunk: Buffer) => {
      fromClient.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromUpstream.push(chunk);
      client.write(chunk);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  }

  private splitter(from: string, to: string): Splitter {
    return this.link === 'CTI' ? this.ctiSplitter(from, to) : this.sipSplitter(from, to);
  }

  private ctiSplitter(from: string, to: string): Splitter {
    const direction = `${from} → ${to}`;
    const decoder = new FrameDecoder();
    return {
      push: (chunk) => {
        const frames = decoder.push(chunk);
        if (!frames.ok) {
          this.faults.push(`${direction}: ${frames.error.message}`);
          return;
        }
        for (const frame of frames.value) {
          this.captured.push({
            link: 'CTI',
            from,
            to,
            carrier: `invoke ${String(frame.invokeId).padStart(4, '0')}`,
            // The payload may share memory with the chunk: keep a copy.
            body: Buffer.from(frame.payload),
          });
        }
      },
    };
  }

  private sipSplitter(from: string, to: string): Splitter {
    const direction = `${from} → ${to}`;
    const framer = new StreamFramer({
      onMessage: (result) => {
        if (!result.ok) {
          this.faults.push(`${direction}: ${result.error.message}`);
          return;
        }
        const message: SipRequest | SipResponse = result.value;
        if (message.body.length === 0) return;
        const type = message.contentType();
        const media = type.ok && type.value !== undefined ? `${type.value.type}/${type.value.subtype}` : '';
        if (media.toLowerCase() !== 'application/csta+xml') {
          this.faults.push(`${direction}: a body of type "${media}" in ${describe(message)}`);
          return;
        }
        this.captured.push({
          link: 'SIP',
          from,
          to,
          carrier: describe(message),
          body: Buffer.from(message.body),
        });
      },
      onPing: () => undefined,
      onFatal: (error) => this.faults.push(`${direction}: ${error.message}`),
    });
    return { push: (chunk) => framer.push(chunk) };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function describe(message: SipRequest | SipResponse): string {
  if (message instanceof SipRequest) return message.method;
  const cseq = message.cseq();
  return `${message.status} (${cseq.ok ? cseq.value.method : '?'})`;
}
