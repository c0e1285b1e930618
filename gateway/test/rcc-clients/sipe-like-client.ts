// An in-process RCC client that behaves on the wire like the real pidgin-sipe 1.25 (the real
// one runs in gateway/test/real-sipe/). Unlike the polite RawSession (src/testing/sip-raw-client.ts)
// it keeps sipe's quirks, read from sipe's src/core/sip-csta.c, sipe-dialog.c, sip-transport.c
// and sipe-incoming.c and seen on the wire in the real-sipe traces (docs/msrcc.md):
//   1. it never answers a CSTA event INFO (the request is handled, no response is sent);
//   2. after every final response to its INVITE or re-INVITE it resets its CSeq counter to 0
//      before sending the ACK, so the ACK says CSeq 1 and the next INFOs 2, 3, …;
//   3. it never re-INVITEs out of dialog: its refresh is an in-dialog re-INVITE (at
//      Session-Expires − 60 s; here when the test calls refresh()); it answers a BYE 200 and
//      keeps the dialog; a 481 (or any ≥ 400) to an INFO is just a failed request;
//   4. it rebuilds its route set, remote target and remote tag from every final response to
//      its INVITE or re-INVITE, whatever the status (sipe_dialog_parse());
//   5. its Vias carry no branch (the RCC dialog exists before the first INVITE is sent);
//   6. it acts only on Originated/Delivered/Established/ConnectionCleared events whose
//      monitorCrossRefID is its MonitorStart's and whose callID is its MakeCall's.
// Responses are matched as sipe matches them: by Call-ID and CSeq (there is no branch).
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { decodeCsta, type CstaMessage } from '../../src/csta/index.js';
import {
  SipRequest,
  SipResponse,
  StreamFramer,
  serializeRequest,
  serializeResponse,
  type HeaderFields,
} from '../../src/sip/index.js';
import { body } from '../faces/msrcc/helpers.js';

const USER_AGENT = 'Purple/2.14.12 Sipe/1.25.0 (linux-x86_64)';

export interface SipeLikeOptions {
  readonly host: string;
  readonly port: number;
  /** The user's SIP URI (sipe's From), e.g. sip:alice@company.local. */
  readonly user: string;
  /** The RCC Server URI (msRTCSIP-LineServer): sipe's dialog->with. */
  readonly serverUri: string;
  /** The line URI (msRTCSIP-Line). */
  readonly line: string;
  /** Bounded waits (default 8 s). */
  readonly waitTimeoutMs?: number;
}

/** What sipe decided about one incoming CSTA event (its debug log, as data). */
export interface SipeEventOutcome {
  readonly type: string;
  readonly accepted: boolean;
  readonly reason?: string;
  readonly callId?: string;
  readonly deviceId?: string;
}

interface Pending {
  readonly key: string;
  /** sipe's transaction callback: runs as the response is read, before anything after it. */
  readonly callback: ((response: SipResponse) => void) | undefined;
  readonly resolve: (response: SipResponse) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const EVENT_CONNECTION: Readonly<Record<string, string>> = {
  OriginatedEvent: 'originatedConnection',
  DeliveredEvent: 'connection',
  EstablishedEvent: 'establishedConnection',
  ConnectionClearedEvent: 'droppedConnection',
};

function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;>\s]+)/i.exec(value ?? '')?.[1];
}

function csta(message: SipRequest | SipResponse): CstaMessage | undefined {
  const decoded = decodeCsta(message.body);
  return decoded.ok ? decoded.value.message : undefined;
}

export class SipeLikeClient {
  /** Requests the gateway sent (INFO events, BYE…), in order. */
  readonly requests: SipRequest[] = [];
  /** Every final response sipe got to its own requests, in order. */
  readonly responses: SipResponse[] = [];
  readonly events: SipeEventOutcome[] = [];
  /** Every message this client wrote, as text (requests and its answers), in order. */
  readonly outgoing: string[] = [];

  // sipe's struct sip_dialog for the CSTA gateway
  readonly callIdHeader = `${randomBytes(16).toString('hex')}`;
  readonly ourTag = String(randomBytes(4).readUInt32BE(0));
  readonly epid = randomBytes(6).toString('hex');
  theirTag: string | undefined;
  cseq = 0;
  /** Route set, in the order the Route headers are written. */
  routes: string[] = [];
  /** Remote target (the gateway's Contact), or undefined: then requests go to the Server URI. */
  remoteTarget: string | undefined;
  expires = 0;
  established = false;
  /** False once a (re-)INVITE failed: sipe schedules no further refresh (process_invite_csta_gateway_response). */
  refreshScheduled = false;
  // sipe's struct sip_csta
  gatewayStatus: string | undefined;
  monitorCrossRefId: string | undefined;
  cstaCallId: string | undefined;
  lineStatus: string | undefined;

  private socket: Socket;
  private framer: StreamFramer;
  private readonly pending = new Map<string, Pending>();
  private readonly waiters: (() => void)[] = [];
  private readonly waitTimeoutMs: number;

  private constructor(
    readonly options: SipeLikeOptions,
    socket: Socket,
  ) {
    this.waitTimeoutMs = options.waitTimeoutMs ?? 8_000;
    this.socket = socket;
    this.framer = this.attach(socket);
  }

  static async connect(options: SipeLikeOptions): Promise<SipeLikeClient> {
    return new SipeLikeClient(options, await SipeLikeClient.open(options.host, options.port));
  }

  private static open(host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
  }

  /** A new connection to (maybe another) address, the dialog kept: what sipe's front end does after a gateway restart. */
  async reconnect(host = this.options.host, port = this.options.port): Promise<void> {
    this.framer.dispose();
    this.socket.destroy();
    this.socket = await SipeLikeClient.open(host, port);
    this.framer = this.attach(this.socket);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** sipe is idle (it offers "call") when no call state is held. */
  get idle(): boolean {
    return this.monitorCrossRefId !== undefined && this.lineStatus === undefined;
  }

  // ------------------------------------------------------------------ sip-csta.c

  /**
   * sipe_invite_csta_gateway(): the first INVITE, or — the dialog existing — the in-dialog
   * refresh re-INVITE. Resolves with the final response once sipe has ACKed it (and, after a 200
   * with systemStatus normal and no monitor yet, sent GetCSTAFeatures and MonitorStart).
   */
  invite(options: { proxyHeaders?: HeaderFields } = {}): Promise<SipResponse> {
    const contact = `<sip:${this.userPart}@${this.userHost}:${this.localPort};maddr=127.0.0.1;transport=tcp>;proxy=replace`;
    const headers: HeaderFields = [
      // What a proxy on the path would have added (a test without the proxy), e.g. Record-Route.
      ...(options.proxyHeaders ?? []),
      ['Contact', contact],
      ['Supported', 'timer'],
      ['Content-Disposition', 'signal;handling=required'],
      ['Content-Type', 'application/csta+xml'],
    ];
    return this.request('INVITE', body.requestSystemStatus(this.options.line), headers, (response) =>
      this.inviteAnswered(response),
    );
  }

  /** process_invite_csta_gateway_response(). */
  private inviteAnswered(response: SipResponse): void {
    this.parseDialog(response);
    this.cseq = 0;
    this.send('ACK');
    this.established = true;
    if (response.status >= 400) {
      this.refreshScheduled = false;
      return;
    }
    if (response.status !== 200) return;
    const message = csta(response);
    this.gatewayStatus = message?.type === 'RequestSystemStatusResponse' ? message.systemStatus : undefined;
    if (this.gatewayStatus === 'normal' && this.monitorCrossRefId === undefined) {
      // Both sent at once, each answered by its callback.
      void this.info(body.getCstaFeatures(this.options.line)).catch(() => undefined);
      void this.info(body.monitorStart(this.options.line), (r) => {
        const m = r.status === 200 ? csta(r) : undefined;
        if (m?.type === 'MonitorStartResponse') this.monitorCrossRefId = m.monitorCrossRefID;
      }).catch(() => undefined);
    }
    this.refreshScheduled = this.expires > 0;
  }

  /** Refresh = the same function again (sipe's <+csta> timer): an in-dialog re-INVITE. */
  refresh(options: { proxyHeaders?: HeaderFields } = {}): Promise<SipResponse> {
    return this.invite(options);
  }

  /** Waits until MonitorStart was answered (sipe has a monitorCrossRefID). */
  async monitored(): Promise<string> {
    await this.until(() => this.monitorCrossRefId !== undefined, 'a monitorCrossRefID');
    return this.monitorCrossRefId!;
  }

  /** sip_csta_make_call(); ≥ 400 is "failed to make call" and nothing else. */
  makeCall(to: string): Promise<SipResponse> {
    return this.info(body.makeCall(this.options.line, to), (response) => {
      // process_csta_make_call_response(): the callID is kept if deviceID is sipe's line.
      if (response.status !== 200) return;
      const message = csta(response);
      if (message?.type === 'MakeCallResponse' && message.callingDevice.deviceID === this.options.line)
        this.cstaCallId = message.callingDevice.callID;
    });
  }

  /** sip_csta_close(): MonitorStop (no one waits for its answer), then BYE. */
  async signOut(): Promise<{ monitorStop: SipResponse; bye: SipResponse }> {
    const stop = this.info(body.monitorStop(this.monitorCrossRefId ?? ''));
    const bye = this.request('BYE');
    return { monitorStop: await stop, bye: await bye };
  }

  info(xml: string, callback?: (response: SipResponse) => void): Promise<SipResponse> {
    return this.request(
      'INFO',
      xml,
      [
        ['Content-Disposition', 'signal;handling=required'],
        ['Content-Type', 'application/csta+xml'],
      ],
      callback,
    );
  }

  /** Waits until `count` events were accepted since `from` (an index into `events`). */
  async acceptedEvents(count: number, from = 0): Promise<SipeEventOutcome[]> {
    await this.until(
      () => this.events.slice(from).filter((e) => e.accepted).length >= count,
      `${count} accepted events (so far: ${JSON.stringify(this.events.slice(from))})`,
    );
    return this.events.slice(from).filter((e) => e.accepted);
  }

  /** Waits for a request from the gateway (e.g. BYE) received after index `from` of `requests`. */
  async nextRequest(method: string, from = 0): Promise<SipRequest> {
    await this.until(
      () => this.requests.slice(from).some((r) => r.method === method),
      `a ${method} from the gateway`,
    );
    return this.requests.slice(from).find((r) => r.method === method)!;
  }

  close(): void {
    this.framer.dispose();
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('closed'));
    }
    this.pending.clear();
  }

  // ------------------------------------------------------------------ sip-transport.c

  private get userPart(): string {
    return /^sip:([^@]+)@/.exec(this.options.user)?.[1] ?? 'alice';
  }

  private get userHost(): string {
    return /@([^;>]+)/.exec(this.options.user)?.[1] ?? 'company.local';
  }

  /** sip_transport_request_timeout() for the CSTA dialog: no branch, Route per route set. */
  private build(
    method: string,
    xml: string | undefined,
    extra: HeaderFields,
  ): { bytes: Buffer; key: string } {
    const cseq = ++this.cseq;
    const target = this.remoteTarget ?? this.options.serverUri;
    const fields: [string, string][] = [
      ['Via', `SIP/2.0/tcp 127.0.0.1:${this.localPort}`],
      ['From', `<${this.options.user}>;tag=${this.ourTag};epid=${this.epid}`],
      ['To', `<${this.options.serverUri}>${this.theirTag === undefined ? '' : `;tag=${this.theirTag}`}`],
      ['Max-Forwards', '70'],
      ['CSeq', `${cseq} ${method}`],
      ['User-Agent', USER_AGENT],
      ['Call-ID', this.callIdHeader],
      ...this.routes.map((r): [string, string] => ['Route', r]),
      ...extra.map(([n, v]): [string, string] => [n, v]),
    ];
    return { bytes: serializeRequest(method, target, fields, xml), key: `${cseq} ${method}` };
  }

  /** A request without a transaction (ACK). */
  private send(method: string): void {
    const { bytes } = this.build(method, undefined, []);
    this.write(bytes);
  }

  private request(
    method: string,
    xml?: string,
    extra: HeaderFields = [],
    callback?: (response: SipResponse) => void,
  ): Promise<SipResponse> {
    const { bytes, key } = this.build(method, xml, extra);
    return new Promise<SipResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`sipe-like client: no final response to ${key} within ${this.waitTimeoutMs} ms`));
      }, this.waitTimeoutMs);
      this.pending.set(key, { key, callback, resolve, reject, timer });
      this.write(bytes);
    });
  }

  private write(bytes: Buffer): void {
    this.outgoing.push(bytes.toString('utf8'));
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** sipe_dialog_parse(dialog, msg, TRUE) + sipe_dialog_parse_routes(): everything re-learnt. */
  private parseDialog(response: SipResponse): void {
    this.theirTag = tagOf(response.header('to'));
    const expires = response.header('session-expires');
    if (expires !== undefined) this.expires = Number.parseInt(expires, 10) || 0;
    const recordRoutes = response.headers
      .getAll('record-route')
      .flatMap((v) => v.split(','))
      .map((v) => v.trim());
    this.routes = recordRoutes.reverse();
    const contact = response.header('contact');
    this.remoteTarget =
      contact === undefined ? undefined : (/<([^>]+)>/.exec(contact)?.[1] ?? contact.trim());
    // sipe's strict-router case (no ;lr) never occurs with our peers; it would swap the target.
  }

  private attach(socket: Socket): StreamFramer {
    const framer = new StreamFramer({
      onMessage: (result) => {
        if (!result.ok) return;
        if (result.value instanceof SipResponse) this.receiveResponse(result.value);
        else this.receiveRequest(result.value);
        this.wake();
      },
      onPing: () => socket.write('\r\n'),
      onFatal: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => framer.push(chunk));
    socket.on('error', () => undefined);
    return framer;
  }

  /** process_input_message(), response branch: by Call-ID + CSeq; provisional ones ignored. */
  private receiveResponse(response: SipResponse): void {
    if (response.status < 200) return;
    if (response.header('call-id') !== this.callIdHeader) return;
    const key = (response.header('cseq') ?? '').trim().replace(/\s+/g, ' ');
    const pending = this.pending.get(key);
    if (pending === undefined) return;
    this.pending.delete(key);
    clearTimeout(pending.timer);
    this.responses.push(response);
    pending.callback?.(response);
    pending.resolve(response);
  }

  /** process_input_message(), request branch. */
  private receiveRequest(request: SipRequest): void {
    this.requests.push(request);
    switch (request.method) {
      case 'INFO':
        // sipe-incoming.c: a CSTA INFO is handled and never answered.
        if ((request.header('content-type') ?? '').startsWith('application/csta+xml'))
          this.handleEvent(request);
        else this.answer(request, 200);
        return;
      case 'BYE':
        // process_incoming_bye(): 200, then no session matches the CSTA dialog: it is kept.
        this.answer(request, 200);
        return;
      case 'ACK':
        return;
      case 'OPTIONS':
      case 'NOTIFY':
        this.answer(request, 200);
        return;
      default:
        this.answer(request, 501);
    }
  }

  /** process_incoming_info_csta() + sip_csta_update_id_and_status(). */
  private handleEvent(request: SipRequest): void {
    const message = csta(request);
    if (message === undefined) return;
    const record = message as unknown as Record<string, unknown>;
    const xref = record['monitorCrossRefID'];
    if (this.monitorCrossRefId === undefined || xref !== this.monitorCrossRefId) {
      this.events.push({
        type: message.type,
        accepted: false,
        reason: `monitorCrossRefID (${String(xref)}) does not match`,
      });
      return;
    }
    const element = EVENT_CONNECTION[message.type];
    if (element === undefined) {
      this.events.push({ type: message.type, accepted: false, reason: 'not an event sipe handles' });
      return;
    }
    const connection = record[element] as { callID?: string; deviceID?: string } | undefined;
    const callId = connection?.callID;
    if (callId !== this.cstaCallId) {
      this.events.push({
        type: message.type,
        accepted: false,
        reason: `callID (${String(callId)}) does not match`,
      });
      return;
    }
    if (message.type === 'ConnectionClearedEvent') {
      this.lineStatus = undefined;
      this.cstaCallId = undefined;
    } else {
      this.lineStatus = message.type;
    }
    this.events.push({ type: message.type, accepted: true, callId, deviceId: connection?.deviceID });
  }

  /** sip_transport_response(): To/From/Call-ID/CSeq/Via/Record-Route kept, Contact added. */
  private answer(request: SipRequest, status: number): void {
    const fields: [string, string][] = [];
    for (let i = 0; i < request.headers.length; i++) {
      const name = request.headers.names[i]!;
      if (['via', 'from', 'to', 'call-id', 'cseq', 'record-route'].includes(name)) {
        const display =
          name === 'call-id'
            ? 'Call-ID'
            : name === 'cseq'
              ? 'CSeq'
              : name.replace(/(^|-)\w/g, (c) => c.toUpperCase());
        fields.push([display, request.headers.values[i]!]);
      }
    }
    fields.push([
      'Contact',
      `<sip:${this.userPart}@${this.userHost}:${this.localPort};maddr=127.0.0.1;transport=tcp>;proxy=replace`,
    ]);
    fields.push(['User-Agent', USER_AGENT]);
    this.write(serializeResponse(status, undefined, fields));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private until(check: () => boolean, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sipe-like client: no ${what} within ${this.waitTimeoutMs} ms`)),
        this.waitTimeoutMs,
      );
      const again = (): void => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(again);
      };
      this.waiters.push(again);
    });
  }
}
