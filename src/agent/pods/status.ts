// generatePodStatus: the API PodStatus of a pod from its spec, what the runtime reports for
// it, the last sync's failures (image pull, back-off, config errors) and probe results. Pure.
// Follows upstream kubelet generateAPIPodStatus / convertToAPIContainerStatuses / getPhase and
// pkg/kubelet/status/generate.go (condition reasons and messages), sidecars included: a sidecar
// (init container with restartPolicy Always) reports started/ready like a regular container,
// counts as initialised once started, must be ready for ContainersReady/Ready, and does not hold
// the phase: once the regular containers are done, a sidecar's own exit is not counted.

import type { KubeObject } from '../../api/types.ts';
import { rfc3339 } from '../../client/clock.ts';
import type { ContainerInfo } from '../runtime/types.ts';
import { type ObservedPod, instancesOf, isSidecar, sandboxChanged } from './plan.ts';
import { podQosClass } from './qos.ts';

export interface WaitingReason {
  /** ErrImagePull, ImagePullBackOff, ErrImageNeverPull, CrashLoopBackOff, CreateContainerConfigError, CreateContainerError, ... */
  reason: string;
  message?: string;
}

export interface StatusContext {
  now: number;
  /** Runtime name for containerID ("crun" → "crun://<id>"). */
  runtimeName: string;
  hostIP?: string;
  hostIPs?: string[];
  /** Why a container that is not running is waiting, from the last sync (reason cache). */
  waitingReason(containerName: string): WaitingReason | undefined;
  /** Readiness probe has succeeded (and not failed since) for this container instance. */
  ready(containerId: string): boolean;
  /** Startup probe has succeeded for this container instance. */
  started(containerId: string): boolean;
  /** The image's digest reference ("docker.io/library/busybox@sha256:..."), if known. */
  imageRef(imageId: string): string | undefined;
  /** Content of the instance's termination message (file, or log tail on error), if any. */
  terminationMessage(container: ContainerInfo): string | undefined;
  /** The worker finished terminating the pod: report a terminal phase. */
  podIsTerminal?: boolean;
}

export interface ContainerStateApi {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string };
}

export interface ContainerStatusApi {
  name: string;
  state: ContainerStateApi;
  lastState: ContainerStateApi;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime: string;
}

export interface PodStatusApi {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions: PodCondition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime: string;
  qosClass: string;
  initContainerStatuses?: ContainerStatusApi[];
  containerStatuses: ContainerStatusApi[];
  [k: string]: unknown;
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

function time(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : rfc3339(ms);
}

function terminatedState(c: ContainerInfo, runtimeName: string, ctx: StatusContext): ContainerStateApi {
  const exitCode = c.exitCode ?? 0;
  const reason = c.reason === 'OOMKilled' ? 'OOMKilled' : exitCode === 0 ? 'Completed' : (c.reason && c.reason !== 'Completed' ? c.reason : 'Error');
  const message = ctx.terminationMessage(c) ?? c.message;
  return {
    terminated: {
      exitCode,
      reason,
      ...(message ? { message } : {}),
      startedAt: time(c.startedAt),
      finishedAt: time(c.finishedAt),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function stateOf(c: ContainerInfo, ctx: StatusContext): ContainerStateApi {
  switch (c.state) {
    case 'running':
      return { running: { startedAt: rfc3339(c.startedAt ?? c.createdAt) } };
    case 'exited':
      return terminatedState(c, ctx.runtimeName, ctx);
    default:
      return { waiting: { reason: 'ContainerCreating' } };
  }
}

function containerStatuses(pod: KubeObject, specs: any[], observed: ObservedPod, ctx: StatusContext, init: boolean, old: ContainerStatusApi[] | undefined): ContainerStatusApi[] {
  const defaultReason = (pod.spec?.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  return specs.map((spec) => {
    const [latest, previous] = instancesOf(observed, spec.name);
    const prior = old?.find((s) => s.name === spec.name);
    let state: ContainerStateApi = latest ? stateOf(latest, ctx) : { waiting: { reason: defaultReason } };
    let lastState: ContainerStateApi = previous?.state === 'exited' ? terminatedState(previous, ctx.runtimeName, ctx) : (prior && !latest ? prior.lastState : {});
    if (!latest && prior?.state.terminated) state = prior.state; // instance gone: keep what we reported
    const waiting = latest?.state !== 'running' ? ctx.waitingReason(spec.name) : undefined;
    if (waiting) {
      if (state.terminated) lastState = state;
      state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
    }
    const running = latest?.state === 'running';
    let started = false;
    let ready = false;
    if (init && !isSidecar(spec)) {
      started = running;
      ready = latest?.state === 'exited' && latest.exitCode === 0;
    } else if (running) {
      started = !spec.startupProbe || ctx.started(latest.id);
      ready = started && (!spec.readinessProbe || ctx.ready(latest.id));
    }
    const status: ContainerStatusApi = {
      name: spec.name,
      state,
      lastState,
      ready,
      restartCount: latest ? latest.attempt : (prior?.restartCount ?? 0),
      image: spec.image,
      imageID: latest ? (ctx.imageRef(latest.imageId) ?? latest.imageId) : (prior?.imageID ?? ''),
      started,
    };
    if (latest) status.containerID = `${ctx.runtimeName}://${latest.id}`;
    else if (prior?.containerID) status.containerID = prior.containerID;
    return status;
  });
}

/**
 * Upstream getPhase, from the API container statuses. `podHasInitialized`: a regular container of
 * the current sandbox exists (a sidecar restarting after that does not put the pod back in
 * Pending).
 */
export function podPhase(pod: KubeObject, init: ContainerStatusApi[], main: ContainerStatusApi[], podIsTerminal = false, podHasInitialized = false): PodStatusApi['phase'] {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const spec of pod.spec?.initContainers ?? []) {
    const s = init.find((x) => x.name === spec.name);
    if (isSidecar(spec)) {
      // a sidecar counts as running; a terminated one (stopped at the end) is not counted
      if (!s) unknown++;
      else if (s.state.running) {
        if (!s.started) pendingSidecars++;
        running++;
      } else if (s.state.terminated) {
        // not counted
      } else if (s.state.waiting) {
        if (!s.lastState.terminated) {
          pendingSidecars++;
          waiting++;
        }
      } else {
        pendingSidecars++;
        unknown++;
      }
      continue;
    }
    if (!s) {
      pendingInit++;
      continue;
    }
    if (s.state.running) pendingInit++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }
  for (const spec of pod.spec?.containers ?? []) {
    const s = main.find((x) => x.name === spec.name);
    if (!s) unknown++;
    else if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0 || (pendingSidecars > 0 && !podHasInitialized)) return podIsTerminal ? 'Failed' : 'Pending';
  if (waiting > 0) return podIsTerminal ? 'Failed' : 'Pending';
  if (running > 0 && unknown === 0) return podIsTerminal ? 'Failed' : 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return podIsTerminal ? 'Failed' : 'Pending';
}

type Cond = Omit<PodCondition, 'lastProbeTime' | 'lastTransitionTime'>;

function listMessage(what: string, names: string[]): string {
  return `containers with ${what} status: [${names.join(' ')}]`;
}

function initializedCondition(pod: KubeObject, init: ContainerStatusApi[], main: ContainerStatusApi[], phase: string): Cond {
  const specs: any[] = pod.spec?.initContainers ?? [];
  if (specs.length === 0) return { type: 'Initialized', status: 'True' };
  const unknownNames: string[] = [];
  const incomplete: string[] = [];
  for (const spec of specs) {
    const s = init.find((x) => x.name === spec.name);
    if (!s) unknownNames.push(spec.name);
    else if (isSidecar(spec) ? !s.started : !(s.state.terminated && s.state.terminated.exitCode === 0)) incomplete.push(spec.name);
  }
  if (phase === 'Succeeded' && unknownNames.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  if (main.some((s) => s.state.running || s.state.terminated || s.lastState.terminated)) return { type: 'Initialized', status: 'True' };
  const msgs: string[] = [];
  if (unknownNames.length) msgs.push(listMessage('unknown', unknownNames));
  if (incomplete.length) msgs.push(listMessage('incomplete', incomplete));
  if (msgs.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: msgs.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

function containersReadyCondition(pod: KubeObject, init: ContainerStatusApi[], main: ContainerStatusApi[], phase: string): Cond {
  const unknownNames: string[] = [];
  const unready: string[] = [];
  const specs: { spec: any; list: ContainerStatusApi[] }[] = [
    ...(pod.spec?.initContainers ?? []).filter(isSidecar).map((spec: any) => ({ spec, list: init })),
    ...(pod.spec?.containers ?? []).map((spec: any) => ({ spec, list: main })),
  ];
  for (const { spec, list } of specs) {
    const s = list.find((x) => x.name === spec.name);
    if (!s) unknownNames.push(spec.name);
    else if (!s.ready) unready.push(spec.name);
  }
  if (phase === 'Succeeded' && unknownNames.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  const msgs: string[] = [];
  if (unknownNames.length) msgs.push(listMessage('unknown', unknownNames));
  if (unready.length) msgs.push(listMessage('unready', unready));
  if (msgs.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: msgs.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: KubeObject, containersReady: Cond, oldConditions: PodCondition[]): Cond {
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const missing: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = oldConditions.find((x) => x.type === gate.conditionType);
    if (!c) missing.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') missing.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (missing.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: missing.join(', ') };
  return { type: 'Ready', status: 'True' };
}

/** Compute the pod's status. `pod.status` is the previously reported status (kept where upstream keeps it). */
export function generatePodStatus(pod: KubeObject, observed: ObservedPod, ctx: StatusContext): PodStatusApi {
  const old = (pod.status ?? {}) as Partial<PodStatusApi>;
  const oldConditions: PodCondition[] = old.conditions ?? [];
  const initSpecs: any[] = pod.spec?.initContainers ?? [];
  const init = containerStatuses(pod, initSpecs, observed, ctx, true, old.initContainerStatuses);
  const main = containerStatuses(pod, pod.spec?.containers ?? [], observed, ctx, false, old.containerStatuses);
  const sb = sandboxChanged(pod, observed.sandboxes);
  const regular = new Set((pod.spec?.containers ?? []).map((c: any) => c.name));
  const podHasInitialized = sb.sandboxId !== undefined && observed.containers.some((c) => c.sandboxId === sb.sandboxId && regular.has(c.name));
  let phase = podPhase(pod, init, main, ctx.podIsTerminal, podHasInitialized);
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase; // terminal phases are final

  const latestSandbox = observed.sandboxes.find((s) => s.id === sb.sandboxId);
  const containersReady = containersReadyCondition(pod, init, main, phase);
  const computed: Cond[] = [
    { type: 'PodReadyToStartContainers', status: !sb.changed ? 'True' : 'False' },
    initializedCondition(pod, init, main, phase),
    readyCondition(pod, containersReady, oldConditions),
    containersReady,
  ];
  const conditions: PodCondition[] = computed.map((c) => {
    const prev = oldConditions.find((x) => x.type === c.type);
    return {
      type: c.type,
      status: c.status,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      lastProbeTime: null,
      lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : rfc3339(ctx.now),
    };
  });
  for (const c of oldConditions) if (!KUBELET_CONDITIONS.has(c.type)) conditions.push(c);

  const status: PodStatusApi = {
    phase,
    conditions,
    startTime: old.startTime ?? rfc3339(ctx.now),
    qosClass: podQosClass(pod),
    containerStatuses: main,
  };
  if (initSpecs.length) status.initContainerStatuses = init;
  const hostIPs = ctx.hostIPs ?? (ctx.hostIP ? [ctx.hostIP] : []);
  if (hostIPs.length) {
    status.hostIP = hostIPs[0];
    status.hostIPs = hostIPs.map((ip) => ({ ip }));
  }
  const podIPs = pod.spec?.hostNetwork ? hostIPs : latestSandbox?.ip ? [latestSandbox.ip] : (old.podIPs ?? []).map((p) => p.ip);
  if (podIPs.length) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  return status;
}
