// LocalImageStore against a real registry (Debian's docker-registry, started here) and real
// archives: pull by tag and digest, blob reuse, shared concurrent pulls, digest verification,
// errors, basic auth, OCI/docker archive import, layered whiteouts through a real overlay mount,
// and garbage collection on remove().

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '../../base/log.ts';
import { LocalImageStore } from './store.ts';
import { ImageError } from './types.ts';
import { opaque, pushToRegistry, startTestRegistry, whiteout, writeDockerArchive, writeOciArchive } from './testimage.ts';
import type { TestRegistry } from './testimage.ts';
import type { FetchLike } from './registry.ts';

const run = promisify(execFile);
const haveRegistry = existsSync('/usr/bin/docker-registry');
let work: string;
let registry: TestRegistry | undefined;

before(async () => {
  work = await fs.mkdtemp(path.join(tmpdir(), 'skiff-imgstore-'));
  if (haveRegistry) registry = await startTestRegistry({ dir: path.join(work, 'registry') });
});

after(async () => {
  try {
    await registry?.stop();
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
});

/** A store in its own directory, with a fetch that records every URL it is asked for. */
async function newStore(name: string): Promise<{ store: LocalImageStore; root: string; urls: string[] }> {
  const root = path.join(work, name);
  const urls: string[] = [];
  const recording: FetchLike = (input, init) => {
    urls.push(String(input));
    return fetch(input, init);
  };
  return { store: new LocalImageStore({ root, log: silentLogger, fetch: recording }), root, urls };
}

function reg(t: { skip(msg: string): void }): TestRegistry | undefined {
  if (!registry) t.skip('docker-registry is not installed');
  return registry;
}

async function blobCount(root: string): Promise<number> {
  return (await fs.readdir(path.join(root, 'blobs', 'sha256'))).length;
}

test('pull by tag and by digest from a real registry; a second pull downloads no blob', async (t) => {
  const r = reg(t);
  if (!r) return;
  const pushed = await pushToRegistry(r.url, 'store/busybox', 'v1', { config: { cmd: ['sleep', '3600'], env: ['PATH=/bin', 'A=b'], workingDir: '/tmp', user: '65534' } });
  const { store, root, urls } = await newStore('pull');
  const info = await store.pull(pushed.ref);
  assert.equal(info.id, pushed.id);
  assert.deepEqual(info.repoTags, [pushed.ref]);
  assert.deepEqual(info.repoDigests, [`${r.host}/store/busybox@${pushed.manifest.digest}`]);
  assert.deepEqual(info.config.cmd, ['sleep', '3600']);
  assert.deepEqual(info.config.env, ['PATH=/bin', 'A=b']);
  assert.equal(info.config.workingDir, '/tmp');
  assert.equal(info.config.user, '65534');
  assert.equal(info.size, pushed.layers.reduce((n, l) => n + l.size, 0));
  assert.equal(info.layers.length, 1);
  assert.ok((await fs.lstat(path.join(info.layers[0]!, 'bin/busybox'))).isFile());
  assert.equal(await fs.readlink(path.join(info.layers[0]!, 'bin/sh')), 'busybox');
  assert.equal((await fs.stat(path.join(info.layers[0]!, 'tmp'))).mode & 0o7777, 0o1777);
  assert.ok(urls.some((u) => u.includes('/blobs/')));

  const blobsBefore = urls.filter((u) => u.includes('/blobs/')).length;
  const again = await store.pull(pushed.ref);
  assert.equal(again.id, info.id);
  assert.equal(urls.filter((u) => u.includes('/blobs/')).length, blobsBefore, 'no blob downloaded twice');

  const byDigest = await store.pull(`${r.host}/store/busybox@${pushed.manifest.digest}`);
  assert.equal(byDigest.id, info.id);
  assert.equal((await store.status(`${r.host}/store/busybox@${pushed.manifest.digest}`))?.id, info.id);
  assert.equal((await store.status(pushed.ref))?.id, info.id);
  assert.equal((await store.status(info.id))?.id, info.id);
  assert.equal((await store.status(info.id.slice(7, 19)))?.id, info.id);
  assert.equal(await store.status(`${r.host}/store/other:v1`), undefined);
  assert.equal((await store.list()).length, 1);
  assert.equal(await blobCount(root), 3); // manifest, config, layer
});

test('concurrent pulls of one reference share one download', async (t) => {
  const r = reg(t);
  if (!r) return;
  const pushed = await pushToRegistry(r.url, 'store/shared', 'v1', { extraLayers: [{ entries: [{ path: 'shared', data: 'x' }] }] });
  const { store, urls } = await newStore('shared');
  const [a, b, c] = await Promise.all([store.pull(pushed.ref), store.pull(pushed.ref), store.pull(pushed.ref.replace(r.host, r.host))]);
  assert.equal(a.id, b.id);
  assert.equal(b.id, c.id);
  assert.equal(urls.filter((u) => u.includes('/manifests/')).length, 1);
  assert.equal(urls.filter((u) => u.includes('/blobs/')).length, 3);
});

test('a blob whose content does not match its digest is rejected and nothing is recorded', async (t) => {
  const r = reg(t);
  if (!r) return;
  const pushed = await pushToRegistry(r.url, 'store/corrupt', 'v1', { extraLayers: [{ entries: [{ path: 'corrupt-me', data: 'original content' }] }] });
  const layer = pushed.layers[1]!;
  const hex = layer.digest.slice(7);
  const data = path.join(r.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const bytes = await fs.readFile(data);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  await fs.writeFile(data, bytes);
  const { store, root } = await newStore('corrupt');
  await assert.rejects(store.pull(pushed.ref), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.equal(e.code, 'Invalid');
    assert.match(e.message, /^failed to pull and unpack image ".*store\/corrupt:v1": digest mismatch/);
    return true;
  });
  assert.equal(await store.status(pushed.ref), undefined);
  assert.ok(!existsSync(path.join(root, 'blobs/sha256', hex)));
  assert.deepEqual(await fs.readdir(path.join(root, 'tmp')), []);
});

test('errors: unknown image → NotFound, closed port → Unreachable, bad reference → Invalid', async (t) => {
  const r = reg(t);
  if (!r) return;
  const { store } = await newStore('errors');
  await assert.rejects(store.pull(`${r.host}/store/missing:v9`), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.equal(e.code, 'NotFound');
    const full = `${r.host}/store/missing:v9`;
    assert.equal(e.message, `failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`);
    return true;
  });
  await assert.rejects(store.pull('127.0.0.1:1/nothing/here:v1'), (e: unknown) => e instanceof ImageError && e.code === 'Unreachable' && /failed to do request/.test(e.message));
  await assert.rejects(store.pull('Bad/Name'), (e: unknown) => e instanceof ImageError && e.code === 'Invalid' && /invalid reference format/.test(e.message));
});

test('basic auth against a registry with htpasswd', async (t) => {
  if (!haveRegistry) return t.skip('docker-registry is not installed');
  try {
    await run('htpasswd', ['-h']).catch((e: { code?: string | number }) => {
      if (e.code === 'ENOENT') throw e;
    });
  } catch {
    return t.skip('htpasswd (apache2-utils) is not installed');
  }
  const authReg = await startTestRegistry({ dir: path.join(work, 'auth-registry'), htpasswd: { user: 'alice', password: 's3cret' } });
  t.after(() => authReg.stop());
  const pushed = await pushToRegistry(authReg.url, 'private/busybox', 'v1', { auth: { username: 'alice', password: 's3cret' } });
  const { store } = await newStore('auth');
  await assert.rejects(store.pull(pushed.ref), (e: unknown) => e instanceof ImageError && e.code === 'Unauthorized' && /pull access denied/.test(e.message));
  await assert.rejects(store.pull(pushed.ref, { auth: [{ server: authReg.host, username: 'alice', password: 'wrong' }] }), (e: unknown) => e instanceof ImageError && e.code === 'Unauthorized');
  const info = await store.pull(pushed.ref, {
    auth: [
      { server: 'https://other.example:5000', username: 'x', password: 'y' },
      { server: `http://${authReg.host}/v2/`, auth: Buffer.from('alice:s3cret').toString('base64') },
    ],
  });
  assert.equal(info.id, pushed.id);
});

test('import an OCI layout archive and a docker save archive; status finds them by name', async (t) => {
  const { store, root } = await newStore('archives');
  const oci = path.join(work, 'oci.tar');
  const docker = path.join(work, 'docker.tar');
  const ociImg = await writeOciArchive(oci, { name: 'skiff.test/oci/busybox:v1', config: { entrypoint: ['/bin/sh', '-c'], stopSignal: 'SIGINT' } });
  const dockerImg = await writeDockerArchive(docker, { name: 'dockerbox:v2', extraLayers: [{ entries: [{ path: 'etc/motd', data: 'docker\n' }] }] });

  const [a] = await store.importArchive(oci);
  assert.equal(a!.id, ociImg.id);
  assert.deepEqual(a!.repoTags, ['skiff.test/oci/busybox:v1']);
  assert.deepEqual(a!.config.entrypoint, ['/bin/sh', '-c']);
  assert.equal(a!.config.stopSignal, 'SIGINT');
  const [b] = await store.importArchive(docker);
  assert.equal(b!.id, dockerImg.id);
  assert.deepEqual(b!.repoTags, ['docker.io/library/dockerbox:v2']);
  assert.equal(b!.layers.length, 2);
  assert.equal(await fs.readFile(path.join(b!.layers[1]!, 'etc/motd'), 'utf8'), 'docker\n');

  assert.equal((await store.status('skiff.test/oci/busybox:v1'))?.id, ociImg.id);
  assert.equal((await store.status('dockerbox:v2'))?.id, dockerImg.id);
  assert.equal((await store.status('docker.io/library/dockerbox:v2'))?.id, dockerImg.id);
  // Both share the busybox base layer: unpacked once.
  assert.equal(a!.layers[0], b!.layers[0]);
  assert.equal((await fs.readdir(path.join(root, 'layers'))).length, 2);
  // Importing again is idempotent.
  await store.importArchive(oci);
  assert.equal((await store.list()).length, 2);
});

test('a layer that deletes a file and makes a directory opaque: the overlay of the layers shows them gone', async (t) => {
  const { store } = await newStore('whiteouts');
  const file = path.join(work, 'whiteouts.tar');
  await writeOciArchive(file, {
    name: 'skiff.test/whiteouts:v1',
    extraLayers: [
      { entries: [{ path: 'data/a', data: 'a' }, { path: 'data/b', data: 'b' }, { path: 'etc/extra', data: 'x' }] },
      { entries: [whiteout('etc/group'), whiteout('bin/wget'), { path: 'data', type: 'Directory' }, opaque('data'), { path: 'data/c', data: 'c' }], compression: 'none', truncated: true },
    ],
  });
  const [img] = await store.importArchive(file);
  assert.equal(img!.layers.length, 3);
  const mnt = path.join(work, 'whiteouts-mnt');
  await fs.mkdir(mnt);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...img!.layers].reverse().join(':')}`, mnt]);
  try {
    assert.deepEqual(await fs.readdir(path.join(mnt, 'data')), ['c']);
    await assert.rejects(fs.lstat(path.join(mnt, 'etc/group')), /ENOENT/);
    await assert.rejects(fs.lstat(path.join(mnt, 'bin/wget')), /ENOENT/);
    assert.equal(await fs.readFile(path.join(mnt, 'etc/extra'), 'utf8'), 'x');
    assert.match(await fs.readFile(path.join(mnt, 'etc/passwd'), 'utf8'), /^root:x:0:0/);
    assert.equal(await fs.readlink(path.join(mnt, 'bin/sh')), 'busybox');
  } finally {
    await run('umount', [mnt]);
  }
});

test('remove() untags, then frees the blobs and layers no other image uses', async (t) => {
  const { store, root } = await newStore('remove');
  const base = path.join(work, 'remove-base.tar');
  const extra = path.join(work, 'remove-extra.tar');
  const baseImg = await writeOciArchive(base, { name: 'skiff.test/rm/base:v1' });
  await writeOciArchive(extra, { name: 'skiff.test/rm/extra:v1', extraLayers: [{ entries: [{ path: 'extra', data: 'e' }] }] });
  await store.importArchive(base);
  const [ex] = await store.importArchive(extra);
  assert.equal(await blobCount(root), 3 + 3 + 1 - 1); // base: manifest, config, layer; extra: manifest, config, +1 layer

  // A second tag: removing one tag keeps the image.
  const baseAgain = path.join(work, 'remove-base2.tar');
  await writeOciArchive(baseAgain, { name: 'skiff.test/rm/base:alias' });
  await store.importArchive(baseAgain);
  await store.remove('skiff.test/rm/base:alias');
  assert.equal((await store.status('skiff.test/rm/base:v1'))?.id, baseImg.id);

  await store.remove(ex!.id);
  assert.equal(await store.status('skiff.test/rm/extra:v1'), undefined);
  assert.equal(await blobCount(root), 3);
  assert.equal((await fs.readdir(path.join(root, 'layers'))).length, 1);

  await store.remove('skiff.test/rm/base:v1');
  assert.equal(await blobCount(root), 0);
  assert.deepEqual(await fs.readdir(path.join(root, 'layers')), []);
  assert.deepEqual(await store.list(), []);
  await assert.rejects(store.remove('skiff.test/rm/base:v1'), (e: unknown) => e instanceof ImageError && e.code === 'NotFound');
});

test('lookups see what another store on the same root (another process: skiff images) wrote', async () => {
  const { store: agent, root } = await newStore('shared-index');
  const cli = new LocalImageStore({ root, log: silentLogger });
  const file = path.join(work, 'shared-index.tar');
  await writeOciArchive(file, { name: 'skiff.test/shared/img:v1' });
  assert.equal(await agent.status('skiff.test/shared/img:v1'), undefined);
  const [img] = await cli.importArchive(file);
  assert.equal((await agent.status('skiff.test/shared/img:v1'))?.id, img!.id, 'an import elsewhere is seen');
  assert.equal((await agent.status('skiff.test/shared/img:v1'))?.id, img!.id, 'and again from the cached index');
  await cli.remove('skiff.test/shared/img:v1');
  assert.equal(await agent.status('skiff.test/shared/img:v1'), undefined, 'a removal elsewhere is seen');
  assert.deepEqual(await agent.list(), []);
});
