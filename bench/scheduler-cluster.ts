// The in-process cluster the scheduler benchmarks run against, as upstream's scheduler_perf
// does: one process holds the API server (on SQLite in a temp dir), the scheduler (its own
// user, its own informers, talking to the API through InProcessTransport, or through a
// MessagePort from its worker thread) and the bench's own client. Nodes are plain Node objects
// created through the API (no Leases, no kubelet); pods are POSTed from ready-made JSON bodies
// with bounded concurrency. What the scheduler did is observed through the scheduler's own pod
// informer (PodWatch), as upstream's scheduler_perf shares the scheduler's informer factory:
// on the main thread the bench adds its handlers to it, from the worker thread the informer's
// events are forwarded (SchedulerWorker onPodEvents). The bench watches nothing itself.
//
// close() stops everything it started and removes the temp dir; it is also registered with the
// bench's Cleanup, so Ctrl-C or a failure leaves nothing behind.

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { simNode } from '../src/agent/simnodes.ts';
import type { KubeObject } from '../src/api/types.ts';
import { ApiServer } from '../src/apiserver/server.ts';
import { consoleLogger, type Logger } from '../src/base/log.ts';
import { ApiClient } from '../src/client/client.ts';
import { rfc3339 } from '../src/client/clock.ts';
import type { SharedInformerFactory } from '../src/client/factory.ts';
import type { SharedInformer } from '../src/client/informer.ts';
import { InProcessTransport } from '../src/client/inprocess-transport.ts';
import type { Backend } from '../src/store/backend.ts';
import { openBackend } from '../src/store/open.ts';
import { type RunningScheduler, schedulerInformerFactory, startScheduler } from '../src/scheduler/run.ts';
import { type PodEventRecord, podEventRecord, SchedulerWorker } from '../src/scheduler/worker.ts';
import type { Cleanup } from './lib/cleanup.ts';
import { drive, type DriveResult } from './lib/drive.ts';

export interface NodeShape {
  cpu: string;
  memory: string;
  pods: number;
}

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** Writes the bench makes itself (nodes, namespaces, pods) run this many at a time. */
export const WRITE_CONCURRENCY = 64;

/** A JSON body split around the object's name: one concatenation per object. */
export function bodyTemplate(obj: KubeObject): (name: string) => string {
  const marker = '__BENCH_SCHED_NAME__';
  const copy = structuredClone(obj);
  copy.metadata = { ...copy.metadata, name: marker };
  const [before, after] = JSON.stringify(copy).split(`"${marker}"`) as [string, string];
  return (name) => `${before}${JSON.stringify(name)}${after}`;
}

/** Where the scheduler runs: on the main thread with everything else, or in a worker thread (src/scheduler/worker.ts). */
export type SchedulerThread = 'main' | 'worker';

/** What `skiff server --scheduler-thread auto` (its default) picks on this machine. */
export function defaultSchedulerThread(): SchedulerThread {
  return availableParallelism() > 1 ? 'worker' : 'main';
}

/** What the bench needs of a running scheduler, on either thread. */
export interface SchedulerHandle {
  readonly thread: SchedulerThread;
  /** Scheduler counters, queue sizes, node-result reuse counters. */
  stats(): Promise<{ scheduler: Record<string, number>; queue: Record<string, number>; memo: Record<string, number> }>;
  /** CPU-profile the worker thread (undefined on the main thread: the bench's own profiler covers it). */
  profileWorker?: { start(): Promise<void>; stop(): Promise<string> };
}

export class SimCluster {
  readonly dir: string;
  readonly backend: Backend;
  readonly server: ApiServer;
  readonly client: ApiClient;
  readonly watch: PodWatch;
  private readonly log: Logger;
  private sched?: { running: RunningScheduler; ac: AbortController; informers: SharedInformerFactory } | { worker: SchedulerWorker };
  private unregister?: () => Promise<void>;
  private closed?: Promise<void>;

  private constructor(dir: string, backend: Backend, server: ApiServer, log: Logger) {
    this.dir = dir;
    this.backend = backend;
    this.server = server;
    this.log = log;
    this.client = clientAs(server, 'bench', ['system:masters']);
    this.watch = new PodWatch();
  }

  /** A fresh API server on a fresh SQLite file (retaining 10,000 revisions, as `skiff server`). */
  static async start(cleanup: Cleanup): Promise<SimCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), 'skiff-bench-sched-'));
    const removeDir = () => rm(dir, { recursive: true, force: true });
    // Errors only: a benchmark's output is its figures; warnings would be per-pod noise.
    const log = consoleLogger('bench-scheduler', 'error');
    let backend: Backend | undefined;
    try {
      backend = await openBackend(`sqlite://${path.join(dir, 'state.db')}`, { dataDir: dir, retainRevisions: 10_000, onError: (e) => log.error('datastore background error', { error: String(e) }) });
      const server = await ApiServer.start({ backend, log: log.child('apiserver') });
      server.setReady();
      const c = new SimCluster(dir, backend, server, log);
      c.unregister = cleanup.add(`scheduler bench cluster ${dir}`, () => c.shutdown());
      return c;
    } catch (err) {
      await backend?.close().catch(() => {});
      await removeDir();
      throw err;
    }
  }

  /** POST prepared bodies to a collection path, `concurrency` at a time; every answer must be 201. */
  async post(pathOf: (i: number) => string, bodyOf: (i: number) => string, count: number, concurrency = WRITE_CONCURRENCY, hooks?: { before?(i: number): void; after?(i: number): void }): Promise<DriveResult> {
    const t = this.client.transport;
    const res = await drive(concurrency, count, async (i) => {
      hooks?.before?.(i);
      const r = await t.do({ method: 'POST', path: pathOf(i), body: bodyOf(i), headers: { 'content-type': 'application/json' } });
      if (r.status !== 201) throw new Error(`POST ${pathOf(i)} → ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
      hooks?.after?.(i);
    });
    if (res.errors > 0) throw new Error(`${res.errors} of ${count} creates failed; first: ${res.firstError}`);
    return res;
  }

  async createNamespaces(names: string[]): Promise<void> {
    await this.post(
      () => '/api/v1/namespaces',
      (i) => JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: names[i] } }),
      names.length,
    );
  }

  /** `count` nodes named `<prefix><i>`, spread round-robin over ZONES. */
  async createNodes(prefix: string, count: number, shape: NodeShape): Promise<DriveResult> {
    const now = rfc3339(Date.now());
    return this.post(
      () => '/api/v1/nodes',
      (i) => JSON.stringify(simNode(`${prefix}${i}`, { ...shape, ephemeralStorage: '100Gi', labels: { [ZONE_LABEL]: ZONES[i % ZONES.length]! } }, now)),
      count,
    );
  }

  async createObject(group: string, version: string, plural: string, obj: KubeObject): Promise<void> {
    await this.client.resource(group, version, plural).create(obj.metadata.namespace, obj);
  }

  /** Start the scheduler (default profile, no leader election) as its own user on the given thread; resolves once its informers synced. */
  async startScheduler(thread: SchedulerThread = 'main'): Promise<SchedulerHandle> {
    if (this.sched) throw new Error('scheduler already running');
    if (thread === 'worker') {
      const worker = SchedulerWorker.start({ handler: this.server, user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] }, onPodEvents: (items) => this.watch.records(items) });
      this.sched = { worker };
      if (!(await worker.ready)) throw new Error('scheduler worker did not sync');
      return { thread, stats: () => worker.stats(), profileWorker: { start: () => worker.startProfile(), stop: () => worker.stopProfile() } };
    }
    const client = clientAs(this.server, 'system:kube-scheduler', []);
    const informers = schedulerInformerFactory(client, this.log.child('scheduler'));
    this.watch.attach(informers.informer('', 'v1', 'pods'));
    const ac = new AbortController();
    const running = startScheduler({ client, informers, log: this.log.child('scheduler'), signal: ac.signal });
    this.sched = { running, ac, informers };
    if (!(await running.ready)) throw new Error('scheduler informers did not sync');
    const memo = running.scheduler.profiles.values().next().value!.memoStats;
    return { thread, stats: async () => ({ scheduler: { ...running.scheduler.stats }, queue: { ...running.queue.stats() }, memo: { ...memo } }) };
  }

  /** Stop the scheduler and its informers (its pending event/status writes are flushed). */
  async stopScheduler(): Promise<void> {
    const s = this.sched;
    if (!s) return;
    this.sched = undefined;
    if ('worker' in s) {
      await s.worker.stop();
      return;
    }
    s.ac.abort();
    await s.running.done;
    await s.informers.shutdown();
  }

  /** Stop everything and remove the temp dir (idempotent). */
  async close(): Promise<void> {
    if (this.unregister) {
      const u = this.unregister;
      this.unregister = undefined;
      await u();
      return;
    }
    await this.shutdown();
  }

  private shutdown(): Promise<void> {
    this.closed ??= (async () => {
      try {
        await this.stopScheduler();
        await this.server.close();
        await this.backend.close();
      } finally {
        await rm(this.dir, { recursive: true, force: true });
      }
    })();
    return this.closed;
  }
}

function clientAs(server: ApiServer, name: string, groups: string[]): ApiClient {
  return new ApiClient({ transport: new InProcessTransport({ handler: server, user: { name, groups: [...groups, 'system:authenticated'] } }) });
}

/** A wait on cluster state passed its deadline. */
export class Timeout extends Error {}

interface Waiter {
  check: () => boolean;
  resolve: () => void;
}

/**
 * What the bench sees of pods, through the scheduler's own pod informer (all pods): when each
 * pod was first seen bound (spec.nodeName) or marked unschedulable (PodScheduled=False reason
 * Unschedulable, no node), and which bound pods were deleted, with running counts per namespace.
 * Times are performance.now() of this thread when the informer delivered the event.
 */
export class PodWatch {
  /** `<ns>/<name>` → first time seen with spec.nodeName. */
  readonly boundAt = new Map<string, number>();
  readonly nodeOf = new Map<string, string>();
  /** `<ns>/<name>` → first time seen with PodScheduled=False reason Unschedulable (and no node). */
  readonly unschedulableAt = new Map<string, number>();
  private readonly counts = new Map<string, { bound: number; unschedulable: number; deleted: number }>();
  private readonly waiters = new Set<Waiter>();

  /** One event of an informer of all pods, delivered at `at` (performance.now() of this thread). */
  event(type: PodEventRecord[0], ns: string, name: string, nodeName: string, unschedulable: boolean, at: number): void {
    const key = `${ns}/${name}`;
    if (type === 'delete') {
      if (!nodeName) return;
      this.count(ns).deleted++;
    } else if (nodeName) {
      if (this.boundAt.has(key)) return;
      this.boundAt.set(key, at);
      this.nodeOf.set(key, nodeName);
      this.count(ns).bound++;
    } else {
      if (!unschedulable || this.unschedulableAt.has(key)) return;
      this.unschedulableAt.set(key, at);
      this.count(ns).unschedulable++;
    }
    this.poke();
  }

  /** Events forwarded from the scheduler's worker thread (their times are epoch milliseconds). */
  records(items: PodEventRecord[]): void {
    for (const [type, ns, name, nodeName, unschedulable, at] of items) this.event(type, ns, name, nodeName, unschedulable, at - performance.timeOrigin);
  }

  /** Follow an informer of all pods on this thread (the scheduler's, when it runs here). */
  attach(pods: SharedInformer<KubeObject>): void {
    const seen = (type: PodEventRecord[0], pod: KubeObject) => this.event(...podEventRecord(type, pod, performance.now()));
    pods.addEventHandler({ onAdd: (pod) => seen('add', pod), onUpdate: (_old, pod) => seen('update', pod), onDelete: (pod) => seen('delete', pod) });
  }

  /** Pods of the namespace seen bound / marked unschedulable / deleted so far. */
  bound(ns: string): number {
    return this.counts.get(ns)?.bound ?? 0;
  }
  unschedulable(ns: string): number {
    return this.counts.get(ns)?.unschedulable ?? 0;
  }
  deleted(ns: string): number {
    return this.counts.get(ns)?.deleted ?? 0;
  }

  /** Resolves once `check()` holds (re-checked on every pod event; keep it O(1)); rejects after `deadlineMs`. */
  until(check: () => boolean, deadlineMs: number, what: () => string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Timeout(`not done within ${(deadlineMs / 1000).toFixed(0)} s: ${what()}`));
      }, deadlineMs);
      this.waiters.add(w);
    });
  }

  private count(ns: string): { bound: number; unschedulable: number; deleted: number } {
    let c = this.counts.get(ns);
    if (!c) this.counts.set(ns, (c = { bound: 0, unschedulable: 0, deleted: 0 }));
    return c;
  }

  private poke(): void {
    for (const w of this.waiters) {
      if (w.check()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }
}
