// Table printers for batch/v1 Jobs and CronJobs. The Job STATUS column is the one kubectl
// 1.32 shows: Complete, Failed, Terminating, Suspended, FailureTarget or Running, decided
// from the job's conditions in that order of precedence.

import type { KubeObject } from '../../api/types.ts';
import { humanDuration, parseTimestamp, translateTimestampSince } from './duration.ts';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  NAME_COLUMN,
  ageOf,
  boolPtr,
  col,
  containerCells,
  formatLabelSelector,
  int,
  nameOf,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

/** True when the first condition of `type` has status True (upstream looks at the first only). */
function hasCondition(obj: KubeObject, type: string): boolean {
  for (const c of obj.status?.conditions ?? []) {
    if (c?.type === type) return c.status === 'True';
  }
  return false;
}

/** The STATUS cell of a Job. */
export function jobStatus(job: KubeObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** COMPLETIONS: `succeeded/completions`, or `succeeded/1` (`of <parallelism>` when >1) for
 *  jobs without a completion count. */
function jobCompletions(job: KubeObject): string {
  const succeeded = int(job.status?.succeeded);
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: '' before the job started, time running so far, or start-to-completion. */
function jobDuration(job: KubeObject, now: Date): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return '';
  const done = parseTimestamp(job.status?.completionTime);
  return humanDuration((done ?? now.getTime()) - start);
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', 'Succeeded pods out of the required completions.'),
    col('Duration', 'string', 'Time the job took to complete, or has been running.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'Label query over the pods of the job.', { priority: 1 }),
  ],
  print(job: KubeObject, ctx: PrintContext): Cell[] {
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      nameOf(job),
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, ctx.now),
      ageOf(job, ctx),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Schedule', 'string', 'Schedule in cron format.'),
    col('Timezone', 'string', 'Time zone the schedule is interpreted in.'),
    col('Suspend', 'boolean', 'Whether new runs are suspended.'),
    col('Active', 'integer', 'Jobs currently running.'),
    col('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    col('Selector', 'string', 'Label query over the pods of the jobs.', { priority: 1 }),
  ],
  print(cj: KubeObject, ctx: PrintContext): Cell[] {
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime;
    return [
      nameOf(cj),
      cj.spec?.schedule ?? '',
      typeof cj.spec?.timeZone === 'string' ? cj.spec.timeZone : '<none>',
      boolPtr(cj.spec?.suspend),
      Array.isArray(cj.status?.active) ? cj.status.active.length : 0,
      last ? translateTimestampSince(last, ctx.now) : '<none>',
      ageOf(cj, ctx),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};
