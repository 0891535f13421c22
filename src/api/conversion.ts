// Conversion between the served versions of resources that share one storage: core/v1 Event ↔
// events.k8s.io/v1 Event, and autoscaling/v1 ↔ autoscaling/v2 HorizontalPodAutoscaler.
// Pure functions that return a new object (the input may be a read-only cached object).

import type { KubeObject } from './types.ts';

type Converter = (obj: KubeObject) => KubeObject;

/** Rename top-level fields (from → to), leaving the rest as is. */
function renamed(obj: KubeObject, pairs: [string, string][], apiVersion: string): KubeObject {
  const out: KubeObject = { ...obj, apiVersion, metadata: obj.metadata };
  for (const [from, to] of pairs) {
    if (from in out) {
      if (out[from] !== undefined) out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

const EVENT_FIELDS: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

const coreEventToEvents: Converter = (o) => renamed(o, EVENT_FIELDS, 'events.k8s.io/v1');
const eventsEventToCore: Converter = (o) =>
  renamed(o, EVENT_FIELDS.map(([a, b]) => [b, a] as [string, string]), 'v1');

function cpuMetric(target: number) {
  return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } };
}

const hpaV1ToV2: Converter = (o) => {
  const { targetCPUUtilizationPercentage, ...spec } = o.spec ?? {};
  const out: KubeObject = { ...o, apiVersion: 'autoscaling/v2', spec: { ...spec } };
  if (targetCPUUtilizationPercentage !== undefined) out.spec.metrics = [cpuMetric(targetCPUUtilizationPercentage)];
  if (o.status) {
    const { currentCPUUtilizationPercentage, ...status } = o.status;
    out.status = { ...status };
    if (currentCPUUtilizationPercentage !== undefined) {
      out.status.currentMetrics = [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: currentCPUUtilizationPercentage } } },
      ];
    }
  }
  return out;
};

const hpaV2ToV1: Converter = (o) => {
  const { metrics, behavior: _b, ...spec } = o.spec ?? {};
  const out: KubeObject = { ...o, apiVersion: 'autoscaling/v1', spec: { ...spec } };
  const cpu = (metrics ?? []).find((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization');
  if (cpu) out.spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  if (o.status) {
    const { currentMetrics, conditions: _c, ...status } = o.status;
    out.status = { ...status };
    const cur = (currentMetrics ?? []).find((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu');
    if (cur?.resource?.current?.averageUtilization !== undefined) {
      out.status.currentCPUUtilizationPercentage = cur.resource.current.averageUtilization;
    }
  }
  return out;
};

const CONVERTERS: Record<string, Converter> = {
  'Event:v1>events.k8s.io/v1': coreEventToEvents,
  'Event:events.k8s.io/v1>v1': eventsEventToCore,
  'HorizontalPodAutoscaler:autoscaling/v1>autoscaling/v2': hpaV1ToV2,
  'HorizontalPodAutoscaler:autoscaling/v2>autoscaling/v1': hpaV2ToV1,
};

/** True when objects of `kind` may need converting between the given versions. */
export function needsConversion(kind: string, from: string | undefined, to: string): boolean {
  return from !== undefined && from !== to && `${kind}:${from}>${to}` in CONVERTERS;
}

/** The object in apiVersion `to` (the same object when it already is, or no conversion exists). */
export function convertTo(obj: KubeObject, to: string): KubeObject {
  const from = obj.apiVersion;
  if (!from || from === to || !obj.kind) return obj;
  const c = CONVERTERS[`${obj.kind}:${from}>${to}`];
  return c ? c(obj) : obj;
}
