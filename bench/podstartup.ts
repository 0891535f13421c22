// Benchmark: pod startup latency on the real node agent (issue 4's proof): create → Running seen
// through a watch, for N pods (default 50), beside the raw cost of netns + CNI + `crun run` for
// the same container in the same run. Targets: p50 ≤ 100 ms, p99 ≤ 300 ms; agent RSS ≤ 60 MB
// with 50 pods.
//
// Two deployments, each a fresh cluster (lib/agent-cluster.ts):
//   combined  `skiff server` = API server + scheduler + node agent in one process (the default);
//   split     `skiff server --disable-agent` + a separate `skiff agent` (node token over HTTPS),
//             whose own VmRSS with N pods running is the "agent RSS" figure.
// The image is imported from an archive at agent start (pre-pulled, as the kubelet density
// benchmarks do), so no pull is measured. Per deployment: warm-up pods (created, Running,
// deleted), then N pods created one at a time (each awaited Running before the next), then N
// created as one burst (all requests sent at once over CONNECTIONS connections). Every pod is
// busybox `sleep 3600` with terminationGracePeriodSeconds 0, scheduled by the real scheduler.
// Per pod, one bench-side clock (lib/agent-watch.ts): create sent → bound (spec.nodeName seen),
// → first agent status (hostIP seen), → phase Running, → Ready; after the phase the pods are
// deleted and create-to-gone is recorded too. The raw baseline (lib/agent-raw.ts) runs between
// the two deployments, with no cluster running. The latency targets are held against the
// one-at-a-time phase (per-pod startup); the burst is a stress figure. The agent's memory is shown
// beside a Node floor measured in the same run (lib/node-floor.ts) and with its anonymous part.
//
//   node bench/podstartup.ts [--pods N] [--warmup N] [--raw N] [--modes combined,split]
//                            [--backend sqlite|etcd] [--profile DIR] [--entry DIST/cmd/main.js]
// or from run.ts: `npm run bench -- --only podstartup [--backends sqlite]`.

import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_IMAGE, skiffRunsFrom, startAgentCluster, type AgentCluster, type AgentMode } from './lib/agent-cluster.ts';
import { prepareRawBaseline, RAW_STEPS, type RawTiming, type RawVariant } from './lib/agent-raw.ts';
import { PodStopwatch, type PodTimes } from './lib/agent-watch.ts';
import { Cleanup } from './lib/cleanup.ts';
import { KubeClient } from './lib/client.ts';
import { describeConditions } from './lib/conditions.ts';
import { pause } from './lib/drive.ts';
import { measureNodeFloor, type FloorReading } from './lib/node-floor.ts';
import { CpuMeter, readMemory } from './lib/procs.ts';
import { section, type Check, type Out } from './lib/report.ts';
import { mb, ms, rate, summarize, table, verdict, type Summary } from './lib/stats.ts';

export const MODES: readonly AgentMode[] = ['combined', 'split'];

export interface PodStartupOptions {
  /** Pods per measured phase (default 50). */
  pods: number;
  /** Warm-up pods per deployment (default 3). */
  warmup: number;
  /** Raw baseline containers per variant (default = pods). */
  rawRuns: number;
  modes: readonly AgentMode[];
  /** Datastore the server runs on: its own sqlite file, or a fresh etcd. */
  backend: 'sqlite' | 'etcd';
  /** Wait before reading RSS with all pods running (lets the last status writes and GC settle). */
  settleMs: number;
  cleanup: Cleanup;
  /** Run server and agent with --cpu-prof into DIR/<backend>-podstartup-<mode>/. */
  profileDir?: string;
  /** Run this main.js (e.g. of a dist/ built elsewhere) with the pinned node instead of bin/skiff. */
  entry?: string;
}

const TARGET_P50_MS = 100;
const TARGET_P99_MS = 300;
const TARGET_AGENT_RSS = 60 * 1024 * 1024;
const CONNECTIONS = 10;
const NAMESPACE = 'default';
/** Generous: a phase that does not finish in this long is a failure, not a figure. */
const PHASE_TIMEOUT_MS = 180_000;

interface PhaseResult {
  name: string;
  pods: PodTimes[];
  wallMs: number;
  cpu: ReturnType<CpuMeter['stop']>;
  /** Readings with all pods running. */
  agentRss: number;
  agentHwm: number;
  agentAnon: number;
  serverRss: number;
  conmon: { count: number; rss: number };
  deleteToGone: Summary;
}

function podBody(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'podstartup-bench' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: BENCH_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  });
}

async function createPod(client: KubeClient, watch: PodStopwatch, name: string): Promise<void> {
  const t = watch.pod(name);
  t.createSent = performance.now();
  const res = await client.request('POST', `/api/v1/namespaces/${NAMESPACE}/pods`, podBody(name));
  t.createDone = performance.now();
  if (res.status !== 201) throw new Error(`create ${name} → ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
}

async function deletePods(client: KubeClient, watch: PodStopwatch, names: readonly string[]): Promise<Summary> {
  await Promise.all(
    names.map(async (name) => {
      watch.pod(name).deleteSent = performance.now();
      const res = await client.request('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods/${name}`);
      if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`delete ${name} → ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }),
  );
  await watch.waitAll(names, 'gone', PHASE_TIMEOUT_MS);
  return summarize(names.map((n) => watch.pod(n).gone! - watch.pod(n).deleteSent!));
}

/** conmon processes of this cluster (their command line names its data dir) and their summed VmRSS. */
function conmonMemory(dataDir: string): { count: number; rss: number } {
  let count = 0;
  let rss = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.startsWith('/usr/bin/conmon\0') || !cmd.includes(dataDir)) continue;
      rss += readMemory(Number(entry)).rss;
      count++;
    } catch {
      // gone meanwhile
    }
  }
  return { count, rss };
}

async function runPhase(
  name: 'sequential' | 'burst',
  cluster: AgentCluster,
  client: KubeClient,
  watch: PodStopwatch,
  opts: PodStartupOptions,
): Promise<PhaseResult> {
  const names = Array.from({ length: opts.pods }, (_, i) => `ps-${name === 'sequential' ? 'seq' : 'burst'}-${i}`);
  const pids: Record<string, number[]> = cluster.agentPid === cluster.serverPid ? { skiff: [cluster.serverPid] } : { server: [cluster.serverPid], agent: [cluster.agentPid] };
  const meter = new CpuMeter(pids);
  const t0 = performance.now();
  if (name === 'sequential') {
    for (const n of names) {
      await createPod(client, watch, n);
      await watch.waitAll([n], 'ready', PHASE_TIMEOUT_MS);
    }
  } else {
    await Promise.all(names.map((n) => createPod(client, watch, n)));
    await watch.waitAll(names, 'ready', PHASE_TIMEOUT_MS);
  }
  const wallMs = performance.now() - t0;
  const cpu = meter.stop();
  await pause(opts.settleMs);
  const agentMem = readMemory(cluster.agentPid);
  const serverRss = readMemory(cluster.serverPid).rss;
  const conmon = conmonMemory(cluster.agentDataDir);
  const deleteToGone = await deletePods(client, watch, names);
  return { name, pods: names.map((n) => watch.pod(n)), wallMs, cpu, agentRss: agentMem.rss, agentHwm: agentMem.hwm, agentAnon: agentMem.anon, serverRss, conmon, deleteToGone };
}

function latencyRows(label: string, pods: PodTimes[]): string[][] {
  const row = (what: string, xs: number[]) => {
    const s = summarize(xs);
    return [label, what, ms(s.p50), ms(s.p99), ms(s.max), ms(s.mean)];
  };
  return [
    row('create → Running', pods.map((p) => p.running! - p.createSent!)),
    row('create → Ready', pods.map((p) => p.ready! - p.createSent!)),
    row('  create request', pods.map((p) => p.createDone! - p.createSent!)),
    row('  create → bound', pods.map((p) => p.bound! - p.createSent!)),
    row('  bound → 1st agent status', pods.map((p) => p.agentStatus! - p.bound!)),
    row('  bound → Running', pods.map((p) => p.running! - p.bound!)),
  ];
}

function rawRows(variant: RawVariant, runs: RawTiming[]): string[][] {
  return RAW_STEPS.map((step) => {
    const s = summarize(runs.map((r) => r[step]));
    return [variant, step, ms(s.p50), ms(s.p99), ms(s.max), ms(s.mean)];
  });
}

async function measureDeployment(mode: AgentMode, index: number, datastore: string | undefined, opts: PodStartupOptions, out: Out): Promise<PhaseResult[]> {
  const prof = (who: string) => (opts.profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.join(opts.profileDir, `${opts.backend}-podstartup-${mode}-${who}`)}` } : undefined);
  const cluster = await startAgentCluster({ mode, index, datastore, entry: opts.entry, cleanup: opts.cleanup, serverEnv: prof('server'), agentEnv: prof('agent') });
  const client = new KubeClient(cluster.creds, { maxSockets: CONNECTIONS + 1 });
  const watch = new PodStopwatch(client, NAMESPACE);
  try {
    await watch.start();
    const idle = readMemory(cluster.agentPid);
    out(`${mode}: node ${cluster.nodeName} Ready; ${mode === 'split' ? `agent pid ${cluster.agentPid}, server pid ${cluster.serverPid}` : `server pid ${cluster.serverPid} (API server + scheduler + agent)`}; idle VmRSS ${mb(idle.rss)} (anon ${mb(idle.anon)})`);
    const warm = Array.from({ length: opts.warmup }, (_, i) => `ps-warm-${i}`);
    for (const n of warm) {
      await createPod(client, watch, n);
      await watch.waitAll([n], 'ready', PHASE_TIMEOUT_MS);
    }
    const w = warm.map((n) => watch.pod(n).running! - watch.pod(n).createSent!);
    out(`${mode}: warm-up ${warm.length} pods, create → Running ${w.map((x) => ms(x)).join(', ')}`);
    await deletePods(client, watch, warm);
    const results: PhaseResult[] = [];
    for (const phase of ['sequential', 'burst'] as const) results.push(await runPhase(phase, cluster, client, watch, opts));
    return results;
  } catch (err) {
    out(`${mode}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
    out(`log tail:\n${cluster.logs()}`);
    throw err;
  } finally {
    watch.close();
    client.close();
    await cluster.stop();
  }
}

export async function benchPodStartup(opts: PodStartupOptions, out: Out): Promise<Check[]> {
  const sizes = `${opts.pods} pods sequential + ${opts.pods} as a burst (${CONNECTIONS} connections) per deployment, ${opts.warmup} warm-up pods; raw baseline ${opts.rawRuns} per variant`;
  section(out, `pod startup (node agent): backend ${opts.backend}`, describeConditions({ backend: opts.backend, deployments: opts.modes.join(', '), sizes, image: `${BENCH_IMAGE} (busybox-static, imported at agent start: no pull measured)`, 'skiff runs from': opts.entry ?? skiffRunsFrom() }));
  const checks: Check[] = [];
  const index = (process.pid % 90) * 2 + 10;
  let datastore: string | undefined;
  if (opts.backend === 'etcd') {
    const { startEtcd } = await import('../src/store/etcd-testserver.ts');
    const etcd = await startEtcd();
    opts.cleanup.trackPid(etcd.pid);
    opts.cleanup.add(`etcd ${etcd.pid}`, async () => {
      await etcd.stop();
      opts.cleanup.untrackPid(etcd.pid);
    });
    datastore = etcd.url;
  }

  const byMode = new Map<AgentMode, PhaseResult[]>();
  const raw: Record<RawVariant, RawTiming[]> = { crun: [], conmon: [] };
  const runRaw = async () => {
    const baseline = await prepareRawBaseline(index + 1, opts.cleanup);
    try {
      // one of each, untimed, so both variants start warm (page cache, binaries, bridge created)
      await baseline.startOne('crun');
      await baseline.startOne('conmon');
      for (let i = 0; i < opts.rawRuns; i++) {
        raw.crun.push(await baseline.startOne('crun'));
        raw.conmon.push(await baseline.startOne('conmon'));
      }
    } finally {
      await baseline.teardown();
    }
  };
  const failed: string[] = [];
  let floor: FloorReading | undefined;
  try {
    floor = await measureNodeFloor();
  } catch (err) {
    out(`Node floor FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const [i, mode] of opts.modes.entries()) {
    try {
      byMode.set(mode, await measureDeployment(mode, index, datastore, opts, out));
    } catch (err) {
      failed.push(`${mode}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    if (i === 0) {
      try {
        await runRaw();
      } catch (err) {
        failed.push(`raw baseline: ${err instanceof Error ? err.message : String(err)}`);
        out(`raw baseline FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  out('\nper-pod latency (bench clock: create request sent → what the watch shows)');
  const rows: string[][] = [];
  for (const [mode, phases] of byMode) for (const p of phases) rows.push(...latencyRows(`${mode} ${p.name}`, p.pods));
  out(table(['deployment phase', 'interval', 'p50', 'p99', 'max', 'mean'], rows));

  out('\nthroughput, CPU and memory (memory read with all pods of the phase running)');
  const trows: string[][] = [];
  for (const [mode, phases] of byMode) {
    for (const p of phases) {
      const first = Math.min(...p.pods.map((x) => x.createSent!));
      const last = Math.max(...p.pods.map((x) => x.running!));
      const cpu = Object.entries(p.cpu.pct).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ');
      trows.push([
        `${mode} ${p.name}`,
        rate((p.pods.length * 1000) / (last - first)),
        `${(p.wallMs / 1000).toFixed(1)} s`,
        `${cpu}; others ${p.cpu.othersPct.toFixed(0)}%`,
        mode === 'split' ? `${mb(p.agentRss)} (anon ${mb(p.agentAnon)}; peak ${mb(p.agentHwm)})` : '—',
        mb(p.serverRss),
        `${p.conmon.count} × ${mb(p.conmon.count ? p.conmon.rss / p.conmon.count : 0)}`,
        ms(p.deleteToGone.p50),
      ]);
    }
  }
  out(table(['deployment phase', 'pods/s', 'wall', 'CPU (% of one core)', 'agent VmRSS', 'server VmRSS', 'conmon', 'delete→gone p50'], trows));

  if (raw.crun.length) {
    out(`\nraw baseline: ${opts.rawRuns} containers per variant, the same image, one after another, all kept running until the end`);
    out(table(['variant', 'step', 'p50', 'p99', 'max', 'mean'], [...rawRows('crun', raw.crun), ...rawRows('conmon', raw.conmon)]));
  }

  const rawP50 = summarize(raw.crun.map((r) => r.total)).p50;
  const conmonP50 = summarize(raw.conmon.map((r) => r.total)).p50;
  for (const [mode, phases] of byMode) {
    for (const p of phases) {
      const s = summarize(p.pods.map((x) => x.running! - x.createSent!));
      if (raw.crun.length) out(`${mode} ${p.name}: p50 ${ms(s.p50)} = ${(s.p50 / rawP50).toFixed(1)} × raw crun p50 (${ms(rawP50)}), ${(s.p50 / conmonP50).toFixed(1)} × raw conmon p50 (${ms(conmonP50)})`);
      const label = `pod startup ${mode} ${p.name}`;
      if (p.name === 'burst') {
        // The issue's figure is per-pod startup latency for 50 pods (the sequential phase). A burst
        // of 50 on 2 cores is bounded by throughput: it is reported, not held against the target.
        out(`${label}: p50 ${ms(s.p50)}, p99 ${ms(s.p99)} (stress figure, no target)`);
        continue;
      }
      const t50 = `≤ ${TARGET_P50_MS} ms`;
      const t99 = `≤ ${TARGET_P99_MS} ms`;
      out(`${label}: p50 ${ms(s.p50)} → ${verdict(s.p50 <= TARGET_P50_MS, t50)}; p99 ${ms(s.p99)} → ${verdict(s.p99 <= TARGET_P99_MS, t99)}`);
      checks.push({ backend: opts.backend, what: `${label} p50`, value: ms(s.p50), target: t50, ok: s.p50 <= TARGET_P50_MS });
      checks.push({ backend: opts.backend, what: `${label} p99`, value: ms(s.p99), target: t99, ok: s.p99 <= TARGET_P99_MS });
    }
  }
  const split = byMode.get('split');
  if (split) {
    const worst = Math.max(...split.map((p) => p.agentRss));
    const t = `≤ ${mb(TARGET_AGENT_RSS)}`;
    out(`agent VmRSS with ${opts.pods} pods (split deployment, highest reading): ${mb(worst)} → ${verdict(worst <= TARGET_AGENT_RSS, t)}`);
    if (floor) {
      out(`  Node floor (an HTTPS server + keep-alive client and nothing else, same Node and flags): VmRSS ${mb(floor.rss)} (anon ${mb(floor.anon)}, files ${mb(floor.file)})`);
      out(`  the agent is ${mb(worst - floor.rss)} above that floor; its own (anonymous) memory is ${mb(Math.max(...split.map((p) => p.agentAnon)))}`);
    }
    checks.push({ backend: opts.backend, what: `agent RSS with ${opts.pods} pods`, value: mb(worst), target: t, ok: worst <= TARGET_AGENT_RSS });
  }
  if (failed.length) {
    out(`FAILED parts: ${failed.join('; ')}`);
    for (const f of failed) checks.push({ backend: opts.backend, what: `pod startup: ${f.split(':')[0]}`, value: 'failed', target: 'runs', ok: false });
  }
  out(`load average after (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  return checks;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      pods: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '3' },
      raw: { type: 'string' },
      modes: { type: 'string', default: MODES.join(',') },
      backend: { type: 'string', default: 'sqlite' },
      profile: { type: 'string' },
      settle: { type: 'string', default: '2000' },
      entry: { type: 'string' },
    },
  });
  const modes = values.modes.split(',').map((m) => m.trim()) as AgentMode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} (choose from ${MODES.join(', ')})`);
  if (values.backend !== 'sqlite' && values.backend !== 'etcd') throw new Error('--backend is sqlite or etcd');
  const cleanup = new Cleanup();
  const onSignal = () => void cleanup.runAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const out: Out = (text) => process.stdout.write(text + '\n');
  const pods = Number(values.pods);
  benchPodStartup(
    {
      pods,
      warmup: Number(values.warmup),
      rawRuns: values.raw ? Number(values.raw) : pods,
      modes,
      backend: values.backend,
      settleMs: Number(values.settle),
      cleanup,
      profileDir: values.profile ? path.resolve(values.profile) : undefined,
      entry: values.entry ? path.resolve(values.entry) : undefined,
    },
    out,
  )
    .then(async (checks) => {
      await cleanup.runAll();
      out('\n=== targets ===');
      out(table(['backend', 'figure', 'value', 'target', 'verdict'], checks.map((c) => [c.backend, c.what, c.value, c.target, c.ok ? 'PASS' : 'MISS'])));
      process.exit(0);
    })
    .catch(async (err) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      await cleanup.runAll();
      process.exit(1);
    });
}
