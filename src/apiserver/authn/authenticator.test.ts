import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authRequestFrom, bearerToken, TokenAuthenticator, UnionAuthenticator, X509Authenticator } from './authenticator.ts';
import type { IncomingMessage } from 'node:http';
import type { AuthRequest } from './authenticator.ts';
import { ensurePki, issueClientCert } from './pki.ts';
import { startTestServer } from './test-server.ts';
import type { TestServer } from './test-server.ts';

const tokens = new TokenAuthenticator([
  { token: 'tok-alice', user: { name: 'alice', uid: 'u1', groups: ['dev'] } },
  { token: 'tok-bob', user: { name: 'bob', groups: [] } },
]);
const union = new UnionAuthenticator([new X509Authenticator(), tokens]);

test('x509: only a CA-verified certificate counts; CN is the name, every O a group', () => {
  const x = new X509Authenticator();
  const cert = { subject: { CN: 'admin', O: 'system:masters' } };
  assert.deepEqual(x.authenticate({ headers: {}, peerCertificate: cert, authorized: true }), {
    name: 'admin',
    groups: ['system:masters'],
  });
  assert.equal(x.authenticate({ headers: {}, peerCertificate: cert, authorized: false }), null);
  assert.equal(x.authenticate({ headers: {}, peerCertificate: cert }), null);
  assert.deepEqual(
    x.authenticate({ headers: {}, peerCertificate: { subject: { CN: 'n', O: ['a', 'b'] } }, authorized: true })?.groups,
    ['a', 'b'],
  );
  assert.equal(x.authenticate({ headers: {}, peerCertificate: {}, authorized: true }), null);
  assert.equal(x.authenticate({ headers: {}, peerCertificate: { subject: { O: 'g' } }, authorized: true }), null);
  assert.equal(x.authenticate({ headers: {}, peerCertificate: null, authorized: true }), null);
});

test('bearer tokens: scheme is case-insensitive, anything malformed is no token', () => {
  assert.equal(bearerToken({ authorization: 'Bearer abc' }), 'abc');
  assert.equal(bearerToken({ authorization: 'bearer  abc ' }), 'abc');
  assert.equal(bearerToken({ authorization: ['Bearer first', 'Bearer second'] }), 'first');
  assert.equal(bearerToken({ authorization: 'Bearer' }), null);
  assert.equal(bearerToken({ authorization: 'Basic YWRtaW46YWRtaW4=' }), null);
  assert.equal(bearerToken({ authorization: 'Bearer a b' }), null);
  assert.equal(bearerToken({}), null);
  assert.deepEqual(tokens.authenticate({ headers: { authorization: 'Bearer tok-alice' } }), {
    name: 'alice',
    uid: 'u1',
    groups: ['dev'],
  });
  assert.equal(tokens.authenticate({ headers: { authorization: 'Bearer nope' } }), null);
});

test('union: first match wins, system:authenticated is added once, nothing matches → null', () => {
  const both: AuthRequest = {
    headers: { authorization: 'Bearer tok-alice' },
    peerCertificate: { subject: { CN: 'admin', O: 'system:masters' } },
    authorized: true,
  };
  assert.deepEqual(union.authenticate(both), { name: 'admin', groups: ['system:masters', 'system:authenticated'] });
  assert.deepEqual(union.authenticate({ headers: { authorization: 'Bearer tok-bob' } }), {
    name: 'bob',
    groups: ['system:authenticated'],
  });
  const already = new UnionAuthenticator([{ authenticate: () => ({ name: 'x', groups: ['system:authenticated'] }) }]);
  assert.deepEqual(already.authenticate({ headers: {} })?.groups, ['system:authenticated']);
  assert.equal(union.authenticate({ headers: {} }), null);
  // a second call does not see groups mutated by the first
  union.authenticate({ headers: { authorization: 'Bearer tok-alice' } });
  assert.deepEqual(tokens.authenticate({ headers: { authorization: 'Bearer tok-alice' } })?.groups, ['dev']);
});

interface Reply {
  status: number;
  body: unknown;
}

function get(url: string, opts: { ca: string; cert?: string; key?: string; token?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/whoami`,
      {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: false,
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('over real TLS: admin cert, issued cert, foreign-CA cert, token, nothing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'skiff-authn-'));
  let server: TestServer | undefined;
  try {
    const pki = await ensurePki(join(root, 'ours'), { hosts: [] });
    const foreign = await ensurePki(join(root, 'theirs'), { hosts: [] });
    server = await startTestServer(pki, union);
    const ca = pki.caCertPem;
    const admin = await get(server.url, { ca, cert: pki.adminCertPem, key: pki.adminKeyPem });
    assert.deepEqual(admin, { status: 200, body: { name: 'admin', groups: ['system:masters', 'system:authenticated'] } });

    const node = await issueClientCert(pki, { cn: 'system:node:n1', groups: ['system:nodes', 'x'], days: 1 });
    const asNode = await get(server.url, { ca, cert: node.certPem, key: node.keyPem });
    assert.deepEqual(asNode.body, { name: 'system:node:n1', groups: ['system:nodes', 'x', 'system:authenticated'] });

    const intruder = await get(server.url, { ca, cert: foreign.adminCertPem, key: foreign.adminKeyPem });
    assert.equal(intruder.status, 401);

    const withToken = await get(server.url, { ca, token: 'tok-alice' });
    assert.deepEqual(withToken.body, { name: 'alice', uid: 'u1', groups: ['dev', 'system:authenticated'] });
    const foreignCertButToken = await get(server.url, { ca, cert: foreign.adminCertPem, key: foreign.adminKeyPem, token: 'tok-bob' });
    assert.deepEqual(foreignCertButToken.body, { name: 'bob', groups: ['system:authenticated'] });

    assert.equal((await get(server.url, { ca })).status, 401);
    assert.equal((await get(server.url, { ca, token: 'wrong' })).status, 401);
  } finally {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('authRequestFrom reads a connection\'s certificate once, headers every request', () => {
  let reads = 0;
  const tlsSocket = (cn: string) => ({
    authorized: true,
    getPeerCertificate() {
      reads++;
      return { subject: { CN: cn, O: 'g' }, raw: Buffer.alloc(8), fingerprint: 'AA' };
    },
  });
  const request = (socket: object, headers: Record<string, string> = {}) => ({ socket, headers }) as unknown as IncomingMessage;
  const a = tlsSocket('a');
  const first = authRequestFrom(request(a, { authorization: 'Bearer t1' }));
  const second = authRequestFrom(request(a, { authorization: 'Bearer t2' }));
  assert.equal(reads, 1);
  assert.deepEqual(first.peerCertificate, { subject: { CN: 'a', O: 'g' } });
  assert.equal(second.authorized, true);
  assert.equal(bearerToken(second.headers), 't2');
  assert.deepEqual(new X509Authenticator().authenticate(second), { name: 'a', groups: ['g'] });
  authRequestFrom(request(tlsSocket('b')));
  assert.equal(reads, 2);
  // plain HTTP: no certificate facts at all
  assert.deepEqual(authRequestFrom(request({}, { x: '1' })), { headers: { x: '1' } });
});
