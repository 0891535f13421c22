import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNodeName } from './nodename.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith } from './testutil.ts';

test('NodeName: only the named node fits', () => {
  const pl = newNodeName();
  const nodes = [nodeInfoWith(makeNode('a')), nodeInfoWith(makeNode('b'))];
  assert.deepEqual(filterReasons(pl, makePod('p'), nodes), { a: '', b: '' });
  assert.deepEqual(filterReasons(pl, makePod('p', { nodeName: 'b' }), nodes), { a: 'UnschedulableAndUnresolvable: not in PreFilterResult', b: '' });
  // The filter alone, as upstream.
  const st = pl.filter(undefined as never, { pod: makePod('p', { nodeName: 'b' }) } as never, nodes[0]!);
  assert.equal(st.message(), "node(s) didn't match the requested node name");
  const [ev] = pl.eventsToRegister();
  assert.equal(ev!.hint!(makePod('p', { nodeName: 'b' }), undefined, makeNode('b')), 'Queue');
  assert.equal(ev!.hint!(makePod('p', { nodeName: 'b' }), undefined, makeNode('a')), 'QueueSkip');
});
