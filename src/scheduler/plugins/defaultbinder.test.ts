import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { CycleState } from '../framework/types.ts';
import { newPodInfo } from '../framework/podinfo.ts';
import { bindingFor, newDefaultBinder } from './defaultbinder.ts';
import { makePod } from './testutil.ts';

test('DefaultBinder: binds through the injected call; failures are Error statuses', async () => {
  const calls: [string, string][] = [];
  let fail = false;
  const pl = newDefaultBinder({
    bind: async (pod: KubeObject, node: string) => {
      calls.push([pod.metadata.name!, node]);
      if (fail) throw new Error('pods "p" not found');
    },
  });
  const pi = newPodInfo(makePod('p'));
  const ok = await pl.bind(new CycleState(), pi, 'n1');
  assert.equal(ok.isSuccess(), true);
  fail = true;
  const bad = await pl.bind(new CycleState(), pi, 'n2');
  assert.equal(bad.code, 'Error');
  assert.equal(bad.message(), 'pods "p" not found');
  assert.deepEqual(calls, [
    ['p', 'n1'],
    ['p', 'n2'],
  ]);
});

test('bindingFor builds the v1.Binding upstream posts', () => {
  const pod = makePod('web', { uid: 'u-1', namespace: 'prod' });
  assert.deepEqual(bindingFor(pod, 'node-7'), {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'web', namespace: 'prod', uid: 'u-1' },
    target: { kind: 'Node', name: 'node-7' },
  });
});
