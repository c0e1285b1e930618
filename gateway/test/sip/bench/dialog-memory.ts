// Memory per dialog: drives N INVITE/200/ACK exchanges through the real UAS core (parser,
// transactions, dialogs, session timers) over an in-memory connection, lets the transactions
// expire, and reports heap bytes per live dialog. Not a test.
// Run: npx tsx --expose-gc gateway/test/sip/bench/dialog-memory.ts [N]
import { FakeClock } from '../../support/fake-clock.js';
import { nullLogger } from '../../../src/util/logger.js';
import type { ConnectionLimits } from '../../../src/sip/transport/connection.js';
import { SipUserAgentCore, type SipUserAgentCoreDelegate } from '../../../src/sip/user-agent-core.js';
import { parseMessage } from '../../../src/sip/parser.js';
import type { ServerDialog } from '../../../src/sip/dialog.js';
import { NullConnection } from '../../support/null-connection.js';

const N = Number(process.argv[2] ?? 100_000);
// --expose-gc installs globalThis.gc; Node's types do not declare it.
const gc: unknown = Reflect.get(globalThis, 'gc');
if (typeof gc !== 'function') throw new Error('run with --expose-gc');
const collect = (): void => void Reflect.apply(gc, undefined, []);

const clock = new FakeClock();
const dialogs: ServerDialog[] = [];
const delegate: SipUserAgentCoreDelegate = {
  onInvite: (invite) => {
    dialogs.push(
      invite.accept({
        body: '<RequestSystemStatusResponse><systemStatus>normal</systemStatus></RequestSystemStatusResponse>',
      }),
    );
  },
  onRequest: (_dialog, request) => request.respond(200),
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
// Behind a load balancer many dialogs share few connections; use 100 of them.
const connections = Array.from(
  { length: 100 },
  (_, i) => new NullConnection(i + 1, core, clock, nullLogger, limits),
);

function invite(i: number): Buffer {
  return Buffer.from(
    `INVITE sip:7${String(i).padStart(5, '0')}@gw.example.com SIP/2.0\r\n` +
      `Via: SIP/2.0/TLS 192.0.2.10:51063;branch=z9hG4bK${i}a\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:user${i}@company.local>;tag=f${i};epid=bd23d94254\r\n` +
      `To: <sip:7${String(i).padStart(5, '0')}@gw.example.com>\r\n` +
      `Call-ID: a3f0077597a645ed91dfed3bf7e8${i}\r\n` +
      'CSeq: 1 INVITE\r\n' +
      `Contact: <sip:user${i}@company.local;opaque=user:epid:example;gruu>\r\n` +
      'Supported: timer\r\nContent-Type: application/csta+xml\r\nContent-Disposition: signal;handling=required\r\n' +
      'Content-Length: 32\r\n\r\n<RequestSystemStatus x="123456"/>',
  );
}

function ack(i: number, toTag: string): Buffer {
  return Buffer.from(
    `ACK sip:user${i}@company.local SIP/2.0\r\nVia: SIP/2.0/TLS 192.0.2.10:51063;branch=z9hG4bK${i}b\r\nMax-Forwards: 70\r\n` +
      `From: <sip:user${i}@company.local>;tag=f${i};epid=bd23d94254\r\nTo: <sip:7${String(i).padStart(5, '0')}@gw.example.com>;tag=${toTag}\r\n` +
      `Call-ID: a3f0077597a645ed91dfed3bf7e8${i}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`,
  );
}

function feed(connection: NullConnection, bytes: Buffer): void {
  const parsed = parseMessage(bytes);
  core.receiveFromTransport(connection, parsed);
}

collect();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < N; i++) {
  const connection = connections[i % connections.length]!;
  feed(connection, invite(i));
  feed(connection, ack(i, dialogs[i]!.localTag));
}
clock.advance(33_000); // Timer L and the ACK waits are over; only dialogs remain
collect();
const after = process.memoryUsage().heapUsed;
const stats = core.stats();
console.log(
  `${stats.dialogs} dialogs, ${stats.serverTransactions} server transactions left, ${clock.pendingTimers()} timers (session timers)`,
);
console.log(
  `heap: ${((after - before) / 1024 / 1024).toFixed(1)} MiB for ${N} dialogs → ${Math.round((after - before) / N)} bytes per dialog (incl. the delegate's array of dialogs)`,
);
await core.dispose();
