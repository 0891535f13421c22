import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from './history.ts';
import { ChangeRecord } from './event.ts';
import { JsonMemo } from './json-memo.ts';

const memo = new JsonMemo();
function change(rev: number): ChangeRecord {
  return new ChangeRecord(rev, `/k/${rev}`, '', 'ADDED', { metadata: { name: String(rev) } }, undefined, memo);
}

test('history replays changes after a revision and tracks its floor as it evicts', () => {
  const h = new History(3);
  h.reset(10);
  assert.equal(h.floor, 10);
  for (const r of [12, 15, 17]) h.push(change(r));
  assert.deepEqual([...h.since(10)].map((c) => c.revision), [12, 15, 17]);
  assert.deepEqual([...h.since(12)].map((c) => c.revision), [15, 17]);
  assert.deepEqual([...h.since(13)].map((c) => c.revision), [15, 17]);
  assert.deepEqual([...h.since(17)].map((c) => c.revision), []);
  h.push(change(20)); // evicts 12
  assert.equal(h.floor, 12);
  assert.equal(h.size, 3);
  assert.deepEqual([...h.since(12)].map((c) => c.revision), [15, 17, 20]);
  h.push(change(21));
  h.push(change(22));
  h.push(change(23));
  assert.equal(h.floor, 20);
  assert.deepEqual([...h.since(0)].map((c) => c.revision), [21, 22, 23]);
  h.reset(30);
  assert.equal(h.floor, 30);
  assert.equal(h.size, 0);
});

test('history rejects a non-positive capacity', () => {
  assert.throws(() => new History(0), RangeError);
});
