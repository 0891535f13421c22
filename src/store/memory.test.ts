// Runs the shared conformance suite against memory:// plus memory-specific checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConformance } from './conformance.ts';
import { MemoryBackend } from './memory.ts';

runConformance('memory', async () => {
  const backend = new MemoryBackend({ retainRevisions: 0 });
  return { backend, cleanup: () => backend.close() };
});

test('memory: an empty store is at revision 0 with nothing compacted', async () => {
  const b = new MemoryBackend({ retainRevisions: 0 });
  try {
    assert.equal(await b.currentRevision(), 0);
    assert.equal(await b.compactRevision(), 0);
    assert.deepEqual(await b.list('/'), { items: [], revision: 0, more: false });
  } finally {
    await b.close();
  }
});

test('memory: auto-compaction keeps retainRevisions of history under churn', async () => {
  const b = new MemoryBackend({ retainRevisions: 50, compactIntervalMs: 3600_000 });
  try {
    let kv = await b.create('/k', '0');
    for (let i = 1; i <= 500; i++) kv = await b.update('/k', String(i), kv.modRevision);
    // The backlog trigger compacts on the next turn of the event loop once 1.25 × retain is exceeded.
    await new Promise((resolve) => setImmediate(resolve));
    const compacted = await b.compactRevision();
    const current = await b.currentRevision();
    assert.ok(current - compacted <= 50 + 13 + 1, `backlog ${current - compacted}`);
    assert.equal((await b.get('/k'))?.value, '500');
  } finally {
    await b.close();
  }
});
