// A raw SIP client for tests (docs/architecture.md §4.8: the engine ships its own fakes): it speaks real
// bytes over TCP, TLS, WS or WSS, frames what comes back with the same StreamFramer as the
// server, matches responses to requests by branch and method (RFC 3261 §17.1.3), and answers
// requests the server originates (CSTA events in INFO, BYE). A RawSession drives one
// Microsoft RCC style dialog: INVITE with RequestSystemStatus, ACK, INFO, UPDATE, re-INVITE, BYE.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { DesklineError, ErrorCode } from '../../src/util/errors.js';
import type { Result } from '../../src/util/result.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseDatagram, type SipParseError } from '../../src/sip/parser.js';
import { newBranch, newTag } from '../../src/sip/random.js';
import { buildResponse, serializeRequest, type Body, type HeaderFields } from '../../src/sip/serializer.js';
import { CSTA_CONTENT_TYPE } from '../../src/sip/constants.js';

export type RawTransport = 'TCP' | 'TLS' | 'WS' | 'WSS';

export interface RawClientOptions {
  readonly transport: RawTransport;
  readonly host: string;
  readonly port: number;
  /** TLS / WSS: client certificate, key, and the CA that signed the server. */
  readonly tls?:
    | {
        readonly cert?: string | Buffer;
        readonly key?: string | Buffer;
        readonly ca?: string | Buffer;
        readonly servername?: string;
      }
    | undefined;
  /** WS: subprotocols offered (default ['sip'], RFC 7118 §4.1). */
  readonly wsProtocols?: readonly string[] | undefined;
  /** Answer requests from the server automatically (default: 200 to INFO, BYE, UPDATE, OPTIONS). */
  readonly autoAnswer?: boolean | undefined;
  /** Milliseconds to wait for anything before failing a wait (default 10 s; tests stay bounded). */
  readonly waitTimeoutMs?: number | undefined;
}

export interface RequestSpec {
  readonly method: string;
  readonly uri: string;
  /** Full header fields; Via/From/To/Call-ID/CSeq/Max-Forwards are added when absent. */
  readonly headers?: HeaderFields | undefined;
  readonly body?: Body;
  readonly contentType?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly callId?: string | undefined;
  readonly cseq?: number | undefined;
  readonly branch?: string | undefined;
}

export interface BuiltRequest {
  readonly bytes: Buffer;
  readonly branch: string;
  readonly method: string;
  readonly callId: string;
  readonly fromTag: string;
}

type Incoming = SipRequest | SipResponse;

interface Waiter {
  /** Takes the message if it matches (and resolves the waiting promise); false otherwise. */
  readonly offer: (message: Incoming) => boolean;
}

let callCounter = 0;

/** Builds a request with the mandatory headers (RFC 3261 §8.1.1) filled in. */
export function buildRequest(spec: RequestSpec, viaTransport: RawTransport = 'TCP'): BuiltRequest {
  const given = new Set((spec.headers ?? []).map(([name]) => name.toLowerCase()));
  const branch = spec.branch ?? newBranch();
  const fromTag = newTag();
  const callId = spec.callId ?? `raw-${process.pid}-${++callCounter}-${newTag()}`;
  const fields: [string, string][] = [];
  if (!given.has('via')) fields.push(['Via', `SIP/2.0/${viaTransport} client.invalid;branch=${branch}`]);
  if (!given.has('max-forwards')) fields.push(['Max-Forwards', '70']);
  if (!given.has('from')) fields.push(['From', `${spec.from ?? '<sip:alice@example.com>'};tag=${fromTag}`]);
  if (!given.has('to')) fields.push(['To', spec.to ?? `<${spec.uri}>`]);
  if (!given.has('call-id')) fields.push(['Call-ID', callId]);
  if (!given.has('cseq')) fields.push(['CSeq', `${spec.cseq ?? 1} ${spec.method}`]);
  fields.push(...(spec.headers ?? []).map(([n, v]): [string, string] => [n, v]));
  if (spec.body !== undefined && spec.body.length > 0 && !given.has('content-type'))
    fields.push(['Content-Type', spec.contentType ?? CSTA_CONTENT_TYPE]);
  return {
    bytes: serializeRequest(spec.method, spec.uri, fields, spec.body),
    branch,
    method: spec.method,
    callId,
    fromTag,
  };
}

export class SipRawClient {
  readonly received: Incoming[] = [];
  /** Parse failures of what the server sent (should stay empty). */
  readonly parseErrors: SipParseError[] = [];
  readonly transport: RawTransport;
  bytesReceived = 0;
  pongs = 0;
  private readonly waiters: Waiter[] = [];
  private readonly closeWaiters: (() => void)[] = [];
  private closedValue = false;
  private readonly waitTimeoutMs: number;
  private readonly autoAnswer: boolean;
  private readonly framer: StreamFramer | undefined;
  private wsLocalPort = 0;

  private constructor(
    options: RawClientOptions,
    private readonly socket: Socket | TLSSocket | undefined,
    private readonly ws: WebSocket | undefined,
  ) {
    this.transport = options.transport;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 10_000;
    this.autoAnswer = options.autoAnswer ?? true;
    if (socket !== undefined) {
      this.framer = new StreamFramer({
        onMessage: (result) => this.receive(result),
        onPing: () => undefined,
        onFatal: (error) => this.parseErrors.push(error),
      });
      socket.on('data', (chunk: Buffer) => {
        this.bytesReceived += chunk.length;
        // A lone CRLF is the RFC 5626 §3.5.1 pong to our ping.
        if (chunk.length === 2 && chunk[0] === 0x0d && chunk[1] === 0x0a) {
          this.pongs++;
          return;
        }
        this.framer!.push(chunk);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.markClosed());
    } else if (ws !== undefined) {
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        const bytes = Buffer.isBuffer(data)
          ? data
          : Array.isArray(data)
            ? Buffer.concat(data)
            : Buffer.from(data);
        this.bytesReceived += bytes.length;
        this.receive(parseDatagram(bytes));
      });
      ws.on('error', () => undefined);
      ws.on('close', () => this.markClosed());
    }
  }

  static connect(options: RawClientOptions): Promise<SipRawClient> {
    return new Promise<SipRawClient>((resolve, reject) => {
      const fail = (error: Error): void =>
        reject(
          new DesklineError(ErrorCode.SipTransport, `raw client cannot connect: ${error.message}`, {
            cause: error,
          }),
        );
      if (options.transport === 'TCP' || options.transport === 'TLS') {
        const socket =
          options.transport === 'TCP'
            ? netConnect({ host: options.host, port: options.port })
            : tlsConnect({
                host: options.host,
                port: options.port,
                cert: options.tls?.cert,
                key: options.tls?.key,
                ca: options.tls?.ca,
                servername: options.tls?.servername ?? 'localhost',
                minVersion: 'TLSv1.2',
              });
        socket.once('error', fail);
        socket.once(options.transport === 'TCP' ? 'connect' : 'secureConnect', () => {
          socket.off('error', fail);
          resolve(new SipRawClient(options, socket, undefined));
        });
        return;
      }
      const scheme = options.transport === 'WS' ? 'ws' : 'wss';
      const ws = new WebSocket(
        `${scheme}://${options.host}:${options.port}/`,
        [...(options.wsProtocols ?? ['sip'])],
        {
          cert: options.tls?.cert,
          key: options.tls?.key,
          ca: options.tls?.ca,
        },
      );
      let localPort = 0;
      ws.once('upgrade', (response) => {
        localPort = response.socket.localPort ?? 0;
      });
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        const client = new SipRawClient(options, undefined, ws);
        client.wsLocalPort = localPort;
        resolve(client);
      });
    });
  }

  get isClosed(): boolean {
    return this.closedValue;
  }

  /** The local port of this client's connection (to find it on the server side). */
  get localPort(): number {
    return this.socket !== undefined ? (this.socket.localPort ?? 0) : this.wsLocalPort;
  }

  /** Stops reading from the socket (a peer that never reads: the server must cut it off). */
  pauseReading(): void {
    if (this.socket !== undefined) this.socket.pause();
    else this.ws?.pause();
  }

  /** Writes bytes as they are (over WS: one message; binary when `binary`). */
  sendBytes(bytes: Buffer | string, options: { binary?: boolean } = {}): void {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    if (this.socket !== undefined) this.socket.write(buffer);
    else this.ws!.send(buffer, { binary: options.binary ?? false });
  }

  /** Sends a request and returns what was built (branch, Call-ID...). */
  send(spec: RequestSpec): BuiltRequest {
    const built = buildRequest(spec, this.transport);
    this.sendBytes(built.bytes);
    return built;
  }

  /** Sends a request and waits for its final response (matched by branch and CSeq method). */
  async request(spec: RequestSpec): Promise<SipResponse> {
    const built = this.send(spec);
    return this.finalResponse(built.branch, built.method);
  }

  finalResponse(branch: string, method: string): Promise<SipResponse> {
    return this.waitFor(
      (m): m is SipResponse =>
        m instanceof SipResponse && m.status >= 200 && responseMatches(m, branch, method),
      `final response to ${method}`,
    );
  }

  /** The next response of any kind (from everything received since the client started, in order). */
  nextResponse(predicate: (response: SipResponse) => boolean = () => true): Promise<SipResponse> {
    return this.waitFor((m): m is SipResponse => m instanceof SipResponse && predicate(m), 'a response');
  }

  /** The next request from the server (e.g. an INFO carrying a CSTA event). */
  nextRequest(method?: string): Promise<SipRequest> {
    return this.waitFor(
      (m): m is SipRequest => m instanceof SipRequest && (method === undefined || m.method === method),
      `a ${method ?? ''} request`,
    );
  }

  /** Answers a request the server sent (RFC 3261 §8.2.6). */
  respond(
    request: SipRequest,
    status: number,
    options: { headers?: HeaderFields; body?: Body; contentType?: string } = {},
  ): void {
    const to = request.to();
    const hasTag = to.ok && to.value.params.get('tag') !== undefined;
    this.sendBytes(buildResponse(request.headers, hasTag, status, { toTag: newTag(), ...options }));
  }

  /**
   * A round trip (OPTIONS → 200): everything sent before it has been processed by the server
   * (one connection, processed in order). Use before moving a fake clock.
   */
  async sync(uri = 'sip:sync@127.0.0.1'): Promise<void> {
    // Any final answer proves the server has processed everything sent before it (a gateway
    // without a CTI Manager answers OPTIONS 503, RFC 3261 §11.2: still an answer).
    const response = await this.request({ method: 'OPTIONS', uri });
    if (response.status < 200)
      throw new DesklineError(ErrorCode.SipMalformed, `sync OPTIONS answered ${response.status}`);
  }

  /** RFC 5626 §3.5.1 ping; resolves on the CRLF pong. */
  async ping(): Promise<void> {
    const before = this.pongs;
    this.sendBytes('\r\n\r\n');
    await this.until(() => this.pongs > before, 'pong');
  }

  /** Resolves when the server closes the connection. */
  closed(): Promise<void> {
    if (this.closedValue) return Promise.resolve();
    return new Promise<void>((resolve) => this.closeWaiters.push(resolve));
  }

  close(): Promise<void> {
    if (this.closedValue) return Promise.resolve();
    if (this.socket !== undefined) this.socket.end();
    else this.ws!.close(1000);
    const done = this.closed();
    // Do not let a half-closed peer hold the test: destroy after a grace period.
    const timer = setTimeout(() => this.destroy(), 1_000);
    return done.finally(() => clearTimeout(timer));
  }

  destroy(): void {
    if (this.socket !== undefined) this.socket.destroy();
    else this.ws?.terminate();
  }

  /** Same as destroy(): every stateful unit has dispose() (docs/architecture.md §4.8). */
  dispose(): void {
    this.destroy();
  }

  /** Opens an RCC-style session: INVITE (body), 200, ACK. */
  async openSession(spec: SessionSpec): Promise<RawSession> {
    const uri = spec.uri;
    const headers: [string, string][] = [
      ['Contact', spec.contact ?? '<sip:alice@client.invalid;transport=tcp>'],
      ['Content-Disposition', 'signal;handling=required'],
      ...(spec.headers ?? []).map(([n, v]): [string, string] => [n, v]),
    ];
    if (!headers.some(([n]) => n.toLowerCase() === 'supported')) headers.push(['Supported', 'timer']);
    const built = this.send({
      method: 'INVITE',
      uri,
      headers,
      body: spec.body,
      from: spec.from,
      to: spec.to,
      cseq: 1,
    });
    const response = await this.finalResponse(built.branch, 'INVITE');
    const session = new RawSession(
      this,
      uri,
      built,
      response,
      spec.from ?? '<sip:alice@example.com>',
      spec.to ?? `<${uri}>`,
    );
    if (response.status >= 200 && response.status < 300) session.ack(1);
    return session;
  }

  /** Waits for a received message matching `match` (also among those already received). */
  waitFor<T extends Incoming>(match: (message: Incoming) => message is T, what: string): Promise<T> {
    for (let index = 0; index < this.received.length; index++) {
      const candidate = this.received[index]!;
      if (match(candidate)) {
        this.received.splice(index, 1);
        return Promise.resolve(candidate);
      }
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(
          new DesklineError(ErrorCode.SipTimeout, `raw client: no ${what} within ${this.waitTimeoutMs} ms`),
        );
      }, this.waitTimeoutMs);
      const waiter: Waiter = {
        offer: (message) => {
          if (!match(message)) return false;
          clearTimeout(timer);
          resolve(message);
          return true;
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Polls a condition on every received event (no sleeping). */
  until(condition: () => boolean, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(
          new DesklineError(
            ErrorCode.SipTimeout,
            `raw client: ${what} not reached within ${this.waitTimeoutMs} ms`,
          ),
        );
      }, this.waitTimeoutMs);
      const poll = setInterval(() => {
        if (!condition()) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 5);
    });
  }

  private receive(result: Result<SipRequest | SipResponse, SipParseError>): void {
    if (!result.ok) {
      this.parseErrors.push(result.error);
      return;
    }
    const message = result.value;
    if (message instanceof SipRequest && this.autoAnswer && message.method !== 'ACK') {
      // Keep the request visible to nextRequest() and answer it like a well-behaved UA.
      this.respond(message, 200);
    }
    for (let i = 0; i < this.waiters.length; i++) {
      if (this.waiters[i]!.offer(message)) {
        this.waiters.splice(i, 1);
        return;
      }
    }
    this.received.push(message);
  }

  private markClosed(): void {
    if (this.closedValue) return;
    this.closedValue = true;
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }
}

export interface SessionSpec {
  readonly uri: string;
  readonly body?: Body;
  readonly headers?: HeaderFields | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly contact?: string | undefined;
}

function responseMatches(response: SipResponse, branch: string, method: string): boolean {
  const via = response.topVia();
  const cseq = response.cseq();
  return via.ok && cseq.ok && via.value.branch === branch && cseq.value.method === method;
}

/** One dialog opened by SipRawClient.openSession. */
export class RawSession {
  readonly callId: string;
  readonly fromHeader: string;
  readonly toHeader: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** The gateway's Contact URI (remote target). */
  readonly remoteTarget: string;
  private cseq = 1;

  constructor(
    readonly client: SipRawClient,
    readonly uri: string,
    invite: BuiltRequest,
    /** The final response to the INVITE. */
    readonly inviteResponse: SipResponse,
    from: string,
    to: string,
  ) {
    this.callId = invite.callId;
    this.localTag = invite.fromTag;
    const toParsed = inviteResponse.to();
    const tag = toParsed.ok ? toParsed.value.params.get('tag') : undefined;
    this.remoteTag = typeof tag === 'string' ? tag : '';
    this.fromHeader = `${from};tag=${this.localTag}`;
    this.toHeader = `${to};tag=${this.remoteTag}`;
    const contact = inviteResponse.contact();
    this.remoteTarget =
      contact.ok && contact.value !== '*' && contact.value.length > 0 ? contact.value[0]!.uri.text : uri;
  }

  get lastCSeq(): number {
    return this.cseq;
  }

  /** Builds an in-dialog request (RFC 3261 §12.2.1.1) with the next CSeq (or the one given). */
  build(
    method: string,
    options: { body?: Body; headers?: HeaderFields; cseq?: number; contentType?: string } = {},
  ): BuiltRequest & { readonly cseq: number } {
    const cseq = options.cseq ?? ++this.cseq;
    if (options.cseq !== undefined && options.cseq > this.cseq) this.cseq = options.cseq;
    const headers: [string, string][] = [
      ['From', this.fromHeader],
      ['To', this.toHeader],
      ['Call-ID', this.callId],
      ['CSeq', `${cseq} ${method}`],
      ...(options.headers ?? []).map(([n, v]): [string, string] => [n, v]),
    ];
    return {
      ...buildRequest(
        { method, uri: this.remoteTarget, headers, body: options.body, contentType: options.contentType },
        this.client.transport,
      ),
      cseq,
    };
  }

  async request(
    method: string,
    options: { body?: Body; headers?: HeaderFields; cseq?: number; contentType?: string } = {},
  ): Promise<SipResponse> {
    const built = this.build(method, options);
    this.client.sendBytes(built.bytes);
    return this.client.finalResponse(built.branch, method);
  }

  /** INFO with a CSTA body (Content-Disposition: signal, as Microsoft clients send). */
  info(body: Body, headers: HeaderFields = []): Promise<SipResponse> {
    return this.request('INFO', {
      body,
      headers: [['Content-Disposition', 'signal;handling=required'], ...headers],
    });
  }

  /** Session refresh by UPDATE (RFC 3311, RFC 4028; Communicator 2007 R2 style). */
  update(sessionExpires = 1800, headers: HeaderFields = []): Promise<SipResponse> {
    return this.request('UPDATE', {
      headers: [['Supported', 'timer'], ['Session-Expires', `${sessionExpires};refresher=uac`], ...headers],
    });
  }

  /** Session refresh by re-INVITE (older clients, sipe); sends the ACK for a 2xx. */
  async reInvite(body: Body, headers: HeaderFields = []): Promise<SipResponse> {
    const built = this.build('INVITE', {
      body,
      headers: [
        ['Contact', '<sip:alice@client.invalid;transport=tcp>'],
        ['Content-Disposition', 'signal;handling=required'],
        ['Supported', 'timer'],
        ...headers,
      ],
    });
    this.client.sendBytes(built.bytes);
    const response = await this.client.finalResponse(built.branch, 'INVITE');
    if (response.status >= 200 && response.status < 300) this.ack(built.cseq);
    return response;
  }

  /** RFC 3261 §13.2.2.4: the ACK for a 2xx is a new transaction with the INVITE's CSeq number. */
  ack(cseq: number): void {
    const built = this.build('ACK', { cseq });
    this.client.sendBytes(built.bytes);
  }

  bye(): Promise<SipResponse> {
    return this.request('BYE');
  }
}
