import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, nextCronTime, parseCronSchedule } from './cron.ts';

test('parsing fields, names, ranges and steps', () => {
  const s = parseCronSchedule('*/20 9-11 1,15 jan-mar mon-fri');
  assert.deepEqual([...s.minutes], [0, 20, 40]);
  assert.deepEqual([...s.hours], [9, 10, 11]);
  assert.deepEqual([...s.daysOfMonth], [1, 15]);
  assert.deepEqual([...s.months], [1, 2, 3]);
  assert.deepEqual([...s.daysOfWeek], [1, 2, 3, 4, 5]);
  assert.equal(s.domStar, false);
  assert.equal(parseCronSchedule('5/30 * * * *').minutes.has(35), true, 'N/step means N-max/step');
  assert.equal(parseCronSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *').timeZone, 'Asia/Tokyo');
  assert.equal(parseCronSchedule('@every 90s').everyMs, 90000);
});

test('parse errors use the cron library messages', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty spec string'],
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['* * * * * *', 'expected exactly 5 fields, found 6: [* * * * * *]'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['1/2/3 * * * *', 'too many slashes: 1/2/3'],
    ['* * * foo *', 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['TZ=Nowhere/Land * * * * *', 'provided bad location Nowhere/Land: unknown time zone Nowhere/Land'],
  ];
  for (const [spec, msg] of cases) {
    assert.throws(() => parseCronSchedule(spec), (e: unknown) => e instanceof CronParseError && e.message === msg, spec);
  }
});

test('next activation times', () => {
  const at = (s: string) => new Date(s);
  assert.equal(nextCronTime(parseCronSchedule('*/15 * * * *'), at('2024-05-01T10:07:30Z'))!.toISOString(), '2024-05-01T10:15:00.000Z');
  assert.equal(nextCronTime(parseCronSchedule('0 3 * * *'), at('2024-05-01T03:00:00Z'))!.toISOString(), '2024-05-02T03:00:00.000Z');
  assert.equal(nextCronTime(parseCronSchedule('0 0 29 2 *'), at('2024-03-01T00:00:00Z'))!.toISOString(), '2028-02-29T00:00:00.000Z');
  // Day-of-month OR day-of-week when both are restricted: the 13th or any Friday.
  assert.equal(nextCronTime(parseCronSchedule('0 0 13 * 5'), at('2024-09-01T00:00:00Z'))!.toISOString(), '2024-09-06T00:00:00.000Z');
  // 09:00 in Tokyo is 00:00 UTC.
  assert.equal(nextCronTime(parseCronSchedule('0 9 * * *'), at('2024-01-14T12:00:00Z'), 'Asia/Tokyo')!.toISOString(), '2024-01-15T00:00:00.000Z');
  assert.equal(nextCronTime(parseCronSchedule('CRON_TZ=Asia/Tokyo 0 9 * * *'), at('2024-01-14T12:00:00Z'))!.toISOString(), '2024-01-15T00:00:00.000Z');
  assert.equal(nextCronTime(parseCronSchedule('@every 1h'), at('2024-01-01T00:00:00Z'))!.toISOString(), '2024-01-01T01:00:00.000Z');
  assert.equal(nextCronTime(parseCronSchedule('0 0 31 2 *'), at('2024-01-01T00:00:00Z')), undefined, 'never fires');
});
