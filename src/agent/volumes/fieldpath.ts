// Downward API values, shared by env vars and downwardAPI volumes: pod field paths
// (metadata.name, metadata.labels['k'], ...) and container resource values (limits.cpu with a
// divisor, defaulting unset limits to node allocatable) formatted exactly as the kubelet does.

import type { KubeObject } from '../../api/types.ts';
import { Quantity } from '../../api/quantity.ts';

/** Node allocatable, e.g. { cpu: '2', memory: '8Gi', 'ephemeral-storage': '50Gi' }. */
export type Allocatable = Record<string, string>;

/** Go's %q for the strings labels and annotations hold (JSON escaping matches for printable text). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => {
    const code = c.codePointAt(0)!;
    return code >= 0xa0 ? c : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `k="v"` lines in key order, as upstream's fieldpath.FormatMap (no trailing newline). */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/** metadata.labels['k'] / metadata.annotations['k'] → ['labels', 'k'] */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  return m ? [m[1], m[2]] : undefined;
}

/**
 * A pod field as a string (upstream ExtractFieldPathAsString): metadata fields only.
 * Throws `unsupported fieldPath: x` for anything else.
 */
export function extractFieldPath(pod: KubeObject, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub) {
    const map = (sub[0] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[sub[1]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

const RESOURCES = ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage'];

/**
 * A container resource value (upstream ExtractContainerResourceValue after merging unset limits
 * with node allocatable): cpu is ceil(milli / divisor milli), memory and storage ceil(value /
 * divisor value). Divisor defaults to 1.
 */
export function extractResourceValue(container: Record<string, any>, resource: string, divisor: string | number | undefined, allocatable: Allocatable): string {
  if (!RESOURCES.includes(resource)) throw new Error(`unsupported container resource : ${resource}`);
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const res = (container.resources ?? {}) as { limits?: Record<string, string>; requests?: Record<string, string> };
  let raw = res[kind]?.[name];
  if (raw === undefined && kind === 'limits') raw = allocatable[name];
  const q = Quantity.parse(raw ?? '0');
  let d = divisor === undefined || divisor === '' ? Quantity.parse('1') : Quantity.parse(divisor);
  if (d.isZero()) d = Quantity.parse('1');
  if (name === 'cpu') return String(Math.ceil(q.milliValue() / d.milliValue()));
  return String(Math.ceil(q.value() / d.value()));
}

/** The container named `name` among the pod's containers, init containers and ephemeral ones. */
export function findContainer(pod: KubeObject, name: string): Record<string, any> | undefined {
  const spec = pod.spec ?? {};
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    const c = (list ?? []).find((x: { name?: string }) => x.name === name);
    if (c) return c;
  }
  return undefined;
}
