import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attributes, Authorizer } from '../authz/authorizer.ts';
import { AllowAll } from '../authz/authorizer.ts';
import type { ApiError } from '../../base/errors.ts';
import { impersonatedUser } from './impersonation.ts';

const admin = { name: 'admin', groups: ['system:masters', 'system:authenticated'] };

/** Allows everything but what `deny` matches; records every question. */
function recording(deny: (a: Attributes) => boolean = () => false): Authorizer & { asked: Attributes[] } {
  const asked: Attributes[] = [];
  return {
    asked,
    authorize(a) {
      asked.push(a);
      return deny(a) ? { allowed: false, reason: 'denied in the test' } : { allowed: true, reason: '' };
    },
    rulesFor: () => new AllowAll().rulesFor(),
  };
}

test('no impersonation headers: the requestor', () => {
  assert.equal(impersonatedUser(admin, {}, new AllowAll()), admin);
});

test('a user with groups, uid and extras; system:authenticated added; each is authorized', () => {
  const authz = recording();
  const u = impersonatedUser(
    admin,
    { 'impersonate-user': ['jane'], 'impersonate-group': ['devs', 'a, b'], 'impersonate-uid': ['u-1'], 'impersonate-extra-scopes': ['view', 'edit'], 'impersonate-extra-acme.com%2fproject': ['x'] },
    authz,
  );
  assert.deepEqual(u, { name: 'jane', uid: 'u-1', groups: ['devs', 'a, b', 'system:authenticated'], extra: { 'acme.com/project': ['x'], scopes: ['view', 'edit'] } });
  assert.deepEqual(
    authz.asked.map((a) => [a.verb, a.group, a.resource, a.subresource, a.name, a.user.name]),
    [
      ['impersonate', '', 'users', undefined, 'jane', 'admin'],
      ['impersonate', '', 'groups', undefined, 'devs', 'admin'],
      ['impersonate', '', 'groups', undefined, 'a, b', 'admin'],
      ['impersonate', 'authentication.k8s.io', 'userextras', 'acme.com/project', 'x', 'admin'],
      ['impersonate', 'authentication.k8s.io', 'userextras', 'scopes', 'view', 'admin'],
      ['impersonate', 'authentication.k8s.io', 'userextras', 'scopes', 'edit', 'admin'],
      ['impersonate', 'authentication.k8s.io', 'uids', undefined, 'u-1', 'admin'],
    ],
  );
});

test('service accounts get their groups unless groups are given; a malformed one is a plain user', () => {
  const authz = recording();
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['system:serviceaccount:team-a:builder'] }, authz), {
    name: 'system:serviceaccount:team-a:builder',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
  });
  assert.deepEqual([authz.asked[0]!.resource, authz.asked[0]!.namespace, authz.asked[0]!.name], ['serviceaccounts', 'team-a', 'builder']);
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['system:serviceaccount:team-a:builder'], 'impersonate-group': ['ops'] }, authz).groups, ['ops', 'system:authenticated']);
  const odd = recording();
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['system:serviceaccount:Bad_NS:x'] }, odd).groups, ['system:authenticated']);
  assert.equal(odd.asked[0]!.resource, 'users');
});

test('system:authenticated / system:unauthenticated as upstream adds them', () => {
  const allow = new AllowAll();
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['system:anonymous'] }, allow).groups, ['system:unauthenticated']);
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['jane'], 'impersonate-group': ['system:unauthenticated'] }, allow).groups, ['system:unauthenticated']);
  assert.deepEqual(impersonatedUser(admin, { 'impersonate-user': ['jane'], 'impersonate-group': ['system:authenticated', 'x'] }, allow).groups, ['system:authenticated', 'x']);
});

test('refusals: 403 naming what may not be impersonated; 500 (as upstream) for groups without a user', () => {
  const authz = recording((a) => a.resource === 'groups' && a.name === 'system:masters');
  assert.throws(
    () => impersonatedUser({ name: 'bob', groups: ['system:authenticated'] }, { 'impersonate-user': ['jane'], 'impersonate-group': ['system:masters'] }, authz),
    (e: ApiError) => {
      assert.equal(e.httpCode, 403);
      assert.equal(e.message, 'groups "system:masters" is forbidden: User "bob" cannot impersonate resource "groups" in API group "" at the cluster scope: denied in the test');
      return true;
    },
  );
  const ns = recording((a) => a.resource === 'serviceaccounts');
  assert.throws(
    () => impersonatedUser({ name: 'bob', groups: [] }, { 'impersonate-user': ['system:serviceaccount:kube-system:root'] }, ns),
    /serviceaccounts "root" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"/,
  );
  assert.throws(
    () => impersonatedUser(admin, { 'impersonate-group': ['devs'] }, new AllowAll()),
    (e: ApiError) => e.httpCode === 500 && /without impersonating a user/.test(e.message),
  );
});
