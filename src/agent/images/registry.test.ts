// The registry client against a small fake registry on loopback that demands bearer tokens
// (as Docker Hub and most cloud registries do), serves a multi-platform index and redirects blob
// downloads; plus the pure credential matching and challenge parsing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../base/log.ts';
import { credentialHost, matchingCredentials, parseChallenge, userPassword } from './auth.ts';
import { MediaType, choosePlatform, hostPlatform, sha256Digest } from './manifest.ts';
import type { ImageIndex } from './manifest.ts';
import { LocalImageStore } from './store.ts';
import { buildTestImage } from './testimage.ts';
import { ImageError } from './types.ts';

test('credentials match the registry in the forms dockerconfigjson uses', () => {
  assert.equal(credentialHost('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(credentialHost('registry-1.docker.io'), 'docker.io');
  assert.equal(credentialHost('https://host:5000'), 'host:5000');
  assert.equal(credentialHost('http://host:5000/v2/'), 'host:5000');
  const auths = [
    { server: 'https://index.docker.io/v1/', username: 'hub', password: 'p' },
    { server: 'host:5000', auth: Buffer.from('u:p:with:colons').toString('base64') },
    { server: 'https://host:5000', username: 'second', password: 'p' },
    { server: '*.example.com', username: 'wild', password: 'p' },
  ];
  assert.deepEqual(matchingCredentials(auths, 'docker.io').map((a) => a.username), ['hub']);
  assert.deepEqual(matchingCredentials(auths, 'host:5000').length, 2);
  assert.deepEqual(matchingCredentials(auths, 'host:5001'), []);
  assert.deepEqual(matchingCredentials(auths, 'r.example.com').map((a) => a.username), ['wild']);
  assert.deepEqual(matchingCredentials(auths, 'a.b.example.com'), []);
  assert.deepEqual(userPassword(auths[1]!), { username: 'u', password: 'p:with:colons' });
});

test('WWW-Authenticate challenges are parsed', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x y"'), { scheme: 'basic', params: { realm: 'x y' } });
  assert.deepEqual(parseChallenge('Bearer realm=http://a/t, service=s'), { scheme: 'bearer', params: { realm: 'http://a/t', service: 's' } });
  assert.equal(parseChallenge(null), undefined);
});

test('choosePlatform picks the host platform from an index', () => {
  const d = (arch: string, os = 'linux', variant?: string) => ({
    mediaType: MediaType.ociManifest, digest: sha256Digest(Buffer.from(arch + os + variant)), size: 1,
    platform: variant ? { architecture: arch, os, variant } : { architecture: arch, os },
  });
  const index: ImageIndex = { kind: 'index', mediaType: MediaType.ociIndex, manifests: [d('unknown', 'unknown'), d('arm', 'linux', 'v6'), d('arm', 'linux', 'v7'), d('arm64'), d('amd64', 'windows'), d('amd64')] };
  assert.equal(choosePlatform(index, { os: 'linux', architecture: 'amd64' }), index.manifests[5]);
  assert.equal(choosePlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }), index.manifests[2]);
  assert.equal(choosePlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }), index.manifests[3]);
  assert.equal(choosePlatform(index, { os: 'linux', architecture: 's390x' }), undefined);
});

interface FakeRegistry {
  host: string;
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

/** A registry that wants `Bearer good-token` from /token (basic alice:pw), serving one image in an index. */
async function fakeRegistry(repo: string): Promise<FakeRegistry & { id: string; indexDigest: string }> {
  const img = buildTestImage({ extraLayers: [{ entries: [{ path: 'fake', data: 'bearer' }] }] });
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { mediaType: MediaType.ociManifest, digest: sha256Digest(Buffer.from('other')), size: 5, platform: { os: 'linux', architecture: 'other' } },
      { mediaType: MediaType.ociManifest, digest: img.manifest.digest, size: img.manifest.size, platform: { os: 'linux', architecture: hostPlatform().architecture } },
    ],
  }));
  const indexDigest = sha256Digest(index);
  const blobs = new Map<string, Buffer>([[img.config.digest, img.config.data], ...img.layers.map((l) => [l.digest, l.data] as [string, Buffer])]);
  const tokenRequests: URLSearchParams[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/token') {
      tokenRequests.push(url.searchParams);
      if (req.headers.authorization !== 'Basic ' + Buffer.from('alice:pw').toString('base64')) {
        res.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'good-token', expires_in: 300 }));
      return;
    }
    if (url.pathname.startsWith('/storage/')) {
      const b = blobs.get(url.pathname.slice('/storage/'.length));
      res.writeHead(b ? 200 : 404).end(b);
      return;
    }
    if (req.headers.authorization !== 'Bearer good-token') {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${base}/token",service="fake-registry",scope="repository:${repo}:pull"`,
        'content-type': 'application/json',
      }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m || m[1] !== repo) {
      res.writeHead(404).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
      return;
    }
    if (m[2] === 'manifests') {
      if (m[3] === 'v1' || m[3] === indexDigest) {
        res.writeHead(200, { 'content-type': MediaType.ociIndex, 'docker-content-digest': indexDigest }).end(index);
      } else if (m[3] === img.manifest.digest) {
        res.writeHead(200, { 'content-type': MediaType.ociManifest }).end(img.manifest.data);
      } else {
        res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      }
      return;
    }
    res.writeHead(307, { location: `/storage/${m[3]}` }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `http://${host}`;
  return {
    host, tokenRequests, id: img.id, indexDigest,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('bearer-token auth: token from the realm with basic credentials, cached; index resolved to the host platform', async (t) => {
  const fake = await fakeRegistry('team/app');
  const root = await fs.mkdtemp(path.join(tmpdir(), 'skiff-imgreg-'));
  t.after(async () => {
    await fake.close();
    await fs.rm(root, { recursive: true, force: true });
  });
  const store = new LocalImageStore({ root, log: silentLogger });
  const ref = `${fake.host}/team/app:v1`;

  await assert.rejects(store.pull(ref), (e: unknown) => {
    assert.ok(e instanceof ImageError);
    assert.equal(e.code, 'Unauthorized');
    assert.match(e.message, /failed to fetch anonymous token/);
    return true;
  });
  const auth = [{ server: `https://${fake.host}`, username: 'alice', password: 'pw' }];
  const info = await store.pull(ref, { auth });
  assert.equal(info.id, fake.id);
  assert.deepEqual(info.repoDigests, [`${fake.host}/team/app@${fake.indexDigest}`]);
  assert.equal(info.layers.length, 2);
  const last = fake.tokenRequests[fake.tokenRequests.length - 1]!;
  assert.equal(last.get('service'), 'fake-registry');
  assert.equal(last.get('scope'), 'repository:team/app:pull');
  const tokenCalls = fake.tokenRequests.length;
  await store.pull(ref, { auth });
  assert.equal(fake.tokenRequests.length, tokenCalls, 'the cached token is reused');
  assert.equal((await store.status(`${fake.host}/team/app@${fake.indexDigest}`))?.id, fake.id);

  await assert.rejects(store.pull(`${fake.host}/team/app:nope`, { auth }), (e: unknown) => e instanceof ImageError && e.code === 'NotFound');
  const other = new LocalImageStore({ root: path.join(root, 'other'), log: silentLogger });
  await assert.rejects(other.pull(ref, { auth: [{ server: fake.host, username: 'alice', password: 'wrong' }] }), (e: unknown) => e instanceof ImageError && e.code === 'Unauthorized');
  const viaRegistryToken = await other.pull(ref, { auth: [{ server: fake.host, registryToken: 'good-token' }] });
  assert.equal(viaRegistryToken.id, fake.id);
});
