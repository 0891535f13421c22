import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { jsonToYaml, metadataTarget, outputType } from './negotiate.ts';

test('Accept headers: what clients send maps to JSON; YAML when preferred; null when nothing we write is accepted', () => {
  const cases: [string | undefined, 'json' | 'yaml' | null][] = [
    [undefined, 'json'],
    ['', 'json'],
    ['   ', 'json'],
    ['application/json', 'json'],
    ['application/json, */*', 'json'], // kubectl discovery and the dynamic client
    ['application/vnd.kubernetes.protobuf,application/json', 'json'], // kubectl's typed clientset
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', 'json'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['APPLICATION/YAML', 'yaml'],
    ['application/yaml', 'yaml'],
    ['application/json;q=0.5, application/yaml', 'yaml'], // by q
    ['*/*, application/yaml', 'yaml'], // by specificity at equal q
    ['application/yaml;q=0, */*', 'json'],
    ['application/json;q=0', null],
    ['text/html', null],
    ['text/html,application/xhtml+xml', null],
    ['application/vnd.kubernetes.protobuf', null],
    ['text/html;q=0.9, application/json;q=0.1', 'json'],
  ];
  for (const [accept, want] of cases) assert.equal(outputType(accept), want, `Accept: ${accept}`);
});

test('streams (watches) have no YAML form', () => {
  assert.equal(outputType('application/yaml', true), null);
  assert.equal(outputType('application/yaml, application/json;q=0.5', true), 'json');
  assert.equal(outputType('application/json;stream=watch', true), 'json');
  assert.equal(outputType('application/yaml', false), 'yaml'); // the memo keeps the two apart
});

test('JSON to YAML: same value, keys sorted, lists at their key\'s indent', () => {
  const obj = {
    metadata: { name: 'a', labels: { z: '1', b: 'true', c: 'yes', d: 'off' }, creationTimestamp: '2026-11-22T13:05:40Z' },
    apiVersion: 'v1',
    kind: 'Pod',
    spec: { containers: [{ name: 'c', args: ['--x', '0777', '12:30', 'y'] }] },
  };
  const y = jsonToYaml(Buffer.from(JSON.stringify(obj)));
  assert.deepEqual(parse(y), obj);
  assert.deepEqual(parse(y, { version: '1.1' }), obj, 'read as YAML 1.1 (Go yaml.v2) too: ambiguous strings are quoted');
  assert.match(y, /creationTimestamp: "2026-11-22T13:05:40Z"/);
  assert.ok(y.indexOf('apiVersion') < y.indexOf('kind') && y.indexOf('kind') < y.indexOf('metadata'), y);
  assert.match(y, /\n {2}containers:\n {2}- args:\n/);
});

test('metadata-only answers: what client-go\'s metadata client sends, in which version; Table wins', () => {
  const meta = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
  assert.deepEqual(metadataTarget(meta), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
  assert.deepEqual(metadataTarget('application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1beta1, application/json'), { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1beta1' });
  assert.equal(metadataTarget('application/json'), undefined);
  assert.equal(metadataTarget(undefined), undefined);
  assert.equal(metadataTarget('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v2,application/json'), undefined); // no such version: plain JSON
  assert.equal(metadataTarget('application/json;as=PartialObjectMetadata;g=example.com;v=v1'), undefined);
  assert.equal(metadataTarget('application/json;as=Table;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1'), undefined);
});
