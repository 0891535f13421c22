// Wiring: build the scheduler from an API client and a shared informer factory and run it —
// what `skiff scheduler` and `skiff server` call.
//
//   informers (pods, nodes, namespaces, PriorityClasses, PDBs, owners for default spreading,
//              PVCs/PVs/StorageClasses for VolumeBinding)
//     └─ event handlers ─► cache + queue          (from the start, leader or not)
//   [leader election on a Lease] ─► queue timers + the scheduling loop (only while leading)
//
// Profiles: one `default-scheduler` profile with upstream's default plugins unless told
// otherwise; each profile is a Framework, pods choose one by spec.schedulerName.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { ApiClient } from '../client/client.ts';
import { type Clock, realClock } from '../client/clock.ts';
import { SharedInformerFactory, stripManagedFields } from '../client/factory.ts';
import type { SharedInformer } from '../client/informer.ts';
import { LeaderElector } from '../client/leaderelection.ts';
import { clientApi, type SchedulerApi } from './api.ts';
import { namespaceEventHandlers, nodeEventHandlers, podEventHandlers, podInfoFor, resourceEventHandlers } from './eventhandlers.ts';
import { SchedulerCache } from './framework/cache.ts';
import { DefaultPreemption } from './framework/preemption.ts';
import { PriorityResolver } from './framework/priority.ts';
import { SchedulingQueue } from './framework/queue.ts';
import { Framework, type PluginEntry } from './framework/runtime.ts';
import { CacheSnapshot } from './framework/snapshot.ts';
import type { Plugin } from './framework/types.ts';
import { makeSelectorsFor } from './plugins/podtopologyspread.ts';
import { DEFAULT_PLUGIN_ORDER, DEFAULT_PREEMPTION, DEFAULT_SCORE_WEIGHTS, type DefaultPluginArgs, defaultPlugins, type PluginDeps } from './plugins/registry.ts';
import { Scheduler } from './scheduler.ts';

export interface SchedulerProfileSpec {
  schedulerName: string;
  /** 1-100; omitted or 0: upstream's adaptive default. */
  percentageOfNodesToScore?: number;
  /** pluginConfig args of the default plugins. */
  pluginArgs?: DefaultPluginArgs;
}

export interface StartSchedulerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  log: Logger;
  clock?: Clock;
  /** Run only while holding this Lease (several copies may run). Omitted: always run. */
  leaderElection?: { identity: string; namespace?: string; name?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  signal: AbortSignal;
  /** Default: one `default-scheduler` profile. */
  profiles?: SchedulerProfileSpec[];
  /** For profiles that do not set their own (KubeSchedulerConfiguration's global field); default adaptive. */
  percentageOfNodesToScore?: number;
  /** Expire assumed pods this long after binding without confirmation (0: never, upstream's default). */
  assumedPodTTLMs?: number;
  /** Substitute the API writes (tests). */
  api?: SchedulerApi;
  random?: () => number;
}

export interface RunningScheduler {
  scheduler: Scheduler;
  queue: SchedulingQueue;
  cache: SchedulerCache;
  /** Resolves once the scheduler's informers have synced (false if the signal aborted first). */
  ready: Promise<boolean>;
  /** Resolves when scheduling has stopped: the signal aborted, or leadership was lost. */
  done: Promise<void>;
}

const PODS = ['', 'v1', 'pods'] as const;

/**
 * The informers a scheduler should be given: cached objects drop metadata.managedFields, which
 * the scheduler never reads, as upstream's scheduler.NewInformerFactory does (a scheduled pod's
 * managedFields are ≈ 40 % of its JSON; dropping them halves what the pod cache keeps).
 */
export function schedulerInformerFactory(client: ApiClient, log: Logger): SharedInformerFactory {
  return new SharedInformerFactory({ client, log, transform: stripManagedFields });
}

export function startScheduler(opts: StartSchedulerOptions): RunningScheduler {
  const clock = opts.clock ?? realClock;
  const log = opts.log;
  const { informers, signal } = opts;
  const inf = (g: string, v: string, p: string): SharedInformer<KubeObject> => informers.informer(g, v, p);
  const pods = inf(...PODS);
  const nodes = inf('', 'v1', 'nodes');
  const namespaces = inf('', 'v1', 'namespaces');
  const priorityClasses = inf('scheduling.k8s.io', 'v1', 'priorityclasses');
  const pdbs = inf('policy', 'v1', 'poddisruptionbudgets');
  const services = inf('', 'v1', 'services');
  const rcs = inf('', 'v1', 'replicationcontrollers');
  const replicaSets = inf('apps', 'v1', 'replicasets');
  const statefulSets = inf('apps', 'v1', 'statefulsets');
  const pvcs = inf('', 'v1', 'persistentvolumeclaims');
  const pvs = inf('', 'v1', 'persistentvolumes');
  const storageClasses = inf('storage.k8s.io', 'v1', 'storageclasses');
  const ours = [pods, nodes, namespaces, priorityClasses, pdbs, services, rcs, replicaSets, statefulSets, pvcs, pvs, storageClasses];

  const specs = opts.profiles && opts.profiles.length > 0 ? opts.profiles : [{ schedulerName: 'default-scheduler' }];
  const api: SchedulerApi = opts.api ?? clientApi({ client: opts.client, clock, log, component: specs[0]!.schedulerName, ...(opts.leaderElection ? { instance: opts.leaderElection.identity } : {}) });
  const resolver = new PriorityResolver({ get: (name) => priorityClasses.lister.get(undefined, name), list: () => priorityClasses.lister.list() });
  const getPod = (ns: string, name: string) => pods.lister.get(ns, name);
  const snapshot = new CacheSnapshot();
  const selectorsFor = makeSelectorsFor({
    services: (ns) => services.lister.list(ns),
    replicationController: (ns, name) => rcs.lister.get(ns, name),
    replicaSet: (ns, name) => replicaSets.lister.get(ns, name),
    statefulSet: (ns, name) => statefulSets.lister.get(ns, name),
  });

  const frameworks = specs.map((spec) => {
    const deps: PluginDeps = { snapshot: () => snapshot, bind: (pod, node) => api.bind(pod, node), selectorsFor, getPVC: (ns, name) => pvcs.lister.get(ns, name) };
    const plugins = defaultPlugins(deps, spec.pluginArgs ?? {});
    const preemption = new DefaultPreemption({ api, clock, log: log.child('preemption'), listPDBs: () => pdbs.lister.list(), getPod, random: opts.random });
    return new Framework({ profile: { schedulerName: spec.schedulerName, percentageOfNodesToScore: spec.percentageOfNodesToScore || opts.percentageOfNodesToScore, plugins: inOrder(plugins, preemption) }, clock, log: log.child(spec.schedulerName), random: opts.random });
  });
  const first = frameworks[0]!;
  const queue = new SchedulingQueue({ clock, log: log.child('queue'), less: (a, b) => first.less(a, b), profiles: new Map(frameworks.map((f) => [f.profileName, f])) });
  const cache = new SchedulerCache({ clock, log: log.child('cache'), assumedPodTTLMs: opts.assumedPodTTLMs });
  const scheduler = new Scheduler({ profiles: frameworks, queue, cache, api, clock, log, getPod, podInfoOf: (pod) => podInfoFor(resolver, pod), snapshot });

  const deps = { cache, queue, profiles: scheduler.profiles, resolver };
  pods.addEventHandler(podEventHandlers(deps));
  nodes.addEventHandler(nodeEventHandlers(deps));
  namespaces.addEventHandler(namespaceEventHandlers(deps));
  pvcs.addEventHandler(resourceEventHandlers(queue, 'PersistentVolumeClaim'));
  pvs.addEventHandler(resourceEventHandlers(queue, 'PersistentVolume'));
  storageClasses.addEventHandler(resourceEventHandlers(queue, 'StorageClass'));
  // Starts every informer of the factory not running yet (ours included), until `signal` aborts.
  informers.start(signal);

  const ready = Promise.all(ours.map((i) => i.whenSynced(signal))).then((r) => r.every(Boolean));

  const schedule = async (runSignal: AbortSignal) => {
    queue.run(runSignal);
    const stopCleanup = cleanupLoop(cache, clock, opts.assumedPodTTLMs ?? 0, runSignal);
    log.info('scheduling', { profiles: frameworks.map((f) => f.profileName) });
    try {
      await scheduler.run(runSignal);
    } finally {
      stopCleanup();
    }
  };

  const runUntilStopped = async () => {
    const le = opts.leaderElection;
    if (!le) {
      await schedule(signal);
      return;
    }
    let loop: Promise<void> | undefined;
    const elector = new LeaderElector({
      client: opts.client,
      namespace: le.namespace ?? 'kube-system',
      name: le.name ?? 'kube-scheduler',
      identity: le.identity,
      ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
      clock,
      log: log.child('leaderelection'),
      onStartedLeading: (leading) => {
        loop = schedule(leading);
      },
      onStoppedLeading: () => log.info('leadership lost; scheduling stopped'),
    });
    await elector.run(signal);
    await loop;
  };

  const done = (async () => {
    if (!(await ready)) return;
    try {
      await runUntilStopped();
    } finally {
      await api.flush?.();
    }
  })();

  return { scheduler, queue, cache, ready, done };
}

/** The plugins in upstream's multi-point order with DefaultPreemption in its slot, each with its default weight. */
function inOrder(plugins: Plugin[], preemption: DefaultPreemption): PluginEntry[] {
  const byName = new Map<string, Plugin>(plugins.map((p) => [p.name, p]));
  byName.set(DEFAULT_PREEMPTION, preemption);
  const out: PluginEntry[] = [];
  for (const name of DEFAULT_PLUGIN_ORDER) {
    const p = byName.get(name);
    if (!p) continue;
    byName.delete(name);
    out.push({ plugin: p, weight: DEFAULT_SCORE_WEIGHTS[name] });
  }
  for (const p of byName.values()) out.push({ plugin: p, weight: DEFAULT_SCORE_WEIGHTS[p.name] });
  return out;
}

/** Expire unconfirmed assumed pods every second while a TTL is set; returns a stop function. */
function cleanupLoop(cache: SchedulerCache, clock: Clock, ttlMs: number, signal: AbortSignal): () => void {
  if (ttlMs <= 0) return () => {};
  let handle = clock.setTimeout(function tick() {
    cache.cleanupAssumedPods();
    if (!signal.aborted) handle = clock.setTimeout(tick, 1000);
  }, 1000);
  const stop = () => clock.clearTimeout(handle);
  signal.addEventListener('abort', stop, { once: true });
  return stop;
}
