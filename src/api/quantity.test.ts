import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Quantity, QuantityParseError, QUANTITY_FORMAT_ERROR, canonicalQuantity, compareQuantities, formatQuantity } from './quantity.ts';

test('canonical form matches upstream', () => {
  const cases: Array<[string | number, string]> = [
    ['0', '0'],
    ['100m', '100m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['1.5', '1500m'],
    ['1', '1'],
    ['1000', '1k'],
    ['1200', '1200'],
    ['2000k', '2M'],
    ['1200k', '1200k'],
    ['1M', '1M'],
    ['1G', '1G'],
    ['1024Mi', '1Gi'],
    ['0.5Gi', '512Mi'],
    ['1536Mi', '1536Mi'],
    ['1Ki', '1Ki'],
    ['1000Ki', '1000Ki'],
    ['1.5Ki', '1536'],
    ['512', '512'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['123Mi', '123Mi'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1e-3', '1e-3'],
    ['-1', '-1'],
    ['-100m', '-100m'],
    ['+5', '5'],
    ['007', '7'],
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    ['1u', '1u'],
    ['2E', '2E'],
    ['7Ei', '7Ei'],
    ['10Ei', '9223372036854775807'],
    [1, '1'],
    [0.25, '250m'],
    [2048, '2048'],
  ];
  for (const [input, want] of cases) {
    assert.equal(canonicalQuantity(input), want, `canonical(${input})`);
  }
});

test('bad quantities fail with upstream messages', () => {
  const cases: Array<[string, string]> = [
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1.2.3', QUANTITY_FORMAT_ERROR],
    ['1 Gi', QUANTITY_FORMAT_ERROR],
    ['1Gb', QUANTITY_FORMAT_ERROR],
    ['1kk', "unable to parse quantity's suffix"],
    ['1Ki3', "unable to parse quantity's suffix"],
  ];
  for (const [input, msg] of cases) {
    assert.throws(
      () => Quantity.parse(input),
      (e: unknown) => e instanceof QuantityParseError && e.message === msg,
      `parse(${JSON.stringify(input)})`,
    );
  }
  assert.equal(Quantity.tryParse('nope'), undefined);
  assert.equal(Quantity.tryParse({}), undefined);
});

test('compare across formats and scales', () => {
  const cases: Array<[string, string, number]> = [
    ['1', '1000m', 0],
    ['1Gi', '1073741824', 0],
    ['1G', '1Gi', -1],
    ['500m', '0.5', 0],
    ['2', '1500m', 1],
    ['1Mi', '1M', 1],
    ['-1', '0', -1],
    ['1e3', '1k', 0],
    ['100Mi', '128Mi', -1],
  ];
  for (const [a, b, want] of cases) assert.equal(compareQuantities(a, b), want, `${a} vs ${b}`);
});

test('value, milliValue, roundUp and arithmetic', () => {
  assert.equal(Quantity.parse('1500m').value(), 2);
  assert.equal(Quantity.parse('1500m').milliValue(), 1500);
  assert.equal(Quantity.parse('0.0001').milliValue(), 1);
  assert.equal(Quantity.parse('1Gi').value(), 1073741824);
  assert.equal(Quantity.parse('0.0001').roundUp(-3).toString(), '1m');
  assert.equal(Quantity.parse('250m').add(Quantity.parse('750m')).toString(), '1');
  assert.equal(Quantity.parse('1').sub(Quantity.parse('250m')).toString(), '750m');
  assert.equal(Quantity.parse('1Gi').add(Quantity.parse('1Gi')).toString(), '2Gi');
  assert.equal(Quantity.parse('1.5').toNumber(), 1.5);
  assert.equal(JSON.stringify({ q: Quantity.parse('2048Mi') }), '{"q":"2Gi"}');
  assert.equal(formatQuantity(Quantity.fromNumber(1073741824, 'BinarySI')), '1Gi');
  assert.equal(formatQuantity(0.1), '100m');
});
