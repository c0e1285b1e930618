// A client that behaves like Lync / Skype for Business remote call control towards a load
// balancer (docs/msrcc.md; docs/architecture.md §6), built on the raw SIP client (real bytes over TCP or WebSocket):
//   - sign-in: INVITE with RequestSystemStatus{lcs:line}, ACK, MonitorStart on the line;
//   - in-dialog requests follow the route set learnt from Record-Route (RFC 3261 §12.1.2: the
//     Record-Route values of the 2xx, in reverse order), so every INFO passes the balancer;
//   - when an in-dialog request fails — 408, 480, 481, 503 or no answer at all — the dialog is
//     dead (RFC 5057 §5.1, RFC 3261 §12.2.1.2): the client re-INVITEs in a NEW dialog and starts
//     its monitor again, without the user signing in again, then repeats the request once.
// The gateway node that serves a dialog is read from its 2xx Server header ("Deskline/<node id>").
import { csta, body as rccBody } from '../faces/msrcc/helpers.js';
import type { CstaMessage } from '../../src/csta/index.js';
import type { SipResponse } from '../../src/sip/index.js';
import type { HeaderFields } from '../../src/sip/serializer.js';
import { RawSession, SipRawClient, type RawTransport } from '../support/sip-raw-client.js';

/** Final statuses after which an RCC client treats the dialog as gone and re-INVITEs. */
export const DIALOG_FAILURE_STATUSES: ReadonlySet<number> = new Set([408, 480, 481, 503]);

export interface LyncClientOptions {
  readonly host: string;
  readonly port: number;
  readonly transport: Extract<RawTransport, 'TCP' | 'WS' | 'TLS'>;
  /** TLS: the client certificate (a Lync pool's), its key, the CA that signed the balancer, its name. */
  readonly tls?:
    | { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer; readonly servername: string }
    | undefined;
  /** CUCM user ID = the user part of the SIP URI (users.identity: userPart). */
  readonly user: string;
  /** The line URI (tel:...;phone-context=dialstring;partition=...). */
  readonly line: string;
  /** The gateway's SIP domain (the Server URI's host). */
  readonly domain: string;
}

/** One RCC dialog through the balancer. */
export class RccDialog {
  constructor(
    readonly session: RawSession,
    /** Route header fields for requests in this dialog (RFC 3261 §12.2.1.1). */
    readonly routes: HeaderFields,
    /** The gateway node that accepted the INVITE. */
    readonly node: string,
  ) {}

  info(body: string): Promise<SipResponse> {
    return this.session.request('INFO', {
      body,
      headers: [['Content-Disposition', 'signal;handling=required'], ...this.routes],
    });
  }

  bye(): Promise<SipResponse> {
    return this.session.request('BYE', { headers: this.routes });
  }

  /** RFC 3261 §13.2.2.4: the ACK for a 2xx, a new transaction that follows the route set too. */
  ack(cseq: number): void {
    const built = this.session.build('ACK', { cseq, headers: this.routes });
    this.session.client.sendBytes(built.bytes);
  }
}

export interface RequestOutcome {
  readonly message: CstaMessage;
  /** The first attempt failed and the client re-INVITEd (a new dialog, maybe on another node). */
  readonly recovered: boolean;
  /** What the failed attempt got: a status, or 'no answer'. */
  readonly failure: number | 'no answer' | undefined;
}

export class LyncClient {
  /** Every node this client's dialogs were accepted by, in order. */
  readonly nodes: string[] = [];
  private current: RccDialog | undefined;
  private monitor = '';
  private client: SipRawClient;

  private constructor(
    readonly options: LyncClientOptions,
    client: SipRawClient,
  ) {
    this.client = client;
  }

  static async connect(options: LyncClientOptions): Promise<LyncClient> {
    return new LyncClient(options, await LyncClient.open(options));
  }

  private static open(options: LyncClientOptions): Promise<SipRawClient> {
    return SipRawClient.connect({
      transport: options.transport,
      host: options.host,
      port: options.port,
      tls: options.tls,
      waitTimeoutMs: 8_000,
    });
  }

  get raw(): SipRawClient {
    return this.client;
  }

  get dialog(): RccDialog {
    if (this.current === undefined) throw new Error(`${this.options.user} is not signed in`);
    return this.current;
  }

  get node(): string {
    return this.dialog.node;
  }

  get monitorCrossRefId(): string {
    return this.monitor;
  }

  /** INVITE + ACK; returns the final response (a refused INVITE leaves no dialog). */
  async invite(): Promise<SipResponse> {
    const { user, domain, line, transport } = this.options;
    const from = `<sip:${user}@deskline.example>`;
    const uri = `sip:${user}@${domain}`;
    const built = this.client.send({
      method: 'INVITE',
      uri,
      from,
      cseq: 1,
      body: rccBody.requestSystemStatus(line),
      headers: [
        // Like a WebSocket client, a Contact that cannot be reached directly: the balancer
        // reaches us over our connection (nathelper alias, deploy/kamailio/kamailio.cfg).
        ['Contact', `<sip:${user}@client.invalid;transport=${transport.toLowerCase()}>`],
        ['Content-Disposition', 'signal;handling=required'],
        ['Supported', 'timer'],
      ],
    });
    const response = await this.client.finalResponse(built.branch, 'INVITE');
    if (response.status !== 200) return response;
    const recordRoute = response.recordRoute();
    if (!recordRoute.ok) throw recordRoute.error;
    const routes: HeaderFields = [...recordRoute.value].reverse().map((r) => ['Route', r.text] as const);
    const server = response.header('Server') ?? '';
    const node = /Deskline\/(\S+)/.exec(server)?.[1] ?? `unknown (${server})`;
    const dialog = new RccDialog(
      new RawSession(this.client, uri, built, response, from, `<${uri}>`),
      routes,
      node,
    );
    dialog.ack(1);
    this.current = dialog;
    this.nodes.push(node);
    return response;
  }

  /** Sign-in: INVITE, ACK, MonitorStart on the line. */
  async signIn(): Promise<void> {
    const response = await this.invite();
    if (response.status !== 200)
      throw new Error(`${this.options.user}: INVITE answered ${response.status} ${response.reason}`);
    const monitor = csta(await this.dialog.info(rccBody.monitorStart(this.options.line)));
    if (monitor.type !== 'MonitorStartResponse')
      throw new Error(`${this.options.user}: MonitorStart answered ${JSON.stringify(monitor)}`);
    this.monitor = monitor.monitorCrossRefID;
  }

  /** A CSTA request in the current dialog; on a dead dialog, re-INVITE (new dialog) and repeat once. */
  async request(body: string): Promise<RequestOutcome> {
    let failure: number | 'no answer';
    try {
      const response = await this.dialog.info(body);
      if (!DIALOG_FAILURE_STATUSES.has(response.status)) {
        if (response.status !== 200)
          throw new Error(`${this.options.user}: INFO answered ${response.status} ${response.reason}`);
        return { message: csta(response), recovered: false, failure: undefined };
      }
      failure = response.status;
    } catch (cause) {
      if (cause instanceof Error && /INFO answered/.test(cause.message)) throw cause;
      failure = 'no answer';
    }
    this.current = undefined;
    if (this.client.isClosed) {
      this.client = await LyncClient.open(this.options);
    }
    await this.signIn();
    const again = await this.dialog.info(body);
    if (again.status !== 200)
      throw new Error(`${this.options.user}: INFO after re-INVITE answered ${again.status} ${again.reason}`);
    return { message: csta(again), recovered: true, failure };
  }

  /** The next CSTA event of `type` sent to this client (INFO from the gateway through the balancer). */
  async nextEvent(type: string): Promise<CstaMessage> {
    for (;;) {
      const request = await this.client.nextRequest('INFO');
      const message = csta(request);
      if (message.type === type) return message;
    }
  }

  /** Resolves when the gateway ends the dialog with BYE (a node draining on SIGTERM); the client
   *  answered it 200 already (SipRawClient autoAnswer). */
  async byeReceived(): Promise<void> {
    const bye = await this.client.nextRequest('BYE');
    const callId = bye.callId();
    if (this.current !== undefined && callId.ok && callId.value === this.current.session.callId)
      this.current = undefined;
  }

  /** MonitorStop and BYE (sign-out). */
  async signOut(): Promise<void> {
    const dialog = this.dialog;
    csta(await dialog.info(rccBody.monitorStop(this.monitor)));
    const bye = await dialog.bye();
    if (bye.status !== 200) throw new Error(`${this.options.user}: BYE answered ${bye.status}`);
    this.current = undefined;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
