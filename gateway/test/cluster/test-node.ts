// A minimal SIP UAS standing in for a gateway node behind Kamailio, to test the balancer's own
// routing (deploy/kamailio/kamailio.cfg) apart from the gateway: it answers OPTIONS probes,
// INVITE / re-INVITE 200 (copying Record-Route into the 2xx as a UAS does, RFC 3261 §12.1.1 —
// or not, to play a node that leaves a route-rebuilding client without one), INFO, UPDATE and
// BYE 200, and records every request it receives. `kill()` makes it vanish like a SIGKILLed
// process (listener and connections gone: new connections are refused).
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SipRequest, StreamFramer, buildResponse, type HeaderFields } from '../../src/sip/index.js';

export class TestNode {
  readonly received: SipRequest[] = [];
  /** Copy the request's Record-Route into 2xx answers to (re-)INVITEs (a correct UAS does). */
  copyRecordRoute = true;
  /** Answer re-INVITEs (INVITE with a To tag) with this status instead of 200. */
  reInviteStatus = 200;
  private readonly sockets = new Set<Socket>();
  private readonly tag = randomBytes(4).toString('hex');

  private constructor(
    readonly name: string,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(name: string): Promise<TestNode> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const node = new TestNode(name, server, port);
    server.on('connection', (socket) => node.serve(socket));
    return node;
  }

  /** The dispatcher-list entry of this node. */
  get dispatcherEntry(): string {
    return `sip:127.0.0.1:${this.port};transport=tcp 0 0 node=${this.name}`;
  }

  get contact(): string {
    return `sip:73124@127.0.0.1:${this.port};transport=tcp`;
  }

  /** Requests of `method` received (OPTIONS probes aside). */
  got(method: string): SipRequest[] {
    return this.received.filter((r) => r.method === method);
  }

  async kill(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    const framer = new StreamFramer({
      onMessage: (result) => {
        if (!result.ok || !(result.value instanceof SipRequest)) return;
        this.answer(socket, result.value);
      },
      onPing: () => socket.write('\r\n'),
      onFatal: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      framer.dispose();
      this.sockets.delete(socket);
    });
  }

  private answer(socket: Socket, request: SipRequest): void {
    if (request.method !== 'OPTIONS') this.received.push(request);
    if (request.method === 'ACK') return;
    const hasTag = /;\s*tag=/i.test(request.header('to') ?? '');
    const headers: HeaderFields = [['Server', `Deskline/${this.name}`]];
    let status = 200;
    let copyRecordRoute = false;
    if (request.method === 'INVITE') {
      status = hasTag ? this.reInviteStatus : 200;
      copyRecordRoute = status < 300 && this.copyRecordRoute;
      if (status < 300) (headers as [string, string][]).push(['Contact', `<${this.contact}>`]);
    }
    socket.write(
      buildResponse(request.headers, hasTag, status, { toTag: this.tag, copyRecordRoute, headers }),
    );
  }
}
