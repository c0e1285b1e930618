// The load client as a child process (bench/load/rcc-load-client.ts), driven over IPC by a
// benchmark through LoadProcess (bench/load/load-process.ts). Its own process: its CPU is not the
// harness's, and its event loop is not disturbed by the harness's sampling.
import {
  RccLoadClient,
  type BatchReport,
  type ProbeRecords,
  type RccRequestKind,
} from './rcc-load-client.js';

export type LoadCommand =
  | { op: 'connect'; host: string; port: number; domain: string; connections: number }
  | { op: 'open'; users: { id: string; dn: string }[]; concurrency: number; monitor: boolean }
  | { op: 'requests'; rate: number; durationMs: number; kinds: RccRequestKind[] }
  | { op: 'close'; concurrency: number }
  | { op: 'probe'; durationMs: number; pauseMs: number }
  | { op: 'stopProbe' }
  | { op: 'counters' }
  | { op: 'exit' };

export type LoadReply =
  | {
      id: number;
      ok: true;
      report?: BatchReport;
      probe?: ProbeRecords;
      counters?: ReturnType<RccLoadClient['counters']> & { openSessions: number };
    }
  | { id: number; ok: false; error: string };

let client: RccLoadClient | undefined;

async function handle(command: LoadCommand): Promise<Omit<Extract<LoadReply, { ok: true }>, 'id'>> {
  switch (command.op) {
    case 'connect':
      client = new RccLoadClient({
        host: command.host,
        port: command.port,
        domain: command.domain,
        connections: command.connections,
      });
      await client.connect();
      return { ok: true };
    case 'open':
      return { ok: true, report: await need().openMany(command.users, command.concurrency, command.monitor) };
    case 'requests':
      return { ok: true, report: await need().requestLoad(command.rate, command.durationMs, command.kinds) };
    case 'probe':
      return { ok: true, probe: await need().probeLoop(command.durationMs, command.pauseMs) };
    case 'stopProbe':
      need().stopProbe();
      return { ok: true };
    case 'close':
      return { ok: true, report: await need().closeAll(command.concurrency) };
    case 'counters':
      return { ok: true, counters: { ...need().counters(), openSessions: need().openSessions } };
    case 'exit':
      client?.close();
      setImmediate(() => process.exit(0));
      return { ok: true };
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

function need(): RccLoadClient {
  if (client === undefined) throw new Error('connect first');
  return client;
}

process.on('message', (message: { id: number; command: LoadCommand }) => {
  handle(message.command).then(
    (reply) => process.send?.({ id: message.id, ...reply }),
    (cause: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: cause instanceof Error ? cause.message : String(cause),
      }),
  );
});
// The parent going away (harness killed) ends the worker too.
process.on('disconnect', () => process.exit(0));
process.send?.({ id: 0, ok: true });
