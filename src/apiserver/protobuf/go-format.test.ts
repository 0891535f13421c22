import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, formatRfc3339, formatRfc3339Micro } from './go-format.ts';

test('formatRfc3339 writes UTC seconds like metav1.Time', () => {
  assert.equal(formatRfc3339(1795341600n), '2026-11-22T10:00:00Z');
  assert.equal(formatRfc3339(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatRfc3339(-62135596800n), '0001-01-01T00:00:00Z');
});

test('formatRfc3339Micro keeps microseconds, truncating nanoseconds', () => {
  assert.equal(formatRfc3339Micro(1795341600n, 123456789), '2026-11-22T10:00:00.123456Z');
  assert.equal(formatRfc3339Micro(1795341600n, 0), '2026-11-22T10:00:00.000000Z');
});

test('formatGoDuration matches time.Duration.String()', () => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [100_000_000n, '100ms'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_000_000_001n, '1h2m3.000000001s'],
    [-5_000_000_000n, '-5s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ];
  for (const [nanos, text] of cases) assert.equal(formatGoDuration(nanos), text, `${nanos}ns`);
});
