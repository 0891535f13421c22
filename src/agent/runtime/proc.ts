// Small process helpers for the runtime: whether a pid still names the same process (pid + start
// time from /proc, no spawn), and disk usage of a directory. Programs are run by ../launcher.ts.

import { promises as fsp } from 'node:fs';

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined if gone. */
export async function pidStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 overall = index 19 after state (field 3)
  } catch {
    return undefined;
  }
}

/** true when `pid` is alive, is not a zombie, and (if given) started at `startTime`. */
export async function processAlive(pid: number, startTime?: string): Promise<boolean> {
  try {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return false;
    return startTime === undefined || rest[19] === startTime;
  } catch {
    return false;
  }
}

/** Total bytes of regular files under `dir` (the writable layer's usage). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) total += await diskUsage(p);
    else if (e.isFile()) {
      try {
        total += (await fsp.lstat(p)).size;
      } catch { /* raced with removal */ }
    }
  }
  return total;
}
