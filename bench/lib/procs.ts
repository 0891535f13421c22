// Readings of another process from /proc: resident memory (VmRSS, VmHWM) and CPU time
// (utime + stime), so a benchmark can say how much memory and CPU the server used.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface MemReading {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size, bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process from /proc/<pid>/status. */
export function readMemory(pid: number): MemReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / ticksPerSecond();
}

/** CPU seconds this (bench) process has used so far. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Measures CPU use of the server and of the bench process over an interval. */
export class CpuMeter {
  private readonly pids: number[];
  private readonly start: number[];
  private readonly selfStart: number;
  private readonly t0: number;

  constructor(pids: number[]) {
    this.pids = pids;
    this.start = pids.map(readCpuSeconds);
    this.selfStart = selfCpuSeconds();
    this.t0 = performance.now();
  }

  /** Percent of one core used since construction: by each watched pid (summed) and by the bench. */
  stop(): { serverPct: number; benchPct: number } {
    const wall = (performance.now() - this.t0) / 1000;
    let used = 0;
    this.pids.forEach((pid, i) => {
      try {
        used += readCpuSeconds(pid) - this.start[i]!;
      } catch {
        // process gone
      }
    });
    return { serverPct: (100 * used) / wall, benchPct: (100 * (selfCpuSeconds() - this.selfStart)) / wall };
  }
}
