// The bounded fuzz run of `npm test`: each target (targets.ts) for a few seconds of property
// runs (FUZZ_MS per target, default 3000), from a random fast-check seed — printed with any
// counterexample, which `npx tsx scripts/fuzz.ts --target <t> --replay '<case>'` saves to the
// regression corpus. A hang trips vitest's test timeout. The long run is scripts/fuzz.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeCase } from './corpus.js';
import { FuzzViolation, fuzzTarget, TARGET_NAMES, type FuzzCase } from './targets.js';

const BUDGET_MS = Number(process.env['FUZZ_MS'] ?? 3_000);

describe.each(TARGET_NAMES)('fuzz %s', (name) => {
  const target = fuzzTarget(name);

  it('every seed holds the properties, cut at every byte', () => {
    for (const [i, seed] of target.seeds.entries()) {
      // Every cut point for small seeds; a spread of them for the large ones.
      const step = Math.max(1, Math.floor(seed.length / 512));
      const cuts = Array.from({ length: Math.ceil(seed.length / step) }, (_, k) => k * step);
      for (let variant = 0; variant < 3; variant++) {
        const input: FuzzCase = { bytes: seed, cuts, variant };
        try {
          target.check(input);
        } catch (cause) {
          throw new Error(`seed ${i}, variant ${variant}: ${String(cause)}\n${describeCase(input)}`, {
            cause,
          });
        }
      }
    }
  });

  it(
    `mutated seeds hold the properties (${BUDGET_MS} ms of runs)`,
    () => {
      let last: FuzzCase | undefined;
      const details = fc.check(
        fc.property(target.arbitrary, (input) => {
          last = input;
          target.check(input);
        }),
        { numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false },
      );
      if (details.failed) {
        const counterexample = details.counterexample?.[0] ?? last;
        const error = details.errorInstance;
        throw new Error(
          [
            `fuzz ${name}: ${error instanceof FuzzViolation ? error.message : String(error)}`,
            `fast-check seed ${details.seed}, path ${String(details.counterexample === null ? '' : details.counterexamplePath)}`,
            'Keep it: npx tsx scripts/fuzz.ts --target ' +
              name +
              " --replay '" +
              (counterexample === undefined ? '' : describeCase(counterexample)) +
              "'",
          ].join('\n'),
        );
      }
      // The run was not empty: the budget bought real executions.
      expect(details.numRuns).toBeGreaterThan(20);
    },
    BUDGET_MS + 30_000,
  );
});
