// The gateway's live heap, through the V8 inspector (Chrome DevTools Protocol over WebSocket) of
// a gateway started with `--inspect=127.0.0.1:0`: HeapProfiler.collectGarbage forces a full
// collection, Runtime.getHeapUsage then gives the heap that is really alive. Without it, heap
// and RSS figures include garbage V8 has not collected yet, and memory per session is only an
// upper bound (docs/benchmarks.md, "scale"). Loopback only; used by the scale benchmark, where
// the inspector idles between measurements.
import WebSocket from 'ws';

export class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (message.id === undefined) return; // an event
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`inspector: ${message.error.message}`));
      else waiter.resolve(message.result);
    });
    socket.on('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('inspector closed'));
      this.waiting.clear();
    });
  }

  /** Connects to the `ws://127.0.0.1:<port>/<uuid>` URL Node prints ("Debugger listening on ..."). */
  static connect(url: string): Promise<InspectorSession> {
    if (!url.startsWith('ws://127.0.0.1:'))
      return Promise.reject(new Error(`not a loopback inspector: ${url}`));
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      socket.once('open', () => resolve(new InspectorSession(socket)));
      socket.once('error', reject);
    });
  }

  private call(method: string, params: object = {}, timeoutMs = 120_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`inspector: ${method} timed out`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Forces a full garbage collection, then returns the V8 heap in use (bytes). */
  async liveHeapBytes(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  }

  /** Starts V8's sampling heap profiler, counting objects that die young too (an allocation
   *  profile, not a retention one: bench/tools/ab.ts --alloc). */
  async startAllocationSampling(samplingIntervalBytes = 16_384): Promise<void> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.startSampling', {
      samplingInterval: samplingIntervalBytes,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  /** Starts V8's sampling heap profiler for what stays alive (objects collected before the stop
   *  are dropped from the profile: bench/tools/session-memory.ts). */
  async startRetentionSampling(samplingIntervalBytes = 1024): Promise<void> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.startSampling', { samplingInterval: samplingIntervalBytes });
  }

  /** Stops either sampling above; the profile as the inspector returns it. */
  async stopAllocationSampling(): Promise<SamplingHeapProfile> {
    const result = (await this.call('HeapProfiler.stopSampling')) as { profile: SamplingHeapProfile };
    return result.profile;
  }

  close(): void {
    this.socket.close();
  }
}

/** HeapProfiler.SamplingHeapProfile (Chrome DevTools Protocol). */
export interface SamplingHeapProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  id: number;
  children: SamplingHeapProfileNode[];
}
export interface SamplingHeapProfile {
  head: SamplingHeapProfileNode;
  samples: { size: number; nodeId: number; ordinal: number }[];
}

/** Bytes allocated per function (self) and per function with its callees (inclusive, each
 *  function counted once per stack), largest first. */
export function summarizeAllocations(
  profile: SamplingHeapProfile,
  top = 40,
): { totalBytes: number; self: [string, number][]; inclusive: [string, number][] } {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingHeapProfileNode, stack: string[]): number => {
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(gateway|bench-service|ab\/[^/]+)\//, '').replace(/^file:\/\//, '');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    let sum = node.selfSize;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    const inner = stack.includes(key) ? stack : [...stack, key];
    for (const c of node.children) sum += walk(c, inner);
    if (!stack.includes(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    return sum;
  };
  walk(profile.head, []);
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalBytes: total, self: sorted(self), inclusive: sorted(inclusive) };
}
