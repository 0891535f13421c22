import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESOURCES,
  findResource,
  findResourceByKind,
  groupVersions,
  preferredVersion,
  resourcesFor,
  storageKey,
  storagePrefix,
} from './resources.ts';
import { apiVersionOf } from './types.ts';

const STD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

test('every resource is complete and consistent', () => {
  const seen = new Set<string>();
  for (const d of RESOURCES) {
    const id = `${apiVersionOf(d)} ${d.plural}`;
    assert.ok(!seen.has(id), `duplicate ${id}`);
    seen.add(id);
    assert.match(d.kind, /^[A-Z][A-Za-z]+$/, id);
    assert.equal(d.listKind, `${d.kind}List`, id);
    assert.equal(d.singular, d.kind.toLowerCase(), id);
    assert.match(d.plural, /^[a-z]+$/, id);
    assert.ok(d.verbs.length > 0 && d.verbs.every((v) => STD.includes(v)), id);
    assert.deepEqual([...d.verbs].sort(), d.verbs, `${id} verbs sorted`);
    assert.equal(d.hasStatus, d.subresources.some((s) => s.name === 'status'), id);
    for (const s of d.subresources) {
      assert.ok(s.kind.kind && s.kind.version, `${id}/${s.name} has a response kind`);
      assert.ok(s.verbs.length > 0, `${id}/${s.name} has verbs`);
      if (s.name === 'status') assert.deepEqual(s.kind, { group: d.group, version: d.version, kind: d.kind });
      if (s.name === 'scale') assert.deepEqual(s.kind, { group: 'autoscaling', version: 'v1', kind: 'Scale' });
    }
    if (!d.virtual) {
      assert.equal(typeof d.defaults, 'function', `${id} has defaults`);
      assert.equal(typeof d.validate, 'function', `${id} has validation`);
    }
    assert.equal(findResource(d.group, d.version, d.plural), d);
    assert.equal(findResourceByKind(d.group, d.version, d.kind), d);
  }
  assert.equal(RESOURCES.length, 40);
  assert.deepEqual(RESOURCES.filter((d) => d.virtual).map((d) => d.plural).sort(), [
    'localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews', 'tokenreviews',
  ]);
});

test('names, scope and verbs match kubectl api-resources of 1.32', () => {
  // plural, shortnames, apiVersion, namespaced, kind, categories
  const table: Array<[string, string, string, boolean, string, string]> = [
    ['configmaps', 'cm', 'v1', true, 'ConfigMap', ''],
    ['endpoints', 'ep', 'v1', true, 'Endpoints', ''],
    ['events', 'ev', 'v1', true, 'Event', ''],
    ['limitranges', 'limits', 'v1', true, 'LimitRange', ''],
    ['namespaces', 'ns', 'v1', false, 'Namespace', ''],
    ['nodes', 'no', 'v1', false, 'Node', ''],
    ['persistentvolumeclaims', 'pvc', 'v1', true, 'PersistentVolumeClaim', ''],
    ['persistentvolumes', 'pv', 'v1', false, 'PersistentVolume', ''],
    ['pods', 'po', 'v1', true, 'Pod', 'all'],
    ['podtemplates', '', 'v1', true, 'PodTemplate', ''],
    ['replicationcontrollers', 'rc', 'v1', true, 'ReplicationController', 'all'],
    ['resourcequotas', 'quota', 'v1', true, 'ResourceQuota', ''],
    ['secrets', '', 'v1', true, 'Secret', ''],
    ['serviceaccounts', 'sa', 'v1', true, 'ServiceAccount', ''],
    ['services', 'svc', 'v1', true, 'Service', 'all'],
    ['controllerrevisions', '', 'apps/v1', true, 'ControllerRevision', ''],
    ['daemonsets', 'ds', 'apps/v1', true, 'DaemonSet', 'all'],
    ['deployments', 'deploy', 'apps/v1', true, 'Deployment', 'all'],
    ['replicasets', 'rs', 'apps/v1', true, 'ReplicaSet', 'all'],
    ['statefulsets', 'sts', 'apps/v1', true, 'StatefulSet', 'all'],
    ['events', 'ev', 'events.k8s.io/v1', true, 'Event', ''],
    ['horizontalpodautoscalers', 'hpa', 'autoscaling/v2', true, 'HorizontalPodAutoscaler', 'all'],
    ['horizontalpodautoscalers', 'hpa', 'autoscaling/v1', true, 'HorizontalPodAutoscaler', 'all'],
    ['cronjobs', 'cj', 'batch/v1', true, 'CronJob', 'all'],
    ['jobs', '', 'batch/v1', true, 'Job', 'all'],
    ['poddisruptionbudgets', 'pdb', 'policy/v1', true, 'PodDisruptionBudget', ''],
    ['clusterrolebindings', '', 'rbac.authorization.k8s.io/v1', false, 'ClusterRoleBinding', ''],
    ['clusterroles', '', 'rbac.authorization.k8s.io/v1', false, 'ClusterRole', ''],
    ['rolebindings', '', 'rbac.authorization.k8s.io/v1', true, 'RoleBinding', ''],
    ['roles', '', 'rbac.authorization.k8s.io/v1', true, 'Role', ''],
    ['storageclasses', 'sc', 'storage.k8s.io/v1', false, 'StorageClass', ''],
    ['priorityclasses', 'pc', 'scheduling.k8s.io/v1', false, 'PriorityClass', ''],
    ['leases', '', 'coordination.k8s.io/v1', true, 'Lease', ''],
    ['endpointslices', '', 'discovery.k8s.io/v1', true, 'EndpointSlice', ''],
    ['selfsubjectreviews', '', 'authentication.k8s.io/v1', false, 'SelfSubjectReview', ''],
    ['tokenreviews', '', 'authentication.k8s.io/v1', false, 'TokenReview', ''],
    ['localsubjectaccessreviews', '', 'authorization.k8s.io/v1', true, 'LocalSubjectAccessReview', ''],
    ['selfsubjectaccessreviews', '', 'authorization.k8s.io/v1', false, 'SelfSubjectAccessReview', ''],
    ['selfsubjectrulesreviews', '', 'authorization.k8s.io/v1', false, 'SelfSubjectRulesReview', ''],
    ['subjectaccessreviews', '', 'authorization.k8s.io/v1', false, 'SubjectAccessReview', ''],
  ];
  for (const [plural, short, apiVersion, namespaced, kind, cats] of table) {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    const d = findResource(group, version, plural);
    assert.ok(d, `${apiVersion} ${plural} served`);
    assert.equal(d.shortNames.join(','), short, `${plural} short names`);
    assert.equal(d.namespaced, namespaced, `${plural} scope`);
    assert.equal(d.kind, kind);
    assert.equal(d.categories.join(','), cats, `${plural} categories`);
  }
  const noCollection = ['namespaces', 'services'];
  for (const d of RESOURCES) {
    const want = d.virtual ? ['create'] : noCollection.includes(d.plural) && d.group === '' ? STD.filter((v) => v !== 'deletecollection') : STD;
    assert.deepEqual(d.verbs, want, `${apiVersionOf(d)} ${d.plural} verbs`);
  }
});

test('subresources match upstream discovery', () => {
  const subs = (g: string, v: string, p: string) =>
    Object.fromEntries(findResource(g, v, p)!.subresources.map((s) => [s.name, `${s.kind.group}/${s.kind.version}/${s.kind.kind} ${s.verbs.join(',')}`]));
  assert.deepEqual(subs('', 'v1', 'pods'), {
    attach: '/v1/PodAttachOptions create,get',
    binding: '/v1/Binding create',
    ephemeralcontainers: '/v1/Pod get,patch,update',
    eviction: 'policy/v1/Eviction create',
    exec: '/v1/PodExecOptions create,get',
    log: '/v1/Pod get',
    portforward: '/v1/PodPortForwardOptions create,get',
    proxy: '/v1/PodProxyOptions create,delete,get,patch,update',
    status: '/v1/Pod get,patch,update',
  });
  assert.deepEqual(subs('', 'v1', 'serviceaccounts'), { token: 'authentication.k8s.io/v1/TokenRequest create' });
  assert.deepEqual(subs('', 'v1', 'nodes'), { proxy: '/v1/NodeProxyOptions create,delete,get,patch,update', status: '/v1/Node get,patch,update' });
  assert.deepEqual(subs('', 'v1', 'namespaces'), { finalize: '/v1/Namespace update', status: '/v1/Namespace get,patch,update' });
  assert.deepEqual(Object.keys(subs('apps', 'v1', 'deployments')), ['scale', 'status']);
  assert.deepEqual(Object.keys(subs('', 'v1', 'replicationcontrollers')), ['scale', 'status']);
  assert.deepEqual(Object.keys(subs('apps', 'v1', 'daemonsets')), ['status']);
  assert.deepEqual(Object.keys(subs('apps', 'v1', 'controllerrevisions')), []);
  assert.deepEqual(Object.keys(subs('autoscaling', 'v1', 'horizontalpodautoscalers')), ['status']);
  assert.equal(findResource('', 'v1', 'configmaps')!.hasStatus, false);
  assert.equal(findResource('apps', 'v1', 'deployments')!.hasStatus, true);
});

test('group versions in discovery order with preferred versions first', () => {
  assert.deepEqual(
    groupVersions().map((g) => apiVersionOf(g)),
    [
      'v1',
      'apps/v1',
      'events.k8s.io/v1',
      'authentication.k8s.io/v1',
      'authorization.k8s.io/v1',
      'autoscaling/v2',
      'autoscaling/v1',
      'batch/v1',
      'policy/v1',
      'rbac.authorization.k8s.io/v1',
      'storage.k8s.io/v1',
      'scheduling.k8s.io/v1',
      'coordination.k8s.io/v1',
      'discovery.k8s.io/v1',
    ],
  );
  assert.equal(preferredVersion('autoscaling'), 'v2');
  assert.equal(preferredVersion('nope.io'), undefined);
  for (const gv of groupVersions()) assert.ok(resourcesFor(gv.group, gv.version).length > 0, apiVersionOf(gv));
  assert.deepEqual(resourcesFor('batch', 'v1').map((d) => d.plural), ['cronjobs', 'jobs']);
  assert.deepEqual(resourcesFor('nope', 'v1'), []);
});

test('storage keys and shared storage', () => {
  const pods = findResource('', 'v1', 'pods')!;
  assert.equal(storageKey(pods, 'default', 'web'), '/registry//pods/default/web');
  assert.equal(storagePrefix(pods), '/registry//pods/');
  assert.equal(storagePrefix(pods, 'kube-system'), '/registry//pods/kube-system/');
  const nodes = findResource('', 'v1', 'nodes')!;
  assert.equal(storageKey(nodes, undefined, 'n1'), '/registry//nodes/n1');
  assert.equal(storagePrefix(nodes, 'ignored'), '/registry//nodes/');
  const deploy = findResource('apps', 'v1', 'deployments')!;
  assert.equal(storageKey(deploy, 'ns', 'd'), '/registry/apps/deployments/ns/d');
  assert.throws(() => storageKey(deploy, undefined, 'd'));

  const hpa1 = findResource('autoscaling', 'v1', 'horizontalpodautoscalers')!;
  const hpa2 = findResource('autoscaling', 'v2', 'horizontalpodautoscalers')!;
  assert.equal(storagePrefix(hpa1), storagePrefix(hpa2));
  assert.deepEqual(hpa1.storageVersion, { group: 'autoscaling', version: 'v2' });
  assert.equal(hpa2.storageVersion, undefined);
  const ev = findResource('', 'v1', 'events')!;
  const ev1 = findResource('events.k8s.io', 'v1', 'events')!;
  assert.equal(storageKey(ev1, 'ns', 'e'), storageKey(ev, 'ns', 'e'));
  assert.deepEqual(ev1.storageVersion, { group: '', version: 'v1' });
  // A prefix never matches another resource whose plural extends it.
  assert.ok(!'/registry//podtemplates/x/y'.startsWith(storagePrefix(pods)));
});

test('field attributes are wired for kinds with their own field selectors', () => {
  assert.equal(typeof findResource('', 'v1', 'pods')!.fieldAttrs, 'function');
  assert.equal(typeof findResource('apps', 'v1', 'replicasets')!.fieldAttrs, 'function');
  assert.equal(findResource('', 'v1', 'configmaps')!.fieldAttrs, undefined);
});
