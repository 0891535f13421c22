// The kubelet's summary API (/stats/summary) built from Runtime.containerStats: per pod and
// container CPU (cumulative ns, and nano-cores from the previous sample), memory, rootfs and
// log usage, plus node totals over the running containers. The previous samples live in a
// cache the server owns (one Map per server, no globals).

import type { ContainerStats, Runtime } from '../runtime/types.ts';

export type StatsCache = Map<string, { timestamp: number; cpuUsageNanoSeconds: number }>;

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function usageNanoCores(cache: StatsCache, id: string, s: ContainerStats): number | undefined {
  const prev = cache.get(id);
  cache.set(id, { timestamp: s.timestamp, cpuUsageNanoSeconds: s.cpuUsageNanoSeconds });
  if (!prev || s.timestamp <= prev.timestamp || s.cpuUsageNanoSeconds < prev.cpuUsageNanoSeconds) return undefined;
  return Math.round(((s.cpuUsageNanoSeconds - prev.cpuUsageNanoSeconds) * 1000) / (s.timestamp - prev.timestamp));
}

export async function statsSummary(runtime: Runtime, nodeName: string, cache: StatsCache): Promise<Record<string, unknown>> {
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandboxes(), runtime.listContainers()]);
  const now = Date.now();
  const pods: Record<string, unknown>[] = [];
  const node = { cpuNs: 0, cores: 0, ws: 0, usage: 0, rss: 0 };
  const seen = new Set<string>();
  for (const sb of sandboxes) {
    if (sb.state !== 'ready') continue;
    const out: Record<string, unknown>[] = [];
    const pod = { cpuNs: 0, cores: 0, ws: 0, usage: 0, rss: 0 };
    for (const c of containers) {
      if (c.sandboxId !== sb.id || c.state !== 'running') continue;
      const s = await runtime.containerStats(c.id).catch(() => undefined);
      if (!s) continue;
      seen.add(c.id);
      const cores = usageNanoCores(cache, c.id, s);
      const time = iso(s.timestamp);
      const cpu: Record<string, unknown> = { time, usageCoreNanoSeconds: s.cpuUsageNanoSeconds };
      if (cores !== undefined) cpu.usageNanoCores = cores;
      out.push({
        name: c.name,
        startTime: iso(c.startedAt ?? c.createdAt),
        cpu,
        memory: { time, workingSetBytes: s.memoryWorkingSetBytes, usageBytes: s.memoryUsageBytes, rssBytes: s.memoryRssBytes },
        rootfs: { time, usedBytes: s.rootfsUsedBytes },
        logs: { time, usedBytes: s.logsUsedBytes },
      });
      pod.cpuNs += s.cpuUsageNanoSeconds;
      pod.cores += cores ?? 0;
      pod.ws += s.memoryWorkingSetBytes;
      pod.usage += s.memoryUsageBytes;
      pod.rss += s.memoryRssBytes;
    }
    const time = iso(now);
    pods.push({
      podRef: { name: sb.name, namespace: sb.namespace, uid: sb.podUid },
      startTime: iso(sb.createdAt),
      containers: out,
      cpu: { time, usageCoreNanoSeconds: pod.cpuNs, usageNanoCores: pod.cores },
      memory: { time, workingSetBytes: pod.ws, usageBytes: pod.usage, rssBytes: pod.rss },
    });
    node.cpuNs += pod.cpuNs;
    node.cores += pod.cores;
    node.ws += pod.ws;
    node.usage += pod.usage;
    node.rss += pod.rss;
  }
  for (const id of cache.keys()) if (!seen.has(id)) cache.delete(id);
  const time = iso(now);
  return {
    node: {
      nodeName,
      cpu: { time, usageCoreNanoSeconds: node.cpuNs, usageNanoCores: node.cores },
      memory: { time, workingSetBytes: node.ws, usageBytes: node.usage, rssBytes: node.rss },
    },
    pods,
  };
}
