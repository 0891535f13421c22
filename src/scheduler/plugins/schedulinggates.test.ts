import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../framework/types.ts';
import { newSchedulingGates } from './schedulinggates.ts';
import { makePod } from './testutil.ts';

test('SchedulingGates: PreEnqueue holds gated pods with upstream message', () => {
  const pl = newSchedulingGates();
  const cases: [string, any[] | undefined, string, string][] = [
    ['no gates', undefined, Code.Success, ''],
    ['empty list', [], Code.Success, ''],
    ['one gate', [{ name: 'example.com/a' }], Code.Pending, 'waiting for scheduling gates: [example.com/a]'],
    ['two gates', [{ name: 'a' }, { name: 'b' }], Code.Pending, 'waiting for scheduling gates: [a b]'],
  ];
  for (const [name, gates, code, msg] of cases) {
    const st = pl.preEnqueue(makePod('p', { spec: gates ? { schedulingGates: gates } : {} }));
    assert.equal(st.code, code, name);
    assert.equal(st.message(), msg, name);
  }
});

test('SchedulingGates: requeued when its own last gate goes', () => {
  const pl = newSchedulingGates();
  const [reg] = pl.eventsToRegister();
  assert.deepEqual(reg!.event, { resource: 'Pod', action: 'UpdatePodSchedulingGatesEliminated' });
  const pod = makePod('p', { uid: 'u', spec: { schedulingGates: [{ name: 'a' }] } });
  const ungated = makePod('p', { uid: 'u' });
  assert.equal(reg!.hint!(pod, pod, ungated), 'Queue');
  assert.equal(reg!.hint!(pod, pod, pod), 'QueueSkip');
  assert.equal(reg!.hint!(pod, undefined, makePod('other', { uid: 'v' })), 'QueueSkip');
});
