import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  endpointSlicePrinter,
  endpointsPrinter,
  ingressClassPrinter,
  ingressPrinter,
  networkPolicyPrinter,
  servicePrinter,
} from './networking.ts';

const now = new Date('2026-03-01T12:00:00Z');
const created = new Date(now.getTime() - 3 * 86400_000 - 5 * 3600_000).toISOString();
const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: created });

test('service printer', () => {
  const svc = (spec: object, status: object = {}): KubeObject => ({ metadata: meta('web'), spec, status });
  const cases: { name: string; obj: KubeObject; cells: unknown[] }[] = [
    {
      name: 'cluster IP service',
      obj: svc({ type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } }),
      cells: ['web', 'ClusterIP', '10.43.0.10', '<none>', '80/TCP', '3d5h', 'app=web'],
    },
    {
      name: 'node port service with two ports',
      obj: svc({
        type: 'NodePort',
        clusterIPs: ['10.43.12.7'],
        ports: [
          { name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' },
          { name: 'dns', port: 53, nodePort: 30053, protocol: 'UDP' },
        ],
        selector: { tier: 'front', app: 'web' },
      }),
      cells: ['web', 'NodePort', '10.43.12.7', '<none>', '80:30080/TCP,53:30053/UDP', '3d5h', 'app=web,tier=front'],
    },
    {
      name: 'headless service without selector or ports',
      obj: svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }),
      cells: ['web', 'ClusterIP', 'None', '<none>', '<none>', '3d5h', '<none>'],
    },
    {
      name: 'load balancer waiting for an address',
      obj: svc({ type: 'LoadBalancer', clusterIPs: ['10.43.0.20'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }),
      cells: ['web', 'LoadBalancer', '10.43.0.20', '<pending>', '443:31443/TCP', '3d5h', '<none>'],
    },
    {
      name: 'load balancer with ingress addresses and external IPs, never clipped',
      obj: svc(
        { type: 'LoadBalancer', clusterIPs: ['10.43.0.20'], externalIPs: ['192.0.2.50'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] },
        { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.9' }] } },
      ),
      cells: ['web', 'LoadBalancer', '10.43.0.20', '203.0.113.9,lb.example.com,192.0.2.50', '443:31443/TCP', '3d5h', '<none>'],
    },
    {
      name: 'external name service',
      obj: svc({ type: 'ExternalName', externalName: 'db.example.com' }),
      cells: ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '3d5h', '<none>'],
    },
  ];
  for (const c of cases) assert.deepEqual(servicePrinter.print(c.obj, { now }), c.cells, c.name);
  assert.deepEqual(
    servicePrinter.columns.map((c) => [c.name, c.priority]),
    [['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1]],
  );
});

test('endpoints printer', () => {
  const ep = (subsets: unknown): KubeObject => ({ metadata: meta('web'), subsets });
  const cases: [unknown, string][] = [
    [undefined, '<none>'],
    [[{ addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }], ports: [{ port: 8080, protocol: 'TCP' }] }], '10.42.0.5:8080,10.42.0.6:8080'],
    [
      [
        {
          addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }, { ip: '10.42.0.7' }],
          ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }],
        },
      ],
      '10.42.0.5:80,10.42.0.6:80,10.42.0.7:80 + 3 more...',
    ],
    [[{ addresses: [{ ip: '10.42.0.9' }] }], '10.42.0.9'],
    [[{ addresses: [{ ip: 'fd00::9' }], ports: [{ port: 53 }] }], '[fd00::9]:53'],
  ];
  for (const [subsets, want] of cases) assert.deepEqual(endpointsPrinter.print(ep(subsets), { now }), ['web', want, '3d5h']);
});

test('endpoint slice printer', () => {
  const slice: KubeObject = {
    metadata: meta('web-abc12'),
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'named' }],
    endpoints: [
      { addresses: ['10.42.0.5'], conditions: { ready: true } },
      { addresses: ['10.42.0.6'] },
      { addresses: ['10.42.0.7'] },
      { addresses: ['10.42.0.8'] },
    ],
  };
  assert.deepEqual(endpointSlicePrinter.print(slice, { now }), ['web-abc12', 'IPv4', '80,named', '10.42.0.5,10.42.0.6,10.42.0.7 + 1 more...', '3d5h']);
  assert.deepEqual(endpointSlicePrinter.print({ metadata: meta('empty'), addressType: 'IPv4', endpoints: [] }, { now }), [
    'empty',
    'IPv4',
    '<unset>',
    '<unset>',
    '3d5h',
  ]);
});

test('ingress, ingress class and network policy printers', () => {
  const ing: KubeObject = {
    metadata: meta('web'),
    spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com' }, {}, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
  };
  assert.deepEqual(ingressPrinter.print(ing, { now }), ['web', 'nginx', 'a.example.com,b.example.com', '192.0.2.1', '80, 443', '3d5h']);
  const many: KubeObject = { metadata: meta('many'), spec: { rules: ['a', 'b', 'c', 'd', 'e'].map((h) => ({ host: `${h}.io` })) } };
  assert.deepEqual(ingressPrinter.print(many, { now }), ['many', '<none>', 'a.io,b.io,c.io + 2 more...', '', '80', '3d5h']);
  assert.deepEqual(ingressPrinter.print({ metadata: meta('any'), spec: { rules: [{}] } }, { now })[2], '*');

  const ic: KubeObject = {
    metadata: meta('nginx'),
    spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } },
  };
  assert.deepEqual(ingressClassPrinter.print(ic, { now }), ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/external-lb', '3d5h']);

  const np = (podSelector: object): KubeObject => ({ metadata: meta('deny'), spec: { podSelector } });
  assert.deepEqual(networkPolicyPrinter.print(np({}), { now }), ['deny', '<none>', '3d5h']);
  assert.deepEqual(networkPolicyPrinter.print(np({ matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] }), { now })[1], '!role');
});
