// Store URL parsing and opening by scheme.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EtcdBackend } from './etcd.ts';
import { MemoryBackend } from './memory.ts';
import { openBackend, parseStoreUrl } from './open.ts';
import { SqliteBackend } from './sqlite.ts';

test('parseStoreUrl understands every supported form', () => {
  const cases: [string, unknown][] = [
    ['memory://', { kind: 'memory' }],
    ['memory:', { kind: 'memory' }],
    ['sqlite:///var/lib/skiff/state.db', { kind: 'sqlite', path: '/var/lib/skiff/state.db' }],
    ['sqlite://db/state.db', { kind: 'sqlite', path: '/data/db/state.db' }],
    ['sqlite:state.db', { kind: 'sqlite', path: '/data/state.db' }],
    ['sqlite://', { kind: 'sqlite', path: '/data/state.db' }],
    ['etcd://127.0.0.1:2379', { kind: 'etcd', endpoints: ['http://127.0.0.1:2379'] }],
    ['etcd+http://a:1,b:2/', { kind: 'etcd', endpoints: ['http://a:1', 'http://b:2'] }],
  ];
  for (const [url, want] of cases) assert.deepEqual(parseStoreUrl(url, '/data'), want, url);
});

test('parseStoreUrl rejects what it does not understand, saying why', () => {
  assert.throws(() => parseStoreUrl('postgres://x'), /unknown store URL "postgres:\/\/x": expected sqlite:\/\//);
  assert.throws(() => parseStoreUrl('/just/a/path'), /unknown store URL/);
  assert.throws(() => parseStoreUrl('etcd://host'), /"host" is not host:port/);
  assert.throws(() => parseStoreUrl('etcd:host:1'), /expected etcd:\/\/host:port/);
  assert.throws(() => parseStoreUrl('etcd+https://h:1'), /TLS is not supported/);
  assert.throws(() => parseStoreUrl('sqlite:///x.db?_journal=WAL'), /query parameters/);
});

test('openBackend opens each scheme', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-open-'));
  try {
    const mem = await openBackend('memory://');
    assert.ok(mem instanceof MemoryBackend);
    await mem.close();
    const sql = await openBackend('sqlite://nested/state.db', { dataDir: dir, retainRevisions: 0 });
    assert.ok(sql instanceof SqliteBackend);
    await sql.create('/k', 'v');
    await sql.close();
    assert.ok((await stat(join(dir, 'nested', 'state.db'))).isFile());
    const etcd = await openBackend('etcd://127.0.0.1:1'); // the client connects lazily
    assert.ok(etcd instanceof EtcdBackend);
    await etcd.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
