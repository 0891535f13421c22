// The real kubectl against a tiny plain-HTTP server that answers discovery, the OpenAPI
// documents and pod creation: `kubectl explain` renders our schemas, `kubectl create -f` finds
// the fieldValidation parameter and asks for Strict validation. Skipped when kubectl is absent.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type IncomingMessage } from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RESOURCES } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { ApiRequest, ApiResponse, BufferedResponse } from '../request.ts';
import { Discovery } from '../discovery.ts';
import { OpenApi } from './documents.ts';
import { unknownFields } from './unknown-fields.ts';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? false : `kubectl not found at ${KUBECTL}`;

interface Seen {
  method: string;
  url: string;
}

let server: Server;
let dir: string;
let kubeconfig: string;
const seen: Seen[] = [];

function status(code: number, reason: string, message: string): BufferedResponse {
  return { status: code, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) };
}

/** The server's whole API: version, discovery, OpenAPI, and POST of pods (checked like Strict). */
function answer(req: ApiRequest, body: string, discovery: Discovery, openapi: OpenApi): ApiResponse {
  if (req.path === '/version') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0' }) };
  try {
    const oa = openapi.serve(req);
    if (oa) return oa;
  } catch (e) {
    if (e instanceof ApiError) return status(e.httpCode, e.reason, e.message);
    throw e;
  }
  const d = discovery.serve(req);
  if (d) return d;
  if (req.method === 'POST' && req.path === '/api/v1/namespaces/default/pods') {
    const obj = JSON.parse(body);
    const unknown = unknownFields('', 'v1', 'Pod', obj);
    if (unknown.length > 0 && req.query.get('fieldValidation') === 'Strict') {
      return status(400, 'BadRequest', `Pod in version "v1" cannot be handled as a Pod: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    obj.metadata = { ...obj.metadata, namespace: 'default', uid: '1', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' };
    return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(obj) };
  }
  return status(404, 'NotFound', 'the server could not find the requested resource');
}

async function readBody(r: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

before(async () => {
  if (skip) return;
  dir = await mkdtemp(path.join(tmpdir(), 'skiff-openapi-kubectl-'));
  const discovery = new Discovery(RESOURCES);
  const openapi = new OpenApi(RESOURCES);
  server = createServer((r, w) => {
    void (async () => {
      const body = await readBody(r);
      const url = new URL(r.url!, 'http://x');
      seen.push({ method: r.method!, url: r.url! });
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(r.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const req: ApiRequest = { method: r.method!, path: decodeURIComponent(url.pathname), query: url.searchParams, headers, signal: new AbortController().signal, user: { name: 'u', groups: [] } };
      const res = answer(req, body, discovery, openapi) as BufferedResponse;
      w.writeHead(res.status, res.headers);
      w.end(res.body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: u, user: {token: test-token}}]',
      'contexts: [{name: c, context: {cluster: t, user: u, namespace: default}}]',
      'current-context: c',
      '',
    ].join('\n'),
  );
});

after(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args],
      { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

test('kubectl explain pods.spec.containers prints the field, its type and the Container fields', { skip }, async () => {
  const r = await kubectl(['explain', 'pods.spec.containers']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^KIND:\s+Pod$/m);
  assert.match(r.stdout, /^VERSION:\s+v1$/m);
  assert.match(r.stdout, /^FIELD: containers <\[\]Container>$/m);
  assert.match(r.stdout, /List of containers belonging to the pod/);
  assert.match(r.stdout, /^ {2}image\t<string>$/m);
  assert.match(r.stdout, /^ {2}name\t<string> -required-$/m);
  assert.match(r.stdout, /^ {2}ports\t<\[\]ContainerPort>$/m);
  assert.match(r.stdout, /^ {2}resources\t<ResourceRequirements>$/m);
  assert.ok(seen.some((s) => s.url.startsWith('/openapi/v3/api/v1?hash=')));
});

test('kubectl explain deployment --recursive walks the references', { skip }, async () => {
  const r = await kubectl(['explain', 'deployment', '--recursive']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^GROUP:\s+apps$/m);
  assert.match(r.stdout, /^KIND:\s+Deployment$/m);
  assert.match(r.stdout, /Deployment enables declarative updates for Pods and ReplicaSets/);
  assert.match(r.stdout, /^ {2}spec\t<DeploymentSpec>$/m);
  assert.match(r.stdout, /^ {4}template\t<PodTemplateSpec> -required-$/m);
  assert.match(r.stdout, /^ {8}containers\t<\[\]Container> -required-$/m);
  assert.match(r.stdout, /^ {12}limits\t<map\[string\]string>$/m);
  assert.match(r.stdout, /^ {8}maxSurge\t<string>$/m);
});

test('kubectl explain of a nested map and a scalar field', { skip }, async () => {
  const r = await kubectl(['explain', 'pod.metadata.labels']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^FIELD: labels <map\[string\]string>$/m);
  const q = await kubectl(['explain', 'hpa.spec.maxReplicas']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^GROUP:\s+autoscaling$/m);
  assert.match(q.stdout, /^VERSION:\s+v2$/m);
  assert.match(q.stdout, /^FIELD: maxReplicas <integer>$/m);
});

test('kubectl create -f sends fieldValidation=Strict; unknown fields come back as upstream words them', { skip }, async () => {
  const good = path.join(dir, 'pod.yaml');
  await writeFile(good, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    image: nginx\n');
  const r = await kubectl(['create', '-f', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /pod\/web created/);
  const post = seen.find((s) => s.method === 'POST');
  assert.ok(post, 'no POST seen');
  const q = new URL(post.url, 'http://x').searchParams;
  assert.equal(q.get('fieldValidation'), 'Strict');
  assert.equal(q.get('fieldManager'), 'kubectl-create');

  const bad = path.join(dir, 'bad.yaml');
  await writeFile(bad, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  foo: 1\n  containers:\n  - name: main\n    imagee: nginx\n');
  const b = await kubectl(['create', '-f', bad]);
  assert.notEqual(b.code, 0);
  // kubectl turns YAML into JSON with sorted keys, so containers comes before foo
  assert.match(b.stderr, /Error from server \(BadRequest\): error when creating ".*bad\.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec\.containers\[0\]\.imagee", unknown field "spec\.foo"/);
});
