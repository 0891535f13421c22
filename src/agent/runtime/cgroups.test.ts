import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Cgroups, ensureHostCgroups, parseCgroupMounts, parseKeyedFile } from './cgroups.ts';

const MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard`;

test('parseCgroupMounts finds v1 and v2 hierarchies and their controllers', () => {
  assert.deepEqual(parseCgroupMounts(MOUNTINFO), [
    { mountPoint: '/sys/fs/cgroup/cpu', controllers: ['cpu'], version: 1 },
    { mountPoint: '/sys/fs/cgroup/cpu,cpuacct', controllers: ['cpu', 'cpuacct'], version: 1 },
    { mountPoint: '/sys/fs/cgroup/systemd', controllers: ['name=systemd'], version: 1 },
    { mountPoint: '/sys/fs/cgroup/unified', controllers: [], version: 2 },
  ]);
});

test('parseKeyedFile reads oom_control and memory.stat shapes', () => {
  const m = parseKeyedFile('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  assert.equal(m.get('oom_kill'), 2);
  assert.equal(m.get('under_oom'), 0);
});

const isRoot = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/memory.oom_control');

test('create/remove a pod cgroup in every hierarchy; usage and oom counters read', { skip: isRoot ? false : 'needs root and cgroup v1' }, async () => {
  await ensureHostCgroups();
  assert.equal(readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').includes('hugetlb'), false);
  const cg = new Cgroups();
  const root = `/skiff-cgtest-${randomBytes(4).toString('hex')}`;
  try {
    await cg.create(`${root}/pod1/c1`);
    await cg.create(`${root}/pod1/c1`); // idempotent
    const dirs = await cg.existing(`${root}/pod1/c1`);
    assert.ok(dirs.includes(`/sys/fs/cgroup/memory${root}/pod1/c1`));
    assert.equal(dirs.length, (await cg.list()).length);
    const cpus = readFileSync(`/sys/fs/cgroup/cpuset${root}/pod1/c1/cpuset.cpus`, 'utf8').trim();
    assert.notEqual(cpus, '');
    assert.equal(await cg.oomKills(`${root}/pod1/c1`), 0);
    const u = await cg.usage(`${root}/pod1/c1`);
    assert.ok(u);
    assert.equal(u.cpuUsageNanoSeconds, 0);
  } finally {
    await cg.remove(root);
  }
  assert.deepEqual(await cg.existing(root), []);
  assert.equal(await cg.oomKills(`${root}/pod1/c1`), undefined);
  assert.equal(await cg.usage(`${root}/pod1/c1`), undefined);
  await cg.remove(root); // idempotent
});

test('pruneAncestors removes empty parents up to the stop path, keeping ones with other children', { skip: isRoot ? false : 'needs root and cgroup v1' }, async () => {
  await ensureHostCgroups();
  const cg = new Cgroups();
  const root = `/skiff-cgprune-${randomBytes(4).toString('hex')}`;
  try {
    await Promise.all([cg.create(`${root}/pods/burstable/pod1`), cg.create(`${root}/pods/burstable/pod2`)]);
    await cg.remove(`${root}/pods/burstable/pod1`);
    await cg.pruneAncestors(`${root}/pods/burstable/pod1`, root);
    assert.equal((await cg.existing(`${root}/pods/burstable/pod2`)).length, (await cg.list()).length);
    await cg.remove(`${root}/pods/burstable/pod2`);
    await cg.pruneAncestors(`${root}/pods/burstable/pod2`, root);
    assert.deepEqual(await cg.existing(`${root}/pods`), []);
    assert.equal((await cg.existing(root)).length, (await cg.list()).length, 'the stop path itself stays');
  } finally {
    await cg.remove(root);
  }
});
