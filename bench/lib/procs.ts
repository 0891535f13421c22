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
  /** The anonymous part of rss (the process's own memory; the rest is mapped files: code, shared libraries). */
  anon: number;
}

/** VmRSS and VmHWM of a process from /proc/<pid>/status. */
export function readMemory(pid: number): MemReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon') };
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

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return busy / ticksPerSecond();
}

export interface CpuUse {
  /** Per watched group: percent of one core used over the interval (pids of a group summed). */
  pct: Record<string, number>;
  /** Per watched group: CPU seconds used over the interval. */
  seconds: Record<string, number>;
  /** Percent of one core used by the bench process. */
  benchPct: number;
  /** Percent of one core used by everything else on the machine (other tenants, other tools). */
  othersPct: number;
}

/** Measures CPU use of groups of processes (e.g. skiff, etcd), of the bench process and of the
 *  rest of the machine over an interval. */
export class CpuMeter {
  private readonly groups: [string, number[]][];
  private readonly start: Map<number, number>;
  private readonly selfStart: number;
  private readonly machineStart: number;
  private readonly t0: number;

  constructor(groups: Record<string, number[]>) {
    this.groups = Object.entries(groups);
    this.start = new Map(this.groups.flatMap(([, pids]) => pids.map((pid) => [pid, readCpuSeconds(pid)] as [number, number])));
    this.selfStart = selfCpuSeconds();
    this.machineStart = machineBusySeconds();
    this.t0 = performance.now();
  }

  stop(): CpuUse {
    const wall = (performance.now() - this.t0) / 1000;
    const pct: Record<string, number> = {};
    const seconds: Record<string, number> = {};
    let ours = 0;
    for (const [name, pids] of this.groups) {
      let used = 0;
      for (const pid of pids) {
        try {
          used += readCpuSeconds(pid) - this.start.get(pid)!;
        } catch {
          // process gone
        }
      }
      seconds[name] = used;
      pct[name] = (100 * used) / wall;
      ours += used;
    }
    const bench = selfCpuSeconds() - this.selfStart;
    const others = Math.max(0, machineBusySeconds() - this.machineStart - ours - bench);
    return { pct, seconds, benchPct: (100 * bench) / wall, othersPct: (100 * others) / wall };
  }
}
