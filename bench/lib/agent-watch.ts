// The pod startup benchmark's stopwatch: one watch on the bench namespace records, per pod
// name, when (performance.now() in the bench process) the watch first showed it bound to a node,
// first showed a status written by the agent (hostIP), in phase Running, Ready, and gone
// (DELETED). Creates and deletes stamp their send time here before the request goes out, so
// every latency is measured on one clock from the client's request to what a watcher sees.

import type { KubeClient } from './client.ts';

export interface PodTimes {
  createSent?: number;
  createDone?: number;
  bound?: number;
  /** First status the agent wrote (status.hostIP set). */
  agentStatus?: number;
  running?: number;
  ready?: number;
  deleteSent?: number;
  gone?: number;
  /** Last phase seen (for failure messages). */
  phase?: string;
  /** Waiting/terminated reason of the container, if any (for failure messages). */
  reason?: string;
}

type Milestone = 'bound' | 'agentStatus' | 'running' | 'ready' | 'gone';

interface WatchedPod {
  metadata?: { name?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[];
  };
}

export class PodStopwatch {
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly times = new Map<string, PodTimes>();
  private readonly waiters = new Set<() => void>();
  private readonly abort = new AbortController();
  private failure: Error | undefined;

  constructor(client: KubeClient, namespace: string) {
    this.client = client;
    this.namespace = namespace;
  }

  /** List to get a resourceVersion, then watch from it. Resolves once the watch answered 200. */
  async start(): Promise<void> {
    const list = await this.client.json<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${this.namespace}/pods?limit=1`);
    const rv = list.metadata.resourceVersion;
    const status = await this.client.stream(
      `/api/v1/namespaces/${this.namespace}/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=3600`,
      (line, at) => this.onLine(line, at),
      this.abort.signal,
    );
    if (status !== 200) throw new Error(`pod watch answered ${status}`);
  }

  close(): void {
    this.abort.abort();
    this.fail(new Error('watch closed'));
  }

  /** The record of `name` (created on first use). */
  pod(name: string): PodTimes {
    let t = this.times.get(name);
    if (!t) this.times.set(name, (t = {}));
    return t;
  }

  private onLine(line: string, at: number): void {
    let ev: { type: string; object: WatchedPod & { code?: number; message?: string } };
    try {
      ev = JSON.parse(line);
    } catch {
      return this.fail(new Error(`unparsable watch line: ${line.slice(0, 200)}`));
    }
    if (ev.type === 'ERROR') return this.fail(new Error(`pod watch error: ${ev.object.message ?? line.slice(0, 200)}`));
    if (ev.type === 'BOOKMARK') return;
    const name = ev.object.metadata?.name;
    if (!name) return;
    const t = this.pod(name);
    const pod = ev.object;
    if (ev.type === 'DELETED') {
      t.gone ??= at;
    } else {
      if (pod.spec?.nodeName) t.bound ??= at;
      if (pod.status?.hostIP) t.agentStatus ??= at;
      t.phase = pod.status?.phase;
      if (pod.status?.phase === 'Running') t.running ??= at;
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) t.ready ??= at;
      const st = pod.status?.containerStatuses?.[0]?.state;
      t.reason = st?.waiting?.reason ?? st?.terminated?.reason;
    }
    for (const w of [...this.waiters]) w();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of [...this.waiters]) w();
  }

  /** Resolves once every pod in `names` reached `milestone`; rejects after `timeoutMs` naming the stragglers. */
  waitAll(names: readonly string[], milestone: Milestone, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (this.failure) {
          done();
          return reject(this.failure);
        }
        if (names.every((n) => this.times.get(n)?.[milestone] !== undefined)) {
          done();
          resolve();
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      timer = setTimeout(() => {
        done();
        const missing = names.filter((n) => this.times.get(n)?.[milestone] === undefined);
        const shown = missing.slice(0, 5).map((n) => `${n} (phase ${this.times.get(n)?.phase ?? '?'}${this.times.get(n)?.reason ? `, ${this.times.get(n)!.reason}` : ''})`);
        reject(new Error(`${missing.length}/${names.length} pods not ${milestone} within ${timeoutMs} ms: ${shown.join(', ')}${missing.length > 5 ? ', …' : ''}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
