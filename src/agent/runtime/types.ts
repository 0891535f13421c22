// The container runtime contract of the node agent: a CRI-shaped interface (sandboxes and
// containers) that the pod workers, the relist loop and the streaming server program against.
// The real implementation drives crun/runc through conmon (runtime/oci.ts); unit tests use
// pods/fake-runtime.ts. Everything here is plain data so a fake and the real thing are
// interchangeable.
//
// Contract:
// - Ids are opaque strings chosen by the runtime; they survive agent restarts (state lives on
//   disk under the runtime's root), so listPodSandboxes/listContainers after a restart return
//   the same ids and the current state of containers that kept running or exited meanwhile.
// - Every method is safe to call concurrently for different sandboxes; calls for one pod come
//   from that pod's serial worker only (the agent guarantees it).
// - Idempotency: stopping a stopped container/sandbox or removing a removed one succeeds.
// - listContainers/listPodSandboxes are cheap (no process spawns per container): the relist
//   loop calls them about once a second.
// - Failures reject with RuntimeError carrying a stable code.

import type { Readable, Writable, Duplex } from 'node:stream';

export type RuntimeErrorCode =
  | 'NotFound'            // no such sandbox/container
  | 'CreateFailed'        // runtime refused to create (message = the runtime's stderr)
  | 'StartFailed'         // e.g. executable not found; message says why
  | 'NetworkFailed'       // CNI ADD/DEL failed
  | 'ExecFailed'
  | 'Unsupported';

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string) {
    super(message);
    this.name = 'RuntimeError';
    this.code = code;
  }
}

export interface PortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface HostAlias {
  ip: string;
  hostnames: string[];
}

/** What a pod's sandbox needs: network namespace, shared IPC/UTS, hosts/resolv.conf/hostname. */
export interface PodSandboxConfig {
  podUid: string;
  name: string;
  namespace: string;
  /** Incremented when the sandbox is recreated for the same pod. */
  attempt: number;
  /** Pod hostname (pod name, or spec.hostname), and the FQDN's subdomain part if any. */
  hostname: string;
  /** spec.hostNetwork: no new netns, share the host's; no CNI. */
  hostNetwork: boolean;
  /** Written to the sandbox's resolv.conf (ignored with hostNetwork: host's resolv.conf is used). */
  dns: DnsConfig;
  /** Extra /etc/hosts lines (spec.hostAliases). */
  hostAliases: HostAlias[];
  portMappings: PortMapping[];
  /** cgroup path, relative to every v1 hierarchy root, for the pod, e.g. "/skiff/pods/burstable/pod<uid>". */
  cgroupParent: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface SandboxInfo {
  id: string;
  podUid: string;
  name: string;
  namespace: string;
  attempt: number;
  state: 'ready' | 'notready';
  /** ms since epoch */
  createdAt: number;
  /** Pod IP from CNI (undefined with hostNetwork: the agent uses the node IP). */
  ip?: string;
  /** /var/run/netns/... style path, undefined with hostNetwork. */
  netnsPath?: string;
  /** Host files the containers bind-mount at /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  hostsPath: string;
  resolvConfPath: string;
  hostnamePath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  /** Host path bind-mounted (file or directory). */
  hostPath: string;
  readOnly: boolean;
  /** default 'private' */
  propagation?: 'private' | 'rslave' | 'rshared';
}

export interface ContainerResources {
  /** cpu.shares (requests.cpu in millicores * 1024 / 1000, min 2). */
  cpuShares?: number;
  /** CFS quota/period in µs (limits.cpu). */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** memory.limit_in_bytes (limits.memory). */
  memoryLimitBytes?: number;
  pidsLimit?: number;
  oomScoreAdj?: number;
}

export interface ContainerSecurity {
  privileged: boolean;
  readOnlyRootfs: boolean;
  /** Capability names without the CAP_ prefix, as in the Kubernetes API ("NET_ADMIN"). */
  capabilitiesAdd: string[];
  capabilitiesDrop: string[];
  noNewPrivileges: boolean;
}

export interface ContainerConfig {
  /** Container name in the pod spec. */
  name: string;
  /** Restart count: the n-th instance of this container in this pod. */
  attempt: number;
  /** Image id (sha256:<config digest>) as ImageService reports it; recorded in ContainerInfo.imageRef. */
  imageId: string;
  /** The image's unpacked layers, lowest first: overlayfs lowerdirs for the rootfs. */
  imageLayers: string[];
  /** Full argv, already resolved from command/args and the image's ENTRYPOINT/CMD. */
  args: string[];
  /** "K=V" strings, already resolved (image env first, then the pod's). */
  env: string[];
  /** Already resolved ("/" when neither the pod nor the image says). */
  workingDir: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  mounts: Mount[];
  resources: ContainerResources;
  security: ContainerSecurity;
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  /** Signal name for stopContainer ("SIGTERM" unless the image says STOPSIGNAL). */
  stopSignal: string;
  /** Host path of the CRI-format log file ("<RFC3339Nano> stdout|stderr F|P <line>"). */
  logPath: string;
  /** Opaque metadata the agent reads back from ContainerInfo (pod uid, spec hash, ...). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerInfo {
  id: string;
  sandboxId: string;
  podUid: string;
  name: string;
  attempt: number;
  imageId: string;
  state: ContainerState;
  /** ms since epoch; startedAt/finishedAt are set once known. */
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  /** 'OOMKilled' when the kernel OOM-killed it, else 'Completed' (exit 0) or 'Error'. */
  reason?: string;
  message?: string;
  pid?: number;
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ExecOptions {
  cmd: string[];
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Terminal size changes (only with tty). */
  resize?: AsyncIterable<{ width: number; height: number }>;
  /** Kill the exec'd process when aborted (e.g. probe timeout, client went away). */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** true when the process was killed because `signal` aborted. */
  timedOut?: boolean;
}

export interface AttachOptions {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  resize?: AsyncIterable<{ width: number; height: number }>;
  signal?: AbortSignal;
}

/** cAdvisor-style figures read from the container's cgroups. */
export interface ContainerStats {
  /** ms since epoch when read */
  timestamp: number;
  /** cpuacct.usage, nanoseconds */
  cpuUsageNanoSeconds: number;
  /** memory.usage_in_bytes minus inactive file cache (the kubelet's working set) */
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  memoryRssBytes: number;
  /** bytes used by the container's writable layer */
  rootfsUsedBytes: number;
  /** bytes of its log file */
  logsUsedBytes: number;
}

/** Narrows a list to one pod (as CRI's ListContainers filter by pod sandbox). */
export interface ListFilter {
  podUid?: string;
}

export interface Runtime {
  readonly name: string; // "crun" | "runc" | "fake"
  /** Create netns (unless hostNetwork), run CNI, write hosts/resolv.conf/hostname. */
  runPodSandbox(config: PodSandboxConfig): Promise<SandboxInfo>;
  /** Stop every container of the sandbox (KILL), tear down its network. Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Remove a stopped sandbox and its containers, cgroups and files. Idempotent. */
  removePodSandbox(id: string): Promise<void>;
  /** Every sandbox, or only those of one pod (the pod worker's view: O(its sandboxes)). */
  listPodSandboxes(filter?: ListFilter): Promise<SandboxInfo[]>;

  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /**
   * Send the container's stop signal, wait up to graceSeconds, then SIGKILL; resolves once the
   * container has exited. Idempotent.
   */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  /** Remove an exited container (its rootfs upper dir, bundle, cgroup). Keeps the log file. */
  removeContainer(id: string): Promise<void>;
  /** Every container, or only those of one pod; each observed now (exit files, /proc). */
  listContainers(filter?: ListFilter): Promise<ContainerInfo[]>;
  containerStatus(id: string): Promise<ContainerInfo | undefined>;

  /** Run a command in a running container; resolves with its exit code. */
  exec(id: string, options: ExecOptions): Promise<ExecResult>;
  /** Attach to the container's main process stdio; resolves when the client or container ends. */
  attach(id: string, options: AttachOptions): Promise<void>;
  /** Open a TCP connection to `port` inside the sandbox's network namespace. */
  portForward(sandboxId: string, port: number): Promise<Duplex>;
  containerStats(id: string): Promise<ContainerStats | undefined>;

  /** Release the runtime's own resources (timers, mounts it holds); containers keep running. */
  close(): Promise<void>;
}
