import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../base/errors.ts';
import { strategicMerge } from './strategic.ts';
import { schemaForKind, type PatchSchema } from './strategic-schema.ts';

function smp(doc: unknown, patch: Record<string, unknown>, schema?: PatchSchema): any {
  return strategicMerge(doc, patch, schema);
}

function rejects(doc: unknown, patch: Record<string, unknown>, code: number, message: RegExp): void {
  assert.throws(
    () => strategicMerge(doc, patch),
    (e: unknown) => e instanceof ApiError && e.httpCode === code && message.test(e.message),
  );
}

/** A Deployment shaped like the one of the "kubectl patch" task page. */
function patchDemo(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'patch-demo', labels: { app: 'nginx', tier: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'nginx' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'nginx' } },
        spec: {
          containers: [{ name: 'patch-demo-ctr', image: 'nginx' }],
          tolerations: [{ effect: 'NoSchedule', key: 'dedicated', value: 'test-team' }],
        },
      },
    },
  };
}

/** A pod template with two containers, each with ports, env, mounts and resources. */
function twoContainers(): any {
  return {
    spec: {
      template: {
        metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
        spec: {
          containers: [
            {
              name: 'main',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'MODE', value: 'prod' },
                { name: 'DEBUG', value: '1' },
                { name: 'LEVEL', value: 'info' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              resources: { limits: { cpu: '1' } },
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', 'inf'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

// ---- the "Update API Objects in Place Using kubectl patch" task ----

test('task page: a containers patch adds a container next to the existing one', () => {
  const out = smp(patchDemo(), {
    spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } } },
  });
  // as the page shows: an element the server never had goes ahead of the server-only ones
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: 'patch-demo-ctr-2', image: 'redis' },
    { name: 'patch-demo-ctr', image: 'nginx' },
  ]);
  assert.equal(out.spec.replicas, 2);
});

test('task page: tolerations have no patch strategy, so the list is replaced', () => {
  const out = smp(patchDemo(), {
    spec: { template: { spec: { tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] } } },
  });
  assert.deepEqual(out.spec.template.spec.tolerations, [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }]);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'patch-demo-ctr', image: 'nginx' }]);
});

test('task page: $retainKeys clears rollingUpdate when switching to Recreate', () => {
  const plain = smp(patchDemo(), { spec: { strategy: { type: 'Recreate' } } });
  assert.deepEqual(plain.spec.strategy, {
    type: 'Recreate',
    rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
  });
  const retained = smp(patchDemo(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  assert.deepEqual(retained.spec.strategy, { type: 'Recreate' });
});

test('$retainKeys rejects a patch key it does not name, and ignores nulls and directives', () => {
  rejects(patchDemo(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }, 400, /retainKeys/);
  const out = smp(patchDemo(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
});

// ---- $patch ----

test('$patch: replace on a map replaces it whole', () => {
  const out = smp(patchDemo(), { metadata: { labels: { $patch: 'replace', owner: 'me' } } });
  assert.deepEqual(out.metadata.labels, { owner: 'me' });
  assert.equal(out.metadata.name, 'patch-demo');
});

test('$patch: replace as a list element makes the list exactly the other elements', () => {
  const out = smp(twoContainers(), {
    spec: { template: { spec: { containers: [{ name: 'only', image: 'alpine' }, { $patch: 'replace' }] } } },
  });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'alpine' }]);
  const emptied = smp(twoContainers(), { spec: { template: { spec: { containers: [{ $patch: 'replace' }] } } } });
  assert.deepEqual(emptied.spec.template.spec.containers, []);
});

test('$patch: delete on a list element removes every element with that merge key', () => {
  const doc = { spec: { containers: [{ name: 'a' }, { name: 'b', image: 'x' }, { name: 'a', image: 'dup' }] } };
  const out = smp(doc, { spec: { containers: [{ name: 'a', $patch: 'delete' }] } });
  assert.deepEqual(out.spec.containers, [{ name: 'b', image: 'x' }]);
});

test('$patch: delete on a map leaves an empty map, as upstream does', () => {
  const out = smp(patchDemo(), { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } });
  assert.deepEqual(out.spec.strategy, { type: 'RollingUpdate', rollingUpdate: {} });
  assert.deepEqual(smp({ a: 1 }, { $patch: 'delete' }), {});
});

test('$patch: merge is the default and changes nothing', () => {
  const out = smp(patchDemo(), { metadata: { labels: { $patch: 'merge', tier: 'api' } } });
  assert.deepEqual(out.metadata.labels, { app: 'nginx', tier: 'api' });
});

test('an unknown $patch value is a bad request', () => {
  rejects(patchDemo(), { metadata: { labels: { $patch: 'explode' } } }, 400, /unknown patch type/);
  rejects(twoContainers(), { spec: { template: { spec: { containers: [{ name: 'main', $patch: 'bogus' }] } } } }, 400, /unknown patch type/);
});

test('$patch: delete on a list element needs the merge key', () => {
  rejects(twoContainers(), { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } }, 400, /merge key: name/);
});

// ---- kubectl apply (three-way patches) ----

test('kubectl apply changing an image keeps every other field of the container', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'main' }, { name: 'sidecar' }],
          containers: [{ image: 'nginx:1.27', name: 'main' }],
        },
      },
    },
  });
  const want = twoContainers();
  want.spec.template.spec.containers[0].image = 'nginx:1.27';
  assert.deepEqual(out, want);
});

test('the brief\'s apply patch: $setElementOrder naming one container keeps the server-only one', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'main' }],
          containers: [{ image: 'nginx:1.27', name: 'main' }],
        },
      },
    },
  });
  const [main, sidecar] = out.spec.template.spec.containers;
  assert.equal(main.image, 'nginx:1.27');
  assert.deepEqual(main.env, twoContainers().spec.template.spec.containers[0].env);
  assert.deepEqual(main.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(sidecar, { name: 'sidecar', image: 'busybox', args: ['sleep', 'inf'] });
});

test('kubectl apply removing one container of two', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'main' }],
          containers: [{ $patch: 'delete', name: 'sidecar' }],
        },
      },
    },
  });
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['main'],
  );
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.25');
});

test('kubectl apply adding a container puts it where $setElementOrder says', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'init-like' }, { name: 'main' }, { name: 'sidecar' }],
          containers: [{ name: 'init-like', image: 'alpine' }],
        },
      },
    },
  });
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['init-like', 'main', 'sidecar'],
  );
});

test('kubectl apply removing an env var and a label, and reordering env', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        metadata: { annotations: { team: null } },
        spec: {
          '$setElementOrder/containers': [{ name: 'main' }, { name: 'sidecar' }],
          containers: [
            {
              name: 'main',
              '$setElementOrder/env': [{ name: 'LEVEL' }, { name: 'MODE' }],
              env: [{ $patch: 'delete', name: 'DEBUG' }],
            },
          ],
        },
      },
    },
  });
  const main = out.spec.template.spec.containers[0];
  assert.deepEqual(main.env, [
    { name: 'LEVEL', value: 'info' },
    { name: 'MODE', value: 'prod' },
  ]);
  assert.deepEqual(out.spec.template.metadata.annotations, {});
});

test('$setElementOrder alone reorders a merging list', () => {
  const out = smp(twoContainers(), {
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'main' }] } } },
  });
  assert.deepEqual(
    out.spec.template.spec.containers.map((c: any) => c.name),
    ['sidecar', 'main'],
  );
});

test('$setElementOrder interleaves server-only elements where the server had them', () => {
  // the upstream "set elements order in a list with server-only items 2" case, in containers
  const doc = { spec: { containers: [{ name: '1', x: 'a' }, { name: '2' }, { name: '9' }, { name: '3' }, { name: '4' }] } };
  const out = smp(doc, {
    spec: { '$setElementOrder/containers': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] },
  });
  assert.deepEqual(
    out.spec.containers.map((c: any) => c.name),
    ['2', '1', '9', '4', '3'],
  );
  assert.equal(out.spec.containers[1].x, 'a');
});

test('$setElementOrder must list the patch elements in the same order', () => {
  rejects(
    { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
        containers: [{ name: 'b', image: 'x' }, { name: 'a', image: 'y' }],
      },
    },
    400,
    /doesn't match/,
  );
  rejects({ spec: {} }, { spec: { '$setElementOrder/containers': 'a' } }, 400, /setElementOrder/);
});

test('$setElementOrder on a list the table does not know merges by the key it names', () => {
  const doc = { spec: { widgets: [{ id: 'a', size: 1 }, { id: 'b', size: 2 }] } };
  const out = smp(doc, {
    spec: { '$setElementOrder/widgets': [{ id: 'a' }, { id: 'b' }], widgets: [{ id: 'b', size: 3 }] },
  });
  assert.deepEqual(out.spec.widgets, [{ id: 'a', size: 1 }, { id: 'b', size: 3 }]);
});

// ---- primitive lists ----

test('finalizers merge as a set and $deleteFromPrimitiveList removes from it', () => {
  const doc = { metadata: { finalizers: ['a', 'b', 'c'] } };
  assert.deepEqual(smp(doc, { metadata: { finalizers: ['c', 'd'] } }).metadata.finalizers, ['a', 'b', 'c', 'd']);
  assert.deepEqual(smp(doc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] } }).metadata.finalizers, ['a']);
});

test('$setElementOrder on a primitive list sets its order; deletions apply after', () => {
  const doc = { metadata: { finalizers: ['a', 'b', 'c'] } };
  const out = smp(doc, {
    metadata: {
      '$setElementOrder/finalizers': ['c', 'x', 'a'],
      finalizers: ['x'],
      '$deleteFromPrimitiveList/finalizers': ['b'],
    },
  });
  assert.deepEqual(out.metadata.finalizers, ['c', 'x', 'a']);
});

test('the patch order wins for a merging primitive list', () => {
  const out = smp({ metadata: { finalizers: ['1', '2', '3'] } }, { metadata: { finalizers: ['3', '1'] } });
  assert.deepEqual(out.metadata.finalizers, ['2', '3', '1']);
});

test('$deleteFromPrimitiveList never creates a list, and works on a replace-strategy list too', () => {
  const out = smp({ metadata: { name: 'x' } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
  assert.deepEqual(out, { metadata: { name: 'x' } });
  const args = smp({ spec: { args: ['a', 'b', 'a'] } }, { spec: { '$deleteFromPrimitiveList/args': ['a'] } });
  assert.deepEqual(args.spec.args, ['b']);
  rejects({}, { '$deleteFromPrimitiveList/finalizers': 'a' }, 400, /primitive list/);
});

test('namespace spec.finalizers has no strategy: the list is replaced', () => {
  const ns = { metadata: { finalizers: ['x'] }, spec: { finalizers: ['kubernetes'] } };
  const out = smp(ns, { metadata: { finalizers: ['y'] }, spec: { finalizers: ['other'] } }, schemaForKind('', 'Namespace'));
  assert.deepEqual(out.metadata.finalizers, ['y', 'x']);
  assert.deepEqual(out.spec.finalizers, ['other']);
  assert.deepEqual(smp(ns, { spec: { finalizers: ['other'] } }).spec.finalizers, ['other']);
});

// ---- merge keys ----

test('env vars are deleted by $patch: delete on their name', () => {
  const out = smp(twoContainers(), {
    spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'DEBUG', $patch: 'delete' }] }] } } },
  });
  assert.deepEqual(
    out.spec.template.spec.containers[0].env.map((e: any) => e.name),
    ['MODE', 'LEVEL'],
  );
  assert.equal(out.spec.template.spec.containers[1].name, 'sidecar');
});

test('container ports merge by containerPort', () => {
  const out = smp(twoContainers(), {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'main',
              ports: [
                { containerPort: 80, name: 'http' },
                { containerPort: 9090, name: 'metrics' },
              ],
            },
          ],
        },
      },
    },
  });
  assert.deepEqual(out.spec.template.spec.containers[0].ports, [
    { containerPort: 80, protocol: 'TCP', name: 'http' },
    { containerPort: 9090, name: 'metrics' },
  ]);
});

test('service ports merge by port, with the schema and with the guess', () => {
  const svc = {
    spec: {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ],
    },
  };
  const patch = { spec: { ports: [{ port: 443, targetPort: 9443 }, { port: 8081, name: 'admin' }] } };
  const want = [
    { name: 'http', port: 80, targetPort: 8080 },
    { name: 'https', port: 443, targetPort: 9443 },
    { port: 8081, name: 'admin' },
  ];
  assert.deepEqual(smp(svc, patch, schemaForKind('', 'Service')).spec.ports, want);
  assert.deepEqual(smp(svc, patch).spec.ports, want);
  assert.deepEqual(smp(svc, { spec: { selector: { tier: 'x' } } }).spec.selector, { app: 'web', tier: 'x' });
});

test('volumes, volumeMounts (by mountPath), imagePullSecrets and hostAliases merge by their keys', () => {
  const doc = {
    spec: {
      volumes: [{ name: 'data', emptyDir: {} }],
      imagePullSecrets: [{ name: 'reg1' }],
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
      containers: [{ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  };
  const out = smp(doc, {
    spec: {
      volumes: [{ name: 'cfg', configMap: { name: 'cm' } }],
      imagePullSecrets: [{ name: 'reg2' }],
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }],
      containers: [{ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }, { name: 'cfg', mountPath: '/cfg' }] }],
    },
  }, schemaForKind('', 'Pod'));
  assert.deepEqual(out.spec.volumes.map((v: any) => v.name), ['cfg', 'data']);
  assert.deepEqual(out.spec.imagePullSecrets, [{ name: 'reg2' }, { name: 'reg1' }]);
  assert.deepEqual(out.spec.hostAliases, [{ ip: '10.0.0.1', hostnames: ['b'] }]);
  assert.deepEqual(out.spec.containers[0].volumeMounts, [
    { name: 'data', mountPath: '/data', readOnly: true },
    { name: 'cfg', mountPath: '/cfg' },
  ]);
});

test('a patch element without the merge key is rejected', () => {
  rejects(twoContainers(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 400, /does not contain declared merge key: name/);
});

test('lists of lists are unprocessable', () => {
  rejects({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [['b']] } }, 422, /lists of lists/);
});

test('status lists: conditions by type, pod IPs by ip, node addresses by type', () => {
  const pod = {
    status: {
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
      podIPs: [{ ip: '10.1.0.5' }],
      containerStatuses: [{ name: 'a', ready: false }, { name: 'b', ready: true }],
    },
  };
  const out = smp(pod, {
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'a', ready: true }],
    },
  });
  assert.deepEqual(out.status.conditions, [
    { type: 'Ready', status: 'True' },
    { type: 'PodScheduled', status: 'True' },
  ]);
  assert.deepEqual(out.status.containerStatuses, [{ name: 'a', ready: true }], 'containerStatuses is atomic');
  const node = { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }, { type: 'Hostname', address: 'n1' }] } };
  const patched = smp(node, { status: { addresses: [{ type: 'Hostname', address: 'n2' }] } }, schemaForKind('', 'Node'));
  assert.deepEqual(patched.status.addresses, [
    { type: 'InternalIP', address: '10.0.0.2' },
    { type: 'Hostname', address: 'n2' },
  ]);
});

test('ownerReferences merge by uid; ServiceAccount secrets by name', () => {
  const doc = { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', kind: 'ReplicaSet' }] }, secrets: [{ name: 's1' }] };
  const out = smp(doc, {
    metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', name: 'b', kind: 'Job' }] },
    secrets: [{ name: 's2' }],
  }, schemaForKind('', 'ServiceAccount'));
  assert.deepEqual(out.metadata.ownerReferences, [
    { uid: 'u1', name: 'a', kind: 'ReplicaSet', controller: true },
    { uid: 'u2', name: 'b', kind: 'Job' },
  ]);
  assert.deepEqual(out.secrets, [{ name: 's2' }, { name: 's1' }]);
});

test('PodDisruptionBudget spec.selector is replaced with its schema, merged by the guess', () => {
  const pdb = { spec: { selector: { matchLabels: { app: 'a' } } } };
  const patch = { spec: { selector: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } } };
  assert.deepEqual(smp(pdb, patch, schemaForKind('policy', 'PodDisruptionBudget')).spec.selector, patch.spec.selector);
  assert.deepEqual(smp(pdb, patch).spec.selector, { matchLabels: { app: 'a' }, ...patch.spec.selector });
});

test('CronJob job template containers merge by name at their depth', () => {
  const cj = {
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'a', command: ['x'] }] } } } },
    },
  };
  const patch = { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'b' }] } } } } } };
  for (const schema of [schemaForKind('batch', 'CronJob'), undefined]) {
    const out = smp(cj, patch, schema);
    assert.deepEqual(out.spec.jobTemplate.spec.template.spec.containers, [{ name: 'job', image: 'b', command: ['x'] }]);
  }
});

// ---- maps and nulls ----

test('labels: null deletes one, others merge', () => {
  const out = smp(patchDemo(), { metadata: { labels: { tier: null, env: 'prod' } } });
  assert.deepEqual(out.metadata.labels, { app: 'nginx', env: 'prod' });
});

test('a null for a key the document lacks is dropped, and nulls inside new values too', () => {
  const out = smp({ a: 1 }, { b: null, c: { d: null, e: 2 } });
  assert.deepEqual(out, { a: 1, c: { e: 2 } });
});

test('values of another kind replace: a list over a map, a scalar over a list', () => {
  assert.deepEqual(smp({ a: { b: 1 }, c: [1] }, { a: [1], c: 'x' }), { a: [1], c: 'x' });
});

test('directives inside a value the document lacks are applied against nothing', () => {
  const out = smp({ spec: {} }, {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }],
          containers: [{ name: 'a', image: 'x' }, { name: 'gone', $patch: 'delete' }],
        },
      },
      other: { $patch: 'delete' },
      kept: { $patch: 'replace', v: 1 },
    },
  });
  assert.deepEqual(out, { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }] } }, kept: { v: 1 } } });
});

test('unknown $-directives are ignored', () => {
  assert.deepEqual(smp({ a: 1 }, { $futureDirective: ['x'], b: 2 }), { a: 1, b: 2 });
});

test('neither the document nor the patch is mutated', () => {
  const doc = twoContainers();
  const patch = {
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'main' }],
          containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'main', image: 'x' }],
        },
      },
    },
  };
  const docCopy = structuredClone(doc);
  const patchCopy = structuredClone(patch);
  smp(doc, patch);
  assert.deepEqual(doc, docCopy);
  assert.deepEqual(patch, patchCopy);
});

// ---- kubectl commands ----

test('kubectl set image (two-way patch, with and without $setElementOrder)', () => {
  for (const spec of [
    { containers: [{ image: 'busybox:1.36', name: 'sidecar' }] },
    { '$setElementOrder/containers': [{ name: 'main' }, { name: 'sidecar' }], containers: [{ image: 'busybox:1.36', name: 'sidecar' }] },
  ]) {
    const out = smp(twoContainers(), { spec: { template: { spec } } });
    const want = twoContainers();
    want.spec.template.spec.containers[1].image = 'busybox:1.36';
    assert.deepEqual(out, want);
  }
});

test('kubectl rollout restart adds the restartedAt annotation and keeps the rest', () => {
  const out = smp(twoContainers(), {
    spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } },
  });
  assert.deepEqual(out.spec.template.metadata.annotations, {
    team: 'a',
    'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
  });
  assert.deepEqual(out.spec.template.spec, twoContainers().spec.template.spec);
});

test('kubectl rollout undo of a StatefulSet/DaemonSet replaces the template wholesale', () => {
  const current = twoContainers();
  current.spec.replicas = 3;
  const oldTemplate = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'nginx:1.24' }], volumes: [] },
  };
  const out = smp(current, { spec: { template: { ...oldTemplate, $patch: 'replace' } } }, schemaForKind('apps', 'StatefulSet'));
  assert.deepEqual(out.spec.template, oldTemplate);
  assert.equal(out.spec.replicas, 3);
});

test('a patch on something that is not an object starts from an empty object', () => {
  assert.deepEqual(smp(undefined, { a: 1 }), { a: 1 });
});

test('a __proto__ key is an ordinary key: nothing reaches Object.prototype', () => {
  const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":"yes"},"labels":{"__proto__":{"x":1}}}}');
  const out = smp({ metadata: { labels: { a: 'b' } } }, patch);
  assert.equal(({} as any).polluted, undefined);
  assert.equal(({} as any).x, undefined);
  assert.deepEqual(Object.getPrototypeOf(out.metadata), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(out.metadata.labels)), JSON.parse('{"a":"b","__proto__":{"x":1}}'));
  assert.deepEqual(Object.keys(out.metadata), ['labels', '__proto__']);
});

test('kubectl apply next to a container the server added: where the server-only one lands', () => {
  const live = () => ({ spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'injected' }] } });
  // adding c: the server-only container stays after the applied ones
  const added = smp(live(), {
    spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }, { name: 'c' }], containers: [{ name: 'c' }] },
  });
  assert.deepEqual(added.spec.containers.map((c: any) => c.name), ['a', 'b', 'c', 'injected']);
  // replacing a by c: upstream keeps the server-only container ahead of the new one
  const swapped = smp(live(), {
    spec: {
      '$setElementOrder/containers': [{ name: 'b' }, { name: 'c' }],
      containers: [{ name: 'c' }, { name: 'a', $patch: 'delete' }],
    },
  });
  assert.deepEqual(swapped.spec.containers.map((c: any) => c.name), ['b', 'injected', 'c']);
});
