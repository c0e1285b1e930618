// Hot-path micro-benchmark: CPU time and bytes allocated per operation of what the gateway does
// for every CSTA request (docs/benchmarks.md, "Profile findings and engine changes"). Not a test
// (no timed assertions in tests); a tool for directing work, whose decisions are then taken by an
// A/B of whole gateways (bench/tools/ab.ts).
//
//   npx tsx gateway/test/bench/hot-path.ts [--only REGEX] [--ms 1500] [--alloc-top N]
//
// For production-like figures (no tsx __name wrappers), bundle it first:
//   npx esbuild gateway/test/bench/hot-path.ts --bundle --platform=node --format=esm \
//     --packages=external --outfile=dist/hot-path.mjs && node dist/hot-path.mjs
//
// Per operation: ns per op in CPU time (process.cpuUsage, so that a shared machine skews it
// less), and bytes allocated per op with the allocating functions, from V8's sampling heap
// profiler with objects that die young included (inspector HeapProfiler.startSampling).
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeCsta, encodeCsta, type CstaMessage } from '../../src/csta/index.js';
import { decodeCstaTree } from '../../src/csta/codec.js';
import { FrameDecoder, encodeFrame } from '../../src/cti-link/framing.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { SipRequest } from '../../src/sip/message.js';
import { validateRequest } from '../../src/sip/parser.js';
import { SipUserAgentCore, type SipUserAgentCoreDelegate } from '../../src/sip/user-agent-core.js';
import type { ServerDialog } from '../../src/sip/dialog.js';
import type { ConnectionLimits } from '../../src/sip/transport/connection.js';
import { nullLogger } from '../../src/util/logger.js';
import { FakeClock } from '../support/fake-clock.js';
import { NullConnection } from '../support/null-connection.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    ms: { type: 'string', default: '1500' },
    'alloc-top': { type: 'string', default: '8' },
  },
});
const DURATION_MS = Number(values.ms);
const ALLOC_TOP = Number(values['alloc-top']);
const only = values.only === undefined ? undefined : new RegExp(values.only);

// Resolved from the working directory (the repository root) so that the bundled form finds them too.
const VECTORS = pathToFileURL(join(process.cwd(), 'gateway/test/vectors/'));
const cstaVector = (name: string): string =>
  readFileSync(new URL(`csta/${name}.xml`, VECTORS), 'utf8').replace(/\n$/, '');

// ---- the operations -----------------------------------------------------------------------------

/** An INFO as SIPp's bench scenario sends it (bench/sipp/rcc-uac.xml), with fixed-width CSeq and
 *  branch digits that are rewritten in place, so that each iteration is a new request. */
function infoTemplate(body: string, toTag: string): { bytes: Buffer; seqAt: number; branchAt: number } {
  const head =
    'INFO sip:user1@127.0.0.1:5060;transport=tcp SIP/2.0\r\n' +
    'Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-1-0000000000\r\n' +
    'Max-Forwards: 70\r\n' +
    'From: <sip:user1@bench.example>;tag=4242-1\r\n' +
    `To: <sip:user1@127.0.0.1:5060>;tag=${toTag}\r\n` +
    'Call-ID: 1-4242@127.0.0.1\r\n' +
    'CSeq: 0000000002 INFO\r\n' +
    'Contact: <sip:user1@127.0.0.1:5061;transport=tcp>\r\n' +
    'Content-Disposition: signal;handling=required\r\n' +
    'Content-Type: application/csta+xml\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const bytes = Buffer.from(head + body, 'utf8');
  return {
    bytes,
    seqAt: bytes.indexOf('CSeq: ') + 6,
    branchAt: bytes.indexOf('z9hG4bK-1-') + 10,
  };
}

function writeDigits(buf: Buffer, at: number, n: number): void {
  for (let i = 9; i >= 0; i--) {
    buf[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
}

const SNAPSHOT_REQUEST =
  '<?xml version="1.0"?><SnapshotDevice xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><snapshotObject>tel:1000;phone-context=dialstring;partition=INTERNAL</snapshotObject></SnapshotDevice>';

interface Op {
  name: string;
  run: () => number;
  /** The same work done the reference way: timed interleaved with `run` (batches alternate),
   *  so that the ratio holds on a busy machine where the absolute times wander. */
  reference?: () => number;
}

function sipCoreOp(): Op {
  const clock = new FakeClock();
  let dialog: ServerDialog | undefined;
  const answer = encodeCsta(decoded(cstaVector('SnapshotDeviceResponse')), { declaration: true });
  const delegate: SipUserAgentCoreDelegate = {
    onInvite: (invite) => {
      dialog = invite.accept({ body: '<RequestSystemStatusResponse/>' });
    },
    onRequest: (_dialog, request) => request.respond(200, { body: answer }),
    onDialogTerminated: () => undefined,
  };
  const core = new SipUserAgentCore({ transports: {}, delegate, clock, logger: nullLogger });
  const limits: ConnectionLimits = {
    idleTimeoutMs: 3_600_000,
    maxWriteBufferBytes: 1 << 30,
    maxHeaderBytes: 16384,
    maxBodyBytes: 65536,
    closeGraceMs: 1000,
    maxPendingRequests: 1 << 30,
  };
  const connection = new NullConnection(1, core, clock, nullLogger, limits);
  const framer = new StreamFramer({
    onMessage: (result) => core.receiveFromTransport(connection, result),
    onPing: () => undefined,
    onFatal: (error) => {
      throw error;
    },
  });
  const body = '<RequestSystemStatus xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"/>';
  framer.push(
    Buffer.from(
      'INVITE sip:user1@127.0.0.1:5060;transport=tcp SIP/2.0\r\n' +
        'Via: SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-1-invite\r\n' +
        'Max-Forwards: 70\r\nFrom: <sip:user1@bench.example>;tag=4242-1\r\nTo: <sip:user1@127.0.0.1:5060>\r\n' +
        'Call-ID: 1-4242@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:user1@127.0.0.1:5061;transport=tcp>\r\n' +
        'Supported: timer\r\nSession-Expires: 1800\r\nContent-Disposition: signal;handling=required\r\n' +
        `Content-Type: application/csta+xml\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ),
  );
  if (dialog === undefined) throw new Error('no dialog');
  const tpl = infoTemplate(SNAPSHOT_REQUEST, dialog.localTag);
  let seq = 2;
  return {
    name: 'sip: INFO framed, parsed, validated, through core and dialog, answered 200 + body',
    run: () => {
      seq++;
      writeDigits(tpl.bytes, tpl.seqAt, seq);
      writeDigits(tpl.bytes, tpl.branchAt, seq);
      framer.push(tpl.bytes);
      return connection.written;
    },
  };
}

function decoded(xml: string): CstaMessage {
  const result = decodeCsta(xml);
  if (!result.ok) throw new Error(result.error.message);
  return result.value.message;
}

function ops(): Op[] {
  const list: Op[] = [];
  // SIP parse alone.
  const tpl = infoTemplate(SNAPSHOT_REQUEST, 'abc');
  let count = 0;
  const framer = new StreamFramer({
    onMessage: (result) => {
      if (result.ok) count += result.value.headers.length;
    },
    onPing: () => undefined,
    onFatal: () => undefined,
  });
  list.push({
    name: 'sip: frame + parse head (INFO, 11 headers)',
    run: () => {
      framer.push(tpl.bytes);
      return count;
    },
  });
  let validated = 0;
  const validating = new StreamFramer({
    onMessage: (result) => {
      if (result.ok && result.value instanceof SipRequest && validateRequest(result.value).ok) validated++;
    },
    onPing: () => undefined,
    onFatal: () => undefined,
  });
  list.push({
    name: 'sip: frame + parse head + validateRequest',
    run: () => {
      validating.push(tpl.bytes);
      return validated;
    },
  });
  list.push(sipCoreOp());
  // CSTA codec.
  const shapes: [string, string][] = [
    ['SnapshotDevice (request from the client)', SNAPSHOT_REQUEST],
    ['SnapshotDeviceResponse (from the CTI Manager)', cstaVector('SnapshotDeviceResponse')],
    ['DeliveredEvent (from the CTI Manager)', cstaVector('DeliveredEvent')],
    ['MakeCall', cstaVector('MakeCall')],
  ];
  for (const [label, xml] of shapes) {
    const bytes = Buffer.from(xml, 'utf8');
    list.push({
      name: `csta: decode ${label}`,
      run: () => {
        const r = decodeCsta(bytes);
        return r.ok ? 1 : 0;
      },
      reference: () => {
        const r = decodeCstaTree(bytes);
        return r.ok ? 1 : 0;
      },
    });
  }
  for (const [label, xml] of shapes) {
    const message = decoded(xml);
    list.push({
      name: `csta: encode ${label.replace(/ \(.*/, '')}`,
      run: () => encodeCsta(message, { declaration: true }).length,
    });
  }
  // CTI link framing.
  const frame = encodeFrame(42, cstaVector('SnapshotDeviceResponse'));
  const decoder = new FrameDecoder({ maxFrameBytes: 65535 });
  list.push({
    name: 'cti-link: FrameDecoder.push (one frame)',
    run: () => {
      const r = decoder.push(frame);
      return r.ok ? r.value.length : 0;
    },
  });
  return only === undefined ? list : list.filter((op) => only.test(op.name));
}

// ---- measurement ------------------------------------------------------------------------------

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

let sink = 0;
/** ns per op of `run` and of `reference`, in alternating batches. */
function timePair(run: () => number, reference: () => number): [number, number] {
  for (let i = 0; i < 20_000; i++) sink += run() + reference();
  let a = 0;
  let b = 0;
  let n = 0;
  while (a + b < 2 * DURATION_MS * 1e6) {
    let start = cpuNs();
    for (let i = 0; i < 500; i++) sink += run();
    let now = cpuNs();
    a += now - start;
    start = now;
    for (let i = 0; i < 500; i++) sink += reference();
    now = cpuNs();
    b += now - start;
    n += 500;
  }
  return [a / n, b / n];
}

function timeOp(op: Op): number {
  for (let i = 0; i < 20_000; i++) sink += op.run();
  let n = 0;
  const start = cpuNs();
  let now = start;
  while (now - start < DURATION_MS * 1e6) {
    for (let i = 0; i < 1000; i++) sink += op.run();
    n += 1000;
    now = cpuNs();
  }
  return (now - start) / n;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const session = new Session();
session.connect();
function post<T>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

async function allocOp(op: Op): Promise<{ bytes: number; top: [string, number][] }> {
  const n = 20_000;
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < n; i++) sink += op.run();
  const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode): void => {
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/gateway\/src\//, '').replace(/^file:\/\//, '');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    if (node.selfSize > 0) self.set(key, (self.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, ALLOC_TOP)
    .map(([k, b]): [string, number] => [k, b / n]);
  return { bytes: total / n, top };
}

console.log(`node ${process.version}; ${DURATION_MS} ms CPU per timing`);
for (const op of ops()) {
  let ns: number;
  let versus = '';
  if (op.reference === undefined) ns = timeOp(op);
  else {
    const [a, b] = timePair(op.run, op.reference);
    ns = a;
    const ref = await allocOp({ name: '', run: op.reference });
    versus = `  (reference ${b.toFixed(0)} ns, ${ref.bytes.toFixed(0)} B: ×${(a / b).toFixed(2)} time)`;
  }
  const alloc = await allocOp(op);
  console.log(
    `${op.name.padEnd(86)} ${ns.toFixed(0).padStart(7)} ns/op ${alloc.bytes.toFixed(0).padStart(7)} B/op${versus}`,
  );
  for (const [where, bytes] of alloc.top)
    if (bytes >= 8) console.log(`    ${bytes.toFixed(0).padStart(6)} B  ${where}`);
}
if (sink === 42) console.log('');
session.disconnect();
