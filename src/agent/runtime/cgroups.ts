// cgroup helpers for the hybrid layout this agent runs on (v1 controllers under
// /sys/fs/cgroup/<ctrl>, cgroup2 at /sys/fs/cgroup/unified): creating a pod's parent cgroup in
// every hierarchy, removing a cgroup subtree in every hierarchy (crun/runc delete only the
// container's leaf), reading OOM kills and usage figures, and the one host fix crun 1.8 needs.

import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const CGROUP_FS = '/sys/fs/cgroup';

/** A mounted cgroup hierarchy: its mount point and the controllers it carries. */
export interface Hierarchy {
  mountPoint: string;
  controllers: string[];
  version: 1 | 2;
}

/** Parse /proc/self/mountinfo text into the cgroup hierarchies mounted under `fsRoot`. Pure. */
export function parseCgroupMounts(mountinfo: string, fsRoot = CGROUP_FS): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    const fstype = right[0];
    if (!mountPoint || !mountPoint.startsWith(fsRoot + '/')) continue;
    if (fstype === 'cgroup2') out.push({ mountPoint, controllers: [], version: 2 });
    else if (fstype === 'cgroup') {
      const superOpts = (right[2] ?? '').split(',');
      const controllers = superOpts.filter((o) => o !== 'rw' && o !== 'ro' && !o.includes('=') || o.startsWith('name='))
        .filter((o) => !['relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'clone_children', 'noprefix', 'xattr'].includes(o));
      out.push({ mountPoint, controllers, version: 1 });
    }
  }
  return out;
}

/** Parse a flat-keyed cgroup file ("key value" per line) into numbers. Pure. */
export function parseKeyedFile(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

export interface CgroupUsage {
  cpuUsageNanoSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryRssBytes: number;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** cgroup operations over every hierarchy mounted under `fsRoot`. */
export class Cgroups {
  readonly fsRoot: string;
  private hierarchies: Hierarchy[] | undefined;

  constructor(fsRoot = CGROUP_FS) {
    this.fsRoot = fsRoot;
  }

  async list(): Promise<Hierarchy[]> {
    if (!this.hierarchies) this.hierarchies = parseCgroupMounts(await fsp.readFile('/proc/self/mountinfo', 'utf8'), this.fsRoot);
    return this.hierarchies;
  }

  private async mountOf(controller: string): Promise<string | undefined> {
    return (await this.list()).find((h) => h.version === 1 && h.controllers.includes(controller))?.mountPoint;
  }

  /**
   * Create `cgPath` (relative to each hierarchy root) in every hierarchy. New cpuset levels get
   * their parent's cpus/mems, without which no task could join them. Idempotent.
   */
  async create(cgPath: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.createOnce(cgPath);
      } catch (e) {
        // a concurrent pruneAncestors removed an empty level between two mkdirs: walk again
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw e;
      }
    }
  }

  private async createOnce(cgPath: string): Promise<void> {
    const parts = cgPath.split('/').filter(Boolean);
    // the hierarchies are independent: walk them all at once (levels within one stay in order)
    await Promise.all((await this.list()).map(async (h) => {
      const isCpuset = h.controllers.includes('cpuset');
      let dir = h.mountPoint;
      for (const p of parts) {
        const parent = dir;
        dir = path.join(dir, p);
        let made = false;
        try {
          await fsp.mkdir(dir);
          made = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        if (isCpuset && made) {
          for (const f of ['cpuset.cpus', 'cpuset.mems']) {
            const cur = (await readText(path.join(dir, f)))?.trim();
            if (!cur) await fsp.writeFile(path.join(dir, f), ((await readText(path.join(parent, f))) ?? '').trim());
          }
        }
      }
    }));
  }

  /**
   * Remove `cgPath` and everything below it in every hierarchy (children first). Missing
   * directories are fine. A cgroup still holding tasks makes this reject with EBUSY.
   */
  async remove(cgPath: string): Promise<void> {
    const rel = cgPath.split('/').filter(Boolean).join('/');
    if (!rel) throw new Error('refusing to remove a hierarchy root');
    for (const h of await this.list()) await removeTree(path.join(h.mountPoint, rel));
  }

  /**
   * Remove the empty ancestors of `cgPath` in every hierarchy, deepest first, stopping at
   * `stopAt` (not removed) or at the first non-empty one. Races with a concurrent create are
   * harmless: a directory that gained a child is simply kept.
   */
  async pruneAncestors(cgPath: string, stopAt: string): Promise<void> {
    const stop = stopAt.split('/').filter(Boolean).join('/');
    let rel = path.posix.dirname('/' + cgPath.split('/').filter(Boolean).join('/')).slice(1);
    while (rel && rel !== stop && (stop === '' || rel.startsWith(stop + '/'))) {
      for (const h of await this.list()) {
        try {
          await fsp.rmdir(path.join(h.mountPoint, rel));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EBUSY') throw e;
        }
      }
      rel = path.posix.dirname('/' + rel).slice(1);
    }
  }

  /** Directories of `cgPath` that still exist, in any hierarchy (for tests and diagnostics). */
  async existing(cgPath: string): Promise<string[]> {
    const out: string[] = [];
    for (const h of await this.list()) {
      const dir = path.join(h.mountPoint, cgPath);
      try {
        await fsp.access(dir);
        out.push(dir);
      } catch { /* absent */ }
    }
    return out;
  }

  /** The memory cgroup's OOM-kill counter (memory.oom_control `oom_kill`); undefined if gone. */
  async oomKills(cgPath: string): Promise<number | undefined> {
    const mem = await this.mountOf('memory');
    if (!mem) return undefined;
    const text = await readText(path.join(mem, cgPath, 'memory.oom_control'));
    if (text === undefined) return undefined;
    return parseKeyedFile(text).get('oom_kill') ?? 0;
  }

  /** CPU and memory usage of the cgroup; undefined when it does not exist (any more). */
  async usage(cgPath: string): Promise<CgroupUsage | undefined> {
    const [cpuacct, mem] = [await this.mountOf('cpuacct'), await this.mountOf('memory')];
    if (!cpuacct || !mem) return undefined;
    const [cpu, usage, stat] = await Promise.all([
      readText(path.join(cpuacct, cgPath, 'cpuacct.usage')),
      readText(path.join(mem, cgPath, 'memory.usage_in_bytes')),
      readText(path.join(mem, cgPath, 'memory.stat')),
    ]);
    if (cpu === undefined || usage === undefined || stat === undefined) return undefined;
    const s = parseKeyedFile(stat);
    const usageBytes = Number(usage.trim());
    const inactiveFile = s.get('total_inactive_file') ?? 0;
    return {
      cpuUsageNanoSeconds: Number(cpu.trim()),
      memoryUsageBytes: usageBytes,
      memoryWorkingSetBytes: Math.max(0, usageBytes - inactiveFile),
      memoryRssBytes: s.get('total_rss') ?? s.get('rss') ?? 0,
    };
  }
}

async function removeTree(dir: string): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const ent of entries) if (ent.isDirectory()) await removeTree(path.join(dir, ent.name));
  try {
    await fsp.rmdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Host preparation crun 1.8 needs on a hybrid host: it refuses to run while the cgroup2
 * hierarchy offers a controller (hugetlb here) that no v1 hierarchy carries. Mount hugetlb as
 * a v1 hierarchy, as a distro would, and leave it mounted. Idempotent; returns what it did.
 */
export async function ensureHostCgroups(fsRoot = CGROUP_FS): Promise<'mounted-hugetlb' | 'ok'> {
  const controllers = (await readText(path.join(fsRoot, 'unified', 'cgroup.controllers')))?.trim().split(/\s+/) ?? [];
  if (!controllers.includes('hugetlb')) return 'ok';
  const target = path.join(fsRoot, 'hugetlb');
  const mountinfo = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  if (parseCgroupMounts(mountinfo, fsRoot).some((h) => h.mountPoint === target)) return 'ok';
  await fsp.mkdir(target, { recursive: true });
  await execFileP('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', target]);
  return 'mounted-hugetlb';
}
