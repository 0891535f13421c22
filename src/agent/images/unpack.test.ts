import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../base/log.ts';
import { sha256Digest } from './manifest.ts';
import { TarWriter } from './tarwriter.ts';
import type { TarEntry } from './tarwriter.ts';
import { opaque, whiteout } from './testimage.ts';
import { unpackLayer } from './unpack.ts';
import { ImageError } from './types.ts';

const run = promisify(execFile);

async function withDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-unpack-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function layer(dir: string, name: string, entries: TarEntry[], opts: { gzip?: boolean; truncated?: boolean } = {}): Promise<{ file: string; diffID: string }> {
  const w = new TarWriter();
  for (const e of entries) w.add(e);
  const raw = w.finish({ truncated: opts.truncated });
  const file = path.join(dir, `${name}.tar${opts.gzip ? '.gz' : ''}`);
  await fs.writeFile(file, opts.gzip ? gzipSync(raw) : raw);
  return { file, diffID: sha256Digest(raw) };
}

test('unpack keeps files, modes, owners, symlinks (absolute and upward), hardlinks; skips devices', async (t) => {
  const dir = await withDir(t);
  const { file, diffID } = await layer(dir, 'l1', [
    { path: 'usr', type: 'Directory' },
    { path: 'usr/bin', type: 'Directory', mode: 0o750, uid: 7, gid: 8 },
    { path: 'usr/bin/tool', data: 'tool\n', mode: 0o4755, uid: 1000, gid: 100 },
    { path: 'usr/bin/abs', type: 'SymbolicLink', linkpath: '/etc/passwd' },
    { path: 'usr/bin/up', type: 'SymbolicLink', linkpath: '../../../../etc/shadow' },
    { path: 'usr/bin/hard', type: 'Link', linkpath: 'usr/bin/tool' },
    { path: 'dev', type: 'Directory' },
    { path: 'dev/null', type: 'CharacterDevice', devmaj: 1, devmin: 3 },
    { path: 'deep/implicit/file', data: 'x' },
    { path: './dotted', data: 'dot' },
    { path: 'long/' + 'n'.repeat(150), data: 'long name' },
  ], { gzip: true });
  const dest = path.join(dir, 'out');
  await fs.mkdir(dest);
  const res = await unpackLayer(file, dest, { log: silentLogger });
  assert.equal(res.diffID, diffID);
  const tool = await fs.stat(path.join(dest, 'usr/bin/tool'));
  assert.equal(tool.mode & 0o7777, 0o4755);
  assert.equal(tool.uid, 1000);
  assert.equal(tool.gid, 100);
  assert.equal(tool.mtime.toISOString(), '2024-01-01T00:00:00.000Z');
  const bin = await fs.stat(path.join(dest, 'usr/bin'));
  assert.equal(bin.mode & 0o7777, 0o750);
  assert.equal(bin.uid, 7);
  assert.equal(await fs.readlink(path.join(dest, 'usr/bin/abs')), '/etc/passwd');
  assert.equal(await fs.readlink(path.join(dest, 'usr/bin/up')), '../../../../etc/shadow');
  const hard = await fs.stat(path.join(dest, 'usr/bin/hard'));
  assert.equal(hard.ino, tool.ino);
  await assert.rejects(fs.lstat(path.join(dest, 'dev/null')), /ENOENT/);
  assert.equal(await fs.readFile(path.join(dest, 'deep/implicit/file'), 'utf8'), 'x');
  assert.equal(await fs.readFile(path.join(dest, 'dotted'), 'utf8'), 'dot');
  assert.equal(await fs.readFile(path.join(dest, 'long', 'n'.repeat(150)), 'utf8'), 'long name');
});

test('unpack never writes through a symlink nor outside the layer', async (t) => {
  const dir = await withDir(t);
  const outside = path.join(dir, 'outside');
  await fs.mkdir(outside);
  const { file } = await layer(dir, 'evil', [
    { path: 'link', type: 'SymbolicLink', linkpath: outside },
    { path: 'link/pwned', data: 'no' },
  ]);
  const dest = path.join(dir, 'out');
  await fs.mkdir(dest);
  await unpackLayer(file, dest, { log: silentLogger });
  assert.deepEqual(await fs.readdir(outside), []);

  const { file: escape } = await layer(dir, 'escape', [{ path: '../escaped', data: 'no' }]);
  const dest2 = path.join(dir, 'out2');
  await fs.mkdir(dest2);
  await assert.rejects(unpackLayer(escape, dest2, { log: silentLogger }), (e: unknown) => e instanceof ImageError && e.code === 'Invalid');
  await assert.rejects(fs.access(path.join(dir, 'escaped')));
});

test('a truncated tar (umoci insert) unpacks completely', async (t) => {
  const dir = await withDir(t);
  const { file, diffID } = await layer(dir, 'trunc', [
    { path: 'a', data: 'first' },
    { path: 'var/www/index.html', data: '<h1>last file</h1>\n', mode: 0o644 },
  ], { truncated: true });
  assert.notEqual((await fs.stat(file)).size % 512, 0);
  const dest = path.join(dir, 'out');
  await fs.mkdir(dest);
  const res = await unpackLayer(file, dest, { log: silentLogger });
  assert.equal(res.diffID, diffID);
  assert.equal(await fs.readFile(path.join(dest, 'var/www/index.html'), 'utf8'), '<h1>last file</h1>\n');
  assert.equal((await fs.stat(path.join(dest, 'var/www/index.html'))).mode & 0o777, 0o644);
});

test('whiteouts become overlayfs whiteouts; a hardlink to a lower layer is copied', async (t) => {
  const dir = await withDir(t);
  const l1 = await layer(dir, 'l1', [
    { path: 'etc', type: 'Directory' },
    { path: 'etc/gone', data: 'bye' },
    { path: 'etc/kept', data: 'stay' },
    { path: 'www', type: 'Directory' },
    { path: 'www/old.html', data: 'old' },
    { path: 'bin', type: 'Directory' },
    { path: 'bin/prog', data: 'prog', mode: 0o711, uid: 5 },
  ]);
  const l2 = await layer(dir, 'l2', [
    whiteout('etc/gone'),
    { path: 'www', type: 'Directory' },
    opaque('www'),
    { path: 'www/new.html', data: 'new' },
    { path: 'bin/prog2', type: 'Link', linkpath: 'bin/prog' },
    whiteout('etc/recreated'),
    { path: 'etc/recreated', data: 'same layer wins' },
  ]);
  const d1 = path.join(dir, 'd1');
  const d2 = path.join(dir, 'd2');
  await fs.mkdir(d1);
  await fs.mkdir(d2);
  await unpackLayer(l1.file, d1, { log: silentLogger });
  await unpackLayer(l2.file, d2, { log: silentLogger, lowers: [d1] });

  const wh = await fs.lstat(path.join(d2, 'etc/gone'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.equal(await fs.readFile(path.join(d2, 'etc/recreated'), 'utf8'), 'same layer wins');
  const { stdout } = await run('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', '--only-values', path.join(d2, 'www')]);
  assert.equal(stdout, 'y');
  const copied = await fs.stat(path.join(d2, 'bin/prog2'));
  assert.equal(await fs.readFile(path.join(d2, 'bin/prog2'), 'utf8'), 'prog');
  assert.equal(copied.mode & 0o7777, 0o711);
  assert.equal(copied.uid, 5);

  // The kernel agrees: an overlay of the two layers hides what layer 2 deleted.
  const mnt = path.join(dir, 'mnt');
  await fs.mkdir(mnt);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${d2}:${d1}`, mnt]);
  try {
    assert.deepEqual((await fs.readdir(path.join(mnt, 'etc'))).sort(), ['kept', 'recreated']);
    assert.deepEqual(await fs.readdir(path.join(mnt, 'www')), ['new.html']);
    assert.equal(await fs.readFile(path.join(mnt, 'bin/prog'), 'utf8'), 'prog');
  } finally {
    await run('umount', [mnt]);
  }
});

test('a corrupt layer is Invalid', async (t) => {
  const dir = await withDir(t);
  const file = path.join(dir, 'bad.tar.gz');
  await fs.writeFile(file, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
  const dest = path.join(dir, 'out');
  await fs.mkdir(dest);
  await assert.rejects(unpackLayer(file, dest, { log: silentLogger }), (e: unknown) => e instanceof ImageError && e.code === 'Invalid');
});
