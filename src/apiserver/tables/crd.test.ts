import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { compileJsonPath, evaluate } from './jsonpath.ts';
import { customResourcePrinter } from './crd.ts';
import { buildTable } from './table.ts';

const now = new Date('2026-03-01T12:00:00Z');

const widget: KubeObject = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w1', namespace: 'default', creationTimestamp: '2026-03-01T11:50:00Z', labels: { 'app.kubernetes.io/name': 'shop' } },
  spec: { replicas: 3, size: 1.5, enabled: true, tags: ['a', 'b'], owner: { team: 'core' } },
  status: {
    conditions: [
      { type: 'Progressing', status: 'True', lastTransitionTime: '2026-03-01T11:51:00Z' },
      { type: 'Ready', status: 'False', lastTransitionTime: '2026-03-01T11:58:00Z' },
    ],
    observedGeneration: 4,
  },
};

test('jsonpath subset', () => {
  const cases: [string, unknown[]][] = [
    ['.spec.replicas', [3]],
    ['{.spec.replicas}', [3]],
    ['.spec.missing', []],
    ['.spec.tags[1]', ['b']],
    ['.spec.tags[-1]', ['b']],
    ['.spec.tags[5]', []],
    ['.spec.tags[*]', ['a', 'b']],
    ["['spec']['owner'].team", ['core']],
    ['.metadata.labels.app\\.kubernetes\\.io/name', ['shop']],
    ['.status.conditions[?(@.type=="Ready")].status', ['False']],
    ['.status.conditions[?(@.type!="Ready")].type', ['Progressing']],
    ['.status.conditions[?(@.lastTransitionTime)].type', ['Progressing', 'Ready']],
    ['.status.observedGeneration', [4]],
    ['.spec.owner.*', ['core']],
    ['.spec.replicas.deeper', []],
  ];
  for (const [path, want] of cases) assert.deepEqual(evaluate(compileJsonPath(path), widget), want, path);
  assert.throws(() => compileJsonPath('.spec[foo]'));
  assert.throws(() => compileJsonPath('.spec..x'));
});

test('custom resource printer cells by column type', () => {
  const printer = customResourcePrinter([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Size', type: 'number', jsonPath: '.spec.size' },
    { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
    { name: 'Owner', type: 'string', jsonPath: '.spec.owner', priority: 1 },
    { name: 'Gen', type: 'string', jsonPath: '.status.observedGeneration' },
    { name: 'Missing', type: 'string', jsonPath: '.status.nothing' },
    { name: 'Wrong', type: 'integer', jsonPath: '.spec.enabled' },
    { name: 'Since', type: 'date', jsonPath: '.status.conditions[0].lastTransitionTime' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  assert.deepEqual(printer.print(widget, { now }), ['w1', 3, 1.5, true, 'False', '["a","b"]', '{"team":"core"}', '4', null, null, '9m', '10m']);
  assert.deepEqual(printer.columns[6], {
    name: 'Owner',
    type: 'string',
    format: '',
    description: 'Custom resource definition column (in JSONPath format): .spec.owner',
    priority: 1,
  });
});

test('buildTable for custom resources', () => {
  const plain: any = buildTable({ group: 'example.com', plural: 'widgets', additionalPrinterColumns: [] }, [widget], { now });
  assert.deepEqual(plain.columnDefinitions.map((c: any) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
  assert.deepEqual(plain.rows[0].cells, ['w1', '10m']);
  assert.equal(plain.rows[0].object.kind, 'PartialObjectMetadata');

  const broken: any = buildTable(
    { group: 'example.com', plural: 'widgets', additionalPrinterColumns: [{ name: 'X', type: 'string', jsonPath: '.spec[bad' }] },
    [widget],
    { now },
  );
  assert.deepEqual(broken.rows[0].cells, ['w1', '2026-03-01T11:50:00Z']);

  // Without CRD columns a custom resource is just another resource without a printer.
  const noCrd: any = buildTable({ group: 'example.com', plural: 'widgets' }, [widget], { now });
  assert.equal(noCrd.columnDefinitions[1].name, 'Created At');
});
