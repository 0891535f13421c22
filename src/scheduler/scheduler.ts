// The scheduling loop (kube-scheduler's scheduleOne): take the next pod, bring the snapshot
// up to date, run one scheduling cycle, and either
//
//   success: assume the pod on the chosen node (the cache counts it at once), Reserve, Permit,
//            then bind asynchronously — WaitOnPermit → PreBind → Bind → "Scheduled" event →
//            PostBind; a failed binding cycle un-reserves, forgets the pod, frees its room
//            for others and requeues it;
//   failure: run PostFilter (preemption), requeue the pod with the plugins that rejected it,
//            record a FailedScheduling event and the PodScheduled=False condition with
//            upstream's message ("0/3 nodes are available: ...").
//
// Scheduling cycles run one at a time (the next starts when the previous one assumed or gave
// up its pod); binding cycles overlap freely. The loop yields to the event loop every few
// milliseconds so informer events and API answers keep flowing under load.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { Clock } from '../client/clock.ts';
import { rfc3339 } from '../client/clock.ts';
import type { PodCondition, SchedulerApi } from './api.ts';
import type { SchedulerCache } from './framework/cache.ts';
import { FitError, NO_NODES_AVAILABLE, newDiagnosis, truncateMessage } from './framework/diagnosis.ts';
import { AssignedPodDelete } from './framework/events.ts';
import { podKey } from './framework/podinfo.ts';
import type { SchedulingQueue } from './framework/queue.ts';
import type { Framework } from './framework/runtime.ts';
import { CacheSnapshot } from './framework/snapshot.ts';
import { Code, CycleState, type PodInfo, type QueuedPodInfo, Status } from './framework/types.ts';

export interface SchedulerOptions {
  /** One Framework per profile; pods name theirs in spec.schedulerName. */
  profiles: readonly Framework[];
  queue: SchedulingQueue;
  cache: SchedulerCache;
  api: SchedulerApi;
  clock: Clock;
  log: Logger;
  /** The informer's current version of a pod (undefined once deleted). */
  getPod(namespace: string, name: string): KubeObject | undefined;
  /** PodInfo of an informer pod (with its priority resolved). */
  podInfoOf(pod: KubeObject): PodInfo;
  /** The snapshot cycles run on (plugins may hold it); a new one when omitted. */
  snapshot?: CacheSnapshot;
}

/** What one scheduling cycle decided. */
type CycleResult =
  | { ok: true; host: string; assumed: PodInfo; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; status: Status; fitError?: FitError; nominatedNodeName?: string };

const YIELD_EVERY_MS = 5;

export class Scheduler {
  readonly snapshot: CacheSnapshot;
  readonly profiles: ReadonlyMap<string, Framework>;
  private readonly opts: SchedulerOptions;
  private readonly queue: SchedulingQueue;
  private readonly cache: SchedulerCache;
  private readonly api: SchedulerApi;
  private readonly log: Logger;
  private readonly bindings = new Set<Promise<void>>();
  /** Counters for tests, logs and benchmarks. */
  readonly stats = { attempts: 0, scheduled: 0, unschedulable: 0, errors: 0, bindFailures: 0 };

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.snapshot = opts.snapshot ?? new CacheSnapshot();
    this.queue = opts.queue;
    this.cache = opts.cache;
    this.api = opts.api;
    this.log = opts.log;
    const profiles = new Map<string, Framework>();
    for (const fw of opts.profiles) {
      profiles.set(fw.profileName, fw);
      fw.setSnapshot(this.snapshot);
      fw.nominator = opts.queue.nominator;
    }
    this.profiles = profiles;
  }

  /** Schedule pods until `signal` aborts (or the queue closes); then wait for binding cycles in flight. */
  async run(signal: AbortSignal): Promise<void> {
    let last = performance.now();
    while (!signal.aborted) {
      const qpi = this.queue.tryPop() ?? (await this.queue.pop(signal));
      if (!qpi) break;
      await this.scheduleOne(qpi);
      const now = performance.now();
      if (now - last >= YIELD_EVERY_MS) {
        await new Promise<void>((r) => setImmediate(r));
        last = performance.now();
      }
    }
    // Pods held at Permit would keep their binding cycles open for minutes: let them go.
    for (const fw of this.profiles.values()) for (const wp of fw.waitingPods()) wp.reject('', 'scheduler stopped');
    await this.idle();
  }

  /** Resolves when no binding cycle is in flight. */
  async idle(): Promise<void> {
    while (this.bindings.size > 0) await Promise.allSettled([...this.bindings]);
  }

  /** Schedule pods already in activeQ, one after another, until it is empty (tests, tools). */
  async drain(): Promise<number> {
    let n = 0;
    for (let qpi = this.queue.tryPop(); qpi; qpi = this.queue.tryPop()) {
      await this.scheduleOne(qpi);
      n++;
    }
    return n;
  }

  /** One pod: the scheduling cycle now, the binding cycle in the background. */
  async scheduleOne(qpi: QueuedPodInfo): Promise<void> {
    const pod = qpi.podInfo.pod;
    const uid = podKey(pod);
    const fw = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler');
    if (!fw || pod.metadata.deletionTimestamp || this.cache.isAssumedPod(pod)) {
      this.queue.done(uid);
      return;
    }
    this.stats.attempts++;
    const state = new CycleState();
    let result: CycleResult;
    try {
      this.cache.updateSnapshot(this.snapshot);
      result = await this.schedulingCycle(fw, state, qpi);
    } catch (e) {
      result = { ok: false, status: Status.error(e as Error) };
    }
    if (!result.ok) {
      this.handleFailure(qpi, result.status, result.fitError, result.nominatedNodeName);
      this.queue.done(uid);
      return;
    }
    const { host, assumed } = result;
    const p = this.bindingCycle(fw, state, qpi, assumed, host)
      .catch((e) => this.log.error('binding cycle failed', { pod: describe(pod), error: String(e) }))
      .finally(() => {
        this.queue.done(uid);
        this.bindings.delete(p);
      });
    this.bindings.add(p);
  }

  private async schedulingCycle(fw: Framework, state: CycleState, qpi: QueuedPodInfo): Promise<CycleResult> {
    const pi = qpi.podInfo;
    const pod = pi.pod;
    const numNodes = this.snapshot.numNodes();
    if (numNodes === 0) return { ok: false, status: new Status(Code.UnschedulableAndUnresolvable, [NO_NODES_AVAILABLE]) };

    const found = fw.findNodesThatFitPod(state, pi, this.snapshot);
    if (found.error) return { ok: false, status: found.error };
    let host: string;
    if (found.feasible.length === 0) {
      const fitError = new FitError(numNodes, found.diagnosis);
      let nominatedNodeName: string | undefined;
      if (fw.postFilterPlugins.length > 0) {
        const { result, status } = await fw.runPostFilterPlugins(state, pi, found.diagnosis.nodeToStatus);
        found.diagnosis.postFilterMsg = status.message();
        if (status.code === Code.Error) this.log.error('PostFilter failed', { pod: describe(pod), error: status.message() });
        nominatedNodeName = result?.nominatedNodeName;
      }
      return { ok: false, status: new Status(Code.Unschedulable), fitError, nominatedNodeName };
    } else if (found.feasible.length === 1) {
      host = found.feasible[0]!.name;
    } else {
      const { totals, error } = fw.prioritizeNodes(state, pi, found.feasible);
      if (error) return { ok: false, status: error };
      host = fw.selectHost(found.feasible, totals)!.name;
    }

    // Assume: the pod counts on its node from now on, for the next cycles.
    const assumedPod: KubeObject = { ...pod, spec: { ...pod.spec, nodeName: host } };
    const assumed: PodInfo = { ...pi, pod: assumedPod };
    this.cache.assumePod(assumed);
    this.queue.nominator.delete(pod);

    const reserve = fw.runReservePluginsReserve(state, assumed, host);
    if (!reserve.isSuccess()) {
      fw.runReservePluginsUnreserve(state, assumed, host);
      this.cache.forgetPod(assumedPod);
      return { ok: false, ...singleNodeFailure(reserve, host) };
    }
    const permit = fw.runPermitPlugins(state, assumed, host);
    if (!permit.isSuccess() && permit.code !== Code.Wait) {
      fw.runReservePluginsUnreserve(state, assumed, host);
      this.cache.forgetPod(assumedPod);
      return { ok: false, ...singleNodeFailure(permit, host) };
    }
    return { ok: true, host, assumed, evaluatedNodes: found.feasible.length + found.diagnosis.nodeToStatus.size, feasibleNodes: found.feasible.length };
  }

  private async bindingCycle(fw: Framework, state: CycleState, qpi: QueuedPodInfo, assumed: PodInfo, host: string): Promise<void> {
    const assumedPod = assumed.pod;
    let st = await fw.waitOnPermit(assumedPod);
    if (st.isSuccess()) st = await fw.runPreBindPlugins(state, assumed, host);
    if (st.isSuccess()) {
      st = await fw.runBindPlugins(state, assumed, host);
      if (st.code === Code.Skip) st = Status.error(`no bind plugin bound pod ${describe(assumedPod)}`);
    }
    this.cache.finishBinding(assumedPod);
    if (st.isSuccess()) {
      this.stats.scheduled++;
      this.api.recordEvent({ regarding: assumedPod, type: 'Normal', reason: 'Scheduled', action: 'Binding', note: `Successfully assigned ${assumedPod.metadata.namespace}/${assumedPod.metadata.name} to ${host}` });
      fw.runPostBindPlugins(state, assumed, host);
      return;
    }
    this.stats.bindFailures++;
    fw.runReservePluginsUnreserve(state, assumed, host);
    this.cache.forgetPod(assumedPod);
    // The room the pod held is free again: pods waiting for room may fit now.
    const self = podKey(assumedPod);
    this.queue.moveAllToActiveOrBackoff(AssignedPodDelete, assumedPod, undefined, (p) => podKey(p) !== self);
    if (st.isRejected()) this.handleFailure(qpi, st, singleNodeFailure(st, host).fitError);
    else this.handleFailure(qpi, st);
  }

  /**
   * Requeue the pod (unless it is gone or bound meanwhile), keep or clear its nomination, and
   * tell the user: a FailedScheduling event and the PodScheduled=False condition.
   */
  private handleFailure(qpi: QueuedPodInfo, status: Status, fitError?: FitError, nominatedNodeName?: string): void {
    const pod = qpi.podInfo.pod;
    const rejected = status.isRejected() || fitError !== undefined;
    const reason = rejected ? 'Unschedulable' : 'SchedulerError';
    const msg = fitError ? fitError.message() : status.message();
    if (rejected) this.stats.unschedulable++;
    else this.stats.errors++;
    if (fitError) this.log.debug('unable to schedule pod; no fit; waiting', { pod: describe(pod), message: msg });
    else if (status.code === Code.UnschedulableAndUnresolvable) this.log.debug('unable to schedule pod', { pod: describe(pod), message: msg });
    else this.log.warn('error scheduling pod; retrying', { pod: describe(pod), error: msg });

    const current = this.opts.getPod(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
    if (!current || (current.metadata.uid && current.metadata.uid !== pod.metadata.uid)) {
      this.log.debug('pod no longer exists; not requeued', { pod: describe(pod) });
    } else if (current.spec?.nodeName) {
      this.log.debug('pod has been assigned meanwhile; not requeued', { pod: describe(pod), node: current.spec.nodeName });
    } else if (!this.profiles.has(current.spec?.schedulerName ?? 'default-scheduler')) {
      this.log.debug('pod now names another scheduler; not requeued', { pod: describe(pod) });
    } else {
      qpi.podInfo = this.opts.podInfoOf(current);
      qpi.unschedulablePlugins = fitError ? new Set(fitError.diagnosis.unschedulablePlugins) : rejected && status.plugin ? new Set([status.plugin]) : new Set();
      this.queue.addUnschedulableIfNotPresent(qpi);
    }
    if (nominatedNodeName !== undefined) {
      if (nominatedNodeName) this.queue.nominator.add(qpi.podInfo, nominatedNodeName);
      else this.queue.nominator.delete(pod);
    }
    if (!current || current.spec?.nodeName) return;

    this.api.recordEvent({ regarding: pod, type: 'Warning', reason: 'FailedScheduling', action: 'Scheduling', note: truncateMessage(msg) });
    this.updatePodStatus(current, { type: 'PodScheduled', status: 'False', reason, message: msg }, nominatedNodeName);
  }

  /** Patch the condition (and nominatedNodeName) unless the pod already says exactly that. */
  private updatePodStatus(pod: KubeObject, cond: PodCondition, nominatedNodeName: string | undefined): void {
    const existing = (pod.status?.conditions ?? []).find((c: PodCondition) => c.type === cond.type) as PodCondition | undefined;
    const nominationChanges = nominatedNodeName !== undefined && (pod.status?.nominatedNodeName ?? '') !== nominatedNodeName;
    const same = existing && existing.status === cond.status && existing.reason === cond.reason && existing.message === cond.message;
    if (same && !nominationChanges) return;
    const lastTransitionTime = existing && existing.status === cond.status && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(this.opts.clock.now());
    const patch: { conditions: PodCondition[]; nominatedNodeName?: string | null } = { conditions: [{ ...cond, lastProbeTime: null, lastTransitionTime }] };
    if (nominationChanges) patch.nominatedNodeName = nominatedNodeName || null;
    this.api.patchPodStatus(pod, patch).catch((e: Error) => this.log.warn('could not update pod condition', { pod: describe(pod), error: e.message }));
  }
}

/** A rejection at Reserve/Permit/PreBind/WaitOnPermit: upstream reports it as a FitError on the one chosen node. */
function singleNodeFailure(st: Status, host: string): { status: Status; fitError?: FitError } {
  if (!st.isRejected()) return { status: st };
  const d = newDiagnosis();
  d.nodeToStatus.set(host, st);
  if (st.plugin) d.unschedulablePlugins.add(st.plugin);
  return { status: st, fitError: new FitError(1, d) };
}

function describe(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
