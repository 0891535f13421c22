// Sidecar containers end to end (KEP-753: init containers with restartPolicy Always): a real
// `skiff server` with its local agent (crun, CNI bridge, overlayfs), a local registry serving
// busybox, and the real kubectl 1.32. A sidecar serves a file that a later regular init
// container must fetch; a sidecar that exits is restarted under restartPolicy Never; a Job-style
// restartPolicy Never pod completes with its sidecar stopped;
// deletion stops regular containers before sidecars (last defined first); a restarted agent
// adopts running sidecars. Waiting is on conditions (`kubectl wait`), never on sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startCluster, destroyCluster, kubectl, kubectlOk, kubectlWait, type Cluster } from './harness.ts';
import { startTestRegistry, pushToRegistry } from '../../src/agent/images/testimage.ts';

const AGENT_INDEX = 17;

let cluster: Cluster | undefined;
let registry: { url: string; stop(): Promise<void> } | undefined;
let work: string;
let IMG = '';

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'skiff-e2e-sidecar-'));
  registry = await startTestRegistry({ dir: path.join(work, 'registry') });
  await pushToRegistry(registry.url, 'e2e/busybox', 'v1');
  IMG = `${registry.url.replace(/^https?:\/\//, '')}/e2e/busybox:v1`;
  cluster = await startCluster({ dataDir: path.join(work, 'data'), agent: { index: AGENT_INDEX } });
  await kubectlOk(cluster, ['wait', '--for=condition=Ready', `node/e2e-node-${AGENT_INDEX}`, '--timeout=60s']);
});

after(async () => {
  try {
    await destroyCluster(cluster);
  } finally {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  }
});

function c(): Cluster {
  assert.ok(cluster, 'cluster started');
  return cluster;
}

async function apply(yaml: string): Promise<void> {
  await kubectlOk(c(), ['apply', '-f', '-'], yaml.replaceAll('IMAGE', IMG));
}

function waitFor(what: string, cond: string, timeout = '90s'): Promise<void> {
  return kubectlWait(c(), what, cond, timeout);
}

async function podJson(name: string): Promise<any> {
  return JSON.parse(await kubectlOk(c(), ['get', 'pod', name, '-o', 'json']));
}

test('a sidecar serves a regular init container and the main container; the pod is Ready and a restarted agent adopts the sidecar', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: with-sidecar}
spec:
  terminationGracePeriodSeconds: 5
  initContainers:
  - name: files
    image: IMAGE
    restartPolicy: Always
    command: [sh, -c, 'mkdir -p /www && echo served-by-sidecar > /www/index.html && exec httpd -f -p 8080 -h /www']
    startupProbe: {tcpSocket: {port: 8080}, periodSeconds: 1, failureThreshold: 30}
  - name: fetch
    image: IMAGE
    command: [sh, -c, 'wget -qO /work/got http://127.0.0.1:8080/index.html']
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'cat /work/got; exec sleep 3600']
    volumeMounts: [{name: work, mountPath: /work}]
  volumes: [{name: work, emptyDir: {}}]
`);
  await waitFor('pod/with-sidecar', 'condition=Ready');
  const pod = await podJson('with-sidecar');
  const [files, fetch] = pod.status.initContainerStatuses;
  assert.equal(files.name, 'files');
  assert.ok(files.state.running, `sidecar running: ${JSON.stringify(files)}`);
  assert.equal(files.started, true);
  assert.equal(files.ready, true);
  assert.equal(files.restartCount, 0);
  assert.equal(fetch.state.terminated?.exitCode, 0, `the init container fetched from the sidecar: ${JSON.stringify(fetch)}`);
  assert.equal(fetch.restartCount, 0, 'the sidecar was up before the init container ran');
  const conds = Object.fromEntries(pod.status.conditions.map((x: any) => [x.type, x.status]));
  assert.deepEqual([conds.Initialized, conds.ContainersReady, conds.Ready], ['True', 'True', 'True']);
  assert.equal(pod.status.phase, 'Running');
  assert.equal(await kubectlOk(c(), ['logs', 'with-sidecar', '-c', 'main']), 'served-by-sidecar\n');
  // the sidecar keeps serving the running pod, and kubectl reaches it and counts it
  assert.equal(await kubectlOk(c(), ['exec', 'with-sidecar', '-c', 'main', '--', 'wget', '-qO-', 'http://127.0.0.1:8080/index.html']), 'served-by-sidecar\n');
  assert.equal(await kubectlOk(c(), ['exec', 'with-sidecar', '-c', 'files', '--', 'cat', '/www/index.html']), 'served-by-sidecar\n');
  assert.match(await kubectlOk(c(), ['get', 'pod', 'with-sidecar', '--no-headers']), /^with-sidecar\s+2\/2\s+Running\s+0\s/);

  // agent restart: the running sidecar is adopted as it is
  const old = c();
  assert.equal(await old.stop(), 0);
  cluster = await startCluster({ dataDir: old.dataDir, agent: { index: AGENT_INDEX } });
  await waitFor(`node/e2e-node-${AGENT_INDEX}`, 'condition=Ready');
  await waitFor('pod/with-sidecar', 'condition=Ready');
  const again = (await podJson('with-sidecar')).status.initContainerStatuses[0];
  assert.equal(again.containerID, files.containerID, 'same sidecar container');
  assert.equal(again.restartCount, 0);
  assert.equal(again.state.running?.startedAt, files.state.running.startedAt);
  await kubectlOk(c(), ['delete', 'pod', 'with-sidecar', '--wait=true']);
});

test('a restartPolicy Never pod with a sidecar reaches Succeeded when its main container exits 0; the sidecar is stopped', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: job-like}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  initContainers:
  - name: shipper
    image: IMAGE
    restartPolicy: Always
    command: [sh, -c, 'trap "exit 0" TERM; while true; do sleep 0.2; done']
  containers:
  - name: work
    image: IMAGE
    command: [sh, -c, 'echo work-done']
`);
  await waitFor('pod/job-like', 'jsonpath={.status.phase}=Succeeded');
  const pod = await podJson('job-like');
  const sidecar = pod.status.initContainerStatuses[0];
  assert.ok(sidecar.state.terminated, `sidecar terminated: ${JSON.stringify(sidecar)}`);
  assert.equal(sidecar.restartCount, 0, 'not restarted once the pod was done');
  assert.equal(pod.status.containerStatuses[0].state.terminated?.exitCode, 0);
  assert.equal(await kubectlOk(c(), ['logs', 'job-like', '-c', 'work']), 'work-done\n');
  await kubectlOk(c(), ['delete', 'pod', 'job-like', '--wait=true']);
});

test('a sidecar that exits is restarted even under restartPolicy Never, while the main container keeps running', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: sidecar-restarts}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: flaky
    image: IMAGE
    restartPolicy: Always
    command: [sh, -c, 'if [ -e /state/ran ]; then exec sleep 3600; fi; touch /state/ran; exit 3']
    volumeMounts: [{name: state, mountPath: /state}]
  containers:
  - {name: main, image: IMAGE, command: [sh, -c, 'exec sleep 3600']}
  volumes: [{name: state, emptyDir: {}}]
`);
  await waitFor('pod/sidecar-restarts', 'jsonpath={.status.initContainerStatuses[0].restartCount}=1');
  await waitFor('pod/sidecar-restarts', 'condition=Ready');
  const pod = await podJson('sidecar-restarts');
  const flaky = pod.status.initContainerStatuses[0];
  assert.ok(flaky.state.running, `running again: ${JSON.stringify(flaky)}`);
  assert.equal(flaky.lastState.terminated?.exitCode, 3);
  assert.equal(pod.status.phase, 'Running');
  assert.equal(pod.status.containerStatuses[0].restartCount, 0);
  assert.ok(pod.status.containerStatuses[0].state.running);
  await kubectlOk(c(), ['delete', 'pod', 'sidecar-restarts', '--wait=true']);
});

test('deletion stops the regular containers first, then the sidecars in reverse order of definition', async () => {
  const shared = path.join(work, 'order');
  await mkdir(shared, { recursive: true });
  const trap = (name: string) => `trap "echo ${name} >> /shared/log; exit 0" TERM; while true; do sleep 0.2; done`;
  await apply(`
apiVersion: v1
kind: Pod
metadata: {name: ordered}
spec:
  terminationGracePeriodSeconds: 20
  initContainers:
  - {name: first-sidecar, image: IMAGE, restartPolicy: Always, command: [sh, -c, '${trap('first-sidecar')}'], volumeMounts: [{name: shared, mountPath: /shared}]}
  - {name: second-sidecar, image: IMAGE, restartPolicy: Always, command: [sh, -c, '${trap('second-sidecar')}'], volumeMounts: [{name: shared, mountPath: /shared}]}
  containers:
  - name: main
    image: IMAGE
    command: [sh, -c, 'trap "sleep 1; echo main >> /shared/log; exit 0" TERM; while true; do sleep 0.2; done']
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes: [{name: shared, hostPath: {path: ${shared}, type: Directory}}]
`);
  await waitFor('pod/ordered', 'condition=Ready');
  const t0 = Date.now();
  await kubectlOk(c(), ['delete', 'pod', 'ordered', '--wait=true']);
  const took = Date.now() - t0;
  assert.equal(await readFile(path.join(shared, 'log'), 'utf8'), 'main\nsecond-sidecar\nfirst-sidecar\n');
  assert.ok(took < 20_000, `everything stopped on TERM within the grace period (took ${took} ms)`);
});
