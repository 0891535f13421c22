import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { TokenAuthenticator, UnionAuthenticator, X509Authenticator } from './authenticator.ts';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';
import { ensurePki } from './pki.ts';
import { startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('renders a self-contained kubeconfig with embedded credentials', () => {
  const text = renderKubeconfig({
    server: 'https://127.0.0.1:6443',
    caPem: 'CA-PEM\n',
    user: { clientCertPem: 'CERT\n', clientKeyPem: 'KEY\n' },
  });
  assert.deepEqual(parse(text), {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'skiff', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA-PEM\n') } }],
    contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'admin' } }],
    'current-context': 'skiff',
    preferences: {},
    users: [{ name: 'admin', user: { 'client-certificate-data': b64('CERT\n'), 'client-key-data': b64('KEY\n') } }],
  });
  const withToken = parse(
    renderKubeconfig({ server: 'https://h:1', caPem: 'C', user: { token: 't0k' }, clusterName: 'c', contextName: 'x', userName: 'u' }),
  );
  assert.deepEqual(withToken.users, [{ name: 'u', user: { token: 't0k' } }]);
  assert.deepEqual(withToken.contexts, [{ name: 'x', context: { cluster: 'c', user: 'u' } }]);
  assert.equal(withToken['current-context'], 'x');
});

test('writeKubeconfig creates the directory and a 0600 file, replacing atomically', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kubeconfig-'));
  try {
    const path = join(dir, 'nested', 'config');
    await writeKubeconfig(path, 'one');
    await writeKubeconfig(path, 'two');
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Runs the real kubectl with only our kubeconfig and a private HOME/cache. */
async function kubectl(home: string, kubeconfig: string, args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(home, 'cache') },
    timeout: 60_000,
  });
  return stdout;
}

test('the real kubectl trusts our CA and presents our client certificate or token', { skip: !existsSync(KUBECTL) && 'kubectl not installed' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-'));
  let server: TestServer | undefined;
  try {
    const pki = await ensurePki(join(dir, 'tls'), { hosts: [] });
    const authn = new UnionAuthenticator([
      new X509Authenticator(),
      new TokenAuthenticator([{ token: 'secret-token', user: { name: 'tess', groups: ['testers'] } }]),
    ]);
    server = await startTestServer(pki, authn);

    const certConfig = join(dir, 'cert.yaml');
    await writeKubeconfig(
      certConfig,
      renderKubeconfig({ server: server.url, caPem: pki.caCertPem, user: { clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem } }),
    );
    assert.deepEqual(JSON.parse(await kubectl(dir, certConfig, ['get', '--raw', '/version'])), {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0',
    });
    assert.deepEqual(JSON.parse(await kubectl(dir, certConfig, ['get', '--raw', '/whoami'])), {
      name: 'admin',
      groups: ['system:masters', 'system:authenticated'],
    });

    // "localhost" is a SAN too: Go verifies the DNS name as well as the IP.
    const byName = join(dir, 'byname.yaml');
    await writeKubeconfig(
      byName,
      renderKubeconfig({ server: `https://localhost:${server.port}`, caPem: pki.caCertPem, user: { token: 'secret-token' } }),
    );
    assert.deepEqual(JSON.parse(await kubectl(dir, byName, ['get', '--raw', '/whoami'])), {
      name: 'tess',
      groups: ['testers', 'system:authenticated'],
    });

    // A kubeconfig trusting some other CA must fail the TLS handshake.
    const other = await ensurePki(join(dir, 'other'), { hosts: [] });
    const wrongCa = join(dir, 'wrong-ca.yaml');
    await writeKubeconfig(wrongCa, renderKubeconfig({ server: server.url, caPem: other.caCertPem, user: { token: 'secret-token' } }));
    await assert.rejects(kubectl(dir, wrongCa, ['get', '--raw', '/whoami']), /certificate signed by unknown authority/);
  } finally {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
