// Semantic equality of JSON values for immutability checks, standing in for upstream's
// apiequality.Semantic.DeepEqual over typed structs: an absent field, null, and the zero value
// of its type ("" / 0 / false / [] / {}) are equal, because the typed Go objects upstream
// compares cannot tell them apart. Quantities are compared by value ("1Gi" equals "1024Mi").

import { Quantity } from '../quantity.ts';

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

const QUANTITY_LIKE = /^[+-]?[0-9.]+[eEinumkKMGTP]*[-+]?[0-9]*$/;

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZero(a) && isZero(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') {
    if (QUANTITY_LIKE.test(a) && QUANTITY_LIKE.test(b)) {
      const qa = Quantity.tryParse(a);
      const qb = Quantity.tryParse(b);
      return qa !== undefined && qb !== undefined && qa.cmp(qb) === 0;
    }
    return false;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/** Paths (dotted, with [i] for list items) where two JSON values differ semantically. */
export function semanticDiff(a: unknown, b: unknown, path = ''): string[] {
  if (semanticEqual(a, b)) return [];
  const bothObjects =
    typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return [path];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [path];
    return a.flatMap((x, i) => semanticDiff(x, b[i], `${path}[${i}]`));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  return keys.flatMap((k) => semanticDiff(ao[k], bo[k], path ? `${path}.${k}` : k));
}
