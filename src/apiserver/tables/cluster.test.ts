import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  certificateSigningRequestPrinter,
  clusterRoleBindingPrinter,
  leasePrinter,
  podDisruptionBudgetPrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  runtimeClassPrinter,
  webhookConfigurationPrinter,
} from './cluster.ts';
import { horizontalPodAutoscalerPrinter, hpaTargets } from './autoscaling.ts';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter, volumeAttachmentPrinter } from './storage.ts';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: object = {}) => ({ name, creationTimestamp: ago(40), ...extra });

test('persistent volume printer', () => {
  const pv: KubeObject = {
    metadata: meta('pv-data'),
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'default', name: 'data' },
      storageClassName: 'local-path',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  };
  assert.deepEqual(persistentVolumePrinter.print(pv, { now }), [
    'pv-data', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local-path', '<unset>', '', '40s', 'Filesystem',
  ]);
  const released: KubeObject = {
    metadata: meta('pv-old', { deletionTimestamp: ago(1), annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' } }),
    spec: { accessModes: ['ReadOnlyMany', 'ReadWriteOncePod'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'ignored' },
    status: { phase: 'Failed', reason: 'VolumeFailedDelete' },
  };
  const oddCapacity = { ...pv, spec: { ...pv.spec, capacity: { storage: '2048Mi' } } };
  assert.equal(persistentVolumePrinter.print(oddCapacity, { now })[1], '2Gi');
  assert.deepEqual(persistentVolumePrinter.print(released, { now }), [
    'pv-old', '0', 'ROX,RWOP', 'Delete', 'Terminating', '', 'legacy', '<unset>', 'VolumeFailedDelete', '40s', '<unset>',
  ]);
});

test('persistent volume claim printer', () => {
  const bound: KubeObject = {
    metadata: meta('data'),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeName: 'pv-data', volumeMode: 'Filesystem' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
  };
  assert.deepEqual(persistentVolumeClaimPrinter.print(bound, { now }), ['data', 'Bound', 'pv-data', '10Gi', 'RWO', 'local-path', '<unset>', '40s', 'Filesystem']);
  const pending: KubeObject = { metadata: meta('wait'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
  assert.deepEqual(persistentVolumeClaimPrinter.print(pending, { now }), ['wait', 'Pending', '', '', '', '', '<unset>', '40s', '<unset>']);
});

test('storage class and volume attachment printers', () => {
  const sc: KubeObject = {
    metadata: meta('local-path', { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }),
    provisioner: 'skiff.io/local-path',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
  assert.deepEqual(storageClassPrinter.print(sc, { now }), ['local-path (default)', 'skiff.io/local-path', 'Delete', 'WaitForFirstConsumer', true, '40s']);
  assert.deepEqual(storageClassPrinter.print({ metadata: meta('slow'), provisioner: 'p', reclaimPolicy: 'Retain' }, { now }), [
    'slow', 'p', 'Retain', 'Immediate', false, '40s',
  ]);
  const va: KubeObject = { metadata: meta('csi-1'), spec: { attacher: 'csi.example.com', nodeName: 'node-1', source: { persistentVolumeName: 'pv-1' } }, status: { attached: true } };
  assert.deepEqual(volumeAttachmentPrinter.print(va, { now }), ['csi-1', 'csi.example.com', 'pv-1', 'node-1', true, '40s']);
});

test('lease, rbac binding, pdb, priority class, runtime class, webhook printers', () => {
  assert.deepEqual(leasePrinter.print({ metadata: meta('kube-scheduler'), spec: { holderIdentity: 'node-1_3f2a' } }, { now }), ['kube-scheduler', 'node-1_3f2a', '40s']);
  assert.deepEqual(leasePrinter.print({ metadata: meta('free'), spec: {} }, { now }), ['free', '', '40s']);

  const rb: KubeObject = {
    metadata: meta('dev'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'User', name: 'bob' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', namespace: 'ci', name: 'builder' },
    ],
  };
  assert.deepEqual(roleBindingPrinter.print(rb, { now }), ['dev', 'ClusterRole/edit', '40s', 'alice, bob', 'devs', 'ci/builder']);
  assert.deepEqual(clusterRoleBindingPrinter.print({ metadata: meta('admin'), roleRef: { kind: 'ClusterRole', name: 'cluster-admin' } }, { now }), [
    'admin', 'ClusterRole/cluster-admin', '40s', '', '', '',
  ]);

  assert.deepEqual(podDisruptionBudgetPrinter.print({ metadata: meta('web'), spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }, { now }), [
    'web', '2', 'N/A', 1, '40s',
  ]);
  assert.deepEqual(podDisruptionBudgetPrinter.print({ metadata: meta('db'), spec: { maxUnavailable: '25%' }, status: {} }, { now }), [
    'db', 'N/A', '25%', 0, '40s',
  ]);

  assert.deepEqual(priorityClassPrinter.print({ metadata: meta('system-node-critical'), value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }, { now }), [
    'system-node-critical', 2000001000, false, '40s', 'PreemptLowerPriority',
  ]);
  assert.deepEqual(runtimeClassPrinter.print({ metadata: meta('gvisor'), handler: 'runsc' }, { now }), ['gvisor', 'runsc', '40s']);
  assert.deepEqual(webhookConfigurationPrinter.print({ metadata: meta('hooks'), webhooks: [{}, {}] }, { now }), ['hooks', 2, '40s']);
});

test('certificate signing request printer', () => {
  const csr: KubeObject = {
    metadata: meta('node-csr-abc'),
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', username: 'system:node:node-1', expirationSeconds: 86400 },
    status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'LS0t' },
  };
  assert.deepEqual(certificateSigningRequestPrinter.print(csr, { now }), [
    'node-csr-abc', '40s', 'kubernetes.io/kube-apiserver-client-kubelet', 'system:node:node-1', '24h', 'Approved,Issued',
  ]);
  assert.equal(certificateSigningRequestPrinter.print({ metadata: meta('x'), spec: {} }, { now })[5], 'Pending');
});

test('horizontal pod autoscaler printer', () => {
  const v2: KubeObject = {
    apiVersion: 'autoscaling/v2',
    metadata: meta('web'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
      ],
    },
    status: {
      currentReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42, averageValue: '210m' } } }],
    },
  };
  assert.deepEqual(horizontalPodAutoscalerPrinter.print(v2, { now }), [
    'web', 'Deployment/web', 'cpu: 42%/80%, memory: <unknown>/500Mi', '2', 10, 3, '40s',
  ]);

  const v1: KubeObject = {
    apiVersion: 'autoscaling/v1',
    metadata: meta('api'),
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 1 },
  };
  assert.deepEqual(horizontalPodAutoscalerPrinter.print(v1, { now }), ['api', 'Deployment/api', 'cpu: <unknown>/50%', '<unset>', 5, 1, '40s']);
  assert.equal(hpaTargets({ ...v1, status: { currentCPUUtilizationPercentage: 12 } }), 'cpu: 12%/50%');

  const many: KubeObject = {
    metadata: meta('many'),
    spec: {
      metrics: [
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'Object', object: { metric: { name: 'hits' }, target: { type: 'Value', value: '100' } } },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
      ],
    },
    status: { currentMetrics: [{ type: 'Pods', pods: { current: { averageValue: '7000m' } } }] },
  };
  assert.equal(hpaTargets(many), '7/10, <unknown>/100 + 1 more...');
  assert.equal(hpaTargets({ metadata: meta('none'), spec: { metrics: [] } }), '<none>');
  assert.equal(
    hpaTargets({ metadata: meta('cr'), spec: { metrics: [{ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization' } } }] } }),
    'cpu: <unknown>/<auto>',
  );
});
