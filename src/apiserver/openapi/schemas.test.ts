// Sanity of the generated schemas.json (scripts/gen-openapi.ts) and of the catalogue over it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../api/resources.ts';
import { schemaCatalog, SchemaCatalog, refName, type Schema } from './schemas.ts';

const cat = schemaCatalog();
const s = (name: string): Schema => {
  const x = cat.get(name);
  assert.ok(x, `schema ${name} missing`);
  return x;
};

test('every served kind and its list has a schema with its GVK (regenerate with npm run gen:openapi when this fails)', () => {
  for (const def of RESOURCES) {
    const name = cat.nameForKind(def.group, def.version, def.kind);
    assert.ok(name, `no schema for ${def.group}/${def.version} ${def.kind}`);
    if (def.verbs.includes('list')) assert.ok(cat.nameForKind(def.group, def.version, def.listKind), `no schema for ${def.listKind}`);
    const gvks = s(name)['x-kubernetes-group-version-kind']!;
    assert.deepEqual(gvks, [{ group: def.group, kind: def.kind, version: def.version }]);
  }
});

test('names follow upstream', () => {
  assert.equal(cat.nameForKind('', 'v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
  assert.equal(cat.nameForKind('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(cat.nameForKind('autoscaling', 'v1', 'Scale'), 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(cat.nameForKind('events.k8s.io', 'v1', 'Event'), 'io.k8s.api.events.v1.Event');
  assert.equal(cat.nameForKind('rbac.authorization.k8s.io', 'v1', 'Role'), 'io.k8s.api.rbac.v1.Role');
  assert.equal(cat.nameForKind('', 'v1', 'Status'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  assert.ok(cat.get('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'));
  assert.ok(cat.get('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'));
  assert.ok(cat.get('io.k8s.apimachinery.pkg.apis.meta.v1.Patch'));
});

test('Pod: description, required, references wrapped in allOf', () => {
  const pod = s('io.k8s.api.core.v1.Pod');
  assert.equal(pod.type, 'object');
  assert.match(pod.description!, /^Pod is a collection of containers/);
  assert.deepEqual(pod.properties!.spec!.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);
  assert.match(pod.properties!.spec!.description!, /desired behavior of the pod/);
  assert.deepEqual(s('io.k8s.api.core.v1.PodSpec').required, ['containers']);
  assert.deepEqual(s('io.k8s.api.core.v1.Container').required, ['name']);
  assert.equal(pod.required, undefined);
});

test('PodSpec.containers: array of Container, merged by name, a map list keyed by name', () => {
  const c = s('io.k8s.api.core.v1.PodSpec').properties!.containers!;
  assert.equal(c.type, 'array');
  assert.deepEqual(c.items, { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' });
  assert.equal(c['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(c['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(c['x-kubernetes-list-type'], 'map');
  assert.deepEqual(c['x-kubernetes-list-map-keys'], ['name']);
  const volumes = s('io.k8s.api.core.v1.PodSpec').properties!.volumes!;
  assert.equal(volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
});

test('list types as upstream: multi-key maps, sets, atomic', () => {
  const ports = s('io.k8s.api.core.v1.Container').properties!.ports!;
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.deepEqual(s('io.k8s.api.core.v1.ServiceSpec').properties!.ports!['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  const finalizers = s('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties!.finalizers!;
  assert.equal(finalizers['x-kubernetes-list-type'], 'set');
  assert.equal(finalizers['x-kubernetes-patch-strategy'], 'merge');
  const args = s('io.k8s.api.core.v1.Container').properties!.args!;
  assert.equal(args['x-kubernetes-list-type'], 'atomic');
  assert.equal(args['x-kubernetes-patch-strategy'], undefined);
  const owners = s('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties!.ownerReferences!;
  assert.deepEqual(owners['x-kubernetes-list-map-keys'], ['uid']);
  const conds = s('io.k8s.api.apps.v1.DeploymentStatus').properties!.conditions!;
  assert.equal(conds['x-kubernetes-patch-merge-key'], 'type');
});

test('object-level patch strategies: retainKeys on Deployment strategy, replace on PDB selector', () => {
  assert.equal(s('io.k8s.api.apps.v1.DeploymentSpec').properties!.strategy!['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(s('io.k8s.api.policy.v1.PodDisruptionBudgetSpec').properties!.selector!['x-kubernetes-patch-strategy'], 'replace');
  assert.equal(s('io.k8s.api.apps.v1.StatefulSetSpec').properties!.selector!['x-kubernetes-patch-strategy'], undefined);
});

test('Deployment carries its GVK; DeleteOptions lists every served group', () => {
  assert.deepEqual(s('io.k8s.api.apps.v1.Deployment')['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  const del = s('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions')['x-kubernetes-group-version-kind']!;
  assert.ok(del.some((g) => g.group === '' && g.version === 'v1'));
  assert.ok(del.some((g) => g.group === 'apps' && g.version === 'v1'));
  assert.ok(del.every((g) => g.kind === 'DeleteOptions'));
});

test('scalars: Quantity string, IntOrString int-or-string, Time date-time, maps', () => {
  const q = s('io.k8s.apimachinery.pkg.api.resource.Quantity');
  assert.equal(q.type, 'string');
  assert.match(q.description!, /fixed-point representation of a number/);
  const ios = s('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(ios['x-kubernetes-int-or-string'], true);
  assert.equal(ios.format, 'int-or-string');
  assert.deepEqual(s('io.k8s.api.core.v1.HTTPGetAction').properties!.port!.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
  assert.equal(s('io.k8s.apimachinery.pkg.apis.meta.v1.Time').format, 'date-time');
  const limits = s('io.k8s.api.core.v1.ResourceRequirements').properties!.limits!;
  assert.equal(limits.type, 'object');
  assert.deepEqual(limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  assert.deepEqual(s('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').properties!.labels!.additionalProperties, { type: 'string' });
  assert.equal(s('io.k8s.api.apps.v1.DeploymentSpec').properties!.replicas!.type, 'integer');
});

test('every $ref resolves', () => {
  for (const [name, schema] of Object.entries(cat.schemas)) {
    const refs: string[] = [];
    JSON.stringify(schema, (k, v) => {
      if (k === '$ref') refs.push(v as string);
      return v;
    });
    for (const r of refs) assert.ok(cat.get(refName(r)!), `${name}: dangling ${r}`);
  }
});

test('closure and resolve', () => {
  const c = new SchemaCatalog({
    A: { type: 'object', properties: { b: { allOf: [{ $ref: '#/components/schemas/B' }], description: 'x' } } },
    B: { type: 'object', properties: { c: { type: 'array', items: { $ref: '#/components/schemas/C' } } } },
    C: { type: 'string' },
    D: { type: 'string' },
  });
  assert.deepEqual(c.closure(['A']), ['A', 'B', 'C']);
  assert.deepEqual(c.closure(['nope']), []);
  assert.equal(c.resolve(c.get('A')!.properties!.b!), c.get('B'));
});

test('schemas.json is what scripts/gen-openapi.ts generates from kubernetes-types, the catalogue and the patch table (else: npm run gen:openapi)', async () => {
  const { generateSchemasJson, SCHEMAS_JSON_PATH } = await import('../../../scripts/gen-openapi.ts');
  const { readFileSync } = await import('node:fs');
  const { text } = generateSchemasJson();
  assert.ok(text === readFileSync(SCHEMAS_JSON_PATH, 'utf8'), 'src/apiserver/openapi/schemas.json is stale: run npm run gen:openapi');
});
