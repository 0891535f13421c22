import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, containerCapabilities, ALL_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './bundle.ts';
import type { BundleOptions } from './bundle.ts';
import type { ContainerConfig, SandboxInfo } from './types.ts';

function container(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name: 'app', attempt: 0, imageId: 'sha256:abc', imageLayers: ['/l1', '/l2'],
    args: ['/bin/sh', '-c', 'echo hi'], env: ['PATH=/bin', 'A=1'], workingDir: '/work',
    uid: 1000, gid: 2000, additionalGids: [], mounts: [],
    resources: {},
    security: { privileged: false, readOnlyRootfs: false, capabilitiesAdd: [], capabilitiesDrop: [], noNewPrivileges: false },
    tty: false, stdin: false, stdinOnce: false, stopSignal: 'SIGTERM', logPath: '/logs/app/0.log',
    labels: {}, annotations: {},
    ...over,
  };
}

const sandbox: SandboxInfo = {
  id: 'sb1', podUid: 'uid1', name: 'p', namespace: 'default', attempt: 0, state: 'ready', createdAt: 0,
  ip: '10.0.0.2', netnsPath: '/run/netns/sb1', hostsPath: '/sb/hosts', resolvConfPath: '/sb/resolv.conf',
  hostnamePath: '/sb/hostname', labels: {}, annotations: {},
};

const opts: BundleOptions = {
  rootfsPath: '/c/rootfs', cgroupsPath: '/skiff/poduid1/c1', netnsPath: '/sb/ns/net',
  ipcNsPath: '/sb/ns/ipc', utsNsPath: '/sb/ns/uts', shmPath: '/sb/shm', hostname: 'p',
};

const caps = (names: string[]) => names.map((c) => 'CAP_' + c);

test('capabilities: default set, add/drop, ALL, privileged', () => {
  const cases: { name: string; add: string[]; drop: string[]; privileged?: boolean; want: string[] }[] = [
    { name: 'default', add: [], drop: [], want: caps(DEFAULT_CAPABILITIES) },
    { name: 'add one', add: ['NET_ADMIN'], drop: [], want: caps([...DEFAULT_CAPABILITIES, 'NET_ADMIN']) },
    { name: 'add with CAP_ prefix and lower case', add: ['cap_sys_time'], drop: [], want: caps([...DEFAULT_CAPABILITIES, 'SYS_TIME']) },
    { name: 'add existing is not duplicated', add: ['CHOWN'], drop: [], want: caps(DEFAULT_CAPABILITIES) },
    { name: 'drop one', add: [], drop: ['NET_RAW'], want: caps(DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_RAW')) },
    { name: 'drop ALL', add: [], drop: ['ALL'], want: [] },
    { name: 'drop ALL add one', add: ['NET_BIND_SERVICE'], drop: ['ALL'], want: caps(['NET_BIND_SERVICE']) },
    { name: 'add ALL', add: ['ALL'], drop: [], want: caps(ALL_CAPABILITIES) },
    { name: 'add ALL drop one', add: ['ALL'], drop: ['SYS_ADMIN'], want: caps(ALL_CAPABILITIES.filter((c) => c !== 'SYS_ADMIN')) },
    { name: 'privileged ignores drop', add: [], drop: ['ALL'], privileged: true, want: caps(ALL_CAPABILITIES) },
  ];
  for (const c of cases) {
    assert.deepEqual(containerCapabilities(c.add, c.drop, c.privileged ?? false), c.want, c.name);
  }
});

test('namespaces: own pid+mount, join net/ipc/uts; hostNetwork leaves net and uts to the host', () => {
  const cases: { name: string; o: Partial<BundleOptions>; want: { type: string; path?: string }[] }[] = [
    {
      name: 'pod network', o: {},
      want: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/sb/ns/net' }, { type: 'ipc', path: '/sb/ns/ipc' }, { type: 'uts', path: '/sb/ns/uts' }],
    },
    {
      name: 'host network', o: { netnsPath: undefined, utsNsPath: undefined },
      want: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc', path: '/sb/ns/ipc' }],
    },
    {
      name: 'no shared ipc', o: { ipcNsPath: undefined },
      want: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/sb/ns/net' }, { type: 'ipc' }, { type: 'uts', path: '/sb/ns/uts' }],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(buildSpec(container(), sandbox, { ...opts, ...c.o }).linux.namespaces, c.want, c.name);
  }
});

test('mounts: standard set, sandbox files, user mounts sorted parents first', () => {
  const spec = buildSpec(container({
    mounts: [
      { containerPath: '/data/sub', hostPath: '/h/sub', readOnly: true },
      { containerPath: '/data', hostPath: '/h/data', readOnly: false, propagation: 'rslave' },
      { containerPath: '/cfg', hostPath: '/h/cfg', readOnly: true },
    ],
  }), sandbox, opts);
  assert.deepEqual(spec.mounts.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname',
    '/data', '/cfg', '/data/sub',
  ]);
  const byDest = new Map(spec.mounts.map((m) => [m.destination, m]));
  assert.equal(byDest.get('/dev/shm')!.source, '/sb/shm');
  assert.equal(byDest.get('/dev/shm')!.type, 'bind');
  assert.ok(byDest.get('/sys')!.options!.includes('ro'));
  assert.deepEqual(byDest.get('/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/sb/hosts', options: ['rbind', 'rprivate', 'rw'] });
  assert.equal(byDest.get('/etc/resolv.conf')!.source, '/sb/resolv.conf');
  assert.equal(byDest.get('/etc/hostname')!.source, '/sb/hostname');
  assert.deepEqual(byDest.get('/data')!.options, ['rbind', 'rslave', 'rw']);
  assert.deepEqual(byDest.get('/data/sub')!.options, ['rbind', 'rprivate', 'ro']);
  assert.equal(byDest.get('/dev')!.type, 'tmpfs');
});

test('mounts: private /dev/shm tmpfs without a pod shm; read-only rootfs makes etc files ro', () => {
  const spec = buildSpec(container({ security: { privileged: false, readOnlyRootfs: true, capabilitiesAdd: [], capabilitiesDrop: [], noNewPrivileges: true } }), sandbox, { ...opts, shmPath: undefined });
  const shm = spec.mounts.find((m) => m.destination === '/dev/shm')!;
  assert.equal(shm.type, 'tmpfs');
  assert.ok(spec.mounts.find((m) => m.destination === '/etc/hosts')!.options!.includes('ro'));
  assert.equal(spec.root.readonly, true);
  assert.equal(spec.process.noNewPrivileges, true);
});

test('process: args, env with HOSTNAME, cwd, user, terminal, rlimits, oomScoreAdj', () => {
  const cases: { name: string; c: Partial<ContainerConfig>; check: (s: ReturnType<typeof buildSpec>) => void }[] = [
    {
      name: 'basics', c: {},
      check: (s) => {
        assert.deepEqual(s.process.args, ['/bin/sh', '-c', 'echo hi']);
        assert.deepEqual(s.process.env, ['HOSTNAME=p', 'PATH=/bin', 'A=1']);
        assert.equal(s.process.cwd, '/work');
        assert.deepEqual(s.process.user, { uid: 1000, gid: 2000 });
        assert.equal(s.process.terminal, false);
        assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }]);
        assert.equal(s.process.oomScoreAdj, undefined);
        assert.equal(s.process.noNewPrivileges, false);
      },
    },
    {
      name: 'tty, groups, env without PATH but with HOSTNAME, empty cwd', c: { tty: true, additionalGids: [5, 6], env: ['HOSTNAME=x'], workingDir: '', resources: { oomScoreAdj: 999 } },
      check: (s) => {
        assert.equal(s.process.terminal, true);
        assert.deepEqual(s.process.user.additionalGids, [5, 6]);
        assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=x']);
        assert.equal(s.process.cwd, '/');
        assert.equal(s.process.oomScoreAdj, 999);
      },
    },
  ];
  for (const c of cases) c.check(buildSpec(container(c.c), sandbox, opts));
});

test('resources: cpu, memory with swap = limit, pids; absent values are left out', () => {
  const cases: { name: string; r: ContainerConfig['resources']; want: Record<string, unknown> }[] = [
    { name: 'none', r: {}, want: {} },
    { name: 'shares only', r: { cpuShares: 2 }, want: { cpu: { shares: 2 } } },
    {
      name: 'all', r: { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitBytes: 33554432, pidsLimit: 64 },
      want: { cpu: { shares: 512, quota: 50000, period: 100000 }, memory: { limit: 33554432, swap: 33554432 }, pids: { limit: 64 } },
    },
    { name: 'zero limits mean none', r: { memoryLimitBytes: 0, pidsLimit: 0, cpuQuota: 0 }, want: {} },
  ];
  for (const c of cases) {
    const { devices, ...rest } = buildSpec(container({ resources: c.r }), sandbox, opts).linux.resources;
    assert.deepEqual(rest, c.want, c.name);
    assert.deepEqual(devices[0], { allow: false, access: 'rwm' }, c.name);
  }
});

test('masked and read-only paths are runc defaults; privileged drops them, rw /sys, all devices', () => {
  const normal = buildSpec(container(), sandbox, opts);
  assert.deepEqual(normal.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(normal.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.ok(normal.linux.maskedPaths!.includes('/proc/kcore'));
  assert.equal(normal.linux.cgroupsPath, '/skiff/poduid1/c1');
  assert.deepEqual(normal.root, { path: '/c/rootfs', readonly: false });

  const priv = buildSpec(container({ security: { privileged: true, readOnlyRootfs: false, capabilitiesAdd: [], capabilitiesDrop: [], noNewPrivileges: true } }), sandbox, opts);
  assert.equal(priv.linux.maskedPaths, undefined);
  assert.equal(priv.linux.readonlyPaths, undefined);
  assert.ok(priv.mounts.find((m) => m.destination === '/sys')!.options!.includes('rw'));
  assert.deepEqual(priv.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.equal(priv.process.capabilities.bounding.length, ALL_CAPABILITIES.length);
  assert.equal(priv.process.noNewPrivileges, false);
});

test('annotations carry the config annotations and the sandbox id; the input is not mutated', () => {
  const c = container({ annotations: { a: 'b' }, mounts: [{ containerPath: '/x', hostPath: '/y', readOnly: false }] });
  const frozen = JSON.stringify(c);
  const spec = buildSpec(c, sandbox, opts);
  assert.equal(spec.annotations.a, 'b');
  assert.equal(spec.annotations['io.kubernetes.cri.sandbox-id'], 'sb1');
  assert.equal(JSON.stringify(c), frozen);
});
