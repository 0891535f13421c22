// The OCI runtime spec (a bundle's config.json) for one container of a pod, built as a pure
// function of the container's config, its sandbox and a few host paths. This is the part of
// containerd's CRI plugin / CRI-O that turns a CRI ContainerConfig into a spec: namespaces
// (own pid + mount, the sandbox's net/ipc/uts), the standard mounts, the process (argv, env,
// user, capabilities, rlimits), cgroup resources and the masked/read-only paths runc uses.

import type { ContainerConfig, Mount, SandboxInfo } from './types.ts';

/** Host-side facts the spec needs besides the container config and its sandbox. */
export interface BundleOptions {
  /** Directory mounted as the container's root (the overlay's merged dir). */
  rootfsPath: string;
  /** cgroup path relative to every hierarchy root, e.g. "/skiff/pod<uid>/<id>". */
  cgroupsPath: string;
  /** Network namespace file to join; undefined = the host's network namespace. */
  netnsPath?: string;
  /** IPC namespace file shared by the pod; undefined = a private IPC namespace. */
  ipcNsPath?: string;
  /** UTS namespace file shared by the pod; undefined = the host's UTS namespace (hostNetwork). */
  utsNsPath?: string;
  /** Host directory (a tmpfs) bind-mounted at /dev/shm so the pod shares it; else a private tmpfs. */
  shmPath?: string;
  /** Pod hostname, exported as $HOSTNAME unless the env sets it. */
  hostname: string;
  /** RLIMIT_NOFILE soft and hard (default 1048576). */
  nofile?: number;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: {
      devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
      memory?: { limit: number; swap: number };
      cpu?: { shares?: number; quota?: number; period?: number };
      pids?: { limit: number };
    };
    maskedPaths?: string[];
    readonlyPaths?: string[];
  };
}

/** The capabilities a container gets by default (containerd's and CRI-O's default set). */
export const DEFAULT_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

/** Every capability the kernel defines (through CAP_CHECKPOINT_RESTORE), for "ALL" and privileged. */
export const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

/** runc's default masked paths (hidden behind /dev/null or an empty tmpfs). */
export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** runc's default read-only paths. */
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Devices every container may use (runc's allow list), after a deny-all rule. */
const DEFAULT_DEVICE_RULES = [
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },   // null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },   // zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },   // full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },   // random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },   // urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },   // tty
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },   // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' },           // pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
];

function normalizeCap(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}

/**
 * The capability set of a container, as containerd computes it: start from the default set,
 * "ALL" in add means every capability and "ALL" in drop means none; then individual adds, then
 * individual drops. Privileged containers get every capability. Returned with the CAP_ prefix.
 */
export function containerCapabilities(add: string[], drop: string[], privileged: boolean): string[] {
  if (privileged) return ALL_CAPABILITIES.map((c) => 'CAP_' + c);
  const adds = add.map(normalizeCap);
  const drops = drop.map(normalizeCap);
  let caps = [...DEFAULT_CAPABILITIES];
  if (adds.includes('ALL')) caps = [...ALL_CAPABILITIES];
  if (drops.includes('ALL')) caps = [];
  for (const c of adds) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  caps = caps.filter((c) => !drops.includes(c));
  return caps.map((c) => 'CAP_' + c);
}

function propagationOption(m: Mount): string {
  return m.propagation ?? 'rprivate';
}

/** Bind mounts from the pod spec, parents before children (sorted by path depth, stable). */
function userMounts(mounts: Mount[]): OciMount[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return [...mounts]
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.containerPath) - depth(b.m.containerPath) || a.i - b.i)
    .map(({ m }) => ({
      destination: m.containerPath,
      type: 'bind',
      source: m.hostPath,
      options: ['rbind', propagationOption(m), m.readOnly ? 'ro' : 'rw'],
    }));
}

/** The OCI runtime spec (config.json) for `config` running in `sandbox`. Pure. */
export function buildSpec(config: ContainerConfig, sandbox: SandboxInfo, opts: BundleOptions): OciSpec {
  const sec = config.security;
  const privileged = sec.privileged;
  const caps = containerCapabilities(sec.capabilitiesAdd, sec.capabilitiesDrop, privileged);
  const nofile = opts.nofile ?? 1048576;

  const env = [...config.env];
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.unshift(`HOSTNAME=${opts.hostname}`);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');

  const etcRw = sec.readOnlyRootfs ? 'ro' : 'rw';
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    opts.shmPath
      ? { destination: '/dev/shm', type: 'bind', source: opts.shmPath, options: ['rbind', 'rprivate', 'nosuid', 'noexec', 'nodev'] }
      : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: sandbox.hostsPath, options: ['rbind', 'rprivate', etcRw] },
    { destination: '/etc/resolv.conf', type: 'bind', source: sandbox.resolvConfPath, options: ['rbind', 'rprivate', etcRw] },
    { destination: '/etc/hostname', type: 'bind', source: sandbox.hostnamePath, options: ['rbind', 'rprivate', etcRw] },
    ...userMounts(config.mounts),
  ];

  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'mount' }];
  if (opts.netnsPath) namespaces.push({ type: 'network', path: opts.netnsPath });
  namespaces.push(opts.ipcNsPath ? { type: 'ipc', path: opts.ipcNsPath } : { type: 'ipc' });
  if (opts.utsNsPath) namespaces.push({ type: 'uts', path: opts.utsNsPath });

  const r = config.resources;
  const resources: OciSpec['linux']['resources'] = {
    devices: privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }, ...DEFAULT_DEVICE_RULES],
  };
  if (r.memoryLimitBytes !== undefined && r.memoryLimitBytes > 0) {
    resources.memory = { limit: r.memoryLimitBytes, swap: r.memoryLimitBytes };
  }
  const cpu: { shares?: number; quota?: number; period?: number } = {};
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpuQuota !== undefined && r.cpuQuota > 0) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod !== undefined && r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };

  const user: OciSpec['process']['user'] = { uid: config.uid, gid: config.gid };
  if (config.additionalGids.length > 0) user.additionalGids = [...config.additionalGids];

  const process: OciSpec['process'] = {
    terminal: config.tty,
    user,
    args: [...config.args],
    env,
    cwd: config.workingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
    noNewPrivileges: sec.noNewPrivileges && !privileged,
  };
  if (r.oomScoreAdj !== undefined) process.oomScoreAdj = r.oomScoreAdj;

  const linux: OciSpec['linux'] = { namespaces, cgroupsPath: opts.cgroupsPath, resources };
  if (!privileged) {
    linux.maskedPaths = [...DEFAULT_MASKED_PATHS];
    linux.readonlyPaths = [...DEFAULT_READONLY_PATHS];
  }

  return {
    ociVersion: '1.0.2',
    process,
    root: { path: opts.rootfsPath, readonly: sec.readOnlyRootfs },
    mounts,
    annotations: { ...config.annotations, 'io.kubernetes.cri.sandbox-id': sandbox.id, 'io.kubernetes.cri.container-name': config.name },
    linux,
  };
}
