import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  nameIsDNSSubdomain,
  nameIsPathSegment,
} from './names.ts';
import { causeString, dedupe, duplicate, forbidden, goLabelSelector, invalid, notSupported, required, tooLong, tooMany } from './field.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

test('DNS names', () => {
  assert.deepEqual(isDNS1123Subdomain('my.app-1'), []);
  assert.deepEqual(isDNS1123Subdomain('Foo_Bar'), [SUBDOMAIN_MSG]);
  assert.deepEqual(isDNS1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
  assert.deepEqual(isDNS1123Label('web-1'), []);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('-x'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1035Label('1abc'), [
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
  assert.deepEqual(nameIsDNSSubdomain('web-', true), [], 'generateName may end in a dash');
  assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
  assert.deepEqual(nameIsPathSegment('a/b', false), ["may not contain '/'"]);
  assert.deepEqual(nameIsPathSegment('..', false), ["may not be '..'"]);
  assert.deepEqual(nameIsPathSegment('system:admin', false), []);
});

test('qualified names and label values', () => {
  assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
  assert.deepEqual(isQualifiedName('/name'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
  assert.equal(isQualifiedName('Example.com/x')[0]!.startsWith('prefix part a lowercase RFC 1123 subdomain'), true);
  assert.deepEqual(isQualifiedName('x/'), [
    'name part must be non-empty',
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  ]);
  assert.deepEqual(isValidLabelValue(''), []);
  assert.deepEqual(isValidLabelValue('v1.2_3'), []);
  assert.equal(isValidLabelValue('a b').length, 1);
  assert.deepEqual(isConfigMapKey('..x'), ["must not start with '..'"]);
  assert.equal(isConfigMapKey('a/b').length, 1);
  assert.deepEqual(isValidPortName('http'), []);
  assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  assert.deepEqual(isValidPortName('1234'), ['must contain at least one letter (a-z)']);
  assert.deepEqual(isRelaxedEnvVarName('1-foo.bar'), []);
  assert.deepEqual(isRelaxedEnvVarName('A=B'), ["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
});

test('IP addresses', () => {
  for (const ok of ['10.0.0.1', '255.255.255.255']) assert.ok(isIPv4(ok), ok);
  for (const bad of ['10.0.0', '256.1.1.1', '01.1.1.1', 'a.b.c.d']) assert.ok(!isIPv4(bad), bad);
  for (const ok of ['::1', 'fe80::1', '2001:db8::ffff', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8']) assert.ok(isIPv6(ok), ok);
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '10.0.0.1']) assert.ok(!isIPv6(bad), bad);
});

test('field errors render like upstream ErrorBody', () => {
  assert.equal(causeString(required('spec.containers[0].image')), 'spec.containers[0].image: Required value');
  assert.equal(required('metadata.name', 'name or generateName is required').message, 'Required value: name or generateName is required');
  assert.equal(invalid('spec.replicas', -1, 'must be greater than or equal to 0').message, 'Invalid value: -1: must be greater than or equal to 0');
  assert.equal(invalid('x', 'a"b', 'bad').message, 'Invalid value: "a\\"b": bad');
  assert.equal(invalid('x', null, 'bad').message, 'Invalid value: null: bad');
  assert.equal(invalid('x', { app: 'web', a: 'b' }, 'bad').message, 'Invalid value: map[string]string{"a":"b", "app":"web"}: bad');
  assert.equal(invalid('x', ['a', 'b'], 'bad').message, 'Invalid value: []string{"a", "b"}: bad');
  assert.equal(
    notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']).message,
    'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  );
  assert.equal(duplicate('x', 'a').message, 'Duplicate value: "a"');
  assert.equal(forbidden('x', 'nope').message, 'Forbidden: nope');
  assert.equal(tooLong('data', 1048576).message, 'Too long: may not be more than 1048576 bytes');
  assert.equal(tooMany('x', 5, 3).message, 'Too many: 5: must have at most 3 items');
  assert.equal(
    goLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }).repr,
    'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"a", Operator:"In", Values:[]string{"b"}}}}',
  );
  const r = required('a');
  assert.deepEqual(dedupe([r, r, required('b')]).map(causeString), ['a: Required value', 'b: Required value']);
  assert.deepEqual(Object.keys(r).sort(), ['field', 'message', 'reason']);
});

test('remembered valid names: repeated checks give the same answers, errors are never remembered', () => {
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []);
    assert.deepEqual(isValidLabelValue('stable'), []);
    assert.equal(isQualifiedName('bad key!').length, 1);
    assert.equal(isValidLabelValue('x'.repeat(64)).length, 1);
    assert.equal(isValidLabelValue('é'.repeat(32)).length, 2); // 64 bytes in 32 characters, and not [A-Za-z0-9]
    assert.deepEqual(isDNS1123Label('a'.repeat(63)), []);
    assert.equal(isDNS1123Label('a'.repeat(64)).length, 1);
    assert.deepEqual(isDNS1123Subdomain('a.b'), []);
    assert.equal(isDNS1123Label('a.b').length, 1);
  }
});
