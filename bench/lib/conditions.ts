// The conditions a benchmark ran under, printed beside every figure: CPU count and model,
// memory, kernel, Node version, and the note that the bench client and the server share the
// same cores (their figures are not independent).

import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memTotalMB: number;
  kernel: string;
  node: string;
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpus: os.availableParallelism(),
    cpuModel,
    memTotalMB: Math.round(os.totalmem() / (1024 * 1024)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** The block printed at the top of a run and of each benchmark section. */
export function describeConditions(extra: Record<string, string | number> = {}): string {
  const m = machine();
  const lines = [
    `machine: nproc=${m.cpus}, CPU "${m.cpuModel}", memory ${m.memTotalMB} MB, ${m.kernel}`,
    `node: ${m.node}; date: ${new Date().toISOString()}`,
    `note: the bench client and the server (and etcd, when used) share these ${m.cpus} cores`,
    `load average now (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  ];
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return lines.join('\n');
}
