import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { applyPatch, defaultManager, fieldManagerError, LAST_APPLIED, updateManagedFields, type ApplyOptions } from './index.ts';

const T0 = new Date('2024-05-01T10:00:00.250Z');
const T1 = new Date('2024-05-01T11:00:00Z');
const T2 = new Date('2024-05-01T12:00:00Z');

function opts(manager: string, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return { manager, force: false, now: T0, group: 'apps', version: 'v1', kind: 'Deployment', ...extra };
}

function deployment(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...metadata },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
      },
      ...spec,
    },
  };
}

/** What the registry adds when it stores a new object. */
function stored(obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  o.metadata.uid = 'uid-1';
  o.metadata.creationTimestamp = '2024-05-01T09:00:00Z';
  o.metadata.resourceVersion = '10';
  return o;
}

function entries(obj: KubeObject): any[] {
  return (obj.metadata.managedFields ?? []) as any[];
}

function entry(obj: KubeObject, manager: string, operation?: string): any {
  return entries(obj).find((e) => e.manager === manager && (!operation || e.operation === operation));
}

function conflictOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${e}`);
    return e;
  }
  assert.fail('expected a conflict');
}

// ---- apply ----

test('create by apply: the applier owns exactly what it applied', () => {
  const out = applyPatch(undefined, deployment(), opts('kubectl'));
  assert.equal(out.spec.replicas, 3);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'main', image: 'nginx:1.27' }]);
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
});

test('re-applying the same configuration changes nothing, byte for byte', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  const again = applyPatch(live, deployment(), opts('kubectl', { now: T1 }));
  assert.equal(JSON.stringify(again), JSON.stringify(live));
});

test('applying without a field removes it; without a label removes the label', () => {
  const first = deployment({}, { labels: { app: 'web', tier: 'front' } });
  first.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
  const live = stored(applyPatch(undefined, first, opts('kubectl')));
  const second = deployment({}, { labels: { app: 'web' } });
  delete second.spec.replicas;
  second.spec.template.spec.containers[0].env = [{ name: 'B', value: '2' }];
  const out = applyPatch(live, second, opts('kubectl', { now: T1 }));
  assert.equal(out.spec.replicas, undefined);
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.deepEqual(out.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
  assert.equal(entry(out, 'kubectl').time, '2024-05-01T11:00:00Z');
  assert.equal(entry(out, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined);
});

test('a field another manager also owns is kept when one applier drops it', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('alice')));
  const shared = applyPatch(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } } as KubeObject, opts('bob'));
  const dropped = deployment();
  delete dropped.spec.replicas;
  const out = applyPatch(stored(shared), dropped, opts('alice', { now: T1 }));
  assert.equal(out.spec.replicas, 3, 'bob still owns it');
  assert.deepEqual(entry(out, 'bob').fieldsV1, { 'f:spec': { 'f:replicas': {} } });
});

test('two appliers setting the same value share the field, without conflict', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('alice')));
  const out = applyPatch(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } } as KubeObject, opts('bob', { now: T1 }));
  assert.ok(entry(out, 'alice').fieldsV1['f:spec']['f:replicas']);
  assert.deepEqual(entry(out, 'bob').fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  assert.equal(entry(out, 'bob').time, undefined, 'an apply that changes nothing records no time (as upstream)');
});

test('a different value conflicts with the exact causes; force takes the field', () => {
  const created = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  const edited = structuredClone(created);
  edited.spec.replicas = 5;
  updateManagedFields(created, edited, { manager: 'kubectl-client-side-apply', now: T1, apiVersion: 'apps/v1' });

  const err = conflictOf(() => applyPatch(edited, deployment(), opts('kubectl', { now: T2 })));
  assert.equal(err.httpCode, 409);
  assert.equal(err.reason, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(err.details, {
    causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }],
  });

  const forced = applyPatch(edited, deployment(), opts('kubectl', { now: T2, force: true }));
  assert.equal(forced.spec.replicas, 3);
  assert.equal(entry(forced, 'kubectl-client-side-apply'), undefined, 'the loser owned nothing else and is dropped');
  assert.ok(entry(forced, 'kubectl').fieldsV1['f:spec']['f:replicas']);
});

test('several conflicts: grouped by manager in the message, one cause each', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('alice')));
  const cfg = deployment({ replicas: 9 });
  cfg.spec.template.spec.containers[0].image = 'nginx:2';
  const err = conflictOf(() => applyPatch(live, cfg, opts('bob')));
  assert.equal(
    err.message,
    'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.replicas\n- .spec.template.spec.containers[name="main"].image',
  );
  assert.deepEqual(err.details?.causes?.map((c) => c.field), ['.spec.replicas', '.spec.template.spec.containers[name="main"].image']);
  assert.deepEqual(err.details?.causes?.map((c) => c.message), ['conflict with "alice"', 'conflict with "alice"']);
});

test('list-map merge: appliers own their own containers; dropping one removes only it', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('alice')));
  const sidecar = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy' }] } } },
  } as KubeObject;
  const both = stored(applyPatch(live, sidecar, opts('bob')));
  assert.deepEqual(both.spec.template.spec.containers.map((c: any) => c.name), ['main', 'sidecar']);
  const bobGone = applyPatch(both, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } } as KubeObject, opts('bob', { now: T1 }));
  assert.deepEqual(bobGone.spec.template.spec.containers, [{ name: 'main', image: 'nginx:1.27' }]);
  assert.equal(entry(bobGone, 'bob'), undefined);
});

test('set lists: finalizers from two appliers accumulate and are removed per owner', () => {
  const cm = (finalizers: string[]): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers }, data: { a: '1' } });
  const o = (m: string, now = T0): ApplyOptions => ({ manager: m, force: false, now, group: '', version: 'v1', kind: 'ConfigMap' });
  const live = stored(applyPatch(undefined, cm(['x/a']), o('alice')));
  const both = stored(applyPatch(live, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['x/b'] } } as KubeObject, o('bob')));
  assert.deepEqual(both.metadata.finalizers, ['x/a', 'x/b']);
  assert.deepEqual(entry(both, 'bob').fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"x/b"': {} } } });
  const out = applyPatch(both, cm([]), o('alice', T1));
  assert.deepEqual(out.metadata.finalizers, ['x/b']);
  assert.deepEqual(out.data, { a: '1' });
});

test('container ports are keyed by containerPort and protocol (protocol defaulting to TCP)', () => {
  const cfg = deployment();
  cfg.spec.template.spec.containers[0].ports = [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 53 }];
  const out = applyPatch(undefined, cfg, opts('kubectl'));
  const ports = entry(out, 'kubectl').fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"main"}']['f:ports'];
  assert.deepEqual(Object.keys(ports), ['k:{"containerPort":53,"protocol":"TCP"}', 'k:{"containerPort":53,"protocol":"UDP"}']);
});

test('status is not owned through the main resource; the status subresource owns only status', () => {
  const cfg = deployment();
  cfg.status = { replicas: 3 };
  const out = applyPatch(undefined, cfg, opts('kubectl', { hasStatus: true }));
  assert.equal(entry(out, 'kubectl').fieldsV1['f:status'], undefined);

  const live = stored(applyPatch(undefined, deployment(), opts('kubectl', { hasStatus: true })));
  const statusCfg = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, status: { readyReplicas: 2 } } as KubeObject;
  const st = applyPatch(live, statusCfg, opts('controller', { subresource: 'status', hasStatus: true }));
  assert.deepEqual(entry(st, 'controller'), {
    manager: 'controller',
    operation: 'Apply',
    apiVersion: 'apps/v1',
    time: '2024-05-01T10:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:readyReplicas': {} } },
    subresource: 'status',
  });
});

test('apply errors: another kind, managedFields in the body, duplicate keys', () => {
  const wrong = { ...deployment(), kind: 'ReplicaSet' };
  assert.throws(() => applyPatch(undefined, wrong, opts('k')), (e: unknown) => e instanceof ApiError && e.httpCode === 400 && e.message === 'invalid object type: apps/v1, Kind=ReplicaSet');
  const withMf = deployment({}, { managedFields: [] });
  assert.throws(() => applyPatch(undefined, withMf, opts('k')), (e: unknown) => e instanceof ApiError && e.httpCode === 400 && e.message === 'metadata.managedFields must be nil');
  const dup = deployment();
  dup.spec.template.spec.containers.push({ name: 'main', image: 'x' });
  assert.throws(
    () => applyPatch(undefined, dup, opts('k')),
    (e: unknown) =>
      e instanceof ApiError &&
      e.httpCode === 500 &&
      e.message === 'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="main"]',
  );
});

test('an object nobody manages yet: its fields belong to "before-first-apply"', () => {
  const legacy = stored(deployment());
  const err = conflictOf(() => applyPatch(legacy, deployment({ replicas: 1 }), opts('kubectl')));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  const same = applyPatch(legacy, deployment(), opts('kubectl'));
  assert.ok(entry(same, 'before-first-apply', 'Update'));
  assert.ok(entry(same, 'kubectl', 'Apply'));
});

// ---- client-side apply → server-side apply ----

/** A Deployment as `kubectl apply` (client-side) creates it: with the annotation, owned by kubectl-client-side-apply. */
function createdByClientSideApply(): KubeObject {
  const manifest = deployment();
  const annotation = JSON.stringify({ ...manifest, metadata: { annotations: {}, name: 'web', namespace: 'default' } }) + '\n';
  const obj = deployment({}, { annotations: { [LAST_APPLIED]: annotation } });
  const created = stored(obj);
  updateManagedFields(undefined, created, { manager: 'kubectl-client-side-apply', now: T0, apiVersion: 'apps/v1' });
  return created;
}

test('kubectl apply --server-side after client-side apply: takes over changed fields without conflict', () => {
  const live = createdByClientSideApply();
  const out = applyPatch(live, deployment({ replicas: 5 }), opts('kubectl', { now: T1 }));
  assert.equal(out.spec.replicas, 5);
  assert.ok(entry(out, 'kubectl', 'Apply').fieldsV1['f:spec']['f:replicas']);
  assert.equal(entry(out, 'kubectl-client-side-apply').fieldsV1['f:spec']['f:replicas'], undefined);
  // The annotation now records the server-side applied configuration.
  const annotation = JSON.parse(out.metadata.annotations![LAST_APPLIED]!);
  assert.equal(annotation.spec.replicas, 5);
});

test('the kubectl-last-applied apply of the annotation alone just works', () => {
  const live = stored(applyPatch(createdByClientSideApply(), deployment({ replicas: 5 }), opts('kubectl', { now: T1 })));
  const value = live.metadata.annotations![LAST_APPLIED]!;
  const justAnnotation = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', annotations: { [LAST_APPLIED]: value } },
  } as KubeObject;
  const out = applyPatch(live, justAnnotation, opts('kubectl-last-applied', { now: T2 }));
  assert.equal(out.metadata.annotations![LAST_APPLIED], value);
  assert.deepEqual(entry(out, 'kubectl-last-applied', 'Apply').fieldsV1, {
    'f:metadata': { 'f:annotations': { [`f:${LAST_APPLIED}`]: {} } },
  });
  assert.deepEqual(out.spec, live.spec, 'nothing else changes');
});

test('kubectl migration patch rewriting managedFields is honoured, and the re-apply is a no-op', () => {
  const live = stored(applyPatch(createdByClientSideApply(), deployment({ replicas: 5 }), opts('kubectl', { now: T1 })));
  // kubectl moves kubectl-client-side-apply's fields into its Apply entry (a JSON patch of managedFields).
  const mf = entries(live).map((e) => structuredClone(e));
  const csa = mf.find((e) => e.manager === 'kubectl-client-side-apply');
  const ssa = mf.find((e) => e.manager === 'kubectl');
  ssa.fieldsV1 = { ...csa.fieldsV1, ...ssa.fieldsV1, 'f:spec': { ...csa.fieldsV1['f:spec'], ...ssa.fieldsV1['f:spec'] } };
  const next = structuredClone(live);
  next.metadata.managedFields = mf.filter((e) => e !== csa);
  updateManagedFields(live, next, { manager: 'kubectl', now: T2, apiVersion: 'apps/v1' });
  assert.deepEqual(entries(next).map((e) => `${e.manager}/${e.operation}`), ['kubectl/Apply']);
  const again = applyPatch(stored(next), deployment({ replicas: 5 }), opts('kubectl', { now: T2 }));
  assert.deepEqual(again.spec, next.spec);
});

test('a field changed after client-side apply by someone else still conflicts', () => {
  const live = createdByClientSideApply();
  const scaled = structuredClone(live);
  scaled.spec.replicas = 7;
  updateManagedFields(live, scaled, { manager: 'kubectl-scale', now: T1, apiVersion: 'apps/v1', subresource: 'scale' });
  const err = conflictOf(() => applyPatch(scaled, deployment({ replicas: 5 }), opts('kubectl', { now: T2 })));
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" with subresource "scale" using apps/v1: .spec.replicas');
});

test('another manager name does not get the client-side-apply takeover', () => {
  const err = conflictOf(() => applyPatch(createdByClientSideApply(), deployment({ replicas: 5 }), opts('my-manager')));
  assert.match(err.message, /conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.replicas$/);
});

// ---- updates ----

test('create by update: the writer owns everything it set, defaults included, in upstream shape', () => {
  const obj = deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } }, { labels: { app: 'web' } });
  obj.spec.template.spec.containers[0].resources = {};
  obj.status = {};
  updateManagedFields(undefined, obj, { manager: 'kubectl-create', now: T0, apiVersion: 'apps/v1' });
  assert.deepEqual(entries(obj), [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2024-05-01T10:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} } } },
          },
        },
      },
    },
  ]);
});

test('kubectl edit changing replicas takes the field from the applier', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  const edited = structuredClone(live);
  edited.spec.replicas = 4;
  updateManagedFields(live, edited, { manager: 'kubectl-edit', now: T1, apiVersion: 'apps/v1' });
  assert.equal(entry(edited, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined);
  assert.deepEqual(entry(edited, 'kubectl-edit'), {
    manager: 'kubectl-edit',
    operation: 'Update',
    apiVersion: 'apps/v1',
    time: '2024-05-01T11:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  });
  assert.deepEqual(entries(edited).map((e) => e.manager), ['kubectl', 'kubectl-edit'], 'Apply entries sort before Update ones');
});

test('an update removing a field takes it from every owner; a no-op update changes nothing', () => {
  const live = stored(applyPatch(undefined, deployment({}, { labels: { a: '1', b: '2' } }), opts('kubectl')));
  const next = structuredClone(live);
  delete next.metadata.labels!.b;
  updateManagedFields(live, next, { manager: 'kubectl-label', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(entry(next, 'kubectl').fieldsV1['f:metadata'], { 'f:labels': { 'f:a': {} } });
  assert.equal(entry(next, 'kubectl-label'), undefined, 'removing grants nothing');

  const same = structuredClone(live);
  updateManagedFields(live, same, { manager: 'someone', now: T2, apiVersion: 'apps/v1' });
  assert.equal(JSON.stringify(same), JSON.stringify(live));
});

test('managedFields in the request: kept when sent back unchanged, reset by [{}], rewritten when changed', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  const put = structuredClone(live);
  updateManagedFields(live, put, { manager: 'kubectl-replace', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(put.metadata.managedFields, live.metadata.managedFields);

  const reset = structuredClone(live);
  reset.metadata.managedFields = [{}];
  reset.spec.replicas = 1;
  updateManagedFields(live, reset, { manager: 'resetter', now: T1, apiVersion: 'apps/v1' });
  // As upstream's code does (its docs say otherwise): a reset object is no longer tracked.
  assert.equal(reset.metadata.managedFields, undefined);

  const invalid = structuredClone(live);
  invalid.metadata.managedFields = [{ manager: 'x', operation: 'Bogus' }];
  updateManagedFields(live, invalid, { manager: 'y', now: T1, apiVersion: 'apps/v1' });
  assert.deepEqual(invalid.metadata.managedFields, live.metadata.managedFields, 'undecodable entries fall back to the stored ones');
});

test('status writes are recorded with subresource "status" and own only status', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('kubectl', { hasStatus: true })));
  const next = structuredClone(live);
  next.status = { replicas: 3, readyReplicas: 3 };
  updateManagedFields(live, next, { manager: 'kube-controller-manager', now: T1, apiVersion: 'apps/v1', subresource: 'status', hasStatus: true });
  assert.deepEqual(entry(next, 'kube-controller-manager'), {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'apps/v1',
    time: '2024-05-01T11:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { '.': {}, 'f:readyReplicas': {}, 'f:replicas': {} } },
    subresource: 'status',
  });
  // The same status change through the main resource is not credited to anyone.
  const main = structuredClone(live);
  main.status = { replicas: 3 };
  updateManagedFields(live, main, { manager: 'x', now: T1, apiVersion: 'apps/v1', hasStatus: true });
  assert.equal(entry(main, 'x'), undefined);
});

test('an existing object without managedFields stays untracked by updates', () => {
  const legacy = stored(deployment());
  const next = structuredClone(legacy);
  next.spec.replicas = 2;
  updateManagedFields(legacy, next, { manager: 'x', now: T1, apiVersion: 'apps/v1' });
  assert.equal(next.metadata.managedFields, undefined);
});

test('more than ten Update managers: the oldest merge into "ancient-changes"', () => {
  let live = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  for (let i = 0; i < 13; i++) {
    const next = structuredClone(live);
    next.metadata.labels = { ...(next.metadata.labels ?? {}), [`l${i}`]: 'x' };
    updateManagedFields(live, next, { manager: `m${i}`, now: new Date(T1.getTime() + i * 1000), apiVersion: 'apps/v1' });
    live = next;
  }
  const managers = entries(live).map((e) => e.manager);
  assert.equal(managers.filter((m) => m !== 'kubectl').length, 10);
  assert.ok(managers.includes('ancient-changes'));
  assert.ok(!managers.includes('m0') && !managers.includes('m3') && managers.includes('m4'));
  assert.deepEqual(Object.keys(entry(live, 'ancient-changes').fieldsV1['f:metadata']['f:labels']).sort(), ['.', 'f:l0', 'f:l1', 'f:l2', 'f:l3']);
});

test('managedFields keep their place in metadata, so stored objects stay byte-identical', () => {
  const live = stored(applyPatch(undefined, deployment(), opts('kubectl')));
  const keys = Object.keys(live.metadata);
  const again = applyPatch(live, deployment(), opts('kubectl', { now: T1 }));
  assert.deepEqual(Object.keys(again.metadata), keys);
});

// ---- manager names ----

test('defaultManager: the User-Agent up to the first "/"', () => {
  assert.equal(defaultManager('kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'kubectl');
  assert.equal(defaultManager('kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:deployment-controller'), 'kube-controller-manager');
  assert.equal(defaultManager('Mozilla\u0007Bot'), 'MozillaBot');
  assert.equal(defaultManager('x'.repeat(200)), 'x'.repeat(128));
  assert.equal(defaultManager(undefined), '');
  const obj = deployment();
  updateManagedFields(undefined, obj, { manager: defaultManager(undefined), now: T0, apiVersion: 'apps/v1' });
  assert.equal(entries(obj)[0].manager, 'unknown');
});

test('fieldManagerError: apply needs a manager, force only with apply, printable and short', () => {
  assert.equal(fieldManagerError('patch', '', { apply: true })?.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  assert.equal(fieldManagerError('patch', 'x', { force: true })?.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  assert.equal(fieldManagerError('create', 'x'.repeat(129))?.httpCode, 422);
  assert.equal(fieldManagerError('update', 'kubectl-edit'), undefined);
  assert.equal(fieldManagerError('patch', 'kubectl', { apply: true, force: true }), undefined);
});
