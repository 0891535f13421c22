// Shared vocabulary of the Table printers: the column/printer shapes and the small cell
// formatters upstream's printers use everywhere (label sets, label selectors, container
// name/image lists, booleans, access modes). Pure functions only.

import { canonicalQuantity } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';
import { translateTimestampSince } from './duration.ts';

/** One meta.k8s.io/v1 TableColumnDefinition. All five keys are always serialised. */
export interface ColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** `name` for the object's name column, otherwise ''. */
  format: string;
  description: string;
  /** 0 = shown by default; >0 = only with `-o wide`. */
  priority: number;
}

export type Cell = string | number | boolean;

/** A TableRowCondition (only `Completed` is used, for finished pods). */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PrintContext {
  /** The instant ages and durations are measured against. */
  now: Date;
}

/**
 * How one resource is printed. `print` returns one cell per column, in column order, and
 * must not modify the object. Cells are preformatted: kubectl prints them as given.
 */
export interface Printer {
  columns: ColumnDefinition[];
  print(obj: KubeObject, ctx: PrintContext): Cell[];
  /** Row conditions, when the resource has any (pods that finished). */
  conditions?(obj: KubeObject): RowCondition[] | undefined;
}

/** Build a column definition. */
export function col(
  name: string,
  type: string,
  description: string,
  opts: { priority?: number; format?: string } = {},
): ColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

export const NAME_COLUMN = col('Name', 'string', 'Name of the object, unique among objects of its kind in its namespace.', {
  format: 'name',
});
export const AGE_COLUMN = col('Age', 'string', 'Time elapsed since the object was created (metadata.creationTimestamp).');
export const CONTAINERS_COLUMN = col('Containers', 'string', 'Names of the containers in the pod template.', { priority: 1 });
export const IMAGES_COLUMN = col('Images', 'string', 'Images of the containers in the pod template.', { priority: 1 });

/** The object's name, or '' when it has none. */
export function nameOf(obj: KubeObject): string {
  return obj.metadata?.name ?? '';
}

/** AGE cell of an object. */
export function ageOf(obj: KubeObject, ctx: PrintContext): string {
  return translateTimestampSince(obj.metadata?.creationTimestamp, ctx.now);
}

/** Integer cell: a missing or non-numeric value counts as 0. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** A plain string cell: missing values print as ''. */
export function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}

/** `k1=v1,k2=v2` with keys sorted; `<none>` for an empty or missing set. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const s = labelSetString(labels);
  return s === '' ? '<none>' : s;
}

/** `k1=v1,k2=v2` with keys sorted; '' for an empty set. */
export function labelSetString(labels: Record<string, string> | undefined | null): string {
  if (!labels) return '';
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * A metav1.LabelSelector in selector syntax, as upstream's LabelSelectorAsSelector(...).String():
 * requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. A missing or
 * empty selector gives ''. Returns undefined for a selector that is not valid.
 */
export function labelSelectorString(sel: LabelSelector | undefined | null): string | undefined {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return undefined;
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  // Stable sort by key, like the upstream selector.
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** Label selector cell: `<none>` when it selects everything/nothing, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** Comma-separated container names and images of a container list. */
export function containerCells(containers: unknown): [string, string] {
  const list = Array.isArray(containers) ? containers : [];
  return [list.map((c) => str(c?.name)).join(','), list.map((c) => str(c?.image)).join(',')];
}

/** `True` / `False` / `<unset>` for an optional boolean. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

/** Persistent volume access modes in upstream's short form: `RWO,ROX,RWX,RWOP` order. */
export function accessModesString(modes: unknown): string {
  const set = new Set(Array.isArray(modes) ? modes : []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** Up to `max` items joined by ',', then ` + N more...`; `<unset>` for none. */
export function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  const s = items.join(',');
  return s === '' ? '<unset>' : s;
}

/** A quantity in canonical form (`1024Mi` → `1Gi`), as upstream's Quantity.String();
 *  undefined when absent, the raw text when it does not parse. */
export function quantityText(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return String(v);
  try {
    return canonicalQuantity(v);
  } catch {
    return String(v);
  }
}

/** The quantity under `key` of a resource list, canonical, '0' when absent (a zero Quantity). */
export function quantity(list: Record<string, unknown> | undefined, key: string): string {
  return quantityText(list?.[key]) ?? '0';
}

/** `host:port`, bracketing IPv6 hosts like Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
