// Summaries of V8 CPU profiles (`node --cpu-prof`): self time per file and per function, and
// inclusive time per function, as percentages of busy time (idle samples are left out). Used by
// `npm run bench -- --profile` and bench/tools/profile-summary.ts.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  selfByFile: [string, number][];
  selfByFunction: [string, number][];
  inclusiveByFunction: [string, number][];
}

const shortUrl = (url: string): string => url.replace(/^file:\/\/.*?\/(gateway|node_modules|bench)\//, '$1/');

export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const label = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}`.trim();
  let idle = 0;
  let busy = 0;
  const selfByFn = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (n === undefined) continue;
    if (n.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
    const f = shortUrl(n.callFrame.url) || n.callFrame.functionName;
    selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
    // Inclusive: every distinct function on the stack counts the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node === undefined) break;
      const l = label(node);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000]);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    selfByFile: sorted(selfByFile),
    selfByFunction: sorted(selfByFn),
    inclusiveByFunction: sorted(inclusive),
  };
}

export function formatProfileSummary(summary: ProfileSummary, top: number, match?: RegExp): string {
  const lines = [
    `${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle (percentages are of busy time)`,
  ];
  const section = (title: string, rows: [string, number][], filter?: RegExp): void => {
    lines.push('', title);
    for (const [k, ms] of rows.filter(([k]) => filter === undefined || filter.test(k)).slice(0, top)) {
      lines.push(
        `${((ms / summary.busyMs) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${k}`,
      );
    }
  };
  section('self time by file', summary.selfByFile);
  section('self time by function', summary.selfByFunction);
  section('inclusive time by function', summary.inclusiveByFunction, match);
  return lines.join('\n');
}
