// Tests for decode.ts with hand-built bodies: objects encoded with protobufjs from the committed
// descriptor, wrapped in the k8s\0 + runtime.Unknown envelope as Kubernetes clients send them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs/light.js';
import { ApiError } from '../../base/errors.ts';
import { decodeProtobufObject, isProtobuf, PROTOBUF_MAGIC } from './decode.ts';

const descriptor = JSON.parse(readFileSync(new URL('./descriptor.json', import.meta.url), 'utf8'));
const root = protobuf.Root.fromJSON({ nested: descriptor.nested });

function encode(message: string, object: Record<string, unknown>): Uint8Array {
  const type = root.lookupType(message);
  const err = type.verify(object);
  if (err) throw new Error(`test object for ${message}: ${err}`);
  return type.encode(type.fromObject(object)).finish();
}

function body(apiVersion: string, kind: string, raw: Uint8Array, extra: Record<string, unknown> = {}): Buffer {
  const unknown = encode('k8s.io.apimachinery.pkg.runtime.Unknown', {
    typeMeta: { apiVersion, kind },
    raw,
    contentType: 'application/vnd.kubernetes.protobuf',
    ...extra,
  });
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}

const core = (kind: string): string => `k8s.io.api.core.v1.${kind}`;

test('isProtobuf matches the Kubernetes protobuf media type with any parameters', () => {
  assert.equal(isProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobuf('Application/VND.Kubernetes.Protobuf; charset=binary'), true);
  assert.equal(isProtobuf('application/json'), false);
  assert.equal(isProtobuf(''), false);
});

test('Namespace: kind and apiVersion from the envelope, Go JSON for absent structs and times', () => {
  const raw = encode(core('Namespace'), { metadata: { name: 'team-a', labels: { env: 'dev' } } });
  assert.deepEqual(decodeProtobufObject(body('v1', 'Namespace', raw)), {
    kind: 'Namespace',
    apiVersion: 'v1',
    metadata: { name: 'team-a', creationTimestamp: null, labels: { env: 'dev' } },
    spec: {},
    status: {},
  });
});

test('ConfigMap: string data and base64 binaryData', () => {
  const raw = encode(core('ConfigMap'), {
    metadata: { name: 'cfg', namespace: 'default' },
    data: { 'a.txt': 'hello', b: '' },
    binaryData: { bin: Buffer.from([0, 1, 2, 255]) },
  });
  assert.deepEqual(decodeProtobufObject(body('v1', 'ConfigMap', raw)), {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cfg', namespace: 'default', creationTimestamp: null },
    data: { 'a.txt': 'hello', b: '' },
    binaryData: { bin: 'AAEC/w==' },
  });
});

test('Secret: bytes values as base64, a pointer bool kept when false', () => {
  const raw = encode(core('Secret'), {
    metadata: { name: 's', creationTimestamp: { seconds: 1795341600 } },
    data: { password: Buffer.from('s3cr3t'), empty: Buffer.alloc(0) },
    type: 'Opaque',
    immutable: false,
  });
  assert.deepEqual(decodeProtobufObject(body('v1', 'Secret', raw)), {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 's', creationTimestamp: '2026-11-22T10:00:00Z' },
    data: { password: 'czNjcjN0', empty: '' },
    type: 'Opaque',
    immutable: false,
  });
});

test('Deployment: pod template, container resources as Quantity strings, replicas 0 kept', () => {
  const raw = encode('k8s.io.api.apps.v1.Deployment', {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80 }],
              resources: {
                limits: { cpu: { string: '500m' }, memory: { string: '128Mi' } },
                requests: { cpu: { string: '250m' } },
              },
              readinessProbe: { handler: { httpGet: { path: '/', port: { type: 0, intVal: 80 } } }, periodSeconds: 5 },
            },
          ],
          volumes: [{ name: 'data', volumeSource: { emptyDir: {} } }],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: { type: 1, strVal: '25%' } } },
    },
  });
  assert.deepEqual(decodeProtobufObject(body('apps/v1', 'Deployment', raw)), {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
              readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
            },
          ],
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    },
    status: {},
  });
});

test('Service: IntOrString targetPort as number or string; port kept as a non-omitempty field', () => {
  const raw = encode(core('Service'), {
    metadata: { name: 'web' },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: { type: 0, intVal: 8080 } },
        { name: 'metrics', port: 9090, targetPort: { type: 1, strVal: 'metrics' } },
        { name: 'zero' },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
    },
  });
  assert.deepEqual(decodeProtobufObject(body('v1', 'Service', raw)), {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: { name: 'web', creationTimestamp: null },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'metrics', port: 9090, targetPort: 'metrics' },
        { name: 'zero', port: 0, targetPort: 0 },
      ],
      selector: { app: 'web' },
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  });
});

test('SelfSubjectAccessReview: resource and non-resource attributes', () => {
  const ssar = 'k8s.io.api.authorization.v1.SelfSubjectAccessReview';
  const resource = encode(ssar, {
    metadata: {},
    spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', name: 'web-1' } },
  });
  assert.deepEqual(decodeProtobufObject(body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', resource)), {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods', name: 'web-1' } },
    status: { allowed: false },
  });
  const path = encode(ssar, { spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } } });
  const decoded = decodeProtobufObject(body('authorization.k8s.io/v1', 'SelfSubjectAccessReview', path));
  assert.deepEqual(decoded['spec'], { nonResourceAttributes: { path: '/healthz', verb: 'get' } });
});

test('Eviction: times, an int64 pointer kept at 0, managedFields as embedded JSON', () => {
  const eviction = encode('k8s.io.api.policy.v1.Eviction', {
    metadata: {
      name: 'web-1',
      namespace: 'default',
      deletionTimestamp: { seconds: 1795341600 },
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Update',
          time: { seconds: 1795341600 },
          fieldsType: 'FieldsV1',
          fieldsV1: { Raw: Buffer.from('{"f:metadata":{}}') },
        },
      ],
    },
    deleteOptions: { gracePeriodSeconds: 0, dryRun: ['All'] },
  });
  assert.deepEqual(decodeProtobufObject(body('policy/v1', 'Eviction', eviction)), {
    kind: 'Eviction',
    apiVersion: 'policy/v1',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      creationTimestamp: null,
      deletionTimestamp: '2026-11-22T10:00:00Z',
      managedFields: [
        {
          manager: 'kubectl',
          operation: 'Update',
          time: '2026-11-22T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': {} },
        },
      ],
    },
    deleteOptions: { gracePeriodSeconds: 0, dryRun: ['All'] },
  });
});

test('fields whose protobuf name differs from the JSON name, named slices as arrays', () => {
  // BoundObjectReference field 4 is `uID` in generated.proto, `uid` in JSON; the descriptor uses the JSON name.
  const tokenRequest = encode('k8s.io.api.authentication.v1.TokenRequest', {
    spec: { audiences: ['api'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: 'u-1' } },
  });
  const decoded = decodeProtobufObject(body('authentication.k8s.io/v1', 'TokenRequest', tokenRequest));
  assert.deepEqual(decoded['spec'], {
    audiences: ['api'],
    boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: 'u-1' },
    expirationSeconds: null, // *int64 without omitempty
  });

  const sar = encode('k8s.io.api.authorization.v1.SubjectAccessReview', {
    spec: { user: 'alice', groups: ['devs'], extra: { scopes: { items: ['a', 'b'] }, none: {} }, uid: 'u-2' },
  });
  const review = decodeProtobufObject(body('authorization.k8s.io/v1', 'SubjectAccessReview', sar));
  assert.deepEqual(review['spec'], { user: 'alice', groups: ['devs'], extra: { scopes: ['a', 'b'], none: null }, uid: 'u-2' });
});

test('DeleteOptions is decoded whatever group version it is sent in', () => {
  const raw = encode('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', { propagationPolicy: 'Foreground' });
  assert.deepEqual(decodeProtobufObject(body('apps/v1', 'DeleteOptions', raw)), {
    kind: 'DeleteOptions',
    apiVersion: 'apps/v1',
    propagationPolicy: 'Foreground',
  });
});

test('bad bodies are 400 BadRequest; unknown kinds are 415', () => {
  const reason = (fn: () => unknown): [number, string, string] => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return [err.httpCode, err.reason, err.message];
    }
    assert.fail('expected an error');
  };
  assert.deepEqual(reason(() => decodeProtobufObject(Buffer.from('{"kind":"Namespace"}'))), [
    400,
    'BadRequest',
    'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
  ]);
  const ns = body('v1', 'Namespace', encode(core('Namespace'), { metadata: { name: 'x', labels: { a: 'b' } } }));
  const [code, why, message] = reason(() => decodeProtobufObject(ns.subarray(0, ns.length - 3)));
  assert.equal(code, 400);
  assert.equal(why, 'BadRequest');
  assert.match(message, /^unable to decode protobuf/);

  const truncatedObject = encode(core('Namespace'), { metadata: { name: 'abcdef' } }).subarray(0, 5);
  assert.equal(reason(() => decodeProtobufObject(body('v1', 'Namespace', truncatedObject)))[0], 400);

  assert.deepEqual(reason(() => decodeProtobufObject(Buffer.concat([PROTOBUF_MAGIC, Buffer.alloc(0)]))), [
    400,
    'BadRequest',
    'protobuf body has no apiVersion and kind in its runtime.Unknown envelope',
  ]);
  assert.deepEqual(reason(() => decodeProtobufObject(body('example.com/v1', 'Widget', new Uint8Array()))), [
    415,
    'UnsupportedMediaType',
    'protobuf bodies of kind Widget in example.com/v1 are not supported; send the object as application/json',
  ]);
  assert.equal(reason(() => decodeProtobufObject(body('v1', 'Namespace', new Uint8Array(), { contentEncoding: 'gzip' })))[0], 415);
});
