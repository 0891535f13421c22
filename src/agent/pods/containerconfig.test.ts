import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { ImageInfo } from '../images/types.ts';
import { agentPaths } from '../paths.ts';
import { PodInputError } from '../volumes/types.ts';
import { buildContainerConfig, containerResources, expandVars, resolveArgv } from './containerconfig.ts';
import { LABEL_CONTAINER_HASH, LABEL_POD_UID, containerHash } from './labels.ts';

const paths = agentPaths('/data');
const image: ImageInfo = {
  id: 'sha256:img', repoTags: ['docker.io/library/busybox:latest'], repoDigests: [], size: 1, layers: ['/l1', '/l2'],
  config: { entrypoint: ['/bin/ep'], cmd: ['default'], env: ['PATH=/bin', 'A=image'], workingDir: '/img', user: '1000:2000', stopSignal: 'SIGQUIT' },
};

function pod(container: any, spec: any = {}): KubeObject {
  return { metadata: { name: 'web', namespace: 'ns1', uid: 'u1' }, spec: { containers: [container], ...spec } };
}

function build(container: any, spec: any = {}, extra: Partial<Parameters<typeof buildContainerConfig>[0]> = {}) {
  return buildContainerConfig({ pod: pod(container, spec), container, image, volumes: { paths: new Map([['data', '/vol/data'], ['cfg', '/vol/cfg']]) }, env: ['A=pod', 'B=2'], restartCount: 3, paths, ...extra });
}

test('argv: command/args vs ENTRYPOINT/CMD', () => {
  const table: [any, string[]][] = [
    [{}, ['/bin/ep', 'default']],
    [{ args: ['x'] }, ['/bin/ep', 'x']],
    [{ command: ['/bin/sh'] }, ['/bin/sh']],
    [{ command: ['/bin/sh'], args: ['-c', 'echo'] }, ['/bin/sh', '-c', 'echo']],
    [{ args: ['$(B)', '$$(B)', '$(NOPE)'] }, ['/bin/ep', '2', '$(B)', '$(NOPE)']],
  ];
  for (const [c, want] of table) assert.deepEqual(resolveArgv(c, image, ['B=2']), want, JSON.stringify(c));
  assert.equal(expandVars('a$(X)b$(', new Map([['X', '1']])), 'a1b$(');
});

test('config: env, workingDir, user, stop signal, log path, labels', () => {
  const c = { name: 'app', image: 'busybox' };
  const { config, terminationLogPath } = build(c);
  assert.deepEqual(config.env, ['PATH=/bin', 'A=pod', 'B=2']);
  assert.equal(config.workingDir, '/img');
  assert.equal(config.uid, 1000);
  assert.equal(config.gid, 2000);
  assert.equal(config.stopSignal, 'SIGQUIT');
  assert.equal(config.attempt, 3);
  assert.equal(config.imageId, 'sha256:img');
  assert.deepEqual(config.imageLayers, ['/l1', '/l2']);
  assert.equal(config.logPath, '/data/agent/logs/ns1_web_u1/app/3.log');
  assert.equal(config.labels[LABEL_POD_UID], 'u1');
  assert.equal(config.labels[LABEL_CONTAINER_HASH], containerHash(c));
  assert.equal(terminationLogPath, '/data/agent/pods/u1/containers/app/termination-log-3');
  assert.deepEqual(config.mounts, [{ containerPath: '/dev/termination-log', hostPath: terminationLogPath, readOnly: false }]);
});

test('config: securityContext overrides image user; groups; security flags', () => {
  const c = { name: 'app', image: 'b', workingDir: '/w', terminationMessagePath: '/tmp/msg', securityContext: { runAsUser: 5, privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } };
  const { config } = build(c, { securityContext: { runAsGroup: 6, supplementalGroups: [7], fsGroup: 8 } });
  assert.equal(config.uid, 5);
  assert.equal(config.gid, 6);
  assert.deepEqual(config.additionalGids, [7, 8]);
  assert.equal(config.workingDir, '/w');
  assert.deepEqual(config.security, { privileged: true, readOnlyRootfs: true, capabilitiesAdd: ['NET_ADMIN'], capabilitiesDrop: ['ALL'], noNewPrivileges: true });
  assert.equal(config.mounts.at(-1)!.containerPath, '/tmp/msg');
  const named = buildContainerConfig({ pod: pod({ name: 'a' }), container: { name: 'a' }, image: { ...image, config: { user: 'nobody' } }, volumes: { paths: new Map() }, env: [], restartCount: 0, paths });
  assert.equal(named.config.uid, 0);
  assert.equal(named.config.workingDir, '/');
  assert.equal(named.config.stopSignal, 'SIGTERM');
});

test('config: volume mounts with subPath, readOnly, propagation; missing volume is a config error', () => {
  const c = { name: 'app', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'cfg', mountPath: '/etc/x.conf', subPath: 'x.conf', readOnly: true }, { name: 'data', mountPath: '/h', mountPropagation: 'HostToContainer' }] };
  const { config } = build(c);
  assert.deepEqual(config.mounts.slice(0, 3), [
    { containerPath: '/d', hostPath: '/vol/data', readOnly: false, propagation: 'private' },
    { containerPath: '/etc/x.conf', hostPath: '/vol/cfg/x.conf', readOnly: true, propagation: 'private' },
    { containerPath: '/h', hostPath: '/vol/data', readOnly: false, propagation: 'rslave' },
  ]);
  assert.throws(() => build({ name: 'app', volumeMounts: [{ name: 'nope', mountPath: '/n' }] }), (e: unknown) => e instanceof PodInputError && e.reason === 'CreateContainerConfigError' && e.message === 'cannot find volume "nope" to mount into container "app"');
  assert.throws(() => build({ name: 'app', volumeMounts: [{ name: 'data', mountPath: '/n', subPath: '../etc' }] }), PodInputError);
});

test('resources: shares, quota, memory, oom score', () => {
  assert.deepEqual(containerResources({ resources: { requests: { cpu: '250m' }, limits: { cpu: '500m', memory: '64Mi' } } }, 'Burstable', 1024 ** 3), { cpuShares: 256, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitBytes: 64 * 1024 ** 2, oomScoreAdj: 938 });
  assert.deepEqual(containerResources({}, 'BestEffort'), { cpuShares: 2, oomScoreAdj: 1000 });
  assert.deepEqual(containerResources({ resources: { limits: { cpu: '1', memory: '1Gi' } } }, 'Guaranteed'), { cpuShares: 1024, cpuQuota: 100_000, cpuPeriod: 100_000, memoryLimitBytes: 1024 ** 3, oomScoreAdj: -997 });
  assert.equal(containerResources({ resources: { requests: { cpu: '1m' }, limits: { cpu: '1m' } } }, 'Burstable').cpuQuota, 1000);
  assert.equal(containerResources({ resources: { requests: { cpu: '1m' } } }, 'Burstable').cpuShares, 2);
});
