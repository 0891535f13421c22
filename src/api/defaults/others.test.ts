import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEndpointSlice, defaultHPAv1, defaultHPAv2, defaultPriorityClass, defaultRoleBinding, defaultStorageClass } from './others.ts';

test('HPA defaults', () => {
  const v1: any = { metadata: {}, spec: { maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'd' } } };
  defaultHPAv1(v1);
  assert.equal(v1.spec.minReplicas, 1);
  assert.equal(v1.spec.targetCPUUtilizationPercentage, undefined);

  const v2: any = { metadata: {}, spec: { maxReplicas: 5 } };
  defaultHPAv2(v2);
  assert.equal(v2.spec.minReplicas, 1);
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.equal(v2.spec.behavior, undefined);

  const withBehavior: any = { metadata: {}, spec: { maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } };
  defaultHPAv2(withBehavior);
  assert.deepEqual(withBehavior.spec.behavior, {
    scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    },
  });
});

test('scheduling, storage, rbac and discovery defaults', () => {
  const pc: any = { metadata: {}, value: 10 };
  defaultPriorityClass(pc);
  assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');

  const sc: any = { metadata: {}, provisioner: 'skiff.io/hostpath' };
  defaultStorageClass(sc);
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');

  const rb: any = {
    metadata: {},
    subjects: [{ kind: 'User', name: 'jane' }, { kind: 'Group', name: 'ops' }, { kind: 'ServiceAccount', name: 'default', namespace: 'x' }],
  };
  defaultRoleBinding(rb);
  assert.deepEqual(rb.subjects.map((s: any) => s.apiGroup), ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', undefined]);

  const es: any = { metadata: {}, addressType: 'IPv4', ports: [{ port: 80 }] };
  defaultEndpointSlice(es);
  assert.deepEqual(es.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
});
