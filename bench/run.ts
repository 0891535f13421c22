// `npm run bench`: runs the benchmarks (idle RSS, pod creates, LIST, watch fan-out) against
// each chosen datastore, prints each one's figures with the conditions it ran under, and ends
// with the figures held against the issue's targets (PASS/MISS). Every server, etcd and temp
// dir a benchmark starts is stopped/removed at the end, also on failure or Ctrl-C.
//
//   node bench/run.ts [--only rss,creates,list,watch,scheduler,podstartup] [--backends sqlite,etcd] [--quick]
//                     [--levels 1,16,64] [--creates N] [--pods N] [--watchers N] [--events N]
//                     [--profile DIR]

import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { benchCreates } from './creates.ts';
import { BACKEND_NAMES, BenchBackend, type BackendName } from './lib/backends.ts';
import { Cleanup } from './lib/cleanup.ts';
import { describeConditions } from './lib/conditions.ts';
import type { Check, Out } from './lib/report.ts';
import { table } from './lib/stats.ts';
import { ensureServerV8Flags } from './lib/v8flags.ts';
import { benchList } from './list.ts';
import { benchPodStartup, MODES as POD_STARTUP_MODES, type PodStartupOptions } from './podstartup.ts';
import { benchRss } from './rss.ts';
import { benchScheduler, type SchedulerBenchOptions } from './scheduler.ts';
import { benchWatch } from './watch.ts';

const BENCHES = ['rss', 'creates', 'list', 'watch', 'scheduler', 'podstartup'] as const;
type BenchName = (typeof BENCHES)[number];

/**
 * Creates before the measured levels. A Node server reaches its steady speed only once V8 has
 * compiled its hot code with TurboFan, which needs ~3,000 calls of a function (more for code run
 * once per batch or per loop turn): counted on the server at 16 clients, TurboFan finished 6–73
 * compilations per 1,000 creates up to ~12,000 creates, and 0–9 after. The levels are measured
 * after that, as a long-running server runs; the warm-up's own rate (a freshly started
 * server's) is printed too. bench/RESULTS.md, 2026-11-22 13:20.
 */
const DEFAULT_WARMUP = 20_000;

const USAGE = `Usage: node bench/run.ts [flags]
  --only LIST        benchmarks to run, comma-separated: ${BENCHES.join(',')} (default all)
  --backends LIST    datastores: ${BACKEND_NAMES.join(',')} (default both)
  --quick            small sizes for a smoke run
  --levels LIST      create concurrency levels (default 1,16,64)
  --creates N        measured creates per level (default 3000; quick 300)
  --warmup N         unmeasured creates before the levels (default 20000, until V8 has
                     compiled the server's hot code; quick 50)
  --pods N           pods for the LIST benchmark (default 10000; quick 1000)
  --watchers N       watch connections (default 1000; quick 100)
  --events N         watched updates (default 50; quick 10)
  --profile DIR      run the servers with --cpu-prof, profiles into DIR/<backend>-<benchmark>/
                     (summarize one with: node bench/profile-summary.ts FILE)
`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] {
  if (value === undefined) return [...allowed];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`unknown ${what} "${item}" (choose from ${allowed.join(', ')})`);
  return items as T[];
}

function positive(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${what} must be a positive integer`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      backends: { type: 'string' },
      quick: { type: 'boolean', default: false },
      levels: { type: 'string' },
      creates: { type: 'string' },
      warmup: { type: 'string' },
      pods: { type: 'string' },
      watchers: { type: 'string' },
      events: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick;
  const benches = list(values.only, BENCHES, 'benchmark');
  // The scheduler benchmarks run the server's code in this process: give it the server's V8 flags
  // (the other benchmarks' client in the same run then has them too; the header prints them).
  if (benches.includes('scheduler')) ensureServerV8Flags();
  const backends = list(values.backends, BACKEND_NAMES, 'backend');
  const levels = (values.levels ?? '1,16,64').split(',').map((s) => positive(s, 1, 'levels'));
  // each level names its pods after its client count: a repeated level would create the same names
  if (new Set(levels).size !== levels.length) throw new Error('--levels must not repeat a level');
  const sizes = {
    creates: { levels, perLevel: positive(values.creates, quick ? 300 : 3000, 'creates'), warmup: positive(values.warmup, quick ? 50 : DEFAULT_WARMUP, 'warmup'), settleMs: quick ? 1000 : 3000 },
    list: { pods: positive(values.pods, quick ? 1000 : 10000, 'pods'), runs: quick ? 3 : 10 },
    watch: { watchers: positive(values.watchers, quick ? 100 : 1000, 'watchers'), events: positive(values.events, quick ? 10 : 50, 'events'), intervalMs: 20 },
    rss: { settleMs: quick ? 1000 : 5000 },
  };
  const profileDir = values.profile ? path.resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const out: Out = (text) => process.stdout.write(text + '\n');
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`bench: ${signal}, stopping everything it started\n`);
    void cleanup.runAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  out(`skiff benchmarks${quick ? ' (quick mode: smoke-test sizes, figures not comparable to a full run)' : ''}`);
  out(describeConditions({ benchmarks: benches.join(', '), backends: backends.join(', '), 'bench node flags': process.execArgv.join(' ') || '(none)' }));
  const checks: Check[] = [];
  const started = performance.now();
  try {
    for (const name of backends) {
      for (const bench of benches) {
        const env: Record<string, string> = {};
        if (profileDir) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${path.join(profileDir, `${name}-${bench}`)}`;
        const be = new BenchBackend(name as BackendName, cleanup, { serverEnv: env });
        const podstartup = { pods: quick ? 10 : 50, warmup: quick ? 1 : 3, rawRuns: quick ? 10 : 50, modes: POD_STARTUP_MODES, backend: name as BackendName, settleMs: 2000, cleanup, profileDir };
        checks.push(...(await runOne(bench, be, { ...sizes, scheduler: { quick, cleanup, profileDir: profileDir && path.join(profileDir, `${name}-scheduler`) }, podstartup }, out)));
      }
    }
  } finally {
    await cleanup.runAll();
  }

  out('\n=== targets ===');
  out(
    table(
      ['backend', 'figure', 'value', 'target', 'verdict'],
      checks.map((c) => [c.backend, c.what, c.value, c.target, c.ok ? 'PASS' : 'MISS']),
    ),
  );
  out(`total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (profileDir) out(`server CPU profiles: ${profileDir}/<backend>-<benchmark>/`);
  return 0;
}

function runOne(
  bench: BenchName,
  be: BenchBackend,
  sizes: {
    creates: Parameters<typeof benchCreates>[1];
    list: Parameters<typeof benchList>[1];
    watch: Parameters<typeof benchWatch>[1];
    rss: Parameters<typeof benchRss>[1];
    scheduler: SchedulerBenchOptions;
    podstartup: PodStartupOptions;
  },
  out: Out,
): Promise<Check[]> {
  switch (bench) {
    case 'rss':
      return benchRss(be, sizes.rss, out);
    case 'creates':
      return benchCreates(be, sizes.creates, out);
    case 'list':
      return benchList(be, sizes.list, out);
    case 'watch':
      return benchWatch(be, sizes.watch, out);
    case 'scheduler':
      return benchScheduler(be, sizes.scheduler, out);
    case 'podstartup':
      return benchPodStartup(sizes.podstartup, out);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
