import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateControllerRevision,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateReplicationController,
  validateStatefulSet,
} from './workloads.ts';
import { causeString } from './field.ts';
import {
  defaultDaemonSet,
  defaultDeployment,
  defaultReplicaSet,
  defaultReplicationController,
  defaultStatefulSet,
} from '../defaults/workloads.ts';
import type { KubeObject, ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);
const template = (labels: Record<string, string> = { app: 'web' }) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
});

function deployment(mutate: (s: any) => void = () => {}): KubeObject {
  const d: any = { metadata: { name: 'web', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
  mutate(d.spec);
  defaultDeployment(d);
  return d;
}

test('deployments', () => {
  assert.deepEqual(lines(validateDeployment(deployment())), []);
  const cases: Array<[string, (s: any) => void, string[]]> = [
    ['missing selector', (s) => delete s.selector, ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']],
    [
      'empty selector',
      (s) => (s.selector = {}),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [
      'selector does not match',
      (s) => (s.template.metadata.labels = { app: 'api' }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`'],
    ],
    ['negative replicas', (s) => (s.replicas = -1), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [
      'restart policy',
      (s) => (s.template.spec.restartPolicy = 'Never'),
      ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ],
    [
      'both surge and unavailable zero',
      (s) => (s.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'bad percent',
      (s) => (s.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25', maxUnavailable: '120%' } }),
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"25\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
      ],
    ],
    [
      'recreate with rolling update',
      (s) => (s.strategy = { type: 'Recreate', rollingUpdate: {} }),
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'progress deadline',
      (s) => {
        s.minReadySeconds = 600;
        s.progressDeadlineSeconds = 600;
      },
      ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds'],
    ],
    [
      'pod spec errors are reported under the template',
      (s) => (s.template.spec.containers[0].image = ''),
      ['spec.template.spec.containers[0].image: Required value'],
    ],
  ];
  for (const [name, mutate, want] of cases) assert.deepEqual(lines(validateDeployment(deployment(mutate))), want, name);

  const old = deployment();
  const moved = deployment((s) => {
    s.selector = { matchLabels: { app: 'web', tier: 'fe' } };
    s.template.metadata.labels = { app: 'web', tier: 'fe' };
  });
  assert.deepEqual(lines(validateDeployment(moved, old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  assert.deepEqual(lines(validateDeployment(deployment((s) => (s.replicas = 5)), old)), []);
});

test('replicasets and replication controllers', () => {
  const rs: any = { metadata: { name: 'rs', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
  defaultReplicaSet(rs);
  assert.deepEqual(lines(validateReplicaSet(rs)), []);
  const ads = structuredClone(rs);
  ads.spec.template.spec.activeDeadlineSeconds = 10;
  assert.deepEqual(lines(validateReplicaSet(ads)), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported']);

  const rc: any = { metadata: { name: 'rc', namespace: 'd' }, spec: { template: template() } };
  defaultReplicationController(rc);
  assert.deepEqual(lines(validateReplicationController(rc)), []);
  const noLabels: any = { metadata: { name: 'rc', namespace: 'd' }, spec: { template: template({}) } };
  defaultReplicationController(noLabels);
  assert.deepEqual(lines(validateReplicationController(noLabels)), ['spec.selector: Required value']);
});

test('statefulsets', () => {
  const make = (mutate: (s: any, o: any) => void = () => {}): KubeObject => {
    const o: any = {
      metadata: { name: 'db', namespace: 'd' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'web' } },
        template: template(),
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    mutate(o.spec, o);
    defaultStatefulSet(o);
    return o;
  };
  assert.deepEqual(lines(validateStatefulSet(make())), []);
  assert.deepEqual(lines(validateStatefulSet(make((_s, o) => (o.metadata.name = 'db.main')))), ['metadata.name: Invalid value: "db.main": must not contain dots']);
  assert.deepEqual(lines(validateStatefulSet(make((s) => (s.podManagementPolicy = 'Random')))), [
    "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
  ]);
  assert.deepEqual(lines(validateStatefulSet(make((s) => (s.selector = {})))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset',
  ]);
  const old = make();
  assert.deepEqual(lines(validateStatefulSet(make((s) => (s.replicas = 3)), old)), []);
  assert.deepEqual(lines(validateStatefulSet(make((s) => (s.serviceName = 'other')), old)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('daemonsets', () => {
  const make = (mutate: (s: any) => void = () => {}): KubeObject => {
    const o: any = { metadata: { name: 'agent', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } };
    mutate(o.spec);
    defaultDaemonSet(o);
    return o;
  };
  assert.deepEqual(lines(validateDaemonSet(make())), []);
  assert.deepEqual(lines(validateDaemonSet(make((s) => (s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } })))), [
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
  ]);
  assert.deepEqual(lines(validateDaemonSet(make((s) => (s.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } })))), [
    'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
  ]);
  assert.deepEqual(lines(validateDaemonSet(make((s) => delete s.selector))), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
});

test('controller revisions', () => {
  const cr: any = { metadata: { name: 'web-abc', namespace: 'd' }, data: { spec: {} }, revision: 1 };
  assert.deepEqual(lines(validateControllerRevision(cr)), []);
  assert.deepEqual(lines(validateControllerRevision({ metadata: { name: 'x', namespace: 'd' }, revision: -1 })), [
    'data: Required value: data is mandatory',
    'revision: Invalid value: -1: must be greater than or equal to 0',
  ]);
  const changed = { ...cr, data: { spec: { x: 1 } } };
  assert.deepEqual(lines(validateControllerRevision(changed, cr)), ['data: Invalid value: {"spec":{"x":1}}: field is immutable']);
});
