import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock, flushMicrotasks } from '../../client/testing.ts';
import { ImageError, type ImageInfo, type ImageService, type PullOptions } from '../images/types.ts';
import { agentPaths } from '../paths.ts';
import { FakeRuntime } from './fake-runtime.ts';
import { changedPods, snapshotOf } from './pleg.ts';
import { effectivePullPolicy, registryAuthsFromSecret } from './pullsecrets.ts';
import type { PodStatusApi } from './status.ts';
import { PodWorkers, type PodWorkersOptions } from './worker.ts';

function img(ref: string): ImageInfo {
  return { id: `sha256:${ref.length}`, repoTags: [ref], repoDigests: [`${ref.split(':')[0]}@sha256:abcd`], size: 1234, layers: ['/l'], config: { cmd: ['/bin/sh'], env: ['PATH=/bin'] } };
}

class FakeImages implements ImageService {
  readonly present = new Map<string, ImageInfo>();
  readonly pulls: { ref: string; opts?: PullOptions }[] = [];
  failPull?: string;
  async pull(ref: string, opts?: PullOptions): Promise<ImageInfo> {
    this.pulls.push({ ref, opts });
    if (this.failPull) throw new ImageError('NotFound', this.failPull);
    const i = img(ref);
    this.present.set(ref, i);
    return i;
  }
  async status(ref: string): Promise<ImageInfo | undefined> {
    return this.present.get(ref) ?? [...this.present.values()].find((i) => i.id === ref);
  }
  async list(): Promise<ImageInfo[]> {
    return [...this.present.values()];
  }
  async remove(): Promise<void> {}
  async importArchive(): Promise<ImageInfo[]> {
    return [];
  }
}

interface Harness {
  clock: FakeClock;
  rt: FakeRuntime;
  images: FakeImages;
  workers: PodWorkers;
  events: string[];
  statuses: PodStatusApi[];
  deletions: { name: string; uid: string }[];
  teardowns: string[];
  secrets: Map<string, KubeObject>;
  /** The options the workers were made with (to make another set: an agent restart). */
  options: PodWorkersOptions;
}

async function harness(t: { after(fn: () => Promise<void> | void): void }, extra: Partial<PodWorkersOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-pods-'));
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  const images = new FakeImages();
  images.present.set('busybox:1.36', img('busybox:1.36'));
  const events: string[] = [];
  const statuses: PodStatusApi[] = [];
  const deletions: { name: string; uid: string }[] = [];
  const teardowns: string[] = [];
  const secrets = new Map<string, KubeObject>();
  const options: PodWorkersOptions = {
    runtime: rt,
    images,
    volumes: { setUp: async () => ({ paths: new Map([['data', path.join(dir, 'vol')]]) }), tearDown: async (uid) => void teardowns.push(uid) },
    env: { resolve: async () => ['FROM_POD=1'] },
    recorder: { event: (_o, type, reason, message) => void events.push(`${type} ${reason} ${message}`) },
    statusWriter: { patchStatus: async (_p, s) => void statuses.push(structuredClone(s)), confirmDeletion: async (p) => void deletions.push({ name: p.metadata.name!, uid: p.metadata.uid! }) },
    clock,
    log: silentLogger,
    nodeName: 'node1',
    hostIPs: ['192.168.5.5'],
    paths: agentPaths(dir),
    cgroupRoot: '/skiff',
    getSecret: async (ns, name) => secrets.get(`${ns}/${name}`),
    clusterDNS: ['10.43.0.10'],
    ...extra,
  };
  const workers = new PodWorkers(options);
  t.after(async () => {
    await workers.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { clock, rt, images, workers, events, statuses, deletions, teardowns, secrets, options };
}

function pod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

async function settle(h: Harness): Promise<void> {
  // relist until the runtime is quiet (each relist may trigger syncs that change it again)
  for (let i = 0; i < 10; i++) {
    await h.workers.idle();
    const changed = await h.workers.relist();
    await h.workers.idle();
    if (changed.length === 0) return;
  }
}

const last = (h: Harness) => h.statuses.at(-1)!;

test('worker: a Never pod goes Pending → Running → Succeeded, containers stopped, status final', async (t) => {
  const h = await harness(t);
  h.workers.update(pod({ restartPolicy: 'Never' }));
  await settle(h);
  assert.equal(last(h).phase, 'Running');
  assert.equal(last(h).podIP, '10.88.0.2');
  assert.equal(last(h).hostIP, '192.168.5.5');
  assert.equal(last(h).containerStatuses[0]!.containerID, `fake://${h.rt.latest('uid-1', 'app')!.id}`);
  assert.equal(last(h).containerStatuses[0]!.imageID, 'busybox@sha256:abcd');
  assert.ok(h.events.includes('Normal Pulled Container image "busybox:1.36" already present on machine'));
  assert.ok(h.events.includes('Normal Created Created container app'));
  assert.ok(h.events.includes('Normal Started Started container app'));
  const cfg = h.rt.latest('uid-1', 'app')!.config;
  assert.deepEqual(cfg.env, ['PATH=/bin', 'FROM_POD=1']);
  const sb = [...h.rt.sandboxes.values()][0]!;
  assert.equal(sb.labels['io.kubernetes.pod.uid'], 'uid-1');

  h.rt.exit(h.rt.latest('uid-1', 'app')!.id, 0);
  await settle(h);
  assert.equal(last(h).phase, 'Succeeded');
  assert.equal(last(h).containerStatuses[0]!.state.terminated!.reason, 'Completed');
  assert.equal(sb.state, 'notready', 'sandbox stopped');
  const writes = h.statuses.length;
  h.workers.update(pod({ restartPolicy: 'Never' }));
  await settle(h);
  assert.equal(h.statuses.length, writes, 'no write when nothing changed');
  assert.equal(h.rt.calls.filter((c) => c.startsWith('startContainer')).length, 1, 'a finished pod never starts again');
});

test('worker: Never pod failing → Failed with exit code and termination message', async (t) => {
  const h = await harness(t);
  h.rt.script = () => ({ exitCode: 3 });
  h.workers.update(pod({ restartPolicy: 'Never' }));
  await settle(h);
  assert.equal(last(h).phase, 'Failed');
  assert.equal(last(h).containerStatuses[0]!.state.terminated!.exitCode, 3);
  assert.equal(last(h).containerStatuses[0]!.state.terminated!.reason, 'Error');
});

test('worker: CrashLoopBackOff restarts after 10s, then 20s, with the kubelet message', async (t) => {
  const h = await harness(t);
  h.rt.script = () => ({ exitCode: 1 });
  h.workers.update(pod());
  await settle(h);
  // first crash restarts at once (restartCount 1), the second one backs off 10s
  const s1 = last(h).containerStatuses[0]!;
  assert.equal(s1.restartCount, 1);
  assert.deepEqual(s1.state.waiting, { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=app pod=web_default(uid-1)' });
  assert.equal(s1.lastState.terminated!.exitCode, 1);
  assert.equal(last(h).phase, 'Running');
  assert.ok(h.events.includes('Warning BackOff Back-off restarting failed container app in pod web_default(uid-1)'));
  await h.clock.advance(9_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 1, 'still backing off at 9s');
  await h.clock.advance(1_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 2, 'restarted at 10s');
  assert.equal(last(h).containerStatuses[0]!.state.waiting!.message, 'back-off 20s restarting failed container=app pod=web_default(uid-1)');
  await h.clock.advance(19_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 2);
  await h.clock.advance(1_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 3);
  assert.equal(last(h).containerStatuses[0]!.restartCount, 3);
});

test('worker: deletion runs preStop, stops with the grace period, removes the sandbox and confirms deletion', async (t) => {
  const h = await harness(t);
  const hooks: string[] = [];
  h.rt.execHandler = (_id, o) => {
    hooks.push(o.cmd.join(' '));
    return { exitCode: 0 };
  };
  const spec = { containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'echo bye'] } } } }] };
  h.workers.update(pod(spec));
  await settle(h);
  assert.equal(last(h).phase, 'Running');
  h.workers.update(pod(spec, { deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: 7 }));
  await settle(h);
  assert.deepEqual(hooks, ['/bin/sh -c echo bye']);
  const i = h.rt.calls.indexOf('exec app /bin/sh -c echo bye');
  const j = h.rt.calls.indexOf('stopContainer app 7');
  assert.ok(i >= 0 && j > i, `preStop before stop: ${h.rt.calls.join(', ')}`);
  assert.equal(h.rt.sandboxes.size, 0, 'sandbox removed');
  assert.deepEqual(h.teardowns, ['uid-1']);
  assert.deepEqual(h.deletions, [{ name: 'web', uid: 'uid-1' }]);
  assert.equal(last(h).phase, 'Failed');
  assert.ok(h.events.includes('Normal Killing Stopping container app'));
  // a terminating pod never returns to running
  h.workers.update(pod(spec));
  await settle(h);
  assert.equal(h.rt.calls.filter((c) => c.startsWith('runPodSandbox')).length, 1);
});

test('worker: a preStop hook that overruns the grace period leaves 2s for the stop', async (t) => {
  const h = await harness(t);
  h.rt.execHandler = async (_id, o) => {
    await new Promise<void>((r) => o.signal!.addEventListener('abort', () => r(), { once: true }));
    return { exitCode: 137, timedOut: true };
  };
  const spec = { terminationGracePeriodSeconds: 3, containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['sleep', '100'] } } } }] };
  h.workers.update(pod(spec));
  await settle(h);
  h.workers.update(pod(spec, { deletionTimestamp: '2026-01-01T00:01:00Z' }));
  await h.clock.whenTimers(1);
  await h.clock.advance(3_000);
  await settle(h);
  assert.deepEqual(h.rt.stopGrace, [{ name: 'app', grace: 2 }]);
  assert.equal(h.deletions.length, 1);
});

test('worker: imagePullPolicy Never on a missing image → ErrImageNeverPull', async (t) => {
  const h = await harness(t);
  h.workers.update(pod({ containers: [{ name: 'app', image: 'missing:1', imagePullPolicy: 'Never' }] }));
  await settle(h);
  const msg = 'Container image "missing:1" is not present with pull policy of Never';
  assert.deepEqual(last(h).containerStatuses[0]!.state, { waiting: { reason: 'ErrImageNeverPull', message: msg } });
  assert.equal(last(h).phase, 'Pending');
  assert.ok(h.events.includes(`Warning ErrImageNeverPull ${msg}`));
  assert.equal(h.images.pulls.length, 0);
});

test('worker: ErrImagePull then ImagePullBackOff, retried after the back-off; pull secrets used', async (t) => {
  const h = await harness(t);
  h.images.failPull = 'manifest unknown';
  h.secrets.set('default/regcred', {
    metadata: { name: 'regcred' }, type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: { 'reg.example:5000': { username: 'u', password: 'p' } } })).toString('base64') },
  });
  const p = pod({ imagePullSecrets: [{ name: 'regcred' }], containers: [{ name: 'app', image: 'reg.example:5000/app' }] });
  h.workers.update(p);
  await settle(h);
  assert.ok(h.statuses.some((st) => st.containerStatuses[0]!.state.waiting?.reason === 'ErrImagePull'));
  assert.deepEqual(h.images.pulls[0]!.opts?.auth, [{ server: 'reg.example:5000', username: 'u', password: 'p' }]);
  assert.ok(h.events.includes('Warning Failed Failed to pull image "reg.example:5000/app": manifest unknown'));
  h.workers.update(p);
  await settle(h);
  assert.deepEqual(last(h).containerStatuses[0]!.state.waiting, { reason: 'ImagePullBackOff', message: 'Back-off pulling image "reg.example:5000/app"' });
  assert.equal(h.images.pulls.length, 1);
  h.images.failPull = undefined;
  await h.clock.advance(10_000);
  await settle(h);
  assert.equal(h.images.pulls.length, 2);
  assert.equal(last(h).phase, 'Running');
  assert.ok(h.events.some((e) => /^Normal Pulled Successfully pulled image "reg\.example:5000\/app" in \S+ \(\S+ including waiting\)\. Image size: 1234 bytes\.$/.test(e)), h.events.join('\n'));
});

test('worker: init containers run in order before the main containers', async (t) => {
  const h = await harness(t);
  h.rt.script = (c) => (c.name.startsWith('init') ? { exitCode: 0 } : {});
  h.workers.update(pod({ initContainers: [{ name: 'init1', image: 'busybox:1.36' }, { name: 'init2', image: 'busybox:1.36' }] }));
  await settle(h);
  const starts = h.rt.calls.filter((c) => c.startsWith('startContainer'));
  assert.deepEqual(starts, ['startContainer init1', 'startContainer init2', 'startContainer app']);
  assert.equal(last(h).phase, 'Running');
  assert.equal(last(h).conditions.find((c) => c.type === 'Initialized')!.status, 'True');
  assert.equal(h.statuses.some((s) => s.phase === 'Pending' && s.initContainerStatuses![0]!.state.terminated !== undefined), true);
});

test('worker: a failing postStart hook kills the container', async (t) => {
  const h = await harness(t);
  h.rt.execHandler = () => ({ exitCode: 1 });
  h.workers.update(pod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { postStart: { exec: { command: ['false'] } } } }] }));
  await settle(h);
  assert.ok(h.events.some((e) => e.startsWith('Warning FailedPostStartHook Exec lifecycle hook (["false"]) for Container "app" in Pod "web_default(uid-1)" failed')), h.events.join('\n'));
  assert.equal(h.rt.latest('uid-1', 'app')!.state, 'exited');
  assert.equal(last(h).phase, 'Failed');
});

test('worker: liveness failure restarts the container', async (t) => {
  const h = await harness(t);
  h.rt.execHandler = () => ({ exitCode: 1 });
  h.workers.update(pod({ containers: [{ name: 'app', image: 'busybox:1.36', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 } }] }));
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 0);
  await h.clock.advance(1_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 1);
  assert.ok(h.events.includes('Normal Killing Container app failed liveness probe, will be restarted'));
  assert.ok(h.events.includes('Warning Unhealthy Liveness probe failed: command "check" exited with 1'));
  assert.equal(last(h).containerStatuses[0]!.restartCount, 1);
});

test('worker: readiness probe drives Ready', async (t) => {
  const h = await harness(t);
  let ok = false;
  h.rt.execHandler = () => ({ exitCode: ok ? 0 : 1 });
  h.workers.update(pod({ containers: [{ name: 'app', image: 'busybox:1.36', readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1, failureThreshold: 1 } }] }));
  await settle(h);
  await h.clock.advance(0);
  await settle(h);
  assert.equal(last(h).conditions.find((c) => c.type === 'Ready')!.status, 'False');
  ok = true;
  await h.clock.advance(1_000);
  await settle(h);
  assert.equal(last(h).conditions.find((c) => c.type === 'Ready')!.status, 'True');
  assert.equal(last(h).containerStatuses[0]!.ready, true);
});

test('worker: forget stops the pod without confirming a deletion; updates collapse', async (t) => {
  const h = await harness(t);
  h.workers.update(pod());
  h.workers.update(pod());
  h.workers.update(pod());
  await settle(h);
  assert.equal(h.rt.calls.filter((c) => c.startsWith('runPodSandbox')).length, 1);
  h.workers.forget('uid-1');
  await settle(h);
  assert.equal(h.rt.sandboxes.size, 0);
  assert.deepEqual(h.deletions, []);
  assert.deepEqual(h.workers.known(), []);
});

test('worker: removeOrphans clears sandboxes of unknown pods', async (t) => {
  const h = await harness(t);
  await h.rt.runPodSandbox({ podUid: 'ghost', name: 'g', namespace: 'default', attempt: 0, hostname: 'g', hostNetwork: false, dns: { servers: [], searches: [], options: [] }, hostAliases: [], portMappings: [], cgroupParent: '/x', labels: {}, annotations: {} });
  assert.deepEqual(await h.workers.removeOrphans(), ['ghost']);
  assert.equal(h.rt.sandboxes.size, 0);
});

test('pleg: changed pods from snapshots', () => {
  const sb = { id: 's1', podUid: 'a', name: 'a', namespace: 'd', attempt: 0, state: 'ready' as const, createdAt: 0, hostsPath: '', resolvConfPath: '', hostnamePath: '', labels: {}, annotations: {} };
  const c = { id: 'c1', sandboxId: 's1', podUid: 'a', name: 'x', attempt: 0, imageId: 'i', state: 'running' as const, createdAt: 0, logPath: '', labels: {}, annotations: {} };
  const s1 = snapshotOf([sb], [c]);
  assert.deepEqual([...changedPods(undefined, s1)], ['a']);
  assert.deepEqual([...changedPods(s1, snapshotOf([sb], [c]))], []);
  assert.deepEqual([...changedPods(s1, snapshotOf([sb], [{ ...c, state: 'exited', exitCode: 1 }]))], ['a']);
  assert.deepEqual([...changedPods(s1, snapshotOf([], []))], ['a']);
  const c2 = { ...c, id: 'c2', podUid: 'b' };
  assert.deepEqual([...changedPods(s1, snapshotOf([sb], [c, c2]))], ['b']);
});

test('pull policy defaults and pull secrets', () => {
  assert.equal(effectivePullPolicy({ image: 'busybox' }), 'Always');
  assert.equal(effectivePullPolicy({ image: 'busybox:latest' }), 'Always');
  assert.equal(effectivePullPolicy({ image: 'host:5000/busybox' }), 'Always');
  assert.equal(effectivePullPolicy({ image: 'host:5000/busybox:1.2' }), 'IfNotPresent');
  assert.equal(effectivePullPolicy({ image: 'busybox@sha256:00' }), 'IfNotPresent');
  assert.equal(effectivePullPolicy({ image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
  const legacy = { metadata: {}, type: 'kubernetes.io/dockercfg', data: { '.dockercfg': Buffer.from(JSON.stringify({ 'r:1': { auth: 'dTpw' } })).toString('base64') } };
  assert.deepEqual(registryAuthsFromSecret(legacy), [{ server: 'r:1', auth: 'dTpw' }]);
  assert.deepEqual(registryAuthsFromSecret({ metadata: {}, type: 'Opaque', data: {} }), []);
});

test('pleg: the relist loop runs on the clock and stops on close', async () => {
  const { RelistLoop } = await import('./pleg.ts');
  const clock = new FakeClock();
  let n = 0;
  const loop = new RelistLoop({ clock, log: silentLogger, periodMs: 1000, relist: async () => void n++ });
  loop.start();
  await clock.advance(0);
  assert.equal(n, 1);
  await clock.advance(3000);
  assert.equal(n, 4);
  await loop.close();
  assert.equal(clock.pending(), 0);
});

test('worker: runtime work is bounded, and the pod that came first gets the free slot first', async (t) => {
  const h = await harness(t, { maxConcurrentStarts: 1 });
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const gate = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>, who: (...args: A) => string) => async (...args: A): Promise<R> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    calls.push(`${name} ${who(...args)}`);
    await new Promise((r) => setImmediate(r));
    try {
      return await fn(...args);
    } finally {
      inFlight--;
    }
  };
  const podOf = (sandboxId: string) => h.rt.sandboxes.get(sandboxId)!.name;
  h.rt.runPodSandbox = gate('sandbox', h.rt.runPodSandbox.bind(h.rt), (c) => c.name);
  h.rt.createContainer = gate('create', h.rt.createContainer.bind(h.rt), (sb) => podOf(sb));
  for (const n of ['a', 'b', 'c']) h.workers.update(pod({}, { name: n, uid: `uid-${n}` }));
  await settle(h);
  assert.equal(maxInFlight, 1, 'one pod in runtime work at a time');
  // each pod does all its runtime work before the next one (in arrival order) starts
  assert.deepEqual(calls, ['sandbox a', 'create a', 'sandbox b', 'create b', 'sandbox c', 'create c']);
  for (const n of ['a', 'b', 'c']) assert.equal(h.workers.lastStatus(`uid-${n}`)?.phase, 'Running');
});

test('worker: a pod waiting for its image pull does not hold a start slot', async (t) => {
  const h = await harness(t, { maxConcurrentStarts: 1 });
  let finishPull!: () => void;
  const pulling = new Promise<void>((r) => (finishPull = r));
  const pull = h.images.pull.bind(h.images);
  h.images.pull = async (ref, opts) => {
    await pulling;
    return pull(ref, opts);
  };
  h.workers.update(pod({ containers: [{ name: 'app', image: 'slow:1' }] }, { name: 'a', uid: 'uid-a' }));
  h.workers.update(pod({}, { name: 'b', uid: 'uid-b' }));
  const deadline = Date.now() + 5000;
  while (h.workers.lastStatus('uid-b')?.phase !== 'Running' && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.equal(h.workers.lastStatus('uid-b')?.phase, 'Running', 'b started while a was pulling');
  assert.equal(h.rt.latest('uid-a', 'app'), undefined);
  finishPull();
  await settle(h);
  assert.equal(h.workers.lastStatus('uid-a')?.phase, 'Running');
});

test('worker: a pod first seen with a terminal phase in the API is not run again, and nothing of it keeps running', async (t) => {
  const h = await harness(t);
  const done = pod({ restartPolicy: 'Never' }, { name: 'finished', uid: 'uid-done' });
  done.status = { ...done.status, phase: 'Succeeded' };
  h.workers.update(done);
  const failed = pod({ restartPolicy: 'OnFailure' }, { name: 'failed', uid: 'uid-failed' });
  failed.status = { ...failed.status, phase: 'Failed' };
  // a container of it still runs (the agent was restarted before it stopped it)
  const sb = await h.rt.runPodSandbox({ podUid: 'uid-failed', name: 'failed', namespace: 'default', attempt: 0, hostname: 'failed', hostNetwork: false, dns: { servers: [], searches: [], options: [] }, hostAliases: [], portMappings: [], cgroupParent: '/x', labels: {}, annotations: {} });
  const id = await h.rt.createContainer(sb.id, { name: 'app', attempt: 0, imageId: 'i', logPath: '/dev/null', labels: {}, annotations: {} } as unknown as Parameters<FakeRuntime['createContainer']>[1]);
  await h.rt.startContainer(id);
  h.workers.update(failed);
  await settle(h);
  assert.equal(h.rt.latest('uid-done', 'app'), undefined, 'nothing started for the Succeeded pod');
  assert.equal((await h.rt.containerStatus(id))?.state, 'exited', 'the leftover container was stopped');
  assert.equal(h.statuses.length, 0, 'the API status is left as it is');
});

// ---- sidecars (init containers with restartPolicy Always) ----

function sidecarPod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return pod({
    initContainers: [
      { name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always' },
      { name: 'setup', image: 'busybox:1.36' },
      { name: 'logger', image: 'busybox:1.36', restartPolicy: 'Always' },
    ],
    ...spec,
  }, meta);
}

const created = (h: Harness) => h.rt.calls.filter((c) => c.startsWith('createContainer')).map((c) => c.split(' ')[1]);

test('worker (sidecars): init containers in order, sidecars keep running, the pod becomes Ready', async (t) => {
  const h = await harness(t);
  h.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  h.workers.update(sidecarPod());
  await settle(h);
  assert.deepEqual(created(h), ['proxy', 'setup', 'logger', 'app']);
  const s = last(h);
  assert.equal(s.phase, 'Running');
  const [proxy, setup, logger] = s.initContainerStatuses!;
  for (const sc of [proxy!, logger!]) {
    assert.ok(sc.state.running, `${sc.name} running`);
    assert.equal(sc.started, true);
    assert.equal(sc.ready, true);
    assert.equal(sc.restartCount, 0);
  }
  assert.equal(setup!.state.terminated?.reason, 'Completed');
  for (const type of ['Initialized', 'ContainersReady', 'Ready']) assert.equal(s.conditions.find((c) => c.type === type)!.status, 'True', type);
});

test('worker (sidecars): a sidecar with a startup probe holds the next init container until it passes', async (t) => {
  const h = await harness(t);
  let healthy = false;
  h.rt.execHandler = () => ({ exitCode: healthy ? 0 : 1 });
  h.workers.update(pod({ initContainers: [{ name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always', startupProbe: { exec: { command: ['ok'] }, periodSeconds: 1, failureThreshold: 30 } }] }));
  await settle(h);
  assert.deepEqual(created(h), ['proxy']);
  assert.equal(last(h).initContainerStatuses![0]!.started, false);
  assert.equal(last(h).phase, 'Pending');
  healthy = true;
  await h.clock.advance(1_000);
  await settle(h);
  assert.deepEqual(created(h), ['proxy', 'app']);
  assert.equal(last(h).initContainerStatuses![0]!.started, true);
  assert.equal(last(h).phase, 'Running');
});

test('worker (sidecars): a sidecar is restarted when it exits under restartPolicy Never, with CrashLoopBackOff', async (t) => {
  const h = await harness(t);
  h.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  h.workers.update(sidecarPod({ restartPolicy: 'Never' }));
  await settle(h);
  h.rt.exit(h.rt.latest('uid-1', 'proxy')!.id, 0);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'proxy')!.attempt, 1, 'restarted at once');
  assert.equal(h.rt.latest('uid-1', 'proxy')!.state, 'running');
  h.rt.exit(h.rt.latest('uid-1', 'proxy')!.id, 1);
  await settle(h);
  const s = last(h).initContainerStatuses![0]!;
  assert.equal(s.state.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(s.restartCount, 1);
  assert.equal(last(h).phase, 'Running');
  assert.equal(h.rt.latest('uid-1', 'setup')!.attempt, 0, 'the regular init container is not run again');
  await h.clock.advance(10_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'proxy')!.attempt, 2, 'restarted after the back-off');
  assert.equal(last(h).initContainerStatuses![0]!.restartCount, 2);
});

test('worker (sidecars): liveness failure restarts a sidecar', async (t) => {
  const h = await harness(t);
  h.rt.execHandler = () => ({ exitCode: 1 });
  h.workers.update(pod({ initContainers: [{ name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always', livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 } }] }));
  await settle(h);
  await h.clock.advance(1_000);
  await settle(h);
  assert.equal(h.rt.latest('uid-1', 'proxy')!.attempt, 1);
  assert.ok(h.events.includes('Normal Killing Init container proxy failed liveness probe'), h.events.join('\n'));
  assert.equal(h.rt.latest('uid-1', 'app')!.attempt, 0, 'the main container keeps running');
});

test('worker (sidecars): a Never pod whose main container exits 0 stops its sidecars (last one first) and is Succeeded', async (t) => {
  const h = await harness(t);
  h.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  h.workers.update(sidecarPod({ restartPolicy: 'Never' }));
  await settle(h);
  h.rt.exit(h.rt.latest('uid-1', 'app')!.id, 0);
  await settle(h);
  const s = last(h);
  assert.equal(s.phase, 'Succeeded');
  assert.equal(s.initContainerStatuses![0]!.state.terminated?.exitCode, 143, 'the sidecar was stopped');
  assert.deepEqual(h.rt.calls.filter((c) => c.startsWith('stopContainer')), ['stopContainer logger 30', 'stopContainer proxy 30']);
  assert.equal(h.rt.latest('uid-1', 'proxy')!.attempt, 0, 'not restarted');
  const failed = await harness(t);
  failed.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  failed.workers.update(sidecarPod({ restartPolicy: 'OnFailure' }));
  await settle(failed);
  failed.rt.exit(failed.rt.latest('uid-1', 'app')!.id, 0);
  await settle(failed);
  assert.equal(last(failed).phase, 'Succeeded');
});

test('worker (sidecars): deletion stops regular containers first, then the sidecars in reverse order, within one grace period', async (t) => {
  const h = await harness(t);
  const hooks: string[] = [];
  h.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  // the main container's preStop takes 4 s: the sidecars wait for it, and their grace shrinks by that
  h.rt.execHandler = async (id, o) => {
    const name = h.rt.containers.get(id)!.name;
    hooks.push(name);
    if (name === 'app') await new Promise<void>((r) => h.clock.setTimeout(r, 4_000));
    return { exitCode: 0 };
  };
  const preStop = { preStop: { exec: { command: ['bye'] } } };
  const spec = {
    terminationGracePeriodSeconds: 10,
    initContainers: [
      { name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always', lifecycle: preStop },
      { name: 'setup', image: 'busybox:1.36' },
      { name: 'logger', image: 'busybox:1.36', restartPolicy: 'Always' },
    ],
    containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: preStop }, { name: 'web', image: 'busybox:1.36' }],
  };
  h.workers.update(pod(spec));
  await settle(h);
  h.workers.update(pod(spec, { deletionTimestamp: '2026-01-01T00:01:00Z' }));
  const stops = () => h.rt.calls.filter((c) => c.startsWith('stopContainer'));
  try {
    for (let i = 0; i < 100 && (hooks.length < 2 || stops().length < 1); i++) await flushMicrotasks();
    assert.deepEqual(stops(), ['stopContainer web 10'], 'web stops at once, sidecars wait for app');
    assert.deepEqual([...hooks].sort(), ['app', 'proxy'], 'preStop hooks run at once');
    await h.clock.advance(4_000);
    await settle(h);
    assert.deepEqual(stops(), ['stopContainer web 10', 'stopContainer app 6', 'stopContainer logger 6', 'stopContainer proxy 6']);
    assert.deepEqual(h.deletions, [{ name: 'web', uid: 'uid-1' }]);
  } finally {
    await h.clock.advance(60_000); // never leave the kill waiting on the clock (close() awaits it)
  }
});

test('worker (sidecars): after an agent restart running sidecars are adopted, not restarted', async (t) => {
  const h = await harness(t);
  h.rt.script = (cfg) => (cfg.name === 'setup' ? { exitCode: 0 } : {});
  const p = sidecarPod();
  h.workers.update(p);
  await settle(h);
  const before = created(h).length;
  await h.workers.close();
  const again = new PodWorkers(h.options);
  t.after(() => again.close());
  again.update({ ...p, status: last(h) });
  await again.idle();
  await again.relist();
  await again.idle();
  assert.equal(created(h).length, before, 'nothing created again');
  const s = again.lastStatus('uid-1') ?? last(h);
  assert.deepEqual(s.initContainerStatuses!.map((c) => c.restartCount), [0, 0, 0]);
  assert.ok(s.initContainerStatuses![0]!.state.running);
  assert.equal(h.rt.calls.filter((c) => c.startsWith('stopContainer')).length, 0);
});

test('worker (sidecars): a sidecar waits for the main container at most the grace period, then gets the 2 s minimum', async (t) => {
  const h = await harness(t);
  // the main container's preStop never ends on its own: it is cut at the grace period
  h.rt.execHandler = async (_id, o) => {
    await new Promise<void>((r) => o.signal!.addEventListener('abort', () => r(), { once: true }));
    return { exitCode: 137, timedOut: true };
  };
  const spec = {
    terminationGracePeriodSeconds: 5,
    initContainers: [{ name: 'proxy', image: 'busybox:1.36', restartPolicy: 'Always' }],
    containers: [{ name: 'app', image: 'busybox:1.36', lifecycle: { preStop: { exec: { command: ['hang'] } } } }],
  };
  h.workers.update(pod(spec));
  await settle(h);
  h.workers.update(pod(spec, { deletionTimestamp: '2026-01-01T00:01:00Z' }));
  try {
    await h.clock.whenTimers(2); // the preStop deadline and the sidecar's wait
    await h.clock.advance(4_999);
    const stops = () => h.rt.stopGrace.map((s) => `${s.name} ${s.grace}`).sort();
    assert.deepEqual(stops(), [], 'nothing stopped before the grace period');
    await h.clock.advance(1);
    await settle(h);
    assert.deepEqual(stops(), ['app 2', 'proxy 2']);
    assert.equal(h.deletions.length, 1);
  } finally {
    await h.clock.advance(60_000);
  }
});
