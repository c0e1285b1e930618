// The regression corpus: every input a fuzzer ever found failing, kept under
// gateway/test/vectors/fuzz-regressions/<target>/ as `<id>.bin` (the bytes) and `<id>.json` (how
// to replay it: the stream cuts, the variant, and what it broke). regressions.test.ts replays them
// all; scripts/fuzz.ts adds to them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FuzzCase, TargetName } from './targets.js';

export const REGRESSIONS_DIR = new URL('../vectors/fuzz-regressions/', import.meta.url);

export interface RegressionMeta {
  readonly cuts?: readonly number[];
  readonly variant?: number;
  /** The property that failed, and how (as the fuzzer reported it). */
  readonly property?: string;
  readonly detail?: string;
  /** When and how it was found (date, fast-check seed and path). */
  readonly found?: string;
  /** What was wrong and how it was fixed. */
  readonly note?: string;
}

export interface Regression {
  readonly id: string;
  readonly input: FuzzCase;
  readonly meta: RegressionMeta;
}

export function loadRegressions(target: TargetName): Regression[] {
  const dir = new URL(`${target}/`, REGRESSIONS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.bin'))
    .sort()
    .map((name) => {
      const id = name.slice(0, -'.bin'.length);
      const metaUrl = new URL(`${id}.json`, dir);
      const meta = existsSync(metaUrl) ? (JSON.parse(readFileSync(metaUrl, 'utf8')) as RegressionMeta) : {};
      return {
        id,
        meta,
        input: { bytes: readFileSync(new URL(name, dir)), cuts: meta.cuts ?? [], variant: meta.variant ?? 0 },
      };
    });
}

/** Saves a failing input (idempotent: the id is a hash of the input). Returns the path written. */
export function saveRegression(
  target: TargetName,
  input: FuzzCase,
  meta: Omit<RegressionMeta, 'cuts' | 'variant'>,
): string {
  const id = createHash('sha256')
    .update(input.bytes)
    .update(JSON.stringify([input.cuts, input.variant]))
    .digest('hex')
    .slice(0, 16);
  const dir = new URL(`${target}/`, REGRESSIONS_DIR);
  mkdirSync(dir, { recursive: true });
  const bin = new URL(`${id}.bin`, dir);
  writeFileSync(bin, input.bytes);
  writeFileSync(
    new URL(`${id}.json`, dir),
    `${JSON.stringify({ cuts: input.cuts, variant: input.variant, ...meta }, null, 2)}\n`,
  );
  return fileURLToPath(bin);
}

/** A fuzz case as one line of text (for a failure message a developer can paste into a file). */
export function describeCase(input: FuzzCase): string {
  return JSON.stringify({ base64: input.bytes.toString('base64'), cuts: input.cuts, variant: input.variant });
}
