// Benchmark 3: watch fan-out. Opens many concurrent HTTP watches on one namespace's configmaps
// (each its own HTTPS connection, from a known resourceVersion), then makes a series of paced
// updates to one configmap and measures, for every (watcher, event) pair, the time from the
// write's response to the watcher's receipt of that event. Beside it the raw backend's fan-out:
// as many backend.watch subscribers in the bench process, the same paced updates, time from the
// update's resolution to each subscriber's callback.
//
// Receipt times are taken in the bench process, which also parses the events of every watcher
// on the same two cores: the figures include the client's own queueing.

import type { BenchBackend, ServerUnderTest } from './lib/backends.ts';
import { KubeClient } from './lib/client.ts';
import { describeConditions } from './lib/conditions.ts';
import { pause } from './lib/drive.ts';
import { coreKeyFn, ensureNamespace } from './lib/k8s.ts';
import { CpuMeter, readMemory } from './lib/procs.ts';
import { section, type Check, type Out } from './lib/report.ts';
import { mb, ms, summarize, table, verdict } from './lib/stats.ts';

export interface WatchOptions {
  watchers: number;
  events: number;
  intervalMs: number;
}

const NS = 'bench-watch';
const CM = 'fanout';
const TARGET_P99_MS = 100;
const OPEN_BATCH = 50;
/** How long after the last write to wait for stragglers before counting them as missed. */
const DRAIN_TIMEOUT_MS = 30_000;
const SETTLE_MS = 1000;
const RV = /"resourceVersion":"(\d+)"/;

interface Write {
  rv: string;
  sentAt: number;
  doneAt: number;
}

interface FanoutFigures {
  name: string;
  fromResponse: number[];
  fromRequest: number[];
  received: number;
  expected: number;
  early: number;
  note: string;
}

/** Collects receipts per resourceVersion and resolves once `expected` arrived (or on timeout). */
class Receipts {
  readonly byRv = new Map<string, number[]>();
  count = 0;
  private readonly expected: number;
  private done: (() => void) | undefined;

  constructor(expected: number) {
    this.expected = expected;
  }

  add(rv: string, at: number): void {
    let list = this.byRv.get(rv);
    if (!list) this.byRv.set(rv, (list = []));
    list.push(at);
    if (++this.count >= this.expected) this.done?.();
  }

  wait(timeoutMs: number): Promise<void> {
    if (this.count >= this.expected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.done = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  figures(name: string, writes: Write[], note: string): FanoutFigures {
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    let early = 0;
    for (const w of writes) {
      for (const at of this.byRv.get(w.rv) ?? []) {
        fromResponse.push(at - w.doneAt);
        fromRequest.push(at - w.sentAt);
        if (at < w.doneAt) early++;
      }
    }
    return { name, fromResponse, fromRequest, received: fromResponse.length, expected: this.expected, early, note };
  }
}

export async function benchWatch(be: BenchBackend, opts: WatchOptions, out: Out): Promise<Check[]> {
  const checks: Check[] = [];
  section(
    out,
    `watch fan-out: backend ${be.name}`,
    describeConditions({
      backend: be.name,
      sizes: `${opts.watchers} watchers, ${opts.events} updates of one configmap paced ${opts.intervalMs} ms apart`,
      method: 'each watcher: GET /api/v1/namespaces/bench-watch/configmaps?watch=true&resourceVersion=<rv> on its own HTTPS connection; latency = receipt − write response',
    }),
  );
  const results: FanoutFigures[] = [];

  let srv: ServerUnderTest | undefined;
  const abort = new AbortController();
  try {
    srv = await be.startServer();
    const writer = new KubeClient(srv.creds, { maxSockets: 1 });
    await ensureNamespace(writer, NS);
    let cm = await writer.json<{ metadata: { resourceVersion: string }; data?: Record<string, string> }>('POST', `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CM, namespace: NS },
      data: { seq: '-1', payload: 'x'.repeat(256) },
    });
    const receipts = new Receipts(opts.watchers * opts.events);
    let unexpected = 0;
    // The bench shares the cores with the server: read the event type and resourceVersion
    // with two string searches instead of parsing 1,000 × events objects.
    const onLine = (line: string, at: number) => {
      const rv = RV.exec(line)?.[1];
      if (rv && line.includes('"type":"MODIFIED"')) receipts.add(rv, at);
      else unexpected++;
    };
    const watchClient = new KubeClient(srv.creds, { maxSockets: opts.watchers });
    const path = `/api/v1/namespaces/${NS}/configmaps?watch=true&resourceVersion=${cm.metadata.resourceVersion}`;
    const t0 = performance.now();
    for (let opened = 0; opened < opts.watchers; opened += OPEN_BATCH) {
      const batch = Math.min(OPEN_BATCH, opts.watchers - opened);
      const statuses = await Promise.all(Array.from({ length: batch }, () => watchClient.stream(path, onLine, abort.signal)));
      const bad = statuses.find((s) => s !== 200);
      if (bad !== undefined) throw new Error(`watch answered ${bad}`);
    }
    const openMs = performance.now() - t0;
    await pause(SETTLE_MS);
    const memBefore = readMemory(srv.pid);

    const meter = new CpuMeter(srv.cpuGroups);
    const writes: Write[] = [];
    const start = performance.now();
    for (let i = 0; i < opts.events; i++) {
      cm = { ...cm, data: { ...cm.data, seq: String(i) } };
      const sentAt = performance.now();
      cm = await writer.json('PUT', `/api/v1/namespaces/${NS}/configmaps/${CM}`, cm);
      writes.push({ rv: cm.metadata.resourceVersion, sentAt, doneAt: performance.now() });
      await pause(start + (i + 1) * opts.intervalMs - performance.now());
    }
    await receipts.wait(DRAIN_TIMEOUT_MS);
    const cpu = meter.stop();
    const memAfter = readMemory(srv.pid);
    abort.abort();
    watchClient.close();
    writer.close();
    results.push(
      receipts.figures(
        'skiff HTTP watch',
        writes,
        `opened ${opts.watchers} watches in ${ms(openMs)}; server RSS with them ${mb(memBefore.rss)} → ${mb(memAfter.rss)} after the events; ` +
          `skiff CPU ${cpu.pct.skiff!.toFixed(0)}%${cpu.pct.etcd !== undefined ? `, etcd CPU ${cpu.pct.etcd.toFixed(0)}%` : ''}, bench CPU ${cpu.benchPct.toFixed(0)}%, other processes ${cpu.othersPct.toFixed(0)}% during the writes` +
          (unexpected ? `; ${unexpected} other watch lines (not MODIFIED)` : ''),
      ),
    );
  } catch (err) {
    out(`skiff server part FAILED: ${err instanceof Error ? err.message : String(err)}`);
    if (srv) out(`server log tail:\n${srv.logs()}`);
  } finally {
    abort.abort();
    await srv?.stopAll();
  }

  // --- the raw store: in-process subscribers ---
  const rawAbort = new AbortController();
  try {
    const { key } = await coreKeyFn('configmaps');
    const store = await be.openRaw();
    try {
      const k = key(NS, CM);
      let kv = await store.backend.create(k, JSON.stringify({ data: { seq: '-1', payload: 'x'.repeat(256) } }));
      const receipts = new Receipts(opts.watchers * opts.events);
      let failure: Error | undefined;
      for (let i = 0; i < opts.watchers; i++) {
        store.backend.watch(
          k,
          { fromRevision: kv.modRevision + 1, signal: rawAbort.signal },
          {
            onEvents: (events) => {
              const at = performance.now();
              for (const ev of events) receipts.add(String(ev.kv.modRevision), at);
            },
            onError: (err) => (failure ??= err),
          },
        );
      }
      const writes: Write[] = [];
      const start = performance.now();
      for (let i = 0; i < opts.events; i++) {
        const sentAt = performance.now();
        kv = await store.backend.update(k, JSON.stringify({ data: { seq: String(i), payload: 'x'.repeat(256) } }), kv.modRevision);
        writes.push({ rv: String(kv.modRevision), sentAt, doneAt: performance.now() });
        await pause(start + (i + 1) * opts.intervalMs - performance.now());
      }
      await receipts.wait(DRAIN_TIMEOUT_MS);
      rawAbort.abort();
      if (failure) throw failure;
      results.push(receipts.figures('raw backend.watch', writes, `${store.url.replace(/\/tmp\/[^/]+/, '<tmp>')}`));
    } finally {
      rawAbort.abort();
      await store.close();
    }
  } catch (err) {
    out(`raw store part FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }

  out(
    table(
      ['watch', 'received', 'p50', 'p99', 'max', 'min', 'p99 from request', 'before response'],
      results.map((r) => {
        const s = summarize(r.fromResponse);
        const q = summarize(r.fromRequest);
        return [r.name, `${r.received}/${r.expected}`, ms(s.p50), ms(s.p99), ms(s.max), ms(s.min), ms(q.p99), String(r.early)];
      }),
    ),
  );
  for (const r of results) out(`${r.name}: ${r.note}`);
  out('(latency = receipt − write response; negative when the event arrived before the write\'s response; "before response" counts those)');

  const http = results.find((r) => r.name === 'skiff HTTP watch');
  if (http) {
    const p99 = summarize(http.fromResponse).p99;
    const complete = http.received === http.expected;
    const ok = complete && p99 <= TARGET_P99_MS;
    const target = `p99 ≤ ${TARGET_P99_MS} ms, every event delivered`;
    const value = `p99 ${ms(p99)}, ${http.received}/${http.expected} delivered`;
    out(`fan-out target: ${value} → ${verdict(ok, target)}`);
    checks.push({ backend: be.name, what: `watch fan-out to ${opts.watchers} watchers`, value, target, ok });
  }
  return checks;
}
