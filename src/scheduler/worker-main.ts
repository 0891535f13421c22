// The entry of the scheduler's worker thread (started by worker.ts): a client over the port to
// the API server's thread, the scheduler's informers, and startScheduler() exactly as in the
// main thread. Answers the parent's stats / profile / stop messages, and forwards its pod
// informer's events when asked (worker.ts onPodEvents).

import { parentPort, workerData } from 'node:worker_threads';
import { Session } from 'node:inspector/promises';
import { consoleLogger, type LogLevel } from '../base/log.ts';
import { ApiClient } from '../client/client.ts';
import type { KubeObject } from '../api/types.ts';
import { PortTransport, type PortLike } from './port-transport.ts';
import { schedulerInformerFactory, startScheduler, type StartSchedulerOptions } from './run.ts';
import { type PodEventRecord, podEventRecord } from './worker.ts';

export interface WorkerData {
  port: PortLike;
  logLevel: LogLevel;
  options: Pick<StartSchedulerOptions, 'profiles' | 'percentageOfNodesToScore' | 'assumedPodTTLMs' | 'leaderElection'>;
  /** Forward the pod informer's events to the parent ({t: 'pods', items: PodEventRecord[]}). */
  podEvents?: boolean;
}

const data = workerData as WorkerData;
const parent = parentPort!;
const log = consoleLogger('scheduler', data.logLevel);
const client = new ApiClient({ transport: new PortTransport(data.port) });
const informers = schedulerInformerFactory(client, log);
const ac = new AbortController();
const running = startScheduler({ client, informers, log, signal: ac.signal, ...data.options });
void running.ready.then((ok) => parent.postMessage({ t: 'ready', ok }));
if (data.podEvents) forwardPodEvents();

/** Post what the scheduler's pod informer delivers to the parent, one batch per loop turn. */
function forwardPodEvents(): void {
  let batch: PodEventRecord[] = [];
  const post = () => {
    const items = batch;
    batch = [];
    parent.postMessage({ t: 'pods', items });
  };
  const record = (type: PodEventRecord[0], pod: KubeObject) => {
    if (batch.length === 0) setImmediate(post);
    batch.push(podEventRecord(type, pod, performance.timeOrigin + performance.now()));
  };
  informers.informer('', 'v1', 'pods').addEventHandler({
    onAdd: (pod) => record('add', pod),
    onUpdate: (_old, pod) => record('update', pod),
    onDelete: (pod) => record('delete', pod),
  });
}
let profiler: Session | undefined;

parent.on('message', async (m: { t: string; id: number }) => {
  try {
    switch (m.t) {
      case 'stats': {
        const memo = running.scheduler.profiles.values().next().value?.memoStats;
        parent.postMessage({ t: 'reply', id: m.id, value: { scheduler: { ...running.scheduler.stats }, queue: { ...running.queue.stats() }, memo: { ...memo } } });
        return;
      }
      case 'profile-start':
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
        parent.postMessage({ t: 'reply', id: m.id, value: true });
        return;
      case 'profile-stop': {
        const { profile } = await profiler!.post('Profiler.stop');
        profiler!.disconnect();
        profiler = undefined;
        parent.postMessage({ t: 'reply', id: m.id, value: JSON.stringify(profile) });
        return;
      }
      case 'stop':
        ac.abort();
        await running.done;
        await informers.shutdown();
        parent.postMessage({ t: 'reply', id: m.id, value: true });
        return;
    }
  } catch (e) {
    parent.postMessage({ t: 'reply', id: m.id, error: String(e) });
  }
});
