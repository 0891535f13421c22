// tmpfs mounts for memory-backed volumes (emptyDir medium Memory, secrets): the mount table is
// read from /proc/self/mountinfo so that mounting is idempotent and tearDown finds every mount
// under a pod's volume directory, even after an agent restart.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points listed in a mountinfo text (field 5), in table order. */
export function parseMountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length > 4) out.push(unescapeMount(fields[4]));
  }
  return out;
}

export async function mountPoints(): Promise<string[]> {
  return parseMountPoints(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountPoints()).includes(dir);
}

/** Mount a tmpfs on `dir` unless one is already there; `sizeBytes` caps it. */
export async function ensureTmpfs(dir: string, sizeBytes?: number): Promise<void> {
  if (await isMountPoint(dir)) return;
  const opts = ['nodev', 'nosuid', ...(sizeBytes && sizeBytes > 0 ? [`size=${sizeBytes}`] : [])].join(',');
  await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

/** Unmount every mount at or below `root`, deepest first (mounts stacked on one point too). */
export async function unmountAllUnder(root: string): Promise<void> {
  const prefix = root.endsWith('/') ? root : root + '/';
  for (let round = 0; round < 100; round++) {
    const under = (await mountPoints()).filter((m) => m === root || m.startsWith(prefix));
    if (under.length === 0) return;
    under.sort((a, b) => b.length - a.length);
    await run('umount', [under[0]]);
  }
  throw new Error(`mounts under ${root} did not go away`);
}
