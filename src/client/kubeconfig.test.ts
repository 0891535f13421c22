import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig, parseKubeconfig } from './kubeconfig.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const doc = `
apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${b64('CA PEM')}
- name: files
  cluster:
    server: https://example.test:6443/prefix
    certificate-authority: pki/ca.crt
    tls-server-name: kubernetes
- name: insecure
  cluster:
    server: https://10.0.0.1
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
- name: bot
  user:
    token: abc123
- name: filebot
  user:
    client-certificate: pki/admin.crt
    client-key: /ABS/admin.key
    tokenFile: token
contexts:
- name: admin
  context: { cluster: local, user: admin }
- name: bot
  context: { cluster: insecure, user: bot }
- name: files
  context: { cluster: files, user: filebot }
- name: broken
  context: { cluster: nowhere, user: admin }
`;

test('kubeconfig: current context with embedded data; named contexts; token; missing pieces are plain errors', async () => {
  assert.deepEqual(await parseKubeconfig(doc, '/unused'), { server: 'https://127.0.0.1:6443', caPem: 'CA PEM', certPem: 'CERT PEM', keyPem: 'KEY PEM' });
  assert.deepEqual(await parseKubeconfig(doc, '/unused', { context: 'bot' }), { server: 'https://10.0.0.1', token: 'abc123', insecureSkipTlsVerify: true });
  await assert.rejects(parseKubeconfig(doc, '/unused', { context: 'broken' }), /cluster "nowhere" not found/);
  await assert.rejects(parseKubeconfig(doc, '/unused', { context: 'nope' }), /context "nope" not found/);
  await assert.rejects(parseKubeconfig('apiVersion: v1\n', '/unused'), /no current-context/);
});

test('kubeconfig: file references resolve against the kubeconfig directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kubeconfig-'));
  try {
    const abs = join(dir, 'abs');
    await mkdir(join(dir, 'pki'));
    await mkdir(abs);
    await writeFile(join(dir, 'pki/ca.crt'), 'CA FROM FILE');
    await writeFile(join(dir, 'pki/admin.crt'), 'CERT FROM FILE');
    await writeFile(join(abs, 'admin.key'), 'KEY FROM FILE');
    await writeFile(join(dir, 'token'), 'tok-from-file\n');
    await writeFile(join(dir, 'config'), doc.replace('/ABS', abs));
    assert.deepEqual(await loadKubeconfig(join(dir, 'config'), { context: 'files' }), {
      server: 'https://example.test:6443/prefix',
      caPem: 'CA FROM FILE',
      certPem: 'CERT FROM FILE',
      keyPem: 'KEY FROM FILE',
      token: 'tok-from-file',
      tlsServerName: 'kubernetes',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
