import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';
import { ApiError } from '../../base/errors.ts';
import { ensureServiceAccountKey, ServiceAccountTokens, SA_ISSUER, type BoundResource } from './satokens.ts';
import { ServiceAccountTokenAuthenticator, UnionAuthenticator } from './authenticator.ts';

function obj(kind: string, ns: string | undefined, name: string, uid: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: ns, uid }, ...extra } as KubeObject;
}

/** A tiny in-memory world the lookup reads; tests mutate it. */
function world() {
  const objects = new Map<string, KubeObject>();
  const put = (resource: BoundResource, o: KubeObject) => objects.set(`${resource}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  const del = (resource: BoundResource, ns: string | undefined, name: string) => objects.delete(`${resource}/${ns ?? ''}/${name}`);
  const lookup = (resource: BoundResource, ns: string | undefined, name: string) => objects.get(`${resource}/${ns ?? ''}/${name}`);
  return { put, del, lookup };
}

function setup(keyType: 'ec' | 'rsa' = 'ec') {
  const key =
    keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = { now: () => now };
  const w = world();
  const sa = obj('ServiceAccount', 'ns1', 'bot', 'sa-uid-1');
  w.put('serviceaccounts', sa);
  const tokens = new ServiceAccountTokens({ key, clock, lookup: w.lookup });
  return { tokens, w, sa, advance: (s: number) => (now = new Date(now.getTime() + s * 1000)) };
}

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

test('issue: defaults, upstream claims, and the token authenticates as the service account', () => {
  const { tokens, sa } = setup();
  const out = tokens.issue(sa, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(out.kind, 'TokenRequest');
  assert.deepEqual(out.spec.audiences, [SA_ISSUER]);
  assert.equal(out.spec.expirationSeconds, 3600);
  assert.equal(out.status.expirationTimestamp, '2026-01-01T01:00:00Z');
  const c = claimsOf(out.status.token);
  assert.equal(c.iss, SA_ISSUER);
  assert.equal(c.sub, 'system:serviceaccount:ns1:bot');
  assert.deepEqual(c.aud, [SA_ISSUER]);
  assert.equal(c.exp - c.iat, 3600);
  assert.equal(c.nbf, c.iat);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'ns1', serviceaccount: { name: 'bot', uid: 'sa-uid-1' } });
  assert.deepEqual(tokens.authenticateToken(out.status.token), {
    name: 'system:serviceaccount:ns1:bot',
    uid: 'sa-uid-1',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1'],
  });
  // Through the bearer authenticator and the union (which adds system:authenticated).
  const union = new UnionAuthenticator([new ServiceAccountTokenAuthenticator(tokens)]);
  const u = union.authenticate({ headers: { authorization: `Bearer ${out.status.token}` } });
  assert.deepEqual(u?.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated']);
});

test('RS256 keys work too', () => {
  const { tokens, sa } = setup('rsa');
  const token = tokens.issue(sa, { spec: {} }).status.token;
  assert.equal(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).alg, 'RS256');
  assert.equal(tokens.authenticateToken(token)?.name, 'system:serviceaccount:ns1:bot');
});

test('tampered signature, other key and garbage are rejected', () => {
  const { tokens, sa } = setup();
  const token = tokens.issue(sa, { spec: {} }).status.token as string;
  const [h, , s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...claimsOf(token), sub: 'system:serviceaccount:ns1:admin' })).toString('base64url');
  assert.equal(tokens.authenticateToken(`${h}.${forged}.${s}`), null);
  const other = setup();
  assert.equal(other.tokens.authenticateToken(token), null);
  for (const bad of ['', 'a.b.c', 'not-a-jwt', `${h}.${forged}`]) assert.equal(tokens.authenticateToken(bad), null);
});

test('expiry: valid until exp (plus 60s leeway), rejected after', () => {
  const { tokens, sa, advance } = setup();
  const token = tokens.issue(sa, { spec: { expirationSeconds: 600 } }).status.token;
  advance(600 + 59);
  assert.ok(tokens.authenticateToken(token));
  advance(2);
  assert.equal(tokens.authenticateToken(token), null);
});

test('audiences: a token for another audience is not accepted by the API but passes a review for it', () => {
  const { tokens, sa } = setup();
  const token = tokens.issue(sa, { spec: { audiences: ['vault'] } }).status.token;
  assert.deepEqual(claimsOf(token).aud, ['vault']);
  assert.equal(tokens.authenticateToken(token), null);
  assert.deepEqual(tokens.validate(token, ['vault', 'other'])?.audiences, ['vault']);
});

test('deleted or recreated service account invalidates its tokens', () => {
  const { tokens, sa, w } = setup();
  const token = tokens.issue(sa, { spec: {} }).status.token;
  w.del('serviceaccounts', 'ns1', 'bot');
  assert.equal(tokens.authenticateToken(token), null);
  w.put('serviceaccounts', obj('ServiceAccount', 'ns1', 'bot', 'sa-uid-2'));
  assert.equal(tokens.authenticateToken(token), null);
  w.put('serviceaccounts', obj('ServiceAccount', 'ns1', 'bot', 'sa-uid-1', { metadata: { name: 'bot', namespace: 'ns1', uid: 'sa-uid-1', deletionTimestamp: '2026-01-01T00:00:00Z' } } as any));
  assert.equal(tokens.authenticateToken(token), null);
});

test('pod-bound token: claims record pod and node; the token dies with the pod', () => {
  const { tokens, sa, w } = setup();
  w.put('pods', obj('Pod', 'ns1', 'web', 'pod-uid', { spec: { nodeName: 'n1' } }));
  w.put('nodes', obj('Node', undefined, 'n1', 'node-uid'));
  const out = tokens.issue(sa, { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' } } });
  assert.equal(out.spec.boundObjectRef.uid, 'pod-uid');
  const k = claimsOf(out.status.token)['kubernetes.io'];
  assert.deepEqual(k.pod, { name: 'web', uid: 'pod-uid' });
  assert.deepEqual(k.node, { name: 'n1', uid: 'node-uid' });
  assert.ok(tokens.authenticateToken(out.status.token));
  w.del('pods', 'ns1', 'web');
  assert.equal(tokens.authenticateToken(out.status.token), null);
});

test('secret-bound token, and bound-object errors', () => {
  const { tokens, sa, w } = setup();
  w.put('secrets', obj('Secret', 'ns1', 's', 'sec-uid'));
  const out = tokens.issue(sa, { spec: { boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's' } } });
  assert.deepEqual(claimsOf(out.status.token)['kubernetes.io'].secret, { name: 's', uid: 'sec-uid' });
  const code = (spec: unknown) => {
    try {
      tokens.issue(sa, { spec });
      return 0;
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err.httpCode;
    }
  };
  assert.equal(code({ boundObjectRef: { kind: 'ConfigMap', apiVersion: 'v1', name: 'x' } }), 400);
  assert.equal(code({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'missing' } }), 404);
  assert.equal(code({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 's', uid: 'other' } }), 409);
});

test('validation: expirationSeconds bounds and name/namespace must match', () => {
  const { tokens, sa } = setup();
  const err = (body: Record<string, unknown>) => {
    try {
      tokens.issue(sa, body);
    } catch (e) {
      return e as ApiError;
    }
    assert.fail('expected an error');
  };
  assert.match(err({ spec: { expirationSeconds: 599 } }).message, /may not specify a duration less than 10 minutes/);
  assert.equal(err({ spec: { expirationSeconds: 599 } }).httpCode, 422);
  assert.match(err({ spec: { expirationSeconds: 2 ** 32 + 1 } }).message, /larger than 2\^32 seconds/);
  assert.equal(tokens.issue(sa, { spec: { expirationSeconds: '600' } }).spec.expirationSeconds, 600); // int64 from protobuf
  assert.match(err({ metadata: { name: 'other' }, spec: {} }).message, /must match the service account name/);
  assert.match(err({ metadata: { namespace: 'other' }, spec: {} }).message, /must match the service account namespace/);
});

test('ensureServiceAccountKey creates sa.key 0600 once and reuses it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-satokens-'));
  try {
    const tls = join(dir, 'tls');
    const k1 = await ensureServiceAccountKey(tls);
    const pem = await readFile(join(tls, 'sa.key'), 'utf8');
    assert.equal((await stat(join(tls, 'sa.key'))).mode & 0o777, 0o600);
    const k2 = await ensureServiceAccountKey(tls);
    assert.equal(await readFile(join(tls, 'sa.key'), 'utf8'), pem);
    assert.ok(k1.equals(k2));
    assert.equal(k1.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
