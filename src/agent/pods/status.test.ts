import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { rfc3339 } from '../../client/clock.ts';
import type { ContainerInfo, SandboxInfo } from '../runtime/types.ts';
import { podCgroupParent, podQosClass } from './qos.ts';
import { type StatusContext, type WaitingReason, generatePodStatus } from './status.ts';

const NOW = Date.UTC(2026, 0, 1, 12);

function pod(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec }, status };
}

const sb: SandboxInfo = { id: 'sb1', podUid: 'u1', name: 'web', namespace: 'default', attempt: 0, state: 'ready', createdAt: NOW - 60_000, ip: '10.1.0.5', netnsPath: '/run/netns/x', hostsPath: '', resolvConfPath: '', hostnamePath: '', labels: {}, annotations: {} };

let seq = 0;
function c(name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  seq++;
  return { id: `id${seq}`, sandboxId: 'sb1', podUid: 'u1', name, attempt: 0, imageId: 'sha256:abc', state: 'running', createdAt: NOW - 30_000 + seq, startedAt: NOW - 30_000, logPath: '', labels: {}, annotations: {}, ...over };
}

function ctx(over: Partial<StatusContext> & { reasons?: Record<string, WaitingReason> } = {}): StatusContext {
  return {
    now: NOW,
    runtimeName: 'crun',
    hostIP: '192.168.1.10',
    waitingReason: (n) => over.reasons?.[n],
    ready: () => false,
    started: () => false,
    imageRef: (id) => (id === 'sha256:abc' ? 'docker.io/library/busybox@sha256:feed' : undefined),
    terminationMessage: () => undefined,
    ...over,
  };
}

function cond(s: { conditions: any[] }, type: string) {
  return s.conditions.find((x) => x.type === type);
}

test('status: running pod without probes is Running and Ready, with IPs, ids and QoS', () => {
  const s = generatePodStatus(pod(), { sandboxes: [sb], containers: [c('app', { id: 'x1' })] }, ctx());
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.1.0.5');
  assert.deepEqual(s.podIPs, [{ ip: '10.1.0.5' }]);
  assert.equal(s.hostIP, '192.168.1.10');
  assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
  assert.equal(s.qosClass, 'BestEffort');
  assert.equal(s.startTime, rfc3339(NOW));
  const cs = s.containerStatuses[0]!;
  assert.deepEqual(cs.state, { running: { startedAt: rfc3339(NOW - 30_000) } });
  assert.equal(cs.containerID, 'crun://x1');
  assert.equal(cs.imageID, 'docker.io/library/busybox@sha256:feed');
  assert.equal(cs.image, 'busybox');
  assert.equal(cs.ready, true);
  assert.equal(cs.started, true);
  for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']) assert.equal(cond(s, t).status, 'True', t);
});

test('status: new pod is Pending with ContainerCreating, PodInitializing with init containers', () => {
  const s = generatePodStatus(pod(), { sandboxes: [], containers: [] }, ctx());
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses[0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
  assert.deepEqual(cond(s, 'Ready'), { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]', lastProbeTime: null, lastTransitionTime: rfc3339(NOW) });
  const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
  const s2 = generatePodStatus(p, { sandboxes: [sb], containers: [c('init')] }, ctx());
  assert.equal(s2.phase, 'Pending');
  assert.deepEqual(s2.containerStatuses[0]!.state, { waiting: { reason: 'PodInitializing' } });
  assert.equal(s2.initContainerStatuses![0]!.started, true);
  assert.deepEqual(cond(s2, 'Initialized'), { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init]', lastProbeTime: null, lastTransitionTime: rfc3339(NOW) });
});

test('status: init done → Initialized, init ready', () => {
  const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
  const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('init', { state: 'exited', exitCode: 0, finishedAt: NOW - 1000 }), c('app')] }, ctx());
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Initialized').status, 'True');
  assert.equal(s.initContainerStatuses![0]!.ready, true);
  assert.equal(s.initContainerStatuses![0]!.state.terminated!.reason, 'Completed');
});

test('status: init failed under Never → Failed', () => {
  const p = pod({ restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox' }] });
  const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('init', { state: 'exited', exitCode: 1 })] }, ctx());
  assert.equal(s.phase, 'Failed');
});

test('status: init failing with restart → Pending, CrashLoopBackOff', () => {
  const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
  const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('init', { state: 'exited', exitCode: 1 })] }, ctx({ reasons: { init: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=init pod=web_default(u1)' } } }));
  assert.equal(s.phase, 'Pending');
  assert.equal(s.initContainerStatuses![0]!.state.waiting!.reason, 'CrashLoopBackOff');
  assert.equal(s.initContainerStatuses![0]!.lastState.terminated!.exitCode, 1);
});

test('status: phases by restart policy', () => {
  const table: [string, number, string][] = [
    ['Never', 0, 'Succeeded'],
    ['Never', 2, 'Failed'],
    ['OnFailure', 0, 'Succeeded'],
    ['OnFailure', 2, 'Running'],
    ['Always', 0, 'Running'],
    ['Always', 2, 'Running'],
  ];
  for (const [policy, code, phase] of table) {
    const s = generatePodStatus(pod({ restartPolicy: policy }), { sandboxes: [sb], containers: [c('app', { state: 'exited', exitCode: code })] }, ctx());
    assert.equal(s.phase, phase, `${policy} exit ${code}`);
  }
  const t = generatePodStatus(pod(), { sandboxes: [sb], containers: [c('app', { state: 'exited', exitCode: 137 })] }, ctx({ podIsTerminal: true }));
  assert.equal(t.phase, 'Failed');
});

test('status: Succeeded pod: conditions PodCompleted', () => {
  const s = generatePodStatus(pod({ restartPolicy: 'Never' }), { sandboxes: [{ ...sb, state: 'notready' }], containers: [c('app', { state: 'exited', exitCode: 0 })] }, ctx());
  assert.equal(s.phase, 'Succeeded');
  assert.equal(cond(s, 'Ready').reason, 'PodCompleted');
  assert.equal(cond(s, 'ContainersReady').reason, 'PodCompleted');
  assert.equal(cond(s, 'PodReadyToStartContainers').status, 'False');
  assert.equal(s.podIP, '10.1.0.5'); // a finished pod keeps its IP in status, as upstream
});

test('status: terminated state carries exit code, reason, times, id and termination message', () => {
  const x = c('app', { id: 'dead', state: 'exited', exitCode: 3, startedAt: NOW - 5000, finishedAt: NOW - 1000 });
  const s = generatePodStatus(pod({ restartPolicy: 'Never' }), { sandboxes: [sb], containers: [x] }, ctx({ terminationMessage: (i) => (i.id === 'dead' ? 'bye' : undefined) }));
  assert.deepEqual(s.containerStatuses[0]!.state, { terminated: { exitCode: 3, reason: 'Error', message: 'bye', startedAt: rfc3339(NOW - 5000), finishedAt: rfc3339(NOW - 1000), containerID: 'crun://dead' } });
  const oom = generatePodStatus(pod({ restartPolicy: 'Never' }), { sandboxes: [sb], containers: [c('app', { state: 'exited', exitCode: 137, reason: 'OOMKilled' })] }, ctx());
  assert.equal(oom.containerStatuses[0]!.state.terminated!.reason, 'OOMKilled');
});

test('status: restarted container has lastState and restartCount', () => {
  const prev = c('app', { state: 'exited', exitCode: 1, attempt: 1, createdAt: NOW - 20_000 });
  const cur = c('app', { attempt: 2, createdAt: NOW - 10_000 });
  const s = generatePodStatus(pod(), { sandboxes: [sb], containers: [prev, cur] }, ctx());
  const cs = s.containerStatuses[0]!;
  assert.equal(cs.restartCount, 2);
  assert.ok(cs.state.running);
  assert.equal(cs.lastState.terminated!.exitCode, 1);
});

test('status: waiting reasons override a non-running state', () => {
  for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'CreateContainerConfigError', 'CreateContainerError']) {
    const s = generatePodStatus(pod(), { sandboxes: [sb], containers: [] }, ctx({ reasons: { app: { reason, message: 'm' } } }));
    assert.deepEqual(s.containerStatuses[0]!.state, { waiting: { reason, message: 'm' } });
    assert.equal(s.phase, 'Pending');
  }
  const s = generatePodStatus(pod(), { sandboxes: [sb], containers: [c('app', { state: 'exited', exitCode: 1, attempt: 3 })] }, ctx({ reasons: { app: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(u1)' } } }));
  const cs = s.containerStatuses[0]!;
  assert.deepEqual(cs.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web_default(u1)' } });
  assert.equal(cs.lastState.terminated!.exitCode, 1);
  assert.equal(cs.restartCount, 3);
  assert.equal(s.phase, 'Running');
});

test('status: probes drive started and ready', () => {
  const p = pod({ containers: [{ name: 'app', image: 'busybox', readinessProbe: { exec: { command: ['true'] } }, startupProbe: { exec: { command: ['true'] } } }] });
  const obs = { sandboxes: [sb], containers: [c('app', { id: 'p1' })] };
  let s = generatePodStatus(p, obs, ctx());
  assert.equal(s.containerStatuses[0]!.started, false);
  assert.equal(s.containerStatuses[0]!.ready, false);
  s = generatePodStatus(p, obs, ctx({ started: () => true }));
  assert.equal(s.containerStatuses[0]!.started, true);
  assert.equal(s.containerStatuses[0]!.ready, false);
  s = generatePodStatus(p, obs, ctx({ started: () => true, ready: () => true }));
  assert.equal(s.containerStatuses[0]!.ready, true);
  assert.equal(cond(s, 'Ready').status, 'True');
});

test('status: lastTransitionTime kept while unchanged; PodScheduled kept; startTime kept; terminal phase kept', () => {
  const earlier = rfc3339(NOW - 100_000);
  const old = {
    phase: 'Running',
    startTime: earlier,
    conditions: [
      { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: earlier },
      { type: 'ContainersReady', status: 'False', lastProbeTime: null, lastTransitionTime: earlier },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: earlier },
    ],
  };
  const s = generatePodStatus(pod({}, old), { sandboxes: [sb], containers: [c('app')] }, ctx());
  assert.equal(cond(s, 'Ready').lastTransitionTime, earlier);
  assert.equal(cond(s, 'ContainersReady').lastTransitionTime, rfc3339(NOW));
  assert.deepEqual(cond(s, 'PodScheduled'), old.conditions[2]);
  assert.equal(s.startTime, earlier);
  const done = generatePodStatus(pod({}, { ...old, phase: 'Failed' }), { sandboxes: [sb], containers: [c('app')] }, ctx());
  assert.equal(done.phase, 'Failed');
});

test('status: readiness gates', () => {
  const p = pod({ readinessGates: [{ conditionType: 'example.com/gate' }] });
  const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('app')] }, ctx());
  assert.deepEqual([cond(s, 'Ready').status, cond(s, 'Ready').reason], ['False', 'ReadinessGatesNotReady']);
  const p2 = pod({ readinessGates: [{ conditionType: 'example.com/gate' }] }, { conditions: [{ type: 'example.com/gate', status: 'True', lastProbeTime: null, lastTransitionTime: 'x' }] });
  assert.equal(cond(generatePodStatus(p2, { sandboxes: [sb], containers: [c('app')] }, ctx()), 'Ready').status, 'True');
});

test('status: hostNetwork pod uses the host IP', () => {
  const s = generatePodStatus(pod({ hostNetwork: true }), { sandboxes: [{ ...sb, ip: undefined, netnsPath: undefined }], containers: [c('app')] }, ctx());
  assert.equal(s.podIP, '192.168.1.10');
});

test('qos: classes and cgroup parents', () => {
  const withRes = (res: any[]) => pod({ containers: res.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) });
  assert.equal(podQosClass(withRes([{}])), 'BestEffort');
  assert.equal(podQosClass(withRes([{ requests: { cpu: '100m' } }])), 'Burstable');
  assert.equal(podQosClass(withRes([{ limits: { cpu: '1', memory: '1Gi' } }])), 'Guaranteed');
  assert.equal(podQosClass(withRes([{ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } }])), 'Guaranteed');
  assert.equal(podQosClass(withRes([{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }])), 'Burstable');
  assert.equal(podQosClass(withRes([{ limits: { cpu: '1', memory: '1Gi' } }, {}])), 'Burstable');
  assert.equal(podQosClass(withRes([{ limits: { cpu: '1' } }])), 'Burstable');
  assert.equal(podCgroupParent('/skiff', 'Guaranteed', 'u1'), '/skiff/pods/podu1');
  assert.equal(podCgroupParent('/skiff/', 'Burstable', 'u1'), '/skiff/pods/burstable/podu1');
  assert.equal(podCgroupParent('/skiff', 'BestEffort', 'u1'), '/skiff/pods/besteffort/podu1');
});

// ---- sidecars (init containers with restartPolicy Always) ----

function withSidecar(spec: Record<string, unknown> = {}, sidecar: Record<string, unknown> = {}): KubeObject {
  return pod({ initContainers: [{ name: 'sc', image: 'busybox', restartPolicy: 'Always', ...sidecar }, { name: 'i2', image: 'busybox' }], ...spec });
}
const done = (name: string, exitCode = 0) => c(name, { state: 'exited', exitCode, finishedAt: NOW - 1000 });

test('status (sidecars): a running sidecar is started and ready in initContainerStatuses; Initialized waits for the regular init container', () => {
  const s = generatePodStatus(withSidecar(), { sandboxes: [sb], containers: [c('sc', { id: 'side' }), c('i2')] }, ctx());
  const sc = s.initContainerStatuses![0]!;
  assert.deepEqual(sc.state, { running: { startedAt: rfc3339(NOW - 30_000) } });
  assert.equal(sc.started, true);
  assert.equal(sc.ready, true);
  assert.equal(sc.containerID, 'crun://side');
  assert.equal(s.phase, 'Pending');
  assert.equal(cond(s, 'Initialized').message, 'containers with incomplete status: [i2]');
});

test('status (sidecars): Initialized, ContainersReady and Ready need the sidecar started and ready', () => {
  const cases: { name: string; sidecar: Record<string, unknown>; started: boolean; ready: boolean; want: { phase: string; scStarted: boolean; scReady: boolean; initialized: string; containersReady: string; readyMsg?: string } }[] = [
    { name: 'no probes', sidecar: {}, started: false, ready: false, want: { phase: 'Running', scStarted: true, scReady: true, initialized: 'True', containersReady: 'True' } },
    { name: 'readiness probe failing', sidecar: { readinessProbe: { exec: { command: ['x'] } } }, started: false, ready: false, want: { phase: 'Running', scStarted: true, scReady: false, initialized: 'True', containersReady: 'False', readyMsg: 'containers with unready status: [sc]' } },
    { name: 'readiness probe passing', sidecar: { readinessProbe: { exec: { command: ['x'] } } }, started: false, ready: true, want: { phase: 'Running', scStarted: true, scReady: true, initialized: 'True', containersReady: 'True' } },
    { name: 'startup probe not yet passed (restarted after init)', sidecar: { startupProbe: { exec: { command: ['x'] } } }, started: false, ready: true, want: { phase: 'Running', scStarted: false, scReady: false, initialized: 'True', containersReady: 'False', readyMsg: 'containers with unready status: [sc]' } },
  ];
  for (const k of cases) {
    const p = withSidecar({}, k.sidecar);
    const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('sc', { id: 'side' }), done('i2'), c('app', { id: 'main' })] }, ctx({ started: () => k.started, ready: () => k.ready }));
    const sc = s.initContainerStatuses![0]!;
    assert.equal(s.phase, k.want.phase, k.name);
    assert.equal(sc.started, k.want.scStarted, k.name);
    assert.equal(sc.ready, k.want.scReady, k.name);
    assert.equal(cond(s, 'Initialized').status, k.want.initialized, k.name);
    assert.equal(cond(s, 'ContainersReady').status, k.want.containersReady, k.name);
    assert.equal(cond(s, 'Ready').status, k.want.containersReady, k.name);
    if (k.want.readyMsg) assert.equal(cond(s, 'Ready').message, k.want.readyMsg, k.name);
  }
});

test('status (sidecars): a sidecar not yet started keeps Initialized False and the pod Pending', () => {
  const p = withSidecar({}, { startupProbe: { exec: { command: ['x'] } } });
  const s = generatePodStatus(p, { sandboxes: [sb], containers: [c('sc')] }, ctx());
  assert.equal(s.phase, 'Pending');
  assert.equal(s.initContainerStatuses![0]!.started, false);
  assert.deepEqual(cond(s, 'Initialized'), { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [sc i2]', lastProbeTime: null, lastTransitionTime: rfc3339(NOW) });
  const started = generatePodStatus(p, { sandboxes: [sb], containers: [c('sc', { id: 'side' }), done('i2')] }, ctx({ started: (id) => id === 'side' }));
  assert.equal(cond(started, 'Initialized').status, 'True');
});

test('status (sidecars): phase comes from the regular containers (a sidecar stopped at the end is not a failure)', () => {
  const cases: { policy: string; app: ContainerInfo; sc: ContainerInfo; terminal?: boolean; want: string }[] = [
    { policy: 'Never', app: c('app'), sc: c('sc'), want: 'Running' },
    { policy: 'Never', app: done('app', 0), sc: c('sc'), want: 'Running' }, // before the agent stops the sidecar
    { policy: 'Never', app: done('app', 0), sc: done('sc', 143), want: 'Succeeded' },
    { policy: 'Never', app: done('app', 0), sc: done('sc', 137), terminal: true, want: 'Succeeded' },
    { policy: 'Never', app: done('app', 1), sc: done('sc', 143), want: 'Failed' },
    { policy: 'OnFailure', app: done('app', 0), sc: done('sc', 143), want: 'Succeeded' },
    { policy: 'OnFailure', app: done('app', 1), sc: c('sc'), want: 'Running' },
    { policy: 'Always', app: done('app', 0), sc: done('sc', 143), want: 'Running' },
    { policy: 'Always', app: c('app'), sc: done('sc', 1), want: 'Running' }, // sidecar restarting
  ];
  for (const k of cases) {
    const s = generatePodStatus(withSidecar({ restartPolicy: k.policy }), { sandboxes: [sb], containers: [k.sc, done('i2'), k.app] }, ctx({ podIsTerminal: k.terminal }));
    assert.equal(s.phase, k.want, `${k.policy} app=${k.app.state}/${k.app.exitCode} sc=${k.sc.state}/${k.sc.exitCode}`);
  }
});

test('status (sidecars): a crash-looping sidecar after initialisation keeps the pod Running, Initialized, not Ready', () => {
  const s = generatePodStatus(withSidecar(), { sandboxes: [sb], containers: [c('sc', { state: 'exited', exitCode: 1, attempt: 2, finishedAt: NOW - 1000 }), done('i2'), c('app')] }, ctx({ reasons: { sc: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=sc pod=web_default(u1)' } } }));
  const sc = s.initContainerStatuses![0]!;
  assert.equal(sc.state.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(sc.lastState.terminated?.exitCode, 1);
  assert.equal(sc.restartCount, 2);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Initialized').status, 'True');
  assert.equal(cond(s, 'Ready').message, 'containers with unready status: [sc]');
});
