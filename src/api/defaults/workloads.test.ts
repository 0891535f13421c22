import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultPodTemplate,
  defaultReplicaSet,
  defaultReplicationController,
  defaultStatefulSet,
} from './workloads.ts';

const template = () => ({ metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } });
const withoutTemplate = (spec: any) => {
  const { template: _t, ...rest } = spec;
  return rest;
};

test('deployment defaults', () => {
  const d: any = { metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template: template() } };
  defaultDeployment(d);
  assert.deepEqual(withoutTemplate(d.spec), {
    selector: { matchLabels: { app: 'a' } },
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
  });
  assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 30);
  assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');

  const recreate: any = { metadata: {}, spec: { replicas: 0, strategy: { type: 'Recreate' }, template: template() } };
  defaultDeployment(recreate);
  assert.equal(recreate.spec.replicas, 0, 'explicit zero replicas kept');
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
});

test('replicaset, replication controller and pod template defaults', () => {
  const rs: any = { metadata: {}, spec: { template: template() } };
  defaultReplicaSet(rs);
  assert.equal(rs.spec.replicas, 1);

  const rc: any = { metadata: { name: 'rc' }, spec: { template: template() } };
  defaultReplicationController(rc);
  assert.deepEqual(rc.spec.selector, { app: 'a' }, 'selector from template labels');
  assert.deepEqual(rc.metadata.labels, { app: 'a' }, 'labels from template labels');
  assert.equal(rc.spec.replicas, 1);
  const rc2: any = { metadata: { labels: { own: 'x' } }, spec: { selector: { app: 'a' }, template: template() } };
  defaultReplicationController(rc2);
  assert.deepEqual(rc2.metadata.labels, { own: 'x' });

  const pt: any = { metadata: {}, template: template() };
  defaultPodTemplate(pt);
  assert.equal(pt.template.spec.dnsPolicy, 'ClusterFirst');
});

test('statefulset defaults', () => {
  const s: any = {
    metadata: {},
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: template(),
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } }],
    },
  };
  defaultStatefulSet(s);
  assert.equal(s.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(s.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(s.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(s.spec.replicas, 1);
  assert.equal(s.spec.revisionHistoryLimit, 10);
  const pvc = s.spec.volumeClaimTemplates[0];
  assert.equal(pvc.spec.volumeMode, 'Filesystem');
  assert.equal(pvc.spec.resources.requests.storage, '1Gi');
  assert.deepEqual(pvc.status, { phase: 'Pending' });

  const onDelete: any = { metadata: {}, spec: { updateStrategy: { type: 'OnDelete' }, template: template() } };
  defaultStatefulSet(onDelete);
  assert.deepEqual(onDelete.spec.updateStrategy, { type: 'OnDelete' });
});

test('daemonset defaults', () => {
  const ds: any = { metadata: {}, spec: { template: template() } };
  defaultDaemonSet(ds);
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
});

test('job defaults, including the completions/parallelism rule', () => {
  const cases: Array<[object, number | undefined, number]> = [
    [{}, 1, 1],
    [{ completions: 5 }, 5, 1],
    [{ parallelism: 3 }, undefined, 3],
    [{ completions: 4, parallelism: 2 }, 4, 2],
  ];
  for (const [spec, completions, parallelism] of cases) {
    const j: any = { metadata: {}, spec: { ...spec, template: template() } };
    defaultJob(j);
    assert.equal(j.spec.completions, completions, JSON.stringify(spec));
    assert.equal(j.spec.parallelism, parallelism, JSON.stringify(spec));
  }
  const j: any = { metadata: {}, spec: { template: template() } };
  defaultJob(j);
  assert.equal(j.spec.backoffLimit, 6);
  assert.equal(j.spec.completionMode, 'NonIndexed');
  assert.equal(j.spec.suspend, false);
  assert.equal(j.spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(j.metadata.labels, { app: 'a' }, 'job labels from template labels');
  assert.equal(j.spec.template.spec.restartPolicy, 'Always', 'left for validation to reject');

  const pfp: any = { metadata: {}, spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, template: template() } };
  defaultJob(pfp);
  assert.equal(pfp.spec.podReplacementPolicy, 'Failed');
  assert.equal(pfp.spec.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  const perIndex: any = { metadata: {}, spec: { backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 3, template: template() } };
  defaultJob(perIndex);
  assert.equal(perIndex.spec.backoffLimit, 2147483647);
});

test('cronjob defaults leave the job template spec alone except its pod spec', () => {
  const cj: any = { metadata: {}, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: template() } } } };
  defaultCronJob(cj);
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.schedulerName, 'default-scheduler');
});
