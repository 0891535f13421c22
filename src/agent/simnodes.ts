// Simulated nodes (the role kwok plays upstream): registers N Node objects with the capacity,
// labels and taints asked for, keeps their Leases in kube-node-lease fresh, moves pods bound
// to them to Running without containers, and confirms their deletion. An API client like any
// agent: everything goes through the API. Used for capacity planning and by the benchmarks.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { ApiClient } from '../client/client.ts';
import { isAlreadyExists, isNotFound, isAbort } from '../client/errors.ts';
import { renewNodeLease } from './node.ts';
import type { SharedInformerFactory } from '../client/factory.ts';
import { type Clock, realClock, delay, rfc3339, rfc3339Micro } from '../client/clock.ts';

export interface SimNodesOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  log: Logger;
  clock?: Clock;
  count: number;
  /** Node names are `<prefix><index>` (default `sim-node-`). */
  prefix?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** Lease renew period in ms (default 10 000, as the kubelet). */
  leaseRenewMs?: number;
  /** Move bound pods to Running (default true). */
  runPods?: boolean;
  /** How many API writes may be in flight at once (default 32). */
  concurrency?: number;
}


/** Parse `k=v,k2=v2`; an entry without `=` is an error. */
export function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`label "${part}" is not key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** Parse `key=value:Effect` or `key:Effect`, comma separated. */
export function parseTaints(s: string): { key: string; value?: string; effect: string }[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
      if (!m) throw new Error(`taint "${t}" is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
      return m[2] === undefined ? { key: m[1]!, effect: m[3]! } : { key: m[1]!, value: m[2], effect: m[3]! };
    });
}

/** The Node object of simulated node `name`. Pure. */
export function simNode(name: string, o: Required<Pick<SimNodesOptions, 'cpu' | 'memory' | 'pods' | 'ephemeralStorage'>> & Pick<SimNodesOptions, 'labels' | 'taints'>, now: string): KubeObject {
  const resources = { cpu: o.cpu, memory: o.memory, pods: String(o.pods), 'ephemeral-storage': o.ephemeralStorage };
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        type: 'simulated',
        ...(o.labels ?? {}),
      },
      annotations: { 'skiff.dev/simulated': 'true', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: o.taints?.length ? { taints: o.taints } : {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'simulated node has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'simulated node has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'simulated node has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'simulated node is posting ready status'),
      ],
      addresses: [{ type: 'Hostname', address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        osImage: 'skiff simulated node',
        kernelVersion: 'simulated',
        containerRuntimeVersion: 'simulated://0',
        kubeletVersion: 'v1.32.0-skiff',
        kubeProxyVersion: 'v1.32.0-skiff',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/** The status a simulated node reports for a running pod. Pure. */
export function runningStatus(pod: KubeObject, podIP: string, now: string): Record<string, unknown> {
  const containers = (pod.spec?.containers ?? []) as { name: string; image: string }[];
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
  return {
    ...(pod.status ?? {}),
    phase: 'Running',
    conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
    hostIP: '10.255.255.254',
    hostIPs: [{ ip: '10.255.255.254' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: now,
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      containerID: `simulated://${pod.metadata.uid}-${c.name}`,
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: now } },
    })),
  };
}

/** A bounded-concurrency runner for API writes. */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Register the nodes, then keep them alive until `signal` aborts. Resolves once every node is
 * registered (the background work continues until abort); `done` settles after it stops.
 */
export async function startSimNodes(opts: SimNodesOptions, signal: AbortSignal): Promise<{ names: string[]; done: Promise<void> }> {
  const clock = opts.clock ?? realClock;
  const prefix = opts.prefix ?? 'sim-node-';
  const shape = {
    cpu: opts.cpu ?? '32',
    memory: opts.memory ?? '256Gi',
    pods: opts.pods ?? 110,
    ephemeralStorage: opts.ephemeralStorage ?? '100Gi',
    labels: opts.labels,
    taints: opts.taints,
  };
  const names = Array.from({ length: opts.count }, (_, i) => `${prefix}${i}`);
  const mine = new Set(names);
  const run = limiter(opts.concurrency ?? 32);
  const nodes = opts.client.resource('', 'v1', 'nodes');
  const pods = opts.client.resource('', 'v1', 'pods');
  const now = () => rfc3339(clock.now());

  await Promise.all(
    names.map((name) =>
      run(async () => {
        try {
          await nodes.create(undefined, simNode(name, shape, now()));
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      }),
    ),
  );
  opts.log.info('simulated nodes registered', { count: names.length, prefix });

  const renewLease = (name: string) => renewNodeLease(opts.client, name, rfc3339Micro(clock.now()));

  const leaseLoop = async () => {
    const period = opts.leaseRenewMs ?? 10_000;
    while (!signal.aborted) {
      await Promise.all(names.map((n) => run(() => renewLease(n)).catch((e) => !isAbort(e) && opts.log.warn('lease renew failed', { node: n, error: String(e) }))));
      if (!(await delay(clock, period, signal))) break;
    }
  };

  // Pods bound to our nodes: Running once, and a graceful delete is confirmed at once.
  let ipCounter = 0;
  const nextIP = () => {
    const n = ipCounter++;
    return `10.${200 + ((n >> 16) & 31)}.${(n >> 8) & 255}.${n & 255}`;
  };
  const handled = new Set<string>();
  const onPod = (pod: KubeObject) => {
    const node = pod.spec?.nodeName;
    if (!node || !mine.has(node)) return;
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp) {
      void run(() => pods.delete(ns, name, { gracePeriodSeconds: 0 })).catch((e) => {
        if (!isNotFound(e) && !isAbort(e)) opts.log.warn('confirming pod deletion failed', { pod: `${ns}/${name}`, error: String(e) });
      });
      return;
    }
    if (opts.runPods === false || pod.status?.phase !== 'Pending' || handled.has(pod.metadata.uid!)) return;
    handled.add(pod.metadata.uid!);
    const status = runningStatus(pod, nextIP(), now());
    void run(() => pods.patch(ns, name, 'merge', { status }, { subresource: 'status' })).catch((e) => {
      handled.delete(pod.metadata.uid!);
      if (!isNotFound(e) && !isAbort(e)) opts.log.warn('pod status update failed', { pod: `${ns}/${name}`, error: String(e) });
    });
  };
  const podInformer = opts.informers.informer('', 'v1', 'pods');
  podInformer.addEventHandler({
    onAdd: (p) => onPod(p),
    onUpdate: (_o, p) => onPod(p),
    onDelete: (p) => handled.delete(p.metadata.uid!),
  });
  opts.informers.start(signal);

  const done = leaseLoop();
  return { names, done };
}
