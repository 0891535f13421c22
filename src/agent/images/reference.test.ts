import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReference, isLocalRegistry, normalizeReference, parseReference, registryBaseUrl } from './reference.ts';
import { ImageError } from './types.ts';

const D = 'sha256:' + 'ab'.repeat(32);

test('parseReference normalises as Docker does', () => {
  const cases: Array<[string, string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ['busybox', 'docker.io/library/busybox:latest', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['library/busybox', 'docker.io/library/busybox:latest', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['user/app', 'docker.io/user/app:latest', { registry: 'docker.io', repository: 'user/app', tag: 'latest' }],
    ['localhost/app', 'localhost/app:latest', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost:5000/a/b:v1', 'localhost:5000/a/b:v1', { registry: 'localhost:5000', repository: 'a/b', tag: 'v1' }],
    ['127.0.0.1:5000/skiff/busybox', '127.0.0.1:5000/skiff/busybox:latest', { registry: '127.0.0.1:5000', repository: 'skiff/busybox', tag: 'latest' }],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9', { registry: 'registry.k8s.io', repository: 'pause', tag: '3.9' }],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, { registry: 'docker.io', repository: 'library/busybox', digest: D }],
    [`busybox:1.0@${D}`, `docker.io/library/busybox:1.0@${D}`, { registry: 'docker.io', repository: 'library/busybox', tag: '1.0', digest: D }],
    [`host:5000/x@${D}`, `host:5000/x@${D}`, { registry: 'host:5000', repository: 'x', digest: D }],
    ['[::1]:5000/x', '[::1]:5000/x:latest', { registry: '[::1]:5000', repository: 'x', tag: 'latest' }],
    ['a.b-c/d__e/f-g.h:T_1.x', 'a.b-c/d__e/f-g.h:T_1.x', { registry: 'a.b-c', repository: 'd__e/f-g.h', tag: 'T_1.x' }],
    ['localhost:5000', 'docker.io/library/localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }],
  ];
  for (const [input, normal, parsed] of cases) {
    assert.deepEqual(parseReference(input), parsed, input);
    assert.equal(normalizeReference(input), normal, input);
    assert.equal(formatReference(parseReference(normal)), normal, `${input} round trip`);
  }
});

test('parseReference rejects what Docker rejects', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /invalid reference format/],
    [' busybox', /invalid reference format/],
    ['Busybox', /must be lowercase/],
    ['docker.io/Library/busybox', /must be lowercase/],
    ['busybox:', /invalid reference format/],
    ['busybox:-x', /invalid reference format/],
    ['busybox@sha256:abc', /invalid reference format/],
    ['busybox@sha256:' + 'AB'.repeat(32), /invalid reference format/],
    ['a//b', /invalid reference format/],
    ['a/b/', /invalid reference format/],
    ['-a', /invalid reference format/],
    ['ab'.repeat(32), /64-byte hexadecimal/],
    ['x/' + 'a'.repeat(260), /255/],
  ];
  for (const [input, why] of bad) {
    assert.throws(() => parseReference(input), (e: unknown) => e instanceof ImageError && e.code === 'Invalid' && why.test(e.message), JSON.stringify(input));
  }
});

test('local registries use plain HTTP, others HTTPS, docker.io its API host', () => {
  const cases: Array<[string, boolean, string]> = [
    ['localhost', true, 'http://localhost'],
    ['localhost:5000', true, 'http://localhost:5000'],
    ['127.0.0.1:5000', true, 'http://127.0.0.1:5000'],
    ['127.10.20.30', true, 'http://127.10.20.30'],
    ['[::1]:5000', true, 'http://[::1]:5000'],
    ['128.0.0.1:5000', false, 'https://128.0.0.1:5000'],
    ['registry.local:5000', false, 'https://registry.local:5000'],
    ['docker.io', false, 'https://registry-1.docker.io'],
  ];
  for (const [reg, local, url] of cases) {
    assert.equal(isLocalRegistry(reg), local, reg);
    assert.equal(registryBaseUrl(reg), url, reg);
  }
});
