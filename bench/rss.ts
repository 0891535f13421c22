// Benchmark 4: the server's idle memory. Starts a fresh server, lets it settle, and reads VmRSS
// (and the peak, VmHWM) of the server process from /proc/<pid>/status — bin/skiff execs node, so
// the PID started is the node process itself. The RSS after load is reported by the creates and
// list benchmarks.

import type { BenchBackend, ServerUnderTest } from './lib/backends.ts';
import { describeConditions } from './lib/conditions.ts';
import { pause } from './lib/drive.ts';
import { readMemory } from './lib/procs.ts';
import { section, type Check, type Out } from './lib/report.ts';
import { mb, verdict } from './lib/stats.ts';

export interface RssOptions {
  settleMs: number;
}

const TARGET_BYTES = 80 * 1024 * 1024;

export async function benchRss(be: BenchBackend, opts: RssOptions, out: Out): Promise<Check[]> {
  section(out, `idle RSS: backend ${be.name}`, describeConditions({ backend: be.name, sizes: `fresh server, read ${opts.settleMs} ms after its ready line` }));
  let srv: ServerUnderTest | undefined;
  try {
    srv = await be.startServer();
    await pause(opts.settleMs);
    const mem = readMemory(srv.pid);
    const ok = mem.rss <= TARGET_BYTES;
    const target = `≤ ${mb(TARGET_BYTES)}`;
    out(`server pid ${srv.pid}: VmRSS ${mb(mem.rss)}, VmHWM ${mb(mem.hwm)}${srv.etcdPid ? ` (etcd pid ${srv.etcdPid}: VmRSS ${mb(readMemory(srv.etcdPid).rss)}, not counted)` : ''}`);
    out(`idle RSS target: ${mb(mem.rss)} → ${verdict(ok, target)}`);
    return [{ backend: be.name, what: 'server idle RSS', value: mb(mem.rss), target, ok }];
  } catch (err) {
    out(`FAILED: ${err instanceof Error ? err.message : String(err)}`);
    if (srv) out(`server log tail:\n${srv.logs()}`);
    return [];
  } finally {
    await srv?.stopAll();
  }
}
