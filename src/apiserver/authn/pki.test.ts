import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePki, issueClientCert, issueServingCert } from './pki.ts';

const run = promisify(execFile);
const DAY = 24 * 60 * 60 * 1000;
const hasOpenssl = existsSync('/usr/bin/openssl');

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-pki-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('first start creates the PKI with private modes; a second start reuses every file', () =>
  withTempDir(async (root) => {
    const dir = join(root, 'tls');
    const first = await ensurePki(dir, { hosts: [] });
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    for (const f of ['ca.key', 'server.key', 'admin.key']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    for (const f of ['ca.crt', 'server.crt', 'admin.crt']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o644, f);
    assert.equal(await readFile(first.files.caCert, 'utf8'), first.caCertPem);

    const second = await ensurePki(dir, { hosts: [] });
    assert.equal(second.caCertPem, first.caCertPem);
    assert.equal(second.caKeyPem, first.caKeyPem);
    assert.equal(second.serverCertPem, first.serverCertPem);
    assert.equal(second.adminCertPem, first.adminCertPem);

    const ca = new X509Certificate(first.caCertPem);
    assert.equal(ca.ca, true);
    assert.ok(new Date(ca.validTo).getTime() - Date.now() > 9 * 365 * DAY);
    const server = new X509Certificate(first.serverCertPem);
    assert.ok(server.verify(ca.publicKey));
    assert.equal(server.checkIssued(ca), true);
    assert.equal(server.checkHost('kubernetes.default.svc.cluster.local'), 'kubernetes.default.svc.cluster.local');
    assert.equal(server.checkHost(hostname()), hostname());
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(server.checkIP('::1'), '::1');
    const admin = new X509Certificate(first.adminCertPem);
    assert.equal(admin.subject, 'O=system:masters\nCN=admin');
    assert.ok(admin.verify(ca.publicKey));
  }));

test('a missing SAN reissues only the serving certificate', () =>
  withTempDir(async (dir) => {
    const first = await ensurePki(dir, { hosts: ['10.43.0.1'] });
    const same = await ensurePki(dir, { hosts: ['10.43.0.1'] });
    assert.equal(same.serverCertPem, first.serverCertPem);
    const more = await ensurePki(dir, { hosts: ['10.43.0.1', 'Skiff.Example.com', '2001:db8::1'] });
    assert.notEqual(more.serverCertPem, first.serverCertPem);
    assert.equal(more.caCertPem, first.caCertPem);
    assert.equal(more.adminCertPem, first.adminCertPem);
    const server = new X509Certificate(more.serverCertPem);
    assert.equal(server.checkHost('skiff.example.com'), 'skiff.example.com');
    assert.equal(server.checkIP('2001:db8::1'), '2001:db8::1');
    assert.equal(server.checkIP('10.43.0.1'), '10.43.0.1');
    // the same hosts spelled differently are not "missing"
    const again = await ensurePki(dir, { hosts: ['skiff.example.COM', '2001:0db8:0:0::1', '10.43.0.1'] });
    assert.equal(again.serverCertPem, more.serverCertPem);
  }));

test('leaf certificates are reissued within 30 days of expiry; the CA is kept', () =>
  withTempDir(async (dir) => {
    const start = Date.now();
    const first = await ensurePki(dir, { hosts: [], clock: { now: () => start } });
    const later = await ensurePki(dir, { hosts: [], clock: { now: () => start + 300 * DAY } });
    assert.equal(later.serverCertPem, first.serverCertPem);
    const renewed = await ensurePki(dir, { hosts: [], clock: { now: () => start + 340 * DAY } });
    assert.equal(renewed.caCertPem, first.caCertPem);
    assert.notEqual(renewed.serverCertPem, first.serverCertPem);
    assert.notEqual(renewed.adminCertPem, first.adminCertPem);
    const server = new X509Certificate(renewed.serverCertPem);
    assert.ok(new Date(server.validTo).getTime() > start + 700 * DAY);
  }));

test('a leaf that does not belong to the CA or to its key is reissued', () =>
  withTempDir(async (dir) => {
    const first = await ensurePki(dir, { hosts: [] });
    const other = await ensurePki(join(dir, 'other'), { hosts: [] });
    await writeFile(join(dir, 'server.crt'), other.serverCertPem);
    await writeFile(join(dir, 'admin.key'), other.adminKeyPem);
    const fixed = await ensurePki(dir, { hosts: [] });
    assert.equal(fixed.caCertPem, first.caCertPem);
    const ca = new X509Certificate(first.caCertPem);
    assert.ok(new X509Certificate(fixed.serverCertPem).verify(ca.publicKey));
    assert.ok(new X509Certificate(fixed.adminCertPem).checkPrivateKey(createPrivateKey(fixed.adminKeyPem)));
    await unlink(join(dir, 'server.key'));
    const again = await ensurePki(dir, { hosts: [] });
    assert.notEqual(again.serverCertPem, fixed.serverCertPem);
  }));

test('half a CA is an error, not a silent replacement', () =>
  withTempDir(async (dir) => {
    await ensurePki(dir, { hosts: [] });
    await unlink(join(dir, 'ca.key'));
    await assert.rejects(ensurePki(dir, { hosts: [] }), /incomplete CA/);
  }));

test('issueClientCert and issueServingCert sign with the cluster CA', () =>
  withTempDir(async (dir) => {
    const pki = await ensurePki(dir, { hosts: [] });
    const ca = new X509Certificate(pki.caCertPem);
    const node = await issueClientCert(pki, { cn: 'system:node:n1', groups: ['system:nodes', 'ops'], days: 7 });
    const cert = new X509Certificate(node.certPem);
    assert.equal(cert.subject, 'O=system:nodes\nO=ops\nCN=system:node:n1');
    assert.ok(cert.verify(ca.publicKey));
    const days = (new Date(cert.validTo).getTime() - Date.now()) / DAY;
    assert.ok(days > 6.9 && days < 7.1, String(days));
    const serving = await issueServingCert(pki, { cn: 'node-n1', hosts: ['n1', '10.0.0.5'], days: 30 });
    const s = new X509Certificate(serving.certPem);
    assert.equal(s.checkIP('10.0.0.5'), '10.0.0.5');
    assert.ok(s.verify(ca.publicKey));
  }));

test('openssl verifies the chain and sees every SAN', { skip: !hasOpenssl && 'openssl not installed' }, () =>
  withTempDir(async (dir) => {
    const pki = await ensurePki(dir, { hosts: ['10.43.0.1', 'skiff.example.com'] });
    const verify = await run('openssl', ['verify', '-CAfile', pki.files.caCert, pki.files.serverCert, pki.files.adminCert]);
    assert.match(verify.stdout, /server\.crt: OK/);
    assert.match(verify.stdout, /admin\.crt: OK/);
    const purpose = await run('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', pki.files.caCert, pki.files.adminCert]);
    assert.match(purpose.stdout, /OK/);
    const text = (await run('openssl', ['x509', '-in', pki.files.serverCert, '-noout', '-ext', 'subjectAltName'])).stdout;
    for (const san of [
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      `DNS:${hostname().toLowerCase()}`,
      'DNS:kubernetes,',
      'DNS:kubernetes.default,',
      'DNS:kubernetes.default.svc,',
      'DNS:kubernetes.default.svc.cluster.local',
      'IP Address:10.43.0.1',
      'DNS:skiff.example.com',
    ]) {
      assert.ok(text.includes(san), `${san} missing from ${text}`);
    }
  }));
