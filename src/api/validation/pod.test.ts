import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePod, validatePodTemplate } from './pod.ts';
import { causeString } from './field.ts';
import { defaultPod, defaultPodTemplateSpec } from '../defaults/pod.ts';
import type { KubeObject, ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);

function pod(mutate: (spec: any, pod: any) => void = () => {}): KubeObject {
  const p: any = {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }] }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
  mutate(p.spec, p);
  defaultPod(p);
  return p;
}

test('a defaulted pod is valid', () => {
  assert.deepEqual(lines(validatePod(pod())), []);
});

test('pod create errors carry upstream fields, reasons and messages', () => {
  const cases: Array<{ name: string; mutate: (s: any, p: any) => void; want: string[]; reasons?: string[] }> = [
    {
      name: 'missing image',
      mutate: (s) => (s.containers[0].image = ''),
      want: ['spec.containers[0].image: Required value'],
      reasons: ['FieldValueRequired'],
    },
    {
      name: 'bad restart policy',
      mutate: (s) => (s.restartPolicy = 'Sometimes'),
      want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
      reasons: ['FieldValueNotSupported'],
    },
    {
      name: 'bad name',
      mutate: (_s, p) => (p.metadata.name = 'Foo_Bar'),
      want: [
        "metadata.name: Invalid value: \"Foo_Bar\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
      reasons: ['FieldValueInvalid'],
    },
    { name: 'no containers', mutate: (s) => (s.containers = []), want: ['spec.containers: Required value'] },
    {
      name: 'duplicate container names',
      mutate: (s) => s.containers.push({ name: 'app', image: 'x:1' }),
      want: ['spec.containers[1].name: Duplicate value: "app"'],
    },
    {
      name: 'dns policy',
      mutate: (s) => (s.dnsPolicy = 'Cluster'),
      want: ['spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
    },
    {
      name: 'port range and protocol',
      mutate: (s) => (s.containers[0].ports = [{ containerPort: 70000, protocol: 'HTTP' }]),
      want: [
        'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    },
    {
      name: 'requests above limits',
      mutate: (s) => (s.containers[0].resources = { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1', memory: '512Mi' } }),
      want: ['spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m'],
    },
    {
      name: 'bad quantity and resource name',
      mutate: (s) => (s.containers[0].resources = { limits: { cpu: 'lots', gpu: '1' } }),
      want: [
        "spec.containers[0].resources.limits[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        // defaulting copied the limits into requests
        "spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
      ],
    },
    {
      name: 'extended resources must not overcommit',
      mutate: (s) => (s.containers[0].resources = { requests: { 'example.com/gpu': '1' } }),
      want: ['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources'],
    },
    {
      name: 'mount of a missing volume',
      mutate: (s) => (s.containers[0].volumeMounts = [{ name: 'missing', mountPath: '/data' }, { name: 'data', mountPath: '/data' }]),
      want: [
        'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/data": must be unique',
      ],
    },
    {
      name: 'duplicate and sourceless volumes',
      mutate: (s) => s.volumes.push({ name: 'data', configMap: { name: 'c' } }, { name: 'Bad' }),
      want: [
        'spec.volumes[1].name: Duplicate value: "data"',
        "spec.volumes[2].name: Invalid value: \"Bad\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
    {
      name: 'two volume sources',
      mutate: (s) => (s.volumes[0].hostPath = { path: '/x' }),
      want: ['spec.volumes[0].emptyDir: Forbidden: may not specify more than 1 volume type'],
    },
    {
      name: 'env var names and sources',
      mutate: (s) =>
        (s.containers[0].env = [
          { name: '' },
          { name: 'A=B', value: 'x' },
          { name: 'X', valueFrom: {} },
          { name: 'Y', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.restartPolicy' } } },
          { name: 'Z', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels[\'app\']' } } },
        ]),
      want: [
        'spec.containers[0].env[0].name: Required value',
        "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        'spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    },
    {
      name: 'probes',
      mutate: (s) => {
        s.containers[0].livenessProbe = { successThreshold: 2 };
        s.containers[0].readinessProbe = { tcpSocket: { port: 0 }, exec: { command: ['true'] } };
      },
      want: [
        'spec.containers[0].livenessProbe: Required value: must specify a handler type',
        'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
        'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
      ],
    },
    {
      name: 'init containers without restartPolicy may not have probes',
      mutate: (s) => (s.initContainers = [{ name: 'init', image: 'busybox:1', readinessProbe: { exec: { command: ['true'] } } }, { name: 'app', image: 'x:1' }]),
      want: [
        'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
        'spec.initContainers[1].name: Duplicate value: "app"',
      ],
    },
    {
      name: 'tolerations',
      mutate: (s) => (s.tolerations = [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Exists', value: 'v', effect: 'Never' }]),
      want: [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        "spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
        'spec.tolerations[1].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      ],
    },
    {
      name: 'host network requires matching host ports',
      mutate: (s) => {
        s.hostNetwork = true;
        s.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      },
      want: ['spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true'],
    },
    {
      name: 'active deadline',
      mutate: (s) => (s.activeDeadlineSeconds = 0),
      want: ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
    },
    {
      name: 'ephemeral containers cannot be set on create',
      mutate: (s) => (s.ephemeralContainers = [{ name: 'dbg', image: 'busybox:1' }]),
      want: ['spec.ephemeralContainers: Forbidden: cannot be set on create'],
    },
  ];
  for (const c of cases) {
    const errs = validatePod(pod(c.mutate));
    assert.deepEqual(lines(errs), c.want, c.name);
    if (c.reasons) assert.deepEqual(errs.map((e) => e.reason), c.reasons, c.name);
  }
});

test('pod updates: only images, deadlines and tolerations may change', () => {
  const old = pod((s) => (s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]));
  old.metadata.uid = 'u1';
  const next = (mutate: (s: any) => void): KubeObject => {
    const p = structuredClone(old);
    mutate(p.spec);
    defaultPod(p);
    return p;
  };
  assert.deepEqual(lines(validatePod(next((s) => (s.containers[0].image = 'nginx:1.28')), old)), []);
  assert.deepEqual(lines(validatePod(next((s) => (s.tolerations[0].tolerationSeconds = 60)), old)), []);
  assert.deepEqual(lines(validatePod(next((s) => s.tolerations.push({ key: 'x', operator: 'Exists' })), old)), []);
  assert.deepEqual(lines(validatePod(next((s) => (s.activeDeadlineSeconds = 100)), old)), []);
  const bound = next((s) => (s.nodeName = 'node-1'));
  assert.deepEqual(lines(validatePod(bound, old)), [], 'binding sets an unset nodeName');
  const rebound = structuredClone(bound);
  rebound.spec.nodeName = 'node-2';
  assert.equal(validatePod(rebound, bound)[0]?.field, 'spec', 'a set nodeName is immutable');
  assert.deepEqual(lines(validatePod(next((s) => (s.tolerations = [])), old)), [
    'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
  ]);
  assert.deepEqual(lines(validatePod(next((s) => s.containers.push({ name: 'b', image: 'x:1' })), old)), [
    'spec.containers: Forbidden: pod updates may not add or remove containers',
  ]);
  const changed = validatePod(next((s) => (s.containers[0].ports[0].containerPort = 81)), old);
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.field, 'spec');
  assert.equal(changed[0]!.reason, 'FieldValueForbidden');
  assert.ok(
    changed[0]!.message.startsWith(
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
  );
  assert.match(changed[0]!.message, /containers\[0\]\.ports\[0\]\.containerPort: 80\n\+ \tcontainers\[0\]\.ports\[0\]\.containerPort: 81/);
  const withDeadline = next((s) => (s.activeDeadlineSeconds = 100));
  const longer = structuredClone(withDeadline);
  longer.spec.activeDeadlineSeconds = 200;
  assert.deepEqual(lines(validatePod(longer, withDeadline)), ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);
});

test('pod templates', () => {
  const template: any = { metadata: { labels: { 'bad key!': 'x' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
  defaultPodTemplateSpec(template);
  const pt: any = { metadata: { name: 'pt', namespace: 'd' }, template };
  assert.deepEqual(
    validatePodTemplate(pt).map((e) => e.field),
    ['template.labels'],
  );
});
