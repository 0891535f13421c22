// `skiff reset-node`: undo everything a node agent put on the host (what k3s-killall.sh does):
// kill the processes of its containers (found through its cgroup tree, so only ours), unmount
// what is mounted under its state root (overlay rootfs, tmpfs volumes, namespace files), remove
// its cgroups, its network namespaces, the bridge and nft table of its pod network. Stopping
// the agent alone leaves containers running by design (they are re-adopted on restart).

import { readFile, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import type { Logger } from '../base/log.ts';
import { Cgroups } from './runtime/cgroups.ts';
import type { PodNetwork } from './network/types.ts';

const run = promisify(execFile);

/** Mount points at or under `root` from /proc/self/mountinfo text, deepest first. Pure. */
export function mountsUnder(mountinfo: string, root: string): string[] {
  const prefix = root.endsWith('/') ? root : root + '/';
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const decoded = mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (decoded === root || decoded.startsWith(prefix)) out.push(decoded);
  }
  return [...new Set(out)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

async function pidsIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  const walk = async (d: string) => {
    try {
      for (const line of (await readFile(path.join(d, 'cgroup.procs'), 'utf8')).split('\n')) if (line.trim()) pids.push(Number(line));
      for (const e of await readdir(d, { withFileTypes: true })) if (e.isDirectory()) await walk(path.join(d, e.name));
    } catch {
      // gone meanwhile
    }
  };
  await walk(dir);
  return pids;
}

export interface ResetOptions {
  /** The agent's state root (<data-dir>/agent). */
  agentRoot: string;
  /** The agent's cgroup root ("/skiff"). */
  cgroupRoot: string;
  /** The pod network, for destroy() (bridge, nft table, routes). */
  network: PodNetwork;
  /** Network namespaces under /run/netns whose names start with this prefix are the agent's. */
  netnsPrefix?: string;
  log: Logger;
}

export async function resetNode(opts: ResetOptions): Promise<void> {
  const cgroups = new Cgroups();
  // 1. Kill every process in our cgroup tree (containers and their exec'd processes) until none is left.
  const pidsMount = (await cgroups.list()).find((h) => h.controllers.includes('pids'))?.mountPoint;
  if (pidsMount) {
    const tree = path.join(pidsMount, opts.cgroupRoot);
    for (let round = 0; round < 50; round++) {
      const pids = await pidsIn(tree);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 20)); // let the kernel reap them before re-reading
    }
  }
  // 2. Unmount everything under the state root, deepest first (lazy, so a busy mount still goes).
  const unmount = async (mp: string) => {
    try {
      await run('umount', ['-l', mp]);
    } catch (e) {
      opts.log.warn('unmount failed', { mount: mp, error: String(e) });
    }
  };
  for (const mp of mountsUnder(await readFile('/proc/self/mountinfo', 'utf8'), opts.agentRoot)) await unmount(mp);
  // 3. Network namespaces the agent made.
  if (opts.netnsPrefix) {
    let names: string[] = [];
    try {
      names = (await readdir('/run/netns')).filter((n) => n.startsWith(opts.netnsPrefix!));
    } catch {
      names = [];
    }
    for (const n of names) {
      try {
        await run('ip', ['netns', 'delete', n]);
      } catch (e) {
        opts.log.warn('netns delete failed', { netns: n, error: String(e) });
      }
    }
  }
  // 4. The pod network on the host, then the cgroups.
  await opts.network.destroy();
  await cgroups.remove(opts.cgroupRoot);
  // 5. Runtime state (container metadata, CNI allocations) goes with the mounts gone.
  for (const sub of ['runtime', 'cni', 'pods']) await rm(path.join(opts.agentRoot, sub), { recursive: true, force: true });
}
