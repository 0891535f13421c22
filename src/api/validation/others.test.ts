import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateEndpointSlice,
  validateEventsV1,
  validateHPAv1,
  validateHPAv2,
  validateLease,
  validatePodDisruptionBudget,
  validatePriorityClass,
  validateRole,
  validateRoleBinding,
  validateStorageClass,
} from './others.ts';
import { causeString } from './field.ts';
import { defaultHPAv2, defaultRoleBinding } from '../defaults/others.ts';
import type { ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);
const meta = (name = 'x') => ({ name, namespace: 'd' });

test('horizontal pod autoscalers', () => {
  const v2: any = { metadata: meta(), spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5 } };
  defaultHPAv2(v2);
  assert.deepEqual(lines(validateHPAv2(v2)), []);
  const bad = structuredClone(v2);
  bad.spec.minReplicas = 6;
  bad.spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }, { type: 'Magic' }];
  assert.deepEqual(lines(validateHPAv2(bad)), [
    'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
    'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
    'spec.metrics[1].type: Unsupported value: "Magic": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
  ]);
  assert.deepEqual(lines(validateHPAv1({ metadata: meta(), spec: { scaleTargetRef: { kind: 'Deployment' }, minReplicas: 1, maxReplicas: 0 } })), [
    'spec.scaleTargetRef.name: Required value',
    'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    'spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`',
  ]);
});

test('pod disruption budgets', () => {
  assert.deepEqual(lines(validatePodDisruptionBudget({ metadata: meta(), spec: { minAvailable: '50%', selector: { matchLabels: { app: 'a' } } } })), []);
  const both = validatePodDisruptionBudget({ metadata: meta(), spec: { minAvailable: 1, maxUnavailable: '150%' } });
  assert.deepEqual(both.map((e) => e.field), ['spec', 'spec.maxUnavailable']);
  assert.match(both[0]!.message, /minAvailable and maxUnavailable cannot be both set$/);
});

test('rbac', () => {
  const rule = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
  assert.deepEqual(lines(validateRole({ metadata: meta('reader'), rules: [rule] })), []);
  assert.deepEqual(lines(validateRole({ metadata: meta('r'), rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }, { verbs: [] }] })), [
    'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    'rules[1].verbs: Required value: verbs must contain at least one value',
    'rules[1].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[1].resources: Required value: resource rules must supply at least one resource',
  ]);
  assert.deepEqual(lines(validateClusterRole({ metadata: { name: 'system:reader' }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] })), []);
  const rb: any = {
    metadata: meta('rb'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'default' }],
  };
  defaultRoleBinding(rb);
  assert.deepEqual(lines(validateRoleBinding(rb)), []);
  const moved = structuredClone(rb);
  moved.roleRef.name = 'writer';
  assert.deepEqual(validateRoleBinding(moved, rb).map((e) => `${e.field} ${e.reason}`), ['roleRef FieldValueInvalid']);
  const crb: any = { metadata: { name: 'crb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r2' }] };
  assert.deepEqual(lines(validateClusterRoleBinding(crb)), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
    'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
});

test('leases, priority classes, storage classes', () => {
  assert.deepEqual(lines(validateLease({ metadata: meta('kube-scheduler'), spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } })), []);
  assert.deepEqual(lines(validateLease({ metadata: meta('l'), spec: { leaseDurationSeconds: 0 } })), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  assert.deepEqual(lines(validatePriorityClass({ metadata: { name: 'high' }, value: 1000 })), []);
  assert.deepEqual(lines(validatePriorityClass({ metadata: { name: 'system-node-critical' }, value: 2000001000 })), []);
  assert.deepEqual(lines(validatePriorityClass({ metadata: { name: 'system-mine' }, value: 1 })), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: name system-mine is not a known system priority class",
  ]);
  assert.deepEqual(lines(validatePriorityClass({ metadata: { name: 'huge' }, value: 1000000001 })), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  assert.deepEqual(lines(validatePriorityClass({ metadata: { name: 'high' }, value: 2 }, { metadata: { name: 'high' }, value: 1 })), [
    'value: Forbidden: may not be changed in an update.',
  ]);
  const sc = { metadata: { name: 'local' }, provisioner: 'skiff.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(lines(validateStorageClass(sc)), []);
  assert.deepEqual(lines(validateStorageClass({ ...sc, provisioner: 'other.io/x', reclaimPolicy: 'Recycle' }, sc)), [
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    'provisioner: Forbidden: updates to provisioner are forbidden.',
    'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
  ]);
});

test('endpoint slices and events.k8s.io events', () => {
  const es = { metadata: meta('web-abc'), addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.4'] }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] };
  assert.deepEqual(lines(validateEndpointSlice(es)), []);
  assert.deepEqual(lines(validateEndpointSlice({ ...es, endpoints: [{ addresses: [] }, { addresses: ['::1'] }] })), [
    'endpoints[0].addresses: Required value: must contain at least 1 address',
    'endpoints[1].addresses[0]: Invalid value: "::1": must be a valid IPv4 address',
  ]);
  assert.deepEqual(lines(validateEndpointSlice({ ...es, addressType: 'IPv6' }, es)), [
    'endpoints[0].addresses[0]: Invalid value: "10.1.0.4": must be a valid IPv6 address',
    'addressType: Invalid value: "IPv6": field is immutable',
  ]);
  const ev = {
    metadata: meta('web.1'),
    eventTime: '2024-01-01T00:00:00.000000Z',
    type: 'Normal',
    reason: 'Scheduled',
    action: 'Binding',
    reportingController: 'skiff.io/scheduler',
    reportingInstance: 'scheduler-1',
    regarding: { kind: 'Pod', name: 'web', namespace: 'd' },
  };
  assert.deepEqual(lines(validateEventsV1(ev)), []);
  assert.deepEqual(lines(validateEventsV1({ ...ev, type: 'Info', eventTime: undefined })), ['eventTime: Required value', 'type: Invalid value: "": has invalid value: Info']);
});
