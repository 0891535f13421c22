// Decodes REAL kubectl request bodies. A minimal loopback API (version, aggregated discovery, and
// an echo for writes) records what kubectl sends; kubectl 1.32 sends protobuf, kubectl 1.31 sends
// JSON for the same commands, so the decoded protobuf must equal the JSON body 1.31 sent.
// Runs through the /usr/bin/kubectl dispatcher, which picks the binary from /version's minor.
// Skipped where that dispatcher is not installed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeProtobufObject, isProtobuf } from './decode.ts';

const KUBECTL = '/usr/bin/kubectl';
const HAVE_DISPATCHER = existsSync(KUBECTL) && existsSync('/usr/lib/google-cloud-sdk/bin/kubectl.1.32');

// ---- the fake API ----

/** [group, version, resource, kind, namespaced, subresources: [name, group, version, kind]] */
type Resource = [string, string, string, string, boolean, Array<[string, string, string, string]>?];
const RESOURCES: Resource[] = [
  ['', 'v1', 'namespaces', 'Namespace', false],
  ['', 'v1', 'configmaps', 'ConfigMap', true],
  ['', 'v1', 'secrets', 'Secret', true],
  ['', 'v1', 'services', 'Service', true],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', true, [['token', 'authentication.k8s.io', 'v1', 'TokenRequest']]],
  ['', 'v1', 'resourcequotas', 'ResourceQuota', true],
  ['', 'v1', 'pods', 'Pod', true, [['eviction', 'policy', 'v1', 'Eviction']]],
  ['', 'v1', 'nodes', 'Node', false],
  ['apps', 'v1', 'deployments', 'Deployment', true],
  ['batch', 'v1', 'jobs', 'Job', true],
  ['batch', 'v1', 'cronjobs', 'CronJob', true],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false],
  ['scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', true],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false],
  ['authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false],
  ['authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false],
];
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function aggregatedDiscovery(core: boolean): unknown {
  const groups = [...new Set(RESOURCES.filter((r) => (r[0] === '') === core).map((r) => r[0]))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group },
      versions: [
        {
          version: 'v1',
          freshness: 'Current',
          resources: RESOURCES.filter((r) => r[0] === group).map(([g, v, resource, kind, namespaced, subs]) => ({
            resource,
            responseKind: { group: g, version: v, kind },
            scope: namespaced ? 'Namespaced' : 'Cluster',
            singularResource: kind.toLowerCase(),
            verbs: VERBS,
            subresources: (subs ?? []).map(([subresource, sg, sv, sk]) => ({
              subresource,
              responseKind: { group: sg, version: sv, kind: sk },
              verbs: ['create'],
            })),
          })),
        },
      ],
    })),
  };
}

function legacyResourceList(group: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/v1` : 'v1',
    resources: RESOURCES.filter((r) => r[0] === group).flatMap(([, , resource, kind, namespaced, subs]) => [
      { name: resource, singularName: kind.toLowerCase(), namespaced, kind, verbs: VERBS },
      ...(subs ?? []).map(([sub, sg, sv, sk]) => ({
        name: `${resource}/${sub}`,
        singularName: '',
        namespaced,
        group: sg,
        version: sv,
        kind: sk,
        verbs: ['create'],
      })),
    ]),
  };
}

/** What `kubectl debug node/node1` reads first. */
const FIXTURES: Array<[string, unknown]> = [
  ['/api/v1/nodes/node1', { kind: 'Node', apiVersion: 'v1', metadata: { name: 'node1' }, spec: {} }],
];

/** A recorded write. */
interface Write {
  method: string;
  url: string;
  contentType: string;
  body: Buffer;
}

/** The fake API server: answers as a 1.<minor> apiserver would, enough for the commands below. */
class FakeApi {
  readonly writes: Write[] = [];
  /** Objects answered to GET (and PATCH) by path, for commands that read before they write. */
  readonly objects = new Map<string, unknown>(FIXTURES);
  readonly #minor: string;
  #server: Server | undefined;

  constructor(minor: string) {
    this.#minor = minor;
  }

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, obj: unknown, contentType = 'application/json'): void => {
      res.writeHead(code, { 'Content-Type': contentType });
      res.end(JSON.stringify(obj));
    };
    const aggregated = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
    const p = url.pathname;
    if (req.method === 'GET') {
      if (p === '/version') return send(200, { major: '1', minor: this.#minor, gitVersion: `v1.${this.#minor}.0` });
      if (p === '/api') return send(200, aggregatedDiscovery(true), aggregated);
      if (p === '/apis') return send(200, aggregatedDiscovery(false), aggregated);
      if (p === '/api/v1') return send(200, legacyResourceList(''));
      const gv = p.match(/^\/apis\/([^/]+)\/v1$/);
      if (gv?.[1]) return send(200, legacyResourceList(gv[1]));
      if (this.objects.has(p)) return send(200, this.objects.get(p));
      return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
    }
    const contentType = req.headers['content-type'] ?? '';
    this.writes.push({ method: req.method ?? '', url: req.url ?? '', contentType, body });
    let obj: Record<string, unknown>;
    try {
      obj = isProtobuf(contentType) ? decodeProtobufObject(body) : (JSON.parse(body.toString()) as Record<string, unknown>);
    } catch (err) {
      return send(500, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 500, message: String(err) });
    }
    send(201, answer(obj));
  }
}

/** What the server answers to a create: the object, with the status kubectl prints from. */
function answer(obj: Record<string, unknown>): Record<string, unknown> {
  switch (obj['kind']) {
    case 'SelfSubjectAccessReview':
      return { ...obj, status: { allowed: true } };
    case 'SelfSubjectRulesReview':
      return {
        ...obj,
        status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [], incomplete: false },
      };
    case 'TokenRequest':
      return { ...obj, status: { token: 'tok', expirationTimestamp: '2026-11-22T11:00:00Z' } };
    default:
      return obj;
  }
}

// ---- running kubectl ----

let dir = '';
/** One fake API per kubectl minor version (the dispatcher picks the binary from /version). */
const apis = new Map<string, { api: FakeApi; kubeconfig: string }>();

before(() => {
  if (HAVE_DISPATCHER) dir = mkdtempSync(path.join(tmpdir(), 'skiff-kubectl-bodies-'));
});

after(async () => {
  await Promise.all([...apis.values()].map(({ api }) => api.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function apiFor(minor: string): Promise<{ api: FakeApi; kubeconfig: string }> {
  let entry = apis.get(minor);
  if (!entry) {
    const api = new FakeApi(minor);
    const server = await api.start();
    const kubeconfig = path.join(dir, `kubeconfig-${minor}`);
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\n` +
        `users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]\n` +
        `current-context: x\n`,
    );
    entry = { api, kubeconfig };
    apis.set(minor, entry);
  }
  return entry;
}

/** Runs kubectl 1.<minor> against its fake API; resolves with its output and the writes it made. */
async function kubectl(minor: string, args: string[]): Promise<{ code: number; out: string; writes: Write[] }> {
  const { api, kubeconfig } = await apiFor(minor);
  api.writes.length = 0;
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, KUBECONFIG: kubeconfig };
  const fullArgs = ['--cache-dir', path.join(dir, `cache-${minor}`), ...args];
  const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(KUBECTL, fullArgs, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: stdout + stderr });
    });
  });
  return { code, out, writes: [...api.writes] };
}

interface Command {
  what: string;
  args: string[];
  kind: string;
  /** The decoded object, for commands whose older kubectl sends protobuf too (typed clients). */
  expected?: Record<string, unknown>;
  /** kubectl minor versions that send the protobuf and the JSON body; default 1.32 and 1.31. */
  protoMinor?: string;
  jsonMinor?: string;
  /** metadata.name ends in a random suffix after this prefix (kubectl debug). */
  namePrefix?: string;
}

const COMMANDS: Command[] = [
  { what: 'create namespace', args: ['create', 'namespace', 'team-a'], kind: 'Namespace' },
  { what: 'create configmap', args: ['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two'], kind: 'ConfigMap' },
  { what: 'create secret generic', args: ['create', 'secret', 'generic', 's1', '--from-literal=password=s3cr3t'], kind: 'Secret' },
  {
    what: 'create secret docker-registry',
    args: ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.io', '--docker-username=u', '--docker-password=p'],
    kind: 'Secret',
  },
  {
    what: 'create service clusterip',
    args: ['create', 'service', 'clusterip', 'web', '--tcp=80:8080', '--tcp=9090:metrics'],
    kind: 'Service',
  },
  {
    what: 'create service nodeport',
    args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'],
    kind: 'Service',
  },
  { what: 'create serviceaccount', args: ['create', 'serviceaccount', 'robot'], kind: 'ServiceAccount' },
  {
    what: 'create deployment',
    args: ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=80'],
    kind: 'Deployment',
  },
  { what: 'create job', args: ['create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi'], kind: 'Job' },
  {
    what: 'create cronjob',
    args: ['create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
    kind: 'CronJob',
  },
  { what: 'create role', args: ['create', 'role', 'reader', '--verb=get,list', '--resource=pods,deployments.apps'], kind: 'Role' },
  {
    what: 'create rolebinding',
    args: ['create', 'rolebinding', 'rb', '--role=reader', '--user=alice', '--serviceaccount=default:robot'],
    kind: 'RoleBinding',
    expected: {
      kind: 'RoleBinding',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name: 'rb', creationTimestamp: null },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
        { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
      ],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    },
  },
  {
    what: 'create clusterrole',
    args: ['create', 'clusterrole', 'cr', '--verb=get', '--resource=nodes', '--non-resource-url=/healthz'],
    kind: 'ClusterRole',
  },
  {
    what: 'create clusterrolebinding',
    args: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=devs'],
    kind: 'ClusterRoleBinding',
  },
  {
    what: 'create priorityclass',
    args: ['create', 'priorityclass', 'high', '--value=1000', '--description=important'],
    kind: 'PriorityClass',
  },
  {
    what: 'create quota',
    args: ['create', 'quota', 'q', '--hard=cpu=1,memory=1Gi,pods=10,requests.storage=5Gi'],
    kind: 'ResourceQuota',
  },
  {
    what: 'create poddisruptionbudget',
    args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
    kind: 'PodDisruptionBudget',
  },
  { what: 'create ingress', args: ['create', 'ingress', 'ing', '--rule=foo.com/bar=web:8080', '--class=nginx'], kind: 'Ingress' },
  { what: 'create token', args: ['create', 'token', 'robot', '--duration=1h', '--audience=api'], kind: 'TokenRequest' },
  { what: 'auth can-i', args: ['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', 'team-a'], kind: 'SelfSubjectAccessReview' },
  { what: 'auth can-i (non-resource)', args: ['auth', 'can-i', 'get', '/healthz'], kind: 'SelfSubjectAccessReview' },
  { what: 'auth can-i --list', args: ['auth', 'can-i', '--list', '-n', 'team-a'], kind: 'SelfSubjectRulesReview' },
  { what: 'auth whoami', args: ['auth', 'whoami'], kind: 'SelfSubjectReview' },
  { what: 'debug node', args: ['debug', 'node/node1', '--image=busybox', '--profile=sysadmin'], kind: 'Pod', namePrefix: 'node-debugger-node1-' },
];

/** The one POST a command made. */
function posted(writes: Write[], version: string, out: string): Write {
  const posts = writes.filter((w) => w.method === 'POST');
  assert.equal(posts.length, 1, `kubectl 1.${version} POSTs: ${JSON.stringify(posts.map((w) => w.url))}\n${out}`);
  return posts[0] as Write;
}

for (const { what, args, kind, expected, protoMinor = '32', jsonMinor = '31', namePrefix } of COMMANDS) {
  const against = expected ? 'the Go JSON form' : `what kubectl 1.${jsonMinor} sends as JSON`;
  const title = `kubectl 1.${protoMinor} ${what}: the protobuf body decodes to ${against}`;
  test(title, { skip: !HAVE_DISPATCHER }, async () => {
    const proto = await kubectl(protoMinor, args);
    assert.equal(proto.code, 0, `kubectl 1.${protoMinor} failed:\n${proto.out}`);
    const sent = posted(proto.writes, protoMinor, proto.out);
    assert.ok(isProtobuf(sent.contentType), `kubectl 1.${protoMinor} sent ${sent.contentType}: ${sent.url} ${sent.body}`);
    const decoded = decodeProtobufObject(sent.body);
    assert.equal(decoded['kind'], kind);
    if (expected) {
      assert.deepEqual(decoded, expected);
      return;
    }
    const json = await kubectl(jsonMinor, args);
    assert.equal(json.code, 0, `kubectl 1.${jsonMinor} failed:\n${json.out}`);
    const jsonSent = posted(json.writes, jsonMinor, json.out);
    assert.match(jsonSent.contentType, /^application\/json/);
    assert.equal(jsonSent.url, sent.url);
    const reference = JSON.parse(jsonSent.body.toString()) as { metadata: { name: string } };
    if (namePrefix) {
      const name = (decoded['metadata'] as { name: string }).name;
      assert.ok(name.startsWith(namePrefix) && reference.metadata.name.startsWith(namePrefix), name);
      reference.metadata.name = name;
    }
    assert.deepEqual(decoded, reference);
  });
}
