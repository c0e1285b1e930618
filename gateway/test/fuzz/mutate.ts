// Byte-level mutation of valid inputs, as fast-check arbitraries: bit flips, byte overwrites,
// truncations, deletions, duplicated ranges, duplicated lines (a header field twice), splices
// from another seed, random bytes, and tokens from a per-target dictionary (the separators and
// numbers a parser has to get right). Shrinking works on the mutation list, so a counterexample
// comes back as one seed and the few mutations that matter.
import fc from 'fast-check';

export type Mutation =
  | { readonly k: 'flip'; readonly at: number; readonly bit: number }
  | { readonly k: 'set'; readonly at: number; readonly value: number }
  | { readonly k: 'truncate'; readonly at: number }
  | { readonly k: 'delete'; readonly at: number; readonly length: number }
  | { readonly k: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly k: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly k: 'dupLine'; readonly line: number }
  | {
      readonly k: 'splice';
      readonly at: number;
      readonly seed: number;
      readonly from: number;
      readonly length: number;
    }
  | { readonly k: 'token'; readonly at: number; readonly token: number; readonly replace: number };

export function mutationArbitrary(dictionarySize: number): fc.Arbitrary<Mutation> {
  const at = fc.nat({ max: 1 << 20 });
  // Weighted so that a mutated input usually stays close to valid (deep paths are reached only by
  // inputs that get past the first checks): truncation, the most destructive, is the rarest.
  const arbitraries: fc.WeightedArbitrary<Mutation>[] = [
    {
      weight: 4,
      arbitrary: fc.record({ k: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ k: fc.constant('set' as const), at, value: fc.integer({ min: 0, max: 255 }) }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('delete' as const),
        at,
        length: fc.integer({ min: 1, max: 64 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('insert' as const),
        at,
        bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('duplicate' as const),
        at,
        length: fc.integer({ min: 1, max: 256 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('dupLine' as const), line: fc.nat({ max: 64 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        k: fc.constant('splice' as const),
        at,
        seed: fc.nat(),
        from: at,
        length: fc.integer({ min: 1, max: 512 }),
      }),
    },
  ];
  if (dictionarySize > 0) {
    arbitraries.push({
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant('token' as const),
        at,
        token: fc.nat({ max: dictionarySize - 1 }),
        replace: fc.integer({ min: 0, max: 8 }),
      }),
    });
  }
  return fc.oneof(...arbitraries);
}

/** Applies mutations in order. Positions wrap around the current length, so every mutation applies. */
export function mutate(
  seed: Buffer,
  mutations: readonly Mutation[],
  seeds: readonly Buffer[],
  dictionary: readonly Buffer[],
): Buffer {
  let b = seed;
  for (const m of mutations) {
    const at = (position: number): number => (b.length === 0 ? 0 : position % (b.length + 1));
    switch (m.k) {
      case 'flip':
        if (b.length > 0) {
          b = Buffer.from(b);
          const i = m.at % b.length;
          b[i] = (b[i] as number) ^ (1 << m.bit);
        }
        break;
      case 'set':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[m.at % b.length] = m.value;
        }
        break;
      case 'truncate':
        b = b.subarray(0, at(m.at));
        break;
      case 'delete': {
        const i = at(m.at);
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + m.length)]);
        break;
      }
      case 'insert': {
        const i = at(m.at);
        b = Buffer.concat([b.subarray(0, i), Buffer.from(m.bytes), b.subarray(i)]);
        break;
      }
      case 'duplicate': {
        const i = at(m.at);
        b = Buffer.concat([b.subarray(0, i + m.length), b.subarray(i)]);
        break;
      }
      case 'dupLine': {
        // A whole CRLF-terminated line twice: duplicated header fields, repeated start lines.
        const lines: number[] = [];
        for (let i = b.indexOf('\r\n'); i >= 0 && lines.length < 128; i = b.indexOf('\r\n', i + 2))
          lines.push(i + 2);
        if (lines.length < 2) break;
        const index = m.line % (lines.length - 1);
        const start = lines[index] as number;
        const end = lines[index + 1] as number;
        b = Buffer.concat([b.subarray(0, end), b.subarray(start, end), b.subarray(end)]);
        break;
      }
      case 'splice': {
        const other = seeds.length === 0 ? b : (seeds[m.seed % seeds.length] as Buffer);
        const from = other.length === 0 ? 0 : m.from % other.length;
        const i = at(m.at);
        b = Buffer.concat([b.subarray(0, i), other.subarray(from, from + m.length), b.subarray(i)]);
        break;
      }
      case 'token': {
        const token = dictionary[m.token % dictionary.length] as Buffer;
        const i = at(m.at);
        // Overwrite up to `replace` bytes with the token (0: insert).
        b = Buffer.concat([b.subarray(0, i), token, b.subarray(Math.min(b.length, i + m.replace))]);
        break;
      }
      default: {
        const never: never = m;
        throw new Error(`unknown mutation ${JSON.stringify(never)}`);
      }
    }
    // Keep inputs bounded: a fuzz run must not grow its own input without end.
    if (b.length > 256 * 1024) b = b.subarray(0, 256 * 1024);
  }
  return b;
}

/** One seed (by index) and the mutations applied to it; now and then plain random bytes instead. */
export function mutatedInput(
  seeds: readonly Buffer[],
  dictionary: readonly Buffer[],
  maxMutations = 4,
): fc.Arbitrary<Buffer> {
  const mutated = fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      mutations: fc.array(mutationArbitrary(dictionary.length), { minLength: 1, maxLength: maxMutations }),
    })
    .map(({ seed, mutations }) => mutate(seeds[seed] as Buffer, mutations, seeds, dictionary));
  const random = fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes));
  return fc.oneof({ weight: 15, arbitrary: mutated }, { weight: 1, arbitrary: random });
}

/** Cut points for feeding a stream in chunks (positions past the end are folded back). */
export const cutsArbitrary: fc.Arbitrary<number[]> = fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 12 });

/** Splits `bytes` at `cuts` (modulo its length), in order, without empty chunks. */
export function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))]
    .filter((p) => p > 0)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) out.push(bytes.subarray(start, point));
    start = point;
  }
  return out;
}
