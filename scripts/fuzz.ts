// The long fuzz run (docs/robustness.md): `npx tsx scripts/fuzz.ts --seconds 600 [--target sip|cti|csta]`.
//
// The same targets and properties as the bounded CI run (gateway/test/fuzz/targets.ts), for as
// long as asked: the time is shared between the targets given (all three by default). Each target
// runs in a worker thread watched from here: a property failure, or an input that keeps the
// worker busy for more than --hang-seconds (a hang), is saved to
// gateway/test/vectors/fuzz-regressions/<target>/ and the run goes on with a new seed. The exit
// code is 1 when anything was found.
//
//   --seconds N          total running time (default 60)
//   --target T           sip | cti | csta (repeatable; default all)
//   --seed N             fast-check seed of the first batch (default random)
//   --hang-seconds N     how long one input may run before it counts as a hang (default 10)
//   --replay JSON        save one case printed by a failed CI run ({"base64":...,"cuts":[...],"variant":n})
//                        to the corpus, check it, and exit
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { saveRegression } from '../gateway/test/fuzz/corpus.js';
import {
  FuzzViolation,
  fuzzTarget,
  isTargetName,
  TARGET_NAMES,
  type FuzzCase,
  type TargetName,
} from '../gateway/test/fuzz/targets.js';

/** Where the worker writes the input it is about to run: [heartbeat, bytes, variant, cuts, ...cuts, ...bytes]. */
const SHARED_BYTES = 1 << 20;
const HEADER_WORDS = 4;
const MAX_CUTS = 64;
const BATCH_MS = 5_000;

interface WorkerInput {
  readonly target: TargetName;
  readonly seed: number;
  readonly shared: SharedArrayBuffer;
}

/** A property failure found by the worker: the shrunk counterexample and how fast-check found it. */
interface WorkerMessage {
  readonly kind: 'failure';
  readonly input: { bytes: Uint8Array; cuts: number[]; variant: number };
  readonly property: string;
  readonly detail: string;
  readonly seed: number;
  readonly path: string;
}

// ─────────────────────────────────────────── worker: run the property, batch after batch

function runWorker(input: WorkerInput): void {
  const target = fuzzTarget(input.target);
  const words = new Int32Array(input.shared, 0, HEADER_WORDS + MAX_CUTS);
  const bytes = new Uint8Array(input.shared, (HEADER_WORDS + MAX_CUTS) * 4);
  const expose = (c: FuzzCase): void => {
    // Published before the run, so that a hang can be saved from the main thread.
    const length = Math.min(c.bytes.length, bytes.length);
    bytes.set(c.bytes.subarray(0, length));
    words[1] = length;
    words[2] = c.variant;
    const cuts = c.cuts.slice(0, MAX_CUTS);
    words[3] = cuts.length;
    for (let i = 0; i < cuts.length; i++) words[HEADER_WORDS + i] = cuts[i] as number;
    Atomics.add(words, 0, 1);
  };
  let seed = input.seed;
  for (;;) {
    const details = fc.check(
      fc.property(target.arbitrary, (c) => {
        expose(c);
        target.check(c);
      }),
      { seed, numRuns: 10_000_000, interruptAfterTimeLimit: BATCH_MS, markInterruptAsFailure: false },
    );
    if (details.failed) {
      const counterexample = details.counterexample?.[0];
      const error = details.errorInstance;
      if (counterexample !== undefined) {
        parentPort?.postMessage({
          kind: 'failure',
          input: {
            bytes: new Uint8Array(counterexample.bytes),
            cuts: [...counterexample.cuts],
            variant: counterexample.variant,
          },
          property: error instanceof FuzzViolation ? error.property : 'never throws',
          detail: error instanceof Error ? error.message : String(error),
          seed: details.seed,
          path: details.counterexamplePath ?? '',
        } satisfies WorkerMessage);
      }
    }
    seed = (seed * 1_103_515_245 + 12_345) | 0;
  }
}

// ─────────────────────────────────────────── main: watch the workers, keep what they find

function exposedCase(shared: SharedArrayBuffer): FuzzCase {
  const words = new Int32Array(shared, 0, HEADER_WORDS + MAX_CUTS);
  const bytes = new Uint8Array(shared, (HEADER_WORDS + MAX_CUTS) * 4);
  const length = words[1] as number;
  const cuts = Array.from({ length: words[3] as number }, (_, i) => words[HEADER_WORDS + i] as number);
  return { bytes: Buffer.from(bytes.subarray(0, length)), cuts, variant: words[2] as number };
}

async function fuzzFor(
  name: TargetName,
  ms: number,
  firstSeed: number,
  hangMs: number,
): Promise<{ runs: number; found: string[] }> {
  const found: string[] = [];
  let runs = 0;
  let seed = firstSeed;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && process.exitCode !== 2) {
    const shared = new SharedArrayBuffer((HEADER_WORDS + MAX_CUTS) * 4 + SHARED_BYTES);
    const heartbeat = new Int32Array(shared, 0, 1);
    // Loader hooks (tsx) do not reach worker threads by themselves: register them, then load this file.
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, {
      eval: true,
      workerData: { target: name, seed, shared } satisfies WorkerInput,
    });
    seed = (seed * 69_069 + 1) | 0;
    await new Promise<void>((resolve) => {
      let lastBeat = -1;
      let lastChange = Date.now();
      const finish = (): void => {
        clearInterval(watchdog);
        // Every input the worker started counts (the heartbeat), finished batch or not.
        runs += Atomics.load(heartbeat, 0);
        void worker.terminate().then(() => resolve());
      };
      const watchdog = setInterval(() => {
        const beat = Atomics.load(heartbeat, 0);
        if (beat !== lastBeat) {
          lastBeat = beat;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > hangMs) {
          const input = exposedCase(shared);
          const path = saveRegression(name, input, {
            property: 'never hangs',
            detail: `no progress for ${hangMs} ms`,
            found: `${new Date().toISOString()} scripts/fuzz.ts (hang)`,
          });
          found.push(path);
          process.stdout.write(`${name}: HANG saved to ${path}\n`);
          finish();
          return;
        }
        if (Date.now() >= deadline) finish();
      }, 250);
      worker.on('message', (message: WorkerMessage) => {
        const input: FuzzCase = {
          bytes: Buffer.from(message.input.bytes),
          cuts: message.input.cuts,
          variant: message.input.variant,
        };
        const path = saveRegression(name, input, {
          property: message.property,
          detail: message.detail.slice(0, 2_000),
          found: `${new Date().toISOString()} scripts/fuzz.ts fast-check seed ${message.seed} path ${message.path}`,
        });
        found.push(path);
        process.stdout.write(
          `${name}: FAILURE (${message.property}) saved to ${path}\n  ${message.detail.split('\n')[0] ?? ''}\n`,
        );
        // A new worker and a new seed: the same failure would otherwise be found again and again.
        finish();
      });
      worker.on('error', (error) => {
        if (Atomics.load(heartbeat, 0) === 0) {
          // Nothing ran: the worker could not start (a setup problem, not an input to keep).
          process.stderr.write(`${name}: worker failed before any run: ${error.message}\n`);
          process.exitCode = 2;
          clearInterval(watchdog);
          resolve();
          return;
        }
        const input = exposedCase(shared);
        const path = saveRegression(name, input, {
          property: 'never throws',
          detail: `worker crashed: ${error.message}`,
          found: `${new Date().toISOString()} scripts/fuzz.ts (crash)`,
        });
        found.push(path);
        process.stdout.write(`${name}: CRASH saved to ${path}\n`);
        finish();
      });
    });
  }
  return { runs, found };
}

function replay(name: TargetName, json: string): number {
  const parsed = JSON.parse(json) as { base64?: unknown; cuts?: unknown; variant?: unknown };
  if (typeof parsed.base64 !== 'string')
    throw new Error('--replay: expected {"base64": ..., "cuts": [...], "variant": n}');
  const input: FuzzCase = {
    bytes: Buffer.from(parsed.base64, 'base64'),
    cuts: Array.isArray(parsed.cuts) ? parsed.cuts.filter((c): c is number => typeof c === 'number') : [],
    variant: typeof parsed.variant === 'number' ? parsed.variant : 0,
  };
  let detail = 'passes now';
  let property = 'replayed';
  try {
    fuzzTarget(name).check(input);
  } catch (error) {
    property = error instanceof FuzzViolation ? error.property : 'never throws';
    detail = error instanceof Error ? error.message : String(error);
  }
  const path = saveRegression(name, input, {
    property,
    detail: detail.slice(0, 2_000),
    found: `${new Date().toISOString()} replayed from a CI run`,
  });
  process.stdout.write(`${name}: ${property} — ${detail.split('\n')[0] ?? ''}\nsaved to ${path}\n`);
  return property === 'replayed' ? 0 : 1;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'hang-seconds': { type: 'string', default: '10' },
      replay: { type: 'string' },
    },
    strict: true,
  });
  const targets = (values.target ?? [...TARGET_NAMES]).map((t) => {
    if (!isTargetName(t)) throw new Error(`--target: expected ${TARGET_NAMES.join(' | ')}, got ${t}`);
    return t;
  });
  if (values.replay !== undefined) {
    if (targets.length !== 1) throw new Error('--replay needs exactly one --target');
    return replay(targets[0] as TargetName, values.replay);
  }
  const seconds = Number(values.seconds);
  const hangMs = Number(values['hang-seconds']) * 1000;
  if (!(seconds > 0) || !(hangMs > 0))
    throw new Error('--seconds and --hang-seconds must be positive numbers');
  const seed = values.seed === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(values.seed);
  process.stdout.write(`fuzzing ${targets.join(', ')} for ${seconds} s (seed ${seed})\n`);
  let failures = 0;
  for (const name of targets) {
    const result = await fuzzFor(name, (seconds * 1000) / targets.length, seed, hangMs);
    failures += result.found.length;
    process.stdout.write(`${name}: ${result.runs} runs, ${result.found.length} failure(s) kept\n`);
  }
  return failures === 0 ? 0 : 1;
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
} else {
  runWorker(workerData as WorkerInput);
}
