// computePodActions: the pure decision at the heart of a pod sync. From the pod spec and what
// the runtime reports for that pod (its sandboxes and container instances), decide what one
// sync must do: kill the pod, (re)create its sandbox, start the next init container, start or
// restart main containers, kill containers (changed spec, failed liveness/startup probe), wait
// out a crash-loop back-off, and garbage-collect old exited instances. The pod worker executes
// the record; nothing here touches the runtime.
//
// Follows upstream kuberuntime computePodActions / computeInitContainerActions /
// ShouldContainerBeRestarted, with sidecar containers (KEP-753: init containers with
// restartPolicy Always) as the kubelet runs them since 1.29: init containers go in order; a
// sidecar counts as done once it is started (startup probe succeeded, else running with its
// postStart hook finished, which the worker awaits before its next sync); sidecars are restarted
// whenever they exit, whatever the pod's restartPolicy; and once no regular container is left to
// run, the whole pod (sidecars included) is killed.

import type { KubeObject } from '../../api/types.ts';
import type { ContainerInfo, SandboxInfo } from '../runtime/types.ts';
import { type BackoffEntry, formatDuration, inBackOff } from './backoff.ts';
import { LABEL_CONTAINER_HASH, containerBackoffKey, containerHash, podDescription } from './labels.ts';

/** What the runtime reports for one pod (already filtered by pod uid). */
export interface ObservedPod {
  sandboxes: SandboxInfo[];
  containers: ContainerInfo[];
}

export interface PlanContext {
  now: number;
  /** Current restart back-off entry of a key (see containerBackoffKey), if any. */
  backoff(key: string): BackoffEntry | undefined;
  /** The liveness probe of this container instance has failed (failureThreshold reached). */
  livenessFailed(containerId: string): boolean;
  /** The startup probe of this container instance has failed. */
  startupFailed(containerId: string): boolean;
  /** The startup probe of this container instance has succeeded (sidecar start gating). */
  startupSucceeded?(containerId: string): boolean;
}

export type StartReason = 'NotStarted' | 'Restart' | 'DefinitionChanged' | 'LivenessProbe' | 'StartupProbe' | 'UnknownState';
export type KillReason = 'DefinitionChanged' | 'LivenessProbe' | 'StartupProbe' | 'UnknownState';

export interface ContainerToStart {
  name: string;
  reason: StartReason;
}

export interface ContainerToKill {
  id: string;
  name: string;
  reason: KillReason;
  /** As the Killing event says it, e.g. "Container app failed liveness probe, will be restarted". */
  message: string;
}

export interface ContainerInBackOff {
  name: string;
  /** "back-off 10s restarting failed container=app pod=web_default(uid)" */
  message: string;
  /** When the back-off ends (ms since epoch): the worker re-syncs then. */
  retryAt: number;
}

export interface PodActions {
  /** Stop every container and the sandbox (before recreating it when createSandbox is set). */
  killPod: boolean;
  createSandbox: boolean;
  /** Attempt number for the new sandbox (when createSandbox). */
  sandboxAttempt: number;
  /** The sandbox to run containers in (the current ready one), when not creating one. */
  sandboxId?: string;
  /**
   * Init containers to start now, in spec order: at most one regular init container or newly
   * reached sidecar (the next one in line), plus sidecars to restart. The worker stops at the
   * first regular init container that fails to start; a sidecar that fails is skipped.
   */
  initContainersToStart: ContainerToStart[];
  /** Main containers to start, in spec order. */
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
  /** Containers (init or main) that should start but whose back-off has not elapsed. */
  containersInBackOff: ContainerInBackOff[];
  /** Old exited instances to garbage-collect (the newest two per container are kept). */
  containersToRemove: { id: string; name: string }[];
  /** Sandboxes no longer current and holding none of the kept containers. */
  sandboxesToRemove: string[];
}

type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

function restartPolicy(pod: KubeObject): RestartPolicy {
  return (pod.spec?.restartPolicy as RestartPolicy) ?? 'Always';
}

/** Newest first (creation time, then attempt). */
function newestFirst(a: { createdAt: number; attempt: number }, b: { createdAt: number; attempt: number }): number {
  return b.createdAt - a.createdAt || b.attempt - a.attempt;
}

/** Instances of one container, newest first. */
export function instancesOf(observed: ObservedPod, name: string): ContainerInfo[] {
  return observed.containers.filter((c) => c.name === name).sort(newestFirst);
}

/** The newest instance of a container, if any ran. */
export function latestInstance(observed: ObservedPod, name: string): ContainerInfo | undefined {
  return instancesOf(observed, name)[0];
}

function initContainerFailed(s: ContainerInfo): boolean {
  return s.state === 'unknown' || (s.state === 'exited' && (s.exitCode ?? 0) !== 0);
}

/** Upstream ShouldContainerBeRestarted. */
export function shouldContainerBeStarted(pod: KubeObject, latest: ContainerInfo | undefined): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  if (!latest) return true;
  if (latest.state === 'running') return false;
  if (latest.state === 'unknown' || latest.state === 'created') return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && (latest.exitCode ?? 0) === 0) return false;
  return true;
}

/**
 * Upstream podSandboxChanged: whether a new sandbox is needed, its attempt, and the current
 * sandbox id when it is still usable.
 */
export function sandboxChanged(pod: KubeObject, sandboxes: SandboxInfo[]): { changed: boolean; attempt: number; sandboxId?: string } {
  if (sandboxes.length === 0) return { changed: true, attempt: 0 };
  const sorted = [...sandboxes].sort(newestFirst);
  const latest = sorted[0]!;
  const ready = sorted.filter((s) => s.state === 'ready').length;
  const next = latest.attempt + 1;
  if (ready > 1) return { changed: true, attempt: next, sandboxId: latest.id };
  if (latest.state !== 'ready') return { changed: true, attempt: next, sandboxId: latest.id };
  const hostNetwork = pod.spec?.hostNetwork === true;
  if (hostNetwork !== (latest.netnsPath === undefined)) return { changed: true, attempt: next, sandboxId: latest.id };
  if (!hostNetwork && !latest.ip) return { changed: true, attempt: next, sandboxId: latest.id };
  return { changed: false, attempt: latest.attempt, sandboxId: latest.id };
}

/** A sidecar: an init container with restartPolicy Always (upstream IsRestartableInitContainer). */
export function isSidecar(container: any): boolean {
  return container?.restartPolicy === 'Always';
}

/** What the init containers need (upstream computeInitContainerActions). */
export interface InitActions {
  /** Init containers to start, in spec order. */
  toStart: { index: number; name: string; reason: StartReason }[];
  /** Sidecars (or unknown-state init containers) to kill before they are started again. */
  toKill: ContainerToKill[];
  /** A regular init container failed for good (restartPolicy Never): the pod is done. */
  killPod: boolean;
  /** Initialisation is complete: regular containers may run. */
  initialized: boolean;
}

type InitProbes = Pick<PlanContext, 'livenessFailed' | 'startupFailed' | 'startupSucceeded'>;

/**
 * Upstream computeInitContainerActions: walk the init containers from the last one back, find
 * the next one to start (the one after the latest that completed, or after the latest sidecar
 * that started), keep every sidecar before it running (restart on exit, failed liveness or
 * startup probe, changed definition), and say whether initialisation is complete. Walking
 * backwards means completed init containers that were garbage-collected are not run again.
 * Once a regular container has been created, only sidecars are looked after.
 */
export function initContainerActions(pod: KubeObject, observed: ObservedPod, probes: InitProbes): InitActions {
  const inits: any[] = pod.spec?.initContainers ?? [];
  const none: InitActions = { toStart: [], toKill: [], killPod: false, initialized: true };
  if (inits.length === 0) return none;
  let initialized = (pod.spec?.containers ?? []).some((c: any) => {
    const state = latestInstance(observed, c.name)?.state;
    return state === 'running' || state === 'created';
  });
  let previouslyInitialized = initialized;
  const restartOnFailure = restartPolicy(pod) !== 'Never';
  const toStart: InitActions['toStart'] = [];
  const toKill: ContainerToKill[] = [];
  const start = (index: number, reason: StartReason) => toStart.push({ index, name: inits[index].name, reason });
  const kill = (s: ContainerInfo, reason: KillReason, message: string) => toKill.push({ id: s.id, name: s.name, reason, message });
  const failed = (): InitActions => ({ toStart: [], toKill, killPod: true, initialized: false });

  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i];
    const sidecar = isSidecar(c);
    const s = latestInstance(observed, c.name);
    if (!s) {
      // its instances are gone: a sidecar of an initialised pod is started again
      if (previouslyInitialized && sidecar) start(i, 'NotStarted');
      continue;
    }
    if (previouslyInitialized && !sidecar) continue; // done before; only sidecars are kept running
    switch (s.state) {
      case 'created':
        // create and start are one step: a container left created failed to start
        start(i, 'Restart');
        break;
      case 'running': {
        if (!sidecar) break; // wait for it to finish
        if (c.startupProbe && !probes.startupSucceeded?.(s.id)) {
          if (probes.startupFailed(s.id)) {
            kill(s, 'StartupProbe', `Init container ${c.name} failed startup probe`);
            start(i, 'StartupProbe');
          }
          break; // not started yet: the next init container waits
        }
        if (i === inits.length - 1) initialized = true;
        else if (!previouslyInitialized) start(i + 1, 'NotStarted');
        const hash = s.labels[LABEL_CONTAINER_HASH];
        if (hash !== undefined && hash !== containerHash(c)) {
          kill(s, 'DefinitionChanged', `Init container ${c.name} definition changed`);
          start(i, 'DefinitionChanged');
        } else if (probes.livenessFailed(s.id)) {
          kill(s, 'LivenessProbe', `Init container ${c.name} failed liveness probe`);
          start(i, 'LivenessProbe');
        }
        break;
      }
      case 'exited':
        if (sidecar) start(i, 'Restart'); // whatever the exit code and the pod's restartPolicy
        else if (initContainerFailed(s)) {
          if (!restartOnFailure) return failed();
          start(i, 'Restart');
        } else if (i === inits.length - 1) initialized = true;
        else start(i + 1, 'NotStarted');
        break;
      default:
        if (!sidecar && !restartOnFailure) return failed();
        kill(s, 'UnknownState', `Init container ${c.name} is in "unknown" state, try killing it`);
        start(i, 'UnknownState');
    }
    previouslyInitialized = true;
  }
  if (!previouslyInitialized) start(0, 'NotStarted');
  return { toStart: toStart.reverse(), toKill, killPod: false, initialized };
}

function backOffFor(pod: KubeObject, container: any, latest: ContainerInfo | undefined, ctx: PlanContext): ContainerInBackOff | undefined {
  if (!latest || latest.state !== 'exited') return undefined;
  const since = latest.finishedAt ?? latest.createdAt;
  const entry = ctx.backoff(containerBackoffKey(pod, container));
  if (!entry || !inBackOff(entry, since, ctx.now)) return undefined;
  return {
    name: container.name,
    message: `back-off ${formatDuration(entry.durationMs)} restarting failed container=${container.name} pod=${podDescription(pod)}`,
    retryAt: since + entry.durationMs,
  };
}

function garbage(pod: KubeObject, observed: ObservedPod, current: string | undefined): { containers: { id: string; name: string }[]; sandboxes: string[] } {
  const names = new Set<string>([...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c: any) => c.name));
  const remove: { id: string; name: string }[] = [];
  const kept = new Set<string>();
  const byName = new Map<string, ContainerInfo[]>();
  for (const c of observed.containers) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const [name, list] of byName) {
    list.sort(newestFirst);
    list.forEach((c, i) => {
      const old = !names.has(name) || i >= 2;
      if (old && c.state === 'exited') remove.push({ id: c.id, name });
      else kept.add(c.sandboxId);
    });
  }
  const sandboxes = observed.sandboxes.filter((s) => s.id !== current && s.state !== 'ready' && !kept.has(s.id)).map((s) => s.id);
  return { containers: remove, sandboxes };
}

/** Decide what one sync of `pod` must do given what the runtime reports. Pure. */
export function computePodActions(pod: KubeObject, observed: ObservedPod, ctx: PlanContext): PodActions {
  const policy = restartPolicy(pod);
  const sb = sandboxChanged(pod, observed.sandboxes);
  const gc = garbage(pod, observed, sb.changed ? undefined : sb.sandboxId);
  const actions: PodActions = {
    killPod: sb.changed,
    createSandbox: sb.changed,
    sandboxAttempt: sb.attempt,
    sandboxId: sb.changed ? undefined : sb.sandboxId,
    initContainersToStart: [],
    containersToStart: [],
    containersToKill: [],
    containersInBackOff: [],
    containersToRemove: gc.containers,
    sandboxesToRemove: gc.sandboxes,
  };
  const containers: any[] = pod.spec?.containers ?? [];
  const inits: any[] = pod.spec?.initContainers ?? [];

  if (pod.metadata.deletionTimestamp) {
    // a terminating pod never starts anything; the worker's termination path stops the rest
    actions.killPod = true;
    actions.createSandbox = false;
    return actions;
  }

  if (sb.changed) {
    // a dead sandbox of a Never pod whose containers already ran is not recreated: the pod is done
    if (policy === 'Never' && sb.attempt !== 0 && observed.containers.length > 0) {
      actions.createSandbox = false;
      return actions;
    }
    const toStart = containers.filter((c) => !(policy === 'OnFailure' && succeeded(latestInstance(observed, c.name))));
    if (toStart.length === 0) {
      actions.createSandbox = false;
      return actions;
    }
    if (inits.length > 0) {
      const first = inits[0];
      const bo = backOffFor(pod, first, latestInstance(observed, first.name), ctx);
      if (bo) actions.containersInBackOff.push(bo);
      else actions.initContainersToStart.push({ name: first.name, reason: latestInstance(observed, first.name) ? 'Restart' : 'NotStarted' });
      return actions;
    }
    for (const c of toStart) {
      const latest = latestInstance(observed, c.name);
      const bo = backOffFor(pod, c, latest, ctx);
      if (bo) actions.containersInBackOff.push(bo);
      else actions.containersToStart.push({ name: c.name, reason: latest ? 'Restart' : 'NotStarted' });
    }
    return actions;
  }

  const init = initContainerActions(pod, observed, ctx);
  actions.containersToKill.push(...init.toKill);
  if (init.killPod) {
    actions.killPod = true;
    return actions;
  }
  const killedNow = new Set(init.toKill.map((k) => k.name));
  for (const s of init.toStart) {
    const spec = inits[s.index];
    const bo = killedNow.has(s.name) ? undefined : backOffFor(pod, spec, latestInstance(observed, s.name), ctx);
    if (!bo) {
      actions.initContainersToStart.push({ name: s.name, reason: s.reason });
      continue;
    }
    actions.containersInBackOff.push(bo);
    if (!isSidecar(spec)) break; // a regular init container holds everything after it
  }
  if (!init.initialized) return actions;

  let keep = 0;
  let mainInBackOff = 0;
  for (const c of containers) {
    const latest = latestInstance(observed, c.name);
    if (!latest || latest.state !== 'running') {
      if (shouldContainerBeStarted(pod, latest)) {
        if (latest?.state === 'unknown') {
          actions.containersToKill.push({ id: latest.id, name: c.name, reason: 'UnknownState', message: `Container ${c.name} is in unknown state, will be restarted` });
        }
        const bo = backOffFor(pod, c, latest, ctx);
        if (bo) {
          actions.containersInBackOff.push(bo);
          mainInBackOff++;
        } else actions.containersToStart.push({ name: c.name, reason: !latest ? 'NotStarted' : latest.state === 'unknown' ? 'UnknownState' : 'Restart' });
      }
      continue;
    }
    let restart = policy !== 'Never';
    let reason: KillReason;
    let message: string;
    const hash = latest.labels[LABEL_CONTAINER_HASH];
    if (hash !== undefined && hash !== containerHash(c)) {
      reason = 'DefinitionChanged';
      message = `Container ${c.name} definition changed`;
      restart = true;
    } else if (ctx.livenessFailed(latest.id)) {
      reason = 'LivenessProbe';
      message = `Container ${c.name} failed liveness probe`;
    } else if (ctx.startupFailed(latest.id)) {
      reason = 'StartupProbe';
      message = `Container ${c.name} failed startup probe`;
    } else {
      keep++;
      continue;
    }
    if (restart) {
      message += ', will be restarted';
      actions.containersToStart.push({ name: c.name, reason });
    }
    actions.containersToKill.push({ id: latest.id, name: c.name, reason, message });
  }
  if (keep === 0 && actions.containersToStart.length === 0 && mainInBackOff === 0) {
    // no regular container is left to run: the pod is done, and its sidecars must not keep it alive
    actions.killPod = true;
    actions.initContainersToStart = [];
    actions.containersInBackOff = [];
    actions.containersToKill = actions.containersToKill.filter((k) => !killedNow.has(k.name));
  }
  return actions;
}

function succeeded(c: ContainerInfo | undefined): boolean {
  return c !== undefined && c.state === 'exited' && c.exitCode === 0;
}
