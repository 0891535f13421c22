// End-to-end: everyday kubectl 1.32 commands with DEFAULT flags (validation on, so OpenAPI v3
// is used) against a real skiff server: apply (client- and server-side), edit, patch, set image,
// generators (protobuf bodies), dry-run, field validation, explain, auth can-i, and
// service-account tokens (create token).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, chmod, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { startCluster, destroyCluster, kubectl, kubectlOk, type Cluster } from './harness.ts';

let c: Cluster | undefined;
const K = (args: string[], input?: string) => kubectlOk(c!, args, input);

before(async () => {
  c = await startCluster();
  await K(['create', 'namespace', 'fid']);
});
after(async () => {
  await destroyCluster(c);
});

function deployment(image: string, env: { name: string; value: string }[], replicas = 2) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'fid', labels: { app: 'app' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'app' } },
      template: {
        metadata: { labels: { app: 'app' } },
        spec: { containers: [{ name: 'main', image, env, ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

function manifest(...docs: unknown[]): string {
  return docs.map((d) => toYaml(d)).join('---\n');
}

const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'fid' }, data: { mode: 'fast' } };

test('client-side apply: created, unchanged, configured, and a removed list element goes away', async () => {
  const env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
  const first = await K(['apply', '-f', '-'], manifest(deployment('nginx:1.26', env), cm));
  assert.match(first, /deployment\.apps\/app created/);
  assert.match(first, /configmap\/settings created/);
  const second = await K(['apply', '-f', '-'], manifest(deployment('nginx:1.26', env), cm));
  assert.match(second, /deployment\.apps\/app unchanged/);
  assert.match(second, /configmap\/settings unchanged/);
  const third = await K(['apply', '-f', '-'], manifest(deployment('nginx:1.27', [{ name: 'A', value: '1' }]), cm));
  assert.match(third, /deployment\.apps\/app configured/);
  const d = JSON.parse(await K(['get', 'deploy', 'app', '-n', 'fid', '-o', 'json']));
  const c0 = d.spec.template.spec.containers[0];
  assert.equal(c0.image, 'nginx:1.27');
  assert.deepEqual(c0.env, [{ name: 'A', value: '1' }]);
  assert.equal(c0.ports[0].protocol, 'TCP');
  assert.equal(d.metadata.generation, 2);
});

test('edit with a scripted editor, patch of all three types, set image', async () => {
  const editor = path.join(c!.dataDir, 'editor.sh');
  await writeFile(editor, '#!/bin/sh\nsed -i "s/mode: fast/mode: careful/" "$1"\n');
  await chmod(editor, 0o755);
  const edited = await new Promise<string>((resolve, reject) => {
    import('node:child_process').then(({ execFile }) =>
      execFile(
        '/usr/bin/kubectl',
        ['--kubeconfig', c!.kubeconfig, '--cache-dir', path.join(c!.dataDir, 'kubectl-cache'), 'edit', 'configmap', 'settings', '-n', 'fid'],
        { env: { ...process.env, KUBE_EDITOR: editor } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
  });
  assert.match(edited, /configmap\/settings edited/);
  assert.equal((await K(['get', 'cm', 'settings', '-n', 'fid', '-o', 'jsonpath={.data.mode}'])), 'careful');

  await K(['patch', 'cm', 'settings', '-n', 'fid', '-p', '{"data":{"strategic":"yes"}}']);
  await K(['patch', 'cm', 'settings', '-n', 'fid', '--type=merge', '-p', '{"data":{"merge":"yes"}}']);
  await K(['patch', 'cm', 'settings', '-n', 'fid', '--type=json', '-p', '[{"op":"add","path":"/data/json","value":"yes"}]']);
  const data = JSON.parse(await K(['get', 'cm', 'settings', '-n', 'fid', '-o', 'jsonpath={.data}']));
  assert.deepEqual(data, { mode: 'careful', strategic: 'yes', merge: 'yes', json: 'yes' });
  const noop = await K(['patch', 'cm', 'settings', '-n', 'fid', '--type=merge', '-p', '{"data":{"merge":"yes"}}']);
  assert.match(noop, /patched \(no change\)/);

  await K(['set', 'image', 'deployment/app', '-n', 'fid', 'main=nginx:1.28']);
  const d = JSON.parse(await K(['get', 'deploy', 'app', '-n', 'fid', '-o', 'json']));
  assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.28');
  assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }]);
});

test('server-side apply: a conflict, then --force-conflicts takes the field', async () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: 'fid' }, data: { owner: 'first' } };
  assert.match(await K(['apply', '--server-side', '--field-manager=first', '-f', '-'], JSON.stringify(obj)), /configmap\/ssa serverside-applied/);
  const conflict = await kubectl(c!, ['apply', '--server-side', '--field-manager=second', '-f', '-'], JSON.stringify({ ...obj, data: { owner: 'second' } }));
  assert.equal(conflict.code, 1);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "first"/);
  assert.match(conflict.stderr, /\.data\.owner/);
  await K(['apply', '--server-side', '--field-manager=second', '--force-conflicts', '-f', '-'], JSON.stringify({ ...obj, data: { owner: 'second' } }));
  const live = JSON.parse(await K(['get', 'cm', 'ssa', '-n', 'fid', '-o', 'json', '--show-managed-fields']));
  assert.equal(live.data.owner, 'second');
  const managers = live.metadata.managedFields.map((m: any) => m.manager);
  assert.ok(managers.includes('second'));
});

test('generators send protobuf bodies and work', async () => {
  assert.match(await K(['create', 'configmap', 'gen-cm', '-n', 'fid', '--from-literal=k=v']), /configmap\/gen-cm created/);
  assert.match(await K(['create', 'secret', 'generic', 'gen-secret', '-n', 'fid', '--from-literal=password=s3cret']), /secret\/gen-secret created/);
  assert.match(await K(['create', 'deployment', 'gen-deploy', '-n', 'fid', '--image=nginx:1.27', '--replicas=2']), /deployment\.apps\/gen-deploy created/);
  assert.match(await K(['create', 'job', 'gen-job', '-n', 'fid', '--image=busybox', '--', 'true']), /job\.batch\/gen-job created/);
  assert.match(await K(['create', 'service', 'clusterip', 'gen-svc', '-n', 'fid', '--tcp=80:8080']), /service\/gen-svc created/);
  assert.match(await K(['create', 'quota', 'gen-quota', '-n', 'fid', '--hard=pods=10,cpu=4']), /resourcequota\/gen-quota created/);
  const secret = JSON.parse(await K(['get', 'secret', 'gen-secret', '-n', 'fid', '-o', 'json']));
  assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 's3cret');
  const dep = JSON.parse(await K(['get', 'deploy', 'gen-deploy', '-n', 'fid', '-o', 'json']));
  assert.equal(dep.spec.replicas, 2);
  assert.equal(dep.spec.template.spec.containers[0].image, 'nginx:1.27');
  const svc = JSON.parse(await K(['get', 'svc', 'gen-svc', '-n', 'fid', '-o', 'json']));
  assert.equal(svc.spec.ports[0].port, 80);
  assert.equal(svc.spec.ports[0].targetPort, 8080);
  const quota = JSON.parse(await K(['get', 'quota', 'gen-quota', '-n', 'fid', '-o', 'json']));
  assert.deepEqual(quota.spec.hard, { cpu: '4', pods: '10' });
});

test('dry-run=server creates nothing', async () => {
  const out = await K(['create', 'configmap', 'dry', '-n', 'fid', '--from-literal=a=b', '--dry-run=server']);
  assert.match(out, /configmap\/dry created \(server dry run\)/);
  assert.equal((await kubectl(c!, ['get', 'cm', 'dry', '-n', 'fid'])).code, 1);
  await K(['delete', 'cm', 'settings', '-n', 'fid', '--dry-run=server']);
  assert.equal((await kubectl(c!, ['get', 'cm', 'settings', '-n', 'fid'])).code, 0);
});

test('unknown fields: rejected under Strict, warned under Warn', async () => {
  const bad = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict', namespace: 'fid' }, data: { a: 'b' }, spec: { foo: 1 } };
  const strict = await kubectl(c!, ['create', '-f', '-'], JSON.stringify(bad));
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /strict decoding error: unknown field "spec"/);
  assert.equal((await kubectl(c!, ['get', 'cm', 'strict', '-n', 'fid'])).code, 1);
  const warn = await kubectl(c!, ['create', '--validate=warn', '-f', '-'], JSON.stringify(bad));
  assert.equal(warn.code, 0, warn.stderr);
  assert.match(warn.stderr, /Warning: unknown field "spec"/);
});

test('explain of a nested field and auth can-i', async () => {
  const ex = await K(['explain', 'deployment.spec.template.spec.containers.image']);
  assert.match(ex, /KIND:\s+Deployment/);
  assert.match(ex, /FIELD:\s+image <string>/);
  assert.match(ex, /Container image name/);
  const rec = await K(['explain', 'pods.spec', '--recursive']);
  assert.match(rec, /containers\s+<\[\]Container> -required-/);
  assert.equal((await K(['auth', 'can-i', 'create', 'pods', '-n', 'fid'])).trim(), 'yes');
  assert.match(await K(['auth', 'can-i', '--list', '-n', 'fid']), /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
  assert.match(await K(['auth', 'whoami']), /admin/);
});

test('client-side apply then server-side apply migrates without conflicts; ordinary writes keep managedFields', async () => {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'migrate', namespace: 'fid' }, data: { a: '1', b: '2' } };
  await K(['apply', '-f', '-'], JSON.stringify(obj));
  const ssa = await kubectl(c!, ['apply', '--server-side', '-f', '-'], JSON.stringify({ ...obj, data: { a: '1', b: '3' } }));
  assert.equal(ssa.code, 0, ssa.stderr);
  const live = JSON.parse(await K(['get', 'cm', 'migrate', '-n', 'fid', '-o', 'json', '--show-managed-fields']));
  assert.deepEqual(live.data, { a: '1', b: '3' });
  const byManager = Object.fromEntries(live.metadata.managedFields.map((m: any) => [`${m.manager}/${m.operation}`, m]));
  assert.ok(byManager['kubectl/Apply'], JSON.stringify(live.metadata.managedFields));
  assert.ok(byManager['kubectl/Apply'].fieldsV1['f:data']['f:b']);
  const created = JSON.parse(await K(['get', 'cm', 'gen-cm', '-n', 'fid', '-o', 'json', '--show-managed-fields']));
  assert.equal(created.metadata.managedFields[0].manager, 'kubectl-create');
  assert.equal(created.metadata.managedFields[0].operation, 'Update');
});

test('create token: the service-account token authenticates as the service account until the account is deleted', async () => {
  await K(['create', 'serviceaccount', 'bot', '-n', 'fid']);
  const token = (await K(['create', 'token', 'bot', '-n', 'fid'])).trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  // A kubeconfig with only the token: a client certificate would authenticate first.
  const kc = parseYaml(await readFile(c!.kubeconfig, 'utf8'));
  kc.users = [{ name: kc.users[0].name, user: { token } }];
  const asBot = { kubeconfig: path.join(c!.dataDir, 'bot-kubeconfig.yaml'), dataDir: c!.dataDir };
  await writeFile(asBot.kubeconfig, toYaml(kc), { mode: 0o600 });
  const who = await kubectl(asBot, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const info = JSON.parse(who.stdout).status.userInfo;
  assert.equal(info.username, 'system:serviceaccount:fid:bot');
  assert.deepEqual(info.groups, ['system:serviceaccounts', 'system:serviceaccounts:fid', 'system:authenticated']);
  assert.equal(info.uid, (await K(['get', 'sa', 'bot', '-n', 'fid', '-o', 'jsonpath={.metadata.uid}'])).trim());
  await K(['delete', 'sa', 'bot', '-n', 'fid']);
  const after = await kubectl(asBot, ['get', '--raw', '/version']);
  assert.notEqual(after.code, 0);
  assert.match(after.stderr, /Unauthorized/);
});

test('impersonation: --as, --as-group, --as-uid and a service account; what the impersonated user writes is theirs', async () => {
  const who = JSON.parse(await K(['auth', 'whoami', '-o', 'json', '--as', 'jane', '--as-group', 'devs', '--as-group', 'a, b', '--as-uid', 'u-42']));
  assert.deepEqual(who.status.userInfo, { username: 'jane', uid: 'u-42', groups: ['devs', 'a, b', 'system:authenticated'] });
  const sa = JSON.parse(await K(['auth', 'whoami', '-o', 'json', '--as', 'system:serviceaccount:fid:builder']));
  assert.deepEqual(sa.status.userInfo, { username: 'system:serviceaccount:fid:builder', groups: ['system:serviceaccounts', 'system:serviceaccounts:fid', 'system:authenticated'] });
  // an ordinary request under impersonation works (every user may do everything until RBAC)
  await K(['create', 'configmap', 'by-jane', '-n', 'fid', '--from-literal=a=1', '--as', 'jane']);
  assert.equal((await K(['get', 'cm', 'by-jane', '-n', 'fid', '-o', 'jsonpath={.data.a}', '--as', 'jane'])).trim(), '1');
});
