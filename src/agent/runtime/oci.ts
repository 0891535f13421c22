// The real container runtime of the node agent (the CRI role of containerd/CRI-O): pod
// sandboxes as persistent namespace files (net, ipc, uts) plus a shared /dev/shm, containers
// as OCI bundles written by buildSpec, rootfs on overlayfs over the image layers, each
// container run by crun or runc under conmon so that exit codes, OOM kills and CRI logs are
// kept even while the agent is down. All state lives on disk under `root` (see state.ts).
//
// ```mermaid
// sequenceDiagram
//   agent->>OciRuntime: runPodSandbox
//   OciRuntime->>host: unshare --net/--ipc/--uts=<files> hostname h; mount tmpfs shm
//   OciRuntime->>PodNetwork: setUp(netns) → pod IP; write hosts/resolv.conf/hostname
//   agent->>OciRuntime: createContainer (overlay mount + config.json)
//   agent->>OciRuntime: startContainer
//   OciRuntime->>conmon: spawn (sync pipe fd 3) → conmon runs `crun create`
//   conmon-->>OciRuntime: {"data": pid}
//   OciRuntime->>crun: start <id>
//   conmon-->>host: CRI log lines; on exit exits/<id>
// ```

import { mkdirSync, promises as fsp, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../base/log.ts';
import type { Clock } from '../../client/clock.ts';
import type { PodNetwork, PodNetworkRef } from '../network/types.ts';
import { buildSpec } from './bundle.ts';
import { Cgroups, ensureHostCgroups } from './cgroups.ts';
import { launchConmon } from './conmon.ts';
import { hostNetworkHostsFile, podHostsFile, resolvConf, splitHostname } from './etcfiles.ts';
import { attachToLog, execInContainer, logOffset } from './exec.ts';
import { StdinBridge, forwardResizes } from './attach.ts';
import { diskUsage, pidStartTime, processAlive } from './proc.ts';
import { Launcher, shellQuote } from '../launcher.ts';
import { RuntimeLayout, StateStore } from './state.ts';
import type { ContainerRecord, SandboxRecord } from './state.ts';
import { RuntimeError } from './types.ts';
import type {
  AttachOptions, ContainerConfig, ListFilter, ContainerInfo, ContainerStats, ExecOptions, ExecResult,
  PodSandboxConfig, Runtime, SandboxInfo,
} from './types.ts';

export interface OciRuntimeOptions {
  /** Runtime state directory (AgentPaths.runtime). */
  root: string;
  /** 'crun' (default), 'runc', or an absolute path to an OCI runtime binary. */
  runtimeBinary?: string;
  /** conmon binary (default /usr/bin/conmon). */
  conmonBinary?: string;
  network: PodNetwork;
  /**
   * Every cgroup the runtime creates lives under this path in each hierarchy (default "/"):
   * the pod cgroup is <cgroupRoot>/<sandbox cgroupParent or "skiff/pod<uid>">, a container's
   * cgroup is <pod cgroup>/<container id>.
   */
  cgroupRoot?: string;
  log: Logger;
  clock?: Pick<Clock, 'now'>;
  /** Poll interval while waiting for a container to exit (default 20 ms). */
  pollMs?: number;
  /** Starts host programs off the agent's thread (default: one of its own, closed by close()). */
  launcher?: Launcher;
  /** Sandboxes kept ready ahead of pods (see "the warm pool" below; default 0). */
  warmSandboxes?: number;
}

/** The pool is refilled only after this long without a sandbox being asked for. */
const REFILL_QUIET_MS = 10;

const KNOWN_RUNTIMES: Record<string, string> = { crun: '/usr/bin/crun', runc: '/usr/sbin/runc' };

function newId(): string {
  return randomBytes(16).toString('hex');
}

function signalName(s: string): string {
  const up = s.toUpperCase();
  return up.startsWith('SIG') ? up.slice(3) : up;
}

async function readFileOr(file: string, fallback: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** The hard RLIMIT_NOFILE of this process (containers cannot be given more), capped at 1048576. */
async function hostNofileLimit(): Promise<number> {
  const limits = await readFileOr('/proc/self/limits', '');
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
  const hard = m && m[1] !== 'unlimited' ? Number(m[1]) : 1048576;
  return Math.min(hard, 1048576);
}

/** Unmount whichever of `targets` are mount points (one umount process for all). */
async function umountAll(launcher: Launcher, targets: string[]): Promise<void> {
  const mountinfo = await readFileOr('/proc/self/mountinfo', '');
  const mounted = new Set(mountinfo.split('\n').map((l) => l.split(' ')[4]).filter(Boolean));
  // mountinfo escapes spaces etc. as octal; our paths have none, so a plain compare is exact
  const todo = targets.filter((t) => mounted.has(t));
  if (todo.length > 0) await launcher.run('umount', todo);
}

export class OciRuntime implements Runtime {
  readonly name: string;
  private readonly runtimeBinary: string;
  private readonly conmonBinary: string;
  private readonly network: PodNetwork;
  private readonly cgroupRoot: string;
  private readonly log: Logger;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly pollMs: number;
  private readonly layout: RuntimeLayout;
  private readonly store: StateStore;
  private readonly cgroups = new Cgroups();
  private ready: Promise<void> | undefined;
  private nofile = 1048576;
  private readonly launcher: Launcher;
  private readonly ownLauncher: boolean;
  private readonly warmTarget: number;
  /** The running refill loop, if any. */
  private refilling: Promise<void> | undefined;
  private lastStart = 0;
  private closed = false;

  constructor(opts: OciRuntimeOptions) {
    const bin = opts.runtimeBinary ?? 'crun';
    this.runtimeBinary = KNOWN_RUNTIMES[bin] ?? bin;
    this.name = path.basename(this.runtimeBinary);
    this.conmonBinary = opts.conmonBinary ?? '/usr/bin/conmon';
    this.network = opts.network;
    this.cgroupRoot = opts.cgroupRoot ?? '/';
    this.log = opts.log;
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.pollMs = opts.pollMs ?? 20;
    this.layout = new RuntimeLayout(opts.root);
    this.store = new StateStore(this.layout);
    this.ownLauncher = !opts.launcher;
    this.launcher = opts.launcher ?? new Launcher();
    this.warmTarget = opts.warmSandboxes ?? 0;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      const did = await ensureHostCgroups();
      if (did !== 'ok') this.log.info('host cgroups prepared', { action: did });
      this.nofile = await hostNofileLimit();
      await this.store.load();
      // warm sandboxes of an earlier run are removed, not reused: the pod network's settings (bridge,
      // pod CIDR) may have changed since, and a crash may have left one half-made
      for (const rec of this.store.allSandboxes().filter((r) => r.warm)) await this.cleanupSandbox(rec).catch(() => undefined);
      this.refillWarm();
    })();
    return this.ready;
  }

  private runtime(args: string[]): Promise<{ stdout: string; stderr: string }> {
    return this.launcher.run(this.runtimeBinary, ['--root', this.layout.runtimeStateDir, ...args]);
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<SandboxInfo> {
    await this.init();
    this.lastStart = this.clock.now();
    try {
      const warm = this.takeWarm(config);
      if (warm) {
        try {
          return await this.adoptWarm(warm, config);
        } catch (e) {
          // a warm sandbox that cannot be adopted is removed; the pod gets a fresh one
          this.log.warn('warm sandbox unusable; making a new one', { id: warm.id, error: (e as Error).message });
          await this.cleanupSandbox(warm).catch(() => undefined);
        }
      }
      return await this.coldSandbox(config);
    } finally {
      this.refillWarm();
    }
  }

  /** A new sandbox record for `config` (or for the warm pool when `config` is undefined). Pure. */
  private newSandboxRecord(config: PodSandboxConfig | undefined): SandboxRecord {
    const id = newId();
    const dir = this.layout.sandboxDir(id);
    const nsDir = path.join(dir, 'ns');
    const hostNetwork = config?.hostNetwork ?? false;
    return {
      id, podUid: config?.podUid ?? '', name: config?.name ?? `warm-${id.slice(0, 8)}`, namespace: config?.namespace ?? '',
      attempt: config?.attempt ?? 0, createdAt: this.clock.now(),
      hostname: hostNetwork ? os.hostname() : (config?.hostname ?? 'localhost'),
      hostNetwork, portMappings: config?.portMappings ?? [],
      cgroupPath: config ? this.podCgroupPath(config) : '',
      netnsPath: hostNetwork ? undefined : path.join(nsDir, 'net'),
      ipcNsPath: path.join(nsDir, 'ipc'),
      utsNsPath: hostNetwork ? undefined : path.join(nsDir, 'uts'),
      shmPath: path.join(dir, 'shm'),
      networkUp: false, stopped: false,
      labels: { ...config?.labels }, annotations: { ...config?.annotations },
      ...(config ? {} : { warm: true }),
    };
  }

  private podCgroupPath(config: PodSandboxConfig): string {
    return path.posix.join(this.cgroupRoot, config.cgroupParent || `skiff/pod${config.podUid}`);
  }

  /**
   * Namespaces (one launch: unshare makes them and sets the hostname in the new UTS namespace,
   * then /dev/shm is mounted) and, unless hostNetwork, the pod network. The record goes to disk
   * first so that a failure (or a crash) half-way is cleaned up like any other sandbox. The pod
   * cgroup (a few dozen mkdirs across the hierarchies) is made meanwhile: nothing before the
   * first container needs it.
   */
  private async prepareSandbox(rec: SandboxRecord): Promise<void> {
    await fsp.mkdir(path.join(this.layout.sandboxDir(rec.id), 'ns'), { recursive: true });
    await this.store.putSandbox(rec);
    const cgroup = rec.cgroupPath ? this.cgroups.create(rec.cgroupPath).then(() => undefined, (e: Error) => e) : Promise.resolve(undefined);
    const fail = async (reason: 'CreateFailed' | 'NetworkFailed', what: string, e: unknown): Promise<never> => {
      await cgroup;
      await this.cleanupSandbox(rec).catch(() => undefined);
      throw new RuntimeError(reason, `${what} failed: ${(e as Error).message}`);
    };
    try {
      const unshareArgs: string[] = [];
      const files: Promise<void>[] = [fsp.mkdir(rec.shmPath, { recursive: true }).then(() => undefined)];
      for (const [flag, file] of [['--net', rec.netnsPath], ['--ipc', rec.ipcNsPath], ['--uts', rec.utsNsPath]] as const) {
        if (!file) continue;
        files.push(fsp.writeFile(file, ''));
        unshareArgs.push(`${flag}=${file}`);
      }
      await Promise.all(files);
      const { short } = splitHostname(rec.hostname);
      const unshare = ['unshare', ...unshareArgs, ...(rec.hostNetwork ? ['true'] : ['hostname', short])].map(shellQuote).join(' ');
      const shm = ['mount', '-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,mode=1777,size=65536k', 'shm', rec.shmPath].map(shellQuote).join(' ');
      await this.launcher.run('/bin/sh', ['-ec', `${unshare}; ${shm}`]);
    } catch (e) {
      return fail('CreateFailed', 'creating the sandbox namespaces', e);
    }
    if (!rec.hostNetwork) {
      try {
        const status = await this.network.setUp(this.netRef(rec), rec.netnsPath!, rec.portMappings);
        rec.ip = status.ip;
        rec.networkUp = true;
      } catch (e) {
        return fail('NetworkFailed', 'setting up the pod network', e);
      }
    }
    const cgroupError = await cgroup;
    if (cgroupError) return fail('CreateFailed', 'creating the pod cgroup', cgroupError);
  }

  private async coldSandbox(config: PodSandboxConfig): Promise<SandboxInfo> {
    const rec = this.newSandboxRecord(config);
    await this.prepareSandbox(rec);
    return this.finishSandbox(rec, config);
  }

  /** /etc/hosts, resolv.conf and hostname for the pod, and the record on disk. */
  private async finishSandbox(rec: SandboxRecord, config: PodSandboxConfig): Promise<SandboxInfo> {
    const dir = this.layout.sandboxDir(rec.id);
    const hosts = rec.hostNetwork
      ? hostNetworkHostsFile(await readFileOr('/etc/hosts', ''), config.hostAliases)
      : podHostsFile(rec.hostname, rec.ip, config.hostAliases);
    const hostResolv = await readFileOr('/etc/resolv.conf', '');
    // three small files: synchronous writes beat thread-pool round trips on a pod's start
    writeFileSync(path.join(dir, 'hosts'), hosts);
    writeFileSync(path.join(dir, 'resolv.conf'), rec.hostNetwork ? hostResolv : resolvConf(config.dns, hostResolv));
    writeFileSync(path.join(dir, 'hostname'), splitHostname(rec.hostname).short + '\n');
    await this.store.putSandbox(rec);
    this.log.debug('sandbox ready', { id: rec.id, pod: `${rec.namespace}/${rec.name}`, ip: rec.ip });
    return this.sandboxInfo(rec);
  }

  // ---- the warm pool ----
  //
  // With `warmSandboxes` > 0 the runtime keeps that many sandboxes made ahead of any pod: their
  // namespaces exist and the pod network is wired (an IP from the pod range is held), but they
  // have no pod, no cgroup and no containers, and no list shows them. A pod without host ports
  // and without hostNetwork takes one: its hostname is set in the UTS namespace, its cgroup made,
  // its files written, and unshare + CNI ADD are off its start. The pool is refilled one sandbox
  // at a time once no sandbox was asked for in the last REFILL_QUIET_MS, so refills do not
  // compete with a burst of pod starts. Warm sandboxes are records on disk like any other, so
  // reset-node removes them; a restarted agent removes the earlier run's and makes new ones.

  /**
   * A warm sandbox for `config`, if one fits. adoptWarm must be called on it without an await in
   * between: its synchronous start makes the record the pod's, so no second pod can take it.
   */
  private takeWarm(config: PodSandboxConfig): SandboxRecord | undefined {
    if (config.hostNetwork || config.portMappings.some((p) => p.hostPort > 0)) return undefined;
    return this.store.allSandboxes().find((r) => r.warm && r.networkUp && !r.stopped);
  }

  private async adoptWarm(rec: SandboxRecord, config: PodSandboxConfig): Promise<SandboxInfo> {
    // The record is the pod's from here, so a failure's cleanup also removes the pod cgroup.
    Object.assign(rec, {
      podUid: config.podUid, name: config.name, namespace: config.namespace, attempt: config.attempt,
      createdAt: this.clock.now(), hostname: config.hostname, cgroupPath: this.podCgroupPath(config),
      labels: { ...config.labels }, annotations: { ...config.annotations },
    });
    delete rec.warm;
    await Promise.all([
      this.cgroups.create(rec.cgroupPath),
      this.launcher.run('nsenter', [`--uts=${rec.utsNsPath}`, 'hostname', splitHostname(rec.hostname).short]),
    ]);
    return this.finishSandbox(rec, config);
  }

  private warmCount(): number {
    return this.store.allSandboxes().filter((r) => r.warm).length;
  }

  /** Start refilling the pool in the background (one refill loop at a time). */
  private refillWarm(): void {
    if (this.warmTarget === 0 || this.refilling || this.closed) return;
    this.refilling = (async () => {
      try {
        while (!this.closed && this.warmCount() < this.warmTarget) {
          const quietFor = this.clock.now() - this.lastStart;
          if (quietFor < REFILL_QUIET_MS) {
            await new Promise((r) => setTimeout(r, REFILL_QUIET_MS - quietFor));
            continue;
          }
          const rec = this.newSandboxRecord(undefined);
          await this.prepareSandbox(rec);
          await this.store.putSandbox(rec);
        }
      } catch (e) {
        // the next pod start tries again
        this.log.warn('making a warm sandbox failed', { error: (e as Error).message });
      } finally {
        this.refilling = undefined;
      }
    })();
  }

  /** Remove every warm sandbox (tests, and anyone shrinking the pool). */
  async discardWarmSandboxes(): Promise<void> {
    await this.init();
    for (const rec of this.store.allSandboxes().filter((r) => r.warm)) await this.cleanupSandbox(rec);
  }

  private netRef(rec: SandboxRecord): PodNetworkRef {
    return { sandboxId: rec.id, podUid: rec.podUid, namespace: rec.namespace, name: rec.name };
  }

  private sandboxInfo(rec: SandboxRecord): SandboxInfo {
    const dir = this.layout.sandboxDir(rec.id);
    return {
      id: rec.id, podUid: rec.podUid, name: rec.name, namespace: rec.namespace, attempt: rec.attempt,
      state: rec.stopped ? 'notready' : 'ready', createdAt: rec.createdAt, ip: rec.ip, netnsPath: rec.netnsPath,
      hostsPath: path.join(dir, 'hosts'), resolvConfPath: path.join(dir, 'resolv.conf'), hostnamePath: path.join(dir, 'hostname'),
      labels: { ...rec.labels }, annotations: { ...rec.annotations },
    };
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.init();
    const rec = this.store.sandbox(id);
    if (!rec) return;
    await Promise.all(this.store.containersOf(id).map((c) => this.stopContainer(c.id, 0)));
    if (rec.networkUp) {
      try {
        await this.network.tearDown(this.netRef(rec), rec.netnsPath, rec.portMappings);
      } catch (e) {
        throw new RuntimeError('NetworkFailed', `tearing down the pod network failed: ${(e as Error).message}`);
      }
      rec.networkUp = false;
    }
    rec.stopped = true;
    await this.store.putSandbox(rec);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.init();
    const rec = this.store.sandbox(id);
    if (!rec) return;
    await this.stopPodSandbox(id);
    await Promise.all(this.store.containersOf(id).map((c) => this.removeContainer(c.id)));
    await this.cleanupSandbox(rec);
  }

  /** Unmount and delete everything a sandbox holds on the host. Idempotent. */
  private async cleanupSandbox(rec: SandboxRecord): Promise<void> {
    if (rec.networkUp) await this.network.tearDown(this.netRef(rec), rec.netnsPath, rec.portMappings).catch(() => undefined);
    await umountAll(this.launcher, [rec.netnsPath, rec.ipcNsPath, rec.utsNsPath, rec.shmPath].filter((f): f is string => f !== undefined));
    if (rec.cgroupPath) {
      await this.cgroups.remove(rec.cgroupPath);
      await this.cgroups.pruneAncestors(rec.cgroupPath, this.cgroupRoot);
    }
    await this.store.dropSandbox(rec.id);
  }

  async listPodSandboxes(filter?: ListFilter): Promise<SandboxInfo[]> {
    await this.init();
    return this.store.allSandboxes().filter((r) => !r.warm && (!filter?.podUid || r.podUid === filter.podUid)).map((r) => this.sandboxInfo(r));
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    await this.init();
    const sb = this.store.sandbox(sandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    if (sb.stopped) throw new RuntimeError('CreateFailed', `sandbox ${sandboxId} is not ready`);
    const id = newId();
    const l = this.layout;
    const rec: ContainerRecord = {
      id, sandboxId, podUid: sb.podUid, name: config.name, attempt: config.attempt, imageId: config.imageId,
      logPath: config.logPath, stopSignal: config.stopSignal || 'SIGTERM', tty: config.tty, stdin: config.stdin,
      stdinOnce: config.stdinOnce, cgroupPath: path.posix.join(sb.cgroupPath, id), createdAt: this.clock.now(),
      labels: { ...config.labels }, annotations: { ...config.annotations },
    };
    for (const d of [l.persistDir(id), l.rootfsDir(id), l.upperDir(id), l.workDir(id)]) mkdirSync(d, { recursive: true });
    await this.store.putContainer(rec);
    try {
      let lowers = [...config.imageLayers].reverse();
      if (lowers.length === 0) {
        const empty = path.join(l.containerDir(id), 'empty');
        await fsp.mkdir(empty);
        lowers = [empty];
      }
      await this.launcher.run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${l.upperDir(id)},workdir=${l.workDir(id)}`, l.rootfsDir(id)]);
      const spec = buildSpec(config, this.sandboxInfo(sb), {
        rootfsPath: l.rootfsDir(id), cgroupsPath: rec.cgroupPath,
        netnsPath: sb.netnsPath, ipcNsPath: sb.ipcNsPath, utsNsPath: sb.utsNsPath, shmPath: sb.shmPath,
        hostname: splitHostname(sb.hostname).short, nofile: this.nofile,
      });
      writeFileSync(path.join(l.containerDir(id), 'config.json'), JSON.stringify(spec));
      mkdirSync(path.dirname(config.logPath), { recursive: true });
    } catch (e) {
      await this.removeContainer(id).catch(() => undefined);
      throw new RuntimeError('CreateFailed', (e as Error).message);
    }
    return id;
  }

  async startContainer(id: string): Promise<void> {
    await this.init();
    const rec = this.store.container(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    if (rec.startedAt !== undefined || rec.finished) throw new RuntimeError('StartFailed', `container ${id} was already started`);
    const l = this.layout;
    try {
      const pid = await launchConmon(this.launcher, {
        conmonBinary: this.conmonBinary, runtimeBinary: this.runtimeBinary, runtimeRoot: l.runtimeStateDir,
        id, name: rec.name, bundle: l.containerDir(id), persistDir: l.persistDir(id), exitDir: l.exitsDir,
        socketDir: l.socketDir, logPath: rec.logPath, terminal: rec.tty, stdin: rec.stdin,
        leaveStdinOpen: rec.stdin && !rec.stdinOnce,
      });
      rec.pid = pid;
      rec.pidStartTime = await pidStartTime(pid);
      // the process may run and even exit before `start` returns: take the time before
      const startedAt = this.clock.now();
      await this.runtime(['start', id]);
      rec.startedAt = startedAt;
      await this.store.putContainer(rec);
    } catch (e) {
      const message = (e as Error).message;
      // as containerd does, a container that failed to start is an exited one with code 128
      await this.runtime(['delete', '--force', id]).catch(() => undefined);
      rec.finished = { exitCode: 128, finishedAt: this.clock.now(), reason: 'StartError', message };
      await this.store.putContainer(rec);
      throw new RuntimeError('StartFailed', message);
    }
  }

  /** The container's current state from its record, exit file and /proc; classifies an exit once. */
  private async observe(rec: ContainerRecord): Promise<ContainerInfo> {
    if (!rec.finished && rec.startedAt !== undefined) {
      const exitFile = this.layout.exitFile(rec.id);
      const readExit = async () => {
        try {
          const [code, st] = await Promise.all([fsp.readFile(exitFile, 'utf8'), fsp.stat(exitFile)]);
          return { code, mtime: st.mtimeMs };
        } catch {
          return undefined; // still running, or the monitor died
        }
      };
      // A live init has no exit file yet: one /proc read settles the common case (the relist
      // observes every running container each second).
      const alive = rec.pid !== undefined && await processAlive(rec.pid, rec.pidStartTime);
      let exit = alive ? undefined : await readExit();
      if (exit === undefined && !alive) {
        // the container's init is gone; conmon writes the exit file right after reaping it
        const conmonPid = Number(await readFileOr(path.join(this.layout.persistDir(rec.id), 'conmon.pid'), '0'));
        if (!(conmonPid > 0 && await processAlive(conmonPid))) {
          exit = await readExit(); // conmon may have written it and exited since the first look
          if (exit === undefined) {
            rec.finished = { exitCode: 255, finishedAt: this.clock.now(), reason: 'Error', message: 'the container monitor exited without recording an exit code' };
            await this.store.putContainer(rec);
          }
        }
      }
      if (exit !== undefined) {
        const exitCode = Number.parseInt(exit.code.trim(), 10);
        const oomFile = await fsp.access(path.join(this.layout.persistDir(rec.id), 'oom')).then(() => true, () => false);
        const oom = oomFile || ((await this.cgroups.oomKills(rec.cgroupPath)) ?? 0) > 0;
        rec.finished = {
          exitCode: Number.isFinite(exitCode) ? exitCode : 255,
          finishedAt: Math.max(Math.floor(exit.mtime), rec.startedAt),
          reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
        };
        await this.store.putContainer(rec);
      }
    }
    const f = rec.finished;
    return {
      id: rec.id, sandboxId: rec.sandboxId, podUid: rec.podUid, name: rec.name, attempt: rec.attempt, imageId: rec.imageId,
      state: f ? 'exited' : rec.startedAt !== undefined ? 'running' : 'created',
      createdAt: rec.createdAt, startedAt: rec.startedAt, finishedAt: f?.finishedAt, exitCode: f?.exitCode,
      reason: f?.reason, message: f?.message, pid: f ? undefined : rec.pid, logPath: rec.logPath,
      labels: { ...rec.labels }, annotations: { ...rec.annotations },
    };
  }

  async listContainers(filter?: ListFilter): Promise<ContainerInfo[]> {
    await this.init();
    return Promise.all(this.store.allContainers().filter((r) => !filter?.podUid || r.podUid === filter.podUid).map((r) => this.observe(r)));
  }

  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    await this.init();
    const rec = this.store.container(id);
    return rec ? this.observe(rec) : undefined;
  }

  private async waitExited(rec: ContainerRecord, timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      if ((await this.observe(rec)).state !== 'running') return true;
      if (this.clock.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    await this.init();
    const rec = this.store.container(id);
    if (!rec) return;
    if ((await this.observe(rec)).state !== 'running') return;
    if (graceSeconds > 0) {
      await this.runtime(['kill', id, signalName(rec.stopSignal)]).catch((e) => this.log.debug('stop signal failed', { id, err: String(e) }));
      if (await this.waitExited(rec, graceSeconds * 1000)) return;
    }
    await this.runtime(['kill', id, 'KILL']).catch((e) => this.log.debug('kill failed', { id, err: String(e) }));
    if (!(await this.waitExited(rec, 10_000))) throw new RuntimeError('Unsupported', `container ${id} did not exit after SIGKILL`);
  }

  async removeContainer(id: string): Promise<void> {
    await this.init();
    const rec = this.store.container(id);
    if (!rec) return;
    if (rec.startedAt !== undefined && !rec.finished) await this.stopContainer(id, 0);
    await this.runtime(['delete', '--force', id]).catch(() => undefined);
    await umountAll(this.launcher, [this.layout.rootfsDir(id)]);
    await this.cgroups.remove(rec.cgroupPath);
    await this.store.dropContainer(id);
  }

  // ---- streaming and stats ----

  private async running(id: string): Promise<ContainerRecord> {
    await this.init();
    const rec = this.store.container(id);
    if (!rec) throw new RuntimeError('NotFound', `container ${id} not found`);
    if ((await this.observe(rec)).state !== 'running') throw new RuntimeError('ExecFailed', `container ${id} is not running`);
    return rec;
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    await this.running(id);
    return execInContainer({
      runtimeBinary: this.runtimeBinary, runtimeRoot: this.layout.runtimeStateDir, id,
      bundleConfig: path.join(this.layout.containerDir(id), 'config.json'), scratchDir: this.layout.containerDir(id),
    }, options);
  }

  async attach(id: string, options: AttachOptions): Promise<void> {
    const rec = await this.running(id);
    const dir = this.layout.containerDir(id);
    const from = await logOffset(rec.logPath); // before the input goes in: its answer is ours
    // As containerd and CRI-O, stdin for a container without stdin is ignored (no error): the
    // output is still streamed.
    let bridge: StdinBridge | undefined;
    if (options.stdin && rec.stdin) {
      bridge = await StdinBridge.open({
        dir, stdin: options.stdin,
        onProblem: (message) => this.log.warn('attach: stdin bridge failed', { id, message }),
      });
    } else if (options.stdin) {
      this.log.debug('attach: the container has no stdin; input is ignored', { id });
    }
    if (options.tty && rec.tty && options.resize) {
      void forwardResizes(dir, options.resize, options.signal).catch(() => undefined);
    }
    try {
      await attachToLog(rec.logPath, from, options, async () => (await this.observe(rec)).state === 'running', this.pollMs * 5);
    } finally {
      await bridge?.close();
    }
  }

  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    await this.init();
    const sb = this.store.sandbox(sandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    const host = sb.hostNetwork ? '127.0.0.1' : sb.ip;
    if (!host) throw new RuntimeError('Unsupported', `sandbox ${sandboxId} has no IP`);
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      sock.once('connect', () => {
        sock.removeListener('error', reject);
        resolve(sock);
      });
      sock.once('error', reject);
    });
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    await this.init();
    const rec = this.store.container(id);
    if (!rec) return undefined;
    const usage = await this.cgroups.usage(rec.cgroupPath);
    if (!usage) return undefined;
    const logSize = await fsp.stat(rec.logPath).then((s) => s.size, () => 0);
    return {
      timestamp: this.clock.now(),
      ...usage,
      rootfsUsedBytes: await diskUsage(this.layout.upperDir(id)),
      logsUsedBytes: logSize,
    };
  }

  async close(): Promise<void> {
    // conmon monitors the containers and state is on disk (warm sandboxes too, for the next
    // start): only the launcher is ours to stop
    this.closed = true;
    await this.refilling;
    if (this.ownLauncher) await this.launcher.close();
  }
}
