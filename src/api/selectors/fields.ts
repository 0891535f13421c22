// Field selectors (`metadata.name=x,status.phase!=Running`): parsing with upstream's escaping
// rules (`\,` `\=` `\\` in values) and messages, matching against an object's field attributes.
// Which fields a kind supports is decided by src/api/fieldattrs.ts; `unsupportedField` lets the
// apiserver answer 400 `field label not supported: <field>`.

import { SkiffError } from '../../base/errors.ts';
import type { FieldAttrs } from '../types.ts';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

/** Bad field selector syntax; the message is upstream's. */
export class FieldSelectorParseError extends SkiffError {
  constructor(message: string) {
    super('FieldSelectorParse', message);
  }
}

export class FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: FieldRequirement[]) {
    this.requirements = requirements;
  }

  empty(): boolean {
    return this.requirements.length === 0;
  }

  /** A field missing from attrs counts as the empty string, as upstream. */
  matches(attrs: FieldAttrs): boolean {
    return this.requirements.every((r) => {
      const v = Object.prototype.hasOwnProperty.call(attrs, r.field) ? attrs[r.field]! : '';
      return r.operator === '!=' ? v !== r.value : v === r.value;
    });
  }

  /** The value required by an `=`/`==` term on `field`, if any (for index lookups). */
  requiredValue(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
  }
}

export function escapeFieldValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new FieldSelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      throw new FieldSelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new FieldSelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const TERM_OPERATORS: FieldOperator[] = ['!=', '==', '='];

/** Parse a field selector; '' selects everything. Throws FieldSelectorParseError. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let found: FieldRequirement | undefined;
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of TERM_OPERATORS) {
        if (part.startsWith(op, i)) {
          found = { field: part.slice(0, i), operator: op, value: part.slice(i + op.length) };
          break;
        }
      }
    }
    if (!found) throw new FieldSelectorParseError(`invalid selector: '${selector}'; can't understand '${part}'`);
    found.value = unescapeFieldValue(found.value);
    reqs.push(found);
  }
  return new FieldSelector(reqs);
}

/** The first field the selector uses that is not in `supportedFields`, or undefined. The
 *  apiserver answers 400 `field label not supported: <field>` for it. */
export function unsupportedField(selector: FieldSelector, supportedFields: readonly string[]): string | undefined {
  const ok = new Set(supportedFields);
  return selector.requirements.find((r) => !ok.has(r.field))?.field;
}
