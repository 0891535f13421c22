// Validation of batch/v1 Jobs and CronJobs. As upstream's job strategy does in Validate, a new
// Job without manualSelector gets its generated selector and pod labels (from its uid) here,
// before the checks: the apiserver must have set metadata.uid before validating a create.

import type { KubeObject, ValidationCause } from '../types.ts';
import { type ErrorList, child, goLabelSelector, goStringMap, invalid, notSupported, required } from './field.ts';
import { isDNS1123Label, maxLenError, nameIsDNSSubdomain } from './names.ts';
import { validateImmutable, validateLabelSelectorObject, validateMeta, validateNonnegative } from './meta.ts';
import { validatePodTemplateSpec } from './podspec.ts';
import { fromLabelSelectorObject } from '../selectors/labels.ts';
import { CronParseError, parseCronSchedule } from './cron.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const set = (v: unknown): boolean => v !== undefined && v !== null;
const specOf = (o: KubeObject | undefined): Obj => (o && isObj(o.spec) ? o.spec : {});

const SUBDOMAIN = { nameFn: nameIsDNSSubdomain, namespaced: true };
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const LEGACY_JOB_NAME_LABEL = 'job-name';
const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

/** Upstream's generateSelector: pod labels job-name/controller-uid (new and legacy keys) and a
 *  selector on batch.kubernetes.io/controller-uid. Existing user labels are kept (and then fail
 *  validation if they conflict). */
export function generateJobSelector(job: KubeObject): void {
  const spec = specOf(job);
  job.spec = spec;
  if (!isObj(spec.template)) spec.template = {};
  if (!isObj(spec.template.metadata)) spec.template.metadata = {};
  const labels: Record<string, string> = isObj(spec.template.metadata.labels) ? spec.template.metadata.labels : {};
  spec.template.metadata.labels = labels;
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = uid;
  if (!isObj(spec.selector)) spec.selector = {};
  if (!isObj(spec.selector.matchLabels)) spec.selector.matchLabels = {};
  if (!(CONTROLLER_UID_LABEL in spec.selector.matchLabels)) spec.selector.matchLabels[CONTROLLER_UID_LABEL] = uid;
}

function templateLabels(t: unknown): Record<string, string> | undefined {
  return isObj(t) && isObj(t.metadata) && isObj(t.metadata.labels) ? t.metadata.labels : undefined;
}

function validateGeneratedSelector(job: KubeObject): ErrorList {
  const spec = specOf(job);
  if (spec.manualSelector === true || !isObj(spec.selector)) return [];
  const errs: ErrorList = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(required('metadata.uid'));
  const labels = templateLabels(spec.template) ?? {};
  const tpath = 'spec.template.metadata';
  for (const [k, want] of [
    [LEGACY_CONTROLLER_UID_LABEL, uid],
    [LEGACY_JOB_NAME_LABEL, name],
    [CONTROLLER_UID_LABEL, uid],
    [JOB_NAME_LABEL, name],
  ] as const) {
    if (!(k in labels)) errs.push(required(`${tpath}.labels[${k}]`, `must be '${want}'`));
    else if (labels[k] !== want) errs.push(invalid(`${tpath}.labels[${k}]`, goStringMap(labels), `must be '${want}'`));
  }
  try {
    const sel = fromLabelSelectorObject(spec.selector);
    const expected = { [LEGACY_CONTROLLER_UID_LABEL]: uid, [LEGACY_JOB_NAME_LABEL]: name, [CONTROLLER_UID_LABEL]: uid, [JOB_NAME_LABEL]: name };
    if (!sel.matches(expected)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  } catch {
    // reported by the selector validation
  }
  return errs;
}

/** validateJobSpec: the parts shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(s: Obj, path: string): ErrorList {
  const errs: ErrorList = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...validateNonnegative(s[f], child(path, f)));
  }
  if (set(s.completionMode)) {
    if (s.completionMode !== 'NonIndexed' && s.completionMode !== 'Indexed') {
      errs.push(notSupported(child(path, 'completionMode'), s.completionMode, ['NonIndexed', 'Indexed']));
    }
    if (s.completionMode === 'Indexed' && !set(s.completions)) {
      errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
    }
  }
  if (set(s.podReplacementPolicy) && !['TerminatingOrFailed', 'Failed'].includes(s.podReplacementPolicy)) {
    errs.push(notSupported(child(path, 'podReplacementPolicy'), s.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  const tp = child(path, 'template');
  errs.push(...validatePodTemplateSpec(s.template, tp));
  const rp = isObj(s.template) && isObj(s.template.spec) ? s.template.spec.restartPolicy : undefined;
  if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(notSupported(child(tp, 'spec', 'restartPolicy'), rp ?? '', ['OnFailure', 'Never']));
  } else if (isObj(s.podFailurePolicy) && rp !== 'Never') {
    errs.push(invalid(child(tp, 'spec', 'restartPolicy'), rp, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

function validateJobSpec(s: Obj): ErrorList {
  const errs = validateJobSpecCommon(s, 'spec');
  if (!isObj(s.selector)) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelectorObject(s.selector, 'spec.selector'));
  try {
    const sel = fromLabelSelectorObject(isObj(s.selector) ? s.selector : null);
    if (isObj(s.selector) && !sel.matches(templateLabels(s.template))) {
      errs.push(invalid('spec.template.metadata.labels', goStringMap(templateLabels(s.template)), '`selector` does not match template `labels`'));
    }
  } catch {
    // reported by the selector validation
  }
  return errs;
}

export function validateJob(job: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(job);
  if (!old && s.manualSelector !== true && job.metadata.uid) generateJobSelector(job);
  const errs = validateMeta(job.metadata, old?.metadata, SUBDOMAIN);
  if (!old) errs.push(...validateGeneratedSelector(job));
  errs.push(...validateJobSpec(s));
  if (!old && s.completionMode === 'Indexed' && typeof s.completions === 'number' && s.completions > 0) {
    const host = `${job.metadata.name ?? ''}-${s.completions - 1}`;
    if (isDNS1123Label(host).length) {
      errs.push(invalid('metadata.name', job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${host}`));
    }
  }
  if (old) {
    const os = specOf(old);
    const indexedScale = s.completionMode === 'Indexed' && os.completionMode === 'Indexed' && s.completions === s.parallelism;
    if (!indexedScale) errs.push(...validateImmutable(s.completions, os.completions, 'spec.completions', s.completions ?? null));
    errs.push(...validateImmutable(s.selector, os.selector, 'spec.selector', goLabelSelector(s.selector)));
    errs.push(...validateImmutable(s.completionMode, os.completionMode, 'spec.completionMode', s.completionMode ?? null));
    errs.push(...validateImmutable(s.podFailurePolicy, os.podFailurePolicy, 'spec.podFailurePolicy', s.podFailurePolicy ?? null));
    // The pod template may change only while the job is suspended (scheduling directives), as upstream.
    if (!(s.suspend === true && os.suspend === true)) errs.push(...validateImmutable(s.template, os.template, 'spec.template'));
  }
  return errs;
}

function validateTimeZone(tz: unknown, path: string): ErrorList {
  if (tz === undefined || tz === null) return [];
  const v = String(tz);
  if (v.length === 0) return [invalid(path, v, 'timeZone must be nil or non-empty string')];
  if (v.split('/').some((p) => p === '.' || p === '..' || p.startsWith('-') || !/^[A-Za-z\.\-_0-9+]{1,14}$/.test(p))) {
    return [invalid(path, v, `unknown time zone ${v}`)];
  }
  if (v.toLowerCase() === 'local') return [invalid(path, v, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
  } catch {
    return [invalid(path, v, `unknown time zone ${v}`)];
  }
  return [];
}

export function validateCronJob(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  const name = obj.metadata.name ?? '';
  if (!old && name.length > 52) errs.push(invalid('metadata.name', name, maxLenError(52)));
  const schedule = String(s.schedule ?? '');
  if (!schedule) errs.push(required('spec.schedule'));
  else {
    try {
      parseCronSchedule(schedule);
    } catch (e) {
      if (e instanceof CronParseError) errs.push(invalid('spec.schedule', schedule, e.message));
      else throw e;
    }
    const tzAllowed = old !== undefined && String(specOf(old).schedule ?? '').includes('TZ');
    if (tzAllowed && schedule.includes('TZ') && set(s.timeZone)) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!tzAllowed && schedule.includes('TZ')) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...validateTimeZone(s.timeZone, 'spec.timeZone'));
  errs.push(...validateNonnegative(s.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  const cp = s.concurrencyPolicy;
  if (!cp) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateNonnegative(s.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonnegative(s.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  const jt: Obj = isObj(s.jobTemplate) ? s.jobTemplate : {};
  const jspec: Obj = isObj(jt.spec) ? jt.spec : {};
  errs.push(...validateJobSpecCommon(jspec, 'spec.jobTemplate.spec'));
  if (set(jspec.selector)) errs.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jspec.selector), '`selector` will be auto-generated'));
  if (jspec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  return errs;
}
