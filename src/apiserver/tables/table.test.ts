import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { buildTable, rfc3339 } from './table.ts';

const now = new Date('2026-03-01T12:00:00Z');

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'default',
    uid: 'b7d3',
    resourceVersion: '1007',
    labels: { app: 'web' },
    creationTimestamp: '2026-03-01T11:59:28Z',
    managedFields: [{ manager: 'kubectl' }],
  },
  spec: { nodeName: 'node-1', containers: [{ name: 'a' }, { name: 'b' }] },
  status: {
    phase: 'Running',
    podIPs: [{ ip: '10.244.0.69' }],
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
      { name: 'b', ready: true, restartCount: 0, state: { running: {} } },
    ],
  },
};

test('pod table with PartialObjectMetadata rows by default', () => {
  const table: any = buildTable({ group: '', plural: 'pods' }, [pod], { now, resourceVersion: '1008', continue: 'abc' });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '1008', continue: 'abc' });
  assert.deepEqual(Object.keys(table), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.deepEqual(table.columnDefinitions[0], {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: table.columnDefinitions[0].description,
    priority: 0,
  });
  assert.ok(table.columnDefinitions.every((c: any) => Object.keys(c).join() === 'name,type,format,description,priority'));
  assert.deepEqual(table.rows, [
    {
      cells: ['web-1', '2/2', 'Running', '0', '32s', '10.244.0.69', 'node-1', '<none>', '<none>'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata },
    },
  ]);
  // Serialises to what kubectl reads.
  const wire = JSON.parse(JSON.stringify(table));
  assert.equal(wire.rows[0].object.metadata.labels.app, 'web');
});

test('includeObject=Object carries the full object; None omits it', () => {
  const full: any = buildTable({ group: '', plural: 'pods' }, [pod], { now, includeObject: 'Object' });
  assert.equal(full.rows[0].object, pod);
  const none: any = buildTable({ group: '', plural: 'pods' }, [pod], { now, includeObject: 'None' });
  assert.equal('object' in none.rows[0], false);
});

test('noHeaders leaves out column definitions; list metadata passes through', () => {
  const t: any = buildTable({ group: 'apps', plural: 'deployments' }, [], { now, noHeaders: true, resourceVersion: '5', remainingItemCount: 12 });
  assert.deepEqual(t, { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '5', remainingItemCount: 12 }, rows: [] });
});

test('finished pods carry row conditions', () => {
  const done = { ...pod, status: { phase: 'Succeeded', containerStatuses: [] } };
  const t: any = buildTable({ group: '', plural: 'pods' }, [done], { now });
  assert.equal(t.rows[0].conditions[0].type, 'Completed');
  assert.equal(t.rows[0].conditions[0].status, 'True');
});

test('resources without a printer get Name and Created At', () => {
  const role: KubeObject = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'reader', namespace: 'default', creationTimestamp: '2026-02-21T23:34:49.512Z' },
    rules: [],
  };
  const t: any = buildTable({ group: 'rbac.authorization.k8s.io', plural: 'roles' }, [role, { metadata: { name: 'bare' } }], { now });
  assert.deepEqual(
    t.columnDefinitions.map((c: any) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Created At', 'date', '', 0],
    ],
  );
  assert.deepEqual(t.rows.map((r: any) => r.cells), [
    ['reader', '2026-02-21T23:34:49Z'],
    ['bare', '0001-01-01T00:00:00Z'],
  ]);
  for (const plural of ['clusterroles', 'limitranges']) {
    const group = plural === 'limitranges' ? '' : 'rbac.authorization.k8s.io';
    assert.equal(buildTable({ group, plural }, [], { now }).columnDefinitions?.[1]?.name, 'Created At', plural);
  }
});

test('every registered printer gives one cell per column, even for a bare object', () => {
  const resources: [string, string][] = [
    ['', 'pods'], ['', 'podtemplates'], ['', 'nodes'], ['', 'namespaces'], ['', 'services'], ['', 'endpoints'], ['', 'events'],
    ['events.k8s.io', 'events'], ['', 'configmaps'], ['', 'secrets'], ['', 'serviceaccounts'], ['', 'persistentvolumes'],
    ['', 'persistentvolumeclaims'], ['', 'replicationcontrollers'], ['', 'resourcequotas'], ['', 'componentstatuses'],
    ['apps', 'deployments'], ['apps', 'replicasets'], ['apps', 'statefulsets'], ['apps', 'daemonsets'], ['apps', 'controllerrevisions'],
    ['batch', 'jobs'], ['batch', 'cronjobs'], ['autoscaling', 'horizontalpodautoscalers'], ['coordination.k8s.io', 'leases'],
    ['discovery.k8s.io', 'endpointslices'], ['networking.k8s.io', 'ingresses'], ['networking.k8s.io', 'ingressclasses'],
    ['networking.k8s.io', 'networkpolicies'], ['rbac.authorization.k8s.io', 'rolebindings'],
    ['rbac.authorization.k8s.io', 'clusterrolebindings'], ['policy', 'poddisruptionbudgets'], ['scheduling.k8s.io', 'priorityclasses'],
    ['node.k8s.io', 'runtimeclasses'], ['storage.k8s.io', 'storageclasses'], ['storage.k8s.io', 'volumeattachments'],
    ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'], ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
    ['certificates.k8s.io', 'certificatesigningrequests'],
  ];
  for (const [group, plural] of resources) {
    const t = buildTable({ group, plural }, [{ metadata: { name: 'x' } }], { now });
    assert.ok(t.columnDefinitions!.length > 2, `${group}/${plural} has its own printer`);
    assert.equal(t.rows[0].cells.length, t.columnDefinitions!.length, `${group}/${plural}`);
    for (const cell of t.rows[0].cells) assert.ok(['string', 'number', 'boolean'].includes(typeof cell), `${group}/${plural}: ${cell}`);
  }
});

test('rfc3339 drops fractional seconds', () => {
  assert.equal(rfc3339('2026-11-21T23:34:49.999999Z'), '2026-11-21T23:34:49Z');
  assert.equal(rfc3339('2026-11-21T23:34:49+02:00'), '2026-11-21T21:34:49Z');
});
