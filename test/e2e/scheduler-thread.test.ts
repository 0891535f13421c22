// End-to-end: `skiff server --scheduler-thread worker|main`: the scheduler on a thread of its own
// (src/scheduler/worker.ts, the default with two or more CPUs) or on the API server's main
// thread; kubectl sees the same scheduling either way.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { SKIFF, startCluster, destroyCluster, kubectlOk, kubectlStream, type Cluster } from './harness.ts';

let c: Cluster | undefined;
after(async () => {
  await destroyCluster(c);
});

function node(name: string, labels: Record<string, string>) {
  const res = { cpu: '4', memory: '8Gi', pods: '110' };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { capacity: res, allocatable: res, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready' }] },
  };
}

for (const thread of ['worker', 'main']) {
  test(`the scheduler on the ${thread} thread binds pods as upstream would and records the Scheduled event`, async () => {
    await destroyCluster(c);
    c = undefined;
    c = await startCluster({ args: ['--scheduler-thread', thread] });
    const K = (args: string[], input?: string) => kubectlOk(c!, args, input);
    await K(['create', '-f', '-'], [node('t-a', { disk: 'ssd' }), node('t-b', {})].map((n) => toYaml(n)).join('---\n'));
    const w = kubectlStream(c, ['get', 'pods', '-w', '-o', 'jsonpath={.metadata.name}={.spec.nodeName}{"\\n"}']);
    try {
      await K(['create', '-f', '-'], toYaml({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'on-ssd' },
        spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
      }));
      await w.waitFor(/^on-ssd=t-a$/m);
    } finally {
      await w.stop();
    }
    const ev = await K(['get', 'events', '--field-selector', 'involvedObject.name=on-ssd,reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(ev, 'Successfully assigned default/on-ssd to t-a');
  });
}

test('an unknown --scheduler-thread value is refused before anything starts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-e2e-flag-'));
  try {
    const proc = spawn(SKIFF, ['server', '--data-dir', dir, '--port', '0', '--disable-agent', '--scheduler-thread', 'both'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => proc.on('exit', r));
    assert.notEqual(code, 0);
    assert.match(err, /--scheduler-thread: "both" is not worker, main or auto/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
