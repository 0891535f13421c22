import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateLimitRange,
  validateNamespace,
  validateNode,
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validateResourceQuota,
  validateSecret,
} from './core.ts';
import { causeString } from './field.ts';
import type { ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);
const meta = (name = 'x') => ({ name, namespace: 'd' });
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('namespaces', () => {
  assert.deepEqual(lines(validateNamespace({ metadata: { name: 'team-a' }, spec: { finalizers: ['kubernetes'] } })), []);
  assert.deepEqual(lines(validateNamespace({ metadata: { name: 'team.a' } })), ['metadata.name: Invalid value: "team.a": must not contain dots']);
  assert.deepEqual(lines(validateNamespace({ metadata: { name: 'x' }, spec: { finalizers: ['custom'] } })), [
    'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test('configmaps', () => {
  assert.deepEqual(lines(validateConfigMap({ metadata: meta(), data: { 'app.properties': 'a=b', KEY_1: 'v' } })), []);
  assert.deepEqual(lines(validateConfigMap({ metadata: meta(), data: { 'a/b': 'x', k: 'v' }, binaryData: { k: b64('v') } })), [
    "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    'data[k]: Invalid value: "k": duplicate of key present in binaryData',
  ]);
  assert.deepEqual(lines(validateConfigMap({ metadata: meta(), data: { big: 'x'.repeat(1024 * 1024 + 1) } })), [': Too long: may not be more than 1048576 bytes']);
  const frozen = { metadata: meta(), immutable: true, data: { a: '1' } };
  assert.deepEqual(lines(validateConfigMap({ metadata: meta(), immutable: true, data: { a: '2' } }, frozen)), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  assert.deepEqual(lines(validateConfigMap({ metadata: meta(), data: { a: '1' } }, frozen)), ['immutable: Forbidden: field is immutable when `immutable` is set']);
});

test('secrets', () => {
  assert.deepEqual(lines(validateSecret({ metadata: meta(), type: 'Opaque', data: { password: b64('hunter2') } })), []);
  assert.deepEqual(lines(validateSecret({ metadata: meta(), type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } })), ['data[tls.key]: Required value']);
  assert.deepEqual(lines(validateSecret({ metadata: meta(), type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{nope') } })).length, 1);
  assert.deepEqual(lines(validateSecret({ metadata: meta(), type: 'kubernetes.io/service-account-token' })), [
    'metadata.annotations[kubernetes.io/service-account.name]: Required value',
  ]);
  const old = { metadata: meta(), type: 'Opaque', data: {} };
  assert.deepEqual(lines(validateSecret({ metadata: meta(), type: 'kubernetes.io/basic-auth', data: { username: b64('u') } }, old)), [
    'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
  ]);
});

test('endpoints and events', () => {
  const ep = { metadata: meta(), subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80, protocol: 'TCP' }] }] };
  assert.deepEqual(lines(validateEndpoints(ep)), []);
  assert.deepEqual(
    lines(validateEndpoints({ metadata: meta(), subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'nope' }], ports: [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }] }] })),
    [
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
      'subsets[0].addresses[1].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].ports[0].name: Required value',
      'subsets[0].ports[1].name: Required value',
    ],
  );
  assert.deepEqual(lines(validateEndpoints({ metadata: meta(), subsets: [{}] })), ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']);

  const ev = { metadata: { name: 'web.17a2b', namespace: 'd' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'd' }, reason: 'Started', type: 'Normal' };
  assert.deepEqual(lines(validateEvent(ev)), []);
  assert.deepEqual(lines(validateEvent({ ...ev, involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } })), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
});

test('persistent volumes and claims', () => {
  const pv = { metadata: { name: 'pv1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/data' } } };
  assert.deepEqual(lines(validatePersistentVolume(pv)), []);
  assert.deepEqual(lines(validatePersistentVolume({ metadata: { name: 'pv2' }, spec: { accessModes: ['ReadWriteSometimes'], capacity: { storage: '1Gi', cpu: '1' } } })), [
    'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.capacity: Unsupported value: map[string]string{"cpu":"1", "storage":"1Gi"}: supported values: "storage"',
    'spec: Required value: must specify a volume type',
  ]);
  const moved = structuredClone(pv);
  moved.spec.hostPath.path = '/other';
  assert.deepEqual(lines(validatePersistentVolume(moved, pv)), ['spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation']);

  const pvc = { metadata: meta('data'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' } };
  assert.deepEqual(lines(validatePersistentVolumeClaim(pvc)), []);
  assert.deepEqual(lines(validatePersistentVolumeClaim({ metadata: meta('data'), spec: { resources: { requests: { storage: '0' } } } })), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  ]);
  const grown = structuredClone(pvc);
  grown.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(lines(validatePersistentVolumeClaim(grown, pvc)), []);
  const remoded = structuredClone(pvc);
  remoded.spec.accessModes = ['ReadWriteMany'];
  assert.deepEqual(lines(validatePersistentVolumeClaim(remoded, pvc)), [
    'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
  ]);
});

test('quotas, limit ranges and nodes', () => {
  assert.deepEqual(lines(validateResourceQuota({ metadata: meta(), spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/deployments.apps': '5' } } })), []);
  assert.deepEqual(lines(validateResourceQuota({ metadata: meta(), spec: { hard: { pods: '-1' } } })), ['spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0']);
  assert.deepEqual(lines(validateLimitRange({ metadata: meta(), spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: '2' } }] } })), [
    'spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1',
  ]);
  assert.deepEqual(lines(validateLimitRange({ metadata: meta(), spec: { limits: [{ type: 'Node' }] } })), [
    'spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified',
  ]);
  assert.deepEqual(lines(validateNode({ metadata: { name: 'n1' }, spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } })), []);
  assert.deepEqual(lines(validateNode({ metadata: { name: 'n1' }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } })), [
    'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
  assert.deepEqual(lines(validateNode({ metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24' } }, { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.0.0/24' } })), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
  ]);
});
