import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GUESS_SCHEMA, KIND_SCHEMAS, patchExtensions, schemaForKind, type PatchSchema } from './strategic-schema.ts';

/** The field at a dotted path; `[]` steps into list elements. */
function at(schema: PatchSchema | undefined, path: string): PatchSchema | undefined {
  let s = schema;
  for (const part of path.split('.')) {
    s = part === '[]' ? s?.item : s?.fields?.[part];
  }
  return s;
}

test('patchExtensions renders upstream\'s x-kubernetes-patch-* values', () => {
  const pod = schemaForKind('', 'Pod');
  assert.deepEqual(patchExtensions(at(pod, 'spec.containers')!), {
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-patch-merge-key': 'name',
  });
  assert.deepEqual(patchExtensions(at(pod, 'spec.volumes')!), {
    'x-kubernetes-patch-strategy': 'merge,retainKeys',
    'x-kubernetes-patch-merge-key': 'name',
  });
  assert.deepEqual(patchExtensions(at(pod, 'metadata.finalizers')!), { 'x-kubernetes-patch-strategy': 'merge' });
  assert.deepEqual(patchExtensions(at(schemaForKind('apps', 'Deployment'), 'spec.strategy')!), {
    'x-kubernetes-patch-strategy': 'retainKeys',
  });
  assert.deepEqual(patchExtensions(at(schemaForKind('policy', 'PodDisruptionBudget'), 'spec.selector')!), {
    'x-kubernetes-patch-strategy': 'replace',
  });
  assert.deepEqual(patchExtensions(at(pod, 'status.containerStatuses')!), {}, 'atomic lists carry no extension');
});

test('merge keys of the kinds we serve match the upstream struct tags', () => {
  const cases: [string, string, string, string][] = [
    ['', 'Pod', 'spec.containers.[].ports', 'containerPort'],
    ['', 'Pod', 'spec.initContainers.[].env', 'name'],
    ['', 'Pod', 'spec.ephemeralContainers.[].volumeMounts', 'mountPath'],
    ['', 'Pod', 'spec.containers.[].volumeDevices', 'devicePath'],
    ['', 'Pod', 'spec.hostAliases', 'ip'],
    ['', 'Pod', 'spec.topologySpreadConstraints', 'topologyKey'],
    ['', 'Pod', 'spec.imagePullSecrets', 'name'],
    ['', 'Pod', 'status.podIPs', 'ip'],
    ['', 'Pod', 'metadata.ownerReferences', 'uid'],
    ['', 'Service', 'spec.ports', 'port'],
    ['', 'Node', 'status.addresses', 'type'],
    ['', 'ServiceAccount', 'secrets', 'name'],
    ['apps', 'Deployment', 'spec.template.spec.containers', 'name'],
    ['apps', 'StatefulSet', 'spec.template.metadata.ownerReferences', 'uid'],
    ['apps', 'DaemonSet', 'status.conditions', 'type'],
    ['batch', 'Job', 'spec.template.spec.volumes', 'name'],
    ['batch', 'CronJob', 'spec.jobTemplate.spec.template.spec.containers', 'name'],
    ['', 'ReplicationController', 'spec.template.spec.containers', 'name'],
    ['', 'PodTemplate', 'template.spec.containers', 'name'],
  ];
  for (const [group, kind, path, key] of cases) {
    const field = at(schemaForKind(group, kind), path);
    assert.equal(field?.strategy, 'merge', `${group}/${kind} ${path}`);
    assert.equal(field?.key, key, `${group}/${kind} ${path}`);
  }
});

test('atomic lists have no strategy', () => {
  const pod = schemaForKind('', 'Pod');
  for (const path of ['spec.tolerations', 'spec.containers.[].args', 'spec.containers.[].envFrom', 'status.containerStatuses']) {
    assert.equal(at(pod, path)?.strategy, undefined, path);
  }
  assert.equal(at(schemaForKind('', 'Node'), 'spec.taints'), undefined);
  assert.equal(at(schemaForKind('', 'Namespace'), 'spec.finalizers'), undefined);
});

test('every table entry is consistent: a merge key only on a merging list, replace never keyed', () => {
  const walk = (s: PatchSchema, path: string): void => {
    if (s.key !== undefined) assert.equal(s.strategy, 'merge', path);
    if (s.strategy === 'replace') assert.equal(s.key, undefined, path);
    for (const [name, f] of Object.entries(s.fields ?? {})) walk(f, `${path}.${name}`);
    if (s.item) walk(s.item, `${path}[]`);
  };
  for (const [gk, s] of Object.entries(KIND_SCHEMAS)) {
    walk(s, gk);
    assert.ok(s.fields?.metadata, `${gk} has metadata`);
  }
  walk(GUESS_SCHEMA, 'guess');
});

test('schemaForKind: unknown kinds are undefined, known ones are found by group and kind', () => {
  assert.equal(schemaForKind('example.com', 'Widget'), undefined);
  assert.equal(schemaForKind('apps', 'Pod'), undefined);
  assert.ok(schemaForKind('', 'ConfigMap'));
});

test('the guess agrees with the exact schema of every kind on the merge lists it knows', () => {
  // The guess is a union of specs and statuses; it must not give any kind a strategy that
  // kind does not have, except PodDisruptionBudget's selector, which it leaves out on purpose.
  const walk = (exact: PatchSchema, guess: PatchSchema | undefined, path: string): void => {
    if (exact.strategy === 'merge') {
      assert.equal(guess?.strategy, 'merge', path);
      assert.equal(guess?.key, exact.key, path);
    }
    for (const [name, f] of Object.entries(exact.fields ?? {})) walk(f, guess?.fields?.[name], `${path}.${name}`);
    if (exact.item) walk(exact.item, guess?.item, `${path}[]`);
  };
  for (const [gk, s] of Object.entries(KIND_SCHEMAS)) {
    if (gk === 'storage.k8s.io/CSINode') continue; // spec.drivers is CSINode's alone
    walk(s, GUESS_SCHEMA, gk);
  }
});
