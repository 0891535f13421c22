import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LabelSelectorParseError,
  FieldSelectorParseError,
  fromLabelSelectorObject,
  fromSet,
  labelSelectorToString,
  objectFieldAttrs,
  parseFieldSelector,
  parseLabelSelector,
  supportedFieldSelectors,
  unsupportedField,
} from './selectors.ts';

test('label selector parsing and matching', () => {
  const cases: Array<{ sel: string; labels: Record<string, string>; want: boolean; str?: string }> = [
    { sel: '', labels: { a: 'b' }, want: true, str: '' },
    { sel: 'app=web', labels: { app: 'web' }, want: true, str: 'app=web' },
    { sel: 'app==web', labels: { app: 'web' }, want: true, str: 'app==web' },
    { sel: 'app=web', labels: { app: 'db' }, want: false },
    { sel: 'app!=web', labels: {}, want: true, str: 'app!=web' },
    { sel: 'app!=web', labels: { app: 'web' }, want: false },
    { sel: 'tier in (a, b)', labels: { tier: 'b' }, want: true, str: 'tier in (a,b)' },
    { sel: 'tier in (b,a)', labels: { tier: 'c' }, want: false, str: 'tier in (a,b)' },
    { sel: 'tier notin (a,b)', labels: {}, want: true, str: 'tier notin (a,b)' },
    { sel: 'tier notin (a,b)', labels: { tier: 'a' }, want: false },
    { sel: 'app', labels: { app: '' }, want: true, str: 'app' },
    { sel: '!app', labels: { app: 'x' }, want: false, str: '!app' },
    { sel: '  !app  ,  x = y ', labels: { x: 'y' }, want: true, str: '!app,x=y' },
    { sel: 'z=1,a=2', labels: { a: '2', z: '1' }, want: true, str: 'a=2,z=1' },
    { sel: 'app=', labels: { app: '' }, want: true, str: 'app=' },
    { sel: 'n>5', labels: { n: '6' }, want: true, str: 'n>5' },
    { sel: 'n<5', labels: { n: '6' }, want: false },
    { sel: 'n>5', labels: { n: 'x' }, want: false },
    { sel: 'example.com/role in (x)', labels: { 'example.com/role': 'x' }, want: true },
    { sel: 'in=notin', labels: { in: 'notin' }, want: true },
    { sel: 'a in (,x)', labels: { a: '' }, want: true, str: 'a in (,x)' },
    { sel: 'a in ()', labels: { a: '' }, want: true, str: 'a in ()' },
  ];
  for (const c of cases) {
    const s = parseLabelSelector(c.sel);
    assert.equal(s.matches(c.labels), c.want, `${c.sel} on ${JSON.stringify(c.labels)}`);
    if (c.str !== undefined) assert.equal(s.toString(), c.str, `toString of ${c.sel}`);
  }
});

test('label selector syntax errors carry upstream messages', () => {
  const qualifiedName =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: Array<[string, string]> = [
    ['app=web,', "found '', expected: identifier after ','"],
    [',', "found ',', expected: !, identifier, or 'end of string'"],
    ['app web', 'unable to parse requirement: found \'web\', expected: in, notin, =, ==, !=, gt, lt'],
    ['app in web', "unable to parse requirement: found 'web' expected: '('"],
    ['app in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a_=b', `unable to parse requirement: <nil>: Invalid value: "a_": ${qualifiedName}`],
    ['app=a_', `unable to parse requirement: values[0][app]: Invalid value: "a_": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['n>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
  ];
  for (const [sel, msg] of cases) {
    assert.throws(
      () => parseLabelSelector(sel),
      (e: unknown) => e instanceof LabelSelectorParseError && e.message === msg,
      `parse(${JSON.stringify(sel)})`,
    );
  }
});

test('object selectors convert as LabelSelectorAsSelector', () => {
  assert.equal(fromLabelSelectorObject(undefined).matches({}), false, 'nil selects nothing');
  assert.equal(fromLabelSelectorObject({}).matches({ x: 'y' }), true, 'empty selects everything');
  const sel = fromLabelSelectorObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['fe', 'be'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'env', operator: 'Exists' },
    ],
  });
  assert.equal(sel.toString(), 'app=web,env,!legacy,tier in (be,fe)');
  assert.equal(sel.matches({ app: 'web', tier: 'fe', env: 'x' }), true);
  assert.equal(sel.matches({ app: 'web', tier: 'fe', env: 'x', legacy: '1' }), false);
  assert.equal(labelSelectorToString({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
  assert.equal(labelSelectorToString(null), '');
  assert.throws(
    () => fromLabelSelectorObject({ matchExpressions: [{ key: 'a', operator: 'Within', values: ['x'] }] }),
    (e: unknown) => e instanceof LabelSelectorParseError && e.message === '"Within" is not a valid label selector operator',
  );
  assert.equal(fromSet({ app: 'web' }).matches({ app: 'web', x: 'y' }), true);
  assert.equal(fromSet({}).matches({ x: 'y' }), true);
});

test('field selector parsing, escaping and matching', () => {
  const s = parseFieldSelector('status.phase!=Running,metadata.name==a\\,b');
  assert.deepEqual(
    s.requirements.map((r) => [r.field, r.operator, r.value]),
    [
      ['metadata.name', '==', 'a,b'],
      ['status.phase', '!=', 'Running'],
    ],
  );
  assert.equal(s.matches({ 'metadata.name': 'a,b', 'status.phase': 'Pending' }), true);
  assert.equal(s.matches({ 'metadata.name': 'a,b', 'status.phase': 'Running' }), false);
  assert.equal(s.toString(), 'metadata.name=a\\,b,status.phase!=Running');
  assert.equal(parseFieldSelector('').empty(), true);
  assert.equal(parseFieldSelector('spec.nodeName=').matches({}), true, 'missing field is empty string');
  const bad: Array<[string, string]> = [
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
  ];
  for (const [sel, msg] of bad) {
    assert.throws(
      () => parseFieldSelector(sel),
      (e: unknown) => e instanceof FieldSelectorParseError && e.message === msg,
      sel,
    );
  }
});

test('supported field selectors per kind and unsupported detection', () => {
  const pods = { group: '', kind: 'Pod', namespaced: true };
  assert.ok(supportedFieldSelectors(pods).includes('spec.nodeName'));
  assert.deepEqual(supportedFieldSelectors({ group: '', kind: 'ConfigMap' }), ['metadata.name', 'metadata.namespace']);
  assert.deepEqual(supportedFieldSelectors({ group: '', kind: 'Namespace' }), ['metadata.name', 'status.phase']);
  assert.equal(unsupportedField(parseFieldSelector('spec.nodeName=n1,spec.foo=x'), supportedFieldSelectors(pods)), 'spec.foo');
  assert.equal(unsupportedField(parseFieldSelector('spec.nodeName=n1'), supportedFieldSelectors(pods)), undefined);

  const pod = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] },
  };
  const attrs = objectFieldAttrs(pods, pod);
  assert.equal(attrs['metadata.namespace'], 'ns');
  assert.equal(attrs['spec.hostNetwork'], 'false');
  assert.equal(attrs['status.podIP'], '10.0.0.5');
  assert.equal(parseFieldSelector('spec.host=n1,status.phase=Running').matches(attrs), true);

  const ev = { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p' }, source: { component: 'kubelet' }, type: 'Normal' };
  const evAttrs = objectFieldAttrs({ group: '', kind: 'Event', namespaced: true }, ev);
  assert.equal(evAttrs['involvedObject.kind'], 'Pod');
  assert.equal(evAttrs['source'], 'kubelet');
  const job = { metadata: { name: 'j' }, status: { succeeded: 2 } };
  assert.equal(objectFieldAttrs({ group: 'batch', kind: 'Job', namespaced: true }, job)['status.successful'], '2');
});
