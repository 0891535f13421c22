import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { humanSize, runImages } from './images.ts';
import type { ImagesIO } from './images.ts';
import { writeDockerArchive, writeOciArchive } from '../agent/images/testimage.ts';

function capture(): ImagesIO & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

test('humanSize prints like crictl', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1088124), '1.09MB');
  assert.equal(humanSize(2_160_000), '2.16MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
});

test('skiff images import, ls, rm', async (t) => {
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'skiff-cmdimages-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const oci = await writeOciArchive(path.join(dir, 'a.tar'), { name: 'skiff.test/cmd/oci:v1' });
  await writeDockerArchive(path.join(dir, 'b.tar'), { name: 'cmdbox:v2', extraLayers: [{ entries: [{ path: 'x', data: 'y' }] }] });

  const imp = capture();
  await runImages(['import', '--data-dir', dataDir, path.join(dir, 'a.tar'), path.join(dir, 'b.tar')], imp);
  assert.equal(imp.stdout, 'imported skiff.test/cmd/oci:v1\nimported docker.io/library/cmdbox:v2\n');

  const ls = capture();
  await runImages(['ls', '--data-dir', dataDir], ls);
  const lines = ls.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^docker\.io\/library\/cmdbox\s+v2\s+[0-9a-f]{13}\s+[\d.]+MB$/);
  assert.match(lines[2]!, new RegExp(`^skiff\\.test/cmd/oci\\s+v1\\s+${oci.id.slice(7, 20)}\\s+[\\d.]+MB$`));

  const rm = capture();
  await runImages(['rm', '--data-dir', dataDir, 'cmdbox:v2', oci.id.slice(7, 19)], rm);
  assert.equal(rm.stderr, '');
  const after = capture();
  await runImages(['ls', '-q', '--data-dir', dataDir], after);
  assert.equal(after.stdout, '');

  const missing = capture();
  const before = process.exitCode;
  await runImages(['rm', '--data-dir', dataDir, 'cmdbox:v2'], missing);
  assert.match(missing.stderr, /no such image: "cmdbox:v2"/);
  assert.equal(process.exitCode, 1);
  process.exitCode = before;
});
