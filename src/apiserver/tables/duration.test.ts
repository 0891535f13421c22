import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, translateTimestampSince, translateTimestampUntil } from './duration.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches upstream thresholds', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [1900, '1s'],
    [59 * S, '59s'],
    [60 * S, '60s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [125 * S, '2m5s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [179 * M + 59 * S, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M + 40 * S, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [47 * H + 59 * M, '47h'],
    [48 * H, '2d'],
    [49 * H, '2d1h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [731 * D, '2y1d'],
    [8 * 365 * D - 1 * D, '7y364d'],
    [8 * 365 * D, '8y'],
    [20 * 365 * D + 100 * D, '20y'],
    [-1 * S, '0s'],
    [-1900, '0s'],
    [-2 * S, '<invalid>'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('translateTimestampSince / Until', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const cases: [unknown, string][] = [
    ['2026-03-01T11:55:00Z', '5m'],
    ['2026-03-01T11:59:30.123456Z', '29s'],
    ['2026-02-27T12:00:00Z', '2d'],
    ['2026-03-01T12:00:10Z', '<invalid>'],
    [undefined, '<unknown>'],
    ['', '<unknown>'],
    ['0001-01-01T00:00:00Z', '<unknown>'],
    ['not a time', '<unknown>'],
  ];
  for (const [ts, want] of cases) assert.equal(translateTimestampSince(ts, now), want, String(ts));
  assert.equal(translateTimestampUntil('2026-03-01T13:00:00Z', now), '60m');
  assert.equal(translateTimestampUntil(undefined, now), '<unknown>');
});
