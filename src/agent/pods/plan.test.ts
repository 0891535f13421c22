import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { ContainerInfo, SandboxInfo } from '../runtime/types.ts';
import { type BackoffEntry, formatDuration, inBackOff, nextBackoff } from './backoff.ts';
import { LABEL_CONTAINER_HASH, containerBackoffKey, containerHash } from './labels.ts';
import { type ObservedPod, type PlanContext, type PodActions, computePodActions } from './plan.ts';

const NOW = 1_000_000_000;

function pod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
  };
}

function sandbox(over: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    id: 'sb1', podUid: 'u1', name: 'web', namespace: 'default', attempt: 0, state: 'ready', createdAt: NOW - 100_000,
    ip: '10.0.0.2', netnsPath: '/run/netns/x', hostsPath: '', resolvConfPath: '', hostnamePath: '', labels: {}, annotations: {}, ...over,
  };
}

let seq = 0;
function ctr(p: KubeObject, name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  const spec = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((c: any) => c.name === name);
  seq++;
  return {
    id: `c${seq}`, sandboxId: 'sb1', podUid: 'u1', name, attempt: 0, imageId: 'sha256:i', state: 'running',
    createdAt: NOW - 50_000 + seq, startedAt: NOW - 50_000 + seq, logPath: '', labels: spec ? { [LABEL_CONTAINER_HASH]: containerHash(spec) } : {}, annotations: {}, ...over,
  };
}

function exited(p: KubeObject, name: string, exitCode: number, over: Partial<ContainerInfo> = {}): ContainerInfo {
  return ctr(p, name, { state: 'exited', exitCode, finishedAt: NOW - 40_000, ...over });
}

function ctx(over: Partial<PlanContext> & { entries?: Record<string, BackoffEntry> } = {}): PlanContext {
  return {
    now: NOW,
    backoff: (k) => over.entries?.[k],
    livenessFailed: () => false,
    startupFailed: () => false,
    ...over,
  };
}

function summary(a: PodActions) {
  return {
    killPod: a.killPod,
    createSandbox: a.createSandbox,
    init: a.initContainersToStart.map((c) => c.name).join(',') || undefined,
    initReasons: a.initContainersToStart.map((c) => `${c.name}:${c.reason}`),
    start: a.containersToStart.map((c) => `${c.name}:${c.reason}`),
    kill: a.containersToKill.map((c) => `${c.name}:${c.reason}`),
    backoff: a.containersInBackOff.map((c) => c.name),
  };
}

const twoInit = pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] });
const never = pod({ restartPolicy: 'Never' });
const onFailure = pod({ restartPolicy: 'OnFailure' });
const twoInitNever = pod({ restartPolicy: 'Never', initContainers: [{ name: 'i1', image: 'b' }, { name: 'i2', image: 'b' }] });
const changed = pod();
const twoMain = pod({ containers: [{ name: 'a', image: 'b' }, { name: 'b', image: 'b' }] });

interface Case {
  name: string;
  pod: KubeObject;
  observed: () => ObservedPod;
  ctx?: PlanContext;
  want: Partial<ReturnType<typeof summary>>;
}

const cases: Case[] = [
  { name: 'new pod: create sandbox, start all', pod: pod(), observed: () => ({ sandboxes: [], containers: [] }), want: { killPod: true, createSandbox: true, start: ['app:NotStarted'] } },
  { name: 'new pod with init containers: first init only', pod: twoInit, observed: () => ({ sandboxes: [], containers: [] }), want: { createSandbox: true, init: 'i1', start: [] } },
  { name: 'steady running pod: nothing', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [ctr(pod(), 'app')] }), want: { killPod: false, createSandbox: false, start: [], kill: [] } },
  { name: 'sandbox ready, container not started', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [] }), want: { killPod: false, createSandbox: false, start: ['app:NotStarted'] } },
  { name: 'sandbox died: recreate with next attempt', pod: pod(), observed: () => ({ sandboxes: [sandbox({ state: 'notready' })], containers: [exited(pod(), 'app', 137)] }), want: { killPod: true, createSandbox: true, start: ['app:Restart'] } },
  { name: 'two ready sandboxes: recreate', pod: pod(), observed: () => ({ sandboxes: [sandbox(), sandbox({ id: 'sb2', createdAt: NOW - 10 })], containers: [] }), want: { killPod: true, createSandbox: true } },
  { name: 'sandbox without IP: recreate', pod: pod(), observed: () => ({ sandboxes: [sandbox({ ip: undefined })], containers: [] }), want: { createSandbox: true } },
  { name: 'hostNetwork sandbox without netns is fine', pod: pod({ hostNetwork: true }), observed: () => ({ sandboxes: [sandbox({ ip: undefined, netnsPath: undefined })], containers: [] }), want: { createSandbox: false, start: ['app:NotStarted'] } },
  { name: 'Never: dead sandbox after containers ran is not recreated', pod: never, observed: () => ({ sandboxes: [sandbox({ state: 'notready' })], containers: [exited(never, 'app', 0)] }), want: { killPod: true, createSandbox: false, start: [] } },
  { name: 'OnFailure: dead sandbox, all succeeded: no sandbox', pod: onFailure, observed: () => ({ sandboxes: [sandbox({ state: 'notready' })], containers: [exited(onFailure, 'app', 0)] }), want: { killPod: true, createSandbox: false } },
  { name: 'Always: exited 0 is restarted', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [exited(pod(), 'app', 0)] }), want: { killPod: false, start: ['app:Restart'] } },
  { name: 'OnFailure: exit 0 not restarted, pod done', pod: onFailure, observed: () => ({ sandboxes: [sandbox()], containers: [exited(onFailure, 'app', 0)] }), want: { killPod: true, start: [] } },
  { name: 'OnFailure: exit 1 restarted', pod: onFailure, observed: () => ({ sandboxes: [sandbox()], containers: [exited(onFailure, 'app', 1)] }), want: { killPod: false, start: ['app:Restart'] } },
  { name: 'Never: exit 1 not restarted, pod done', pod: never, observed: () => ({ sandboxes: [sandbox()], containers: [exited(never, 'app', 1)] }), want: { killPod: true, start: [] } },
  { name: 'Never: one exited, one running keeps the pod', pod: pod({ restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }, { name: 'b', image: 'b' }] }), observed: () => { const p = pod({ restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }, { name: 'b', image: 'b' }] }); return { sandboxes: [sandbox()], containers: [exited(p, 'a', 1), ctr(p, 'b')] }; }, want: { killPod: false, start: [] } },
  { name: 'created container is started again', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [ctr(pod(), 'app', { state: 'created' })] }), want: { start: ['app:Restart'] } },
  { name: 'unknown container is killed then restarted', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [ctr(pod(), 'app', { state: 'unknown' })] }), want: { start: ['app:UnknownState'], kill: ['app:UnknownState'] } },
  { name: 'spec hash changed: kill and restart', pod: changed, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(changed, 'app', { labels: { [LABEL_CONTAINER_HASH]: 'old' } })] }), want: { killPod: false, start: ['app:DefinitionChanged'], kill: ['app:DefinitionChanged'] } },
  { name: 'spec hash changed under Never still restarts', pod: never, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(never, 'app', { labels: { [LABEL_CONTAINER_HASH]: 'old' } })] }), want: { start: ['app:DefinitionChanged'], kill: ['app:DefinitionChanged'] } },
  { name: 'liveness failure: kill and restart', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [ctr(pod(), 'app', { id: 'live' })] }), ctx: ctx({ livenessFailed: (id) => id === 'live' }), want: { start: ['app:LivenessProbe'], kill: ['app:LivenessProbe'] } },
  { name: 'startup failure: kill and restart', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [ctr(pod(), 'app', { id: 'st' })] }), ctx: ctx({ startupFailed: (id) => id === 'st' }), want: { start: ['app:StartupProbe'], kill: ['app:StartupProbe'] } },
  { name: 'liveness failure under Never: kill only, pod ends', pod: never, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(never, 'app', { id: 'live' })] }), ctx: ctx({ livenessFailed: () => true }), want: { killPod: true, start: [], kill: ['app:LivenessProbe'] } },
  { name: 'init: first running → wait', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(twoInit, 'i1')] }), want: { init: undefined, start: [], killPod: false } },
  { name: 'init: first done → second', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [exited(twoInit, 'i1', 0)] }), want: { init: 'i2', start: [] } },
  { name: 'init: all done → main containers', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [exited(twoInit, 'i1', 0), exited(twoInit, 'i2', 0)] }), want: { init: undefined, start: ['app:NotStarted'] } },
  { name: 'init: failed → retried', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [exited(twoInit, 'i1', 0), exited(twoInit, 'i2', 3)] }), want: { init: 'i2', killPod: false } },
  { name: 'init: failed under Never → pod killed', pod: twoInitNever, observed: () => ({ sandboxes: [sandbox()], containers: [exited(twoInitNever, 'i1', 2)] }), want: { init: undefined, killPod: true, start: [] } },
  { name: 'init: main container running → init done even if init gone', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(twoInit, 'app')] }), want: { init: undefined, start: [], killPod: false } },
  { name: 'init: unknown init container killed and retried', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(twoInit, 'i1', { state: 'unknown' })] }), want: { init: 'i1', kill: ['i1:UnknownState'] } },
  { name: 'deleting pod: kill, start nothing', pod: pod({}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), observed: () => ({ sandboxes: [sandbox()], containers: [exited(pod(), 'app', 1)] }), want: { killPod: true, createSandbox: false, start: [] } },
  {
    name: 'crash loop: in back-off → not started, reported', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [exited(pod(), 'app', 1, { finishedAt: NOW - 5_000 })] }),
    ctx: ctx({ entries: { [containerBackoffKey(pod(), pod().spec.containers[0])]: { durationMs: 10_000, lastUpdate: NOW - 5_000 } } }),
    want: { killPod: false, start: [], backoff: ['app'] },
  },
  {
    name: 'crash loop: back-off elapsed → restart', pod: pod(), observed: () => ({ sandboxes: [sandbox()], containers: [exited(pod(), 'app', 1, { finishedAt: NOW - 11_000 })] }),
    ctx: ctx({ entries: { [containerBackoffKey(pod(), pod().spec.containers[0])]: { durationMs: 10_000, lastUpdate: NOW - 11_000 } } }),
    want: { start: ['app:Restart'], backoff: [] },
  },
  {
    name: 'init container in back-off', pod: twoInit, observed: () => ({ sandboxes: [sandbox()], containers: [exited(twoInit, 'i1', 1, { finishedAt: NOW - 1_000 })] }),
    ctx: ctx({ entries: { [containerBackoffKey(twoInit, twoInit.spec.initContainers[0])]: { durationMs: 20_000, lastUpdate: NOW - 1_000 } } }),
    want: { init: undefined, backoff: ['i1'] },
  },
  { name: 'two containers, one running one to start', pod: twoMain, observed: () => ({ sandboxes: [sandbox()], containers: [ctr(twoMain, 'a')] }), want: { start: ['b:NotStarted'], killPod: false } },
];

for (const c of cases) {
  test(`computePodActions: ${c.name}`, () => {
    const got = summary(computePodActions(c.pod, c.observed(), c.ctx ?? ctx()));
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual((got as any)[k], v, `${k} in ${JSON.stringify(got)}`);
  });
}

test('computePodActions: sandbox attempt increments and current sandbox id is reported', () => {
  const a = computePodActions(pod(), { sandboxes: [sandbox({ attempt: 2, state: 'notready' })], containers: [] }, ctx());
  assert.equal(a.sandboxAttempt, 3);
  const b = computePodActions(pod(), { sandboxes: [sandbox({ id: 'cur' })], containers: [] }, ctx());
  assert.equal(b.sandboxId, 'cur');
  assert.equal(b.createSandbox, false);
});

test('computePodActions: kill messages are the kubelet ones', () => {
  const a = computePodActions(pod(), { sandboxes: [sandbox()], containers: [ctr(pod(), 'app')] }, ctx({ livenessFailed: () => true }));
  assert.equal(a.containersToKill[0]!.message, 'Container app failed liveness probe, will be restarted');
  const b = computePodActions(never, { sandboxes: [sandbox()], containers: [ctr(never, 'app')] }, ctx({ livenessFailed: () => true }));
  assert.equal(b.containersToKill[0]!.message, 'Container app failed liveness probe');
});

test('computePodActions: back-off message and retry time', () => {
  const p = pod();
  const a = computePodActions(p, { sandboxes: [sandbox()], containers: [exited(p, 'app', 1, { finishedAt: NOW - 5_000 })] }, ctx({ entries: { [containerBackoffKey(p, p.spec.containers[0])]: { durationMs: 40_000, lastUpdate: NOW - 5_000 } } }));
  assert.deepEqual(a.containersInBackOff, [{ name: 'app', message: 'back-off 40s restarting failed container=app pod=web_default(u1)', retryAt: NOW + 35_000 }]);
});

test('computePodActions: old exited instances are garbage-collected, newest two kept', () => {
  const p = pod();
  const old = [0, 1, 2, 3].map((i) => exited(p, 'app', 1, { attempt: i, createdAt: NOW - 10_000 + i }));
  const gone = exited(p, 'removed-from-spec', 0);
  const a = computePodActions(p, { sandboxes: [sandbox(), sandbox({ id: 'old', state: 'notready', createdAt: 0 })], containers: [...old, gone] }, ctx({ entries: {} }));
  assert.deepEqual(a.containersToRemove.map((c) => c.id).sort(), [old[0]!.id, old[1]!.id, gone.id].sort());
  assert.deepEqual(a.sandboxesToRemove, ['old']);
});

test('back-off: 10s doubling to 5m, reset after 10 minutes', () => {
  let e: BackoffEntry | undefined;
  const seen: string[] = [];
  let t = 0;
  for (let i = 0; i < 7; i++) {
    e = nextBackoff(e, t);
    seen.push(formatDuration(e.durationMs));
    t += 1000;
  }
  assert.deepEqual(seen, ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s']);
  assert.equal(inBackOff(e, t, t + 299_000), true);
  assert.equal(inBackOff(e, t, t + 300_000), false);
  e = nextBackoff(e, t + 600_001 + 6000);
  assert.equal(e.durationMs, 10_000);
});

// ---- sidecars (init containers with restartPolicy Always) ----

function withSidecar(spec: Record<string, unknown> = {}, sidecar: Record<string, unknown> = {}): KubeObject {
  return pod({ initContainers: [{ name: 'sc', image: 'b', restartPolicy: 'Always', ...sidecar }, { name: 'i2', image: 'b' }], ...spec });
}
const sc = withSidecar();
const scNever = withSidecar({ restartPolicy: 'Never' });
const scOnFailure = withSidecar({ restartPolicy: 'OnFailure' });
const scStartup = withSidecar({}, { startupProbe: { exec: { command: ['true'] } } });
const scLast = pod({ initContainers: [{ name: 'i1', image: 'b' }, { name: 'sc', image: 'b', restartPolicy: 'Always' }] });
const twoSc = pod({ restartPolicy: 'Never', initContainers: [{ name: 'sa', image: 'b', restartPolicy: 'Always' }, { name: 'sb', image: 'b', restartPolicy: 'Always' }] });
const scBackoff = (p: KubeObject) => ctx({ entries: { [containerBackoffKey(p, p.spec.initContainers[0])]: { durationMs: 20_000, lastUpdate: NOW - 1_000 } } });
const ready = () => [sandbox()];

const sidecarCases: Case[] = [
  { name: 'new pod: the sidecar is the first init container', pod: sc, observed: () => ({ sandboxes: [], containers: [] }), want: { createSandbox: true, init: 'sc', start: [] } },
  { name: 'sandbox ready: start the sidecar', pod: sc, observed: () => ({ sandboxes: ready(), containers: [] }), want: { init: 'sc', initReasons: ['sc:NotStarted'], start: [] } },
  { name: 'sidecar running (no startup probe): next init container starts', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc')] }), want: { init: 'i2', start: [], killPod: false } },
  { name: 'sidecar running, startup probe not yet succeeded: wait', pod: scStartup, observed: () => ({ sandboxes: ready(), containers: [ctr(scStartup, 'sc', { id: 'x' })] }), want: { init: undefined, start: [], kill: [] } },
  { name: 'sidecar started (startup probe succeeded): next init container', pod: scStartup, observed: () => ({ sandboxes: ready(), containers: [ctr(scStartup, 'sc', { id: 'x' })] }), ctx: ctx({ startupSucceeded: (id) => id === 'x' }), want: { init: 'i2', start: [] } },
  { name: 'sidecar failed its startup probe: killed and restarted', pod: scStartup, observed: () => ({ sandboxes: ready(), containers: [ctr(scStartup, 'sc', { id: 'x' })] }), ctx: ctx({ startupFailed: (id) => id === 'x' }), want: { init: 'sc', initReasons: ['sc:StartupProbe'], kill: ['sc:StartupProbe'] } },
  { name: 'sidecar running, regular init running: wait', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc'), ctr(sc, 'i2')] }), want: { init: undefined, start: [], killPod: false } },
  { name: 'sidecar running, regular init done: main containers start', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc'), exited(sc, 'i2', 0)] }), want: { init: undefined, start: ['app:NotStarted'], killPod: false } },
  { name: 'sidecar as the last init container: main containers start once it runs', pod: scLast, observed: () => ({ sandboxes: ready(), containers: [exited(scLast, 'i1', 0), ctr(scLast, 'sc')] }), want: { init: undefined, start: ['app:NotStarted'] } },
  { name: 'sidecar exited 0 while the pod runs: restarted (Always)', pod: sc, observed: () => ({ sandboxes: ready(), containers: [exited(sc, 'sc', 0), exited(sc, 'i2', 0), ctr(sc, 'app')] }), want: { init: 'sc', initReasons: ['sc:Restart'], start: [], killPod: false } },
  { name: 'sidecar exited 0 under restartPolicy Never: restarted all the same', pod: scNever, observed: () => ({ sandboxes: ready(), containers: [exited(scNever, 'sc', 0), exited(scNever, 'i2', 0), ctr(scNever, 'app')] }), want: { init: 'sc', start: [], killPod: false } },
  { name: 'sidecar exited 1 under OnFailure: restarted', pod: scOnFailure, observed: () => ({ sandboxes: ready(), containers: [exited(scOnFailure, 'sc', 1), exited(scOnFailure, 'i2', 0), ctr(scOnFailure, 'app')] }), want: { init: 'sc', killPod: false } },
  { name: 'sidecar exited during initialisation: restarted, regular init keeps running', pod: sc, observed: () => ({ sandboxes: ready(), containers: [exited(sc, 'sc', 2), ctr(sc, 'i2')] }), want: { init: 'sc', start: [] } },
  { name: 'sidecar crash-looping: back-off, main container untouched', pod: sc, observed: () => ({ sandboxes: ready(), containers: [exited(sc, 'sc', 1, { finishedAt: NOW - 1_000 }), exited(sc, 'i2', 0), ctr(sc, 'app')] }), ctx: scBackoff(sc), want: { init: undefined, backoff: ['sc'], start: [], killPod: false } },
  { name: 'sidecar failed liveness: killed and restarted, pod keeps running', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc', { id: 'live' }), exited(sc, 'i2', 0), ctr(sc, 'app')] }), ctx: ctx({ livenessFailed: (id) => id === 'live' }), want: { init: 'sc', initReasons: ['sc:LivenessProbe'], kill: ['sc:LivenessProbe'], killPod: false, start: [] } },
  { name: 'sidecar liveness failure under Never: still restarted', pod: scNever, observed: () => ({ sandboxes: ready(), containers: [ctr(scNever, 'sc', { id: 'live' }), exited(scNever, 'i2', 0), ctr(scNever, 'app')] }), ctx: ctx({ livenessFailed: (id) => id === 'live' }), want: { init: 'sc', kill: ['sc:LivenessProbe'], killPod: false } },
  { name: 'sidecar definition changed: killed and restarted', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc', { labels: { [LABEL_CONTAINER_HASH]: 'old' } }), exited(sc, 'i2', 0), ctr(sc, 'app')] }), want: { init: 'sc', initReasons: ['sc:DefinitionChanged'], kill: ['sc:DefinitionChanged'] } },
  { name: 'sidecar instance gone after initialisation: started again', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'app')] }), want: { init: 'sc', initReasons: ['sc:NotStarted'], start: [] } },
  { name: 'agent restart: running sidecar and app are adopted as they are', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc'), exited(sc, 'i2', 0), ctr(sc, 'app')] }), want: { init: undefined, start: [], kill: [], killPod: false, backoff: [] } },
  { name: 'Never: main exited 0, sidecar running → pod killed, sidecar not restarted', pod: scNever, observed: () => ({ sandboxes: ready(), containers: [ctr(scNever, 'sc'), exited(scNever, 'i2', 0), exited(scNever, 'app', 0)] }), want: { killPod: true, init: undefined, start: [] } },
  { name: 'Never: main exited 1, sidecar crashed too → pod killed, no sidecar restart', pod: scNever, observed: () => ({ sandboxes: ready(), containers: [exited(scNever, 'sc', 1), exited(scNever, 'i2', 0), exited(scNever, 'app', 1)] }), want: { killPod: true, init: undefined, backoff: [] } },
  { name: 'OnFailure: main exited 0 → pod killed', pod: scOnFailure, observed: () => ({ sandboxes: ready(), containers: [ctr(scOnFailure, 'sc'), exited(scOnFailure, 'i2', 0), exited(scOnFailure, 'app', 0)] }), want: { killPod: true, init: undefined } },
  { name: 'OnFailure: main exited 1 → main restarted, sidecar kept', pod: scOnFailure, observed: () => ({ sandboxes: ready(), containers: [ctr(scOnFailure, 'sc'), exited(scOnFailure, 'i2', 0), exited(scOnFailure, 'app', 1)] }), want: { killPod: false, start: ['app:Restart'], init: undefined } },
  { name: 'Always: main exited 0 → main restarted, sidecar kept', pod: sc, observed: () => ({ sandboxes: ready(), containers: [ctr(sc, 'sc'), exited(sc, 'i2', 0), exited(sc, 'app', 0)] }), want: { killPod: false, start: ['app:Restart'], init: undefined } },
  { name: 'regular init after a sidecar fails under Never → pod killed', pod: scNever, observed: () => ({ sandboxes: ready(), containers: [ctr(scNever, 'sc'), exited(scNever, 'i2', 1)] }), want: { killPod: true, init: undefined, start: [] } },
  { name: 'regular init after a sidecar fails under OnFailure → retried, sidecar kept', pod: scOnFailure, observed: () => ({ sandboxes: ready(), containers: [ctr(scOnFailure, 'sc'), exited(scOnFailure, 'i2', 1)] }), want: { killPod: false, init: 'i2' } },
  { name: 'two sidecars: the second starts once the first runs', pod: twoSc, observed: () => ({ sandboxes: ready(), containers: [ctr(twoSc, 'sa')] }), want: { init: 'sb', start: [] } },
  { name: 'two sidecars both running: main starts', pod: twoSc, observed: () => ({ sandboxes: ready(), containers: [ctr(twoSc, 'sa'), ctr(twoSc, 'sb')] }), want: { init: undefined, start: ['app:NotStarted'] } },
  { name: 'two sidecars, both exited after init: both restarted in order', pod: twoSc, observed: () => ({ sandboxes: ready(), containers: [exited(twoSc, 'sa', 0), exited(twoSc, 'sb', 137), ctr(twoSc, 'app')] }), want: { init: 'sa,sb', start: [] } },
];

for (const c of sidecarCases) {
  test(`computePodActions (sidecars): ${c.name}`, () => {
    const got = summary(computePodActions(c.pod, c.observed(), c.ctx ?? ctx()));
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual((got as any)[k], v, `${k} in ${JSON.stringify(got)}`);
  });
}

test('computePodActions (sidecars): kill messages name the init container', () => {
  const a = computePodActions(sc, { sandboxes: ready(), containers: [ctr(sc, 'sc', { id: 'live' }), exited(sc, 'i2', 0), ctr(sc, 'app')] }, ctx({ livenessFailed: (id) => id === 'live' }));
  assert.equal(a.containersToKill[0]!.message, 'Init container sc failed liveness probe');
});
