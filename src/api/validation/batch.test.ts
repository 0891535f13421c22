import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCronJob, validateJob } from './batch.ts';
import { causeString } from './field.ts';
import { defaultCronJob, defaultJob } from '../defaults/workloads.ts';
import type { KubeObject, ValidationCause } from '../types.ts';

const lines = (errs: ValidationCause[]) => errs.map(causeString);
const podTemplate = (restartPolicy = 'Never') => ({ spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox:1.36' }] } });

function job(mutate: (s: any, j: any) => void = () => {}): KubeObject {
  const j: any = { metadata: { name: 'pi', namespace: 'd', uid: 'uid-1' }, spec: { template: podTemplate() } };
  mutate(j.spec, j);
  defaultJob(j);
  return j;
}

test('a new job gets its generated selector and labels, then validates', () => {
  const j = job();
  assert.deepEqual(lines(validateJob(j)), []);
  assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
  assert.deepEqual(j.spec.template.metadata.labels, {
    'job-name': 'pi',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'uid-1',
    'batch.kubernetes.io/controller-uid': 'uid-1',
  });
});

test('job errors', () => {
  assert.deepEqual(lines(validateJob(job((s) => (s.template = podTemplate('Always'))))), [
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ]);
  assert.deepEqual(lines(validateJob(job((s) => (s.backoffLimit = -1)))), ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(lines(validateJob(job((s) => (s.completionMode = 'Sometimes')))), [
    'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
  ]);
  assert.deepEqual(
    lines(validateJob(job((s) => (s.template.metadata = { labels: { 'job-name': 'other' } })))),
    ['spec.template.metadata.labels[job-name]: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"uid-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"uid-1", "job-name":"other"}: must be \'pi\''],
  );
  const manual = job((s) => {
    s.manualSelector = true;
    s.selector = { matchLabels: { app: 'x' } };
    s.template.metadata = { labels: { app: 'y' } };
  });
  assert.deepEqual(lines(validateJob(manual)), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`']);
  const longIndexed = job((s, j) => {
    j.metadata.name = 'x'.repeat(62);
    s.completionMode = 'Indexed';
    s.completions = 10;
  });
  assert.deepEqual(
    validateJob(longIndexed).map((e) => e.message),
    [`Invalid value: "${'x'.repeat(62)}": will not able to create pod with invalid DNS label: ${'x'.repeat(62)}-9`],
  );
});

test('job updates keep selector and template', () => {
  const old = job();
  validateJob(old);
  const scaled = structuredClone(old);
  scaled.spec.parallelism = 3;
  assert.deepEqual(lines(validateJob(scaled, old)), []);
  const retemplated = structuredClone(old);
  retemplated.spec.template.spec.containers[0].image = 'busybox:1.37';
  const errs = validateJob(retemplated, old);
  assert.deepEqual(errs.map((e) => e.field), ['spec.template']);
  assert.match(errs[0]!.message, /: field is immutable$/);
  const suspended = structuredClone(old);
  suspended.spec.suspend = true;
  const suspendedOld = structuredClone(suspended);
  suspended.spec.template.spec.nodeSelector = { zone: 'a' };
  assert.deepEqual(lines(validateJob(suspended, suspendedOld)), []);
  const reselected = structuredClone(old);
  reselected.spec.selector.matchLabels.extra = 'x';
  assert.deepEqual(validateJob(reselected, old).map((e) => e.field), ['spec.template.metadata.labels', 'spec.selector']);
});

function cronJob(mutate: (s: any, c: any) => void = () => {}): KubeObject {
  const c: any = { metadata: { name: 'nightly', namespace: 'd' }, spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: podTemplate('OnFailure') } } } };
  mutate(c.spec, c);
  defaultCronJob(c);
  return c;
}

test('cronjobs', () => {
  assert.deepEqual(lines(validateCronJob(cronJob())), []);
  const cases: Array<[string, (s: any, c: any) => void, string[]]> = [
    ['no schedule', (s) => delete s.schedule, ['spec.schedule: Required value']],
    ['five fields', (s) => (s.schedule = '* * * *'), ['spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]']],
    ['range', (s) => (s.schedule = '61 * * * *'), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']],
    [
      'garbage',
      (s) => (s.schedule = 'x * * * *'),
      ['spec.schedule: Invalid value: "x * * * *": failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ],
    [
      'TZ in schedule',
      (s) => (s.schedule = 'TZ=UTC 0 3 * * *'),
      ['spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ],
    ['bad time zone', (s) => (s.timeZone = 'Mars/Olympus'), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']],
    [
      'concurrency policy',
      (s) => (s.concurrencyPolicy = 'Sometimes'),
      ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    ],
    ['long name', (_s, c) => (c.metadata.name = 'n'.repeat(53)), [`metadata.name: Invalid value: "${'n'.repeat(53)}": must be no more than 52 characters`]],
    [
      'selector in the job template',
      (s) => (s.jobTemplate.spec.selector = { matchLabels: { a: 'b' } }),
      ['spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated'],
    ],
    [
      'job template restart policy',
      (s) => (s.jobTemplate.spec.template.spec.restartPolicy = 'Always'),
      ['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
    ],
  ];
  for (const [name, mutate, want] of cases) assert.deepEqual(lines(validateCronJob(cronJob(mutate))), want, name);
  for (const ok of ['@hourly', '@every 1h30m', '*/15 9-17 * * mon-fri', '0 0 1,15 jan,jul *', '0 12 * * 0']) {
    assert.deepEqual(lines(validateCronJob(cronJob((s) => (s.schedule = ok)))), [], ok);
  }
  assert.deepEqual(lines(validateCronJob(cronJob((s) => (s.timeZone = 'Europe/Berlin')))), []);
});
