// End-to-end: the scheduler inside a real `skiff server`, driven with the real kubectl. Nodes
// are plain Node objects created through the API (no agent needed to schedule): nodeSelector,
// taints and tolerations, required anti-affinity spreading replicas, topology spread across
// zones, and an over-large pod that stays Pending with upstream's message until a node fits.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stringify as toYaml } from 'yaml';
import { startCluster, destroyCluster, kubectl, kubectlOk, kubectlStream, type Cluster } from './harness.ts';

let c: Cluster | undefined;
const K = (args: string[], input?: string) => kubectlOk(c!, args, input);

function node(name: string, labels: Record<string, string>, opts: { cpu?: string; taints?: unknown[] } = {}) {
  const res = { cpu: opts.cpu ?? '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: opts.taints ? { taints: opts.taints } : {},
    status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] },
  };
}

function pod(name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }], ...spec },
  };
}

/** Several objects as one multi-document YAML stream. */
const list = (...items: unknown[]) => items.map((i) => toYaml(i)).join('---\n');

/** Wait (on a watch, not a sleep) until every named pod in `ns` has a node; returns name → node. */
async function waitScheduled(ns: string, names: string[]): Promise<Record<string, string>> {
  const w = kubectlStream(c!, ['get', 'pods', '-n', ns, '-w', '-o', 'jsonpath={.metadata.name}={.spec.nodeName}{"\\n"}']);
  try {
    const re = new RegExp(names.map((n) => `(?=[\\s\\S]*^${n}=\\S)`).join('') + '[\\s\\S]*', 'm');
    await w.waitFor(re);
  } finally {
    await w.stop();
  }
  const out = await K(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.nodeName}{"\\n"}{end}']);
  return Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

before(async () => {
  c = await startCluster();
  await K(['create', '-f', '-'], list(
    node('n-a1', { zone: 'a', disk: 'ssd' }),
    node('n-a2', { zone: 'a' }),
    node('n-b1', { zone: 'b' }),
    node('n-b2', { zone: 'b' }),
    node('n-gpu', { zone: 'b', gpu: 'true' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
  ));
});
after(async () => {
  await destroyCluster(c);
});

test('nodeSelector picks the matching node; a taint keeps pods off unless tolerated', async () => {
  await K(['create', 'namespace', 's1']);
  await K(['create', '-n', 's1', '-f', '-'], list(
    pod('wants-ssd', { nodeSelector: { disk: 'ssd' } }),
    pod('wants-gpu-tolerates', { nodeSelector: { gpu: 'true' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
  ));
  const placed = await waitScheduled('s1', ['wants-ssd', 'wants-gpu-tolerates']);
  assert.equal(placed['wants-ssd'], 'n-a1');
  assert.equal(placed['wants-gpu-tolerates'], 'n-gpu');
  const ev = await K(['get', 'events', '-n', 's1', '--field-selector', 'involvedObject.name=wants-ssd,reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
  assert.equal(ev, 'Successfully assigned s1/wants-ssd to n-a1');
});

test('required anti-affinity spreads replicas over nodes; topology spread balances zones', async () => {
  await K(['create', 'namespace', 's2']);
  const anti = {
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
  };
  await K(['create', '-n', 's2', '-f', '-'], list(...[0, 1, 2, 3].map((i) => pod(`web-${i}`, anti, { app: 'web' }))));
  const placed = await waitScheduled('s2', ['web-0', 'web-1', 'web-2', 'web-3']);
  const nodes = ['web-0', 'web-1', 'web-2', 'web-3'].map((n) => placed[n]);
  assert.equal(new Set(nodes).size, 4, `replicas share a node: ${nodes}`);
  assert.ok(!nodes.includes('n-gpu'), 'the tainted node stays empty');

  const spread = {
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }],
  };
  const names = [0, 1, 2, 3, 4, 5].map((i) => `spread-${i}`);
  for (const n of names) await K(['create', '-n', 's2', '-f', '-'], JSON.stringify(pod(n, spread, { app: 'spread' })));
  const where = await waitScheduled('s2', names);
  const zoneOf = (n: string) => (n === 'n-a1' || n === 'n-a2' ? 'a' : 'b');
  const perZone = names.reduce<Record<string, number>>((acc, n) => ((acc[zoneOf(where[n]!)] = (acc[zoneOf(where[n]!)] ?? 0) + 1), acc), {});
  assert.deepEqual(perZone, { a: 3, b: 3 });
});

test('an over-large pod stays Pending with the upstream message, then schedules when a node fits', async () => {
  await K(['create', 'namespace', 's3']);
  await K(['create', '-n', 's3', '-f', '-'], JSON.stringify({
    ...pod('huge'),
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '16' } } }] },
  }));
  const w = kubectlStream(c!, ['get', 'events', '-n', 's3', '-w', '-o', 'jsonpath={.reason}: {.message}{"\\n"}']);
  try {
    const m = await w.waitFor(/FailedScheduling: (.*)\n/);
    assert.equal(
      m[1],
      '0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 4 Insufficient cpu. preemption: 0/5 nodes are available: 1 Preemption is not helpful for scheduling, 4 No preemption victims found for incoming pod..',
    );
  } finally {
    await w.stop();
  }
  const cond = JSON.parse(await K(['get', 'pod', 'huge', '-n', 's3', '-o', 'jsonpath={.status.conditions[0]}']));
  assert.equal(cond.type, 'PodScheduled');
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  await K(['create', '-f', '-'], JSON.stringify(node('n-big', { zone: 'c' }, { cpu: '32' })));
  const placed = await waitScheduled('s3', ['huge']);
  assert.equal(placed.huge, 'n-big');
  const r = await kubectl(c!, ['get', 'pod', 'huge', '-n', 's3', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}']);
  assert.equal(r.stdout, 'True');
});
