// Summarises a V8 CPU profile (`node --cpu-prof`): self time per file and per function, and
// inclusive time per function, as percentages of busy time. See docs/benchmarks.md, "Profiling".
//
//   npx tsx bench/tools/profile-summary.ts FILE.cpuprofile [--top N] [--match REGEX]
import { parseArgs } from 'node:util';
import { formatProfileSummary, summarizeProfile } from '../lib/profile.js';

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '40' }, match: { type: 'string' } },
  allowPositionals: true,
});
const file = positionals[0];
if (file === undefined) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N] [--match REGEX]\n');
  process.exit(2);
}
process.stdout.write(
  `profile ${file}: ${formatProfileSummary(summarizeProfile(file), Number(values.top), values.match === undefined ? undefined : new RegExp(values.match))}\n`,
);
