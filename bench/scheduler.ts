// Benchmark: the scheduler on upstream's scheduler_perf shapes (SchedulingBasic,
// SchedulingPodAntiAffinity, PreemptionBasic, Unschedulable; see scheduler-workloads.ts), all in
// one process with the API server on SQLite, as the scheduler issue's proof asks.
//
// Per workload, on a fresh in-process cluster (scheduler-cluster.ts): create the nodes through
// the API, start the scheduler, create and wait for the initial pods (or the unschedulable
// backlog), then create the measured pods through the API (WRITE_CONCURRENCY at a time) while
// the bench's own pod informer records when each is first seen bound. Figures:
//   throughput  = measured pods / (last bind seen − first measured create sent)
//   latency     = bind seen − create returned, per pod (p50/p99/max)
//   per-second  = binds per 1-s window over the same interval (upstream's SchedulingThroughput form)
// SchedulingBasic also measures a baseline: the same creates with the scheduler stopped, i.e.
// what the API alone does, so the ratio shows the scheduler's cost.
//
// Run from run.ts (`npm run bench -- --only scheduler [--quick] [--profile DIR]`), or alone:
//   node bench/scheduler.ts [--quick] [--workloads SchedulingBasic,Unschedulable] [--profile DIR]
// With a profile dir, each workload's measured phase is CPU-profiled in-process (node:inspector)
// into DIR/scheduler-<workload>.cpuprofile, and the Unschedulable backlog phase into
// DIR/scheduler-Unschedulable-backlog.cpuprofile (summarize with bench/profile-summary.ts).

import { writeFile, mkdir } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeObject } from '../src/api/types.ts';
import type { BenchBackend } from './lib/backends.ts';
import { Cleanup } from './lib/cleanup.ts';
import { describeConditions } from './lib/conditions.ts';
import { CpuMeter } from './lib/procs.ts';
import { section, type Check, type Out } from './lib/report.ts';
import { mb, ms, percentile, rate, summarize, table, type Summary } from './lib/stats.ts';
import { bodyTemplate, defaultSchedulerThread, type SchedulerHandle, type SchedulerThread, SimCluster, Timeout, WRITE_CONCURRENCY, ZONES } from './scheduler-cluster.ts';
import { PRIORITY_CLASSES, WORKLOAD_NAMES, workloads, type Workload, type WorkloadName } from './scheduler-workloads.ts';
import { ensureServerV8Flags } from './lib/v8flags.ts';

export interface SchedulerBenchOptions {
  quick: boolean;
  /** Workloads to run (default all). */
  only?: readonly WorkloadName[];
  cleanup: Cleanup;
  /** CPU-profile each measured phase into this directory. */
  profileDir?: string;
  /** Run the scheduler on the main thread or in a worker thread (default: what `skiff server` picks here, defaultSchedulerThread()). */
  schedulerThread?: SchedulerThread;
}

/** Upstream kube-scheduler's CI floor for SchedulingBasic/5000Nodes_10000Pods, and the issue's target. */
const UPSTREAM_FLOOR = 680;
const TARGET = 2000;
/** Unschedulable's measured pods must keep this share of SchedulingBasic's throughput (the bench's own criterion). */
const BACKLOG_SHARE = 0.8;
const BACKEND = 'sqlite, in-process';

interface Measured {
  count: number;
  bound: number;
  timedOut?: string;
  /** ms from the first measured create sent to the last bind seen (or to the deadline). */
  windowMs: number;
  throughput: number;
  latency: Summary;
  /** Pods seen bound before their own create returned (latency ≤ 0). */
  early: number;
  perSecond: Summary & { p90: number };
  createWallMs: number;
  /** Binds seen after the last measured create returned, and over how long (the scheduler without creates competing). */
  drain: { bound: number; ms: number };
  /** Binds per whole second from the first create (at most the first 60 s). */
  series: number[];
  createLatency: Summary;
  cpuPct: number;
  othersPct: number;
  eluPct: number;
  rssMB: number;
  heapMB: number;
  /** Churn pods created during the measurement. */
  churned: number;
  stats: Record<string, number>;
  queue: Record<string, number>;
  /** Node results computed and reused during the measurement (src/scheduler/framework/memo.ts). */
  memo: Record<string, number>;
  distinctNodes: number;
}

interface WorkloadResult {
  w: Workload;
  m: Measured;
  baseline?: { rate: number; latency: Summary };
  victimsDeleted?: number;
}

export async function benchScheduler(be: BenchBackend | undefined, opts: SchedulerBenchOptions, out: Out): Promise<Check[]> {
  if (be && be.name !== 'sqlite') {
    out(`\n=== scheduler: backend ${be.name} ===\nskipped: the scheduler benchmark runs in one process with the API server on SQLite (the issue's shape)`);
    return [];
  }
  const chosen = workloads(opts.quick).filter((w) => !opts.only || opts.only.includes(w.name as WorkloadName));
  return runWorkloads(chosen, opts, out);
}

/** Run the given workloads one after the other (each on a fresh cluster), print a summary, return the checks. */
export async function runWorkloads(chosen: readonly Workload[], opts: SchedulerBenchOptions, out: Out): Promise<Check[]> {
  const results: WorkloadResult[] = [];
  for (const w of chosen) results.push(await runWorkload(w, opts, out));
  return summarizeAll(results, opts.quick, opts.schedulerThread ?? defaultSchedulerThread(), out);
}

async function runWorkload(w: Workload, opts: SchedulerBenchOptions, out: Out): Promise<WorkloadResult> {
  const steps = [w.init && `${w.init.count} initial pods (${w.init.namespace})`, w.backlog && `${w.backlog.count} unschedulable backlog pods (${w.backlog.namespace})`, `${w.measured.count} measured pods (${w.measured.namespace})`].filter(Boolean);
  section(
    out,
    `scheduler: ${w.name}${opts.quick ? ' (quick sizes)' : ''}`,
    describeConditions({
      'in-process':
        (opts.schedulerThread ?? defaultSchedulerThread()) === 'worker'
          ? 'the API server, the scheduler and the bench client are one Node process; the scheduler (its informers, cache, cycles, event recorder) runs in a worker thread and reaches the API server on the main thread through a MessagePort (src/scheduler/worker.ts); the API server and the bench client share the main thread (plus the libuv pool for SQLite syncs)'
          : 'the API server, the scheduler and the bench client are one Node process: they share its main thread (plus the libuv pool for SQLite syncs) and the cores with everything else',
      'node flags': `${process.execArgv.join(' ') || '(none)'} (bin/skiff gives \`skiff server\` the same V8 pool size)`,
      upstream: `${w.upstream}${w.upstreamThreshold ? `, upstream CI threshold ${w.upstreamThreshold} pods/s` : ''}`,
      sizes: `${w.nodes} nodes (${w.nodeShape.cpu} cpu / ${w.nodeShape.memory} / ${w.nodeShape.pods} pods, zones ${ZONES.join(', ')}), ${steps.join(', ')}${w.churn ? `, churn: 1 pod every ${w.churn.intervalMs} ms during the measurement` : ''}`,
      method: `POST pods through InProcessTransport, ${WRITE_CONCURRENCY} at a time; the scheduler's own pod informer (shared with the bench, as upstream's scheduler_perf shares the scheduler's informer factory; forwarded from the worker thread) records when each is first seen bound`,
      ...(w.notes.length ? { 'differs from upstream': w.notes.join('; ') } : {}),
    }),
  );
  const cluster = await SimCluster.start(opts.cleanup);
  try {
    const watch = cluster.watch;
    let t = performance.now();
    await cluster.createNodes('node-', w.nodes, w.nodeShape);
    const setup: string[] = [`${w.nodes} nodes created in ${secs(performance.now() - t)} (${rate((w.nodes * 1000) / (performance.now() - t))})`];
    if (w.priorityClasses) for (const pc of PRIORITY_CLASSES) await cluster.createObject('scheduling.k8s.io', 'v1', 'priorityclasses', structuredClone(pc));
    const namespaces = new Set([w.init?.namespace, w.backlog?.namespace, w.churn?.namespace, w.measured.namespace, w.baseline ? 'baseline' : undefined].filter((n): n is string => !!n));
    await cluster.createNamespaces([...namespaces]);

    t = performance.now();
    const running = await cluster.startScheduler(opts.schedulerThread ?? defaultSchedulerThread());
    setup.push(`scheduler synced in ${secs(performance.now() - t)}`);

    if (w.init) {
      const s = w.init;
      t = performance.now();
      await createPods(cluster, s.template, s.namespace, 'init-', s.count);
      await watch.until(() => watch.bound(s.namespace) >= s.count, 300_000, () => `${watch.bound(s.namespace)}/${s.count} initial pods bound`);
      setup.push(`${s.count} initial pods created and bound in ${secs(performance.now() - t)}`);
    }
    if (w.backlog) {
      const s = w.backlog;
      t = performance.now();
      const profiler = opts.profileDir ? await startProfile(running) : undefined;
      await createPods(cluster, s.template, s.namespace, 'backlog-', s.count);
      const created = performance.now();
      await watch.until(() => watch.unschedulable(s.namespace) >= s.count, 600_000, () => `${watch.unschedulable(s.namespace)}/${s.count} backlog pods marked unschedulable`);
      await profiler?.stop(path.join(opts.profileDir!, `scheduler-${w.name}-backlog.cpuprofile`));
      const { queue: q } = await running.stats();
      setup.push(
        `${s.count} backlog pods created in ${secs(created - t)}, all attempted and marked Unschedulable after ${secs(performance.now() - t)} ` +
          `(${rate((s.count * 1000) / (performance.now() - t))}); queue: ${q.unschedulable} unschedulable, ${q.backoff} backoff, ${q.active} active`,
      );
    }
    out(`setup: ${setup.join('; ')}`);

    const before = await running.stats();
    const m = await measure(cluster, w, opts, running);
    const after = await running.stats();
    m.stats = Object.fromEntries(Object.entries(after.scheduler).map(([k, v]) => [k, v - before.scheduler[k]!]));
    m.queue = after.queue;
    m.memo = Object.fromEntries(Object.entries(after.memo).map(([k, v]) => [k, v - (before.memo[k] ?? 0)]));
    const result: WorkloadResult = { w, m };
    if (w.init && w.name === 'PreemptionBasic') result.victimsDeleted = watch.deleted(w.init.namespace);

    if (w.baseline) {
      await cluster.stopScheduler();
      const startAt = new Float64Array(w.measured.count);
      const lat = new Float64Array(w.measured.count);
      const t0 = performance.now();
      await createPods(cluster, w.measured.template, 'baseline', 'pod-', w.measured.count, {
        before: (i) => (startAt[i] = performance.now()),
        after: (i) => (lat[i] = performance.now() - startAt[i]!),
      });
      const wall = performance.now() - t0;
      result.baseline = { rate: (w.measured.count * 1000) / wall, latency: summarize(Array.from(lat)) };
    }
    report(result, out);
    return result;
  } finally {
    await cluster.close();
  }
}

function createPods(cluster: SimCluster, template: KubeObject, ns: string, prefix: string, count: number, hooks?: { before?(i: number): void; after?(i: number): void }) {
  const body = bodyTemplate({ ...template, metadata: { ...template.metadata, namespace: ns } });
  const collection = `/api/v1/namespaces/${ns}/pods`;
  return cluster.post(() => collection, (i) => body(`${prefix}${i}`), count, WRITE_CONCURRENCY, hooks);
}

async function measure(cluster: SimCluster, w: Workload, opts: SchedulerBenchOptions, running: SchedulerHandle): Promise<Measured> {
  const watch = cluster.watch;
  const { namespace: ns, count } = w.measured;
  const startAt = new Float64Array(count);
  const createdAt = new Float64Array(count);
  const profiler = opts.profileDir ? await startProfile(running) : undefined;
  const meter = new CpuMeter({});
  const elu0 = performance.eventLoopUtilization();

  // Upstream's churn op: one more pod every intervalMs while the measured pods schedule.
  let churned = 0;
  const churnWrites: Promise<unknown>[] = [];
  let churnTimer: NodeJS.Timeout | undefined;
  if (w.churn) {
    const c = w.churn;
    const body = bodyTemplate({ ...c.template, metadata: { ...c.template.metadata, namespace: c.namespace } });
    churnTimer = setInterval(() => {
      const name = `churn-${churned++}`;
      churnWrites.push(cluster.client.transport.do({ method: 'POST', path: `/api/v1/namespaces/${c.namespace}/pods`, body: body(name), headers: { 'content-type': 'application/json' } }));
    }, c.intervalMs);
  }

  const t0 = performance.now();
  let timedOut: string | undefined;
  let createWallMs = NaN;
  const created = createPods(cluster, w.measured.template, ns, 'pod-', count, {
    before: (i) => (startAt[i] = performance.now()),
    after: (i) => (createdAt[i] = performance.now()),
  }).then(() => (createWallMs = performance.now() - t0));
  try {
    await created;
    const left = Math.max(1000, w.deadlineMs - (performance.now() - t0));
    await watch.until(() => watch.bound(ns) >= count, left, () => `${watch.bound(ns)}/${count} measured pods bound`);
  } catch (e) {
    if (!(e instanceof Timeout)) throw e;
    timedOut = e.message;
  } finally {
    clearInterval(churnTimer);
  }
  await Promise.allSettled(churnWrites);
  const cpu = meter.stop();
  const elu = performance.eventLoopUtilization(elu0);
  if (profiler) await profiler.stop(path.join(opts.profileDir!, `scheduler-${w.name}.cpuprofile`));

  const lat: number[] = [];
  const createLat: number[] = [];
  let last = t0;
  let early = 0;
  let drained = 0;
  const createdEnd = t0 + createWallMs;
  const nodes = new Set<string>();
  const binsPerSecond: number[] = [];
  for (let i = 0; i < count; i++) {
    createLat.push(createdAt[i]! - startAt[i]!);
    const key = `${ns}/pod-${i}`;
    const b = watch.boundAt.get(key);
    if (b === undefined) continue;
    nodes.add(watch.nodeOf.get(key)!);
    const l = b - createdAt[i]!;
    if (l <= 0) early++;
    lat.push(l);
    if (b > last) last = b;
    if (b > createdEnd) drained++;
    const sec = Math.floor((b - t0) / 1000);
    binsPerSecond[sec] = (binsPerSecond[sec] ?? 0) + 1;
  }
  const windowMs = (timedOut ? performance.now() : last) - t0;
  // Whole seconds only (a partial last second would read low); every second in the window counts, even with no binds.
  const full = Math.max(1, Math.floor(windowMs / 1000));
  const samples = Array.from({ length: full }, (_, s) => binsPerSecond[s] ?? 0);
  return {
    count,
    bound: lat.length,
    timedOut,
    windowMs,
    throughput: (lat.length * 1000) / windowMs,
    latency: summarize(lat),
    early,
    perSecond: { ...summarize(samples), p90: percentile([...samples].sort((a, b) => a - b), 90) },
    createWallMs,
    drain: { bound: drained, ms: Math.max(0, last - createdEnd) },
    series: samples.slice(0, 60),
    createLatency: summarize(createLat),
    cpuPct: cpu.benchPct,
    othersPct: cpu.othersPct,
    eluPct: elu.utilization * 100,
    rssMB: process.memoryUsage().rss / (1024 * 1024),
    heapMB: process.memoryUsage().heapUsed / (1024 * 1024),
    churned,
    stats: {},
    queue: {},
    memo: {},
    distinctNodes: nodes.size,
  };
}

/** Profile the main thread into `file`, and a worker scheduler's thread into `<file without .cpuprofile>-worker.cpuprofile`. */
async function startProfile(running: SchedulerHandle): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await running.profileWorker?.start();
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
      const worker = await running.profileWorker?.stop();
      if (worker) await writeFile(file.replace(/\.cpuprofile$/, '-worker.cpuprofile'), worker);
    },
  };
}

function secs(msValue: number): string {
  return `${(msValue / 1000).toFixed(1)} s`;
}

function report(r: WorkloadResult, out: Out): void {
  const { m, w } = r;
  const lines: [string, string][] = [
    ['bound', `${m.bound}/${m.count} measured pods on ${m.distinctNodes} distinct nodes${m.timedOut ? ` — GAVE UP: ${m.timedOut}` : ''}`],
    ["throughput", `${m.throughput.toFixed(0)} pods/s over ${secs(m.windowMs)} (measured pods / (last bind seen − first create sent))`],
    ['per-second binds', `avg ${m.perSecond.mean.toFixed(0)}, p50 ${m.perSecond.p50}, p90 ${m.perSecond.p90}, p99 ${m.perSecond.p99}, min ${m.perSecond.min} over ${m.perSecond.n} whole seconds (upstream's SchedulingThroughput form)`],
    ['latency', `p50 ${ms(m.latency.p50)}, p99 ${ms(m.latency.p99)}, max ${ms(m.latency.max)} (bind seen − create returned${m.early ? `; ${m.early} pods were seen bound before their create returned` : ''})`],
    ['creates', `${m.count} in ${secs(m.createWallMs)} = ${rate((m.count * 1000) / m.createWallMs)} while scheduling; create latency p50 ${ms(m.createLatency.p50)}, p99 ${ms(m.createLatency.p99)}`],
    ['binds/s series', m.series.join(' ')],
    ['after creates', m.drain.bound > 0 ? `${m.drain.bound} pods bound after the last create returned, in ${secs(m.drain.ms)} = ${rate((m.drain.bound * 1000) / m.drain.ms)} (the scheduler with no creates competing for the thread)` : 'every pod was bound before the last create returned'],
    ['scheduler', `${Object.entries(m.stats).map(([k, v]) => `${k} ${v}`).join(', ')} during the measurement${m.churned ? ` (${m.churned} churn pods created, so ${m.stats.attempts! - m.stats.scheduled! - m.churned} other attempts)` : ''}; queue after: ${Object.entries(m.queue).map(([k, v]) => `${k} ${v}`).join(', ')}`],
    ['CPU', `this process ${m.cpuPct.toFixed(0)}% of a core (main thread busy ${m.eluPct.toFixed(0)}%), other processes ${m.othersPct.toFixed(0)}%; RSS ${mb(m.rssMB * 1024 * 1024)}, JS heap ${mb(m.heapMB * 1024 * 1024)}`],
  ];
  if (m.memo.filterRuns !== undefined) {
    const share = (reused: number, runs: number) => `${runs} computed, ${reused} reused (${reused + runs > 0 ? ((100 * reused) / (reused + runs)).toFixed(0) : 0}%)`;
    lines.push(['node results', `Filter ${share(m.memo.filterReused!, m.memo.filterRuns!)}; Score ${share(m.memo.scoreReused!, m.memo.scoreRuns!)} (pods of one signature, nodes unchanged since)`]);
  }
  if (r.victimsDeleted !== undefined) lines.push(['preemption', `${r.victimsDeleted} low-priority victims deleted`]);
  if (r.baseline) {
    lines.push([
      'baseline',
      `the same ${m.count} creates with the scheduler stopped: ${rate(r.baseline.rate)} (create p50 ${ms(r.baseline.latency.p50)}, p99 ${ms(r.baseline.latency.p99)}); ` +
        `scheduled throughput / create-only rate = ${(m.throughput / r.baseline.rate).toFixed(2)}`,
    ]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) out(`${k.padEnd(width)}  ${v}`);
  if (w.upstreamThreshold) out(`upstream CI threshold ${w.upstreamThreshold} pods/s → ${m.throughput >= w.upstreamThreshold && !m.timedOut ? 'PASS' : 'MISS'}`);
  if (w.name === 'SchedulingBasic') out(`target ≥ ${TARGET} pods/s → ${m.throughput >= TARGET && !m.timedOut ? 'PASS' : 'MISS'}`);
}

function summarizeAll(results: WorkloadResult[], quick: boolean, thread: SchedulerThread, out: Out): Check[] {
  out(`\n=== scheduler: summary${quick ? ' (quick sizes: not comparable with upstream figures)' : ''} ===`);
  out(
    table(
      ['workload', 'nodes', 'init', 'measured', 'bound', 'pods/s', 'p50', 'p99', 'creates/s', 'upstream floor'],
      results.map(({ w, m }) => [
        w.name,
        String(w.nodes),
        String(w.init?.count ?? w.backlog?.count ?? 0) + (w.backlog ? ' (unsched.)' : ''),
        String(m.count),
        `${m.bound}${m.timedOut ? ' (gave up)' : ''}`,
        rate(m.throughput),
        ms(m.latency.p50),
        ms(m.latency.p99),
        rate((m.count * 1000) / m.createWallMs),
        w.upstreamThreshold ? `${w.upstreamThreshold}/s` : '-',
      ]),
    ),
  );
  const checks: Check[] = [];
  const BACKEND_LABEL = thread === 'worker' ? `${BACKEND} (scheduler in a worker thread)` : BACKEND;
  const ok = (m: Measured, floor: number) => m.throughput >= floor && !m.timedOut;
  const size = (r: WorkloadResult) => `${r.w.nodes} nodes, ${r.m.count} pods${quick ? ', quick' : ''}`;
  const basic = results.find((r) => r.w.name === 'SchedulingBasic');
  if (basic) {
    const v = `${rate(basic.m.throughput)}, p99 ${ms(basic.m.latency.p99)}`;
    checks.push({ backend: BACKEND_LABEL, what: `SchedulingBasic (${size(basic)}) vs upstream CI floor`, value: v, target: `≥ ${UPSTREAM_FLOOR}/s`, ok: ok(basic.m, UPSTREAM_FLOOR) });
    checks.push({ backend: BACKEND_LABEL, what: `SchedulingBasic (${size(basic)})`, value: v, target: `≥ ${TARGET}/s`, ok: ok(basic.m, TARGET) });
  }
  for (const r of results) {
    if (r.w.name === 'SchedulingBasic') continue;
    if (r.w.upstreamThreshold) checks.push({ backend: BACKEND_LABEL, what: `${r.w.name} (${size(r)}) vs upstream CI floor`, value: rate(r.m.throughput), target: `≥ ${r.w.upstreamThreshold}/s`, ok: ok(r.m, r.w.upstreamThreshold) });
    if (r.w.name === 'PreemptionBasic') checks.push({ backend: BACKEND_LABEL, what: `PreemptionBasic (${size(r)}) preemptors bound`, value: `${r.m.bound}/${r.m.count} at ${rate(r.m.throughput)}, ${r.victimsDeleted} victims`, target: 'all bound', ok: r.m.bound === r.m.count });
    if (r.w.name === 'Unschedulable' && basic) {
      const share = r.m.throughput / basic.m.throughput;
      checks.push({
        backend: BACKEND_LABEL,
        what: `Unschedulable (${r.w.backlog?.count} backlog${r.w.churn ? ' + churn' : ''}) vs SchedulingBasic`,
        value: `${rate(r.m.throughput)} = ${(share * 100).toFixed(0)}% of SchedulingBasic`,
        target: `≥ ${BACKLOG_SHARE * 100}% of SchedulingBasic`,
        ok: share >= BACKLOG_SHARE && !r.m.timedOut,
      });
    }
  }
  return checks;
}

if (import.meta.main) {
  ensureServerV8Flags();
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, workloads: { type: 'string' }, profile: { type: 'string' }, 'scheduler-thread': { type: 'string', default: 'auto' } } });
  const flag = values['scheduler-thread'];
  if (flag !== 'main' && flag !== 'worker' && flag !== 'auto') throw new Error(`--scheduler-thread must be auto, main or worker, not ${flag}`);
  const thread = flag === 'auto' ? defaultSchedulerThread() : flag;
  const only = values.workloads?.split(',').map((s) => s.trim()) as WorkloadName[] | undefined;
  for (const name of only ?? []) if (!WORKLOAD_NAMES.includes(name)) throw new Error(`unknown workload ${name} (choose from ${WORKLOAD_NAMES.join(', ')})`);
  const cleanup = new Cleanup();
  const out: Out = (s) => process.stdout.write(s + '\n');
  const onSignal = () => void cleanup.runAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let code = 0;
  try {
    const checks = await benchScheduler(undefined, { quick: values.quick, only, cleanup, profileDir: values.profile ? path.resolve(values.profile) : undefined, schedulerThread: thread }, out);
    out('\n=== targets ===');
    out(table(['backend', 'figure', 'value', 'target', 'verdict'], checks.map((c) => [c.backend, c.what, c.value, c.target, c.ok ? 'PASS' : 'MISS'])));
  } catch (e) {
    process.stderr.write(`bench scheduler: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 1;
  } finally {
    await cleanup.runAll();
  }
  process.exit(code);
}
