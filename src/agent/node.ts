// The agent's Node: registration, the node Lease in kube-node-lease (heartbeat every 10 s, as the
// kubelet), and node status (capacity, allocatable, addresses, nodeInfo, conditions) written when
// it changes or at least every 5 minutes. `buildNodeStatus` is pure; NodeHeartbeat runs the loop.

import * as os from 'node:os';
import { readFile, statfs } from 'node:fs/promises';
import type { KubeObject, OwnerReference } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { ApiClient } from '../client/client.ts';
import { isAbort, isAlreadyExists, isNotFound } from '../client/errors.ts';
import { type Clock, realClock, delay, rfc3339, rfc3339Micro } from '../client/clock.ts';

/** What the host looks like: gathered once by `readHostFacts`, plain data so tests can make one. */
export interface HostFacts {
  hostname: string;
  internalIP: string;
  cpus: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID: string;
  bootID: string;
  systemUUID: string;
}

export interface NodeShape {
  name: string;
  facts: HostFacts;
  /** e.g. "crun://1.8.1" */
  containerRuntimeVersion: string;
  /** Port the agent's streaming server listens on (logs/exec/port-forward). */
  agentPort: number;
  maxPods: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  podCIDR?: string;
}

export interface NodeHealth {
  ready: boolean;
  /** Why not ready, shown in the Ready condition's message. */
  notReadyMessage?: string;
  memoryPressure: boolean;
  diskPressure: boolean;
  pidPressure: boolean;
}

export const KUBELET_VERSION = 'v1.32.0';
const LEASE_DURATION_S = 40;
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024; // memory.available<100Mi, the kubelet's default hard eviction
const EVICTION_NODEFS_FRACTION = 0.1; // nodefs.available<10%

function kib(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** Labels every node carries (kubelet's well-known labels). Pure. */
export function nodeLabels(shape: NodeShape): Record<string, string> {
  const arch = shape.facts.architecture;
  return {
    'kubernetes.io/hostname': shape.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': arch,
    ...(shape.labels ?? {}),
  };
}

/**
 * The node's status as the kubelet reports it. `previous` keeps lastTransitionTime of conditions
 * whose status did not change. Pure.
 */
export function buildNodeStatus(shape: NodeShape, health: NodeHealth, now: string, previous?: Record<string, unknown>): Record<string, unknown> {
  const f = shape.facts;
  const capacity = {
    cpu: String(f.cpus),
    memory: kib(f.memoryBytes),
    'ephemeral-storage': kib(f.ephemeralStorageBytes),
    pods: String(shape.maxPods),
    'hugepages-2Mi': '0',
  };
  const allocatable = {
    ...capacity,
    memory: kib(Math.max(0, f.memoryBytes - EVICTION_MEMORY_BYTES)),
    'ephemeral-storage': String(Math.floor(f.ephemeralStorageBytes * (1 - EVICTION_NODEFS_FRACTION))),
  };
  const prevConds = new Map(((previous?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[]).map((c) => [c.type, c]));
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string) => {
    const prev = prevConds.get(type);
    return {
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      reason,
      message,
    };
  };
  return {
    capacity,
    allocatable,
    conditions: [
      health.memoryPressure
        ? cond('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
        : cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      health.diskPressure
        ? cond('DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure')
        : cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      health.pidPressure
        ? cond('PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available')
        : cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      health.ready
        ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
        : cond('Ready', 'False', 'KubeletNotReady', health.notReadyMessage ?? 'container runtime is not ready'),
    ],
    addresses: [
      { type: 'InternalIP', address: f.internalIP },
      { type: 'Hostname', address: shape.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: shape.agentPort } },
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.systemUUID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: shape.containerRuntimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: f.architecture,
    },
    ...(previous?.images ? { images: previous.images } : {}),
  };
}

/**
 * Renew node `name`'s Lease in kube-node-lease (holder = the node, 40 s duration), creating it
 * when missing; `owners` gives the ownerReferences of a new Lease (the kubelet makes the Node its owner).
 */
export async function renewNodeLease(client: ApiClient, name: string, renewTime: string, owners?: () => Promise<OwnerReference[]>): Promise<void> {
  const leases = client.resource('coordination.k8s.io', 'v1', 'leases');
  const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_S, renewTime };
  try {
    await leases.patch('kube-node-lease', name, 'merge', { spec });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    const ownerReferences = owners ? await owners() : undefined;
    await leases.create('kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease', ...(ownerReferences ? { ownerReferences } : {}) },
      spec,
    });
  }
}

/** The Node object to create at registration. Pure. */
export function buildNode(shape: NodeShape, health: NodeHealth, now: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: shape.name,
      labels: nodeLabels(shape),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      ...(shape.podCIDR ? { podCIDR: shape.podCIDR, podCIDRs: [shape.podCIDR] } : {}),
      ...(shape.taints?.length ? { taints: shape.taints } : {}),
    },
    status: buildNodeStatus(shape, health, now),
  };
}

/** Same status apart from heartbeat times? (then only the periodic report writes it). Pure. */
export function statusChanged(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return true;
  const strip = (s: Record<string, unknown>) =>
    JSON.stringify({ ...s, conditions: ((s.conditions ?? []) as Record<string, unknown>[]).map(({ lastHeartbeatTime: _h, ...rest }) => rest) });
  return strip(a) !== strip(b);
}

function parseArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : arch === 'ia32' ? '386' : arch;
}

/** The first non-internal IPv4 address, skipping bridges and veths the agent made; 127.0.0.1 when none. */
export function pickInternalIP(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>, skip: (name: string) => boolean): string {
  for (const [name, list] of Object.entries(ifaces)) {
    if (skip(name)) continue;
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Interfaces an agent with this bridge made itself (never the node's address). Pure. */
export function agentMadeInterface(bridge: string): (name: string) => boolean {
  return (n) => n === bridge || n.startsWith('veth') || n.startsWith('skiff');
}

/** The address the agent reports as InternalIP (and serves on) when none is given. */
export function defaultNodeIP(bridge: string): string {
  return pickInternalIP(os.networkInterfaces(), agentMadeInterface(bridge));
}

async function readTrim(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return '';
  }
}

/** Read the host's facts (for the Node's capacity and nodeInfo). */
export async function readHostFacts(opts: { dataDir: string; nodeIP?: string; skipInterface?: (name: string) => boolean }): Promise<HostFacts> {
  const osRelease = await readTrim('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? 'Linux';
  let storage = 0;
  try {
    const s = await statfs(opts.dataDir);
    storage = s.blocks * s.bsize;
  } catch {
    storage = 0;
  }
  const skip = opts.skipInterface ?? ((n: string) => n.startsWith('veth') || n.startsWith('cni') || n.startsWith('skiff') || n.startsWith('docker'));
  return {
    hostname: os.hostname().toLowerCase(),
    internalIP: opts.nodeIP ?? pickInternalIP(os.networkInterfaces(), skip),
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    ephemeralStorageBytes: storage,
    kernelVersion: os.release(),
    osImage: pretty,
    architecture: parseArch(os.arch()),
    machineID: await readTrim('/etc/machine-id'),
    bootID: await readTrim('/proc/sys/kernel/random/boot_id'),
    systemUUID: (await readTrim('/sys/class/dmi/id/product_uuid')) || (await readTrim('/etc/machine-id')),
  };
}

export interface NodeHeartbeatOptions {
  client: ApiClient;
  shape: NodeShape;
  log: Logger;
  clock?: Clock;
  /** Current health (runtime and network readiness, pressure). */
  health: () => NodeHealth;
  /** Lease renew and status check period (default 10 000 ms). */
  periodMs?: number;
  /** Status is written at least this often even when unchanged (default 5 min). */
  reportMs?: number;
}

/**
 * Registers the node and keeps its Lease and status fresh until `signal` aborts.
 * `register()` resolves once the Node exists (creating it, or refreshing labels and status of an
 * existing one, as a restarted kubelet does); `run()` is the heartbeat loop.
 */
export class NodeHeartbeat {
  private readonly opts: NodeHeartbeatOptions;
  private readonly clock: Clock;
  private lastStatus: Record<string, unknown> | undefined;
  private lastReport = 0;

  constructor(opts: NodeHeartbeatOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
  }

  private nodes() {
    return this.opts.client.resource('', 'v1', 'nodes');
  }

  async register(): Promise<KubeObject> {
    const { shape } = this.opts;
    const now = rfc3339(this.clock.now());
    try {
      const created = await this.nodes().create(undefined, buildNode(shape, this.opts.health(), now));
      this.lastStatus = created.status as Record<string, unknown>;
      this.lastReport = this.clock.now();
      this.opts.log.info('node registered', { node: shape.name });
      return created;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // Already registered (agent restart): refresh our labels and the whole status.
    const existing = await this.nodes().get(undefined, shape.name);
    const patched = await this.nodes().patch(undefined, shape.name, 'merge', {
      metadata: { labels: nodeLabels(shape) },
      ...(shape.podCIDR && !existing.spec?.podCIDR ? { spec: { podCIDR: shape.podCIDR, podCIDRs: [shape.podCIDR] } } : {}),
    });
    await this.syncStatus(true, patched.status as Record<string, unknown> | undefined);
    return patched;
  }

  /** Write the status when it changed, or when the report period has passed (or `force`). */
  async syncStatus(force = false, previous = this.lastStatus): Promise<void> {
    const now = this.clock.now();
    const status = buildNodeStatus(this.opts.shape, this.opts.health(), rfc3339(now), previous);
    if (!force && !statusChanged(this.lastStatus, status) && now - this.lastReport < (this.opts.reportMs ?? 300_000)) return;
    const out = await this.nodes().patch(undefined, this.opts.shape.name, 'merge', { status }, { subresource: 'status' });
    this.lastStatus = out.status as Record<string, unknown>;
    this.lastReport = now;
  }

  async renewLease(): Promise<void> {
    const name = this.opts.shape.name;
    await renewNodeLease(this.opts.client, name, rfc3339Micro(this.clock.now()), async () => {
      const node = await this.nodes().get(undefined, name);
      return [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid! }];
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const period = this.opts.periodMs ?? 10_000;
    while (!signal.aborted) {
      for (const [what, fn] of [
        ['lease', () => this.renewLease()],
        ['status', () => this.syncStatus()],
      ] as const) {
        try {
          await fn();
        } catch (e) {
          if (isAbort(e) || signal.aborted) return;
          if (isNotFound(e) && what === 'status') {
            // The Node was deleted under us: register again, as the kubelet does.
            await this.register().catch((err) => this.opts.log.warn('node re-registration failed', { error: String(err) }));
          } else {
            this.opts.log.warn(`node ${what} update failed`, { error: String(e) });
          }
        }
      }
      if (!(await delay(this.clock, period, signal))) return;
    }
  }
}
