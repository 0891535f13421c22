import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './lines.ts';
import { AsyncQueue } from './asyncqueue.ts';

test('lines: chunks cut anywhere give the same lines', () => {
  const text = '{"type":"ADDED","object":{"a":"é"}}\n{"type":"MODIFIED"}\r\n\n{"type":"DELETED"}\npartial';
  for (let size = 1; size <= text.length; size++) {
    const s = new LineSplitter();
    const out: string[] = [];
    for (let i = 0; i < text.length; i += size) out.push(...s.push(text.slice(i, i + size)));
    out.push(...s.end());
    assert.deepEqual(out, ['{"type":"ADDED","object":{"a":"é"}}', '{"type":"MODIFIED"}', '{"type":"DELETED"}', 'partial'], `chunk size ${size}`);
  }
});

test('asyncqueue: order, end, error once, early return calls onReturn', async () => {
  const q = new AsyncQueue<number>();
  q.push(1);
  q.push(2);
  const seen: number[] = [];
  const reading = (async () => {
    for await (const v of q) seen.push(v);
  })();
  await Promise.resolve();
  q.push(3);
  q.end();
  q.push(4); // dropped
  await reading;
  assert.deepEqual(seen, [1, 2, 3]);

  const failing = new AsyncQueue<number>();
  failing.push(1);
  failing.end(new Error('boom'));
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const v of failing) got.push(v);
    })(),
    /boom/,
  );
  assert.deepEqual(got, [1]);

  let returned = 0;
  const early = new AsyncQueue<string>({ onReturn: () => returned++, sizeOf: (s) => s.length });
  early.push('ab');
  early.push('cde');
  assert.equal(early.weight, 5);
  for await (const v of early) {
    assert.equal(v, 'ab');
    assert.equal(early.weight, 3);
    break;
  }
  assert.equal(returned, 1);
  assert.equal(early.isEnded, true);
});
