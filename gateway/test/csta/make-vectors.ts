// Writes gateway/test/vectors/csta/<Type>.{xml,json} from samples.ts (not a test).
// Run after adding a descriptor: npx tsx gateway/test/csta/make-vectors.ts
// Review the diff: the files are golden vectors; the tests compare the codec against them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodeCsta } from '../../src/csta/index.js';
import { SAMPLES } from './samples.js';

const dir = new URL('../vectors/csta/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const message of SAMPLES) {
  writeFileSync(new URL(`${message.type}.xml`, dir), encodeCsta(message));
  writeFileSync(new URL(`${message.type}.json`, dir), JSON.stringify(message, null, 2) + '\n');
}
console.log(`wrote ${SAMPLES.length} vectors`);
