// Field-level validation errors, shaped exactly like upstream's field.ErrorList so that the
// causes and messages users see match a real apiserver: a cause's `message` is the upstream
// ErrorBody() (e.g. `Required value`, `Invalid value: "Foo_Bar": a lowercase RFC 1123 ...`)
// and its `field` the field path (e.g. `spec.containers[0].image`).

import type { ValidationCause } from '../types.ts';

export type ErrorList = ValidationCause[];

// ---- field paths: `a.b[0].c`, map keys as `labels[app]` (upstream prints keys unquoted) ----

export function child(path: string, ...names: string[]): string {
  let out = path;
  for (const n of names) out = out ? `${out}.${n}` : n;
  return out;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

// ---- bad-value rendering (the part between `Invalid value: ` and `: detail`) ----

/** A bad value already rendered the way Go's %#v would print it (e.g. a struct). */
export class GoValue {
  readonly repr: string;
  constructor(repr: string) {
    this.repr = repr;
  }
}

/** Sentinel: render only the error type, no value (upstream's omitValue). */
export const OMIT = Symbol('omit');

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go `%#v` of a map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(m: Record<string, string> | undefined | null): GoValue {
  if (m === undefined || m === null) return new GoValue('map[string]string(nil)');
  const keys = Object.keys(m).sort();
  return new GoValue(`map[string]string{${keys.map((k) => `${quote(k)}:${quote(String(m[k]))}`).join(', ')}}`);
}

function goStringSlice(a: unknown[] | undefined | null): string {
  if (a === undefined || a === null) return '[]string(nil)';
  return `[]string{${a.map((v) => quote(String(v))).join(', ')}}`;
}

/** Go `%#v` of a metav1.LabelSelector, as the apps/batch validators print a bad selector. */
export function goLabelSelector(sel: any): GoValue {
  if (sel === undefined || sel === null) return new GoValue('null');
  const ml = goStringMap(sel.matchLabels).repr;
  let me = '[]v1.LabelSelectorRequirement(nil)';
  if (Array.isArray(sel.matchExpressions)) {
    const items = sel.matchExpressions.map(
      (e: any) =>
        `v1.LabelSelectorRequirement{Key:${quote(String(e?.key ?? ''))}, Operator:${quote(String(e?.operator ?? ''))}, Values:${goStringSlice(e?.values)}}`,
    );
    me = `[]v1.LabelSelectorRequirement{${items.join(', ')}}`;
  }
  return new GoValue(`v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}`);
}

/** Render a bad value as upstream's ErrorBody does: strings quoted, numbers/bools plain,
 *  nil as `null`, string maps and string slices in Go syntax, anything else as JSON. */
export function formatValue(v: unknown): string {
  if (v instanceof GoValue) return v.repr;
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return goStringSlice(v);
    return JSON.stringify(v);
  }
  if (typeof v === 'object') {
    const vals = Object.values(v as object);
    if (vals.length > 0 && vals.every((x) => typeof x === 'string')) return goStringMap(v as Record<string, string>).repr;
    return JSON.stringify(v);
  }
  return String(v);
}

function withDetail(s: string, detail: string): string {
  return detail ? `${s}: ${detail}` : s;
}

function valued(type: string, value: unknown, detail: string): string {
  if (value === OMIT) return withDetail(type, detail);
  return withDetail(`${type}: ${formatValue(value)}`, detail);
}

// ---- constructors, one per upstream ErrorType ----

export function required(field: string, detail = ''): ValidationCause {
  return { reason: 'FieldValueRequired', message: withDetail('Required value', detail), field };
}

export function invalid(field: string, value: unknown, detail: string): ValidationCause {
  return { reason: 'FieldValueInvalid', message: valued('Invalid value', value, detail), field };
}

export function notSupported(field: string, value: unknown, validValues: readonly string[]): ValidationCause {
  const detail = validValues.length ? `supported values: ${validValues.map((v) => quote(v)).join(', ')}` : '';
  return { reason: 'FieldValueNotSupported', message: valued('Unsupported value', value, detail), field };
}

export function duplicate(field: string, value: unknown): ValidationCause {
  return { reason: 'FieldValueDuplicate', message: valued('Duplicate value', value, ''), field };
}

export function notFound(field: string, value: unknown): ValidationCause {
  return { reason: 'FieldValueNotFound', message: valued('Not found', value, ''), field };
}

export function forbidden(field: string, detail: string): ValidationCause {
  return { reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail), field };
}

export function tooLong(field: string, maxLength: number): ValidationCause {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return { reason: 'FieldValueTooLong', message: withDetail('Too long', detail), field };
}

export function tooMany(field: string, actual: number, max: number): ValidationCause {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { reason: 'FieldValueTooMany', message: valued('Too many', actual >= 0 ? actual : OMIT, detail), field };
}

export function internalError(field: string, err: string): ValidationCause {
  return { reason: 'InternalError', message: withDetail('Internal error', err), field };
}

/** `field: message` as upstream's field.Error.Error() prints it. */
export function causeString(c: ValidationCause): string {
  return `${c.field}: ${c.message}`;
}

/** Drop exact repeats (upstream's ToAggregate de-duplicates identical messages). */
export function dedupe(list: ErrorList): ErrorList {
  const seen = new Set<string>();
  const out: ErrorList = [];
  for (const c of list) {
    const s = `${c.reason}\u0000${causeString(c)}`;
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(c);
  }
  return out;
}
