// Quick codec throughput measurement (not a test: no timed assertions in tests).
// Run: npx tsx gateway/test/csta/bench-codec.ts
import { readFileSync } from 'node:fs';
import { decodeCsta, encodeCsta, type CstaMessage } from '../../src/csta/index.js';

const vectors = new URL('../vectors/ms-rcc/', import.meta.url);
const bodies = {
  MakeCall: readFileSync(new URL('07-body-make-call.xml', vectors)),
  DeliveredEvent: readFileSync(new URL('10-body-delivered-event.xml', vectors)),
};

function rate(label: string, fn: () => void, iterations: number): void {
  for (let i = 0; i < Math.min(iterations, 5000); i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${label.padEnd(34)} ${Math.round(iterations / seconds)
      .toLocaleString('en-US')
      .padStart(10)} /s`,
  );
}

const N = Number(process.env.BENCH_ITERATIONS ?? 100_000);
for (const [name, bytes] of Object.entries(bodies)) {
  const text = bytes.toString('utf8');
  const decoded = decodeCsta(bytes);
  if (!decoded.ok) throw decoded.error;
  const message: CstaMessage = decoded.value.message;
  rate(`decode ${name} (Buffer)`, () => void decodeCsta(bytes), N);
  rate(`decode ${name} (string)`, () => void decodeCsta(text), N);
  rate(`encode ${name}`, () => void encodeCsta(message), N);
}
