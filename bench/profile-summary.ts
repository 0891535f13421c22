// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per source
// file, top entries first, so a benchmark report can say where the server's time went.
//
//   node bench/profile-summary.ts FILE.cpuprofile [--top N] [--last SECONDS]
// --last keeps only the samples of the profile's final SECONDS (e.g. the LIST phase, which
// comes after the fill and right before the server is stopped).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  pct: number;
}

/** Self time by function and by file, sorted descending. Time per sample is taken from timeDeltas.
 *  lastMs: count only samples taken in the final lastMs of the profile. */
export function selfTimes(profile: Profile, lastMs = Infinity): { byFunction: SelfTime[]; byFile: SelfTime[]; totalMs: number } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map<number, number>();
  const at: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) at.push((t += profile.timeDeltas[i] ?? 0));
  const from = profile.endTime - lastMs * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    if (at[i]! < from) continue;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    perNode.set(profile.samples[i]!, (perNode.get(profile.samples[i]!) ?? 0) + dt);
  }
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [id, t] of perNode) {
    const cf = nodes.get(id)!.callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, '$1/') : `(${cf.functionName || 'native'})`;
    const fn = `${cf.functionName || '(anonymous)'} ${cf.url ? `${file}:${cf.lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + t);
    byFile.set(file, (byFile.get(file) ?? 0) + t);
    total += t;
  }
  const sorted = (m: Map<string, number>) =>
    [...m].map(([name, ms]) => ({ name, ms, pct: (100 * ms) / total })).sort((a, b) => b.ms - a.ms);
  return { byFunction: sorted(byFunction), byFile: sorted(byFile), totalMs: total };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, last: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.ts FILE.cpuprofile [--top N] [--last SECONDS]\n');
    process.exit(2);
  }
  const top = Number(values.top);
  const lastMs = values.last === undefined ? Infinity : Number(values.last) * 1000;
  const { byFunction, byFile, totalMs } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile, lastMs);
  const show = (title: string, rows: SelfTime[]) => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows.slice(0, top)) process.stdout.write(`${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.name}\n`);
  };
  process.stdout.write(`profile ${file}: ${(totalMs / 1000).toFixed(1)} s sampled\n`);
  show('self time by file', byFile);
  show('self time by function', byFunction);
}
