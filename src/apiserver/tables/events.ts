// Table printer for Events, shared by core/v1 and events.k8s.io/v1 (upstream serves both
// from one storage with one printer). events.k8s.io objects are read through their own
// field names (regarding, note, deprecatedCount, ...).

import type { KubeObject } from '../../api/types.ts';
import { parseTimestamp, translateTimestampSince } from './duration.ts';
import { NAME_COLUMN, col, nameOf, type Cell, type PrintContext, type Printer } from './format.ts';

/** The fields the printer reads, in core/v1 terms. */
interface EventView {
  involvedKind: string;
  involvedName: string;
  fieldPath: string;
  type: string;
  reason: string;
  message: string;
  sourceComponent: string;
  sourceHost: string;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count: number;
  series?: { count?: number; lastObservedTime?: string };
}

function s(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Read an Event of either API group as core/v1 fields. */
export function eventView(ev: KubeObject): EventView {
  const isNewApi = ev.apiVersion?.startsWith('events.k8s.io/') || ('regarding' in ev && !('involvedObject' in ev));
  if (isNewApi) {
    return {
      involvedKind: s(ev.regarding?.kind),
      involvedName: s(ev.regarding?.name),
      fieldPath: s(ev.regarding?.fieldPath),
      type: s(ev.type),
      reason: s(ev.reason),
      message: s(ev.note),
      sourceComponent: s(ev.deprecatedSource?.component),
      sourceHost: s(ev.deprecatedSource?.host),
      reportingController: s(ev.reportingController),
      reportingInstance: s(ev.reportingInstance),
      firstTimestamp: ev.deprecatedFirstTimestamp,
      lastTimestamp: ev.deprecatedLastTimestamp,
      eventTime: ev.eventTime,
      count: typeof ev.deprecatedCount === 'number' ? ev.deprecatedCount : 0,
      series: ev.series ?? undefined,
    };
  }
  return {
    involvedKind: s(ev.involvedObject?.kind),
    involvedName: s(ev.involvedObject?.name),
    fieldPath: s(ev.involvedObject?.fieldPath),
    type: s(ev.type),
    reason: s(ev.reason),
    message: s(ev.message),
    sourceComponent: s(ev.source?.component),
    sourceHost: s(ev.source?.host),
    reportingController: s(ev.reportingComponent),
    reportingInstance: s(ev.reportingInstance),
    firstTimestamp: ev.firstTimestamp,
    lastTimestamp: ev.lastTimestamp,
    eventTime: ev.eventTime,
    count: typeof ev.count === 'number' ? ev.count : 0,
    series: ev.series ?? undefined,
  };
}

/** `component, host`, falling back to the reporting controller/instance. */
function eventSource(v: EventView): string {
  const component = v.sourceComponent || v.reportingController;
  const instance = v.sourceHost || v.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'Time since the event was last observed.'),
    col('Type', 'string', 'Type of the event (Normal, Warning).'),
    col('Reason', 'string', 'Short machine-readable reason for the event.'),
    col('Object', 'string', 'The object the event is about.'),
    col('Subobject', 'string', 'Field path of the part of the object the event is about.', { priority: 1 }),
    col('Source', 'string', 'Component that reported the event.', { priority: 1 }),
    col('Message', 'string', 'Human-readable description of the event.'),
    col('First Seen', 'string', 'Time since the event was first observed.', { priority: 1 }),
    col('Count', 'string', 'Number of times the event occurred.', { priority: 1 }),
    { ...NAME_COLUMN, priority: 1 },
  ],
  print(ev: KubeObject, ctx: PrintContext): Cell[] {
    const v = eventView(ev);
    const firstSeen =
      parseTimestamp(v.firstTimestamp) !== undefined
        ? translateTimestampSince(v.firstTimestamp, ctx.now)
        : translateTimestampSince(v.eventTime, ctx.now);
    let lastSeen = parseTimestamp(v.lastTimestamp) !== undefined ? translateTimestampSince(v.lastTimestamp, ctx.now) : firstSeen;
    let count = v.count;
    if (v.series) {
      lastSeen = translateTimestampSince(v.series.lastObservedTime, ctx.now);
      count = typeof v.series.count === 'number' ? v.series.count : 0;
    } else if (count === 0) {
      count = 1; // singleton events of the new API carry no count
    }
    const kind = v.involvedKind.toLowerCase();
    const target = v.involvedName ? `${kind}/${v.involvedName}` : kind;
    return [
      lastSeen,
      v.type,
      v.reason,
      target,
      v.fieldPath,
      eventSource(v),
      v.message.trim(),
      firstSeen,
      count,
      nameOf(ev),
    ];
  },
};
