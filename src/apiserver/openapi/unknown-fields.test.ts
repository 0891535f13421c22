// Unknown-field paths (as upstream's strict decoder names them) and duplicate JSON keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDecoded, duplicateFields, duplicateFieldsOf, unknownFields } from './unknown-fields.ts';
import { SchemaCatalog } from './schemas.ts';

const pod = (spec: unknown, metadata: unknown = { name: 'p' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });

test('a valid pod has no unknown fields', () => {
  const p = pod({
    containers: [
      {
        name: 'c',
        image: 'nginx',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: 0.5 } },
        livenessProbe: { httpGet: { port: 'http', path: '/' } },
      },
    ],
    nodeSelector: { disk: 'ssd' },
    volumes: [{ name: 'v', emptyDir: {} }],
  }, { name: 'p', labels: { app: 'x' }, annotations: { 'a/b': 'c' }, managedFields: [{ manager: 'm', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }] });
  assert.deepEqual(unknownFields('', 'v1', 'Pod', p), []);
});

test('unknown fields at every depth, in document order, as upstream spells them', () => {
  const p: Record<string, unknown> = pod({ foo: 1, containers: [{ name: 'a', image: 'x' }, { name: 'b', imagee: 'x', ports: [{ containerPort: 1, bogus: true }] }] }, { name: 'p', labelz: {} });
  p.status = { phasee: 'Running' };
  p.extra = null;
  assert.deepEqual(unknownFields('', 'v1', 'Pod', p), [
    'metadata.labelz',
    'spec.foo',
    'spec.containers[1].imagee',
    'spec.containers[1].ports[0].bogus',
    'status.phasee',
    'extra',
  ]);
});

test('deployment template paths', () => {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' }, containers: [] }, spec: { containers: [{ name: 'c', image: 'i', restartPolicyy: 'Always' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    },
  };
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', d), ['spec.template.metadata.containers', 'spec.template.spec.containers[0].restartPolicyy']);
});

test('open objects are not looked into; unknown kinds have no schema', () => {
  const cr = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { anything: { at: ['all'] } } };
  assert.deepEqual(unknownFields('apps', 'v1', 'ControllerRevision', cr), []);
  assert.deepEqual(unknownFields('example.com', 'v1', 'Widget', { spec: { whatever: 1 } }), []);
  // type mismatches are not unknown fields
  assert.deepEqual(unknownFields('', 'v1', 'Pod', pod('not-an-object', 'nope')), []);
  assert.deepEqual(unknownFields('', 'v1', 'Pod', pod({ containers: 'x' })), []);
});

test('x-kubernetes-preserve-unknown-fields and embedded resources are open', () => {
  const cat = new SchemaCatalog({
    W: {
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'g', version: 'v1', kind: 'W' }],
      properties: {
        spec: { type: 'object', properties: { a: { type: 'string' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, emb: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { kind: { type: 'string' } } } } },
      },
    },
  });
  assert.deepEqual(unknownFields('g', 'v1', 'W', { spec: { a: 'x', b: 1, free: { x: 1 }, emb: { kind: 'K', other: 1 } } }, cat), ['spec.b']);
});

test('scale and status subresource kinds have schemas too', () => {
  assert.deepEqual(unknownFields('autoscaling', 'v1', 'Scale', { spec: { replicas: 2, replicaz: 1 } }), ['spec.replicaz']);
  assert.deepEqual(unknownFields('autoscaling', 'v2', 'HorizontalPodAutoscaler', { spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50, x: 1 } } }] } }), [
    'spec.metrics[0].resource.target.x',
  ]);
});

test('duplicateFields: repeated keys per object, with paths', () => {
  assert.deepEqual(duplicateFields('{"metadata":{"name":"a","name":"b"}}'), ['metadata.name']);
  assert.deepEqual(duplicateFields('{"a":1,"a":2,"a":3}'), ['a', 'a']);
  assert.deepEqual(duplicateFields('{"spec":{"containers":[{"name":"x"},{"name":"y","image":"i","name":"z"}]}}'), ['spec.containers[1].name']);
  assert.deepEqual(duplicateFields('{"metadata":{"labels":{"app":"a","app":"b"}},"metadata":{}}'), ['metadata.labels.app', 'metadata']);
  assert.deepEqual(duplicateFields('[{"a":1,"a":2},[{"b":[],"b":{}}]]'), ['[0].a', '[1][0].b']);
});

test('duplicateFields: no false positives', () => {
  assert.deepEqual(duplicateFields('{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}'), []);
  assert.deepEqual(duplicateFields(' { "a" : "}\\"{,[" , "b" : [ 1 , -2.5e3 , true , null , "x" ] , "c" : { } , "d" : [ ] } '), []);
  assert.deepEqual(duplicateFields('{"A":1,"a":2}'), []);
  assert.deepEqual(duplicateFields('"just a string"'), []);
  assert.deepEqual(duplicateFields(''), []);
});

test('duplicateFields: escaped keys compare by value', () => {
  assert.deepEqual(duplicateFields('{"a\\u0062":1,"ab":2}'), ['ab']);
});

test('duplicateFields: deep nesting does not overflow the stack; malformed text stops quietly', () => {
  const depth = 100000;
  const deep = '{"k":'.repeat(depth) + '1' + '}'.repeat(depth);
  assert.deepEqual(duplicateFields(deep), []);
  assert.deepEqual(duplicateFields('{"a":1,"a":'), ['a']);
  assert.deepEqual(duplicateFields('{"a" 1}'), []);
  assert.deepEqual(duplicateFields('{"a":"unterminated'), []);
});

test('duplicateFieldsOf: same answers as duplicateFields, given the parsed value', () => {
  const texts = [
    '{"metadata":{"name":"a","name":"b"}}',
    '{"a":1,"a":2,"a":3}',
    '{"spec":{"containers":[{"name":"x"},{"name":"y","image":"i","name":"z"}]}}',
    '{"metadata":{"labels":{"app":"a","app":"b"}},"metadata":{}}',
    '[{"a":1,"a":2},[{"b":[],"b":{}}]]',
    '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}',
    ' { "a" : "}\\"{,[" , "b" : [ 1 , -2.5e3 , true , null , "x" ] , "c" : { } , "d" : [ ] } ',
    '{"k\\\\":"v\\\\","q":"\\":"}',
    '{"a\\u0062":1,"ab":2}',
    '{"A":1,"a":2}',
    '"just a string"',
    '{"__proto__":{"x":1},"__proto__":2}',
    '{"k":'.repeat(50000) + '1' + '}'.repeat(50000),
  ];
  for (const t of texts) assert.deepEqual(duplicateFieldsOf(t, JSON.parse(t)), duplicateFields(t), t.slice(0, 60));
});

test('checkDecoded: the first value of the wrong JSON type, named as upstream\'s decoder names it', () => {
  const pod = (patch: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] }, ...patch });
  const err = (o: unknown, group = '', version = 'v1', kind = 'Pod') => checkDecoded(group, version, kind, o).typeError;
  assert.equal(err(pod({})), undefined);
  assert.equal(err(pod({ metadata: { name: 5 } })), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string');
  assert.equal(err(pod({ metadata: { generateName: {} } })), 'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.generateName of type string');
  assert.equal(err(pod({ spec: 'x' })), 'json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
  assert.equal(err(pod({ spec: { containers: 'x' } })), 'json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container');
  assert.equal(err(pod({ spec: { containers: [1] } })), 'json: cannot unmarshal number into Go struct field PodSpec.spec.containers of type v1.Container');
  assert.equal(
    err(pod({ spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: '80' }] }] } })),
    'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
  );
  assert.equal(err(pod({ metadata: { name: 'p', labels: { a: 1 } } })), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  assert.equal(
    err(pod({ spec: { terminationGracePeriodSeconds: 1.5, containers: [] } })),
    'json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.terminationGracePeriodSeconds of type int64',
  );
  assert.equal(
    err(pod({ spec: { containers: [{ name: 'c', resources: { limits: { cpu: {} } } }] } })),
    'json: cannot unmarshal object into Go struct field ResourceRequirements.spec.containers.resources.limits of type resource.Quantity',
  );
  // the first mismatch in document order
  assert.equal(err(pod({ metadata: { name: 1, namespace: 2 } })), 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string');
  // null is any field's zero value, and a null list element a zero struct: no mismatch; the
  // zero values Go would hold are put in place
  const nulls = pod({ metadata: { name: null, labels: { a: null } }, spec: { containers: [null], nodeName: null } });
  assert.equal(err(nulls), undefined);
  assert.deepEqual(nulls.metadata, { name: null, labels: { a: '' } });
  assert.deepEqual(nulls.spec, { containers: [{}], nodeName: null });
  // quantities and int-or-strings take numbers and strings
  assert.equal(
    err(pod({ spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '1Gi' } }, livenessProbe: { httpGet: { port: 'http' } }, readinessProbe: { httpGet: { port: 8080 } } }] } })),
    undefined,
  );
  // open objects take anything; a too deeply nested value stops at its field's type
  assert.equal(err({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { x: [1, { y: null }] } }, 'apps', 'v1', 'ControllerRevision'), undefined);
  let deep: unknown = 1;
  for (let i = 0; i < 20000; i++) deep = { a: deep };
  assert.equal(err(pod({ metadata: { name: 'p', annotations: deep } })), 'json: cannot unmarshal object into Go struct field ObjectMeta.metadata.annotations of type string');
  assert.equal(
    err({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: '3' } }, 'apps', 'v1', 'Deployment'),
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  // unknown fields are still reported alongside
  assert.deepEqual(checkDecoded('', 'v1', 'Pod', pod({ spec: { containers: [{ name: 'c', imagee: 'i' }] } })).unknown, ['spec.containers[0].imagee']);
});
