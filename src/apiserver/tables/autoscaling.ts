// Table printer for HorizontalPodAutoscalers, in either autoscaling/v2 shape (spec.metrics)
// or autoscaling/v1 shape (targetCPUUtilizationPercentage). TARGETS pairs each metric spec
// with the current metric status at the same index, as upstream does: `cpu: 40%/80%`,
// `memory: <unknown>/500Mi`, `5/10 (avg)`, at most two metrics then ` + N more...`.

import type { KubeObject } from '../../api/types.ts';
import {
  AGE_COLUMN,
  NAME_COLUMN,
  ageOf,
  col,
  int,
  nameOf,
  quantityText,
  str,
  type Cell,
  type PrintContext,
  type Printer,
} from './format.ts';

const UNKNOWN = '<unknown>';

const q = quantityText;

function pct(v: unknown): string | undefined {
  return typeof v === 'number' ? `${v}%` : undefined;
}

/** One metric of TARGETS. `status` is the current metric at the same index, if any. */
function formatMetric(spec: any, status: any): string {
  switch (spec?.type) {
    case 'External':
    case 'Object': {
      const key = spec.type === 'External' ? 'external' : 'object';
      const target = spec[key]?.target ?? {};
      const current = status?.[key]?.current;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        return `${q(current?.averageValue) ?? UNKNOWN}/${q(target.averageValue)} (avg)`;
      }
      return `${(status?.[key] ? q(current?.value) : undefined) ?? UNKNOWN}/${q(target.value) ?? ''}`;
    }
    case 'Pods':
      return `${q(status?.pods?.current?.averageValue) ?? UNKNOWN}/${q(spec.pods?.target?.averageValue) ?? ''}`;
    case 'Resource':
    case 'ContainerResource': {
      const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
      const src = spec[key] ?? {};
      const target = src.target ?? {};
      const current = status?.[key]?.current;
      if (target.averageValue !== undefined && target.averageValue !== null) {
        return `${str(src.name)}: ${q(current?.averageValue) ?? UNKNOWN}/${q(target.averageValue)}`;
      }
      return `${str(src.name)}: ${pct(current?.averageUtilization) ?? UNKNOWN}/${pct(target.averageUtilization) ?? '<auto>'}`;
    }
    default:
      return '<unknown type>';
  }
}

/** Metric specs and statuses of an HPA of either version. */
function hpaMetrics(hpa: KubeObject): { specs: any[]; statuses: any[] } {
  const spec = hpa.spec ?? {};
  const status = hpa.status ?? {};
  if (Array.isArray(spec.metrics) || !('targetCPUUtilizationPercentage' in spec)) {
    return { specs: spec.metrics ?? [], statuses: status.currentMetrics ?? [] };
  }
  // autoscaling/v1: one CPU utilization target.
  const specs = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } },
  ];
  const statuses =
    typeof status.currentCPUUtilizationPercentage === 'number'
      ? [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }]
      : [];
  return { specs, statuses };
}

/** The TARGETS cell of an HPA. */
export function hpaTargets(hpa: KubeObject): string {
  const { specs, statuses } = hpaMetrics(hpa);
  if (specs.length === 0) return '<none>';
  const max = 2;
  const list = specs.map((s, i) => formatMetric(s, statuses[i]));
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col('Reference', 'string', 'The scaled object.'),
    col('Targets', 'string', 'Current and target values of the metrics.'),
    col('MinPods', 'string', 'Lower limit of replicas.'),
    col('MaxPods', 'string', 'Upper limit of replicas.'),
    col('Replicas', 'string', 'Current number of replicas.'),
    AGE_COLUMN,
  ],
  print(hpa: KubeObject, ctx: PrintContext): Cell[] {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const min = hpa.spec?.minReplicas;
    return [
      nameOf(hpa),
      `${str(ref.kind)}/${str(ref.name)}`,
      hpaTargets(hpa),
      typeof min === 'number' ? String(min) : '<unset>',
      int(hpa.spec?.maxReplicas),
      int(hpa.status?.currentReplicas),
      ageOf(hpa, ctx),
    ];
  },
};
