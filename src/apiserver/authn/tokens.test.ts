import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTokenFile, loadTokenFile, parseTokenFile } from './tokens.ts';

test('parses the upstream token file format', () => {
  const text = [
    'tok1,alice,uid-1,"dev,ops"',
    '',
    'tok2,bob,uid-2',
    'tok3,carol,,"single"',
    ',nobody,uid-4', // empty token: skipped
    '"tok,5",dave,uid-5,"a, b ,,c"',
    'tok6,"e""f",uid-6\r',
    'tok7,last,uid-7',
  ].join('\n');
  assert.deepEqual(parseTokenFile(text), [
    { token: 'tok1', user: { name: 'alice', uid: 'uid-1', groups: ['dev', 'ops'] } },
    { token: 'tok2', user: { name: 'bob', uid: 'uid-2', groups: [] } },
    { token: 'tok3', user: { name: 'carol', groups: ['single'] } },
    { token: 'tok,5', user: { name: 'dave', uid: 'uid-5', groups: ['a', 'b', 'c'] } },
    { token: 'tok6', user: { name: 'e"f', uid: 'uid-6', groups: [] } },
    { token: 'tok7', user: { name: 'last', uid: 'uid-7', groups: [] } },
  ]);
});

test('rejects records with fewer than three fields and broken quotes', () => {
  assert.throws(() => parseTokenFile('ok,a,b\ntok,user\n'), /line 2: must have at least 3 columns/);
  assert.throws(() => parseTokenFile('tok,a,b,"unterminated\n'), /unterminated/);
});

test('ensureTokenFile creates a private file once and returns its admin token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tokens-'));
  try {
    const path = join(dir, 'token.csv');
    const token = await ensureTokenFile(path);
    assert.match(token ?? '', /^[0-9a-f]{64}$/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readFile(path, 'utf8'), `${token},admin,admin,"system:masters"\n`);
    assert.equal(await ensureTokenFile(path), token);

    const auth = await loadTokenFile(path);
    assert.deepEqual(auth.authenticate({ headers: { authorization: `Bearer ${token}` } }), {
      name: 'admin',
      uid: 'admin',
      groups: ['system:masters'],
    });

    const custom = join(dir, 'custom.csv');
    await writeFile(custom, 'abc,bob,1\n');
    assert.equal(await ensureTokenFile(custom), undefined);
    assert.equal(await readFile(custom, 'utf8'), 'abc,bob,1\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
