// The runtime's on-disk state: one small JSON record per sandbox and per container under the
// runtime root, written atomically (temp file + rename), plus the directory layout. Everything
// the runtime knows survives an agent restart because it lives here; conmon's exit files and
// /proc complete the picture of a container's current state.

import { promises as fsp, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerInfo, PortMapping, SandboxInfo } from './types.ts';

/** What is persisted of a sandbox: the contract's fields it keeps, plus what the runtime needs. */
export interface SandboxRecord extends Pick<SandboxInfo, 'id' | 'podUid' | 'name' | 'namespace' | 'attempt' | 'createdAt' | 'ip' | 'netnsPath' | 'labels' | 'annotations'> {
  hostname: string;
  hostNetwork: boolean;
  portMappings: PortMapping[];
  /** Full cgroup path of the pod (relative to each hierarchy root). */
  cgroupPath: string;
  ipcNsPath: string;
  utsNsPath?: string;
  shmPath: string;
  /** true once network set-up succeeded (tearDown is due on stop). */
  networkUp: boolean;
  /** true once stopPodSandbox ran. */
  stopped: boolean;
  /** A warm sandbox: made ahead of any pod, not listed, taken by the next pod that fits. */
  warm?: boolean;
}

export interface ContainerFinish {
  exitCode: number;
  finishedAt: number;
  reason: string;
  message?: string;
}

/** What is persisted of a container; its state is derived from `finished`, the exit file and /proc. */
export interface ContainerRecord
  extends Pick<ContainerInfo, 'id' | 'sandboxId' | 'podUid' | 'name' | 'attempt' | 'imageId' | 'logPath' | 'createdAt' | 'startedAt' | 'pid' | 'labels' | 'annotations'> {
  stopSignal: string;
  tty: boolean;
  stdin: boolean;
  /**
   * Close the container's stdin when the first attach with stdin ends (absent in records
   * written before it was kept: read as false, the Kubernetes default).
   */
  stdinOnce?: boolean;
  /** Full cgroup path of the container. */
  cgroupPath: string;
  /** Start time of the init `pid` (/proc/<pid>/stat field 22), so a reused pid is not mistaken for it. */
  pidStartTime?: string;
  /** Set once the exit was observed and classified; never changes afterwards. */
  finished?: ContainerFinish;
}

/** Directory layout under the runtime root. Pure path arithmetic. */
export class RuntimeLayout {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }
  get sandboxesDir(): string { return path.join(this.root, 'sandboxes'); }
  get containersDir(): string { return path.join(this.root, 'containers'); }
  /** conmon --exit-dir: one file per container id holding its exit code. */
  get exitsDir(): string { return path.join(this.root, 'exits'); }
  /** conmon --socket-dir-path (must exist). */
  get socketDir(): string { return path.join(this.root, 'sock'); }
  /** The OCI runtime's --root. */
  get runtimeStateDir(): string { return path.join(this.root, 'oci'); }
  sandboxDir(id: string): string { return path.join(this.sandboxesDir, id); }
  containerDir(id: string): string { return path.join(this.containersDir, id); }
  persistDir(id: string): string { return path.join(this.containerDir(id), 'persist'); }
  rootfsDir(id: string): string { return path.join(this.containerDir(id), 'rootfs'); }
  upperDir(id: string): string { return path.join(this.containerDir(id), 'upper'); }
  workDir(id: string): string { return path.join(this.containerDir(id), 'work'); }
  exitFile(id: string): string { return path.join(this.exitsDir, id); }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  // A record is a few hundred bytes: written synchronously (tens of µs) rather than through two
  // thread-pool round trips, which are what a pod start waits on under load.
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

async function readRecords<T>(dir: string, file: string): Promise<T[]> {
  let ids: string[];
  try {
    ids = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const id of ids) {
    try {
      out.push(JSON.parse(await fsp.readFile(path.join(dir, id, file), 'utf8')) as T);
    } catch {
      // a directory without a record is a half-created object; its owner cleans it up
    }
  }
  return out;
}

/**
 * Records of one runtime root, cached in memory and written through to disk. Loaded from disk
 * on first use so a new instance on the same root (agent restart) sees everything.
 */
export class StateStore {
  readonly layout: RuntimeLayout;
  private sandboxes = new Map<string, SandboxRecord>();
  private containers = new Map<string, ContainerRecord>();
  private loaded: Promise<void> | undefined;

  constructor(layout: RuntimeLayout) {
    this.layout = layout;
  }

  load(): Promise<void> {
    this.loaded ??= (async () => {
      const l = this.layout;
      for (const d of [l.sandboxesDir, l.containersDir, l.exitsDir, l.socketDir, l.runtimeStateDir]) await fsp.mkdir(d, { recursive: true });
      for (const s of await readRecords<SandboxRecord>(l.sandboxesDir, 'sandbox.json')) this.sandboxes.set(s.id, s);
      for (const c of await readRecords<ContainerRecord>(l.containersDir, 'container.json')) this.containers.set(c.id, c);
    })();
    return this.loaded;
  }

  sandbox(id: string): SandboxRecord | undefined { return this.sandboxes.get(id); }
  container(id: string): ContainerRecord | undefined { return this.containers.get(id); }
  allSandboxes(): SandboxRecord[] { return [...this.sandboxes.values()]; }
  allContainers(): ContainerRecord[] { return [...this.containers.values()]; }
  containersOf(sandboxId: string): ContainerRecord[] { return this.allContainers().filter((c) => c.sandboxId === sandboxId); }

  async putSandbox(r: SandboxRecord): Promise<void> {
    this.sandboxes.set(r.id, r);
    await writeJsonAtomic(path.join(this.layout.sandboxDir(r.id), 'sandbox.json'), r);
  }

  async putContainer(r: ContainerRecord): Promise<void> {
    this.containers.set(r.id, r);
    await writeJsonAtomic(path.join(this.layout.containerDir(r.id), 'container.json'), r);
  }

  /** Forget a sandbox and delete its directory (the caller unmounted what was mounted in it). */
  async dropSandbox(id: string): Promise<void> {
    this.sandboxes.delete(id);
    await fsp.rm(this.layout.sandboxDir(id), { recursive: true, force: true });
  }

  async dropContainer(id: string): Promise<void> {
    this.containers.delete(id);
    await fsp.rm(this.layout.containerDir(id), { recursive: true, force: true });
    await fsp.rm(this.layout.exitFile(id), { force: true });
    // conmon's link from the socket dir to the container's attach socket directory
    await fsp.rm(path.join(this.layout.socketDir, id), { force: true });
  }
}
