import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { parseLabelSelector } from '../../api/selectors.ts';
import {
  affinityTermMatches,
  compileSelector,
  isExtendedResourceName,
  isScalarResourceName,
  newPodInfo,
  podHostPorts,
  podRequestOf,
  resourceFromList,
} from './podinfo.ts';

const Mi = 1024 * 1024;

function pod(spec: any, meta: any = {}): KubeObject {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'u1', ...meta }, spec };
}
const c = (requests?: Record<string, string>, extra: any = {}) => ({ name: 'c', image: 'img', resources: requests ? { requests } : {}, ...extra });

test('effective request: max(init containers, sum of containers) + overhead', () => {
  const cases: { name: string; spec: any; cpu: number; mem: number; scalar?: [string, number][] }[] = [
    { name: 'empty pod', spec: { containers: [c()] }, cpu: 0, mem: 0 },
    {
      name: 'upstream example',
      spec: {
        initContainers: [c({ cpu: '2', memory: '1G' }), c({ cpu: '2', memory: '3G' })],
        containers: [c({ cpu: '2', memory: '1G' }), c({ cpu: '1', memory: '1G' })],
      },
      cpu: 3000,
      mem: 3e9,
    },
    { name: 'overhead added', spec: { containers: [c({ cpu: '100m' })], overhead: { cpu: '250m', memory: '120Mi' } }, cpu: 350, mem: 120 * Mi },
    {
      name: 'sidecar runs alongside containers and later init steps',
      spec: {
        initContainers: [c({ cpu: '500m' }, { restartPolicy: 'Always' }), c({ cpu: '2' })],
        containers: [c({ cpu: '1' })],
      },
      // init step 2 = 2 + 0.5 sidecar = 2.5; running = 1 + 0.5 = 1.5
      cpu: 2500,
      mem: 0,
    },
    {
      name: 'init before the sidecar does not include it',
      spec: {
        initContainers: [c({ cpu: '2' }), c({ cpu: '500m' }, { restartPolicy: 'Always' })],
        containers: [c({ cpu: '1' })],
      },
      cpu: 2000,
      mem: 0,
    },
    {
      name: 'extended and hugepages are scalars',
      spec: { containers: [c({ 'nvidia.com/gpu': '2', 'hugepages-2Mi': '4Mi' }), c({ 'nvidia.com/gpu': '1' })] },
      cpu: 0,
      mem: 0,
      scalar: [
        ['nvidia.com/gpu', 3],
        ['hugepages-2Mi', 4 * Mi],
      ],
    },
    { name: 'sub-milli cpu sums before rounding up', spec: { containers: [c({ cpu: '0.0001' }), c({ cpu: '0.0001' })] }, cpu: 1, mem: 0 },
  ];
  for (const tc of cases) {
    const pi = newPodInfo(pod(tc.spec));
    assert.equal(pi.request.milliCPU, tc.cpu, tc.name);
    assert.equal(pi.request.memory, tc.mem, tc.name);
    assert.deepEqual([...pi.request.scalar], tc.scalar ?? [], tc.name);
  }
});

test('non-zero request: 100m / 200Mi per container missing them, explicit zero kept', () => {
  const cases: { name: string; spec: any; cpu: number; mem: number }[] = [
    { name: 'nothing requested', spec: { containers: [c(), c()] }, cpu: 200, mem: 400 * Mi },
    { name: 'explicit zero stays zero', spec: { containers: [c({ cpu: '0', memory: '0' })] }, cpu: 0, mem: 0 },
    { name: 'only cpu given', spec: { containers: [c({ cpu: '1' })] }, cpu: 1000, mem: 200 * Mi },
    { name: 'init container peak with defaults', spec: { initContainers: [c({ cpu: '3' })], containers: [c()] }, cpu: 3000, mem: 200 * Mi },
  ];
  for (const tc of cases) {
    const pi = newPodInfo(pod(tc.spec));
    assert.deepEqual(pi.nonZeroRequest, { milliCPU: tc.cpu, memory: tc.mem }, tc.name);
  }
  assert.equal(podRequestOf(pod({ containers: [c()] }), 'cpu', true), 100);
  assert.equal(podRequestOf(pod({ containers: [c()] }), 'cpu', false), 0);
});

test('resource names and lists', () => {
  assert.equal(isExtendedResourceName('nvidia.com/gpu'), true);
  assert.equal(isExtendedResourceName('cpu'), false);
  assert.equal(isExtendedResourceName('kubernetes.io/foo'), false);
  assert.equal(isScalarResourceName('kubernetes.io/foo'), true);
  assert.equal(isScalarResourceName('hugepages-1Gi'), true);
  assert.equal(isScalarResourceName('attachable-volumes-csi-x'), true);
  assert.equal(isScalarResourceName('memory'), false);
  const r = resourceFromList({ cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '10Gi', 'example.com/dongle': '3', bogus: 'x' });
  assert.deepEqual(
    { ...r, scalar: [...r.scalar] },
    { milliCPU: 4000, memory: 8 * 1024 * Mi, allowedPodNumber: 110, ephemeralStorage: 10 * 1024 * Mi, scalar: [['example.com/dongle', 3]] },
  );
});

test('affinity terms: namespaces, namespaceSelector, matchLabelKeys and mismatchLabelKeys', () => {
  const p = pod(
    {
      containers: [c()],
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone', matchLabelKeys: ['rev'], mismatchLabelKeys: ['team'] },
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'zone', namespaces: ['other'] },
            { labelSelector: {}, topologyKey: 'zone', namespaceSelector: { matchLabels: { env: 'prod' } } },
            { labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'zone', namespaceSelector: {} },
          ],
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 0, podAffinityTerm: { labelSelector: {}, topologyKey: 'zone' } },
            { weight: 5, podAffinityTerm: { labelSelector: {}, topologyKey: 'host' } },
          ],
        },
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'host' }] },
      },
    },
    { labels: { rev: 'r1', team: 'a' } },
  );
  const pi = newPodInfo(p);
  const [sameNs, listed, bySelector, everyNs] = pi.requiredAffinityTerms;
  const other = (ns: string, labels: Record<string, string>) => pod({}, { namespace: ns, labels });

  assert.deepEqual([...sameNs!.namespaces], ['ns']);
  assert.equal(affinityTermMatches(sameNs!, other('ns', { app: 'web', rev: 'r1', team: 'b' }), {}), true);
  assert.equal(affinityTermMatches(sameNs!, other('ns', { app: 'web', rev: 'r2', team: 'b' }), {}), false, 'matchLabelKeys');
  assert.equal(affinityTermMatches(sameNs!, other('ns', { app: 'web', rev: 'r1', team: 'a' }), {}), false, 'mismatchLabelKeys');
  assert.equal(affinityTermMatches(sameNs!, other('elsewhere', { app: 'web', rev: 'r1' }), {}), false, 'other namespace');

  assert.deepEqual([...listed!.namespaces], ['other']);
  assert.equal(listed!.namespaceSelector, null);
  assert.equal(affinityTermMatches(listed!, other('other', { app: 'db' }), {}), true);

  assert.equal(bySelector!.namespaces.size, 0);
  assert.equal(affinityTermMatches(bySelector!, other('x', { any: 'thing' }), { env: 'prod' }), true);
  assert.equal(affinityTermMatches(bySelector!, other('x', {}), { env: 'dev' }), false);
  assert.equal(affinityTermMatches(everyNs!, other('anything', { app: 'x' }), undefined), true, 'empty namespaceSelector = all');

  assert.equal(pi.preferredAffinityTerms.length, 1, 'zero-weight terms are dropped');
  assert.equal(pi.preferredAffinityTerms[0]!.weight, 5);
  assert.equal(pi.requiredAntiAffinityTerms.length, 1);
  assert.equal(affinityTermMatches(pi.requiredAntiAffinityTerms[0]!, other('ns', {}), {}), false, 'nil labelSelector selects nothing');
});

test('compiled selector agrees with LabelSelector.matches', () => {
  const selectors = ['', 'a=1', 'a!=1', 'a in (1,2)', 'a notin (1,2),b', '!b', 'n>5', 'n<5', 'a=1,n>2,!c'];
  const labelSets: Record<string, string>[] = [{}, { a: '1' }, { a: '2', b: 'x' }, { a: '3', n: '7' }, { n: '3', a: '1' }, { n: 'x' }, { c: '', a: '1', n: '10' }, { constructor: 'x' }];
  for (const s of selectors) {
    const sel = parseLabelSelector(s);
    const m = compileSelector(sel);
    for (const ls of labelSets) assert.equal(m(ls), sel.matches(ls), `${s} on ${JSON.stringify(ls)}`);
  }
});

test('host ports: containers and sidecars, defaults applied', () => {
  const p = pod({
    initContainers: [c(undefined, { ports: [{ hostPort: 1 }] }), c(undefined, { restartPolicy: 'Always', ports: [{ hostPort: 2, protocol: 'UDP' }] })],
    containers: [c(undefined, { ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 8081, hostIP: '10.0.0.1' }] })],
  });
  assert.deepEqual(podHostPorts(p), [
    { ip: '0.0.0.0', protocol: 'UDP', port: 2 },
    { ip: '10.0.0.1', protocol: 'TCP', port: 8081 },
  ]);
});
