// A CSTA-over-SIP client built on sip.js 0.21's core, running in Node over WebSocket (RFC 7118)
// with the `ws` package — an independent SIP implementation to test the gateway against.
// sip.js's high-level Inviter treats a 200 OK without SDP as a failed session (docs/sip-stack.md §1), so
// this drives the core directly: UserAgentCore, makeOutgoingRequestMessage, the SessionDialog's
// INFO/re-INVITE/BYE, and UPDATE through a plain UserAgentClient.
import { WebSocket } from 'ws';
import {
  Grammar,
  IncomingRequestMessage,
  IncomingResponseMessage,
  LoggerFactory,
  NonInviteClientTransaction,
  Parser,
  SessionDialog,
  UserAgentClient,
  UserAgentCore,
  type Body,
  type IncomingResponse,
  type OutgoingRequestDelegate,
  type Session,
  type Transport,
  type URI,
  type UserAgentCoreConfiguration,
} from 'sip.js/lib/core/index.js';
import { DesklineError, ErrorCode } from '../../src/util/errors.js';
import { CSTA_CONTENT_TYPE } from '../../src/sip/constants.js';

export interface SipJsClientOptions {
  /** ws://host:port/ of the gateway's WS listener. */
  readonly url: string;
  /** The user's SIP URI (From). */
  readonly aor: string;
  /** Milliseconds to wait for an answer before failing (default 10 s). */
  readonly waitTimeoutMs?: number | undefined;
}

/** What the gateway answered: status, reason and body of the final response. */
export interface SipJsAnswer {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  readonly headers: (name: string) => string | undefined;
}

/** A request the gateway sent inside the dialog (CSTA events arrive as INFO). */
export interface SipJsIncoming {
  readonly method: string;
  readonly body: string;
  readonly contentType: string | undefined;
}

const CSTA_HEADERS = ['Content-Disposition: signal;handling=required'];

function uri(text: string): URI {
  const parsed = Grammar.URIParse(text);
  if (parsed === undefined)
    throw new DesklineError(ErrorCode.InvalidArgument, `sip.js cannot parse URI ${text}`);
  return parsed;
}

function cstaBody(xml: string): Body {
  return { contentDisposition: 'signal', contentType: CSTA_CONTENT_TYPE, content: xml };
}

function answerOf(response: IncomingResponse): SipJsAnswer {
  const message = response.message;
  return {
    status: message.statusCode ?? 0,
    reason: message.reasonPhrase ?? '',
    body: message.body,
    headers: (name) => (message.hasHeader(name) ? message.getHeader(name) : undefined),
  };
}

/** The Node WebSocket transport sip.js's core sends through (RFC 7118 text messages). */
class WsTransport implements Transport {
  readonly protocol = 'WS';
  constructor(private readonly ws: WebSocket) {}
  send(message: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('WebSocket not open'));
        return;
      }
      this.ws.send(message, (error) => (error ? reject(error) : resolve()));
    });
  }
}

export class SipJsCstaClient {
  readonly core: UserAgentCore;
  private readonly sessions = new Set<SipJsSession>();
  private closedValue = false;
  private readonly closeWaiters: (() => void)[] = [];
  readonly waitTimeoutMs: number;

  private constructor(
    private readonly ws: WebSocket,
    readonly aor: string,
    waitTimeoutMs: number,
  ) {
    this.waitTimeoutMs = waitTimeoutMs;
    const loggerFactory = new LoggerFactory();
    loggerFactory.builtinEnabled = false;
    const transport = new WsTransport(ws);
    const aorUri = uri(aor);
    const viaHost = `${Math.random().toString(36).slice(2, 10)}.invalid`;
    const contactUri = uri(`sip:${aorUri.user ?? 'client'}@${viaHost};transport=ws`);
    const configuration: UserAgentCoreConfiguration = {
      aor: aorUri,
      contact: {
        pubGruu: undefined,
        tempGruu: undefined,
        uri: contactUri,
        toString: () => `<${contactUri.toString()}>`,
      },
      displayName: '',
      loggerFactory,
      hackViaTcp: false,
      routeSet: [],
      sipjsId: Math.random().toString(36).slice(2, 7),
      supportedOptionTags: ['timer'],
      supportedOptionTagsResponse: ['timer'],
      userAgentHeaderFieldValue: 'deskline-test-sipjs',
      viaForceRport: false,
      viaHost,
      authenticationFactory: () => undefined,
      transportAccessor: () => transport,
    };
    this.core = new UserAgentCore(configuration, {});
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data).toString('utf8');
      const message = Parser.parseMessage(text, loggerFactory.getLogger('sip.Parser'));
      if (message instanceof IncomingRequestMessage) this.core.receiveIncomingRequestFromTransport(message);
      else if (message instanceof IncomingResponseMessage)
        this.core.receiveIncomingResponseFromTransport(message);
    });
    ws.on('close', () => {
      this.closedValue = true;
      for (const resolve of this.closeWaiters.splice(0)) resolve();
    });
    ws.on('error', () => undefined);
  }

  static connect(options: SipJsClientOptions): Promise<SipJsCstaClient> {
    return new Promise<SipJsCstaClient>((resolve, reject) => {
      // RFC 7118 §4.1: the "sip" subprotocol.
      const ws = new WebSocket(options.url, ['sip']);
      ws.once('error', (error) =>
        reject(
          new DesklineError(ErrorCode.SipTransport, `sip.js client cannot connect: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      ws.once('open', () => resolve(new SipJsCstaClient(ws, options.aor, options.waitTimeoutMs ?? 10_000)));
    });
  }

  get isClosed(): boolean {
    return this.closedValue;
  }

  closed(): Promise<void> {
    if (this.closedValue) return Promise.resolve();
    return new Promise<void>((resolve) => this.closeWaiters.push(resolve));
  }

  /**
   * Opens a CSTA session: INVITE with `body` (RequestSystemStatus), Content-Type
   * application/csta+xml, Content-Disposition signal, Supported: timer; ACKs the 2xx.
   */
  openSession(target: string, body: string, extraHeaders: readonly string[] = []): Promise<SipJsSession> {
    const message = this.core.makeOutgoingRequestMessage(
      'INVITE',
      uri(target),
      uri(this.aor),
      uri(target),
      {},
      [
        `Contact: ${this.core.configuration.contact.toString()}`,
        'Supported: timer',
        ...CSTA_HEADERS,
        ...extraHeaders,
      ],
      cstaBody(body),
    );
    return this.withTimeout(
      new Promise<SipJsSession>((resolve, reject) => {
        this.core.invite(message, {
          onAccept: (response) => {
            response.ack();
            const session = new SipJsSession(this, response.session, answerOf(response));
            this.sessions.add(session);
            resolve(session);
          },
          onReject: (response) =>
            reject(
              new DesklineError(
                ErrorCode.SipTransport,
                `INVITE refused: ${response.message.statusCode} ${response.message.reasonPhrase}`,
              ),
            ),
        });
      }),
      'INVITE',
    );
  }

  /** @internal */
  forget(session: SipJsSession): void {
    this.sessions.delete(session);
  }

  /** @internal */
  withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DesklineError(
              ErrorCode.SipTimeout,
              `sip.js client: no answer to ${what} within ${this.waitTimeoutMs} ms`,
            ),
          ),
        this.waitTimeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Same as close(). */
  dispose(): Promise<void> {
    return this.close();
  }

  /** Disposes sip.js's core (its transaction timers) and closes the WebSocket. */
  async close(): Promise<void> {
    for (const session of this.sessions) session.dispose();
    this.sessions.clear();
    this.core.dispose();
    if (this.closedValue) return;
    const done = this.closed();
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 1_000);
    await done.finally(() => clearTimeout(timer));
  }
}

export class SipJsSession {
  /** Requests the gateway sent in this dialog, in order (auto-answered 200). */
  readonly incoming: SipJsIncoming[] = [];
  private readonly waiters: { method: string; resolve: (request: SipJsIncoming) => void }[] = [];
  private byeValue = false;

  constructor(
    private readonly client: SipJsCstaClient,
    readonly session: Session,
    /** The 2xx that opened the session (its body: RequestSystemStatusResponse). */
    readonly answer: SipJsAnswer,
  ) {
    session.delegate = {
      onInfo: (request) => {
        request.accept({ statusCode: 200 });
        this.push({
          method: 'INFO',
          body: request.message.body,
          contentType: request.message.getHeader('content-type'),
        });
      },
      onBye: (request) => {
        request.accept({ statusCode: 200 });
        this.byeValue = true;
        this.push({ method: 'BYE', body: '', contentType: undefined });
      },
    };
  }

  get callId(): string {
    return this.session.callId;
  }
  /** True once the gateway ended the session with BYE. */
  get endedByGateway(): boolean {
    return this.byeValue;
  }

  /** Sends a CSTA request in INFO; the CSTA response is the body of the answer. */
  info(xml: string): Promise<SipJsAnswer> {
    return this.client.withTimeout(
      new Promise<SipJsAnswer>((resolve) => {
        this.session.info(finalAnswer(resolve), { body: cstaBody(xml), extraHeaders: CSTA_HEADERS });
      }),
      'INFO',
    );
  }

  /** Session refresh with UPDATE (RFC 3311; what Communicator 2007 R2 does). */
  update(sessionExpires = 1800): Promise<SipJsAnswer> {
    const dialog = this.session;
    if (!(dialog instanceof SessionDialog))
      throw new DesklineError(ErrorCode.InvalidState, 'not a sip.js session dialog');
    const message = dialog.createOutgoingRequestMessage('UPDATE', {
      extraHeaders: [
        `Contact: ${this.client.core.configuration.contact.toString()}`,
        'Supported: timer',
        `Session-Expires: ${sessionExpires};refresher=uac`,
      ],
    });
    return this.client.withTimeout(
      new Promise<SipJsAnswer>((resolve) => {
        new UserAgentClient(NonInviteClientTransaction, this.client.core, message, finalAnswer(resolve));
      }),
      'UPDATE',
    );
  }

  /** Session refresh with re-INVITE carrying RequestSystemStatus (older clients); ACKs a 2xx. */
  reInvite(xml: string): Promise<SipJsAnswer> {
    return this.client.withTimeout(
      new Promise<SipJsAnswer>((resolve) => {
        this.session.invite(
          {
            onAccept: (response) => {
              response.ack();
              resolve(answerOf(response));
            },
            onReject: (response) => resolve(answerOf(response)),
          },
          { body: cstaBody(xml), extraHeaders: [...CSTA_HEADERS, 'Supported: timer'] },
        );
      }),
      're-INVITE',
    );
  }

  bye(): Promise<SipJsAnswer> {
    const done = this.client.withTimeout(
      new Promise<SipJsAnswer>((resolve) => {
        this.session.bye(finalAnswer(resolve));
      }),
      'BYE',
    );
    return done.finally(() => this.dispose());
  }

  /** The next request of `method` the gateway sends (or one already received). */
  nextIncoming(method = 'INFO'): Promise<SipJsIncoming> {
    const index = this.incoming.findIndex((request) => request.method === method);
    if (index >= 0) return Promise.resolve(this.incoming.splice(index, 1)[0]!);
    return this.client.withTimeout(
      new Promise<SipJsIncoming>((resolve) => this.waiters.push({ method, resolve })),
      `incoming ${method}`,
    );
  }

  dispose(): void {
    this.session.dispose();
    this.client.forget(this);
  }

  private push(request: SipJsIncoming): void {
    const index = this.waiters.findIndex((waiter) => waiter.method === request.method);
    if (index >= 0) {
      this.waiters.splice(index, 1)[0]!.resolve(request);
      return;
    }
    this.incoming.push(request);
  }
}

function finalAnswer(resolve: (answer: SipJsAnswer) => void): OutgoingRequestDelegate {
  return {
    onAccept: (response) => resolve(answerOf(response)),
    onReject: (response) => resolve(answerOf(response)),
    onRedirect: (response) => resolve(answerOf(response)),
  };
}
