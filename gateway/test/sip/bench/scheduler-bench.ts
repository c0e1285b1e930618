// What the fair scheduler of received messages costs (transport/scheduler.ts): 20,000 pipelined
// INFO requests with a CSTA body (ms-rcc sample 05) in one dialog, pushed into a stream connection
// in 64 KiB chunks (one per event-loop turn, as socket reads come, none while the connection has
// stopped reading at sip.maxPendingRequestsPerConnection), framed, handed to the real UAS
// core and answered 200 by the delegate; the answers are counted and dropped. Modes:
//   direct     — no scheduler: every message handed to the core as soon as it is framed (before)
//   admitted   — the scheduler with budgets too large to bind: only its bookkeeping
//   scheduled  — the default budgets (32 per connection, 256 per turn): most messages wait a turn
// Measured in messages per CPU-second of the process (robust on a shared machine); the modes are
// interleaved over several rounds and the median is reported. Not a test.
// Run: npx tsx gateway/test/sip/bench/scheduler-bench.ts [rounds]
import { FakeClock } from '../../support/fake-clock.js';
import { nullLogger, type Logger } from '../../../src/util/logger.js';
import type { Clock } from '../../../src/util/clock.js';
import { StreamFramer } from '../../../src/sip/framing.js';
import {
  SipConnection,
  type ConnectionHost,
  type ConnectionLimits,
  type ConnectionSink,
} from '../../../src/sip/transport/connection.js';
import { InboundScheduler } from '../../../src/sip/transport/scheduler.js';
import { SipUserAgentCore, type SipUserAgentCoreDelegate } from '../../../src/sip/user-agent-core.js';
import type { ServerDialog } from '../../../src/sip/dialog.js';
import {
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_MESSAGES_PER_TURN,
  DEFAULT_MAX_MESSAGES_PER_TURN_PER_CONNECTION,
} from '../../../src/sip/constants.js';
import { msRccBody } from '../vectors.js';

const MESSAGES = 20_000;
const CHUNK = 64 * 1024;
const ROUNDS = Number(process.argv[2] ?? 7);

/** A stream connection without a socket: bytes pushed in, what is written counted and dropped. */
class BenchConnection extends SipConnection {
  readonly protocol = 'TCP' as const;
  answers = 0;
  private readonly framer: StreamFramer;
  constructor(
    sink: ConnectionSink,
    clock: Clock,
    logger: Logger,
    limits: ConnectionLimits,
    host?: ConnectionHost,
  ) {
    super(
      {
        id: 1,
        remoteAddress: '192.0.2.10',
        remotePort: 5061,
        localAddress: '192.0.2.1',
        localPort: 5060,
        outbound: false,
      },
      sink,
      clock,
      logger,
      limits,
      host,
    );
    this.framer = new StreamFramer({
      onMessage: (result) => this.receive(result),
      onPing: () => undefined,
      onFatal: (error) => {
        throw error;
      },
    });
  }
  push(chunk: Buffer): void {
    this.framer.push(chunk);
  }
  protected pauseReading(): void {}
  protected resumeReading(): void {}
  protected write(): number {
    this.answers++;
    return 0;
  }
  protected end(): void {}
  protected kill(): void {}
  protected get hasPartialMessage(): boolean {
    return false;
  }
  get bufferedBytes(): number {
    return 0;
  }
}

const body = msRccBody('05-body-monitor-start.xml');
const limits: ConnectionLimits = {
  idleTimeoutMs: 3_600_000,
  maxWriteBufferBytes: 1 << 30,
  maxHeaderBytes: 16384,
  maxBodyBytes: 65536,
  closeGraceMs: 1000,
  // The default: a connection with this many requests unanswered or queued stops reading.
  maxPendingRequests: DEFAULT_MAX_PENDING_REQUESTS,
};

function request(method: string, cseq: number, toTag: string, extra: string, content: string): Buffer {
  return Buffer.from(
    `${method} sip:73124@gw.example.com SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10:51063;branch=z9hG4bK${method}${cseq}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:alice@company.local>;tag=f1\r\nTo: <sip:73124@gw.example.com>${toTag}\r\n` +
      `Call-ID: bench-call-1\r\nCSeq: ${cseq} ${method}\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(content)}\r\n\r\n${content}`,
  );
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function run(mode: 'direct' | 'admitted' | 'scheduled'): Promise<number> {
  const clock = new FakeClock();
  let dialog: ServerDialog | undefined;
  const delegate: SipUserAgentCoreDelegate = {
    onInvite: (invite) => {
      dialog = invite.accept({ body: '<RequestSystemStatusResponse/>' });
    },
    onRequest: (_dialog, incoming) => incoming.respond(200, { body: '<MonitorStartResponse/>' }),
    onDialogTerminated: () => undefined,
  };
  const core = new SipUserAgentCore({ transports: {}, delegate, clock, logger: nullLogger });
  const scheduler =
    mode === 'direct'
      ? undefined
      : new InboundScheduler(
          mode === 'admitted'
            ? { perConnection: 1 << 30, perTurn: 1 << 30 }
            : {
                perConnection: DEFAULT_MAX_MESSAGES_PER_TURN_PER_CONNECTION,
                perTurn: DEFAULT_MAX_MESSAGES_PER_TURN,
              },
        );
  const host: ConnectionHost | undefined =
    scheduler === undefined
      ? undefined
      : { scheduler, messageStarted: () => undefined, messageStopped: () => undefined };
  const connection = new BenchConnection(core, clock, nullLogger, limits, host);
  connection.push(
    request(
      'INVITE',
      1,
      '',
      'Contact: <sip:alice@192.0.2.10;transport=tcp>\r\nContent-Type: application/csta+xml\r\n',
      '<RequestSystemStatus/>',
    ),
  );
  await turn();
  if (dialog === undefined) throw new Error('no dialog');
  const toTag = `;tag=${dialog.localTag}`;
  connection.push(request('ACK', 1, toTag, '', ''));
  const stream = Buffer.concat(
    Array.from({ length: MESSAGES }, (_, i) =>
      request(
        'INFO',
        i + 2,
        toTag,
        'Content-Type: application/csta+xml\r\nContent-Disposition: signal;handling=required\r\n',
        body,
      ),
    ),
  );
  await turn();
  const answersBefore = connection.answers;
  const start = cpuMs();
  for (let offset = 0; offset < stream.length; offset += CHUNK) {
    // As a socket: no read while the connection has stopped reading.
    while (connection.isReadingPaused) await turn();
    connection.push(stream.subarray(offset, offset + CHUNK));
    await turn();
  }
  while (connection.answers - answersBefore < MESSAGES) await turn();
  const spent = cpuMs() - start;
  await core.dispose();
  scheduler?.dispose();
  return (MESSAGES * 1000) / spent;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const results: Record<string, number[]> = { direct: [], admitted: [], scheduled: [] };
await run('direct'); // warm-up (JIT)
await run('scheduled');
for (let round = 0; round < ROUNDS; round++)
  for (const mode of ['direct', 'admitted', 'scheduled'] as const) results[mode]!.push(await run(mode));
console.log(
  `${MESSAGES} pipelined INFO (${body.length}-byte CSTA body) per run, ${ROUNDS} rounds, node ${process.version}`,
);
for (const [mode, values] of Object.entries(results)) {
  console.log(
    `${mode.padEnd(10)} median ${Math.round(median(values)).toLocaleString('en-US').padStart(8)} msg/CPU-s  (runs: ${values.map((v) => Math.round(v / 1000)).join(', ')} k)`,
  );
}
