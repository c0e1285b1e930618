// CPU time and memory of a process from /proc (Linux): what the gateway itself costs, measured
// from outside so that the measurement adds nothing to it. proc(5): /proc/<pid>/stat fields 14
// and 15 are utime and stime in clock ticks; /proc/<pid>/status VmRSS and VmHWM in kB.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export interface ProcSample {
  /** performance.now() of the sample. */
  at: number;
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  peakRssBytes: number;
  /** user + system CPU seconds of the main thread alone (/proc/<pid>/task/<pid>/stat). The rest
   *  of the process's CPU is its other threads': for Node, V8's platform workers (parallel and
   *  concurrent GC, background compilation) and libuv's pool. */
  mainThreadCpuSeconds: number;
}

function cpuOfStat(stat: string): number {
  // The command name (field 2) may contain spaces: fields are counted after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** One sample, or undefined when the process is gone (or this is not Linux). */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const cpuSeconds = cpuOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    let mainThreadCpuSeconds = cpuSeconds;
    try {
      mainThreadCpuSeconds = cpuOfStat(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
    } catch {
      // no per-thread figures: count everything as the main thread's
    }
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return {
      at: performance.now(),
      cpuSeconds,
      rssBytes: kb('VmRSS'),
      peakRssBytes: kb('VmHWM'),
      mainThreadCpuSeconds,
    };
  } catch {
    return undefined;
  }
}

/** The direct children of a process (Linux /proc), e.g. Kamailio's worker processes. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every process below `pid` (children, their children, ...). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const child of childrenOf(next)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** CPU use between two samples, in percent of one core (200 % = both cores of a 2-core machine). */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  const wall = (to.at - from.at) / 1000;
  return wall <= 0 ? 0 : ((to.cpuSeconds - from.cpuSeconds) / wall) * 100;
}

export interface WindowStats {
  /** Average CPU use, in percent of one core. */
  cpuPercent: number;
  /** CPU seconds used in the window. */
  cpuSeconds: number;
  /** Of which the main thread's (the rest: the process's other threads). */
  mainThreadCpuSeconds: number;
  rssMeanBytes: number;
  rssMaxBytes: number;
}

/** Samples several processes at an interval; `window()` summarises a stretch of time. */
export class ProcessMonitor {
  private readonly samples = new Map<string, ProcSample[]>();
  private timer: NodeJS.Timeout | undefined;

  private readonly pids = new Map<string, number>();

  constructor(
    pids: Readonly<Record<string, number>>,
    private readonly intervalMs = 500,
  ) {
    for (const [name, pid] of Object.entries(pids)) this.pids.set(name, pid);
  }

  /** Starts sampling another process (e.g. a SIPp run) under `name`, replacing a previous one. */
  watch(name: string, pid: number): void {
    this.pids.set(name, pid);
    this.samples.delete(name);
  }

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  private tick(): void {
    for (const [name, pid] of this.pids) {
      const sample = sampleProcess(pid);
      if (sample === undefined) continue;
      let list = this.samples.get(name);
      if (list === undefined) this.samples.set(name, (list = []));
      list.push(sample);
    }
  }

  /** Takes a sample now of every process (marks a window boundary). */
  mark(): number {
    this.tick();
    return performance.now();
  }

  /** Average CPU %, mean and max RSS of each process between two marks. */
  window(from: number, to: number): Record<string, WindowStats> {
    const out: Record<string, WindowStats> = {};
    for (const [name, list] of this.samples) {
      const inside = list.filter((s) => s.at >= from - 1 && s.at <= to + 1);
      const first = inside[0];
      const last = inside[inside.length - 1];
      if (first === undefined || last === undefined) continue;
      const rss = inside.map((s) => s.rssBytes);
      out[name] = {
        cpuPercent: round(cpuPercent(first, last), 1),
        cpuSeconds: round(last.cpuSeconds - first.cpuSeconds, 3),
        mainThreadCpuSeconds: round(last.mainThreadCpuSeconds - first.mainThreadCpuSeconds, 3),
        rssMeanBytes: Math.round(rss.reduce((a, b) => a + b, 0) / rss.length),
        rssMaxBytes: Math.max(...rss),
      };
    }
    return out;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
