// The node agent (the kubelet role), assembled: host checks, the pod network (CNI), the OCI
// runtime (crun/runc under conmon), the image store (with archives in <data-dir>/agent/images
// imported at start), pod inputs (volumes, env), the streaming server (logs, exec, attach,
// port-forward, stats), Node registration with its Lease heartbeat, the pod informer for pods
// bound to this node feeding the pod workers, and the runtime relist. Wiring only: every part
// is built and tested in its own folder.
//
// ```mermaid
// flowchart LR
//   API[(apiserver)] -- pods spec.nodeName=me --> INF[pod informer] --> PW[PodWorkers]
//   PW -- plan → act --> RT[OciRuntime: conmon + crun] --> CNI[CniNetwork]
//   PW --> IMG[LocalImageStore] & VOL[volumes + env]
//   RT -. relist 1 s .-> PW
//   PW -- pods/status, events --> API
//   HB[NodeHeartbeat] -- Node, Lease --> API
//   API -- logs/exec/attach/port-forward --> SS[StreamingServer] --> RT
// ```

import { mkdir, readdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as path from 'node:path';
import type { Logger } from '../base/log.ts';
import type { ApiClient } from '../client/client.ts';
import { SharedInformerFactory } from '../client/factory.ts';
import { EventRecorder } from '../client/events.ts';
import { realClock, type Clock } from '../client/clock.ts';
import { agentPaths } from './paths.ts';
import { NodeHeartbeat, agentMadeInterface, readHostFacts } from './node.ts';
import { Launcher } from './launcher.ts';
import { CniNetwork } from './network/cni.ts';
import { OciRuntime } from './runtime/oci.ts';
import { LocalImageStore } from './images/store.ts';
import { ApiPodInputSource } from './volumes/apisource.ts';
import { HostVolumeManager } from './volumes/manager.ts';
import { PodEnvResolver } from './volumes/env.ts';
import { PodWorkers, apiStatusWriter } from './pods/worker.ts';
import { RelistLoop } from './pods/pleg.ts';
import { StreamingServer } from './streaming/server.ts';

const run = promisify(execFile);

export interface AgentConfig {
  /** Node name (default: the host name). */
  nodeName: string;
  /** Address reported as InternalIP and dialled by the apiserver (default: first non-loopback IPv4). */
  nodeIP?: string;
  /** Streaming server port (kubelet's 10250; 0 picks a free one). */
  port: number;
  /** 'crun' (default) or 'runc'. */
  runtime: string;
  podCIDR: string;
  clusterCIDR?: string;
  bridge: string;
  cgroupRoot: string;
  /** Drop pod traffic leaving the node (tests must never send traffic off the machine). */
  blockPodEgress: boolean;
  clusterDNS: string[];
  clusterDomain: string;
  maxPods: number;
  /** Pod sandboxes (namespaces + network) kept ready ahead of pods; 0 turns the pool off. */
  warmSandboxes: number;
}

export { DEFAULT_AGENT_CONFIG } from './defaults.ts';

export interface StartAgentOptions {
  /** API client authenticated as the node (system:node:<name>, group system:nodes). */
  client: ApiClient;
  dataDir: string;
  config: AgentConfig;
  /** Streaming server TLS: our certificate and key, and the CA of the apiserver's client certificates. */
  tls: { cert: string; key: string; ca: string };
  log: Logger;
  clock?: Clock;
  signal: AbortSignal;
}

export interface RunningAgent {
  nodeName: string;
  port: number;
  /** Settles after `signal` aborted and everything stopped (containers keep running). */
  done: Promise<void>;
}

/** The pod network of an agent config (also used by reset-node). */
export function podNetworkFor(dataDir: string, config: Pick<AgentConfig, 'bridge' | 'podCIDR' | 'clusterCIDR' | 'blockPodEgress'>, log: Logger, launcher?: Launcher): CniNetwork {
  return new CniNetwork({
    launcher,
    stateDir: agentPaths(dataDir).cni,
    bridge: config.bridge,
    podCIDR: config.podCIDR,
    clusterCIDR: config.clusterCIDR,
    blockEgress: config.blockPodEgress,
    log: log.child('cni'),
  });
}

async function runtimeVersion(binary: string): Promise<string> {
  try {
    const { stdout } = await run(binary, ['--version']);
    const m = /version\s+(\S+)/.exec(stdout);
    return `${path.basename(binary)}://${m?.[1] ?? 'unknown'}`;
  } catch {
    return `${path.basename(binary)}://unknown`;
  }
}

/** Import every archive in the air-gap directory (as k3s does with agent/images/*.tar). */
async function importArchives(images: LocalImageStore, dir: string, log: Logger): Promise<void> {
  let files: string[] = [];
  try {
    files = (await readdir(dir)).filter((f) => /\.(tar|oci|docker)$/.test(f));
  } catch {
    return;
  }
  for (const f of files) {
    try {
      const imported = await images.importArchive(path.join(dir, f));
      log.info('imported image archive', { file: f, images: imported.flatMap((i) => i.repoTags) });
    } catch (e) {
      log.warn('image archive import failed', { file: f, error: String(e) });
    }
  }
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const { config, client, log, signal } = opts;
  const clock = opts.clock ?? realClock;
  const paths = agentPaths(opts.dataDir);
  for (const dir of [paths.root, paths.images, paths.runtime, paths.cni, paths.pods, paths.logs]) await mkdir(dir, { recursive: true, mode: 0o700 });
  // (crun's hugetlb trap is handled by the runtime itself on its first call: ensureHostCgroups)

  // every host program (mount, CNI plugins, conmon, crun) starts from one small helper process
  const launcher = new Launcher();
  const network = podNetworkFor(opts.dataDir, config, log, launcher);
  const runtime = new OciRuntime({ root: paths.runtime, runtimeBinary: config.runtime, network, cgroupRoot: '/', log: log.child('runtime'), clock, launcher, warmSandboxes: config.warmSandboxes });
  const images = new LocalImageStore({ root: paths.images, log: log.child('images'), clock });
  await importArchives(images, paths.imageImports, log);

  const facts = await readHostFacts({ dataDir: opts.dataDir, nodeIP: config.nodeIP, skipInterface: agentMadeInterface(config.bridge) });
  const allocatable = { cpu: String(facts.cpus), memory: String(facts.memoryBytes), 'ephemeral-storage': String(facts.ephemeralStorageBytes) };
  const informers = new SharedInformerFactory({ client, log: log.child('informers'), clock });
  const source = new ApiPodInputSource({ client, services: informers.informer('', 'v1', 'services') });
  const volumes = new HostVolumeManager({ podsDir: paths.pods, source, log: log.child('volumes'), clock, nodeName: config.nodeName, allocatable });
  const recorder = new EventRecorder({ client, component: 'kubelet', host: config.nodeName, clock, log: log.child('events') });
  const env = new PodEnvResolver({ source, allocatable, onInvalidKeys: (pod, message) => recorder.event(pod, 'Warning', 'InvalidEnvironmentVariableNames', message) });

  const streaming = new StreamingServer({ runtime, tls: opts.tls, nodeName: config.nodeName, log: log.child('streaming') });
  const bindHost = config.nodeIP ?? '0.0.0.0';
  const addr = await streaming.listen(config.port, bindHost);

  const heartbeat = new NodeHeartbeat({
    client,
    clock,
    log: log.child('node'),
    shape: {
      name: config.nodeName,
      facts,
      containerRuntimeVersion: await runtimeVersion(config.runtime.startsWith('/') ? config.runtime : config.runtime === 'runc' ? '/usr/sbin/runc' : '/usr/bin/crun'),
      agentPort: addr.port,
      maxPods: config.maxPods,
      podCIDR: config.podCIDR,
    },
    health: () => ({ ready: true, memoryPressure: false, diskPressure: false, pidPressure: false }),
  });
  await heartbeat.register();

  const workers = new PodWorkers({
    runtime,
    images,
    volumes,
    env,
    recorder,
    statusWriter: apiStatusWriter(client),
    clock,
    log: log.child('pods'),
    nodeName: config.nodeName,
    hostIPs: [facts.internalIP],
    paths,
    cgroupRoot: config.cgroupRoot,
    getSecret: (ns, name) => source.getSecret(ns, name),
    clusterDNS: config.clusterDNS,
    clusterDomain: config.clusterDomain,
    nodeMemoryBytes: facts.memoryBytes,
  });

  const pods = informers.informer('', 'v1', 'pods', { fieldSelector: `spec.nodeName=${config.nodeName}` });
  pods.addEventHandler({
    onAdd: (p) => workers.update(p),
    onUpdate: (_o, p) => workers.update(p),
    onDelete: (p) => workers.forget(p.metadata.uid!),
  });
  informers.start(signal);
  const relist = new RelistLoop({ clock, log: log.child('pleg'), relist: () => workers.relist() });

  const done = (async () => {
    if (await informers.waitForCacheSync(signal)) {
      await workers.removeOrphans().catch((e) => log.warn('orphan cleanup failed', { error: String(e) }));
      relist.start();
    }
    await heartbeat.run(signal);
    await relist.close();
    await informers.shutdown();
    await workers.close();
    await streaming.close();
    await recorder.flush();
    await runtime.close();
    await launcher.close();
  })();
  log.info('node agent started', { node: config.nodeName, port: addr.port, runtime: config.runtime, podCIDR: config.podCIDR });
  return { nodeName: config.nodeName, port: addr.port, done };
}
