// HostVolumeManager on the real filesystem (tmpfs mounts are real: root is required): every
// volume type, the AtomicWriter layout and swap (an open fd keeps the old content), optional
// sources, the kubelet's FailedMount messages, tokens, and a tearDown that leaves no mount.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/testing.ts';
import { HostVolumeManager } from './manager.ts';
import { mountPoints, unmountAllUnder } from './mounts.ts';
import { MemoryPodInputSource } from './testing.ts';
import { PodInputError } from './types.ts';

const skip = process.getuid?.() === 0 ? false : 'tmpfs mounts need root';

function podWith(uid: string, volumes: Record<string, any>[], extra: Record<string, any> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid, labels: { app: 'web' }, annotations: { a: '1' } },
    spec: {
      serviceAccountName: 'builder',
      containers: [{ name: 'app', resources: { requests: { cpu: '500m', memory: '32Mi' }, limits: { memory: '64Mi' } } }],
      volumes,
      ...extra,
    },
  };
}

async function withManager(fn: (ctx: { dir: string; mgr: HostVolumeManager; source: MemoryPodInputSource; clock: FakeClock }) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-vol-'));
  const source = new MemoryPodInputSource();
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00Z'));
  source.now = () => clock.now();
  const mgr = new HostVolumeManager({ podsDir: path.join(dir, 'pods'), source, log: silentLogger, clock, nodeName: 'node-1', allocatable: { cpu: '2', memory: '1Gi' } });
  try {
    await fn({ dir, mgr, source, clock });
  } finally {
    await unmountAllUnder(dir).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const read = (p: string) => fs.readFileSync(p, 'utf8');
const mode = (p: string) => fs.statSync(p).mode & 0o7777;

test('emptyDir on disk and in memory (tmpfs with sizeLimit); tearDown unmounts and removes', { skip }, () =>
  withManager(async ({ dir, mgr }) => {
    const pod = podWith('uid-e', [{ name: 'scratch', emptyDir: {} }, { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }]);
    const { paths } = await mgr.setUp(pod);
    const scratch = paths.get('scratch')!;
    const ram = paths.get('ram')!;
    assert.equal(scratch, path.join(dir, 'pods', 'uid-e', 'volumes', 'kubernetes.io~empty-dir', 'scratch'));
    assert.equal(mode(scratch), 0o777);
    fs.writeFileSync(path.join(scratch, 'keep'), 'x');
    const info = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === ram);
    assert.ok(info, 'ram is a mount point');
    assert.match(info!, / - tmpfs tmpfs .*size=8192k/);
    await mgr.setUp(pod); // idempotent: no second mount, files kept
    assert.equal((await mountPoints()).filter((m) => m === ram).length, 1);
    assert.equal(read(path.join(scratch, 'keep')), 'x');
    await mgr.tearDown('uid-e');
    assert.ok(!(await mountPoints()).some((m) => m.startsWith(dir)));
    assert.ok(!fs.existsSync(path.join(dir, 'pods', 'uid-e', 'volumes')));
    await mgr.tearDown('uid-e'); // idempotent
  }));

test('hostPath types: create, checks and the kubelet messages; tearDown never touches the host path', { skip }, () =>
  withManager(async ({ dir, mgr }) => {
    const host = path.join(dir, 'host');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'file'), 'f');
    const sock = path.join(host, 'sock');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    try {
      const ok = podWith('uid-h', [
        { name: 'mkdir', hostPath: { path: path.join(host, 'new/dir'), type: 'DirectoryOrCreate' } },
        { name: 'dir', hostPath: { path: host, type: 'Directory' } },
        { name: 'mkfile', hostPath: { path: path.join(host, 'new-file'), type: 'FileOrCreate' } },
        { name: 'file', hostPath: { path: path.join(host, 'file'), type: 'File' } },
        { name: 'sock', hostPath: { path: sock, type: 'Socket' } },
        { name: 'null', hostPath: { path: '/dev/null', type: 'CharDevice' } },
        { name: 'any', hostPath: { path: path.join(host, 'whatever') } },
      ]);
      const { paths } = await mgr.setUp(ok);
      assert.equal(paths.get('dir'), host);
      assert.ok(fs.statSync(path.join(host, 'new/dir')).isDirectory());
      assert.ok(fs.statSync(path.join(host, 'new-file')).isFile());
      assert.equal(mode(path.join(host, 'new-file')) & 0o777, 0o644 & ~process.umask());
      const cases: [Record<string, any>, string][] = [
        [{ path: path.join(host, 'file'), type: 'Directory' }, `hostPath type check failed: ${host}/file is not a directory`],
        [{ path: path.join(host, 'missing'), type: 'Directory' }, `hostPath type check failed: ${host}/missing is not a directory`],
        [{ path: host, type: 'File' }, `hostPath type check failed: ${host} is not a file`],
        [{ path: host, type: 'FileOrCreate' }, `hostPath type check failed: ${host} is not a file`],
        [{ path: host, type: 'Socket' }, `hostPath type check failed: ${host} is not a socket file`],
        [{ path: host, type: 'CharDevice' }, `hostPath type check failed: ${host} is not a character device`],
        [{ path: '/dev/null', type: 'BlockDevice' }, 'hostPath type check failed: /dev/null is not a block device'],
        [{ path: host, type: 'Bogus' }, 'Bogus is an invalid volume type'],
        [{ path: `${host}/no-dir/f`, type: 'FileOrCreate' }, `open ${host}/no-dir/f: no such file or directory`],
      ];
      for (const [hp, msg] of cases) {
        const err = await mgr.setUp(podWith('uid-h2', [{ name: 'v', hostPath: hp }])).then(() => undefined, (e) => e);
        assert.ok(err instanceof PodInputError, `${JSON.stringify(hp)}: ${err}`);
        assert.equal(err.reason, 'FailedMount');
        assert.equal(err.message, `MountVolume.SetUp failed for volume "v" : ${msg}`);
      }
      await mgr.tearDown('uid-h');
      assert.equal(read(path.join(host, 'file')), 'f', 'host files untouched');
    } finally {
      server.close();
    }
  }));

test('configMap: keys, items, modes, optional, binaryData, messages; secret on tmpfs', { skip }, () =>
  withManager(async ({ mgr, source }) => {
    source.addConfigMap('shop', 'cfg', { 'app.conf': 'a=1\n', other: 'o' }, { 'blob.bin': Buffer.from([0, 1, 2]).toString('base64') });
    source.addSecret('shop', 'creds', { user: 'bob', password: 'pw' });
    const pod = podWith('uid-c', [
      { name: 'all', configMap: { name: 'cfg' } },
      { name: 'some', configMap: { name: 'cfg', defaultMode: 0o600, items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }, { key: 'other', path: 'o.txt' }] } },
      { name: 'opt', configMap: { name: 'missing', optional: true } },
      { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o440, items: [{ key: 'password', path: 'pw' }] } },
    ]);
    const { paths } = await mgr.setUp(pod);
    const all = paths.get('all')!;
    assert.match(all, /kubernetes\.io~configmap\/all$/);
    assert.deepEqual(fs.readdirSync(all).filter((n) => !n.startsWith('..')).sort(), ['app.conf', 'blob.bin', 'other']);
    assert.equal(fs.readlinkSync(path.join(all, 'app.conf')), '..data/app.conf');
    assert.match(fs.readlinkSync(path.join(all, '..data')), /^\.\.2024_05_01_10_00_00\./);
    assert.equal(read(path.join(all, 'app.conf')), 'a=1\n');
    assert.deepEqual([...fs.readFileSync(path.join(all, 'blob.bin'))], [0, 1, 2]);
    assert.equal(mode(path.join(all, 'app.conf')), 0o644);

    const some = paths.get('some')!;
    assert.equal(fs.readlinkSync(path.join(some, 'conf')), '..data/conf');
    assert.equal(read(path.join(some, 'conf/app.conf')), 'a=1\n');
    assert.equal(mode(path.join(some, 'conf/app.conf')), 0o400);
    assert.equal(mode(path.join(some, 'o.txt')), 0o600);
    assert.ok(!fs.existsSync(path.join(some, 'blob.bin')));

    assert.deepEqual(fs.readdirSync(paths.get('opt')!).filter((n) => !n.startsWith('..')), []);

    const sec = paths.get('sec')!;
    assert.ok((await mountPoints()).includes(sec), 'secret volume is a tmpfs');
    assert.equal(read(path.join(sec, 'pw')), 'pw');
    assert.equal(mode(path.join(sec, 'pw')), 0o440);

    const fail = async (volumes: Record<string, any>[], msg: string) => {
      await assert.rejects(mgr.setUp(podWith('uid-c2', volumes)), { name: 'PodInputError', message: msg });
    };
    await fail([{ name: 'v', configMap: { name: 'x' } }], 'MountVolume.SetUp failed for volume "v" : configmap "x" not found');
    await fail([{ name: 'v', secret: { secretName: 'x' } }], 'MountVolume.SetUp failed for volume "v" : secret "x" not found');
    await fail([{ name: 'v', configMap: { name: 'cfg', items: [{ key: 'k', path: 'k' }] } }], 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: k');
    await fail([{ name: 'v', secret: { secretName: 'creds', items: [{ key: 'k', path: 'k' }] } }], 'MountVolume.SetUp failed for volume "v" : references non-existent secret key: k');
    await fail([{ name: 'v', persistentVolumeClaim: { claimName: 'c' } }], 'MountVolume.SetUp failed for volume "v" : unsupported volume source persistentVolumeClaim (supported: hostPath, emptyDir, configMap, secret, downwardAPI, projected)');
    await mgr.tearDown('uid-c2');

    await mgr.tearDown('uid-c');
    assert.ok(!(await mountPoints()).includes(sec));
  }));

test('atomic update: ..data swaps, removed keys disappear, an open fd keeps the old content', { skip }, () =>
  withManager(async ({ mgr, source, clock }) => {
    source.addConfigMap('shop', 'cfg', { greeting: 'hello', gone: 'soon' });
    const pod = podWith('uid-a', [{ name: 'cfg', configMap: { name: 'cfg' } }]);
    const dir = (await mgr.setUp(pod)).paths.get('cfg')!;
    const firstTs = fs.readlinkSync(path.join(dir, '..data'));
    const fd = fs.openSync(path.join(dir, 'greeting'), 'r');
    try {
      // unchanged content: nothing is rewritten
      await clock.advance(1000);
      await mgr.setUp(pod);
      assert.equal(fs.readlinkSync(path.join(dir, '..data')), firstTs);

      source.addConfigMap('shop', 'cfg', { greeting: 'bonjour', added: 'new' });
      await clock.advance(1000);
      await mgr.setUp(pod);
      const secondTs = fs.readlinkSync(path.join(dir, '..data'));
      assert.notEqual(secondTs, firstTs);
      assert.match(secondTs, /^\.\.2024_05_01_10_00_02\./);
      assert.equal(read(path.join(dir, 'greeting')), 'bonjour');
      assert.equal(read(path.join(dir, 'added')), 'new');
      assert.ok(!fs.existsSync(path.join(dir, 'gone')), 'removed key is gone');
      assert.ok(!fs.existsSync(path.join(dir, firstTs)), 'old payload removed');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['..data', secondTs, 'added', 'greeting'].sort());
      const buf = Buffer.alloc(16);
      const n = fs.readSync(fd, buf, 0, 16, 0);
      assert.equal(buf.subarray(0, n).toString(), 'hello', 'the open fd still reads the old file');
    } finally {
      fs.closeSync(fd);
    }
    await mgr.tearDown('uid-a');
  }));

test('downwardAPI: metadata fields, labels map, resources with divisor and allocatable default', { skip }, () =>
  withManager(async ({ mgr }) => {
    const pod = podWith('uid-d', [
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
            { path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } },
            { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
            { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" }, mode: 0o600 },
            { path: 'cpu_req', resourceFieldRef: { containerName: 'app', resource: 'requests.cpu', divisor: '1m' } },
            { path: 'cpu_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu' } },
            { path: 'mem_limit', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
          ],
        },
      },
    ]);
    const dir = (await mgr.setUp(pod)).paths.get('info')!;
    assert.match(dir, /kubernetes\.io~downward-api\/info$/);
    const got = (f: string) => read(path.join(dir, f));
    assert.equal(got('name'), 'web');
    assert.equal(got('ns'), 'shop');
    assert.equal(got('uid'), 'uid-d');
    assert.equal(got('labels'), 'app="web"');
    assert.equal(got('annotations'), 'a="1"');
    assert.equal(got('app'), 'web');
    assert.equal(mode(path.join(dir, 'app')), 0o600);
    assert.equal(got('cpu_req'), '500');
    assert.equal(got('cpu_limit'), '2');
    assert.equal(got('mem_limit'), '64');

    // labels change → the file is republished
    pod.metadata.labels = { app: 'web', v: '2' };
    await mgr.setUp(pod);
    assert.equal(got('labels'), 'app="web"\nv="2"');

    await assert.rejects(
      mgr.setUp(podWith('uid-d2', [{ name: 'bad', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'spec.bogus' } }] } }])),
      { message: 'MountVolume.SetUp failed for volume "bad" : unsupported fieldPath: spec.bogus' },
    );
    await mgr.tearDown('uid-d');
    await mgr.tearDown('uid-d2');
  }));

test('projected kube-api-access volume: token, kube-root-ca.crt and namespace; token cached until 80% of its life', { skip }, () =>
  withManager(async ({ mgr, source, clock }) => {
    source.addConfigMap('shop', 'kube-root-ca.crt', { 'ca.crt': '-----BEGIN CERTIFICATE-----\n' });
    source.addSecret('shop', 'extra', { key: 'v' });
    const pod = podWith('uid-p', [
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
      { name: 'mixed', projected: { sources: [{ secret: { name: 'extra' } }, { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault/token' } }] } },
    ]);
    const { paths } = await mgr.setUp(pod);
    const dir = paths.get('kube-api-access-abcde')!;
    assert.match(dir, /kubernetes\.io~projected\/kube-api-access-abcde$/);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith('..')).sort(), ['ca.crt', 'namespace', 'token']);
    assert.equal(read(path.join(dir, 'token')), 'token-1-shop-builder');
    assert.equal(read(path.join(dir, 'ca.crt')), '-----BEGIN CERTIFICATE-----\n');
    assert.equal(read(path.join(dir, 'namespace')), 'shop');
    assert.equal(mode(path.join(dir, 'token')), 0o644);
    assert.deepEqual(source.tokenRequests[0], { namespace: 'shop', serviceAccount: 'builder', expirationSeconds: 3607, pod: { name: 'web', uid: 'uid-p' } });
    assert.deepEqual(source.tokenRequests[1].audiences, ['vault']);
    const mixed = paths.get('mixed')!;
    assert.equal(read(path.join(mixed, 'key')), 'v');
    assert.equal(read(path.join(mixed, 'vault/token')), 'token-2-shop-builder');

    await clock.advance(60_000);
    await mgr.setUp(pod);
    assert.equal(source.tokenRequests.length, 2, 'tokens reused while fresh');
    await clock.advance(0.8 * 600_000);
    await mgr.setUp(pod);
    assert.equal(source.tokenRequests.length, 3, 'the short-lived token is refreshed');
    assert.equal(read(path.join(mixed, 'vault/token')), 'token-3-shop-builder');
    assert.equal(read(path.join(dir, 'token')), 'token-1-shop-builder');

    await assert.rejects(
      mgr.setUp(podWith('uid-p2', [{ name: 'p', projected: { sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }] } }])),
      { message: 'MountVolume.SetUp failed for volume "p" : [configmap "a" not found, secret "b" not found]' },
    );
    await mgr.tearDown('uid-p');
    await mgr.tearDown('uid-p2');
  }));

test('fsGroup: emptyDir and secret volumes belong to the group (setgid dirs, group read); hostPath is left alone', { skip }, () =>
  withManager(async ({ dir, mgr, source }) => {
    source.addSecret('shop', 'creds', { user: 'bob' });
    const host = path.join(dir, 'host');
    fs.mkdirSync(host);
    const pod = podWith('uid-fsg', [
      { name: 'scratch', emptyDir: {} },
      { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
      { name: 'host', hostPath: { path: host } },
    ], { securityContext: { fsGroup: 2345 } });
    const { paths } = await mgr.setUp(pod);
    const scratch = paths.get('scratch')!;
    assert.equal(fs.statSync(scratch).gid, 2345);
    assert.equal(mode(scratch), 0o2777);
    const creds = paths.get('creds')!;
    assert.equal(fs.statSync(creds).gid, 2345);
    const file = fs.realpathSync(path.join(creds, 'user'));
    assert.equal(fs.statSync(file).gid, 2345);
    assert.equal(mode(file), 0o440, 'defaultMode 0400 plus group read');
    assert.equal(read(path.join(creds, 'user')), 'bob');
    assert.equal(fs.statSync(host).gid, 0, 'hostPath keeps its owner');
    // a new secret version is written again with the group
    source.addSecret('shop', 'creds', { user: 'alice' });
    await mgr.setUp(pod);
    assert.equal(read(path.join(creds, 'user')), 'alice');
    assert.equal(fs.statSync(fs.realpathSync(path.join(creds, 'user'))).gid, 2345);
    await mgr.tearDown('uid-fsg');
  }),
);
