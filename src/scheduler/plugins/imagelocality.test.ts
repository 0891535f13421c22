import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calculatePriority, newImageLocality, normalizedImageName } from './imagelocality.ts';
import { fakeSnapshot, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const MB = 1024 * 1024;

test('normalizedImageName adds :latest only when there is no tag', () => {
  assert.equal(normalizedImageName('nginx'), 'nginx:latest');
  assert.equal(normalizedImageName('nginx:1.27'), 'nginx:1.27');
  assert.equal(normalizedImageName('localhost:5000/app'), 'localhost:5000/app:latest');
  assert.equal(normalizedImageName('localhost:5000/app:v1'), 'localhost:5000/app:v1');
});

test('calculatePriority clamps to the thresholds', () => {
  assert.equal(calculatePriority(0, 1), 0);
  assert.equal(calculatePriority(23 * MB, 1), 0);
  assert.equal(calculatePriority(5000 * MB, 1), 100);
  assert.equal(calculatePriority(5000 * MB, 10), 49);
});

test('ImageLocality: size scaled by spread over all nodes', () => {
  const nodes = [
    nodeInfoWith(makeNode('n1', { images: [{ names: ['gcr.io/40:latest'], sizeBytes: 40 * MB }, { names: ['gcr.io/300:latest', 'gcr.io/300@sha256:x'], sizeBytes: 300 * MB }] })),
    nodeInfoWith(makeNode('n2', { images: [{ names: ['gcr.io/300:latest'], sizeBytes: 300 * MB }] })),
    nodeInfoWith(makeNode('n3')),
  ];
  const snap = fakeSnapshot(nodes);
  const pl = newImageLocality({ snapshot: () => snap });
  const pod = makePod('p', {
    spec: {
      containers: [
        { name: 'a', image: 'gcr.io/40' },
        { name: 'b', image: 'gcr.io/300' },
      ],
    },
  });
  assert.deepEqual(runScore(pl, pod, nodes), { n1: 9, n2: 8, n3: 0 });
  // A big image on one node out of three.
  const big = [nodeInfoWith(makeNode('a', { images: [{ names: ['big:1'], sizeBytes: 3000 * MB }] })), nodeInfoWith(makeNode('b')), nodeInfoWith(makeNode('c'))];
  const pl2 = newImageLocality({ snapshot: () => fakeSnapshot(big) });
  assert.deepEqual(runScore(pl2, makePod('p', { spec: { containers: [{ name: 'c', image: 'big:1' }] } }), big), { a: 100, b: 0, c: 0 });
});
