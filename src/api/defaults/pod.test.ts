import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPod, defaultPodTemplateSpec, defaultResourceList, imageTag } from './pod.ts';

test('a minimal pod gets upstream defaults', () => {
  const pod: any = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } };
  defaultPod(pod);
  assert.deepEqual(pod.spec, {
    containers: [
      {
        name: 'c',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: {},
      },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
  });
  const again = structuredClone(pod);
  defaultPod(again);
  assert.deepEqual(again, pod, 'defaulting is idempotent');
});

test('image pull policy follows the tag', () => {
  const cases: Array<[string, string, string]> = [
    ['nginx', 'latest', 'Always'],
    ['nginx:latest', 'latest', 'Always'],
    ['nginx:1.27', '1.27', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'latest', 'Always'],
    ['registry.local:5000/team/app:v2', 'v2', 'IfNotPresent'],
    ['busybox@sha256:abcd', '', 'IfNotPresent'],
    ['busybox:1.36@sha256:abcd', '1.36', 'IfNotPresent'],
  ];
  for (const [image, tag, policy] of cases) {
    assert.equal(imageTag(image), tag, image);
    const pod: any = { metadata: {}, spec: { containers: [{ name: 'c', image }] } };
    defaultPod(pod);
    assert.equal(pod.spec.containers[0].imagePullPolicy, policy, image);
  }
  const explicit: any = { metadata: {}, spec: { containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] } };
  defaultPod(explicit);
  assert.equal(explicit.spec.containers[0].imagePullPolicy, 'Never');
});

test('containers: ports, env field refs, probes, lifecycle, resources', () => {
  const pod: any = {
    metadata: {},
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1', resources: { limits: { memory: '0.5Gi' } } }],
      containers: [
        {
          name: 'c',
          image: 'app:1',
          ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          livenessProbe: { tcpSocket: { port: 8080 } },
          readinessProbe: { httpGet: { port: 'http' }, periodSeconds: 5 },
          startupProbe: { grpc: { port: 9000 } },
          lifecycle: { preStop: { httpGet: { port: 80 } } },
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0.1' } },
        },
      ],
    },
  };
  defaultPod(pod);
  const c = pod.spec.containers[0];
  assert.deepEqual(c.ports, [
    { containerPort: 8080, protocol: 'TCP' },
    { containerPort: 53, protocol: 'UDP' },
  ]);
  assert.deepEqual(c.env[0].valueFrom.fieldRef, { fieldPath: 'metadata.name', apiVersion: 'v1' });
  assert.deepEqual(c.livenessProbe, { tcpSocket: { port: 8080 }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.readinessProbe.httpGet, { port: 'http', path: '/', scheme: 'HTTP' });
  assert.equal(c.readinessProbe.periodSeconds, 5);
  assert.deepEqual(c.startupProbe.grpc, { port: 9000, service: '' });
  assert.deepEqual(c.lifecycle.preStop.httpGet, { port: 80, path: '/', scheme: 'HTTP' });
  assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.deepEqual(pod.spec.initContainers[0].resources, { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } });
});

test('volumes get their source defaults', () => {
  const pod: any = {
    metadata: {},
    spec: {
      containers: [{ name: 'c', image: 'x:1' }],
      volumes: [
        { name: 'scratch' },
        { name: 'host', hostPath: { path: '/var/log' } },
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
        { name: 'dapi', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1024Mi' } },
      ],
    },
  };
  defaultPod(pod);
  const v = pod.spec.volumes;
  assert.deepEqual(v[0], { name: 'scratch', emptyDir: {} });
  assert.deepEqual(v[1].hostPath, { path: '/var/log', type: '' });
  assert.equal(v[2].configMap.defaultMode, 420);
  assert.equal(v[3].secret.defaultMode, 256);
  assert.deepEqual(v[4].downwardAPI, { defaultMode: 420, items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels', apiVersion: 'v1' } }] });
  assert.deepEqual(v[5].projected, { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] });
  assert.equal(v[6].emptyDir.sizeLimit, '1Gi');
});

test('pod-only defaults: host network ports, priority class, templates', () => {
  const hn: any = { metadata: {}, spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 9100 }] }] } };
  defaultPod(hn);
  assert.equal(hn.spec.containers[0].ports[0].hostPort, 9100);

  const pc: any = { metadata: {}, spec: { priorityClassName: 'high', containers: [{ name: 'c', image: 'x:1' }] } };
  defaultPod(pc);
  assert.equal(pc.spec.priority, undefined, 'admission resolves priority from the class');
  assert.equal(pc.spec.preemptionPolicy, undefined);

  const tmpl: any = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } };
  defaultPodTemplateSpec(tmpl);
  assert.equal(tmpl.spec.restartPolicy, 'Always');
  assert.equal(tmpl.spec.enableServiceLinks, undefined, 'enableServiceLinks is a pod-only default');
  assert.equal(tmpl.spec.priority, undefined);
});

test('resource lists are canonicalized and rounded up to milli precision', () => {
  const list: Record<string, unknown> = { cpu: '0.0001', memory: '2048Mi', 'ephemeral-storage': '1000M', bad: 'nope', n: 2 };
  defaultResourceList(list);
  assert.deepEqual(list, { cpu: '1m', memory: '2Gi', 'ephemeral-storage': '1G', bad: 'nope', n: '2' });
});
