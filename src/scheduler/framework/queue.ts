// The scheduling queue (kube-scheduler's PriorityQueue): pending pods wait here between
// attempts.
//
//   add ──PreEnqueue──► activeQ (QueueSort order) ──pop──► scheduling cycle (in flight)
//          │ gated                 ▲          ▲                │ failed
//          ▼                       │ backoff  │ event hint     ▼
//        gated ─update─►           └─ backoffQ ◄──── unschedulable pool ──► 5-minute flush
//
// - activeQ: ready pods, ordered by the profile's QueueSort plugin (priority, then age).
// - backoffQ: pods that failed recently, released 1 s, 2 s, 4 s, ... up to 10 s after
//   their last failure (per attempt).
// - unschedulable pool: pods rejected by plugins. A cluster event moves a pod out only when
//   one of the plugins that rejected it registered that event and its queueing hint says
//   Queue; every pod is retried at the latest after 5 minutes.
// - gated: pods a PreEnqueue plugin (SchedulingGates) holds back until they change.
// Events that happen while a pod is being scheduled are remembered, so a pod that fails just
// after the event that would have helped it is not parked in the pool.
//
// Time comes from an injected clock; nothing here sleeps. Single-threaded by construction.

import type { Clock, TimerHandle } from '../../client/clock.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import { eventMatches, isPodUpdated, isWildCard, podSchedulingPropertiesChange } from './events.ts';
import { KeyedHeap } from './heap.ts';
import { Nominator, uidOf } from './nominator.ts';
import type { ClusterEvent, ClusterEventWithHint, PodInfo, QueuedPodInfo, Status } from './types.ts';

/** What the queue needs from one scheduling profile (the Framework implements it). */
export interface QueueProfile {
  /** Runs the PreEnqueue plugins; a non-success status (with `plugin` set) gates the pod. */
  runPreEnqueuePlugins(pod: KubeObject): Status;
  /** Plugin name → the events (with optional hints) that may make a pod it rejected schedulable. */
  queueingHints(): ReadonlyMap<string, readonly ClusterEventWithHint[]>;
}

export interface SchedulingQueueOptions {
  clock: Clock;
  log: Logger;
  /** The QueueSort plugin's order (shared by all profiles, as upstream requires). */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** Profiles by scheduler name. */
  profiles: ReadonlyMap<string, QueueProfile>;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
}

type Strategy = 'skip' | 'backoff';

interface InFlightEvent {
  seq: number;
  event: ClusterEvent;
  oldObj: KubeObject | undefined;
  newObj: KubeObject | undefined;
}

/** Where a pod currently is in the queue (for tests and debugging). */
export type QueueLocation = 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight' | undefined;

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly profiles: ReadonlyMap<string, QueueProfile>;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;

  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Plugin name → uids in the unschedulable pool (or gated) it rejected. */
  private readonly byPlugin = new Map<string, Set<string>>();
  private readonly gated = new Map<string, QueuedPodInfo>();

  private readonly inFlight = new Map<string, { seq: number; qpi: QueuedPodInfo }>();
  private inFlightEvents: InFlightEvent[] = [];
  private eventSeq = 0;
  private cycle = 0;

  private readonly interest = new Map<string, Set<string>>();
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private timer: TimerHandle | undefined;
  private lastLeftoverFlush = 0;

  constructor(opts: SchedulingQueueOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.profiles = opts.profiles;
    this.initialBackoffMs = opts.podInitialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.podMaxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    const key = (q: QueuedPodInfo) => uidOf(q.podInfo.pod);
    this.activeQ = new KeyedHeap(key, opts.less);
    this.backoffQ = new KeyedHeap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  // ---- adding and changing pods ------------------------------------------------------------

  /** A new pending pod (or one seen again): PreEnqueue decides between activeQ and gated. */
  add(pi: PodInfo): void {
    const uid = uidOf(pi.pod);
    const existing = this.find(uid);
    if (existing) {
      this.update(existing.podInfo.pod, pi);
      return;
    }
    if (this.inFlight.has(uid)) return;
    const now = this.clock.now();
    const qpi: QueuedPodInfo = { podInfo: pi, initialAttemptTimestamp: now, timestamp: now, attempts: 0, unschedulablePlugins: new Set() };
    this.moveToActiveQ(qpi);
  }

  /**
   * A pending pod changed. In activeQ/backoffQ it is updated in place; in the unschedulable
   * pool its own change is an event (UpdatePodLabel, UpdatePodTolerations, ...) asked of the
   * plugins that rejected it; a gated pod is offered to PreEnqueue again.
   */
  update(oldPod: KubeObject, newPi: PodInfo): void {
    const uid = uidOf(newPi.pod);
    this.nominator.update(oldPod, newPi);
    const inActive = this.activeQ.get(uid);
    if (inActive) {
      inActive.podInfo = newPi;
      this.activeQ.push(inActive);
      return;
    }
    const inBackoff = this.backoffQ.get(uid);
    if (inBackoff) {
      inBackoff.podInfo = newPi;
      this.backoffQ.push(inBackoff);
      return;
    }
    const flying = this.inFlight.get(uid);
    if (flying) {
      // Remember the change: if this attempt fails, the change may be what makes it fit.
      for (const ev of podSchedulingPropertiesChange(newPi.pod, oldPod)) this.recordInFlightEvent(ev, oldPod, newPi.pod);
      return;
    }
    const gated = this.gated.get(uid);
    if (gated) {
      gated.podInfo = newPi;
      if (isPodUpdated(oldPod, newPi.pod)) {
        this.removeFromPool(uid, gated);
        this.moveToActiveQ(gated);
      }
      return;
    }
    const parked = this.unschedulable.get(uid);
    if (parked) {
      parked.podInfo = newPi;
      if (!isPodUpdated(oldPod, newPi.pod)) return;
      for (const ev of podSchedulingPropertiesChange(newPi.pod, oldPod)) {
        if (this.worthRequeuing(parked, ev, oldPod, newPi.pod) === 'skip') continue;
        this.removeFromPool(uid, parked);
        this.requeue(parked, 'backoff');
        return;
      }
      return;
    }
    this.add(newPi);
  }

  /** The pod is gone (deleted, or bound by someone else). */
  delete(pod: KubeObject): void {
    const uid = uidOf(pod);
    this.nominator.delete(pod);
    if (this.activeQ.delete(uid)) return;
    if (this.backoffQ.delete(uid)) return;
    const parked = this.unschedulable.get(uid) ?? this.gated.get(uid);
    if (parked) this.removeFromPool(uid, parked);
  }

  /** Move these pods to activeQ now, whatever their backoff or rejection (ForceActivate). */
  activate(pods: readonly KubeObject[]): void {
    for (const pod of pods) {
      const uid = uidOf(pod);
      const qpi = this.unschedulable.get(uid) ?? this.backoffQ.get(uid);
      if (!qpi) continue;
      this.backoffQ.delete(uid);
      if (this.unschedulable.has(uid)) this.removeFromPool(uid, qpi);
      this.moveToActiveQ(qpi);
    }
  }

  // ---- the scheduling loop's side -------------------------------------------------------------

  /** The number of pops so far: identifies a scheduling attempt. */
  schedulingCycle(): number {
    return this.cycle;
  }

  /** The next pod to schedule, or undefined when activeQ is empty. The pod is then in flight until done(). */
  tryPop(): QueuedPodInfo | undefined {
    this.releaseBackoff();
    const qpi = this.activeQ.pop();
    if (!qpi) return undefined;
    qpi.attempts++;
    this.cycle++;
    qpi.unschedulablePlugins = new Set();
    qpi.gatingPlugin = undefined;
    this.inFlight.set(uidOf(qpi.podInfo.pod), { seq: this.eventSeq, qpi });
    return qpi;
  }

  /** Waits for a pod; undefined once the queue is closed (or `signal` aborts). */
  pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    const now = this.tryPop();
    if (now || this.closed || signal?.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(undefined);
      };
      const wake = (q: QueuedPodInfo | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(q);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(wake);
    });
  }

  /**
   * The attempt for this pod failed: it goes back to backoffQ, activeQ or the unschedulable
   * pool depending on the plugins that rejected it (qpi.unschedulablePlugins; empty means an
   * error) and on the events seen while it was in flight.
   */
  addUnschedulableIfNotPresent(qpi: QueuedPodInfo): void {
    const uid = uidOf(qpi.podInfo.pod);
    if (this.find(uid)) {
      this.log.debug('pod already queued', { pod: podKey(qpi.podInfo.pod) });
      return;
    }
    qpi.timestamp = this.clock.now();
    let strategy: Strategy = 'skip';
    if (qpi.unschedulablePlugins.size === 0) strategy = 'backoff';
    else {
      const since = this.inFlight.get(uid)?.seq ?? this.eventSeq;
      for (const e of this.inFlightEvents) {
        if (e.seq <= since) continue;
        if (this.worthRequeuing(qpi, e.event, e.oldObj, e.newObj) === 'backoff') {
          strategy = 'backoff';
          break;
        }
      }
    }
    this.requeue(qpi, strategy);
  }

  /** The pod's attempt is over (scheduled, bound, or requeued): stop tracking it as in flight. */
  done(uid: string): void {
    if (!this.inFlight.delete(uid)) return;
    if (this.inFlight.size === 0) this.inFlightEvents = [];
    else if (this.inFlightEvents.length > 256) {
      let min = Infinity;
      for (const f of this.inFlight.values()) if (f.seq < min) min = f.seq;
      this.inFlightEvents = this.inFlightEvents.filter((e) => e.seq > min);
    }
  }

  // ---- cluster events -------------------------------------------------------------------------

  /**
   * A cluster event happened. Pods in the unschedulable pool rejected by a plugin interested
   * in it are moved to backoffQ (still backing off) or activeQ when the plugin's hint says
   * Queue; gated pods gated by such a plugin get another PreEnqueue. `preCheck` can veto pods.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, oldObj?: KubeObject, newObj?: KubeObject, preCheck?: (pod: KubeObject) => boolean): void {
    const wild = isWildCard(event);
    const interested = wild ? undefined : this.interestedPlugins(event);
    if (!wild && interested!.size === 0) return;
    let candidates: Iterable<QueuedPodInfo>;
    if (wild) candidates = [...this.unschedulable.values(), ...this.gated.values()];
    else {
      const seen = new Set<string>();
      const list: QueuedPodInfo[] = [];
      for (const plugin of interested!) {
        const uids = this.byPlugin.get(plugin);
        if (!uids) continue;
        for (const uid of uids) {
          if (seen.has(uid)) continue;
          seen.add(uid);
          const q = this.unschedulable.get(uid) ?? this.gated.get(uid);
          if (q) list.push(q);
        }
      }
      candidates = list;
    }
    for (const qpi of candidates) {
      if (preCheck && !preCheck(qpi.podInfo.pod)) continue;
      if (this.worthRequeuing(qpi, event, oldObj, newObj) === 'skip') continue;
      const uid = uidOf(qpi.podInfo.pod);
      this.removeFromPool(uid, qpi);
      if (qpi.gatingPlugin !== undefined) this.moveToActiveQ(qpi);
      else this.requeue(qpi, 'backoff');
    }
    this.recordInFlightEvent(event, oldObj, newObj);
  }

  /** Release pods whose backoff is over into activeQ (upstream runs this every second). */
  flushBackoffQCompleted(): void {
    if (this.releaseBackoff()) this.wakeWaiters();
  }

  private releaseBackoff(): boolean {
    const now = this.clock.now();
    let moved = false;
    for (;;) {
      const head = this.backoffQ.peek();
      if (!head || this.backoffExpiry(head) > now) break;
      this.backoffQ.pop();
      this.activeQ.push(head);
      moved = true;
    }
    return moved;
  }

  /** Retry pods that have been unschedulable for longer than the limit (5 minutes). */
  flushUnschedulablePodsLeftover(): void {
    const now = this.clock.now();
    const due: QueuedPodInfo[] = [];
    for (const qpi of this.unschedulable.values()) if (now - qpi.timestamp > this.maxUnschedulableMs) due.push(qpi);
    for (const qpi of due) {
      this.removeFromPool(uidOf(qpi.podInfo.pod), qpi);
      this.requeue(qpi, 'backoff');
    }
  }

  /** Runs the periodic flushes (backoff every second, leftovers every 30 s) until `signal` aborts. */
  run(signal: AbortSignal): void {
    const tick = () => {
      this.timer = undefined;
      if (signal.aborted || this.closed) return;
      this.flushBackoffQCompleted();
      const now = this.clock.now();
      if (now - this.lastLeftoverFlush >= 30_000) {
        this.lastLeftoverFlush = now;
        this.flushUnschedulablePodsLeftover();
      }
      this.timer = this.clock.setTimeout(tick, 1000);
    };
    this.lastLeftoverFlush = this.clock.now();
    this.timer = this.clock.setTimeout(tick, 1000);
    signal.addEventListener('abort', () => this.close(), { once: true });
  }

  /** Stop: waiting pops resolve undefined, timers are cleared. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(undefined);
  }

  // ---- introspection --------------------------------------------------------------------------

  /** Where the pod with this uid is. */
  locate(uid: string): QueueLocation {
    if (this.activeQ.has(uid)) return 'active';
    if (this.backoffQ.has(uid)) return 'backoff';
    if (this.unschedulable.has(uid)) return 'unschedulable';
    if (this.gated.has(uid)) return 'gated';
    if (this.inFlight.has(uid)) return 'inFlight';
    return undefined;
  }

  /** Counts per place. */
  stats(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, gated: this.gated.size, inFlight: this.inFlight.size };
  }

  /** Every pending pod (not the in-flight ones). */
  pendingPods(): KubeObject[] {
    const out: KubeObject[] = [];
    for (const q of this.activeQ.values()) out.push(q.podInfo.pod);
    for (const q of this.backoffQ.values()) out.push(q.podInfo.pod);
    for (const q of this.unschedulable.values()) out.push(q.podInfo.pod);
    for (const q of this.gated.values()) out.push(q.podInfo.pod);
    return out;
  }

  /** The queued entry for a pod (any place but in flight). */
  get(uid: string): QueuedPodInfo | undefined {
    return this.find(uid);
  }

  // ---- internals ------------------------------------------------------------------------------

  private find(uid: string): QueuedPodInfo | undefined {
    return this.activeQ.get(uid) ?? this.backoffQ.get(uid) ?? this.unschedulable.get(uid) ?? this.gated.get(uid);
  }

  /** When the pod's current backoff ends: 1 s × 2^(attempts-1), at most the maximum. */
  backoffExpiry(qpi: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < qpi.attempts; i++) {
      if (d > this.maxBackoffMs - d) {
        d = this.maxBackoffMs;
        break;
      }
      d += d;
    }
    return qpi.timestamp + Math.min(d, this.maxBackoffMs);
  }

  private isBackingOff(qpi: QueuedPodInfo): boolean {
    return this.backoffExpiry(qpi) > this.clock.now();
  }

  /** Runs PreEnqueue; adds to activeQ, or keeps the pod gated. */
  private moveToActiveQ(qpi: QueuedPodInfo): void {
    const pod = qpi.podInfo.pod;
    const profile = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler');
    const st = profile?.runPreEnqueuePlugins(pod);
    const uid = uidOf(pod);
    if (st && !st.isSuccess()) {
      qpi.gatingPlugin = st.plugin ?? '';
      qpi.unschedulablePlugins = new Set(st.plugin ? [st.plugin] : []);
      this.gated.set(uid, qpi);
      this.indexPlugins(uid, qpi);
      return;
    }
    qpi.gatingPlugin = undefined;
    this.nominator.add(qpi.podInfo);
    this.activeQ.push(qpi);
    this.wakeWaiters();
  }

  private requeue(qpi: QueuedPodInfo, strategy: Strategy): void {
    const uid = uidOf(qpi.podInfo.pod);
    if (strategy === 'skip') {
      this.unschedulable.set(uid, qpi);
      this.indexPlugins(uid, qpi);
      return;
    }
    if (this.isBackingOff(qpi)) {
      this.backoffQ.push(qpi);
      return;
    }
    this.moveToActiveQ(qpi);
  }

  private indexPlugins(uid: string, qpi: QueuedPodInfo): void {
    for (const p of qpi.unschedulablePlugins) {
      let s = this.byPlugin.get(p);
      if (!s) this.byPlugin.set(p, (s = new Set()));
      s.add(uid);
    }
  }

  private removeFromPool(uid: string, qpi: QueuedPodInfo): void {
    this.unschedulable.delete(uid);
    this.gated.delete(uid);
    for (const p of qpi.unschedulablePlugins) {
      const s = this.byPlugin.get(p);
      if (!s) continue;
      s.delete(uid);
      if (s.size === 0) this.byPlugin.delete(p);
    }
  }

  /** Would this event make the pod schedulable, according to the plugins that rejected it? */
  private worthRequeuing(qpi: QueuedPodInfo, event: ClusterEvent, oldObj: KubeObject | undefined, newObj: KubeObject | undefined): Strategy {
    if (qpi.unschedulablePlugins.size === 0 || isWildCard(event)) return 'backoff';
    const pod = qpi.podInfo.pod;
    const profile = this.profiles.get(pod.spec?.schedulerName ?? 'default-scheduler');
    if (!profile) return 'skip';
    const hints = profile.queueingHints();
    for (const plugin of qpi.unschedulablePlugins) {
      const regs = hints.get(plugin);
      if (!regs) continue;
      for (const reg of regs) {
        if (!eventMatches(reg.event, event)) continue;
        if (!reg.hint) return 'backoff';
        try {
          if (reg.hint(pod, oldObj, newObj) === 'Queue') return 'backoff';
        } catch (e) {
          this.log.debug('queueing hint failed; requeueing', { plugin, error: (e as Error).message });
          return 'backoff';
        }
      }
    }
    return 'skip';
  }

  /** Plugins (over all profiles) with a registration matching the event; memoized per event shape. */
  private interestedPlugins(event: ClusterEvent): Set<string> {
    const key = `${event.resource}/${event.action}`;
    let plugins = this.interest.get(key);
    if (!plugins) {
      plugins = new Set<string>();
      for (const profile of this.profiles.values()) {
        for (const [plugin, regs] of profile.queueingHints()) if (regs.some((r) => eventMatches(r.event, event))) plugins.add(plugin);
      }
      this.interest.set(key, plugins);
    }
    return plugins;
  }

  private recordInFlightEvent(event: ClusterEvent, oldObj: KubeObject | undefined, newObj: KubeObject | undefined): void {
    if (this.inFlight.size === 0) return;
    if (!isWildCard(event) && this.interestedPlugins(event).size === 0) return;
    this.inFlightEvents.push({ seq: ++this.eventSeq, event, oldObj, newObj });
  }

  private wakeWaiters(): void {
    while (this.waiters.length > 0 && this.activeQ.size > 0) {
      const w = this.waiters.shift()!;
      const q = this.tryPop();
      w(q);
    }
  }
}

function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`;
}
