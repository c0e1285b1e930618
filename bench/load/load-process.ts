// Starts and drives the load client worker (bench/load/worker.ts) from a benchmark.
import { join } from 'node:path';
import { startChild, type Child } from '../lib/children.js';
import { REPO_ROOT } from '../lib/context.js';
import type { BatchReport, LoadUser, ProbeRecords, RccRequestKind } from './rcc-load-client.js';
import type { LoadCommand, LoadReply } from './worker.js';

export interface LoadCounters {
  eventsReceived: number;
  byesReceived: number;
  parseErrors: number;
  inFlight: number;
  openSessions: number;
}

export class LoadProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: LoadReply) => void>();

  private constructor(readonly child: Child) {
    child.process.on('message', (message: LoadReply) => {
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      waiter(message);
    });
    void child.exited.then(() => {
      for (const waiter of this.waiting.values())
        waiter({ id: -1, ok: false, error: `load client exited: ${child.stderr().slice(-1000)}` });
      this.waiting.clear();
    });
  }

  static async start(name = 'load-client'): Promise<LoadProcess> {
    const child = startChild(
      name,
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench/load/worker.ts')],
      { cwd: REPO_ROOT, ipc: true },
    );
    const process_ = new LoadProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`load client did not start: ${child.stderr().slice(-1000)}`)),
        60_000,
      );
      process_.waiting.set(0, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return process_;
  }

  private call(command: LoadCommand): Promise<Extract<LoadReply, { ok: true }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error))));
      this.child.process.send({ id, command });
    });
  }

  async connect(host: string, port: number, domain: string, connections: number): Promise<void> {
    await this.call({ op: 'connect', host, port, domain, connections });
  }

  async open(users: LoadUser[], concurrency: number, monitor: boolean): Promise<BatchReport> {
    return report(await this.call({ op: 'open', users, concurrency, monitor }));
  }

  async requests(rate: number, durationMs: number, kinds: RccRequestKind[]): Promise<BatchReport> {
    return report(await this.call({ op: 'requests', rate, durationMs, kinds }));
  }

  async probe(durationMs: number, pauseMs: number): Promise<ProbeRecords> {
    const reply = await this.call({ op: 'probe', durationMs, pauseMs });
    if (reply.probe === undefined) throw new Error('no probe records in reply');
    return reply.probe;
  }

  async stopProbe(): Promise<void> {
    await this.call({ op: 'stopProbe' });
  }

  async closeAll(concurrency: number): Promise<BatchReport> {
    return report(await this.call({ op: 'close', concurrency }));
  }

  async counters(): Promise<LoadCounters> {
    const reply = await this.call({ op: 'counters' });
    if (reply.counters === undefined) throw new Error('no counters in reply');
    return reply.counters;
  }

  async stop(): Promise<void> {
    if (this.child.hasExited) return;
    await Promise.race([
      this.call({ op: 'exit' }).catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    await this.child.stop(3000);
  }
}

function report(reply: Extract<LoadReply, { ok: true }>): BatchReport {
  if (reply.report === undefined) throw new Error('no report in reply');
  return reply.report;
}
