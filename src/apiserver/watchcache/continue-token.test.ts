import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeContinue, encodeContinue, startAfterKey } from './continue-token.ts';
import { InvalidContinueError } from './errors.ts';

test('a token round-trips revision and resume position in upstream shape', () => {
  const token = encodeContinue(42, 'default/web-1');
  const json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  assert.deepEqual(json, { v: 'meta.k8s.io/v1', rv: 42, start: 'default/web-1\u0000' });
  const pos = decodeContinue(token);
  assert.deepEqual(pos, { rv: 42, start: 'default/web-1\u0000' });
  assert.equal(startAfterKey('/registry/pods/', pos.start), '/registry/pods/default/web-1');
});

test('tokens that are not ours are rejected as bad requests', () => {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  for (const bad of [
    'not base64 json!',
    enc('a string'),
    enc({ v: 'other/v1', rv: 1, start: 'a\u0000' }),
    enc({ v: 'meta.k8s.io/v1', rv: 0, start: 'a\u0000' }),
    enc({ v: 'meta.k8s.io/v1', rv: 3, start: 'a' }),
    enc({ v: 'meta.k8s.io/v1', rv: 3, start: '../etc\u0000' }),
    enc({ v: 'meta.k8s.io/v1', rv: 3, start: '/abs\u0000' }),
  ]) {
    assert.throws(() => decodeContinue(bad), (e: unknown) => e instanceof InvalidContinueError && e.httpCode === 400, bad);
  }
});
