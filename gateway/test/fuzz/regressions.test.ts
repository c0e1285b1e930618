// Replays every input a fuzzer ever found failing (gateway/test/vectors/fuzz-regressions/<target>/,
// corpus.ts): each must now hold every property of its target, with the cuts it was found with,
// cut at every byte as well, and under every variant (limits) of the target.
import { describe, expect, it } from 'vitest';
import { loadRegressions } from './corpus.js';
import { fuzzTarget, TARGET_NAMES } from './targets.js';

describe.each(TARGET_NAMES)('fuzz regressions: %s', (name) => {
  const regressions = loadRegressions(name);
  const target = fuzzTarget(name);

  it('the corpus loads', () => {
    for (const regression of regressions)
      expect(regression.meta.property, `${regression.id} says what it broke`).toBeTypeOf('string');
  });

  for (const regression of regressions) {
    it(regression.id, () => {
      target.check(regression.input);
      const everyByte = Array.from({ length: Math.min(regression.input.bytes.length, 4_096) }, (_, i) => i);
      for (let variant = 0; variant < 6; variant++) {
        target.check({ ...regression.input, variant });
        target.check({ ...regression.input, cuts: everyByte, variant });
      }
    });
  }
});
