// The scheduler in a worker thread of the API server's process. The API server, the informers
// of other components and the scheduler otherwise share one main thread; here the scheduler
// (its informers, cache, queue, scheduling and binding cycles, event recorder) runs on a thread
// of its own and talks to the API server through a MessagePort (port-transport.ts), which the
// main thread answers with an InProcessTransport as the scheduler's user. What the scheduler
// does is unchanged: the same startScheduler() with the same options, the same API requests.
//
//   main thread: ApiServer ◄── InProcessTransport ◄── servePort ◄──┐ MessagePort
//   worker:      startScheduler ── ApiClient ── PortTransport ─────┘
//
// Usage:
//   const w = SchedulerWorker.start({ handler: server, user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] } });
//   await w.ready;            // informers synced (false: the worker stopped first)
//   await w.stats();          // counters of the scheduler and its queue
//   await w.stop();           // stop scheduling, flush pending writes, end the thread

import { MessageChannel, Worker } from 'node:worker_threads';
import type { KubeObject } from '../api/types.ts';
import type { LogLevel } from '../base/log.ts';
import { type ApiHandler, InProcessTransport, type InProcessUser } from '../client/inprocess-transport.ts';
import { servePort } from './port-transport.ts';
import type { WorkerData } from './worker-main.ts';

export interface SchedulerWorkerOptions {
  /** The API server (its handle()). */
  handler: ApiHandler;
  /** The identity the scheduler's requests carry. */
  user: InProcessUser;
  /** startScheduler options that cross the thread boundary as data. */
  options?: WorkerData['options'];
  /** The worker's log level (it logs to stderr); default 'error'. */
  logLevel?: LogLevel;
  /**
   * Receive what the scheduler's own pod informer delivers, as compact records (batched per
   * turn of the worker's loop). For a caller that would otherwise watch all pods a second time,
   * as the scheduler benchmark does: upstream's scheduler_perf shares the scheduler's informer
   * factory the same way.
   */
  onPodEvents?: (events: PodEventRecord[]) => void;
}

/**
 * One event of the scheduler's pod informer: its type, the pod's namespace and name, its
 * spec.nodeName ('' while unbound), whether it carries PodScheduled=False with reason
 * Unschedulable, and when the worker's informer delivered it (epoch ms:
 * performance.timeOrigin + performance.now() of the worker thread).
 */
export type PodEventRecord = [type: 'add' | 'update' | 'delete', namespace: string, name: string, nodeName: string, unschedulable: boolean, at: number];

/** The record of one pod informer event delivered at `at`. */
export function podEventRecord(type: PodEventRecord[0], pod: KubeObject, at: number): PodEventRecord {
  const conds = (pod.status?.conditions ?? []) as { type?: string; status?: string; reason?: string }[];
  const unschedulable = conds.some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  return [type, pod.metadata.namespace ?? '', pod.metadata.name ?? '', (pod.spec?.nodeName as string | undefined) ?? '', unschedulable, at];
}

export interface SchedulerWorkerStats {
  scheduler: { attempts: number; scheduled: number; unschedulable: number; errors: number; bindFailures: number };
  queue: { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number };
  /** The first profile's node-result reuse counters (framework/memo.ts). */
  memo: { filterRuns: number; filterReused: number; scoreRuns: number; scoreReused: number };
}

export class SchedulerWorker {
  /** Resolves once the scheduler's informers synced (false if it stopped first). */
  readonly ready: Promise<boolean>;
  private readonly worker: Worker;
  private readonly stopServing: () => void;
  private nextId = 1;
  private readonly replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private stopped: Promise<void> | undefined;
  private exited = false;

  private constructor(opts: SchedulerWorkerOptions) {
    const { port1, port2 } = new MessageChannel();
    this.stopServing = servePort(port1, new InProcessTransport({ handler: opts.handler, user: opts.user }));
    const entry = new URL(import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js', import.meta.url);
    const data: WorkerData = { port: port2 as unknown as WorkerData['port'], logLevel: opts.logLevel ?? 'error', options: opts.options ?? {}, podEvents: !!opts.onPodEvents };
    this.worker = new Worker(entry, { workerData: data, transferList: [port2] });
    let readyResolve!: (ok: boolean) => void;
    this.ready = new Promise<boolean>((r) => (readyResolve = r));
    const onPodEvents = opts.onPodEvents;
    this.worker.on('message', (m: { t: string; id?: number; ok?: boolean; value?: unknown; error?: string; items?: PodEventRecord[] }) => {
      if (m.t === 'pods') onPodEvents?.(m.items!);
      else if (m.t === 'ready') readyResolve(!!m.ok);
      else if (m.t === 'reply') {
        const p = this.replies.get(m.id!);
        this.replies.delete(m.id!);
        if (m.error) p?.reject(new Error(m.error));
        else p?.resolve(m.value);
      }
    });
    const gone = (err?: Error) => {
      this.exited = true;
      readyResolve(false);
      for (const p of this.replies.values()) p.reject(err ?? new Error('scheduler worker exited'));
      this.replies.clear();
    };
    this.worker.on('error', (e) => gone(e));
    this.worker.on('exit', () => gone());
    port1.unref();
  }

  static start(opts: SchedulerWorkerOptions): SchedulerWorker {
    return new SchedulerWorker(opts);
  }

  private call<T>(t: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error('scheduler worker exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ t, id });
    });
  }

  stats(): Promise<SchedulerWorkerStats> {
    return this.call('stats');
  }

  /** Start a CPU profile of the worker thread. */
  startProfile(): Promise<void> {
    return this.call('profile-start');
  }

  /** Stop it; the .cpuprofile JSON. */
  stopProfile(): Promise<string> {
    return this.call('profile-stop');
  }

  /** Stop scheduling (binding cycles in flight finish, pending event/status writes are flushed) and end the thread. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      try {
        await this.call('stop');
      } catch {
        // the worker is gone already
      }
      this.stopServing();
      await this.worker.terminate();
    })();
    return this.stopped;
  }
}
