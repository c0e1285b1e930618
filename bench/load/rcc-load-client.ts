// A Microsoft RCC load client in Node, for what SIPp cannot do well here:
//   - hold 100,000 sessions over a handful of TCP connections (SIPp's -t t1 puts every call on
//     one socket and -t tn one socket per call: 100,000 sockets would need 100,000 file
//     descriptors and ephemeral ports on each side of loopback);
//   - time requests with a microsecond clock (SIPp's response times are whole milliseconds,
//     quantized to its scheduler tick).
//
// It speaks the same flow as bench/sipp/rcc-uac.xml — INVITE + RequestSystemStatus with the
// user's lcs:line, ACK, INFO MonitorStart, INFO requests, INFO MonitorStop, BYE — with the
// bodies Microsoft clients send, and answers the gateway's event INFOs (and BYE/UPDATE) with 200.
// Its SIP parsing is deliberately minimal (start line, the few headers it needs, Content-Length
// framing): the gateway is what is measured, the client must stay cheap.
//
// Runs as a child process (bench/load/worker.ts) driven over IPC by a benchmark; the class is
// also usable in-process.
import { connect, type Socket } from 'node:net';
import { SampleBuffer } from '../lib/stats.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const LCS = 'http://schemas.microsoft.com/Lcs/2005/04/RCCExtension';
const CRLF = '\r\n';

export interface LoadUser {
  id: string;
  dn: string;
}

interface Pending {
  readonly resolve: (response: SipMessage) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface SipMessage {
  /** 0 for a request. */
  status: number;
  method: string;
  headers: Map<string, string>;
  /** Via lines in order (a response to a request echoes them all). */
  vias: string[];
  /** Record-Route values in order (each header line may carry several, comma-separated). */
  recordRoutes: string[];
  body: string;
}

export const RccRequestKind = {
  SnapshotDevice: 'SnapshotDevice',
  GetDoNotDisturb: 'GetDoNotDisturb',
} as const;
export type RccRequestKind = (typeof RccRequestKind)[keyof typeof RccRequestKind];

export class RccSession {
  cseq = 1;
  toTag = '';
  remoteTarget = '';
  monitorCrossRefId = '';
  open = false;
  /** Route header lines for in-dialog requests: the 2xx's Record-Route, reversed (RFC 3261
   *  §12.1.2); empty when the gateway is reached directly, set through a proxy (Kamailio). */
  routeHeaders = '';
  constructor(
    readonly link: SipLink,
    readonly user: LoadUser,
    readonly callId: string,
    readonly fromTag: string,
    readonly lineUri: string,
  ) {}
}

/** One TCP connection to the gateway, carrying many dialogs. */
export class SipLink {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, Pending>();
  private localPort = 0;
  private closed = false;
  eventsReceived = 0;
  byesReceived = 0;
  parseErrors = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly requestTimeoutMs: number,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      socket.once('connect', () => {
        this.localPort = socket.localPort ?? 0;
        resolve();
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('close', () => {
        this.closed = true;
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error('connection closed'));
        }
        this.pending.clear();
      });
      this.socket = socket;
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.socket !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get contact(): string {
    return `127.0.0.1:${this.localPort}`;
  }

  close(): void {
    this.socket?.destroy();
  }

  /** Sends a request and resolves with its final response (provisional ones are skipped). */
  request(key: string, bytes: string): Promise<SipMessage> {
    if (this.socket === undefined || this.closed) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.get(key) === entry) {
          this.pending.delete(key);
          reject(new Error(`no answer within ${this.requestTimeoutMs} ms`));
        }
      }, this.requestTimeoutMs);
      timer.unref();
      const entry: Pending = { resolve, reject, timer };
      this.pending.set(key, entry);
      this.socket?.write(bytes);
    });
  }

  /** Fire and forget (ACK). */
  send(bytes: string): void {
    this.socket?.write(bytes);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n', offset, 'latin1');
      if (headEnd < 0) break;
      const head = this.buffer.toString('latin1', offset, headEnd);
      const length = contentLength(head);
      if (length < 0) {
        this.parseErrors++;
        this.close();
        return;
      }
      const bodyStart = headEnd + 4;
      if (this.buffer.length < bodyStart + length) break;
      const body = length === 0 ? '' : this.buffer.toString('utf8', bodyStart, bodyStart + length);
      offset = bodyStart + length;
      const message = parseHead(head, body);
      if (message === undefined) {
        this.parseErrors++;
        continue;
      }
      this.dispatch(message);
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }

  private dispatch(message: SipMessage): void {
    if (message.status === 0) {
      this.answerRequest(message);
      return;
    }
    if (message.status < 200) return;
    const key = `${message.headers.get('call-id') ?? ''} ${cseqNumber(message.headers.get('cseq') ?? '')}`;
    const pending = this.pending.get(key);
    if (pending === undefined) return;
    this.pending.delete(key);
    clearTimeout(pending.timer);
    pending.resolve(message);
  }

  /** 200 to what the gateway sends in a dialog: event INFOs, UPDATE refreshes, BYE (RFC 3261 §8.2.6). */
  private answerRequest(request: SipMessage): void {
    if (request.method === 'ACK') return;
    if (request.method === 'INFO') this.eventsReceived++;
    if (request.method === 'BYE') this.byesReceived++;
    let out = `SIP/2.0 200 OK${CRLF}`;
    for (const via of request.vias) out += `Via: ${via}${CRLF}`;
    out += `From: ${request.headers.get('from') ?? ''}${CRLF}To: ${request.headers.get('to') ?? ''}${CRLF}Call-ID: ${request.headers.get('call-id') ?? ''}${CRLF}CSeq: ${request.headers.get('cseq') ?? ''}${CRLF}`;
    if (request.method === 'UPDATE') {
      const se = request.headers.get('session-expires');
      if (se !== undefined) out += `Session-Expires: ${se}${CRLF}Require: timer${CRLF}`;
      out += `Contact: <sip:load@${this.contact};transport=tcp>${CRLF}`;
    }
    out += `Content-Length: 0${CRLF}${CRLF}`;
    this.socket?.write(out);
  }
}

function contentLength(head: string): number {
  const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head);
  return m === null ? 0 : Number(m[1]);
}

function cseqNumber(value: string): string {
  const space = value.indexOf(' ');
  return space < 0 ? value : value.slice(0, space);
}

function parseHead(head: string, body: string): SipMessage | undefined {
  const lines = head.split(CRLF);
  const start = lines[0] ?? '';
  let status = 0;
  let method = '';
  if (start.startsWith('SIP/2.0 ')) {
    status = Number(start.slice(8, 11));
    if (!Number.isInteger(status)) return undefined;
  } else {
    const space = start.indexOf(' ');
    if (space <= 0) return undefined;
    method = start.slice(0, space);
  }
  const headers = new Map<string, string>();
  const vias: string[] = [];
  const recordRoutes: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const canonical =
      name === 'v'
        ? 'via'
        : name === 'i'
          ? 'call-id'
          : name === 'f'
            ? 'from'
            : name === 't'
              ? 'to'
              : name === 'm'
                ? 'contact'
                : name;
    if (canonical === 'via') vias.push(value);
    else if (canonical === 'record-route') recordRoutes.push(...splitRoutes(value));
    else if (!headers.has(canonical)) headers.set(canonical, value);
  }
  return { status, method, headers, vias, recordRoutes, body };
}

/** The name-addrs of a Record-Route value (RFC 3261 §20.30: comma-separated `<uri>;params`). */
function splitRoutes(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((r) => r !== '');
}

function tagOf(value: string | undefined): string {
  if (value === undefined) return '';
  const m = /;\s*tag=([^;>\s]+)/i.exec(value);
  return m?.[1] ?? '';
}

function contactUri(value: string | undefined): string {
  if (value === undefined) return '';
  const lt = value.indexOf('<');
  const gt = value.indexOf('>', lt + 1);
  return lt >= 0 && gt > lt ? value.slice(lt + 1, gt) : (value.split(';')[0] ?? value);
}

let branchCounter = 0;
const RUN = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const branch = (): string => `z9hG4bK${RUN}${(++branchCounter).toString(36)}`;

export interface ClientOptions {
  host: string;
  port: number;
  domain: string;
  /** TCP connections; sessions are spread over them round-robin. */
  connections: number;
  requestTimeoutMs?: number;
}

export const ProbeOutcome = {
  Ok: 0,
  /** 200 + CSTAErrorCode systemResourceAvailibility: the gateway failing fast. */
  CstaUnavailable: 1,
  CstaOther: 2,
  Sip481: 3,
  SipOther: 4,
  /** No answer in time, or the connection closed. */
  Transport: 5,
  /** After a 481: a new INVITE + MonitorStart succeeded (sentAt = when it started). */
  Reopened: 6,
  ReopenFailed: 7,
} as const;
export type ProbeOutcome = (typeof ProbeOutcome)[keyof typeof ProbeOutcome];

/** Parallel arrays, one entry per answer (times in ms since the epoch). */
export interface ProbeRecords {
  session: Float64Array;
  sentAt: Float64Array;
  doneAt: Float64Array;
  outcome: Float64Array;
}

/** Outcome counters and timings of one batch of work. */
export interface BatchReport {
  attempted: number;
  succeeded: number;
  /** Requests not sent because their session still waited for its previous answer (requestLoad
   *  only): the answers come slower than the schedule, not wrongly — a latency symptom, counted
   *  apart from failures. */
  skipped: number;
  failed: number;
  /** The first few failure reasons, with counts. */
  failures: Record<string, number>;
  elapsedMs: number;
  latencyMs: Float64Array;
}

export class RccLoadClient {
  readonly links: SipLink[] = [];
  readonly sessions: RccSession[] = [];
  private nextLink = 0;
  private probeDeadline = 0;

  constructor(private readonly options: ClientOptions) {}

  async connect(): Promise<void> {
    for (let i = 0; i < this.options.connections; i++) {
      const link = new SipLink(this.options.host, this.options.port, this.options.requestTimeoutMs ?? 30_000);
      await link.connect();
      this.links.push(link);
    }
  }

  close(): void {
    for (const link of this.links) link.close();
  }

  get openSessions(): number {
    let n = 0;
    for (const s of this.sessions) if (s.open) n++;
    return n;
  }

  counters(): { eventsReceived: number; byesReceived: number; parseErrors: number; inFlight: number } {
    let eventsReceived = 0;
    let byesReceived = 0;
    let parseErrors = 0;
    let inFlight = 0;
    for (const l of this.links) {
      eventsReceived += l.eventsReceived;
      byesReceived += l.byesReceived;
      parseErrors += l.parseErrors;
      inFlight += l.inFlight;
    }
    return { eventsReceived, byesReceived, parseErrors, inFlight };
  }

  private pickLink(): SipLink {
    const link = this.links[this.nextLink++ % this.links.length];
    if (link === undefined) throw new Error('not connected');
    return link;
  }

  /** INVITE + RequestSystemStatus → 200 → ACK, then MonitorStart when `monitor`. Resolves with the set-up time (INVITE → 200), ms. */
  async openSession(user: LoadUser, monitor: boolean): Promise<{ session: RccSession; setupMs: number }> {
    const link = this.pickLink();
    const callId = `${RUN}-${user.id}-${++branchCounter}@load`;
    const lineUri = `tel:${user.dn};phone-context=dialstring;partition=INTERNAL`;
    const session = new RccSession(link, user, callId, `t${branchCounter.toString(36)}`, lineUri);
    const body = `<?xml version="1.0"?><RequestSystemStatus xmlns="${NS}"><extensions><privateData><private><lcs:line xmlns:lcs="${LCS}">${lineUri}</lcs:line></private></privateData></extensions></RequestSystemStatus>`;
    const uri = `sip:${user.id}@${this.options.host}:${this.options.port};transport=tcp`;
    const invite =
      `INVITE ${uri} SIP/2.0${CRLF}Via: SIP/2.0/TCP ${link.contact};branch=${branch()}${CRLF}Max-Forwards: 70${CRLF}` +
      `From: <sip:${user.id}@${this.options.domain}>;tag=${session.fromTag}${CRLF}To: <${uri}>${CRLF}Call-ID: ${callId}${CRLF}CSeq: 1 INVITE${CRLF}` +
      `Contact: <sip:${user.id}@${link.contact};transport=tcp>${CRLF}Supported: timer${CRLF}Session-Expires: 1800${CRLF}` +
      `Content-Disposition: signal;handling=required${CRLF}Content-Type: application/csta+xml${CRLF}Content-Length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`;
    const started = performance.now();
    const response = await link.request(`${callId} 1`, invite);
    const setupMs = performance.now() - started;
    if (response.status !== 200 || !response.body.includes('RequestSystemStatusResponse')) {
      throw new Error(`INVITE answered ${response.status} ${firstLine(response.body)}`);
    }
    session.toTag = tagOf(response.headers.get('to'));
    session.remoteTarget = contactUri(response.headers.get('contact')) || uri;
    // RFC 3261 §12.1.2: the UAC's route set is the Record-Route list in reverse order (loose
    // routers only here: Kamailio adds ;lr, so the Request-URI stays the remote target).
    session.routeHeaders = [...response.recordRoutes]
      .reverse()
      .map((r) => `Route: ${r}${CRLF}`)
      .join('');
    session.open = true;
    this.sessions.push(session);
    link.send(
      `ACK ${session.remoteTarget} SIP/2.0${CRLF}Via: SIP/2.0/TCP ${link.contact};branch=${branch()}${CRLF}Max-Forwards: 70${CRLF}${session.routeHeaders}` +
        `From: <sip:${user.id}@${this.options.domain}>;tag=${session.fromTag}${CRLF}To: <${uri}>;tag=${session.toTag}${CRLF}Call-ID: ${callId}${CRLF}CSeq: 1 ACK${CRLF}Content-Length: 0${CRLF}${CRLF}`,
    );
    if (monitor) {
      const started2 = await this.info(
        session,
        `<?xml version="1.0"?><MonitorStart xmlns="${NS}"><monitorObject><deviceObject>${lineUri}</deviceObject></monitorObject></MonitorStart>`,
      );
      const m = /<monitorCrossRefID>([^<]*)<\/monitorCrossRefID>/.exec(started2.body);
      if (m === null) throw new Error(`MonitorStart refused: ${firstLine(started2.body)}`);
      session.monitorCrossRefId = m[1] as string;
    }
    return { session, setupMs };
  }

  /** An in-dialog request; resolves with the response (any status). */
  private inDialog(session: RccSession, method: string, body: string): Promise<SipMessage> {
    const link = session.link;
    const seq = ++session.cseq;
    const uri = `sip:${session.user.id}@${this.options.host}:${this.options.port};transport=tcp`;
    let bytes =
      `${method} ${session.remoteTarget} SIP/2.0${CRLF}Via: SIP/2.0/TCP ${link.contact};branch=${branch()}${CRLF}Max-Forwards: 70${CRLF}${session.routeHeaders}` +
      `From: <sip:${session.user.id}@${this.options.domain}>;tag=${session.fromTag}${CRLF}To: <${uri}>;tag=${session.toTag}${CRLF}Call-ID: ${session.callId}${CRLF}CSeq: ${seq} ${method}${CRLF}`;
    bytes +=
      body === ''
        ? `Content-Length: 0${CRLF}${CRLF}`
        : `Content-Disposition: signal;handling=required${CRLF}Content-Type: application/csta+xml${CRLF}Content-Length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`;
    return link.request(`${session.callId} ${seq}`, bytes);
  }

  /**
   * A CSTA request in an INFO; rejects unless 200 without a CSTAErrorCode — and, when `expected`
   * names the request, unless the body is that request's response (`<expectedResponse`): an
   * answer that is not what was asked for is never counted as a success.
   */
  async info(session: RccSession, body: string, expected?: string): Promise<SipMessage> {
    const response = await this.inDialog(session, 'INFO', body);
    if (response.status !== 200) throw new Error(`INFO answered ${response.status}`);
    if (response.body.includes('CSTAErrorCode')) throw new Error(`CSTA error: ${errorOf(response.body)}`);
    if (expected !== undefined && !response.body.includes(`<${expected}Response`))
      throw new Error(`not a ${expected}Response: ${firstLine(response.body)}`);
    return response;
  }

  requestBody(session: RccSession, kind: RccRequestKind): string {
    return kind === RccRequestKind.SnapshotDevice
      ? `<?xml version="1.0"?><SnapshotDevice xmlns="${NS}"><snapshotObject>${session.lineUri}</snapshotObject></SnapshotDevice>`
      : `<?xml version="1.0"?><GetDoNotDisturb xmlns="${NS}"><device>${session.lineUri}</device></GetDoNotDisturb>`;
  }

  /** MonitorStop (when monitored) then BYE. */
  async closeSession(session: RccSession): Promise<void> {
    if (!session.open) return;
    session.open = false;
    if (session.monitorCrossRefId !== '') {
      await this.info(
        session,
        `<?xml version="1.0"?><MonitorStop xmlns="${NS}"><monitorCrossRefID>${session.monitorCrossRefId}</monitorCrossRefID></MonitorStop>`,
      );
    }
    const response = await this.inDialog(session, 'BYE', '');
    if (response.status !== 200) throw new Error(`BYE answered ${response.status}`);
  }

  /** Opens sessions for `users` with at most `concurrency` set-ups in flight. */
  async openMany(users: readonly LoadUser[], concurrency: number, monitor: boolean): Promise<BatchReport> {
    const latency = new SampleBuffer();
    const failures: Record<string, number> = {};
    let succeeded = 0;
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < users.length) {
        const user = users[next++] as LoadUser;
        try {
          const { setupMs } = await this.openSession(user, monitor);
          latency.push(setupMs);
          succeeded++;
        } catch (cause) {
          failed++;
          note(failures, cause);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, users.length)) }, worker));
    return {
      attempted: users.length,
      succeeded,
      skipped: 0,
      failed,
      failures,
      elapsedMs: performance.now() - started,
      latencyMs: latency.values().slice(),
    };
  }

  /**
   * Open loop: CSTA requests at `rate` per second for `durationMs`, spread over the open
   * sessions (each session has at most one request in flight, as a real client; a session still
   * busy is skipped and the skip counted in `skipped`, not as a failure).
   */
  async requestLoad(
    rate: number,
    durationMs: number,
    kinds: readonly RccRequestKind[],
  ): Promise<BatchReport> {
    const open = this.sessions.filter((s) => s.open);
    if (open.length === 0) throw new Error('no open session');
    const latency = new SampleBuffer();
    const failures: Record<string, number> = {};
    const busy = new Set<RccSession>();
    let attempted = 0;
    let succeeded = 0;
    let failed = 0;
    let skipped = 0;
    let cursor = 0;
    const outstanding = new Set<Promise<void>>();
    const started = performance.now();
    const intervalMs = 1000 / rate;
    // Requests are issued on a schedule (started + n × interval), in bursts when the loop wakes
    // late, so a slow gateway does not lower the offered rate (no coordinated omission).
    let issued = 0;
    while (performance.now() - started < durationMs) {
      const due = Math.floor((performance.now() - started) / intervalMs) + 1;
      while (issued < due) {
        issued++;
        attempted++;
        const session = open[cursor++ % open.length] as RccSession;
        if (busy.has(session)) {
          skipped++;
          continue;
        }
        busy.add(session);
        const kind = kinds[issued % kinds.length] as RccRequestKind;
        const sentAt = performance.now();
        const p = this.info(session, this.requestBody(session, kind), kind).then(
          () => {
            latency.push(performance.now() - sentAt);
            succeeded++;
          },
          (cause: unknown) => {
            failed++;
            note(failures, cause);
          },
        );
        const tracked = p.finally(() => {
          busy.delete(session);
          outstanding.delete(tracked);
        });
        outstanding.add(tracked);
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(10, intervalMs))));
    }
    await Promise.all(outstanding);
    return {
      attempted,
      succeeded,
      skipped,
      failed,
      failures,
      elapsedMs: performance.now() - started,
      latencyMs: latency.values().slice(),
    };
  }

  /**
   * Failover probing: every open session loops "GetDoNotDisturb, then `pauseMs`" until
   * `durationMs` is over; a 481 (the gateway's "CTI connection re-established") makes the client
   * do what Communicator does — open the session again (new INVITE + MonitorStart) — and go on.
   * Every answer is recorded with wall-clock times (ms since the epoch, sub-millisecond), so the
   * benchmark can line them up with when it froze, stopped or restarted a CTI Manager node.
   */
  async probeLoop(durationMs: number, pauseMs: number): Promise<ProbeRecords> {
    const records = {
      session: new SampleBuffer(),
      sentAt: new SampleBuffer(),
      doneAt: new SampleBuffer(),
      outcome: new SampleBuffer(),
    };
    const wall = (): number => performance.timeOrigin + performance.now();
    this.probeDeadline = performance.now() + durationMs;
    const open = this.sessions.filter((s) => s.open);
    const loop = async (index: number): Promise<void> => {
      let session = open[index] as RccSession;
      while (performance.now() < this.probeDeadline) {
        const sentAt = wall();
        let outcome: ProbeOutcome = ProbeOutcome.Ok;
        let reopen = false;
        try {
          await this.info(session, this.requestBody(session, RccRequestKind.GetDoNotDisturb));
        } catch (cause) {
          const message = cause instanceof Error ? cause.message : String(cause);
          if (message.includes('systemResourceAvailibility')) outcome = ProbeOutcome.CstaUnavailable;
          else if (message.startsWith('CSTA error')) outcome = ProbeOutcome.CstaOther;
          else if (message === 'INFO answered 481') {
            outcome = ProbeOutcome.Sip481;
            reopen = true;
          } else if (message.startsWith('INFO answered')) outcome = ProbeOutcome.SipOther;
          else outcome = ProbeOutcome.Transport;
        }
        records.session.push(index);
        records.sentAt.push(sentAt);
        records.doneAt.push(wall());
        records.outcome.push(outcome);
        if (reopen) {
          session.open = false;
          const again = wall();
          try {
            const { session: fresh } = await this.openSession(session.user, true);
            session = fresh;
            records.outcome.push(ProbeOutcome.Reopened);
          } catch {
            records.outcome.push(ProbeOutcome.ReopenFailed);
          }
          records.session.push(index);
          records.sentAt.push(again);
          records.doneAt.push(wall());
        }
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    await Promise.all(open.map((_, i) => loop(i)));
    return {
      session: records.session.values().slice(),
      sentAt: records.sentAt.values().slice(),
      doneAt: records.doneAt.values().slice(),
      outcome: records.outcome.values().slice(),
    };
  }

  /** Ends a probeLoop early (each session finishes the request it has in flight). */
  stopProbe(): void {
    this.probeDeadline = 0;
  }

  /** Closes every open session, `concurrency` at a time. */
  async closeAll(concurrency: number): Promise<BatchReport> {
    const open = this.sessions.filter((s) => s.open);
    const failures: Record<string, number> = {};
    let succeeded = 0;
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < open.length) {
        const session = open[next++] as RccSession;
        try {
          await this.closeSession(session);
          succeeded++;
        } catch (cause) {
          failed++;
          note(failures, cause);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, open.length)) }, worker));
    this.sessions.length = 0;
    return {
      attempted: open.length,
      succeeded,
      skipped: 0,
      failed,
      failures,
      elapsedMs: performance.now() - started,
      latencyMs: new Float64Array(0),
    };
  }
}

function firstLine(text: string): string {
  return text.slice(0, 200);
}

function errorOf(body: string): string {
  const m = /<CSTAErrorCode[^>]*>\s*<([A-Za-z]+)>([^<]*)</.exec(body);
  return m === null ? firstLine(body) : `${m[1]}/${m[2]}`;
}

function note(failures: Record<string, number>, cause: unknown): void {
  const key = (cause instanceof Error ? cause.message : String(cause)).slice(0, 120);
  if (key in failures || Object.keys(failures).length < 20) failures[key] = (failures[key] ?? 0) + 1;
}
