// Server-side field validation (the fieldValidation query parameter): Strict rejects unknown
// and duplicate fields with upstream's "strict decoding error" 400, Warn lets the write through
// with one Warning header per problem, Ignore does neither. Unset means Warn, as upstream.

import { ApiError, apiErrors } from '../base/errors.ts';
import type { ResourceDef } from '../api/types.ts';
import type { ApiRequest } from './request.ts';
import { checkDecoded, duplicateFieldsOf } from './openapi/unknown-fields.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(req: ApiRequest): FieldValidation {
  const v = req.query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw apiErrors.badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

/** Add a warning to the response of this request (sent as `Warning: 299 - "<text>"`). */
export function addWarning(req: ApiRequest, text: string): void {
  (req.warnings ??= []).push(text);
}

/**
 * Check an object (as decoded from the request, or as a patch left it) against its schema.
 * `bodyText` is the raw JSON body when the object came straight from one, unchanged since it
 * was decoded (duplicate detection). A value of the wrong JSON type (a number where the schema
 * has a string, a string for an object, ...) is a 400 in every mode, as upstream's decoding
 * into Go types makes it; unknown and duplicate fields follow the mode.
 */
export function checkFields(req: ApiRequest, def: ResourceDef, obj: unknown, bodyText?: string): void {
  const mode = fieldValidationOf(req);
  const { unknown, typeError } = checkDecoded(def.group, def.version, def.kind, obj);
  const gv = def.group ? `${def.group}/${def.version}` : def.version;
  const cannot = `${def.kind} in version "${gv}" cannot be handled as a ${def.kind}`;
  if (typeError !== undefined) throw new ApiError(400, 'BadRequest', `${cannot}: ${typeError}`);
  if (mode === 'Ignore') return;
  const problems: string[] = [];
  if (bodyText !== undefined && bodyText.trimStart().startsWith('{')) {
    for (const f of duplicateFieldsOf(bodyText, obj)) problems.push(`duplicate field "${f}"`);
  }
  for (const f of unknown) problems.push(`unknown field "${f}"`);
  if (problems.length === 0) return;
  if (mode === 'Warn') {
    for (const p of problems) addWarning(req, p);
    return;
  }
  throw new ApiError(400, 'BadRequest', `${cannot}: strict decoding error: ${problems.join(', ')}`);
}

/** The Warning header value for a list of warnings (RFC 7234 warn-code 299, quoted, comma separated). */
export function warningHeader(warnings: string[]): string {
  // a patch retried after a lost compare-and-swap checks its result again: say each thing once
  return [...new Set(warnings)].map((w) => `299 - "${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ');
}
