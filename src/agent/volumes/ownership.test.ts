import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ownershipMode, setVolumeOwnership } from './ownership.ts';

const skip = process.getuid?.() !== 0 ? 'chown needs root' : false;

test('ownershipMode adds group rw (ro for read-only volumes), and setgid + exec on directories', () => {
  assert.equal(ownershipMode(0o100644, false, false), 0o664);
  assert.equal(ownershipMode(0o100644, false, true), 0o644);
  assert.equal(ownershipMode(0o100600, false, true), 0o640);
  assert.equal(ownershipMode(0o40755, true, false), 0o2775);
  assert.equal(ownershipMode(0o40700, true, true), 0o2750);
});

test('setVolumeOwnership: group and modes on the tree, owners kept, symlinks untouched; OnRootMismatch skips a matching root', { skip }, async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-fsgroup-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  await fsp.mkdir(path.join(dir, 'sub'));
  await fsp.writeFile(path.join(dir, 'sub', 'f'), 'x', { mode: 0o600 });
  await fsp.chown(path.join(dir, 'sub', 'f'), 1234, 0);
  await fsp.writeFile(path.join(dir, 'target'), 'y', { mode: 0o400 });
  await fsp.symlink('target', path.join(dir, 'link'));
  await fsp.chmod(dir, 0o755);

  await setVolumeOwnership(dir, 4321, { readOnly: true });
  const st = async (p: string) => fsp.lstat(path.join(dir, p));
  assert.equal((await st('.')).gid, 4321);
  assert.equal((await st('.')).mode & 0o7777, 0o2755);
  assert.equal((await st('sub')).mode & 0o7777, 0o2755);
  const f = await st('sub/f');
  assert.equal(f.uid, 1234, 'the owner is kept');
  assert.equal(f.gid, 4321);
  assert.equal(f.mode & 0o7777, 0o640);
  assert.equal((await st('target')).mode & 0o7777, 0o440, 'the target gets its own treatment, not the link’s');
  assert.equal((await st('link')).gid, 0, 'a symlink itself is not changed');

  // OnRootMismatch: the root already matches, so a file changed since stays as it is
  await fsp.chown(path.join(dir, 'sub', 'f'), 1234, 0);
  await setVolumeOwnership(dir, 4321, { readOnly: true, policy: 'OnRootMismatch' });
  assert.equal((await st('sub/f')).gid, 0);
  await setVolumeOwnership(dir, 4321, { readOnly: true, policy: 'Always' });
  assert.equal((await st('sub/f')).gid, 4321);
});
