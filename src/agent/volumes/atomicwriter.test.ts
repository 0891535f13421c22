// AtomicWriter and mountinfo parsing on a plain temp dir (no root needed): layout, nested
// paths, path validation, no rewrite when unchanged, and mount point unescaping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '../../client/testing.ts';
import { timestampPrefix, validatePayloadPath, writeAtomically } from './atomicwriter.ts';
import { parseMountPoints } from './mounts.ts';

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

test('writeAtomically: ..data layout, nested paths, unchanged payload not rewritten, renamed top-level entries', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-aw-'));
  const clock = new FakeClock(Date.parse('2024-12-31T23:59:58Z'));
  try {
    assert.equal(await writeAtomically(dir, new Map([['a/b/c.txt', file('c')], ['top', file('t', 0o600)]]), clock), true);
    const ts = fs.readlinkSync(path.join(dir, '..data'));
    assert.match(ts, /^\.\.2024_12_31_23_59_58\./);
    assert.equal(fs.readlinkSync(path.join(dir, 'a')), '..data/a');
    assert.equal(fs.readFileSync(path.join(dir, 'a/b/c.txt'), 'utf8'), 'c');
    assert.equal(fs.statSync(path.join(dir, 'top')).mode & 0o777, 0o600);
    assert.equal(await writeAtomically(dir, new Map([['a/b/c.txt', file('c')], ['top', file('t', 0o600)]]), clock), false);
    assert.equal(await writeAtomically(dir, new Map([['top', file('t', 0o644)]]), clock), true, 'a mode change republishes');
    assert.ok(!fs.existsSync(path.join(dir, 'a')), 'the dropped top-level link is gone');
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !n.startsWith('..')), ['top']);
    assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('..2')).length, 1, 'one payload dir left');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('payload paths are validated; timestamp prefix is UTC', () => {
  assert.throws(() => validatePayloadPath('/abs'), /must be relative/);
  assert.throws(() => validatePayloadPath('a/../b'), /must not contain '\.\.'/);
  assert.throws(() => validatePayloadPath('..data'), /must not start with '\.\.'/);
  assert.throws(() => validatePayloadPath(''), /must not be empty/);
  validatePayloadPath('ok/file..name');
  assert.equal(timestampPrefix(Date.UTC(2024, 0, 2, 3, 4, 5)), '..2024_01_02_03_04_05.');
});

test('parseMountPoints unescapes mountinfo', () => {
  const text = [
    '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/root rw',
    '99 22 0:50 / /tmp/with\\040space rw - tmpfs tmpfs rw',
    '',
  ].join('\n');
  assert.deepEqual(parseMountPoints(text), ['/', '/tmp/with space']);
});
