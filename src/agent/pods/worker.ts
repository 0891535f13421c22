// PodWorkers: one serial worker per pod UID that executes the sync plan (computePodActions)
// against the runtime, images, volumes and env collaborators, runs lifecycle hooks, keeps
// restart and image-pull back-off, feeds the ProbeManager, and writes the pod status through
// the API when it changed. A newer update replaces a pending one; a pod that starts
// terminating never returns to running. Termination: preStop, stop with the grace period
// (regular containers first, then sidecars in reverse order, see termination.ts),
// stop/remove the sandbox, tear down volumes, write the final status, then confirm deletion
// (DELETE with gracePeriodSeconds=0 and a uid precondition) so the API removes the pod.
//
// Concurrency contract: every runtime call for one pod comes from that pod's worker; update(),
// forget(), relist() and timers only enqueue work. close() waits for in-flight syncs.

import { OrderedSlots } from './slots.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import type { ApiClient, ObjectReference } from '../../client/index.ts';
import { type Clock, type TimerHandle, deadlineSignal } from '../../client/clock.ts';
import type { ImageInfo, ImageService, RegistryAuth } from '../images/types.ts';
import type { AgentPaths } from '../paths.ts';
import type { ContainerInfo, DnsConfig, PodSandboxConfig, Runtime, SandboxInfo } from '../runtime/types.ts';
import { type EnvResolver, type VolumeHostPaths, type VolumeManager } from '../volumes/types.ts';
import { BackoffTracker } from './backoff.ts';
import { buildContainerConfig, terminationLogPath } from './containerconfig.ts';
import { ANNOTATION_TERMINATION_MESSAGE_POLICY, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, containerBackoffKey, podDescription } from './labels.ts';
import { runHook } from './lifecycle.ts';
import { type ObservedPod, type PodActions, computePodActions, isSidecar, latestInstance } from './plan.ts';
import { type RuntimeSnapshot, changedPods, snapshotOf } from './pleg.ts';
import { ProbeManager } from './probes.ts';
import { effectivePullPolicy, registryAuthsFromSecret } from './pullsecrets.ts';
import { podCgroupParent, podQosClass } from './qos.ts';
import { type PodStatusApi, type WaitingReason, generatePodStatus } from './status.ts';
import { TerminationOrdering } from './termination.ts';

/** Where pod status and deletion go (the API; a fake in tests). */
export interface PodStatusWriter {
  /** Write `status` as the pod's status (pods/status). Called only when it changed. */
  patchStatus(pod: KubeObject, status: PodStatusApi): Promise<void>;
  /** Confirm a terminated pod's deletion: DELETE with gracePeriodSeconds=0, preconditions.uid. */
  confirmDeletion(pod: KubeObject): Promise<void>;
}

/** Event sink, shaped like client EventRecorder.event. Best effort, never throws. */
export interface PodEventRecorder {
  event(involved: KubeObject | ObjectReference, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** A PodStatusWriter on the API client: merge-patch of pods/status, DELETE with uid precondition. */
export function apiStatusWriter(client: ApiClient): PodStatusWriter {
  const pods = client.resource('', 'v1', 'pods');
  const ignoreGone = (e: any) => {
    const code = e?.code ?? e?.status?.code ?? e?.statusCode;
    if (code === 404 || code === 409 || e?.reason === 'NotFound' || e?.reason === 'Conflict') return;
    if (typeof e?.message === 'string' && /not found|precondition/i.test(e.message)) return;
    throw e;
  };
  return {
    async patchStatus(pod, status) {
      await pods.patch(pod.metadata.namespace, pod.metadata.name!, 'merge', { metadata: { uid: pod.metadata.uid }, status }, { subresource: 'status' }).catch(ignoreGone);
    },
    async confirmDeletion(pod) {
      await pods.delete(pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch(ignoreGone);
    },
  };
}

export interface PodWorkersOptions {
  runtime: Runtime;
  images: ImageService;
  volumes: VolumeManager;
  env: EnvResolver;
  recorder: PodEventRecorder;
  statusWriter: PodStatusWriter;
  clock: Clock;
  log: Logger;
  nodeName: string;
  /** Node addresses for status.hostIP(s), hostNetwork pods and env facts (first is primary). */
  hostIPs: string[];
  paths: AgentPaths;
  /** cgroup root for pods, e.g. "/skiff" → "/skiff/pods/burstable/pod<uid>". */
  cgroupRoot: string;
  /** Reads a secret for imagePullSecrets (undefined when missing). */
  getSecret(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Cluster DNS servers and domain for the pod's resolv.conf (dnsPolicy ClusterFirst). */
  clusterDNS?: string[];
  clusterDomain?: string;
  /** Node memory capacity (bytes) for Burstable oom_score_adj. */
  nodeMemoryBytes?: number;
  /** Probe manager; by default one is made on the runtime that re-syncs pods on result changes. */
  probes?: ProbeManager;
  /**
   * How many pods may be in runtime work (sandbox set-up, container create/start) at once,
   * granted in the pods' arrival order (default 4). Image pulls and hooks are outside it.
   */
  maxConcurrentStarts?: number;
}

interface PodState {
  uid: string;
  pod: KubeObject;
  pending?: KubeObject;
  running: boolean;
  dirty: boolean;
  /** Termination started (deletion, forget, or a terminal phase). Never goes back. */
  terminating: boolean;
  /** Containers and sandbox stopped (terminal pod, or deleted). */
  terminated: boolean;
  deletionConfirmed: boolean;
  /** Sandboxes removed and volumes torn down after termination. */
  cleanedUp: boolean;
  forgotten: boolean;
  reasons: Map<string, WaitingReason>;
  lastStatus?: PodStatusApi;
  lastStatusJson?: string;
  retry?: { timer: TimerHandle; at: number };
  errorBackoffMs: number;
  termMessages: Map<string, string>;
  done?: Promise<void>;
  /** Arrival order on this agent: earlier pods get runtime slots first. */
  order: number;
  /** Gives back the runtime slot this pod's sync holds, if it holds one. */
  releaseSlot?: () => void;
  /** First seen with a terminal phase (Succeeded/Failed) in the API: it never runs again here. */
  terminalOnArrival: boolean;
}

const DEFAULT_GRACE_SECONDS = 30;
const MIN_GRACE_SECONDS = 2;

/** Go-like duration for event messages: "523ms", "1.2s". */
function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

export class PodWorkers {
  private readonly o: PodWorkersOptions;
  private readonly pods = new Map<string, PodState>();
  private readonly startSlots: OrderedSlots;
  private arrivals = 0;
  private readonly crashBackoff = new BackoffTracker();
  private readonly imageBackoff = new BackoffTracker();
  private snapshot?: RuntimeSnapshot;
  private closed = false;
  readonly probes: ProbeManager;

  constructor(opts: PodWorkersOptions) {
    this.o = opts;
    this.startSlots = new OrderedSlots(opts.maxConcurrentStarts ?? 4);
    this.probes = opts.probes ?? new ProbeManager({
      runtime: opts.runtime,
      clock: opts.clock,
      log: opts.log.child('probes'),
      onChange: (uid) => this.resync(uid),
      onFailure: (pod, name, _kind, message) => opts.recorder.event(this.containerRef(pod, name), 'Warning', 'Unhealthy', message),
    });
  }

  /** Deliver the latest version of a pod bound to this node (every informer add/update). */
  update(pod: KubeObject): void {
    if (this.closed) return;
    const uid = pod.metadata.uid!;
    let st = this.pods.get(uid);
    if (!st) {
      st = { uid, pod, running: false, dirty: false, terminating: false, terminated: false, deletionConfirmed: false, cleanedUp: false, forgotten: false, reasons: new Map(), errorBackoffMs: 1000, termMessages: new Map(), order: this.arrivals++, terminalOnArrival: pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' };
      this.pods.set(uid, st);
    }
    st.pending = pod;
    this.kick(st);
  }

  /** The pod is gone from the API (or no longer bound here): stop it and drop its state. */
  forget(uid: string): void {
    const st = this.pods.get(uid);
    if (!st) return;
    st.forgotten = true;
    st.terminating = true;
    this.kick(st);
  }

  /** Re-run the sync of a known pod (probe change, back-off end, runtime event). */
  resync(uid: string): void {
    const st = this.pods.get(uid);
    if (st && !this.closed) this.kick(st);
  }

  /**
   * One relist of the runtime: diff against the previous snapshot and re-sync the pods whose
   * sandboxes or containers changed. Returns the uids that changed (known or not).
   */
  async relist(): Promise<string[]> {
    const [sandboxes, containers] = await Promise.all([this.o.runtime.listPodSandboxes(), this.o.runtime.listContainers()]);
    const next = snapshotOf(sandboxes, containers);
    const changed = [...changedPods(this.snapshot, next)];
    this.snapshot = next;
    for (const uid of changed) this.resync(uid);
    return changed;
  }

  /**
   * Stop and remove sandboxes of pods this agent does not know (deleted while it was down).
   * Call only once the pod informer has synced.
   */
  async removeOrphans(): Promise<string[]> {
    const sandboxes = await this.o.runtime.listPodSandboxes();
    const orphans = sandboxes.filter((s) => !this.pods.has(s.podUid));
    for (const s of orphans) {
      this.o.log.info('removing orphaned pod sandbox', { pod: `${s.namespace}/${s.name}`, uid: s.podUid });
      await this.o.runtime.stopPodSandbox(s.id).catch((e) => this.o.log.warn('stop orphan sandbox failed', { error: String(e) }));
      await this.o.runtime.removePodSandbox(s.id).catch((e) => this.o.log.warn('remove orphan sandbox failed', { error: String(e) }));
      await this.o.volumes.tearDown(s.podUid).catch(() => {});
    }
    return [...new Set(orphans.map((s) => s.podUid))];
  }

  /** Pod uids with a worker. */
  known(): string[] {
    return [...this.pods.keys()];
  }

  /** The last status written for a pod (tests, debugging). */
  lastStatus(uid: string): PodStatusApi | undefined {
    return this.pods.get(uid)?.lastStatus;
  }

  /** Resolves when no sync is running or queued (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.pods.values()].filter((s) => s.running).map((s) => s.done);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Stop timers and probes and wait for in-flight syncs. Containers keep running. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.pods.values()) this.clearRetry(st);
    this.probes.close();
    await Promise.all([...this.pods.values()].map((s) => s.done));
  }

  private kick(st: PodState): void {
    st.dirty = true;
    if (st.running) return;
    st.running = true;
    st.done = this.loop(st);
  }

  private async loop(st: PodState): Promise<void> {
    try {
      while (st.dirty && !this.closed) {
        st.dirty = false;
        if (st.pending) {
          st.pod = st.pending;
          st.pending = undefined;
        }
        try {
          await this.sync(st);
          st.errorBackoffMs = 1000;
        } catch (e) {
          this.o.log.error('pod sync failed', { pod: podDescription(st.pod), error: (e as Error).message });
          this.retryAt(st, this.o.clock.now() + st.errorBackoffMs);
          st.errorBackoffMs = Math.min(st.errorBackoffMs * 2, 60_000);
        }
      }
    } finally {
      st.running = false;
    }
    if (st.forgotten && st.terminated) {
      this.clearRetry(st);
      this.pods.delete(st.uid);
      this.crashBackoff.forgetPrefix(`${st.uid}/`);
      this.imageBackoff.forgetPrefix(`${st.uid}/`);
    }
  }

  private clearRetry(st: PodState): void {
    if (st.retry) this.o.clock.clearTimeout(st.retry.timer);
    st.retry = undefined;
  }

  /** Make sure the pod is synced again no later than `at`. */
  private retryAt(st: PodState, at: number): void {
    if (this.closed) return;
    if (st.retry && st.retry.at <= at) return;
    this.clearRetry(st);
    const timer = this.o.clock.setTimeout(() => {
      st.retry = undefined;
      this.kick(st);
    }, at - this.o.clock.now());
    st.retry = { timer, at };
  }

  private async observe(uid: string): Promise<ObservedPod> {
    const [sandboxes, containers] = await Promise.all([this.o.runtime.listPodSandboxes({ podUid: uid }), this.o.runtime.listContainers({ podUid: uid })]);
    return { sandboxes, containers };
  }

  // ---- the sync ----

  private async sync(st: PodState): Promise<void> {
    const pod = st.pod;
    if (pod.metadata.deletionTimestamp || st.forgotten) st.terminating = true;
    if (st.terminating) return this.syncTerminating(st);
    if (st.terminated) return; // terminal phase reached: nothing runs again
    if (st.terminalOnArrival) {
      // As the kubelet's pod workers: a pod whose API phase is already terminal when this agent
      // first sees it (an agent restart, a wiped node) is not started again; whatever of it still
      // runs is stopped, and its status stays as the API has it.
      st.terminalOnArrival = false;
      st.terminated = true;
      await this.killPod(pod, await this.observe(st.uid), undefined);
      return;
    }

    let observed = await this.observe(st.uid);
    const now = this.o.clock.now();
    const actions = computePodActions(pod, observed, {
      now,
      backoff: (k) => this.crashBackoff.get(k),
      livenessFailed: (id) => this.probes.livenessFailed(id),
      startupFailed: (id) => this.probes.startupFailed(id),
      startupSucceeded: (id) => this.probes.started(id),
    });
    await this.execute(st, pod, observed, actions);
    observed = await this.observe(st.uid);
    const status = await this.writeStatus(st, observed, false);
    const sandbox = observed.sandboxes.find((s) => s.state === 'ready');
    this.probes.sync(pod, sandbox?.ip ?? this.o.hostIPs[0], observed.containers.filter((c) => c.state === 'running').map((c) => ({ name: c.name, id: c.id, startedAt: c.startedAt ?? c.createdAt })));
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      await this.finish(st, observed);
      await this.writeStatus(st, await this.observe(st.uid), false);
    }
  }

  private async execute(st: PodState, pod: KubeObject, observed: ObservedPod, a: PodActions): Promise<void> {
    const rt = this.o.runtime;
    for (const c of a.containersToRemove) await rt.removeContainer(c.id).catch((e) => this.o.log.warn('remove container failed', { id: c.id, error: String(e) }));
    for (const id of a.sandboxesToRemove) await rt.removePodSandbox(id).catch((e) => this.o.log.warn('remove sandbox failed', { id, error: String(e) }));

    if (a.killPod) {
      await this.killPod(pod, observed, undefined);
      if (!a.createSandbox) return; // the pod is done; status says how
    }
    for (const k of a.containersToKill) {
      const info = observed.containers.find((c) => c.id === k.id);
      if (info) await this.killContainer(pod, info, k.message, this.graceFor(pod, k.reason === 'LivenessProbe' || k.reason === 'StartupProbe' ? k.name : undefined, k.reason));
    }

    let sandboxId = a.sandboxId;
    let sandbox = observed.sandboxes.find((s) => s.id === sandboxId);
    const anythingToStart = a.createSandbox || a.initContainersToStart.length > 0 || a.containersToStart.length > 0;
    let volumes: VolumeHostPaths;
    try {
      volumes = await this.o.volumes.setUp(pod);
    } catch (e) {
      const msg = (e as Error).message;
      this.o.recorder.event(pod, 'Warning', 'FailedMount', msg);
      this.retryAt(st, this.o.clock.now() + 2000);
      return;
    }
    // From here the sync does runtime work: it holds one of the bounded start slots until it
    // returns (given back while it waits for an image pull or a postStart hook).
    if (anythingToStart) st.releaseSlot = await this.startSlots.acquire(st.order);
    try {
      await this.startPod(st, pod, observed, a, anythingToStart, sandboxId, sandbox, volumes);
    } finally {
      st.releaseSlot?.();
      st.releaseSlot = undefined;
    }
  }

  /** Run `fn` without the pod's start slot (a pull or a hook must not hold other pods back). */
  private async withoutSlot<T>(st: PodState, fn: () => Promise<T>): Promise<T> {
    const held = st.releaseSlot;
    if (!held) return fn();
    held();
    st.releaseSlot = undefined;
    try {
      return await fn();
    } finally {
      st.releaseSlot = await this.startSlots.acquire(st.order);
    }
  }

  private async startPod(st: PodState, pod: KubeObject, observed: ObservedPod, a: PodActions, anythingToStart: boolean, sandboxId: string | undefined, sandbox: SandboxInfo | undefined, volumes: VolumeHostPaths): Promise<void> {
    const rt = this.o.runtime;
    if (a.createSandbox) {
      try {
        sandbox = await rt.runPodSandbox(this.sandboxConfig(pod, a.sandboxAttempt));
        sandboxId = sandbox.id;
      } catch (e) {
        this.o.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        this.retryAt(st, this.o.clock.now() + 5000);
        return;
      }
    }

    for (const b of a.containersInBackOff) {
      st.reasons.set(b.name, { reason: 'CrashLoopBackOff', message: b.message });
      this.o.recorder.event(this.containerRef(pod, b.name), 'Warning', 'BackOff', `Back-off restarting failed container ${b.name} in pod ${podDescription(pod)}`);
      this.retryAt(st, b.retryAt);
    }
    if (!anythingToStart || !sandbox || !sandboxId) return;

    if (a.initContainersToStart.length > 0) {
      for (const s of a.initContainersToStart) {
        const spec = (pod.spec?.initContainers ?? []).find((c: any) => c.name === s.name);
        const started = await this.startContainer(st, pod, spec, 'init', sandbox, observed, volumes);
        if (!started && !isSidecar(spec)) return; // initialisation cannot go on past it
        // a started sidecar without a startup probe lets the next init container go now
        if (started && isSidecar(spec) && !spec.startupProbe) st.dirty = true;
      }
      return;
    }
    for (const s of a.containersToStart) {
      const spec = (pod.spec?.containers ?? []).find((c: any) => c.name === s.name);
      await this.startContainer(st, pod, spec, 'regular', sandbox, observed, volumes);
    }
  }

  private sandboxConfig(pod: KubeObject, attempt: number): PodSandboxConfig {
    const spec = pod.spec ?? {};
    const ports = (spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).filter((p: any) => p.hostPort).map((p: any) => ({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol ?? 'TCP', ...(p.hostIP ? { hostIP: p.hostIP } : {}) })));
    return {
      podUid: pod.metadata.uid!,
      name: pod.metadata.name!,
      namespace: pod.metadata.namespace!,
      attempt,
      hostname: spec.hostname ?? pod.metadata.name!,
      hostNetwork: spec.hostNetwork === true,
      dns: this.dnsConfig(pod),
      hostAliases: (spec.hostAliases ?? []).map((h: any) => ({ ip: h.ip, hostnames: h.hostnames ?? [] })),
      portMappings: ports,
      cgroupParent: podCgroupParent(this.o.cgroupRoot, podQosClass(pod), pod.metadata.uid!),
      labels: { [LABEL_POD_UID]: pod.metadata.uid!, [LABEL_POD_NAME]: pod.metadata.name!, [LABEL_POD_NAMESPACE]: pod.metadata.namespace! },
      annotations: { ...(pod.metadata.annotations ?? {}) },
    };
  }

  private dnsConfig(pod: KubeObject): DnsConfig {
    const spec = pod.spec ?? {};
    const policy = spec.dnsPolicy ?? 'ClusterFirst';
    const domain = this.o.clusterDomain ?? 'cluster.local';
    const custom = spec.dnsConfig ?? {};
    let cfg: DnsConfig = { servers: [], searches: [], options: [] };
    const clusterFirst = (policy === 'ClusterFirst' && !spec.hostNetwork) || policy === 'ClusterFirstWithHostNet';
    if (clusterFirst && this.o.clusterDNS?.length) {
      const ns = pod.metadata.namespace;
      cfg = { servers: [...this.o.clusterDNS], searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain], options: ['ndots:5'] };
    }
    if (policy === 'None') cfg = { servers: [], searches: [], options: [] };
    cfg.servers.push(...(custom.nameservers ?? []));
    cfg.searches.push(...(custom.searches ?? []));
    for (const o of custom.options ?? []) cfg.options.push(o.value !== undefined ? `${o.name}:${o.value}` : o.name);
    return cfg;
  }

  private containerRef(pod: KubeObject, name: string): ObjectReference {
    const inits: any[] = pod.spec?.initContainers ?? [];
    const idx = inits.findIndex((c) => c.name === name);
    const fieldPath = idx >= 0 ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
    return { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, fieldPath };
  }

  /** Create and start one container, then run its postStart hook; true when it is running. */
  private async startContainer(st: PodState, pod: KubeObject, spec: any, type: 'init' | 'regular', sandbox: SandboxInfo, observed: ObservedPod, volumes: VolumeHostPaths): Promise<boolean> {
    const ref = this.containerRef(pod, spec.name);
    const latest = latestInstance(observed, spec.name);
    const rec = this.o.recorder;
    if (latest?.state === 'exited') this.crashBackoff.next(containerBackoffKey(pod, spec), latest.finishedAt ?? this.o.clock.now());
    const image = await this.ensureImage(st, pod, spec, ref);
    if (!image) return false;
    const restartCount = latest ? latest.attempt + 1 : 0;
    let env: string[];
    let built;
    try {
      env = await this.o.env.resolve(pod, spec, { nodeName: this.o.nodeName, hostIP: this.o.hostIPs[0] ?? '', podIP: sandbox.ip ?? this.o.hostIPs[0] ?? '', podIPs: sandbox.ip ? [sandbox.ip] : this.o.hostIPs });
      built = buildContainerConfig({ pod, container: spec, type, image, volumes, env, restartCount, paths: this.o.paths, nodeMemoryBytes: this.o.nodeMemoryBytes });
    } catch (e) {
      const msg = (e as Error).message;
      st.reasons.set(spec.name, { reason: 'CreateContainerConfigError', message: msg });
      rec.event(ref, 'Warning', 'Failed', `Error: ${msg}`);
      this.retryAt(st, this.o.clock.now() + 10_000);
      return false;
    }
    let id: string;
    try {
      // small and local: synchronous, not two thread-pool round trips on the pod's start
      mkdirSync(path.dirname(built.terminationLogPath), { recursive: true });
      writeFileSync(built.terminationLogPath, '');
      mkdirSync(path.dirname(built.config.logPath), { recursive: true });
      id = await this.o.runtime.createContainer(sandbox.id, built.config);
    } catch (e) {
      const msg = (e as Error).message;
      st.reasons.set(spec.name, { reason: 'CreateContainerError', message: msg });
      rec.event(ref, 'Warning', 'Failed', `Error: ${msg}`);
      this.retryAt(st, this.o.clock.now() + 10_000);
      return false;
    }
    rec.event(ref, 'Normal', 'Created', `Created container ${spec.name}`);
    try {
      await this.o.runtime.startContainer(id);
    } catch (e) {
      const msg = (e as Error).message;
      st.reasons.set(spec.name, { reason: 'RunContainerError', message: msg });
      rec.event(ref, 'Warning', 'Failed', `Error: ${msg}`);
      return false;
    }
    rec.event(ref, 'Normal', 'Started', `Started container ${spec.name}`);
    st.reasons.delete(spec.name);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const r = await this.withoutSlot(st, () => runHook(postStart, pod, spec, id, sandbox.ip ?? this.o.hostIPs[0], this.o.runtime, this.o.clock));
      if (!r.ok) {
        rec.event(ref, 'Warning', 'FailedPostStartHook', r.message ?? 'PostStartHook failed');
        const info = await this.o.runtime.containerStatus(id);
        if (info) await this.killContainer(pod, info, 'FailedPostStartHook', this.graceFor(pod), true);
        st.reasons.set(spec.name, { reason: 'PostStartHookError', message: r.message });
        return false;
      }
    }
    return true;
  }

  private async pullAuth(pod: KubeObject): Promise<RegistryAuth[]> {
    const auths: RegistryAuth[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      const secret = await this.o.getSecret(pod.metadata.namespace!, ref.name).catch(() => undefined);
      if (secret) auths.push(...registryAuthsFromSecret(secret));
      else this.o.log.warn('image pull secret not found', { pod: podDescription(pod), secret: ref.name });
    }
    return auths;
  }

  private async ensureImage(st: PodState, pod: KubeObject, spec: any, ref: ObjectReference): Promise<ImageInfo | undefined> {
    const image: string = spec.image;
    const rec = this.o.recorder;
    const policy = effectivePullPolicy(spec);
    const present = await this.o.images.status(image).catch(() => undefined);
    if (policy === 'Never' && !present) {
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      st.reasons.set(spec.name, { reason: 'ErrImageNeverPull', message: msg });
      rec.event(ref, 'Warning', 'ErrImageNeverPull', msg);
      return undefined;
    }
    if (present && policy !== 'Always') {
      rec.event(ref, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return present;
    }
    const key = `${st.uid}/${image}`;
    const now = this.o.clock.now();
    const entry = this.imageBackoff.get(key);
    if (entry && now - entry.lastUpdate < entry.durationMs) {
      const msg = `Back-off pulling image "${image}"`;
      st.reasons.set(spec.name, { reason: 'ImagePullBackOff', message: msg });
      rec.event(ref, 'Normal', 'BackOff', msg);
      rec.event(ref, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      this.retryAt(st, entry.lastUpdate + entry.durationMs);
      return undefined;
    }
    rec.event(ref, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = Date.now();
    try {
      const info = await this.withoutSlot(st, async () => this.o.images.pull(image, { auth: await this.pullAuth(pod) }));
      const took = goDuration(Date.now() - started);
      rec.event(ref, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${info.size} bytes.`);
      return info;
    } catch (e) {
      const next = this.imageBackoff.next(key, this.o.clock.now());
      const msg = (e as Error).message;
      st.reasons.set(spec.name, { reason: 'ErrImagePull', message: msg });
      rec.event(ref, 'Warning', 'Failed', `Failed to pull image "${image}": ${msg}`);
      rec.event(ref, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.retryAt(st, next.lastUpdate + next.durationMs);
      return undefined;
    }
  }

  /** Grace period: deletion's, else the probe's terminationGracePeriodSeconds, else the pod's, else 30. */
  private graceFor(pod: KubeObject, probeContainer?: string, reason?: string): number {
    if (pod.metadata.deletionGracePeriodSeconds !== undefined) return pod.metadata.deletionGracePeriodSeconds;
    if (probeContainer) {
      const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c: any) => c.name === probeContainer);
      const probe = reason === 'StartupProbe' ? spec?.startupProbe : spec?.livenessProbe;
      if (probe?.terminationGracePeriodSeconds !== undefined) return probe.terminationGracePeriodSeconds;
    }
    return pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  }

  /**
   * preStop (bounded by the grace period), then (with an ordering) wait for this container's
   * turn, then stop with what is left (at least 2 s once the hook or the wait used time).
   */
  private async killContainer(pod: KubeObject, info: ContainerInfo, message: string | undefined, grace: number, skipPreStop = false, ordering?: TerminationOrdering): Promise<void> {
    try {
      await this.stopOne(pod, info, message, grace, skipPreStop, ordering);
    } finally {
      ordering?.terminated(info.name);
    }
  }

  private async stopOne(pod: KubeObject, info: ContainerInfo, message: string | undefined, grace: number, skipPreStop: boolean, ordering: TerminationOrdering | undefined): Promise<void> {
    if (info.state !== 'running' && info.state !== 'created' && info.state !== 'unknown') return;
    const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c: any) => c.name === info.name);
    const ref = this.containerRef(pod, info.name);
    this.o.recorder.event(ref, 'Normal', 'Killing', message && message !== 'FailedPostStartHook' ? message : `Stopping container ${info.name}`);
    let remaining = grace;
    let spent = false;
    const preStop = spec?.lifecycle?.preStop;
    if (preStop && !skipPreStop && info.state === 'running' && grace > 0) {
      const t0 = this.o.clock.now();
      const d = deadlineSignal(this.o.clock, grace * 1000);
      try {
        const r = await runHook(preStop, pod, spec, info.id, undefined, this.o.runtime, this.o.clock, d.signal);
        if (!r.ok) this.o.recorder.event(ref, 'Warning', 'FailedPreStopHook', r.message ?? 'PreStopHook failed');
      } finally {
        d.dispose();
      }
      remaining = grace - Math.floor((this.o.clock.now() - t0) / 1000);
      spent = true;
    }
    if (ordering && remaining > 0) {
      const waited = await ordering.waitForTurn(info.name, remaining);
      if (waited > 0) {
        remaining -= waited;
        spent = true;
      }
    }
    if (spent && remaining < MIN_GRACE_SECONDS) remaining = MIN_GRACE_SECONDS;
    await this.o.runtime.stopContainer(info.id, remaining);
  }

  private async killPod(pod: KubeObject, observed: ObservedPod, grace: number | undefined): Promise<void> {
    const g = grace ?? this.graceFor(pod);
    const live = observed.containers.filter((c) => c.state === 'running' || c.state === 'unknown');
    const sidecars = (pod.spec?.initContainers ?? []).some(isSidecar);
    const ordering = sidecars ? new TerminationOrdering(pod, live.map((c) => c.name), this.o.clock) : undefined;
    await Promise.all(live.map((c) => this.killContainer(pod, c, undefined, g, false, ordering)));
    for (const s of observed.sandboxes) if (s.state === 'ready') await this.o.runtime.stopPodSandbox(s.id);
  }

  /** Terminal phase reached: stop what still runs; keep the final status. */
  private async finish(st: PodState, observed: ObservedPod): Promise<void> {
    await this.killPod(st.pod, observed, undefined);
    this.probes.removePod(st.uid);
    this.clearRetry(st);
    st.terminated = true;
  }

  private async syncTerminating(st: PodState): Promise<void> {
    const pod = st.pod;
    this.clearRetry(st);
    if (!st.terminated) {
      const observed = await this.observe(st.uid);
      this.probes.removePod(st.uid);
      await this.killPod(pod, observed, this.graceFor(pod));
      st.terminated = true;
    }
    if (!st.cleanedUp) {
      const observed = await this.observe(st.uid);
      if (!st.forgotten) await this.writeStatus(st, observed, true);
      for (const s of observed.sandboxes) await this.o.runtime.removePodSandbox(s.id);
      await this.o.volumes.tearDown(st.uid);
      st.cleanedUp = true;
    }
    if (pod.metadata.deletionTimestamp && !st.forgotten && !st.deletionConfirmed) {
      await this.o.statusWriter.confirmDeletion(pod);
      st.deletionConfirmed = true;
    }
  }

  // ---- status ----

  private async terminationMessages(st: PodState, observed: ObservedPod): Promise<void> {
    const specs: any[] = [...(st.pod.spec?.initContainers ?? []), ...(st.pod.spec?.containers ?? [])];
    for (const c of observed.containers) {
      if (c.state !== 'exited' || st.termMessages.has(c.id)) continue;
      let msg = '';
      try {
        msg = (await readFile(terminationLogPath(this.o.paths, st.uid, c.name, c.attempt), 'utf8')).slice(0, 4096);
      } catch {
        // no file: no message
      }
      const policy = c.annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] ?? specs.find((s) => s.name === c.name)?.terminationMessagePolicy;
      if (!msg && policy === 'FallbackToLogsOnError' && (c.exitCode ?? 0) !== 0) msg = await logTail(c.logPath);
      st.termMessages.set(c.id, msg);
    }
    const live = new Set(observed.containers.map((c) => c.id));
    for (const id of st.termMessages.keys()) if (!live.has(id)) st.termMessages.delete(id);
  }

  private async writeStatus(st: PodState, observed: ObservedPod, terminal: boolean): Promise<PodStatusApi> {
    await this.terminationMessages(st, observed);
    const apiStatus = st.pod.status ?? {};
    const base = st.lastStatus
      ? { ...st.lastStatus, conditions: [...st.lastStatus.conditions.filter((c) => ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'].includes(c.type)), ...(apiStatus.conditions ?? []).filter((c: any) => !['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'].includes(c.type))] }
      : apiStatus;
    const imageRefs = new Map<string, string>();
    for (const c of observed.containers) {
      if (imageRefs.has(c.imageId)) continue;
      const img = await this.o.images.status(c.imageId).catch(() => undefined);
      if (img?.repoDigests[0]) imageRefs.set(c.imageId, img.repoDigests[0]);
    }
    const status = generatePodStatus({ ...st.pod, status: base }, observed, {
      now: this.o.clock.now(),
      runtimeName: this.o.runtime.name,
      hostIPs: this.o.hostIPs,
      waitingReason: (n) => st.reasons.get(n),
      ready: (id) => this.probes.ready(id),
      started: (id) => this.probes.started(id),
      imageRef: (id) => imageRefs.get(id),
      terminationMessage: (c) => st.termMessages.get(c.id) || undefined,
      podIsTerminal: terminal,
    });
    const json = JSON.stringify(status);
    if (json !== st.lastStatusJson) {
      await this.o.statusWriter.patchStatus(st.pod, status);
      st.lastStatusJson = json;
      st.lastStatus = status;
    }
    return status;
  }
}

/** Last lines of a CRI-format log file (at most 80 lines / 2 KiB), for FallbackToLogsOnError. */
async function logTail(file: string): Promise<string> {
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 16_384);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n').filter(Boolean).slice(-80).map((l) => {
        const m = /^\S+ (?:stdout|stderr) [FP] (.*)$/.exec(l);
        return m ? m[1] : l;
      });
      const text = lines.join('\n');
      return text.length > 2048 ? text.slice(-2048) : text;
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

