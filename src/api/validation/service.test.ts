import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateService } from './service.ts';
import { causeString } from './field.ts';
import { defaultService, preserveServiceAllocations } from '../defaults/core.ts';
import type { KubeObject, ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);

function service(mutate: (s: any, o: any) => void = () => {}): KubeObject {
  const o: any = { metadata: { name: 'web', namespace: 'd' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
  mutate(o.spec, o);
  defaultService(o);
  return o;
}

test('valid services of every type', () => {
  assert.deepEqual(lines(validateService(service())), []);
  assert.deepEqual(lines(validateService(service((s) => (s.type = 'NodePort')))), []);
  assert.deepEqual(lines(validateService(service((s) => (s.type = 'LoadBalancer')))), []);
  assert.deepEqual(lines(validateService(service((s) => (s.clusterIP = 'None')))), []);
  assert.deepEqual(lines(validateService(service((s) => ((s.clusterIP = '10.96.0.20'), (s.clusterIPs = ['10.96.0.20']))))), []);
  const ext = service((s) => {
    s.type = 'ExternalName';
    s.externalName = 'db.example.com.';
    delete s.selector;
    delete s.ports;
  });
  assert.deepEqual(lines(validateService(ext)), []);
});

test('service errors', () => {
  const cases: Array<[string, (s: any, o: any) => void, string[]]> = [
    [
      'name must be a DNS-1035 label',
      (_s, o) => (o.metadata.name = '1web'),
      [
        "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['ports required', (s) => (s.ports = []), ['spec.ports: Required value']],
    ['port names required when several', (s) => s.ports.push({ port: 443 }), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
    [
      'port range and duplicate port',
      (s) => (s.ports = [{ name: 'a', port: 0 }, { name: 'b', port: 0 }]),
      [
        'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:0, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
      ],
    ],
    [
      'bad type',
      (s) => (s.type = 'Internal'),
      [
        'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      ],
    ],
    ['node port on ClusterIP', (s) => (s.ports[0].nodePort = 30080), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['bad cluster IP', (s) => (s.clusterIP = '10.96.0.300'), ['spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    [
      'session affinity',
      (s) => (s.sessionAffinity = 'Cookie'),
      ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
    ],
    [
      'headless NodePort',
      (s) => ((s.type = 'NodePort'), (s.clusterIP = 'None')),
      ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    ],
    [
      'selector labels',
      (s) => (s.selector = { app: 'bad value' }),
      [
        "spec.selector: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    ],
    [
      'external traffic policy on ClusterIP',
      (s) => (s.externalTrafficPolicy = 'Local'),
      ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    ],
  ];
  for (const [name, mutate, want] of cases) assert.deepEqual(lines(validateService(service(mutate))), want, name);
});

test('service updates: cluster IPs stay, omitted allocations are carried over', () => {
  const old = service((s) => ((s.type = 'NodePort'), (s.clusterIP = '10.96.0.10'), (s.clusterIPs = ['10.96.0.10']), (s.ports[0].nodePort = 30080)));
  const changed = structuredClone(old);
  changed.spec.clusterIP = '10.96.0.11';
  changed.spec.clusterIPs = ['10.96.0.11'];
  assert.deepEqual(lines(validateService(changed, old)), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);

  const applied = service((s) => (s.type = 'NodePort'));
  preserveServiceAllocations(applied, old);
  assert.deepEqual(lines(validateService(applied, old)), []);
  assert.equal(applied.spec.clusterIP, '10.96.0.10');
  assert.equal(applied.spec.ports[0].nodePort, 30080);
});
