// The in-process cluster the scheduler benchmarks run against, as upstream's scheduler_perf
// does: one process holds the API server (on SQLite in a temp dir), the scheduler (its own
// user, its own informers, talking to the API through InProcessTransport) and the bench's own
// client. Nodes are plain Node objects created through the API (no Leases, no kubelet); pods
// are POSTed from ready-made JSON bodies with bounded concurrency. The bench client's
// all-namespaces informers of bound pods (and, for the Unschedulable backlog, of unbound pods)
// observe what the scheduler did (PodWatch).
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
import { SharedInformerFactory, stripManagedFields } from '../src/client/factory.ts';
import type { SharedInformer } from '../src/client/informer.ts';
import { InProcessTransport } from '../src/client/inprocess-transport.ts';
import type { Backend } from '../src/store/backend.ts';
import { openBackend } from '../src/store/open.ts';
import { type RunningScheduler, schedulerInformerFactory, startScheduler } from '../src/scheduler/run.ts';
import { SchedulerWorker } from '../src/scheduler/worker.ts';
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
  private readonly informers: SharedInformerFactory;
  private readonly stopInformers = new AbortController();
  private sched?: { running: RunningScheduler; ac: AbortController; informers: SharedInformerFactory } | { worker: SchedulerWorker };
  private unregister?: () => Promise<void>;
  private closed?: Promise<void>;

  private constructor(dir: string, backend: Backend, server: ApiServer, log: Logger, watchUnscheduled: boolean) {
    this.dir = dir;
    this.backend = backend;
    this.server = server;
    this.log = log;
    this.client = clientAs(server, 'bench', ['system:masters']);
    this.informers = new SharedInformerFactory({ client: this.client, log: log.child('bench-informers'), transform: stripManagedFields });
    // Bound pods through a field selector: one event per pod (ADDED when it is bound), not two.
    const bound = this.informers.informer('', 'v1', 'pods', { fieldSelector: 'spec.nodeName!=' });
    this.watch = new PodWatch(bound, watchUnscheduled ? this.informers.informer('', 'v1', 'pods', { fieldSelector: 'spec.nodeName=' }) : undefined);
  }

  /**
   * A fresh API server on a fresh SQLite file (retaining 10,000 revisions, as `skiff server`).
   * `watchUnscheduled`: also watch unbound pods, for PodWatch.unschedulable().
   */
  static async start(cleanup: Cleanup, opts: { watchUnscheduled?: boolean } = {}): Promise<SimCluster> {
    const dir = await mkdtemp(path.join(tmpdir(), 'skiff-bench-sched-'));
    const removeDir = () => rm(dir, { recursive: true, force: true });
    // Errors only: a benchmark's output is its figures; warnings would be per-pod noise.
    const log = consoleLogger('bench-scheduler', 'error');
    let backend: Backend | undefined;
    try {
      backend = await openBackend(`sqlite://${path.join(dir, 'state.db')}`, { dataDir: dir, retainRevisions: 10_000, onError: (e) => log.error('datastore background error', { error: String(e) }) });
      const server = await ApiServer.start({ backend, log: log.child('apiserver') });
      server.setReady();
      const c = new SimCluster(dir, backend, server, log, !!opts.watchUnscheduled);
      c.unregister = cleanup.add(`scheduler bench cluster ${dir}`, () => c.shutdown());
      c.informers.start(c.stopInformers.signal);
      if (!(await c.informers.waitForCacheSync(c.stopInformers.signal))) throw new Error('bench pod informer did not sync');
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
      const worker = SchedulerWorker.start({ handler: this.server, user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] } });
      this.sched = { worker };
      if (!(await worker.ready)) throw new Error('scheduler worker did not sync');
      return { thread, stats: () => worker.stats(), profileWorker: { start: () => worker.startProfile(), stop: () => worker.stopProfile() } };
    }
    const client = clientAs(this.server, 'system:kube-scheduler', []);
    const informers = schedulerInformerFactory(client, this.log.child('scheduler'));
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
        this.stopInformers.abort();
        await this.informers.shutdown();
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
 * What the bench sees of pods, through its own informers: when each pod was first seen bound
 * (spec.nodeName; from an informer of bound pods) or marked unschedulable (PodScheduled=False;
 * from an informer of unbound pods, when given), and which bound pods were deleted, with
 * running counts per namespace. Times are performance.now() when the informer delivered the event.
 */
export class PodWatch {
  /** `<ns>/<name>` → first time seen with spec.nodeName. */
  readonly boundAt = new Map<string, number>();
  readonly nodeOf = new Map<string, string>();
  /** `<ns>/<name>` → first time seen with PodScheduled=False reason Unschedulable (and no node). */
  readonly unschedulableAt = new Map<string, number>();
  private readonly counts = new Map<string, { bound: number; unschedulable: number; deleted: number }>();
  private readonly waiters = new Set<Waiter>();

  constructor(bound: SharedInformer<KubeObject>, unbound?: SharedInformer<KubeObject>) {
    const seenBound = (obj: KubeObject) => {
      const ns = obj.metadata.namespace ?? '';
      const key = `${ns}/${obj.metadata.name}`;
      if (this.boundAt.has(key)) return;
      this.boundAt.set(key, performance.now());
      this.nodeOf.set(key, obj.spec?.nodeName as string);
      this.count(ns).bound++;
      this.poke();
    };
    bound.addEventHandler({
      onAdd: seenBound,
      onUpdate: (_old, obj) => seenBound(obj),
      onDelete: (obj) => {
        this.count(obj.metadata.namespace ?? '').deleted++;
        this.poke();
      },
    });
    const seenUnbound = (obj: KubeObject) => {
      const ns = obj.metadata.namespace ?? '';
      const key = `${ns}/${obj.metadata.name}`;
      if (this.unschedulableAt.has(key)) return;
      const conds = (obj.status?.conditions ?? []) as { type: string; status: string; reason?: string }[];
      if (!conds.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable')) return;
      this.unschedulableAt.set(key, performance.now());
      this.count(ns).unschedulable++;
      this.poke();
    };
    unbound?.addEventHandler({ onAdd: seenUnbound, onUpdate: (_old, obj) => seenUnbound(obj) });
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
