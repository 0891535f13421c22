// Table printer for custom resources, built from the CRD version's additionalPrinterColumns
// as upstream's apiextensions table convertor does: Name, then one column per printer
// column (an `Age` date column when the CRD declares none). Each cell is the first JSONPath
// result: `string` columns print scalars as text and objects/arrays as compact JSON,
// `integer`/`number`/`boolean` keep the JSON value when it has that type, `date` becomes a
// human age; a missing or mistyped value is null.

import type { KubeObject } from '../../api/types.ts';
import { humanDuration, parseTimestamp } from './duration.ts';
import { NAME_COLUMN, nameOf, type Cell, type ColumnDefinition, type PrintContext } from './format.ts';
import { compileJsonPath, evaluate, type CompiledPath } from './jsonpath.ts';

/** apiextensions.k8s.io/v1 CustomResourceColumnDefinition. */
export interface CustomResourceColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const DEFAULT_COLUMNS: CustomResourceColumn[] = [
  { name: 'Age', type: 'date', description: 'Time elapsed since the object was created.', jsonPath: '.metadata.creationTimestamp' },
];

/** A printer for custom resources; cells may be null. */
export interface CustomResourcePrinter {
  columns: ColumnDefinition[];
  print(obj: KubeObject, ctx: PrintContext): (Cell | null)[];
}

function textOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function cellFor(type: string, v: unknown, now: Date): Cell | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string':
      return textOf(v);
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      if (v === '' || v === 'null') return '<unknown>';
      const t = parseTimestamp(v);
      if (t === undefined) return Number.isNaN(Date.parse(v)) ? '<invalid>' : '<unknown>';
      return humanDuration(now.getTime() - t);
    }
    default:
      return null;
  }
}

/**
 * Build the printer for one CRD version. Columns whose JSONPath does not parse are an error,
 * reported by throwing (upstream then falls back to the default table).
 */
export function customResourcePrinter(columns: CustomResourceColumn[]): CustomResourcePrinter {
  const specs = columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const paths: CompiledPath[] = specs.map((c) => compileJsonPath(c.jsonPath));
  return {
    columns: [
      NAME_COLUMN,
      ...specs.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
      })),
    ],
    print(obj: KubeObject, ctx: PrintContext): (Cell | null)[] {
      const cells: (Cell | null)[] = [nameOf(obj)];
      specs.forEach((spec, i) => {
        const results = evaluate(paths[i], obj);
        cells.push(results.length === 0 ? null : cellFor(spec.type, results[0], ctx.now));
      });
      return cells;
    },
  };
}
