// PodEnvResolver against an in-memory source: expansion, downward API fields and resources,
// configMap/secret refs and envFrom with the kubelet's messages, and service links.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { expandEnv, PodEnvResolver } from './env.ts';
import { serviceEnv } from './servicelinks.ts';
import { MemoryPodInputSource } from './testing.ts';
import { PodInputError } from './types.ts';
import type { PodRuntimeFacts } from './types.ts';

const facts: PodRuntimeFacts = { nodeName: 'node-1', hostIP: '192.0.2.10', podIP: '10.42.0.7', podIPs: ['10.42.0.7'] };

function pod(containers: Record<string, any>[], extra: Record<string, any> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'say "hi"' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'builder', containers, ...extra },
  };
}

function asMap(env: string[]): Map<string, string> {
  return new Map(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

test('expandEnv follows upstream expansion rules', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const l = (n: string) => vars[n];
  assert.equal(expandEnv('$(A)-$(B)', l), 'x-y');
  assert.equal(expandEnv('$$(A)', l), '$(A)');
  assert.equal(expandEnv('$(MISSING)', l), '$(MISSING)');
  assert.equal(expandEnv('$(A', l), '$(A');
  assert.equal(expandEnv('cost $5 $', l), 'cost $5 $');
  assert.equal(expandEnv('$$$$', l), '$$');
});

test('values, expansion over earlier vars, fieldRef and resourceFieldRef', async () => {
  const source = new MemoryPodInputSource();
  const r = new PodEnvResolver({ source, allocatable: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' } });
  const c = {
    name: 'app',
    resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    env: [
      { name: 'LATER', value: '$(FIRST)' },
      { name: 'FIRST', value: 'one' },
      { name: 'BOTH', value: '$(FIRST)-$(POD_NAME)-$$(FIRST)' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'HOST_IPS', valueFrom: { fieldRef: { fieldPath: 'status.hostIPs' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'MEM_LIM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      { name: 'EPH_LIM_GI', valueFrom: { resourceFieldRef: { resource: 'limits.ephemeral-storage', divisor: '1Gi' } } },
      { name: 'EMPTY' },
    ],
  };
  const env = await r.resolve(pod([c]), c, facts);
  const m = asMap(env);
  assert.equal(m.get('LATER'), '$(FIRST)', 'only earlier variables expand');
  assert.equal(m.get('BOTH'), 'one-$(POD_NAME)-$(FIRST)');
  assert.equal(m.get('POD_NAME'), 'web');
  assert.equal(m.get('NS'), 'shop');
  assert.equal(m.get('UID'), 'u-1');
  assert.equal(m.get('APP'), 'web');
  assert.equal(m.get('NOTE'), 'say "hi"');
  assert.equal(m.get('LABELS'), 'app="web"\ntier="front"');
  assert.equal(m.get('NODE'), 'node-1');
  assert.equal(m.get('SA'), 'builder');
  assert.equal(m.get('HOST_IP'), '192.0.2.10');
  assert.equal(m.get('HOST_IPS'), '192.0.2.10');
  assert.equal(m.get('POD_IP'), '10.42.0.7');
  assert.equal(m.get('POD_IPS'), '10.42.0.7');
  assert.equal(m.get('CPU_REQ'), '1', '250m rounds up to 1 core');
  assert.equal(m.get('CPU_REQ_M'), '250');
  assert.equal(m.get('CPU_LIM'), '4', 'unset limit = node allocatable');
  assert.equal(m.get('MEM_LIM_MI'), '128');
  assert.equal(m.get('MEM_REQ'), String(64 * 1024 * 1024));
  assert.equal(m.get('EPH_LIM_GI'), '100');
  assert.equal(m.get('EMPTY'), '');
  // declared order is kept
  assert.deepEqual(env.slice(0, 3), ['LATER=$(FIRST)', 'FIRST=one', 'BOTH=one-$(POD_NAME)-$(FIRST)']);
});

test('configMapKeyRef / secretKeyRef: values, optional, and the kubelet messages', async () => {
  const source = new MemoryPodInputSource();
  source.addConfigMap('shop', 'cfg', { mode: 'fast' }, { bin: Buffer.from('x').toString('base64') });
  source.addSecret('shop', 'creds', { password: 's3cret' });
  const r = new PodEnvResolver({ source });
  const run = (env: Record<string, any>[]) => {
    const c = { name: 'app', env };
    return r.resolve(pod([c], { enableServiceLinks: false }), c, facts);
  };
  assert.deepEqual(
    await run([
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'OPT1', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
      { name: 'OPT2', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey', optional: true } } },
      { name: 'OPT3', valueFrom: { secretKeyRef: { name: 'creds', key: 'nokey', optional: true } } },
    ]),
    ['MODE=fast', 'PW=s3cret'],
  );
  const fails = async (env: Record<string, any>[], msg: string) => {
    const err = await run(env).then(() => undefined, (e) => e);
    assert.ok(err instanceof PodInputError, String(err));
    assert.equal(err.reason, 'CreateContainerConfigError');
    assert.equal(err.message, msg);
  };
  await fails([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }], 'configmap "x" not found');
  await fails([{ name: 'X', valueFrom: { secretKeyRef: { name: 'x', key: 'k' } } }], 'secret "x" not found');
  await fails([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }], "couldn't find key k in ConfigMap shop/cfg");
  await fails([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'bin' } } }], "couldn't find key bin in ConfigMap shop/cfg");
  await fails([{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }], "couldn't find key k in Secret shop/creds");
  await fails([{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }], 'unsupported fieldPath: spec.bogus');
});

test('envFrom with prefix, invalid keys skipped and reported, env overrides envFrom', async () => {
  const source = new MemoryPodInputSource();
  source.addConfigMap('shop', 'cfg', { MODE: 'fast', 'bad key': 'x', '1ST': 'y', 'dotted.ok': 'z' });
  source.addSecret('shop', 'creds', { USER: 'bob', PASSWORD: 'pw' });
  const warnings: string[] = [];
  const r = new PodEnvResolver({ source, onInvalidKeys: (_p, m) => warnings.push(m) });
  const c = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }, { configMapRef: { name: 'gone', optional: true } }],
    env: [{ name: 'MODE', value: 'slow-$(DB_USER)' }],
  };
  const env = await r.resolve(pod([c], { enableServiceLinks: false }), c, facts);
  assert.deepEqual(env, ['MODE=slow-bob', 'dotted.ok=z', 'DB_USER=bob', 'DB_PASSWORD=pw']);
  assert.deepEqual(warnings, ['Keys [1ST, bad key] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names.']);
  const c2 = { name: 'app', envFrom: [{ secretRef: { name: 'missing' } }] };
  await assert.rejects(r.resolve(pod([c2]), c2, facts), { name: 'PodInputError', message: 'secret "missing" not found' });
});

test('service links: own namespace when enabled, kubernetes from default always, container vars win', async () => {
  const source = new MemoryPodInputSource();
  source.addService('default', 'kubernetes', '10.43.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);
  source.addService('default', 'other', '10.43.0.9', [{ port: 1 }]);
  source.addService('shop', 'redis-primary', '10.43.0.20', [{ port: 6379 }, { name: 'metrics', port: 9121, protocol: 'TCP' }]);
  source.addService('shop', 'headless', 'None', [{ port: 80 }]);
  const r = new PodEnvResolver({ source });
  const c = { name: 'app', env: [{ name: 'REDIS_PRIMARY_SERVICE_HOST', value: 'mine' }] };
  const m = asMap(await r.resolve(pod([c]), c, facts));
  assert.equal(m.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.equal(m.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(m.get('KUBERNETES_SERVICE_PORT_HTTPS'), '443');
  assert.equal(m.get('KUBERNETES_PORT'), 'tcp://10.43.0.1:443');
  assert.equal(m.get('KUBERNETES_PORT_443_TCP_ADDR'), '10.43.0.1');
  assert.equal(m.get('REDIS_PRIMARY_SERVICE_HOST'), 'mine', 'the container’s own variable wins');
  assert.equal(m.get('REDIS_PRIMARY_SERVICE_PORT'), '6379');
  assert.equal(m.get('REDIS_PRIMARY_SERVICE_PORT_METRICS'), '9121');
  assert.equal(m.get('REDIS_PRIMARY_PORT'), 'tcp://10.43.0.20:6379');
  assert.equal(m.get('REDIS_PRIMARY_PORT_9121_TCP'), 'tcp://10.43.0.20:9121');
  assert.equal(m.get('REDIS_PRIMARY_PORT_9121_TCP_PROTO'), 'tcp');
  assert.equal(m.get('REDIS_PRIMARY_PORT_9121_TCP_PORT'), '9121');
  assert.equal(m.get('REDIS_PRIMARY_PORT_6379_TCP_ADDR'), '10.43.0.20');
  assert.ok(!m.has('OTHER_SERVICE_HOST'), 'other namespaces are not linked');
  assert.ok(![...m.keys()].some((k) => k.startsWith('HEADLESS')), 'headless services have no variables');

  const off = asMap(await r.resolve(pod([c], { enableServiceLinks: false }), c, facts));
  assert.equal(off.get('KUBERNETES_SERVICE_HOST'), '10.43.0.1');
  assert.ok(!off.has('REDIS_PRIMARY_SERVICE_PORT'));
});

test('serviceEnv order for one service', () => {
  const svc = { metadata: { name: 'a-b', namespace: 'x' }, spec: { clusterIP: '10.0.0.5', ports: [{ port: 53, protocol: 'UDP', name: 'dns' }] } };
  assert.deepEqual(serviceEnv(svc), [
    ['A_B_SERVICE_HOST', '10.0.0.5'],
    ['A_B_SERVICE_PORT', '53'],
    ['A_B_SERVICE_PORT_DNS', '53'],
    ['A_B_PORT', 'udp://10.0.0.5:53'],
    ['A_B_PORT_53_UDP', 'udp://10.0.0.5:53'],
    ['A_B_PORT_53_UDP_PROTO', 'udp'],
    ['A_B_PORT_53_UDP_PORT', '53'],
    ['A_B_PORT_53_UDP_ADDR', '10.0.0.5'],
  ]);
});
