import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultSecret,
  defaultService,
  preserveServiceAllocations,
} from './core.ts';

test('service defaults by type', () => {
  const cluster: any = { metadata: {}, spec: { selector: { app: 'a' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } };
  defaultService(cluster);
  assert.deepEqual(cluster.spec, {
    selector: { app: 'a' },
    ports: [
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 53, protocol: 'UDP', targetPort: 'dns' },
    ],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
  });

  const np: any = { metadata: {}, spec: { type: 'NodePort', ports: [{ port: 80 }] } };
  defaultService(np);
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');

  const lb: any = { metadata: {}, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } };
  defaultService(lb);
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');

  const ext: any = { metadata: {}, spec: { type: 'ExternalName', externalName: 'db.example.com' } };
  defaultService(ext);
  assert.equal(ext.spec.ipFamilyPolicy, undefined);
  assert.equal(ext.spec.internalTrafficPolicy, undefined);

  const headless: any = { metadata: {}, spec: { clusterIP: 'None', ports: [{ port: 80 }] } };
  defaultService(headless);
  assert.equal(headless.spec.ipFamilyPolicy, 'RequireDualStack', 'headless without selector');

  const sticky: any = { metadata: {}, spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } };
  defaultService(sticky);
  assert.deepEqual(sticky.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('service updates keep allocated values the manifest omits', () => {
  const old: any = {
    metadata: {},
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    },
  };
  const next: any = { metadata: {}, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } };
  preserveServiceAllocations(next, old);
  assert.equal(next.spec.clusterIP, '10.96.0.10');
  assert.deepEqual(next.spec.clusterIPs, ['10.96.0.10']);
  assert.deepEqual(next.spec.ipFamilies, ['IPv4']);
  assert.equal(next.spec.ports[0].nodePort, 30080);
  assert.equal(next.spec.ports[1].nodePort, undefined);
});

test('namespace, secret, volumes, endpoints, limit ranges, nodes', () => {
  const ns: any = { metadata: { name: 'team-a' } };
  defaultNamespace(ns);
  assert.deepEqual(ns, {
    metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  const finalized: any = { metadata: { name: 'x' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
  defaultNamespace(finalized);
  assert.deepEqual(finalized.spec.finalizers, []);
  assert.equal(finalized.status.phase, 'Terminating');

  const secret: any = { metadata: {}, data: { a: 'b2xk' }, stringData: { a: 'new', b: 'two' } };
  defaultSecret(secret);
  assert.deepEqual(secret, { metadata: {}, type: 'Opaque', data: { a: 'bmV3', b: 'dHdv' } });

  const pv: any = { metadata: {}, spec: { capacity: { storage: '10240Mi' }, hostPath: { path: '/data' } } };
  defaultPersistentVolume(pv);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(pv.spec.volumeMode, 'Filesystem');
  assert.equal(pv.spec.capacity.storage, '10Gi');
  assert.equal(pv.status.phase, 'Pending');

  const pvc: any = { metadata: {}, spec: { resources: { requests: { storage: '1Gi' } } } };
  defaultPersistentVolumeClaim(pvc);
  assert.equal(pvc.spec.volumeMode, 'Filesystem');
  assert.equal(pvc.status.phase, 'Pending');

  const ep: any = { metadata: {}, subsets: [{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 80 }] }] };
  defaultEndpoints(ep);
  assert.equal(ep.subsets[0].ports[0].protocol, 'TCP');

  const lr: any = { metadata: {}, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } };
  defaultLimitRange(lr);
  assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' });
  assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '2', memory: '64Mi' });

  const node: any = { metadata: {}, status: { capacity: { cpu: '4', memory: '8192Mi' } } };
  defaultNode(node);
  assert.deepEqual(node.status.allocatable, { cpu: '4', memory: '8Gi' });
});
