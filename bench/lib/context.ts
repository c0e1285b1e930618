// What every benchmark receives from the harness (bench/run.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, type MachineInfo } from './machine.js';
import type { BenchName, BenchResult } from './results.js';

/** The repository root (bench/lib/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchContext {
  readonly quick: boolean;
  readonly outDir: string;
  /** A scratch directory for this benchmark (configs, CSV files, SIPp traces); removed afterwards. */
  readonly workDir: string;
  log(message: string): void;
  /** The machine as described when the benchmark started. */
  machine(): MachineInfo;
  /** Completes a result with the machine description and timings. */
  result(
    name: BenchName,
    body: Pick<BenchResult, 'parameters' | 'figures' | 'targets' | 'notes' | 'summary'>,
  ): Promise<BenchResult>;
}

export async function createContext(
  name: BenchName,
  options: { quick: boolean; outDir: string; keepWorkDir: boolean; log: (m: string) => void; runId: string },
): Promise<{ ctx: BenchContext; cleanup: () => Promise<void> }> {
  const workDir = await mkdtemp(join(tmpdir(), `deskline-bench-${name}-`));
  const startedAt = new Date();
  const started = performance.now();
  // Taken before the benchmark starts, so that the load average is other people's load, not ours.
  const machine = await machineInfo();
  const ctx: BenchContext = {
    quick: options.quick,
    outDir: options.outDir,
    workDir,
    log: options.log,
    machine: () => machine,
    async result(benchmark, body) {
      return {
        benchmark,
        schema: 2,
        runId: options.runId,
        quick: options.quick,
        machine,
        startedAt: startedAt.toISOString(),
        durationSec: Math.round((performance.now() - started) / 100) / 10,
        ...body,
      };
    },
  };
  const cleanup = async (): Promise<void> => {
    if (options.keepWorkDir) {
      options.log(`${name}: work directory kept: ${workDir}`);
      return;
    }
    await rm(workDir, { recursive: true, force: true });
  };
  return { ctx, cleanup };
}
