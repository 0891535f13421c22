import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  scalePrinter,
  statefulSetPrinter,
} from './workloads.ts';
import { cronJobPrinter, jobPrinter, jobStatus } from './batch.ts';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: object = {}) => ({ name, namespace: 'default', creationTimestamp: ago(3600), ...extra });
const template = { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } };

test('workload printers', () => {
  const cases: { name: string; print: (o: KubeObject) => unknown[]; obj: KubeObject; cells: unknown[] }[] = [
    {
      name: 'deployment rolling out',
      print: (o) => deploymentPrinter.print(o, { now }),
      obj: {
        metadata: meta('web'),
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
        status: { replicas: 3, readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 },
      },
      cells: ['web', '2/3', 1, 2, '60m', 'web,log', 'nginx:1.27,busybox', 'app=web'],
    },
    {
      name: 'new deployment without status',
      print: (o) => deploymentPrinter.print(o, { now }),
      obj: {
        metadata: meta('api'),
        spec: {
          replicas: 2,
          selector: { matchLabels: { tier: 'be', app: 'api' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] },
          template,
        },
      },
      cells: ['api', '0/2', 0, 0, '60m', 'web,log', 'nginx:1.27,busybox', 'app=api,env in (dev,prod),tier=be'],
    },
    {
      name: 'replica set',
      print: (o) => replicaSetPrinter.print(o, { now }),
      obj: {
        metadata: meta('web-5d8f7c'),
        spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d8f7c' } }, template },
        status: { replicas: 3, readyReplicas: 3 },
      },
      cells: ['web-5d8f7c', 3, 3, 3, '60m', 'web,log', 'nginx:1.27,busybox', 'app=web,pod-template-hash=5d8f7c'],
    },
    {
      name: 'replication controller',
      print: (o) => replicationControllerPrinter.print(o, { now }),
      obj: { metadata: meta('rc'), spec: { replicas: 2, selector: { app: 'rc' }, template }, status: { replicas: 1 } },
      cells: ['rc', 2, 1, 0, '60m', 'web,log', 'nginx:1.27,busybox', 'app=rc'],
    },
    {
      name: 'stateful set',
      print: (o) => statefulSetPrinter.print(o, { now }),
      obj: { metadata: meta('db'), spec: { replicas: 3, template }, status: { readyReplicas: 1 } },
      cells: ['db', '1/3', '60m', 'web,log', 'nginx:1.27,busybox'],
    },
    {
      name: 'daemon set with a node selector',
      print: (o) => daemonSetPrinter.print(o, { now }),
      obj: {
        metadata: meta('agent'),
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'agent', image: 'agent:1' }] } },
        },
        status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
      },
      cells: ['agent', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '60m', 'agent', 'agent:1', 'app=agent'],
    },
    {
      name: 'controller revision of a stateful set',
      print: (o) => controllerRevisionPrinter.print(o, { now }),
      obj: {
        metadata: meta('db-7b9c', { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] }),
        revision: 2,
      },
      cells: ['db-7b9c', 'statefulset.apps/db', 2, '60m'],
    },
    {
      name: 'scale subresource',
      print: (o) => scalePrinter.print(o, { now }),
      obj: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: meta('web'), spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' } },
      cells: ['web', 3, 2, '60m'],
    },
    {
      name: 'controller revision without owner',
      print: (o) => controllerRevisionPrinter.print(o, { now }),
      obj: { metadata: meta('orphan'), revision: 1 },
      cells: ['orphan', '<none>', 1, '60m'],
    },
  ];
  for (const c of cases) assert.deepEqual(c.print(c.obj), c.cells, c.name);
});

test('job printer', () => {
  const job = (spec: object, status: object, metadata: object = {}): KubeObject => ({
    metadata: meta('pi', metadata),
    spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'abc' } }, template, ...spec },
    status,
  });
  const cases: { name: string; obj: KubeObject; cells: unknown[] }[] = [
    {
      name: 'completed job',
      obj: job(
        { completions: 1, parallelism: 1 },
        {
          succeeded: 1,
          startTime: ago(3590),
          completionTime: ago(3590 - 75),
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True' },
          ],
        },
      ),
      cells: ['pi', 'Complete', '1/1', '75s', '60m', 'web,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=abc'],
    },
    {
      name: 'running job',
      obj: job({ completions: 5, parallelism: 2 }, { active: 2, succeeded: 2, startTime: ago(150) }),
      cells: ['pi', 'Running', '2/5', '2m30s', '60m', 'web,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=abc'],
    },
    {
      name: 'work queue job not started',
      obj: job({ parallelism: 3 }, {}),
      cells: ['pi', 'Running', '0/1 of 3', '', '60m', 'web,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=abc'],
    },
    {
      name: 'failed job',
      obj: job({ completions: 1 }, { failed: 7, startTime: ago(600), conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] }),
      cells: ['pi', 'Failed', '0/1', '10m', '60m', 'web,log', 'nginx:1.27,busybox', 'batch.kubernetes.io/controller-uid=abc'],
    },
  ];
  for (const c of cases) assert.deepEqual(jobPrinter.print(c.obj, { now }), c.cells, c.name);

  const status = (conditions: object[], metadata: object = {}) => jobStatus(job({}, { conditions }, metadata));
  assert.equal(status([{ type: 'Suspended', status: 'True' }]), 'Suspended');
  assert.equal(status([{ type: 'FailureTarget', status: 'True' }]), 'FailureTarget');
  assert.equal(status([{ type: 'Suspended', status: 'False' }]), 'Running');
  assert.equal(status([{ type: 'Suspended', status: 'True' }], { deletionTimestamp: ago(1) }), 'Terminating');
  assert.equal(status([{ type: 'Complete', status: 'True' }], { deletionTimestamp: ago(1) }), 'Complete');
  assert.deepEqual(
    jobPrinter.columns.map((c) => [c.name, c.priority]),
    [['Name', 0], ['Status', 0], ['Completions', 0], ['Duration', 0], ['Age', 0], ['Containers', 1], ['Images', 1], ['Selector', 1]],
  );
});

test('cronjob printer', () => {
  const cj = (spec: object, status: object): KubeObject => ({
    metadata: meta('backup'),
    spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } }, ...spec },
    status,
  });
  assert.deepEqual(cronJobPrinter.print(cj({ suspend: false }, { active: [{ name: 'backup-1' }], lastScheduleTime: ago(65) }), { now }), [
    'backup',
    '*/5 * * * *',
    '<none>',
    'False',
    1,
    '65s',
    '60m',
    'web,log',
    'nginx:1.27,busybox',
    '<none>',
  ]);
  assert.deepEqual(cronJobPrinter.print(cj({ timeZone: 'Europe/Paris', suspend: true }, {}), { now }).slice(2, 6), [
    'Europe/Paris',
    'True',
    0,
    '<none>',
  ]);
  assert.equal(cronJobPrinter.print(cj({}, {}), { now })[3], '<unset>');
});
