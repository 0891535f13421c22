import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OrderedSlots } from './slots.ts';

test('at most N holders; freed slots go to the lowest order first, ties in arrival order', async () => {
  const slots = new OrderedSlots(2);
  const granted: string[] = [];
  const a = await slots.acquire(5);
  const b = await slots.acquire(9);
  const waits = [
    slots.acquire(7).then((r) => (granted.push('7'), r)),
    slots.acquire(3).then((r) => (granted.push('3'), r)),
    slots.acquire(3).then((r) => (granted.push('3b'), r)),
  ];
  await Promise.resolve();
  assert.deepEqual(granted, [], 'nobody gets a slot while both are held');
  a();
  a(); // a second release of the same slot does nothing
  const first = await waits[1];
  assert.deepEqual(granted, ['3']);
  b();
  const second = await waits[2];
  assert.deepEqual(granted, ['3', '3b']);
  first();
  second();
  (await waits[0])();
  assert.deepEqual(granted, ['3', '3b', '7']);
  // all slots free again: two immediate grants
  const x = await slots.acquire(1);
  const y = await slots.acquire(1);
  x();
  y();
});

test('with() gives the slot back when the work fails', async () => {
  const slots = new OrderedSlots(1);
  await assert.rejects(slots.with(1, async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await slots.with(2, async () => 'ok'), 'ok');
  assert.throws(() => new OrderedSlots(0), /positive integer/);
});
