// Benchmark 2: LIST of many pods. Creates N pods (10k by default), then times, on one
// keep-alive connection, the whole response (first byte sent → last byte received) of
// GET /api/v1/pods as JSON, its first page with ?limit=500, and the server-side Table form;
// p50 over several runs after two unmeasured ones. Beside it the raw backend's list of the same
// prefix (same values) in the bench process.
//
// The timed runs count the body's bytes as they arrive and keep none of them: the bench client
// shares the two cores with the server, and gathering a 40 MB body into one buffer (2,500
// chunks kept, then one 40 MB copy) cost it ≈ 75 ms of CPU per LIST, more than the server spent.
// The collected form is still timed once per run as a separate row, for comparison with earlier
// results. The item count is checked once, outside the timing, from a parsed response.

import * as https from 'node:https';
import type { BenchBackend, ServerUnderTest } from './lib/backends.ts';
import { type Credentials, KubeClient } from './lib/client.ts';
import { describeConditions } from './lib/conditions.ts';
import { drive, pause } from './lib/drive.ts';
import { coreKeyFn, ensureNamespace, nameTemplate } from './lib/k8s.ts';
import { podBodyFactory } from './lib/pod.ts';
import { CpuMeter, readMemory } from './lib/procs.ts';
import { section, type Check, type Out } from './lib/report.ts';
import { mb, ms, rate, summarize, table, verdict } from './lib/stats.ts';

export interface ListOptions {
  pods: number;
  /** Measured runs per form (after 2 unmeasured). */
  runs: number;
}

const NS = 'bench-list';
const TARGET_MS = 150;
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const WARM_RUNS = 2;
const FILL_CLIENTS = 32;
/** Page size of the raw list when the backend refuses the whole prefix in one reply. */
const PAGE = 1000;
const BREAKER_HALF_OPEN_MS = 6000;

interface Form {
  name: string;
  times: number[];
  /** Time to the response headers (server-side build time, when the server buffers the body). */
  ttfb: number[];
  bytes: number;
  items: string;
  /** CPU over the measured runs, per request: the server's and the bench client's (ms), and
   *  everything else on the machine meanwhile (% of one core). Only for requests to the server. */
  cpu?: { serverMs: number; benchMs: number; othersPct: number };
}

interface Once {
  bytes: number;
  items: string;
  ttfbMs?: number;
}

/** Requests slower than this fail (keeps the bench bounded). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * GET `path` over `agent` and count the body's bytes as they arrive, keeping none of them (the
 * body text is kept only for an error message when the status is not 200).
 */
function countedGet(creds: Credentials, agent: https.Agent, path: string, accept: string): Promise<{ status: number; bytes: number; ttfbMs: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = https.request({ host: creds.host, port: creds.port, method: 'GET', path, headers: { accept }, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const ttfbMs = performance.now() - t0;
      const status = res.statusCode ?? 0;
      let bytes = 0;
      let error = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (status !== 200 && error.length < 300) error += c.toString('utf8');
      });
      res.on('end', () => resolve({ status, bytes, ttfbMs, ...(status === 200 ? {} : { error }) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function timeRuns(runs: number, once: () => Promise<Once>, serverPid?: number): Promise<Omit<Form, 'name'>> {
  let last: Once = { bytes: 0, items: '' };
  for (let i = 0; i < WARM_RUNS; i++) last = await once();
  const times: number[] = [];
  const ttfb: number[] = [];
  const meter = serverPid === undefined ? undefined : new CpuMeter({ server: [serverPid] });
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await once();
    times.push(performance.now() - t0);
    if (last.ttfbMs !== undefined) ttfb.push(last.ttfbMs);
  }
  const use = meter?.stop();
  const cpu = use && {
    serverMs: (use.seconds.server! * 1000) / runs,
    benchMs: (use.benchPct / 100) * (times.reduce((a, b) => a + b, 0) / runs),
    othersPct: use.othersPct,
  };
  return { times, ttfb, bytes: last.bytes, items: last.items, ...(cpu ? { cpu } : {}) };
}

export async function benchList(be: BenchBackend, opts: ListOptions, out: Out): Promise<Check[]> {
  const checks: Check[] = [];
  const makeBody = podBodyFactory(NS);
  section(
    out,
    `list: backend ${be.name}`,
    describeConditions({
      backend: be.name,
      sizes: `${opts.pods} pods (${Buffer.byteLength(makeBody('p-000000'))}-byte manifests) in one namespace; p50 of ${opts.runs} runs after ${WARM_RUNS} unmeasured`,
      method: 'one keep-alive HTTPS connection; time = request sent → last byte received (bytes counted as they arrive, not kept or parsed)',
    }),
  );

  const forms: Form[] = [];
  let storedTemplate: ((name: string) => string) | undefined;
  let srv: ServerUnderTest | undefined;
  try {
    srv = await be.startServer();
    const client = new KubeClient(srv.creds, { maxSockets: FILL_CLIENTS });
    await ensureNamespace(client, NS);
    const fill = await drive(FILL_CLIENTS, opts.pods, async (i) => {
      const res = await client.request('POST', `/api/v1/namespaces/${NS}/pods`, makeBody(`p-${i}`));
      if (res.status !== 201) throw new Error(`create p-${i} → ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    });
    out(`filled ${opts.pods} pods in ${ms(fill.wallMs)} (${rate((fill.latencies.length * 1000) / fill.wallMs)} at ${FILL_CLIENTS} clients)`);
    storedTemplate = nameTemplate(await client.json<Record<string, unknown>>('GET', `/api/v1/namespaces/${NS}/pods/p-0`));
    client.close();

    const one = new KubeClient(srv.creds, { maxSockets: 1 });
    const creds = srv.creds;
    const counting = new https.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, ca: creds.ca, cert: creds.cert, key: creds.key });
    // the whole body gathered into one buffer (as the bench did before), then counted
    const get = (path: string, accept = 'application/json', count: (body: Buffer) => string) => async () => {
      const res = await one.request('GET', path, undefined, { accept });
      if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
      return { bytes: res.body.length, items: count(res.body), ttfbMs: res.ttfbMs };
    };
    // the body's bytes counted as they arrive (the timed form)
    const receive = (path: string, accept: string, items: string) => async () => {
      const res = await countedGet(creds, counting, path, accept);
      if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${res.error}`);
      return { bytes: res.bytes, items, ttfbMs: res.ttfbMs };
    };
    const countItems = (body: Buffer) => String((JSON.parse(body.toString('utf8')) as { items: unknown[] }).items.length);
    const countRows = (body: Buffer) => String((JSON.parse(body.toString('utf8')) as { rows: unknown[] }).rows.length);
    // The item count is checked once (parsing is not part of the timing).
    const checked = async (name: string, path: string, accept: string, count: (b: Buffer) => string) => {
      const counted = await get(path, accept, count)();
      const timed = await timeRuns(opts.runs, receive(path, accept, counted.items), srv!.pid);
      forms.push({ name, ...timed });
      return counted.items;
    };
    const all = await checked('GET /api/v1/pods', '/api/v1/pods', 'application/json', countItems);
    forms.push({ name: 'GET /api/v1/pods, body collected', ...(await timeRuns(opts.runs, get('/api/v1/pods', 'application/json', () => all), srv.pid)) });
    await checked('GET /api/v1/pods?limit=500', '/api/v1/pods?limit=500', 'application/json', countItems);
    await checked('GET /api/v1/pods as Table', '/api/v1/pods', TABLE_ACCEPT, countRows);
    one.close();
    counting.destroy();
    const mem = readMemory(srv.pid);
    out(`server RSS with ${opts.pods} pods: ${mb(mem.rss)} (peak ${mb(mem.hwm)})`);
  } catch (err) {
    out(`skiff server part FAILED: ${err instanceof Error ? err.message : String(err)}`);
    if (srv) out(`server log tail:\n${srv.logs()}`);
  } finally {
    await srv?.stopAll();
  }

  // --- the raw store: same prefix, same values ---
  try {
    const { key, prefix } = await coreKeyFn('pods');
    const value = storedTemplate ?? ((name: string) => makeBody(name));
    const store = await be.openRaw();
    try {
      await drive(64, opts.pods, (i) => store.backend.create(key(NS, `p-${i}`), value(`p-${i}`)).then(() => {}));
      const rawList = (limit?: number) => async () => {
        const res = await store.backend.list(prefix, { limit });
        let bytes = 0;
        for (const kv of res.items) bytes += kv.value.length;
        return { bytes, items: String(res.items.length) };
      };
      try {
        forms.push({ name: `raw list ${prefix}`, ...(await timeRuns(opts.runs, rawList())) });
      } catch (err) {
        // etcd's client refuses replies over its gRPC message limit: page like a reflector would.
        out(`raw unpaged list FAILED: ${err instanceof Error ? err.message : String(err)}`);
        // etcd3's circuit breaker opens after such failures and lets calls through again after
        // 5 s (halfOpenAfter); there is nothing to await, so wait that out once.
        await pause(BREAKER_HALF_OPEN_MS);
        const paged = async () => {
          let bytes = 0;
          let items = 0;
          let startAfter: string | undefined;
          let revision: number | undefined;
          for (let page = 0; page < 10_000; page++) {
            const res = await store.backend.list(prefix, { limit: PAGE, startAfter, revision });
            for (const kv of res.items) bytes += kv.value.length;
            items += res.items.length;
            revision = res.revision;
            if (!res.more || res.items.length === 0) break;
            startAfter = res.items[res.items.length - 1]!.key;
          }
          return { bytes, items: String(items) };
        };
        forms.push({ name: `raw list ${prefix} in pages of ${PAGE}`, ...(await timeRuns(opts.runs, paged)) });
      }
      forms.push({ name: `raw list ${prefix} limit 500`, ...(await timeRuns(opts.runs, rawList(500))) });
    } finally {
      await store.close();
    }
  } catch (err) {
    out(`raw store part FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }

  out(
    table(
      ['request', 'items', 'bytes', 'p50', 'min', 'max', 'p50 to headers', 'skiff CPU/req', 'bench CPU/req', 'other CPU'],
      forms.map((f) => {
        const s = summarize(f.times);
        const c = f.cpu;
        return [
          f.name,
          f.items,
          mb(f.bytes),
          ms(s.p50),
          ms(s.min),
          ms(s.max),
          f.ttfb.length ? ms(summarize(f.ttfb).p50) : '-',
          c ? ms(c.serverMs) : '-',
          c ? ms(c.benchMs) : '-',
          c ? `${Math.round(c.othersPct)}%` : '-',
        ];
      }),
    ),
  );
  out('(raw "bytes" = sum of value lengths, no envelope; "to headers" = request sent → response headers received;');
  out(' "body collected" = the same request with the body gathered into one buffer, as the bench timed it before 2026-11-22 06:40;');
  out(' CPU/req = CPU time per request over the measured runs (skiff server process; the bench client, which decrypts and counts the body);');
  out(' other CPU = everything else on the machine meanwhile, % of one core)');
  const full = forms.find((f) => f.name === 'GET /api/v1/pods');
  if (full) {
    const p50 = summarize(full.times).p50;
    const target = `≤ ${TARGET_MS} ms`;
    const what = `LIST ${full.items} pods (JSON)`;
    out(`list target: ${what} p50 ${ms(p50)} → ${verdict(p50 <= TARGET_MS, target)}`);
    checks.push({ backend: be.name, what, value: `p50 ${ms(p50)}`, target, ok: p50 <= TARGET_MS });
  }
  return checks;
}
