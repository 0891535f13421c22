// Server-side printing: turns objects of one resource into a meta.k8s.io/v1 Table, the
// answer to `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` that `kubectl get`
// prints as given. Columns and cells come from the resource's printer (registry.ts); other
// resources get upstream's default table (Name, Created At); custom resources get their
// CRD's additionalPrinterColumns (crd.ts). Like upstream's server, every
// table is generated "wide": priority>0 columns are always present and kubectl picks them.

import type { KubeObject } from '../../api/types.ts';
import { customResourcePrinter, type CustomResourceColumn } from './crd.ts';
import { parseTimestamp } from './duration.ts';
import {
  NAME_COLUMN,
  col,
  nameOf,
  type Cell,
  type ColumnDefinition,
  type PrintContext,
  type Printer,
  type RowCondition,
} from './format.ts';
import { printerFor } from './registry.ts';
import { partialObject } from '../negotiate.ts';

/** What each row carries in `object` (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface BuildTableOptions {
  /** Default 'Metadata': a PartialObjectMetadata with the object's full metadata. */
  includeObject?: IncludeObject;
  /** The instant ages and durations are measured against. */
  now: Date;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Leave out columnDefinitions (watch events after the first may do so). */
  noHeaders?: boolean;
}

/** The resource a table is built for. */
export interface TableResource {
  /** '' for core. */
  group: string;
  /** e.g. `pods`. */
  plural: string;
  /**
   * Set (possibly empty) for custom resources: the served CRD version's
   * additionalPrinterColumns. An empty list gives Name + Age, like upstream.
   */
  additionalPrinterColumns?: CustomResourceColumn[];
}

export interface TableRow {
  /** Preformatted cells, one per column; null only for custom resource columns without a value. */
  cells: (Cell | null)[];
  conditions?: RowCondition[];
  object?: KubeObject;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions?: ColumnDefinition[];
  rows: TableRow[];
}

/** Go's RFC3339 rendering of a creation timestamp in UTC, whole seconds; Go's zero time when absent. */
export function rfc3339(ts: unknown): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The table of resources without a printer of their own (upstream's default convertor). */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, col('Created At', 'date', 'Time the object was created (metadata.creationTimestamp), RFC3339 in UTC.')],
  print(obj: KubeObject): Cell[] {
    return [nameOf(obj), rfc3339(obj.metadata?.creationTimestamp)];
  },
};

/** What buildTable needs of a printer: built-in printers and custom resource printers both fit. */
type RowPrinter = Pick<Printer, 'columns' | 'conditions'> & { print(obj: KubeObject, ctx: PrintContext): (Cell | null)[] };

/** The printer of a resource: a CRD's columns, a built-in printer, or the default table. */
function printerForResource(resource: TableResource): RowPrinter {
  if (resource.additionalPrinterColumns) {
    try {
      return customResourcePrinter(resource.additionalPrinterColumns);
    } catch {
      return defaultPrinter; // an unparsable column falls back to the default table, as upstream
    }
  }
  return printerFor(resource) ?? defaultPrinter;
}

function rowObject(obj: KubeObject, include: IncludeObject): KubeObject | undefined {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return partialObject(obj.metadata);
  }
}

/**
 * Build the Table for `objects` of one resource (group '' for core, plural like `pods`).
 * Pure: objects are not modified (rows reference their metadata/object, they are not copied).
 * Rows are in the order of `objects`.
 */
export function buildTable(resource: TableResource, objects: KubeObject[], opts: BuildTableOptions): Table {
  const printer = printerForResource(resource);
  const include = opts.includeObject ?? 'Metadata';
  const ctx = { now: opts.now };
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.print(obj, ctx) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(obj, include);
    if (object) row.object = object;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  // Key order as upstream serialises it: kind, apiVersion, metadata, columnDefinitions, rows.
  if (opts.noHeaders) return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, rows };
  const columnDefinitions = printer.columns.map((c) => ({ ...c }));
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions, rows };
}
