// The Node relay floor (docs/benchmarks.md, "yardstick"): the least a Node process can do to
// carry the gateway's traffic, measured in the same run as the gateway so that the gateway's
// CPU per request reads as a multiple of what Node's own I/O costs on this machine.
//
// It has the gateway's I/O pattern and nothing else:
//   - SIP over TCP, framed by Content-Length (RFC 3261 §18.3), from the same SIPp scenario
//     (bench/sipp/rcc-uac.xml, every answer checked by SIPp);
//   - per INVITE and per INFO one round trip on a TCP link to a backend process standing for the
//     CTI Manager (bench/floor/echo-backend.ts echoes each frame back), in the CTI link's framing
//     (docs/cti-link.md: 8-byte header, 4-digit invoke ID), carrying the request's XML body —
//     the gateway sends a CSTA request of that size to the simulator and waits for its answer;
//   - the answer: 100 Trying to the INVITE, then 200 OK with a CSTA response body of the kind and
//     size the gateway sends (canned, keyed by the request's root element name);
//   - the gateway's event INFOs: after MakeCall the gateway sends ServiceInitiated, Originated and
//     Delivered events in the dialog, after ClearConnection ConnectionCleared and CallCleared
//     (measured against rcc-uac.xml); the floor sends as many INFOs of the same size and reads
//     their 200s;
//   - writes coalesced per tick (cork, uncork on process.nextTick), as the gateway's SIP
//     connections and CTI link do (docs/benchmarks.md, "Profile findings"), so the multiple
//     measures the gateway's work, not a different write strategy.
// What it does not do: parse SIP beyond the start line and the headers a response echoes, parse
// XML, hold sessions, check anything. It is a yardstick, not a server to deploy.
//
//   node bench-floor.mjs --backend HOST:PORT [--error-every N]
//     (the harness bundles this file with esbuild: plain JavaScript, no loader, as the gateway runs)
//   --error-every N answers every Nth INFO with a 200 carrying a CSTAErrorCode: the harness's own
//   test (gateway/test/bench/bench-checks.test.ts) uses it to prove such answers never count.
// Prints `FLOOR {"sip":"127.0.0.1:<port>"}` once listening on 127.0.0.1, port 0.
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const CRLF = '\r\n';
const HEAD_END = Buffer.from('\r\n\r\n');
/** Events the gateway sends after each request (see above). */
const EVENTS_AFTER: Readonly<Record<string, readonly string[]>> = {
  MakeCall: ['ServiceInitiatedEvent', 'OriginatedEvent', 'DeliveredEvent'],
  ClearConnection: ['ConnectionClearedEvent', 'CallClearedEvent'],
};

/** Writes of one tick leave in one writev (cork now, uncork on the next tick). */
class CorkedSocket {
  private corked = false;
  constructor(readonly socket: Socket) {}
  write(data: string | Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(data);
  }
}

/** Reads messages framed by a head and a Content-Length body off a byte stream. */
class SipFramer {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(private readonly onMessage: (head: string, body: string) => void) {}
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      // RFC 5626 §3.5.1 keep-alive CRLFs between messages are skipped.
      while (offset + 1 < this.buffer.length && this.buffer[offset] === 13 && this.buffer[offset + 1] === 10)
        offset += 2;
      const headEnd = this.buffer.indexOf(HEAD_END, offset);
      if (headEnd < 0) break;
      const head = this.buffer.toString('latin1', offset, headEnd);
      const bodyStart = headEnd + 4;
      const length = contentLength(head);
      if (this.buffer.length < bodyStart + length) break;
      const body = length === 0 ? '' : this.buffer.toString('utf8', bodyStart, bodyStart + length);
      offset = bodyStart + length;
      this.onMessage(head, body);
    }
    this.buffer = offset >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }
}

function contentLength(head: string): number {
  const m = /\r\n(?:content-length|l)[ \t]*:[ \t]*(\d+)/i.exec(head);
  return m === null ? 0 : Number(m[1]);
}

/** The headers a response echoes (RFC 3261 §8.2.6.2), and the few a dialog needs. */
interface Request {
  method: string;
  vias: string[];
  from: string;
  to: string;
  callId: string;
  cseq: string;
  contact: string;
  body: string;
}

function parseRequest(head: string, body: string): Request | undefined {
  const lines = head.split(CRLF);
  const start = lines[0] ?? '';
  if (start.startsWith('SIP/2.0 ')) return undefined; // a response (to one of our event INFOs)
  const request: Request = {
    method: start.slice(0, start.indexOf(' ')),
    vias: [],
    from: '',
    to: '',
    callId: '',
    cseq: '',
    contact: '',
    body,
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'via' || name === 'v') request.vias.push(value);
    else if (name === 'from' || name === 'f') request.from = value;
    else if (name === 'to' || name === 't') request.to = value;
    else if (name === 'call-id' || name === 'i') request.callId = value;
    else if (name === 'cseq') request.cseq = value;
    else if (name === 'contact' || name === 'm') request.contact = value;
  }
  return request;
}

/** The root element's local name of an XML body (`<?xml ...?><MakeCall xmlns=...>` → MakeCall). */
function rootElement(xml: string): string {
  let at = xml.indexOf('<');
  if (xml.startsWith('<?', at)) at = xml.indexOf('<', xml.indexOf('?>', at) + 2);
  let end = at + 1;
  while (end < xml.length && /[A-Za-z0-9_:.-]/.test(xml[end] as string)) end++;
  const name = xml.slice(at + 1, end);
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function between(xml: string, open: string, close: string): string {
  const a = xml.indexOf(open);
  if (a < 0) return '';
  const b = xml.indexOf(close, a + open.length);
  return b < 0 ? '' : xml.slice(a + open.length, b);
}

const uriOf = (nameAddr: string): string => {
  const lt = nameAddr.indexOf('<');
  const gt = nameAddr.indexOf('>', lt + 1);
  return lt >= 0 && gt > lt ? nameAddr.slice(lt + 1, gt) : (nameAddr.split(';')[0] ?? nameAddr);
};

interface Dialog {
  /** To of the 2xx (with our tag): From of our requests. */
  local: string;
  /** From of the INVITE: To of our requests. */
  remote: string;
  remoteTarget: string;
  cseq: number;
  line: string;
  xref: string;
  callId: number;
}

let counter = 0;

/** The CSTA response body for a request, as the gateway would send it. */
function responseBody(name: string, request: Request, dialog: Dialog | undefined): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>`;
  switch (name) {
    case 'RequestSystemStatus':
      return `${head}<RequestSystemStatusResponse xmlns="${NS}"><systemStatus>normal</systemStatus></RequestSystemStatusResponse>`;
    case 'MonitorStart':
      return `${head}<MonitorStartResponse xmlns="${NS}"><monitorCrossRefID>${dialog?.xref ?? 'f0'}</monitorCrossRefID></MonitorStartResponse>`;
    case 'MakeCall': {
      const calling = between(request.body, '<callingDevice>', '</callingDevice>');
      return `${head}<MakeCallResponse xmlns="${NS}"><callingDevice><callID>${dialog?.callId ?? 0}</callID><deviceID>${calling}</deviceID></callingDevice></MakeCallResponse>`;
    }
    case 'GetDoNotDisturb':
      return `${head}<GetDoNotDisturbResponse xmlns="${NS}"><doNotDisturbOn>false</doNotDisturbOn></GetDoNotDisturbResponse>`;
    case 'SnapshotDevice':
      return `${head}<SnapshotDeviceResponse xmlns="${NS}"><crossRefIDorSnapshotData><snapshotData/></crossRefIDorSnapshotData></SnapshotDeviceResponse>`;
    default:
      return `${head}<${name}Response xmlns="${NS}"/>`;
  }
}

/** An event body of the size the gateway sends (~650 bytes: connection, devices, cause). */
function eventBody(name: string, dialog: Dialog): string {
  const far = 'tel:+16505550100';
  return (
    `<?xml version="1.0" encoding="UTF-8"?><${name} xmlns="${NS}"><monitorCrossRefID>${dialog.xref}</monitorCrossRefID>` +
    `<connection><callID>${dialog.callId}</callID><deviceID>${far}</deviceID></connection>` +
    `<alertingDevice><deviceIdentifier>${far}</deviceIdentifier></alertingDevice>` +
    `<callingDevice><deviceIdentifier>${dialog.line}</deviceIdentifier></callingDevice>` +
    `<calledDevice><deviceIdentifier>${far}</deviceIdentifier></calledDevice>` +
    `<lastRedirectionDevice><notRequired/></lastRedirectionDevice><localConnectionInfo>connected</localConnectionInfo><cause>newCall</cause></${name}>`
  );
}

/** The CTI-link-shaped connection to the backend: one frame out, its echo back, per request. */
class Backend {
  private readonly out: CorkedSocket;
  private readonly pending = new Map<number, () => void>();
  private nextInvoke = 1;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(socket: Socket) {
    this.out = new CorkedSocket(socket);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Sends `payload` in a frame (docs/cti-link.md) and calls `done` when its echo is back. */
  roundTrip(payload: string, done: () => void): void {
    const invoke = this.nextInvoke;
    this.nextInvoke = invoke === 9998 ? 1 : invoke + 1;
    const xml = Buffer.from(payload, 'utf8');
    const frame = Buffer.allocUnsafe(8 + xml.length);
    frame.writeUInt16BE(0, 0);
    frame.writeUInt16BE(8 + xml.length, 2);
    frame.write(String(invoke).padStart(4, '0'), 4, 'latin1');
    xml.copy(frame, 8);
    this.pending.set(invoke, done);
    this.out.write(frame);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    while (this.buffer.length - offset >= 8) {
      const length = this.buffer.readUInt16BE(offset + 2);
      if (this.buffer.length - offset < length) break;
      const invoke = Number(this.buffer.toString('latin1', offset + 4, offset + 8));
      offset += length;
      const done = this.pending.get(invoke);
      if (done !== undefined) {
        this.pending.delete(invoke);
        done();
      }
    }
    this.buffer = offset >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
  }
}

let infos = 0;

function serve(socket: Socket, backend: Backend, self: string, errorEvery: number): void {
  socket.setNoDelay(true);
  const out = new CorkedSocket(socket);
  const dialogs = new Map<string, Dialog>();

  const respond = (request: Request, status: string, extra: string, body: string, to = request.to): void => {
    let text = `SIP/2.0 ${status}${CRLF}`;
    for (const via of request.vias) text += `Via: ${via}${CRLF}`;
    text += `From: ${request.from}${CRLF}To: ${to}${CRLF}Call-ID: ${request.callId}${CRLF}CSeq: ${request.cseq}${CRLF}${extra}`;
    text +=
      body === ''
        ? `Content-Length: 0${CRLF}${CRLF}`
        : `Content-Type: application/csta+xml${CRLF}Content-Disposition: signal;handling=required${CRLF}Content-Length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`;
    out.write(text);
  };

  const sendEvent = (dialog: Dialog, callId: string, name: string): void => {
    const body = eventBody(name, dialog);
    out.write(
      `INFO ${dialog.remoteTarget} SIP/2.0${CRLF}Via: SIP/2.0/TCP ${self};branch=z9hG4bKfl${(++counter).toString(36)};rport${CRLF}Max-Forwards: 70${CRLF}` +
        `From: ${dialog.local}${CRLF}To: ${dialog.remote}${CRLF}Call-ID: ${callId}${CRLF}CSeq: ${++dialog.cseq} INFO${CRLF}` +
        `Content-Type: application/csta+xml${CRLF}Content-Disposition: signal;handling=required${CRLF}Content-Length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`,
    );
  };

  const framer = new SipFramer((head, body) => {
    const request = parseRequest(head, body);
    if (request === undefined) return; // 200 to an event INFO: nothing to do
    switch (request.method) {
      case 'ACK':
        return;
      case 'INVITE': {
        respond(request, '100 Trying', '', '');
        const n = ++counter;
        const line = between(request.body, '>tel:', '<');
        const dialog: Dialog = {
          local: `${request.to};tag=fl${n.toString(36)}`,
          remote: request.from,
          remoteTarget: uriOf(request.contact),
          cseq: 1000,
          line: line === '' ? '' : `tel:${line}`,
          xref: `f${n.toString(36)}`,
          callId: n,
        };
        backend.roundTrip(request.body, () => {
          dialogs.set(request.callId, dialog);
          respond(
            request,
            '200 OK',
            `Contact: <sip:floor@${self};transport=tcp>${CRLF}Supported: timer${CRLF}Require: timer${CRLF}Session-Expires: 1800;refresher=uac${CRLF}`,
            responseBody('RequestSystemStatus', request, dialog),
            dialog.local,
          );
        });
        return;
      }
      case 'INFO': {
        const name = rootElement(request.body);
        const refuse = errorEvery > 0 && ++infos % errorEvery === 0;
        backend.roundTrip(request.body, () => {
          const dialog = dialogs.get(request.callId);
          if (refuse) {
            respond(
              request,
              '200 OK',
              '',
              `<?xml version="1.0" encoding="UTF-8"?><CSTAErrorCode xmlns="${NS}"><operation>generic</operation></CSTAErrorCode>`,
            );
            return;
          }
          respond(request, '200 OK', '', responseBody(name, request, dialog));
          const events = EVENTS_AFTER[name];
          if (dialog !== undefined && events !== undefined)
            for (const event of events) sendEvent(dialog, request.callId, event);
        });
        return;
      }
      case 'BYE':
        dialogs.delete(request.callId);
        respond(request, '200 OK', '', '');
        return;
      default:
        respond(request, '200 OK', '', '');
    }
  });
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
  socket.on('error', () => socket.destroy());
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { backend: { type: 'string' }, 'error-every': { type: 'string', default: '0' } },
    strict: true,
  });
  const errorEvery = Number(values['error-every']);
  if (!Number.isInteger(errorEvery) || errorEvery < 0) throw new Error('--error-every N: a whole number');
  const [host, port] = (values.backend ?? '').split(':');
  if (host === undefined || port === undefined || host === '' || !/^\d+$/.test(port))
    throw new Error('--backend HOST:PORT is required');
  const link = connect({ host, port: Number(port), noDelay: true });
  await new Promise<void>((resolve, reject) => {
    link.once('connect', resolve);
    link.once('error', reject);
  });
  link.on('close', () => process.exit(1));
  const backend = new Backend(link);
  let self = '';
  const server = createServer((socket) => serve(socket, backend, self, errorEvery));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  self = `127.0.0.1:${address.port}`;
  process.stdout.write(`FLOOR ${JSON.stringify({ sip: self })}\n`);
  const stop = (): void => {
    server.close();
    link.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((cause: unknown) => {
  process.stderr.write(`floor: ${cause instanceof Error ? cause.message : String(cause)}\n`);
  process.exit(1);
});
