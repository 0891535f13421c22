import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { newVolumeBinding } from './volumebinding.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith } from './testutil.ts';

const R = 'UnschedulableAndUnresolvable: ';

test('VolumeBinding placeholder: claims must exist and be bound', () => {
  const pvcs: Record<string, KubeObject> = {
    bound: { metadata: { name: 'bound', namespace: 'default' }, spec: { volumeName: 'pv-1' } },
    pending: { metadata: { name: 'pending', namespace: 'default' }, spec: {} },
    gone: { metadata: { name: 'gone', namespace: 'default', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { volumeName: 'pv-2' } },
    'p-scratch': { metadata: { name: 'p-scratch', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', controller: true, uid: 'pod-uid' }] }, spec: { volumeName: 'pv-3' } },
  };
  const pl = newVolumeBinding({ getPVC: (_ns, name) => pvcs[name] });
  const nodes = [nodeInfoWith(makeNode('n1'))];
  const claim = (claimName: string) => ({ name: claimName, persistentVolumeClaim: { claimName } });
  const cases: [string, any[], Record<string, string>][] = [
    ['no volumes: skipped', [], { n1: '' }],
    ['emptyDir only: skipped', [{ name: 'tmp', emptyDir: {} }], { n1: '' }],
    ['bound claim', [claim('bound')], { n1: '' }],
    ['unbound claim', [claim('bound'), claim('pending')], { preFilter: `${R}pod has unbound immediate PersistentVolumeClaims` }],
    ['missing claim', [claim('nope')], { preFilter: `${R}persistentvolumeclaim "nope" not found` }],
    ['claim being deleted', [claim('gone')], { preFilter: `${R}persistentvolumeclaim "gone" is being deleted` }],
    ['ephemeral volume claim owned by the pod', [{ name: 'scratch', ephemeral: { volumeClaimTemplate: {} } }], { n1: '' }],
    [
      'ephemeral volume claim not created yet',
      [{ name: 'other', ephemeral: { volumeClaimTemplate: {} } }],
      { preFilter: `${R}waiting for ephemeral volume controller to create the persistentvolumeclaim "p-other"` },
    ],
  ];
  for (const [name, volumes, want] of cases) {
    assert.deepEqual(filterReasons(pl, makePod('p', { uid: 'pod-uid', spec: { volumes } }), nodes), want, name);
  }
});
