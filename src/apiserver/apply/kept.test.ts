// Updates that need no field-set work reuse the stored managedFields (only the writer's time
// moves). Each case is checked against the full computation: the same write with the stored
// entries sent back in reverse order (equal as a set of entries, so the full path runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { updateManagedFields, type UpdateOptions } from './index.ts';

const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T11:00:00Z');
const T2 = new Date('2024-05-01T12:00:00Z');

function opts(manager: string, now: Date, extra: Partial<UpdateOptions> = {}): UpdateOptions {
  return { manager, now, apiVersion: 'v1', kind: 'Pod', hasStatus: true, ...extra };
}

/** A stored pod created by "creator", whose status "kubelet" wrote once. */
function storedPod(): KubeObject {
  const p = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1', creationTimestamp: '2024-05-01T09:00:00Z', labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }], nodeName: 'n1' },
  } as unknown as KubeObject;
  updateManagedFields(undefined, p, opts('creator', T0));
  const s = structuredClone(p);
  s.status = { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] };
  updateManagedFields(p, s, opts('kubelet', T0, { subresource: 'status' }));
  return s;
}

/** Runs one write both ways; returns the fast result after checking it equals the full one. */
function both(change: (o: KubeObject) => void, o: UpdateOptions): unknown[] {
  const old = storedPod();
  const fast = structuredClone(old);
  change(fast);
  updateManagedFields(old, fast, o);
  const full = structuredClone(old);
  change(full);
  full.metadata.managedFields = [...(old.metadata.managedFields ?? [])].reverse();
  assert.ok((old.metadata.managedFields ?? []).length >= 2);
  updateManagedFields(old, full, o);
  assert.deepEqual(fast.metadata.managedFields, full.metadata.managedFields);
  return fast.metadata.managedFields as unknown[];
}

test('no change: the stored entries as they are, times included', () => {
  const old = storedPod();
  const out = both(() => {}, opts('someone', T1));
  assert.deepEqual(out, old.metadata.managedFields);
});

test('the owner changing its own field: same sets, the owner\'s time moves', () => {
  const out = both((o) => (o.spec.containers[0].image = 'nginx:2'), opts('creator', T1)) as any[];
  const creator = out.find((e) => e.manager === 'creator');
  assert.equal(creator.time, '2024-05-01T11:00:00Z');
  assert.equal(out[out.length - 1].manager, 'creator'); // sorted by time: now the newest
});

test('a status writer rewriting its own conditions keeps its set; spec owners untouched', () => {
  const out = both((o) => (o.status!.conditions[0].status = 'True'), opts('kubelet', T2, { subresource: 'status' })) as any[];
  const kubelet = out.find((e) => e.manager === 'kubelet');
  assert.equal(kubelet.time, '2024-05-01T12:00:00Z');
  assert.equal(kubelet.subresource, 'status');
});

test('writes that move ownership take the full path', () => {
  // Another manager changing an owned field takes it.
  let out = both((o) => (o.spec.containers[0].image = 'nginx:3'), opts('editor', T1)) as any[];
  assert.ok(out.some((e) => e.manager === 'editor'));
  // A new field is added.
  out = both((o) => (o.metadata.labels!.tier = 'x'), opts('creator', T1)) as any[];
  assert.ok(JSON.stringify(out).includes('f:tier'));
  // A field is removed from everyone.
  out = both((o) => delete o.metadata.labels!.app, opts('creator', T1)) as any[];
  assert.ok(!JSON.stringify(out).includes('f:app'));
  // A status writer writing a field first.
  out = both((o) => (o.status!.phase = 'Running'), opts('other-kubelet', T1, { subresource: 'status' })) as any[];
  assert.ok(out.some((e) => e.manager === 'other-kubelet'));
  // A main-resource write that changes only status: not claimed, nothing moves.
  out = both((o) => (o.status!.phase = 'Running'), opts('creator', T1)) as any[];
  assert.equal(out.find((e: any) => e.manager === 'creator').time, '2024-05-01T10:00:00Z');
});
